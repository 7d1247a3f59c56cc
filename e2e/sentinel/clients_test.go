package sentinel_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/sentinel-go/sentinel/e2e/realredis"
)

// TestClients points real clients at one of our sentinels: go-redis's failover client writes
// through it to the master, redis-cli asks it for the master's address, and go-redis's
// sentinel client receives +sdown when a replica dies.
func TestClients(t *testing.T) {
	t.Parallel()
	requireOurs(t)
	top := startTopology(t, nil)
	mp := top.Master.Port()
	port := realredis.FreePort(t)
	s := startSentinel(t, ours, port, sentinelConf(port, mp, 1))
	group := []*proc{s}
	// A real sentinel beside it, when there is one, only to compare how soon each sees the
	// killed replica down.
	var realRec *recorder
	if _, err := os.Stat(realSentinelPath); err == nil {
		rp := realredis.FreePort(t)
		r := startSentinel(t, real, rp, sentinelConf(rp, mp, 1))
		realRec = record(t, r)
		group = append(group, r)
	}
	waitDiscovery(t, top, group...)
	ctx := context.Background()

	t.Run("FailoverClient", func(t *testing.T) {
		fc := redis.NewFailoverClient(&redis.FailoverOptions{MasterName: masterName,
			SentinelAddrs: []string{s.Addr}, DialTimeout: 2 * time.Second, ReadTimeout: 5 * time.Second,
			MaxRetries: 2})
		defer fc.Close()
		if err := fc.Set(ctx, "e2e-key", "e2e-value", 0).Err(); err != nil {
			t.Fatalf("SET through the failover client: %v", err)
		}
		if v, err := fc.Get(ctx, "e2e-key").Result(); err != nil || v != "e2e-value" {
			t.Fatalf("GET through the failover client = %q, %v", v, err)
		}
		// It wrote to the master itself.
		if v, err := dial(t, top.Master.Addr()).Get(ctx, "e2e-key").Result(); err != nil || v != "e2e-value" {
			t.Fatalf("GET on the master = %q, %v", v, err)
		}
	})

	t.Run("redis-cli", func(t *testing.T) {
		cli := realredis.Binary(t, "/usr/bin/redis-cli")
		ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		out, err := exec.CommandContext(ctx, cli, "-h", "127.0.0.1", "-p", strconv.Itoa(port),
			"SENTINEL", "get-master-addr-by-name", masterName).CombinedOutput()
		if want := fmt.Sprintf("127.0.0.1\n%d\n", mp); err != nil || string(out) != want {
			t.Fatalf("redis-cli SENTINEL get-master-addr-by-name = %q, %v; want %q", out, err, want)
		}
	})

	t.Run("SentinelClient", func(t *testing.T) {
		sc := redis.NewSentinelClient(&redis.Options{Addr: s.Addr, DialTimeout: 2 * time.Second,
			ReadTimeout: 5 * time.Second, MaxRetries: -1})
		defer sc.Close()
		if addr, err := sc.GetMasterAddrByName(ctx, masterName).Result(); err != nil ||
			len(addr) != 2 || addr[0] != "127.0.0.1" || addr[1] != strconv.Itoa(mp) {
			t.Errorf("GetMasterAddrByName = %q, %v", addr, err)
		}
		if m, err := sc.Master(ctx, masterName).Result(); err != nil || m["num-slaves"] != "2" {
			t.Errorf("Master = %v, %v", m, err)
		}
		if reps, err := sc.Replicas(ctx, masterName).Result(); err != nil || len(reps) != 2 {
			t.Errorf("Replicas = %v, %v", reps, err)
		}
		sub := sc.Subscribe(ctx, "+sdown")
		defer sub.Close()
		if _, err := sub.Receive(ctx); err != nil {
			t.Fatalf("SUBSCRIBE +sdown: %v", err)
		}
		killed := time.Now()
		top.R2.Kill()
		want := fmt.Sprintf("slave %s 127.0.0.1 %d @ %s 127.0.0.1 %d", top.R2.Addr(), top.R2.Port(), masterName, mp)
		for deadline := killed.Add(downAfter + 5*time.Second); ; {
			msg, err := sub.ReceiveTimeout(ctx, time.Until(deadline))
			if err != nil {
				t.Fatalf("no +sdown %q within %v of killing the replica: %v", want, downAfter+5*time.Second, err)
			}
			m, ok := msg.(*redis.Message)
			if !ok {
				continue
			}
			if m.Channel != "+sdown" || m.Payload != want {
				t.Fatalf("received %s %q, want +sdown %q", m.Channel, m.Payload, want)
			}
			t.Logf("ours: +sdown for the killed replica %d ms after the kill (down-after %v)",
				time.Since(killed).Milliseconds(), downAfter)
			break
		}
		if realRec != nil {
			e := realRec.wait(t, downAfter+5*time.Second, "+sdown", equals(want))
			t.Logf("real: +sdown for the killed replica %d ms after the kill", e.At.Sub(killed).Milliseconds())
		}
	})
}
