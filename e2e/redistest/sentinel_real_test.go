package redistest

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/sentinel-go/sentinel/e2e/realredis"
)

// realSentinel is a redis-sentinel process started by a test, and the events it published.
type realSentinel struct {
	port   int
	client *redis.Client
	mu     sync.Mutex
	events []string // "channel payload"
}

func startRealSentinel(t *testing.T, masterPort, quorum int) *realSentinel {
	t.Helper()
	// down-after-milliseconds must exceed the 1 s ping period: redis-sentinel sends a new
	// link's first PING about 1 s after creating it but starts the down-after clock at
	// creation, so with 1000 ms it can declare a freshly switched-to master down before its
	// first reply, and fail over a second time. redis-sentinel's own tests use 2000 ms.
	rs := realredis.StartSentinel(t, 5*time.Second,
		fmt.Sprintf("sentinel monitor mymaster 127.0.0.1 %d %d", masterPort, quorum),
		"sentinel down-after-milliseconds mymaster 2000",
		"sentinel failover-timeout mymaster 10000",
		"sentinel parallel-syncs mymaster 1")
	s := &realSentinel{port: rs.Port}
	s.client = dial(t, rs.Addr)
	ctx := context.Background()
	sub := s.client.PSubscribe(ctx, "*")
	if _, err := sub.Receive(ctx); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for msg := range sub.Channel() {
			s.mu.Lock()
			s.events = append(s.events, msg.Channel+" "+msg.Payload)
			s.mu.Unlock()
		}
	}()
	t.Cleanup(func() { sub.Close(); <-done })
	return s
}

// event returns the first published event of the given type ("+switch-master"), if any.
func (s *realSentinel) event(kind string) (string, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, e := range s.events {
		if strings.HasPrefix(e, kind+" ") {
			return strings.TrimPrefix(e, kind+" "), true
		}
	}
	return "", false
}

func (s *realSentinel) count(kind string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, e := range s.events {
		if strings.HasPrefix(e, kind+" ") {
			n++
		}
	}
	return n
}

// TestRealSentinelFailsOverRedistest lets three of Debian's redis-sentinel judge redistest:
// they must discover both replicas, fail over when the master dies, repoint the other
// replica, and turn the old master into a replica when it returns. Everything they do relies
// on redistest answering INFO, PING, Pub/Sub, SLAVEOF in MULTI/EXEC and CLIENT KILL as Redis.
func TestRealSentinelFailsOverRedistest(t *testing.T) {
	realredis.Binary(t, "redis-sentinel") // skip before starting anything
	m := RunT(t)
	r1 := startReplica(t, m, map[string]string{"replica-priority": "100"})
	r2 := startReplica(t, m, map[string]string{"replica-priority": "100"})
	ctx := context.Background()
	dial(t, m.Addr()).Set(ctx, "k", "v", 0)

	sentinels := make([]*realSentinel, 3)
	for i := range sentinels {
		sentinels[i] = startRealSentinel(t, m.Port(), 2)
	}
	waitFor(t, 20*time.Second, "each sentinel to see both replicas and both peers", func() bool {
		for _, s := range sentinels {
			reps, err := s.client.Do(ctx, "SENTINEL", "REPLICAS", "mymaster").Slice()
			if err != nil || len(reps) != 2 {
				return false
			}
			peers, err := s.client.Do(ctx, "SENTINEL", "SENTINELS", "mymaster").Slice()
			if err != nil || len(peers) != 2 {
				return false
			}
		}
		return true
	})

	m.Kill()
	var newPort int
	waitFor(t, 30*time.Second, "+switch-master on every sentinel", func() bool {
		for _, s := range sentinels {
			if _, ok := s.event("+switch-master"); !ok {
				return false
			}
		}
		return true
	})
	for i, s := range sentinels {
		payload, _ := s.event("+switch-master")
		f := strings.Fields(payload) // mymaster <old ip> <old port> <new ip> <new port>
		if len(f) != 5 || f[0] != "mymaster" || f[2] != strconv.Itoa(m.Port()) {
			t.Fatalf("sentinel %d: +switch-master %q", i, payload)
		}
		p, _ := strconv.Atoi(f[4])
		if newPort != 0 && p != newPort {
			t.Fatalf("sentinels disagree on the new master: %d and %d", newPort, p)
		}
		newPort = p
		if n := s.count("+switch-master"); n != 1 {
			t.Fatalf("sentinel %d published %d +switch-master events", i, n)
		}
	}
	promoted, other := r1, r2
	if newPort == r2.Port() {
		promoted, other = r2, r1
	} else if newPort != r1.Port() {
		t.Fatalf("new master port %d is neither replica", newPort)
	}
	if replInfo(promoted)["role"] != "master" {
		t.Fatal("the promoted replica does not report role:master")
	}
	waitFor(t, 20*time.Second, "the other replica to follow the new master", func() bool {
		i := replInfo(other)
		return i["master_port"] == strconv.Itoa(newPort) && i["master_link_status"] == "up"
	})
	if got := dial(t, other.Addr()).Get(ctx, "k").Val(); got != "v" {
		t.Fatalf("data lost across the failover: k = %q", got)
	}

	if err := m.Restart(RestartOptions{}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 30*time.Second, "the old master to be converted into a replica", func() bool {
		i := replInfo(m)
		return i["role"] == "slave" && i["master_port"] == strconv.Itoa(newPort) && i["master_link_status"] == "up"
	})
	if got := dial(t, m.Addr()).Get(ctx, "k").Val(); got != "v" {
		t.Fatalf("old master did not resync: k = %q", got)
	}
}
