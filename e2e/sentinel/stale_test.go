package sentinel_test

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/sentinel-go/sentinel/e2e/realredis"
)

// The returning stale master, on real redis-servers: after a failover the old master comes
// back (woken from SIGSTOP, or killed and restarted with its data) still a master, and
// takes writes from clients that hold its address until a sentinel converts it (scenario
// h); and the new master dying while the old one is back but not synced with it, which
// must not make the old one master again (scenario i, redis/redis #12570).
//
// Ours runs by default. SENTINEL_STALE_REAL=1 runs the same scenarios on Debian's
// redis-sentinel too, to measure what it does (about 10 s of stale writes; the stale node
// promoted in i): it is a measurement, not an assertion, and takes a minute more.

// staleSet is a master and two replicas on real redis-servers with the master's data on
// disk (appendonly, so a restart brings it back), and master priorities given per node.
type staleSet struct {
	m1, r1, r2 *realredis.Server
}

func startStaleSet(t testing.TB, prio1, prioR1, prioR2 int) *staleSet {
	t.Helper()
	base := []string{"--repl-diskless-sync-delay", "0", "--appendonly", "yes", "--appendfsync", "always"}
	start := func(prio int, args ...string) *realredis.Server {
		args = append(append(append([]string{}, base...), "--replica-priority", strconv.Itoa(prio)), args...)
		return realredis.StartServer(t, 10*time.Second, args...)
	}
	m1 := start(prio1)
	of := []string{"--replicaof", "127.0.0.1", strconv.Itoa(m1.Port)}
	s := &staleSet{m1: m1, r1: start(prioR1, of...), r2: start(prioR2, of...)}
	waitFor(t, 10*time.Second, "both replicas linked up", func() bool {
		return replInfo(t, s.r1)["master_link_status"] == "up" && replInfo(t, s.r2)["master_link_status"] == "up"
	})
	return s
}

func replInfo(t testing.TB, s *realredis.Server) map[string]string {
	c := quickClient(s.Addr)
	defer c.Close()
	text, err := c.Info(t.Context(), "replication").Result()
	if err != nil {
		return map[string]string{}
	}
	return infoFields(text)
}

// quickClient never retries and gives up fast: each write attempt is one observation.
func quickClient(addr string) *redis.Client {
	return redis.NewClient(&redis.Options{Addr: addr, MaxRetries: -1, DialTimeout: 200 * time.Millisecond,
		ReadTimeout: 200 * time.Millisecond, WriteTimeout: 200 * time.Millisecond, PoolSize: 1})
}

func staleKinds() []string {
	if os.Getenv("SENTINEL_STALE_REAL") == "1" {
		return []string{ours, real}
	}
	return []string{ours}
}

// staleWindow writes to addr every 10 ms from now on and returns how long it kept
// acknowledging writes (from the first acknowledged one to the first READONLY) and how many
// it acknowledged; ok is false when it never refused one within limit.
func staleWindow(t testing.TB, addr string, limit time.Duration) (window time.Duration, acked int, ok bool) {
	c := quickClient(addr)
	defer c.Close()
	var first time.Time
	deadline := time.Now().Add(limit)
	for i := 0; time.Now().Before(deadline); i++ {
		err := c.Set(t.Context(), fmt.Sprintf("stale:%d", i), i, 0).Err()
		switch {
		case err == nil:
			if first.IsZero() {
				first = time.Now()
			}
			acked++
		case strings.HasPrefix(err.Error(), "READONLY"):
			if first.IsZero() {
				return 0, 0, true
			}
			return time.Since(first), acked, true
		}
		time.Sleep(10 * time.Millisecond)
	}
	return limit, acked, false
}

