package sentinel_test

import (
	"bytes"
	"context"
	"fmt"
	"log"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/sentinel-go/sentinel/e2e/realredis"
)

// refusalOf is our sentinel's answer to GET-MASTER-ADDR-BY-NAME while it reaches only got
// of the master's of sentinels (monitor's minorityErr).
func refusalOf(got, of int) string {
	return fmt.Sprintf("NOQUORUM this sentinel reached %d of the %d sentinels of '%s' within down-after-milliseconds (a majority is %d): ask another sentinel",
		got, of, masterName, of/2+1)
}

// startMinorityGroup is three of our sentinels with minority-refuses on, watching the
// topology's master with quorum 2, each seeing the replicas and the two others.
func startMinorityGroup(t *testing.T, top *topology) []*proc {
	t.Helper()
	var group []*proc
	for range 3 {
		port := realredis.FreePort(t)
		group = append(group, startSentinel(t, ours, port, sentinelConf(port, top.Master.Port(), 2, "sentinel minority-refuses yes")))
	}
	waitDiscovery(t, top, group...)
	return group
}

func signal(t *testing.T, sig syscall.Signal, ps ...*proc) {
	t.Helper()
	for _, p := range ps {
		if err := p.Proc.Signal(sig); err != nil {
			t.Fatalf("%s: %v: %v", p, sig, err)
		}
	}
}

// waitEventAfter waits for an event on channel published after t: on a loaded machine a
// sentinel stalled for down-after can leave and re-enter the minority before the test
// does anything.
func (r *recorder) waitEventAfter(tb testing.TB, within time.Duration, after time.Time, channel string, match matcher) event {
	tb.Helper()
	var e event
	waitFor(tb, within, fmt.Sprintf("%s to publish %s %s", r.name, channel, match.what), func() bool {
		ok := false
		r.mu.Lock()
		defer r.mu.Unlock()
		for _, x := range r.events {
			if x.Channel == channel && match.f(x.Payload) && x.At.After(after) {
				e, ok = x, true
				break
			}
		}
		return ok
	})
	return e
}

// TestMinorityRefuses: one of three sentinels cut off from the two others (they are
// stopped with SIGSTOP) refuses GET-MASTER-ADDR-BY-NAME once down-after has passed, with
// +minority; redis-cli shows the error; when the others run again it answers the address
// again, with -minority. (GET-PRIMARY-ADDR-BY-NAME, valkey's alias, is refused alike by the
// core, but the endpoint's command table is Redis 7.0's, which does not have it.)
func TestMinorityRefuses(t *testing.T) {
	t.Parallel()
	requireOurs(t)
	top := startTopology(t, nil)
	group := startMinorityGroup(t, top)
	s1 := group[0]
	rec := record(t, s1)
	ctx := context.Background()
	addr := func(sub string) ([]string, error) {
		return s1.Client.Do(ctx, "SENTINEL", sub, masterName).StringSlice()
	}
	want := []string{"127.0.0.1", strconv.Itoa(top.Master.Port())}
	if got, err := addr("GET-MASTER-ADDR-BY-NAME"); err != nil || !equalStrings(got, want) {
		t.Fatalf("before: %v, %v; want %v", got, err, want)
	}

	stopped := time.Now()
	signal(t, syscall.SIGSTOP, group[1], group[2])
	t.Cleanup(func() { _ = group[1].Proc.Signal(syscall.SIGCONT); _ = group[2].Proc.Signal(syscall.SIGCONT) })
	// The last PONG came less than a ping period before the stop, so the refusal starts
	// within down-after of it; the event follows at the next tick.
	ev := rec.waitEventAfter(t, downAfter+5*time.Second, stopped, "+minority", hasPrefix("master "+masterName+" "))
	t.Logf("+minority %v after the stop", ev.At.Sub(stopped))
	if d := ev.At.Sub(stopped); d < downAfter-time.Second {
		t.Errorf("+minority %v after the stop, before down-after %v", d, downAfter)
	}
	if ev.Payload != fmt.Sprintf("master %s 127.0.0.1 %d #reached 1/3, majority 2", masterName, top.Master.Port()) {
		t.Errorf("+minority %q", ev.Payload)
	}
	if got, err := addr("GET-MASTER-ADDR-BY-NAME"); err == nil || err.Error() != refusalOf(1, 3) {
		t.Errorf("cut off: %v, %v; want the error %q", got, err, refusalOf(1, 3))
	}
	// redis-cli 7.0 without a tty prints the error text alone (no "(error)") and exits 0.
	cli := realredis.Binary(t, "/usr/bin/redis-cli")
	out, cliErr := exec.CommandContext(ctx, cli, "-h", "127.0.0.1", "-p", strconv.Itoa(s1.Port),
		"SENTINEL", "GET-MASTER-ADDR-BY-NAME", masterName).CombinedOutput()
	if got := strings.TrimSpace(string(out)); got != refusalOf(1, 3) || cliErr != nil {
		t.Errorf("redis-cli: %q, %v", got, cliErr)
	}
	// The other queries still answer: only the address is withheld.
	if m := s1.master(); m == nil || m["ip"] != "127.0.0.1" {
		t.Errorf("SENTINEL MASTER while refusing: %v", m)
	}

	resumed := time.Now()
	signal(t, syscall.SIGCONT, group[1], group[2])
	back := rec.waitEventAfter(t, 10*time.Second, resumed, "-minority", hasPrefix("master "+masterName+" "))
	t.Logf("-minority %v after SIGCONT", back.At.Sub(resumed))
	if got, err := addr("GET-MASTER-ADDR-BY-NAME"); err != nil || !equalStrings(got, want) {
		t.Fatalf("peers back: %v, %v; want %v", got, err, want)
	}
	if ev, ok := rec.find("+switch-master", func(string) bool { return true }); ok {
		t.Errorf("a failover while only sentinels were stopped: %v", ev)
	}
}

