package bench

import (
	"context"
	"crypto/tls"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/redis/go-redis/v9/logging"
	"github.com/sentinel-go/sentinel/e2e/realredis"
	"github.com/sentinel-go/sentinel/internal/tlstest"
)

const (
	// failoverDownAfter and failoverTimeout are both sides' down-after-milliseconds (by
	// default; SENTINEL_BENCH_FAILOVER_DOWN_AFTER sets another) and failover-timeout. The
	// failover timeout only matters on the slow paths (a split vote is retried 2 ×
	// failover-timeout later), which a round should not wait minutes for.
	failoverDownAfter = time.Second
	failoverTimeout   = 6 * time.Second
	// failoverRounds is how many rounds each side gets by default; the medians are kept.
	failoverRounds = 5
	// failoverRoundLimit bounds the wait, from the kill, for both measurements: several
	// split votes' worth.
	failoverRoundLimit = 60 * time.Second
	// failoverTarget is issue's target: ours at most half of redis-sentinel's time, on both
	// metrics.
	failoverTarget = 0.5
	// benchKey is the key the client writes its counter to.
	benchKey = "bench-failover-counter"
)

// failoverResult is one round: one side's three sentinels fail one master over.
type failoverResult struct {
	side     string
	toSwitch time.Duration // kill → the first +switch-master any subscriber received
	toWrite  time.Duration // kill → the first write the new master acknowledged
	promoted string        // which replica, "r1" or "r2"
	failed   int           // writes that failed in between
}

// TestBenchFailover measures how fast a failover completes, for a client: three sentinels
// of one side watch a redis-server master with two replicas, a go-redis FailoverClient
// writes a counter about once a millisecond, and the master is killed with SIGKILL. Each
// round measures the time from the kill to the first +switch-master seen by a subscriber
// on any of the sentinels, and to the first write acknowledged by the new master through
// the FailoverClient. Rounds alternate between the sides on a fresh topology, and the table
// shows the medians and the ratio ours / redis-sentinel; the target is at most 0.5x on
// both. Missing the target is reported, not failed; a round that cannot be measured fails.
//
// With SENTINEL_BENCH_FAILOVER_TLS=1 everything runs over TLS only: the redis-servers and
// the sentinels listen on a tls-port with port 0, replicate and link with tls-replication
// yes and want client certificates, which the FailoverClient presents.
func TestBenchFailover(t *testing.T) {
	needBenchEnv(t)
	sides := sentinelOptions(t).sides
	var x *realredis.TLS
	switch v := os.Getenv("SENTINEL_BENCH_FAILOVER_TLS"); v {
	case "", "0":
	case "1":
		c := tlstest.NewT(t)
		x = &realredis.TLS{CertFile: c.Files.Cert, KeyFile: c.Files.Key, CAFile: c.Files.CA, Client: c.Client}
	default:
		t.Fatalf("SENTINEL_BENCH_FAILOVER_TLS=%q: want 1 or 0", v)
	}
	rounds := failoverRounds
	if testing.Short() {
		rounds = 2
	}
	if v := os.Getenv("SENTINEL_BENCH_FAILOVER_ROUNDS"); v != "" {
		n, err := strconv.Atoi(strings.TrimSpace(v))
		if err != nil || n < 1 {
			t.Fatalf("SENTINEL_BENCH_FAILOVER_ROUNDS=%q: want a positive integer", v)
		}
		rounds = n
	}
	downAfter := failoverDownAfter
	if v := os.Getenv("SENTINEL_BENCH_FAILOVER_DOWN_AFTER"); v != "" {
		d, err := time.ParseDuration(strings.TrimSpace(v))
		if err != nil || d < time.Millisecond || d%time.Millisecond != 0 {
			t.Fatalf("SENTINEL_BENCH_FAILOVER_DOWN_AFTER=%q: want a whole number of milliseconds such as 200ms", v)
		}
		downAfter = d
	}
	bins := sentinelBinaries(t, sides)
	lookTool(t, "redis-server")
	// go-redis logs every failed dial of the FailoverClient, hundreds per round while the
	// master is dead; the rounds count the failures instead.
	redis.SetLogger(&logging.VoidLogger{})

	var results []failoverResult
	for i := range rounds {
		for _, side := range sides {
			t.Run(fmt.Sprintf("round-%d-%s", i+1, side), func(t *testing.T) {
				r := failoverRound(t, side, bins[side], downAfter, x)
				results = append(results, r)
				t.Logf("%s: +switch-master %v after the kill, first write on the new master (%s) %v after it, %d writes failed in between",
					side, r.toSwitch.Round(time.Millisecond), r.promoted, r.toWrite.Round(time.Millisecond), r.failed)
			})
		}
	}
	report := failoverTable(sides, results, downAfter, x != nil)
	t.Log("\n" + report)
	fmt.Println(report)
}

