package endpoint

import (
	"context"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// TestGoRedisSentinelClient drives the endpoint with go-redis v9's sentinel client, which
// opens each connection with HELLO 3 and CLIENT SETINFO (whose error it ignores, as it
// must against a 7.0 sentinel), and subscribes the way clients watch for failovers.
func TestGoRedisSentinelClient(t *testing.T) {
	for _, proto := range []int{3, 2} {
		t.Run(map[int]string{2: "resp2", 3: "resp3"}[proto], func(t *testing.T) {
			s, addr := startServer(t, Options{})
			ctx, cancel := context.WithTimeout(context.Background(), wait)
			defer cancel()
			sc := redis.NewSentinelClient(&redis.Options{Addr: addr, Protocol: proto})
			defer sc.Close()

			got, err := sc.GetMasterAddrByName(ctx, "mymaster").Result()
			if err != nil || len(got) != 2 || got[0] != "127.0.0.1" || got[1] != "6379" {
				t.Fatalf("GetMasterAddrByName = %q, %v", got, err)
			}
			if _, err := sc.GetMasterAddrByName(ctx, "nosuch").Result(); err != redis.Nil {
				t.Fatalf("GetMasterAddrByName(nosuch) error = %v, want redis.Nil", err)
			}
			masters, err := sc.Masters(ctx).Result()
			if err != nil || len(masters) != 1 {
				t.Fatalf("Masters = %v, %v", masters, err)
			}
			if err := sc.Ping(ctx).Err(); err != nil {
				t.Fatal(err)
			}

			sub := sc.Subscribe(ctx, "+switch-master")
			defer sub.Close()
			if _, err := sub.Receive(ctx); err != nil {
				t.Fatal(err)
			}
			const payload = "mymaster 127.0.0.1 6379 127.0.0.1 6380"
			if n := s.Publish("+switch-master", payload); n != 1 {
				t.Fatalf("Publish reached %d subscribers, want 1", n)
			}
			select {
			case msg := <-sub.Channel():
				if msg.Channel != "+switch-master" || msg.Payload != payload {
					t.Fatalf("received %+v", msg)
				}
			case <-time.After(wait):
				t.Fatal("no message")
			}

			psub := sc.PSubscribe(ctx, "*")
			defer psub.Close()
			if _, err := psub.Receive(ctx); err != nil {
				t.Fatal(err)
			}
			s.Publish("+sdown", "master mymaster 127.0.0.1 6379")
			select {
			case msg := <-psub.Channel():
				if msg.Pattern != "*" || msg.Channel != "+sdown" {
					t.Fatalf("received %+v", msg)
				}
			case <-time.After(wait):
				t.Fatal("no pmessage")
			}
		})
	}
}