func equalStrings(a, b []string) bool { return strings.Join(a, "\x00") == strings.Join(b, "\x00") }

// logCapture collects go-redis's log lines (redis.SetLogger is global: the test that
// sets it does not run in parallel with others).
type logCapture struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logCapture) Printf(_ context.Context, format string, v ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	fmt.Fprintf(&l.b, format+"\n", v...)
}

func (l *logCapture) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestMinorityFailoverClient: go-redis v9's FailoverClient, whose sentinel starts to
// refuse, asks the other sentinels on its next dial and keeps writing to the master. The
// refusing sentinel is made a minority by three peers announced to it in hellos that do
// not exist (it then knows six sentinels and reaches three), while the two real peers,
// which never hear of those, keep answering.
func TestMinorityFailoverClient(t *testing.T) {
	requireOurs(t)
	top := startTopology(t, nil)
	group := startMinorityGroup(t, top)
	s1 := group[0]
	rec := record(t, s1)
	ctx := context.Background()

	logs := &logCapture{}
	redis.SetLogger(logs)
	t.Cleanup(func() { redis.SetLogger(stderrLogger{log.New(os.Stderr, "redis: ", log.LstdFlags|log.Lshortfile)}) })
	fc := redis.NewFailoverClient(&redis.FailoverOptions{MasterName: masterName,
		SentinelAddrs: []string{s1.Addr}, DialTimeout: 2 * time.Second, ReadTimeout: 5 * time.Second,
		MaxRetries: 2, PoolSize: 1, ConnMaxLifetime: 200 * time.Millisecond})
	t.Cleanup(func() { fc.Close() })
	if err := fc.Set(ctx, "k0", "v0", 0).Err(); err != nil {
		t.Fatalf("SET through s1: %v", err)
	}

	announced := time.Now()
	for i := range 3 {
		runID := strings.Repeat(strconv.Itoa(7+i), 40)
		hello := fmt.Sprintf("127.0.0.1,%d,%s,0,%s,127.0.0.1,%d,0", realredis.FreePort(t), runID, masterName, top.Master.Port())
		if err := s1.Client.Publish(ctx, "__sentinel__:hello", hello).Err(); err != nil {
			t.Fatal(err)
		}
	}
	rec.waitEventAfter(t, downAfter+5*time.Second, announced, "+minority", hasPrefix("master "+masterName+" "))
	if _, err := s1.Client.Do(ctx, "SENTINEL", "GET-MASTER-ADDR-BY-NAME", masterName).StringSlice(); err == nil || err.Error() != refusalOf(3, 6) {
		t.Fatalf("s1: %v, want %q", err, refusalOf(3, 6))
	}
	for _, p := range group[1:] {
		if got, err := p.Client.Do(ctx, "SENTINEL", "GET-MASTER-ADDR-BY-NAME", masterName).StringSlice(); err != nil ||
			got[1] != strconv.Itoa(top.Master.Port()) {
			t.Fatalf("%s: %v, %v", p, got, err)
		}
	}

	// The pooled connection has outlived ConnMaxLifetime: the next command dials, asks s1
	// first (the sentinel in use), is refused, and asks all it discovered.
	time.Sleep(300 * time.Millisecond) // the lifetime itself is what is tested
	for i := range 5 {
		if err := fc.Set(ctx, fmt.Sprintf("k%d", i+1), "v", 0).Err(); err != nil {
			t.Fatalf("SET %d after s1 refused: %v\ngo-redis log:\n%s", i+1, err, logs)
		}
	}
	if !strings.Contains(logs.String(), "failed: "+refusalOf(3, 6)) {
		t.Errorf("go-redis never logged s1's refusal:\n%s", logs)
	}
	if v, err := dial(t, top.Master.Addr()).Get(ctx, "k5").Result(); err != nil || v != "v" {
		t.Errorf("GET k5 on the master = %q, %v", v, err)
	}
}

// stderrLogger is go-redis's default logger again.
type stderrLogger struct{ l *log.Logger }

func (s stderrLogger) Printf(_ context.Context, format string, v ...any) {
	_ = s.l.Output(2, fmt.Sprintf(format, v...))
}