// failoverTable renders the rounds and the medians as Markdown.
func failoverTable(sides []string, results []failoverResult, downAfter time.Duration, overTLS bool) string {
	ms := func(d time.Duration) string { return fmt.Sprintf("%.0f", float64(d)/float64(time.Millisecond)) }
	var rows [][]string
	for i, r := range results {
		rows = append(rows, []string{fmt.Sprintf("round %d, %s", i/len(sides)+1, r.side), ms(r.toSwitch), ms(r.toWrite),
			r.promoted, strconv.Itoa(r.failed)})
	}
	rounds := markdownTable([]string{"round", "kill → +switch-master ms", "kill → first write ms", "promoted", "failed writes"}, rows...)

	// Per side: the medians and the maxima of both metrics, in the order of the rows below.
	medians := map[string][4]float64{}
	for _, side := range sides {
		var sw, wr []float64
		for _, r := range results {
			if r.side == side {
				sw = append(sw, float64(r.toSwitch)/float64(time.Millisecond))
				wr = append(wr, float64(r.toWrite)/float64(time.Millisecond))
			}
		}
		if len(sw) > 0 {
			medians[side] = [4]float64{medianOf(sw), medianOf(wr), slices.Max(sw), slices.Max(wr)}
		}
	}
	title := fmt.Sprintf("median of %d rounds, down-after %v", len(results)/max(1, len(sides)), downAfter)
	if overTLS {
		title += ", all TLS"
	}
	header := []string{title,
		"ours ms", "redis-sentinel ms", "ratio ours / redis", fmt.Sprintf("target ≤ %.1fx", failoverTarget)}
	o, ok1 := medians[sideOurs]
	r, ok2 := medians[sideRedis]
	var summary [][]string
	for i, metric := range []string{"kill → first +switch-master", "kill → first write on the new master",
		"max: kill → first +switch-master", "max: kill → first write"} {
		row := []string{metric, "", "", "", ""}
		if ok1 {
			row[1] = fmt.Sprintf("%.0f", o[i])
		}
		if ok2 {
			row[2] = fmt.Sprintf("%.0f", r[i])
		}
		if ok1 && ok2 {
			ratio := o[i] / r[i]
			row[3] = fmt.Sprintf("%.2fx", ratio)
			if i < 2 { // the target is on the medians; the maxima show the outliers
				row[4] = verdict(ratio <= failoverTarget)
			}
		}
		summary = append(summary, row)
	}
	return markdownTable(header, summary...) + "\n" + rounds
}