// TestStaleMasterWindow is scenario h: how long the old master, back after the failover,
// keeps acknowledging writes before a sentinel converts it. Ours converts it as soon as it
// is certain (monitor's settledAgainst): well under redis-sentinel's 8 s wait plus INFO
// period.
func TestStaleMasterWindow(t *testing.T) {
	t.Parallel()
	for _, kind := range staleKinds() {
		for _, how := range []string{"sigstop", "restart"} {
			t.Run(kind+"/"+how, func(t *testing.T) {
				t.Parallel()
				binary(t, kind)
				s := startStaleSet(t, 100, 100, 100)
				g := startGroup(t, []string{kind, kind, kind}, s.m1.Port)
				waitDiscoveryOf(t, []int{s.r1.Port, s.r2.Port}, g.procs...)
				killed := time.Now()
				if how == "sigstop" {
					if err := s.m1.Signal(syscall.SIGSTOP); err != nil {
						t.Fatal(err)
					}
				} else {
					s.m1.Stop()
				}
				newPort, _ := g.waitSwitch(t, all(g), s.m1.Port, killed.Add(failoverWithin))
				g.waitAgreement(t, all(g), newPort, 20*time.Second)
				back := time.Now()
				if how == "sigstop" {
					if err := s.m1.Signal(syscall.SIGCONT); err != nil {
						t.Fatal(err)
					}
				} else {
					s.m1.Restart()
				}
				window, acked, ok := staleWindow(t, s.m1.Addr, 40*time.Second)
				converted := time.Since(back)
				if !ok {
					t.Fatalf("the old master still takes writes %v after it came back", converted)
				}
				t.Logf("%s/%s: the old master acknowledged %d writes for %v (back to READONLY: %v)",
					kind, how, acked, window.Round(time.Millisecond), converted.Round(time.Millisecond))
				if kind == ours && window > 5*time.Second {
					t.Errorf("the old master took writes for %v; the fast conversion should end it within a few hello deliveries", window)
				}
				waitFor(t, followWithin, "the old master to follow the new one", func() bool {
					i := replInfo(t, s.m1)
					return i["role"] == "slave" && i["master_port"] == strconv.Itoa(newPort) && i["master_link_status"] == "up"
				})
				for i := range g.procs {
					if n := g.count(i, "+switch-master", hasPrefix(masterName+" ")); n != 1 {
						t.Errorf("%s published %d +switch-master, want 1 (no flapping)", g.name(i), n)
					}
				}
			})
		}
	}
}

// TestStaleMasterNotPromoted is scenario i (redis/redis #12570, #12574): m1 fails, r1 is
// promoted (the better priority) and takes writes, m1 comes back with its old data and is
// converted, and r1 dies before m1 finished syncing with it (r1 delays its full syncs).
// m1 has the best priority of all, so Redis's ranking picks it and loses r1's writes; ours
// must promote r2, which has them.
func TestStaleMasterNotPromoted(t *testing.T) {
	t.Parallel()
	for _, kind := range staleKinds() {
		t.Run(kind, func(t *testing.T) {
			t.Parallel()
			binary(t, kind)
			s := startStaleSet(t, 1, 10, 100)
			g := startGroup(t, []string{kind, kind, kind}, s.m1.Port)
			waitDiscoveryOf(t, []int{s.r1.Port, s.r2.Port}, g.procs...)
			ctx := t.Context()

			killed := time.Now()
			s.m1.Stop()
			newPort, _ := g.waitSwitch(t, all(g), s.m1.Port, killed.Add(failoverWithin))
			if newPort != s.r1.Port {
				t.Fatalf("first failover promoted :%d, want r1 :%d", newPort, s.r1.Port)
			}
			g.waitAgreement(t, all(g), newPort, 20*time.Second)
			r1 := quickClient(s.r1.Addr)
			defer r1.Close()
			for i := range 100 {
				if err := r1.Set(ctx, fmt.Sprintf("after:%d", i), i, 0).Err(); err != nil {
					t.Fatal(err)
				}
			}
			waitFor(t, 10*time.Second, "r2 to follow r1 and have its writes", func() bool {
				i := replInfo(t, s.r2)
				return i["master_port"] == strconv.Itoa(s.r1.Port) && i["master_link_status"] == "up" &&
					i["slave_repl_offset"] == replInfo(t, s.r1)["master_repl_offset"]
			})
			// m1's full sync with r1 will not start for a minute: it stays unsynced.
			if err := r1.ConfigSet(ctx, "repl-diskless-sync-delay", "60").Err(); err != nil {
				t.Fatal(err)
			}
			s.m1.Restart()
			waitFor(t, 40*time.Second, "m1 to be converted to a replica of r1", func() bool {
				i := replInfo(t, s.m1)
				return i["role"] == "slave" && i["master_port"] == strconv.Itoa(s.r1.Port)
			})
			t.Logf("m1 converted: %v", replInfo(t, s.m1))
			s.r1.Stop()
			died := time.Now()
			again, _ := g.waitSwitch(t, all(g), s.r1.Port, died.Add(failoverWithin))
			lost := 0
			got := quickClient(fmt.Sprintf("127.0.0.1:%d", again))
			defer got.Close()
			for i := range 100 {
				if got.Get(ctx, fmt.Sprintf("after:%d", i)).Err() != nil {
					lost++
				}
			}
			who := map[int]string{s.m1.Port: "m1 (stale)", s.r2.Port: "r2"}[again]
			t.Logf("%s: after r1 died, promoted %s; %d of r1's 100 acknowledged writes missing there", kind, who, lost)
			if kind == ours {
				if again != s.r2.Port {
					t.Fatalf("promoted %s :%d, want r2 :%d", who, again, s.r2.Port)
				}
				if lost != 0 {
					t.Fatalf("%d acknowledged writes lost", lost)
				}
			}
		})
	}
}