// failoverRound runs one round for one side at the given down-after-milliseconds, over TLS
// only with x, and stops everything it started before it returns (its t is a subtest's).
func failoverRound(t *testing.T, side, bin string, downAfter time.Duration, x *realredis.TLS) failoverResult {
	// The data side: Debian's redis-server, the same for both sides. Without the 5 s
	// diskless-sync delay (Redis's own sentinel tests set it to 0 too) the topology links
	// up at once.
	base := []string{"--repl-diskless-sync-delay", "0"}
	startServer := func(args ...string) *realredis.Server {
		if x != nil {
			return realredis.StartServerTLS(t, 10*time.Second, *x, args...)
		}
		return realredis.StartServer(t, 10*time.Second, args...)
	}
	var tc *tls.Config // the clients' TLS; nil: plaintext
	if x != nil {
		tc = x.Client
	}
	master := startServer(base...)
	var replicas [2]*realredis.Server
	for i := range replicas {
		replicas[i] = startServer(append(slices.Clone(base), "--replicaof", "127.0.0.1", strconv.Itoa(master.Port))...)
	}
	mc, r1c, r2c := client(t, master.Addr, tc), client(t, replicas[0].Addr, tc), client(t, replicas[1].Addr, tc)
	waitUntil(t, 10*time.Second, "both replicas linked up", func() bool {
		return infoField(mc, "replication", "connected_slaves") == "2" &&
			infoField(r1c, "replication", "master_link_status") == "up" &&
			infoField(r2c, "replication", "master_link_status") == "up"
	})

	// Three sentinels, the same sentinel.conf for both sides.
	var sentinels []*redis.Client
	var addrs []string
	var procs []*realredis.Process
	for range 3 {
		port := realredis.FreePort(t)
		dir := t.TempDir()
		conf := filepath.Join(dir, "sentinel.conf")
		listen := fmt.Sprintf("port %d\n", port)
		if x != nil {
			listen = x.Lines(port)
		}
		body := fmt.Sprintf("%sbind 127.0.0.1\ndir %s\n"+
			"sentinel monitor mymaster 127.0.0.1 %d 2\n"+
			"sentinel down-after-milliseconds mymaster %d\n"+
			"sentinel failover-timeout mymaster %d\n",
			listen, dir, master.Port, downAfter.Milliseconds(), failoverTimeout.Milliseconds())
		if err := os.WriteFile(conf, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		addr := "127.0.0.1:" + strconv.Itoa(port)
		p := realredis.Start(t, dir, bin, conf)
		var err error
		if x != nil {
			err = p.WaitAnsweringTLS(addr, x.Client, 10*time.Second)
		} else {
			err = p.WaitAnswering("tcp", addr, 10*time.Second)
		}
		if err != nil {
			t.Fatalf("%s sentinel: %v", side, err)
		}
		sentinels = append(sentinels, client(t, addr, tc))
		addrs = append(addrs, addr)
		procs = append(procs, p)
	}
	waitUntil(t, 30*time.Second, "every sentinel to know both replicas and both other sentinels, links up, no TILT", func() bool {
		for _, s := range sentinels {
			m, err := s.Do(t.Context(), "SENTINEL", "MASTER", "mymaster").Slice()
			if err != nil {
				return false
			}
			f := pairs(m)
			if f["flags"] != "master" || f["num-slaves"] != "2" || f["num-other-sentinels"] != "2" {
				return false
			}
			reps, err := s.Do(t.Context(), "SENTINEL", "REPLICAS", "mymaster").Slice()
			if err != nil || len(reps) != 2 {
				return false
			}
			for _, r := range reps {
				rf, _ := r.([]any)
				if f := pairs(rf); f["master-link-status"] != "ok" || f["flags"] != "slave" {
					return false
				}
			}
			if infoField(s, "sentinel", "sentinel_tilt") != "0" {
				return false
			}
		}
		return true
	})

	// A subscriber on every sentinel; the first +switch-master anywhere counts.
	var mu sync.Mutex
	var switched time.Time
	var switchPayload string
	for i, s := range sentinels {
		sub := s.Subscribe(t.Context(), "+switch-master")
		if _, err := sub.Receive(t.Context()); err != nil {
			t.Fatalf("SUBSCRIBE +switch-master on %s: %v", addrs[i], err)
		}
		ch := sub.Channel()
		done := make(chan struct{})
		go func() {
			defer close(done)
			for msg := range ch {
				at := time.Now()
				mu.Lock()
				if switched.IsZero() {
					switched, switchPayload = at, msg.Payload
				}
				mu.Unlock()
			}
		}()
		t.Cleanup(func() { sub.Close(); <-done })
	}

	w := startBenchWriter(t, addrs, tc)
	waitUntil(t, 10*time.Second, "100 writes through the FailoverClient", func() bool { return w.ackedAfter(time.Time{}) >= 100 })

	killed := time.Now()
	master.Stop() // SIGKILL
	var firstWrite time.Time
	waitUntil(t, failoverRoundLimit, "+switch-master and a write acknowledged by the new master", func() bool {
		mu.Lock()
		defer mu.Unlock()
		firstWrite = w.firstNewMasterAck(killed)
		return !switched.IsZero() && !firstWrite.IsZero()
	})
	last, failed, err := w.finish()
	if err != nil {
		t.Fatal(err)
	}

	// The measurement is only of a failover if one happened: the switch names a replica,
	// which now is a master and holds the last value the client was told was written.
	mu.Lock()
	payload, toSwitch := switchPayload, switched.Sub(killed)
	mu.Unlock()
	prefix := fmt.Sprintf("mymaster 127.0.0.1 %d 127.0.0.1 ", master.Port)
	newPort, err := strconv.Atoi(strings.TrimPrefix(payload, prefix))
	if !strings.HasPrefix(payload, prefix) || err != nil {
		t.Fatalf("+switch-master %q, want %s<port>", payload, prefix)
	}
	res := failoverResult{side: side, toSwitch: toSwitch, toWrite: firstWrite.Sub(killed), failed: failed}
	if toSwitch > slowRound {
		// An outlier is worth its story: the sentinels' logs say which step waited.
		for i, p := range procs {
			t.Logf("%s sentinel %d took %v to switch; its log:\n%s", side, i+1, toSwitch, p.Log())
		}
	}
	var promoted *realredis.Server
	for i, r := range replicas {
		if r.Port == newPort {
			promoted, res.promoted = r, fmt.Sprintf("r%d", i+1)
		}
	}
	if promoted == nil {
		t.Fatalf("+switch-master to :%d, which is neither replica", newPort)
	}
	pc := client(t, promoted.Addr, tc)
	if role := infoField(pc, "replication", "role"); role != "master" {
		t.Errorf("the promoted %s reports role %q", res.promoted, role)
	}
	if v, err := pc.Get(t.Context(), benchKey).Int64(); err != nil || v != last {
		t.Errorf("GET %s on the new master = %d, %v; want the last acknowledged value %d", benchKey, v, err, last)
	}
	return res
}

// slowRound is far beyond any normal round of either side (down-after plus a couple of
// seconds): a round slower than that had an election retry or a stall, and logs why.
const slowRound = 5 * time.Second

// benchWriter writes an increasing counter through go-redis's FailoverClient, about once a
// millisecond, and records when each write was acknowledged.
type benchWriter struct {
	fc         *redis.Client
	stop, done chan struct{}

	mu       sync.Mutex
	acked    []time.Time // when each acknowledged write was acknowledged
	failures []time.Time // when each failed write failed
	last     int64
	stopErr  error
}

func startBenchWriter(t *testing.T, sentinels []string, tc *tls.Config) *benchWriter {
	t.Helper()
	w := &benchWriter{fc: redis.NewFailoverClient(&redis.FailoverOptions{MasterName: "mymaster", SentinelAddrs: sentinels,
		// Short timeouts, no retries and a single dial per attempt: a write to the dead
		// master fails at once and the next one asks the sentinels again.
		DialTimeout: 100 * time.Millisecond, ReadTimeout: 100 * time.Millisecond, WriteTimeout: 100 * time.Millisecond,
		MaxRetries: -1, DialerRetries: 1,
		// After PoolSize failed dials in a row go-redis stops dialing and probes once a
		// second, which would round the measurement up to that probe; a large pool keeps
		// that breaker out of reach during one outage (a few thousand failed dials).
		PoolSize:        100000,
		DisableIdentity: true, TLSConfig: tc}),
		stop: make(chan struct{}), done: make(chan struct{})}
	go w.run()
	t.Cleanup(func() {
		w.finish()
		w.fc.Close()
	})
	return w
}

func (w *benchWriter) run() {
	defer close(w.done)
	tick := time.NewTicker(time.Millisecond)
	defer tick.Stop()
	var stopBy time.Time
	for n := int64(1); ; n++ {
		ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
		err := w.fc.Set(ctx, benchKey, n, 0).Err()
		cancel()
		at := time.Now()
		w.mu.Lock()
		if err == nil {
			w.acked = append(w.acked, at)
			w.last = n
		} else {
			w.failures = append(w.failures, at)
		}
		w.mu.Unlock()
		// Asked to stop, it ends on an acknowledged write, so that the value stored is the
		// last one acknowledged.
		if !stopBy.IsZero() {
			if err == nil {
				return
			}
			if at.After(stopBy) {
				w.mu.Lock()
				w.stopErr = fmt.Errorf("no write acknowledged in the 10 s after stopping: %w", err)
				w.mu.Unlock()
				return
			}
		}
		select {
		case <-w.stop:
			if stopBy.IsZero() {
				stopBy = time.Now().Add(10 * time.Second)
			}
		case <-tick.C:
		}
	}
}

// finish stops the writer and returns the last acknowledged value, the number of failed
// writes, and why it could not stop on an acknowledged write. It may be called again.
func (w *benchWriter) finish() (last int64, failed int, err error) {
	select {
	case <-w.stop:
	default:
		close(w.stop)
	}
	<-w.done
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.last, len(w.failures), w.stopErr
}

func (w *benchWriter) ackedAfter(at time.Time) int {
	w.mu.Lock()
	defer w.mu.Unlock()
	n := 0
	for _, a := range w.acked {
		if a.After(at) {
			n++
		}
	}
	return n
}

// firstNewMasterAck is when the new master acknowledged its first write after a kill at
// killed; zero if it has not yet. A write acknowledged just after the kill may still be
// the old master's, whose reply was on its way when it died, so it is the first write
// acknowledged after the first failed one: the old connection failed, and every
// connection dialled after that leads to a live master, which can only be the new one.
func (w *benchWriter) firstNewMasterAck(killed time.Time) time.Time {
	w.mu.Lock()
	defer w.mu.Unlock()
	return firstAckAfterFailure(w.acked, w.failures, killed)
}

// firstAckAfterFailure returns the first of acked after the first of failures after at;
// both are ascending. Zero if there is none.
func firstAckAfterFailure(acked, failures []time.Time, at time.Time) time.Time {
	i := slices.IndexFunc(failures, func(f time.Time) bool { return f.After(at) })
	if i < 0 {
		return time.Time{}
	}
	j := slices.IndexFunc(acked, func(a time.Time) bool { return a.After(failures[i]) })
	if j < 0 {
		return time.Time{}
	}
	return acked[j]
}

// client opens a go-redis client, over TLS with tc set, that the test closes at its end.
func client(t *testing.T, addr string, tc *tls.Config) *redis.Client {
	t.Helper()
	c := redis.NewClient(&redis.Options{Addr: addr, Protocol: 2, DisableIdentity: true, MaxRetries: -1,
		DialTimeout: time.Second, ReadTimeout: 2 * time.Second, TLSConfig: tc})
	t.Cleanup(func() { c.Close() })
	return c
}

// infoField is one field of an INFO section; "" when the server does not answer.
func infoField(c *redis.Client, section, field string) string {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	s, err := c.Info(ctx, section).Result()
	if err != nil {
		return ""
	}
	for line := range strings.SplitSeq(s, "\r\n") {
		if v, ok := strings.CutPrefix(line, field+":"); ok {
			return v
		}
	}
	return ""
}

// pairs turns a flat [key, value, ...] reply into a map.
func pairs(a []any) map[string]string {
	m := map[string]string{}
	for i := 0; i+1 < len(a); i += 2 {
		m[fmt.Sprint(a[i])] = fmt.Sprint(a[i+1])
	}
	return m
}

// waitUntil polls cond every 10 ms until it holds, and fails the test after within. The
// measured times are taken where the events happen, not here, so the poll interval does
// not round them.
func waitUntil(t *testing.T, within time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", within, what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
