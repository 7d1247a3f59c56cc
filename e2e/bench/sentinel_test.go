package bench

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/sentinel-go/sentinel/e2e/sentinelbin"
	"github.com/sentinel-go/sentinel/internal/tlstest"
)

const (
	// sentinelWindow is how long CPU time is measured over, once discovery has settled.
	sentinelWindow = 60 * time.Second
	// sentinelReplicas is how many replicas each monitored master has.
	sentinelReplicas = 1
	// sentinelSettleTimeout bounds the wait for discovery and for a TILT to end: redis-sentinel
	// needs about 20 s to discover 1000 replicas (it rewrites its config file, with an fsync,
	// after each one), which blocks it long enough to enter TILT, which lasts 30 s.
	sentinelSettleTimeout = 3 * time.Minute
	// sentinelBenchRequests and sentinelBenchClients are redis-benchmark's -n and -c for the
	// GET-MASTER-ADDR-BY-NAME throughput.
	sentinelBenchRequests = 200000
	sentinelBenchClients  = 50
)

// sentinelSides are the two daemons compared, by the name the table shows.
const (
	sideOurs  = "ours"
	sideRedis = "redis-sentinel"
)

// sentinelBenchOptions are the sentinel benchmark's parameters: the defaults make the full
// run, the environment (and -short) make a quicker one while developing.
type sentinelBenchOptions struct {
	window   time.Duration
	masters  []int
	replicas int
	rounds   int      // redis-benchmark runs per sentinel; the median is kept
	sides    []string // in the order of the first topology; later topologies alternate
	perf     string   // if set, `perf record` our sentinel into <perf>-<N>.data and <perf>-<N>-throughput.data
	pprof    string   // if set, ours is built with -tags pprof and saves profiles into <pprof>-<N>-*.pprof (pprof_test.go)
	// tls, if set, puts everything on TLS but the sentinel's plaintext port: the instances
	// listen on TLS only, the sentinel links to them over TLS (tls-replication yes) and
	// listens on a tls-port too, and each benchmark round runs on both ports.
	tls *tlstest.Configs
}

// sentinelOptions reads SENTINEL_BENCH_WINDOW (a duration), SENTINEL_BENCH_MASTERS (comma
// separated counts), SENTINEL_BENCH_REPLICAS, SENTINEL_BENCH_ROUNDS, SENTINEL_BENCH_SIDES
// ("ours", "redis" or both, comma separated) and SENTINEL_BENCH_PERF (a file prefix).
// -short shortens the defaults to one 10 s window on 100 masters and one benchmark round.
func sentinelOptions(t *testing.T) sentinelBenchOptions {
	t.Helper()
	o := sentinelBenchOptions{window: sentinelWindow, masters: []int{100, 1000}, replicas: sentinelReplicas,
		rounds: benchRounds, sides: []string{sideOurs, sideRedis}}
	if testing.Short() {
		o.window, o.masters, o.rounds = 10*time.Second, []int{100}, 1
	}
	if v := os.Getenv("SENTINEL_BENCH_WINDOW"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			t.Fatalf("SENTINEL_BENCH_WINDOW=%q: want a positive duration such as 10s", v)
		}
		o.window = d
	}
	atoi := func(name, v string, min int) int {
		n, err := strconv.Atoi(strings.TrimSpace(v))
		if err != nil || n < min {
			t.Fatalf("%s=%q: want an integer of at least %d", name, v, min)
		}
		return n
	}
	if v := os.Getenv("SENTINEL_BENCH_MASTERS"); v != "" {
		o.masters = nil
		for f := range strings.SplitSeq(v, ",") {
			o.masters = append(o.masters, atoi("SENTINEL_BENCH_MASTERS", f, 2))
		}
	}
	if v := os.Getenv("SENTINEL_BENCH_REPLICAS"); v != "" {
		o.replicas = atoi("SENTINEL_BENCH_REPLICAS", v, 0)
	}
	if v := os.Getenv("SENTINEL_BENCH_ROUNDS"); v != "" {
		o.rounds = atoi("SENTINEL_BENCH_ROUNDS", v, 1)
	}
	if v := os.Getenv("SENTINEL_BENCH_SIDES"); v != "" {
		o.sides = nil
		for f := range strings.SplitSeq(v, ",") {
			switch strings.TrimSpace(f) {
			case "ours":
				o.sides = append(o.sides, sideOurs)
			case "redis", "redis-sentinel":
				o.sides = append(o.sides, sideRedis)
			default:
				t.Fatalf("SENTINEL_BENCH_SIDES=%q: want ours, redis or both, comma separated", v)
			}
		}
	}
	o.perf = os.Getenv("SENTINEL_BENCH_PERF")
	o.pprof = os.Getenv(pprofEnv)
	return o
}

// sentinelResult is what one sentinel measured while monitoring one topology.
type sentinelResult struct {
	discovery   time.Duration // from start until every master and replica was known
	settled     time.Duration // from start until also out of TILT: when the window opened
	elapsed     time.Duration // the window's actual length
	cpu         time.Duration // user+sys CPU time over the window
	rtCPU       time.Duration // redistest's CPU time over the same window: the load it served
	otherCPU    time.Duration // everything else the machine ran in the window: noise
	hwmKB       int64         // VmHWM at the end of the window
	rssKB       int64         // VmRSS at the end of the window
	rps         float64       // GET-MASTER-ADDR-BY-NAME requests per second, median of the rounds
	rpsRounds   []float64
	tlsRPS      float64 // the same over TLS (with o.tls), median of the rounds
	tlsRounds   []float64
	tiltSeen    bool // TILT was entered before the window (it had ended when the window opened)
	perfProfile string
}

// TestBenchSentinel is issue #3's benchmark: one sentinel monitoring N masters hosted by one
// redistest process, ours against redis-sentinel 7.0.15 with the same sentinel.conf, one
// after the other against the same instances. For each it measures the CPU time and memory
// of steady monitoring after discovery, then the throughput of SENTINEL
// GET-MASTER-ADDR-BY-NAME under redis-benchmark.
func TestBenchSentinel(t *testing.T) {
	needBenchEnv(t)
	benchSentinel(t, sentinelOptions(t))
}

// TestBenchSentinelTLS is TestBenchSentinel over TLS, on 100 masters unless
// SENTINEL_BENCH_MASTERS says otherwise: the window measures monitoring over TLS links, and
// the throughput rounds alternate between the plaintext port and the tls-port
// (redis-benchmark --tls, with a client certificate), so each side's TLS cost is measured
// under the same conditions as its plaintext rate. The target is that TLS costs ours no
// more, relatively, than it costs redis-sentinel: ours' TLS / plaintext rate at least
// redis-sentinel's.
func TestBenchSentinelTLS(t *testing.T) {
	needBenchEnv(t)
	o := sentinelOptions(t)
	if os.Getenv("SENTINEL_BENCH_MASTERS") == "" {
		o.masters = []int{100}
	}
	o.tls = tlstest.NewT(t)
	benchSentinel(t, o)
}

func benchSentinel(t *testing.T, o sentinelBenchOptions) {
	t.Helper()
	bins := sentinelBinaries(t, o.sides)
	benchBin := lookTool(t, "redis-benchmark")
	redistestBin, err := buildRedistest()
	if err != nil {
		t.Fatal(err)
	}
	// A rough lower bound of the run's length, so a too short go test -timeout fails now
	// rather than after minutes, with a panic instead of a table.
	var expect time.Duration
	for _, n := range o.masters {
		perSide := o.window + 30*time.Second + time.Duration(o.rounds)*10*time.Second + time.Duration(n)*60*time.Millisecond
		if o.tls != nil {
			perSide += time.Duration(o.rounds) * 10 * time.Second
		}
		expect += time.Duration(len(o.sides)) * perSide
	}
	if dl, ok := t.Deadline(); ok && time.Until(dl) < expect {
		t.Fatalf("this run takes about %v, more than go test's -timeout leaves (%v): pass -timeout 30m",
			expect.Round(time.Minute), time.Until(dl).Round(time.Second))
	}
	total := time.Duration(len(o.masters)*len(o.sides)) * (o.window + 2*time.Minute + sentinelSettleTimeout)
	ctx, cancel := context.WithTimeout(t.Context(), total)
	defer cancel()
	t.Logf("window %v, masters %v with %d replica(s) each, %d redis-benchmark round(s), sides %v, TLS %v",
		o.window, o.masters, o.replicas, o.rounds, o.sides, o.tls != nil)

	header := []string{fmt.Sprintf("masters × (1+replicas), %v window", o.window), "discovery s",
		"CPU s", "CPU % of a core", "VmHWM MiB", "VmRSS MiB", "GET-MASTER-ADDR req/s", "other load, % of a core"}
	if o.tls != nil {
		header[0] += ", TLS links"
		header = append(header, "TLS req/s", "TLS / plaintext")
	}
	var rtFlags []string
	if o.tls != nil {
		rtFlags = []string{"-tls-cert-file", o.tls.Files.Cert, "-tls-key-file", o.tls.Files.Key, "-tls-ca-cert-file", o.tls.Files.CA}
	}
	var rows [][]string
	for i, n := range o.masters {
		sides := slices.Clone(o.sides)
		if i%2 == 1 {
			slices.Reverse(sides) // alternate who goes first, so neither always gets a fresh machine
		}
		results := map[string]sentinelResult{}
		t.Run(fmt.Sprintf("masters=%d", n), func(t *testing.T) {
			rt := startRedistest(ctx, t, redistestBin, n, o.replicas, rtFlags...)
			t.Logf("redistest: %d masters, %d replicas each, PID %d", n, o.replicas, rt.Process.Pid)
			for _, side := range sides {
				r := measureSentinel(ctx, t, side, bins[side], benchBin, rt, o)
				results[side] = r
				t.Logf("%s on %d masters: discovery %.1fs, settled %.1fs (TILT seen: %v), CPU %.2fs over %.1fs (redistest %.2fs, rest of the machine %.2fs), VmHWM %d KiB, VmRSS %d KiB, %.0f req/s (rounds %.0f)",
					side, n, r.discovery.Seconds(), r.settled.Seconds(), r.tiltSeen, r.cpu.Seconds(), r.elapsed.Seconds(),
					r.rtCPU.Seconds(), r.otherCPU.Seconds(), r.hwmKB, r.rssKB, r.rps, r.rpsRounds)
				if busy := r.otherCPU.Seconds() / r.elapsed.Seconds(); busy > 0.2 {
					t.Logf("%s on %d masters: other processes kept %.0f%% of a core busy during the window; its numbers, above all the throughput, are less reliable",
						side, n, 100*busy)
				}
				if r.perfProfile != "" {
					t.Logf("perf profiles of our sentinel (its CPU above includes perf's sampling): perf report -i %s (the window), %s (the throughput runs)",
						r.perfProfile, strings.TrimSuffix(r.perfProfile, ".data")+"-throughput.data")
				}
			}
		})
		label := fmt.Sprintf("%d × (1+%d)", n, o.replicas)
		for _, side := range o.sides {
			if r, ok := results[side]; ok {
				row := []string{label + ", " + side, fmt.Sprintf("%.1f", r.discovery.Seconds()),
					fmt.Sprintf("%.2f", r.cpu.Seconds()), fmt.Sprintf("%.1f", 100*r.cpu.Seconds()/r.elapsed.Seconds()),
					fmt.Sprintf("%.1f", float64(r.hwmKB)/1024), fmt.Sprintf("%.1f", float64(r.rssKB)/1024),
					fmt.Sprintf("%.0f", r.rps), fmt.Sprintf("%.0f", 100*r.otherCPU.Seconds()/r.elapsed.Seconds())}
				if o.tls != nil {
					row = append(row, fmt.Sprintf("%.0f", r.tlsRPS), fmt.Sprintf("%.2fx", r.tlsRPS/r.rps))
				}
				rows = append(rows, row)
			}
		}
		ours, ok1 := results[sideOurs]
		real, ok2 := results[sideRedis]
		if ok1 && ok2 {
			// CPU is compared per second of window, in case the two windows differ by a tick.
			cpuRatio := (ours.cpu.Seconds() / ours.elapsed.Seconds()) / (real.cpu.Seconds() / real.elapsed.Seconds())
			row := []string{label + ", ratio ours / redis", fmt.Sprintf("%.2fx", ours.discovery.Seconds()/real.discovery.Seconds()),
				fmt.Sprintf("%.2fx", cpuRatio), "",
				fmt.Sprintf("%.2fx", float64(ours.hwmKB)/float64(real.hwmKB)),
				fmt.Sprintf("%.2fx", float64(ours.rssKB)/float64(real.rssKB)),
				fmt.Sprintf("%.2fx", ours.rps/real.rps), ""}
			// Issue #12's targets: CPU ≤ 0.7x at any size, peak RSS ≤ 1.5x at 100 masters
			// and ≤ 2.5x at 1000 (Go's runtime alone is ~10 MiB, which weighs on few masters).
			rssRatio, rssTarget := float64(ours.hwmKB)/float64(real.hwmKB), 1.5
			if n >= 1000 {
				rssTarget = 2.5
			}
			t.Logf("%d masters: CPU %.2fx (target ≤ 0.7x: %s), peak RSS %.2fx (target ≤ %.1fx: %s), throughput %.2fx (target ≥ 1.0x: %s)", n,
				cpuRatio, verdict(cpuRatio <= 0.7), rssRatio, rssTarget, verdict(rssRatio <= rssTarget), ours.rps/real.rps, verdict(ours.rps >= real.rps))
			if o.tls != nil {
				// Ours' TLS / plaintext over redis-sentinel's: at least 1 when TLS costs ours
				// no more, relatively, than it costs redis-sentinel.
				cost := (ours.tlsRPS / ours.rps) / (real.tlsRPS / real.rps)
				row = append(row, fmt.Sprintf("%.2fx", ours.tlsRPS/real.tlsRPS), fmt.Sprintf("%.2fx", cost))
				t.Logf("%d masters: TLS throughput %.2fx beside plaintext %.2fx; TLS keeps %.0f%% of ours' plaintext rate, %.0f%% of redis-sentinel's (target: TLS costs ours no more: %s)",
					n, ours.tlsRPS/real.tlsRPS, ours.rps/real.rps, 100*ours.tlsRPS/ours.rps, 100*real.tlsRPS/real.rps, verdict(cost >= 1))
			}
			rows = append(rows, row)
		}
	}
	if len(rows) > 0 {
		t.Log("\nlower is better for discovery, CPU and memory; higher for req/s. Other load: the machine's busy time\n" +
			"during the window less the sentinel's and redistest's, which should be near 0\n" + markdownTable(header, rows...))
	}
}

func verdict(ok bool) string {
	if ok {
		return "met"
	}
	return "MISSED"
}

// buildSentinel builds ours once, as a user builds it (no race detector unless
// SENTINEL_E2E_RACE=1), like redistest above.
var buildSentinel = sync.OnceValues(func() (string, error) { return sentinelbin.Build(tmpDir, sentinelBuildTags()...) })

// sentinelProc is one sentinel process on a redistest topology (startSentinel).
type sentinelProc struct {
	cmd     *exec.Cmd
	port    int
	addr    string
	logPath string
	out     *os.File // its stdout and stderr
	start   time.Time
}

// startSentinel writes the harness's sentinel.conf into a fresh directory (port, bind,
// dir, logfile, then extra, then a monitor line for each master of rt, quorum 1), starts
// bin on it, with env added to the environment, and waits until it answers PING. The
// caller kills it (kill(p.cmd)); if the test fails, the last lines of its log are printed.
func startSentinel(ctx context.Context, t *testing.T, side, bin string, rt redistestProc, extra string, env ...string) sentinelProc {
	t.Helper()
	dir := t.TempDir()
	port := freePorts(t, 1)[0]
	p := sentinelProc{port: port, addr: net.JoinHostPort("127.0.0.1", strconv.Itoa(port)), logPath: filepath.Join(dir, "sentinel.log")}
	conf := filepath.Join(dir, "sentinel.conf")
	var b strings.Builder
	fmt.Fprintf(&b, "port %d\nbind 127.0.0.1\ndir %s\nlogfile %s\n%s", port, dir, p.logPath, extra)
	for i, a := range rt.addrs {
		_, p, _ := net.SplitHostPort(a)
		fmt.Fprintf(&b, "sentinel monitor m%d 127.0.0.1 %s 1\n", i, p)
	}
	if err := os.WriteFile(conf, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := os.Create(filepath.Join(dir, "sentinel.out"))
	if err != nil {
		t.Fatal(err)
	}
	p.out = out
	t.Cleanup(func() { // before t.TempDir's cleanup removes dir
		out.Close()
		if t.Failed() {
			t.Logf("%s: the last lines of its log (%s, removed with the test's directory):\n%s", side, p.logPath, lastLines(p.logPath, 40))
		}
	})
	p.cmd = exec.Command(bin, conf)
	p.cmd.Dir, p.cmd.Stdout, p.cmd.Stderr = dir, out, out
	if len(env) > 0 {
		p.cmd.Env = append(os.Environ(), env...)
	}
	p.start = time.Now()
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	if err := waitPong(ctx, p.addr, 30*time.Second); err != nil {
		kill(p.cmd)
		t.Fatalf("%s on %s: %v (its log's last lines follow at the end of the test)", side, p.addr, err)
	}
	return p
}

// measureSentinel runs one sentinel against the redistest topology and measures it; the
// sentinel is stopped before it returns, so the next one has the machine to itself.
func measureSentinel(ctx context.Context, t *testing.T, side, bin, benchBin string, rt redistestProc, o sentinelBenchOptions) sentinelResult {
	t.Helper()
	var extra string
	var tlsPort int
	var tlsArgs []string
	if o.tls != nil {
		// Both ports, as a deployment migrating its clients to TLS runs: the plaintext one
		// serves the harness's checks, and the benchmark runs on each.
		tlsPort = freePorts(t, 1)[0]
		extra = fmt.Sprintf("tls-port %d\ntls-cert-file %s\ntls-key-file %s\ntls-ca-cert-file %s\ntls-replication yes\ntls-auth-clients yes\n",
			tlsPort, o.tls.Files.Cert, o.tls.Files.Key, o.tls.Files.CA)
		tlsArgs = []string{"--tls", "--cacert", o.tls.Files.CA, "--cert", o.tls.Files.Cert, "--key", o.tls.Files.Key}
	}
	var env []string
	var pprofAddr string
	if o.pprof != "" && side == sideOurs {
		pprofAddr = net.JoinHostPort("127.0.0.1", strconv.Itoa(freePorts(t, 1)[0]))
		env = append(env, "SENTINEL_PPROF_ADDR="+pprofAddr)
	}
	sp := startSentinel(ctx, t, side, bin, rt, extra, env...)
	defer kill(sp.cmd)
	cmd, port, addr, logPath, out, start := sp.cmd, sp.port, sp.addr, sp.logPath, sp.out, sp.start
	fail := func(format string, args ...any) {
		t.Helper()
		t.Fatalf("%s on %s: %s (its log's last lines follow at the end of the test)", side, addr, fmt.Sprintf(format, args...))
	}
	var r sentinelResult
	discovered, tilt, err := waitSettled(ctx, addr, len(rt.addrs), o.replicas, sentinelSettleTimeout)
	if err != nil {
		fail("%v", err)
	}
	r.discovery, r.settled, r.tiltSeen = discovered.Sub(start), time.Since(start), tilt

	pid, rtPid := cmd.Process.Pid, rt.Process.Pid
	// With SENTINEL_BENCH_PERF, perf samples our sentinel through the window, then through
	// the throughput runs, into two files.
	profiling := o.perf != "" && side == sideOurs
	startPerf := func(file string) *exec.Cmd {
		perf := exec.Command("perf", "record", "-F", "499", "-g", "-p", strconv.Itoa(pid), "-o", file)
		perf.Stdout, perf.Stderr = out, out
		if err := perf.Start(); err != nil {
			fail("perf: %v", err)
		}
		return perf
	}
	stopPerf := func(perf *exec.Cmd) {
		perf.Process.Signal(os.Interrupt) // perf writes its file and exits, reporting the signal
		perf.Wait()
		if file := perf.Args[len(perf.Args)-1]; !fileExists(file) {
			t.Errorf("perf record wrote no %s (its output is in %s)", file, out.Name())
		}
	}
	var perf *exec.Cmd
	if profiling {
		r.perfProfile = fmt.Sprintf("%s-%d.data", o.perf, len(rt.addrs))
		perf = startPerf(r.perfProfile)
		defer kill(perf) // if the window fails; a no-op once stopped
	}
	logStart, err := fileSize(logPath)
	if err != nil {
		t.Fatal(err)
	}
	var pp *pprofRun
	if pprofAddr != "" {
		pp = startPprof(ctx, pprofAddr, fmt.Sprintf("%s-%d", o.pprof, len(rt.addrs)), pid, o.window)
	}
	cpu0, rt0, sys0 := procCPU(t, pid), procCPU(t, rtPid), machineCPU(t)
	t0 := time.Now()
	select {
	case <-time.After(o.window):
	case <-ctx.Done():
		fail("%v", ctx.Err())
	}
	cpu1, rt1, sys1 := procCPU(t, pid), procCPU(t, rtPid), machineCPU(t)
	r.elapsed = time.Since(t0)
	r.cpu, r.rtCPU = cpu1-cpu0, rt1-rt0
	// The machine-wide and per-process counters tick separately: a quiet machine can come
	// out a tick or two below zero.
	r.otherCPU = max(0, sys1-sys0-r.cpu-r.rtCPU)
	var err1, err2 error
	r.hwmKB, err1 = procField(fmt.Sprintf("/proc/%d/status", pid), "VmHWM:")
	r.rssKB, err2 = procField(fmt.Sprintf("/proc/%d/status", pid), "VmRSS:")
	if err := errors.Join(err1, err2); err != nil {
		t.Fatal(err)
	}
	if profiling {
		stopPerf(perf)
	}
	if pp != nil {
		pp.done(ctx, t)
	}

	// The window is only steady monitoring if the view held: nothing went down, nobody
	// was forgotten, no TILT, not even one that ended within the window.
	if events, err := logEvents(logPath, logStart); err != nil {
		t.Fatal(err)
	} else if len(events) > 0 {
		t.Errorf("%s on %s: %d events during the window, the measurement is not of steady monitoring; first: %s",
			side, addr, len(events), strings.Join(events[:min(len(events), 5)], " | "))
	}
	if bad, err := checkView(addr, len(rt.addrs), o.replicas); err != nil {
		fail("after the window: %v", err)
	} else if bad != "" {
		t.Errorf("%s on %s: the view changed during the window, the measurement is not of steady monitoring: %s", side, addr, bad)
	}
	// The benchmarked query must answer the truth, or its speed means nothing.
	if got, err := command(addr, "SENTINEL", "GET-MASTER-ADDR-BY-NAME", "m1"); err != nil {
		fail("GET-MASTER-ADDR-BY-NAME m1: %v", err)
	} else if host, p, _ := net.SplitHostPort(rt.addrs[1]); !slices.Equal(asStrings(got), []string{host, p}) {
		fail("GET-MASTER-ADDR-BY-NAME m1 = %v, want %s", got, rt.addrs[1])
	}
	if profiling {
		perf = startPerf(fmt.Sprintf("%s-%d-throughput.data", o.perf, len(rt.addrs)))
		defer kill(perf)
	}
	if o.tls != nil {
		if err := checkTLSAnswer(ctx, tlsPort, o.tls, rt.addrs[1]); err != nil {
			fail("over TLS: %v", err)
		}
	}
	for range o.rounds {
		r.rpsRounds = append(r.rpsRounds, runSentinelBenchmark(ctx, t, benchBin, port))
		if o.tls != nil {
			r.tlsRounds = append(r.tlsRounds, runSentinelBenchmark(ctx, t, benchBin, tlsPort, tlsArgs...))
		}
	}
	if profiling {
		stopPerf(perf)
	}
	r.rps = medianOf(r.rpsRounds)
	if o.tls != nil {
		r.tlsRPS = medianOf(r.tlsRounds)
	}
	return r
}

// checkTLSAnswer checks that the sentinel's tls-port answers GET-MASTER-ADDR-BY-NAME m1
// with want, as its plaintext port was checked to.
func checkTLSAnswer(ctx context.Context, port int, c *tlstest.Configs, want string) error {
	rc := redis.NewClient(&redis.Options{Addr: net.JoinHostPort("127.0.0.1", strconv.Itoa(port)), TLSConfig: c.Client,
		Protocol: 2, DisableIdentity: true, MaxRetries: -1, DialTimeout: 5 * time.Second, ReadTimeout: 10 * time.Second})
	defer rc.Close()
	got, err := rc.Do(ctx, "SENTINEL", "GET-MASTER-ADDR-BY-NAME", "m1").StringSlice()
	if err != nil {
		return fmt.Errorf("GET-MASTER-ADDR-BY-NAME m1: %w", err)
	}
	if host, p, _ := net.SplitHostPort(want); !slices.Equal(got, []string{host, p}) {
		return fmt.Errorf("GET-MASTER-ADDR-BY-NAME m1 = %v, want %s", got, want)
	}
	return nil
}

// waitSettled polls the sentinel until it knows every master as up, with every replica,
// and is not in TILT. It returns when discovery completed and whether TILT was seen.
func waitSettled(ctx context.Context, addr string, masters, replicas int, timeout time.Duration) (discovered time.Time, tiltSeen bool, err error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	tick := time.NewTicker(500 * time.Millisecond)
	defer tick.Stop()
	var last string
	for {
		bad, err := checkView(addr, masters, replicas)
		if ne, ok := errors.AsType[net.Error](err); ok && ne.Timeout() {
			// Busy, not broken: redis-sentinel answers nothing while it saves its config
			// once per replica discovered, which takes seconds on a real disk.
			bad, err = "no answer: "+err.Error(), nil
		}
		if err != nil {
			return time.Time{}, false, err
		}
		if bad == "" || strings.HasPrefix(bad, "TILT") {
			if discovered.IsZero() {
				discovered = time.Now()
			}
			if bad == "" {
				return discovered, tiltSeen, nil
			}
			tiltSeen = true
		}
		last = bad
		select {
		case <-ctx.Done():
			return time.Time{}, false, fmt.Errorf("not settled within %v: %s", timeout, last)
		case <-tick.C:
		}
	}
}

// checkView returns "" if the sentinel at addr knows exactly the masters m0..m<n-1>, each
// with flags "master" and the given number of replicas, and is not in TILT; otherwise it
// describes what is not so yet. Discovery is checked before TILT, and a report starting
// with "TILT" means discovery is complete.
func checkView(addr string, n, replicas int) (string, error) {
	reply, err := command(addr, "SENTINEL", "MASTERS")
	if err != nil {
		return "", fmt.Errorf("SENTINEL MASTERS: %w", err)
	}
	list, ok := reply.([]any)
	if !ok {
		return "", fmt.Errorf("SENTINEL MASTERS: not an array: %v", reply)
	}
	var notUp, short []string
	for _, m := range list {
		f := asStrings(m)
		fields := map[string]string{}
		for i := 0; i+1 < len(f); i += 2 {
			fields[f[i]] = f[i+1]
		}
		if fields["flags"] != "master" {
			notUp = append(notUp, fields["name"]+" "+fields["flags"])
		}
		if fields["num-slaves"] != strconv.Itoa(replicas) {
			short = append(short, fields["name"]+" "+fields["num-slaves"])
		}
	}
	switch {
	case len(list) != n:
		return fmt.Sprintf("%d masters known, want %d", len(list), n), nil
	case len(notUp) > 0:
		return fmt.Sprintf("%d masters' flags are not \"master\", e.g. %s", len(notUp), notUp[0]), nil
	case len(short) > 0:
		return fmt.Sprintf("%d masters lack %d replicas, e.g. %s", len(short), replicas, short[0]), nil
	}
	info, err := command(addr, "INFO", "sentinel")
	if err != nil {
		return "", fmt.Errorf("INFO sentinel: %w", err)
	}
	s, _ := info.(string)
	if !strings.Contains(s, "sentinel_tilt:") {
		return "", fmt.Errorf("INFO sentinel has no sentinel_tilt: %q", s)
	}
	if strings.Contains(s, "sentinel_tilt:1") {
		return "TILT", nil
	}
	return "", nil
}

// lastLines returns the last n lines of a file, or why it could not be read.
func lastLines(path string, n int) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return err.Error()
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}

func fileExists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// fileSize is a file's length, 0 if it does not exist yet.
func fileSize(path string) (int64, error) {
	fi, err := os.Stat(path)
	if errors.Is(err, os.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	return fi.Size(), nil
}

// steadyBreakers are the events, as both sentinels log them, that mean monitoring was not
// steady: an instance judged down or back, a TILT, a failover or a reconfiguration.
var steadyBreakers = []string{" +sdown ", " -sdown ", " +odown ", " -odown ", " +tilt ", " -tilt ",
	" +reboot ", " +failover-", " +switch-master ", " +convert-to-slave ", " -slave-restart-as-master ",
	" +fix-slave-config ", " +reset-master "}

// logEvents returns the log lines written since offset that report one of steadyBreakers.
func logEvents(path string, offset int64) ([]string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var events []string
	for line := range strings.SplitSeq(string(b[min(offset, int64(len(b))):]), "\n") {
		for _, e := range steadyBreakers {
			if strings.Contains(line, e) {
				events = append(events, line)
				break
			}
		}
	}
	return events, nil
}

// runSentinelBenchmark runs redis-benchmark's GET-MASTER-ADDR-BY-NAME, with extra options
// before the command (its TLS ones), and returns requests per second.
func runSentinelBenchmark(ctx context.Context, t *testing.T, bin string, port int, extra ...string) float64 {
	t.Helper()
	rps, _ := runCommandBenchmark(ctx, t, bin, port, 1, extra, "sentinel", "get-master-addr-by-name", "m1")
	return rps
}

// runCommandBenchmark runs redis-benchmark -c 50 -n 200000 -P pipeline --csv on one
// command, with opts before it, and returns requests per second and the CPU time
// redis-benchmark itself used.
func runCommandBenchmark(ctx context.Context, t *testing.T, bin string, port, pipeline int, opts []string, command ...string) (float64, time.Duration) {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, 3*time.Minute)
	defer cancel()
	test := strings.Join(command, " ")
	args := append([]string{"-h", "127.0.0.1", "-p", strconv.Itoa(port), "-c", strconv.Itoa(sentinelBenchClients),
		"-n", strconv.Itoa(sentinelBenchRequests), "-P", strconv.Itoa(pipeline), "--csv"}, opts...)
	cmd := exec.CommandContext(ctx, bin, append(args, command...)...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("redis-benchmark on port %d: %v\n%s", port, err, stderr.String())
	}
	rps, err := parseBenchmarkCSV(out, test)
	if err != nil {
		t.Fatalf("redis-benchmark on port %d: %v\n%s", port, err, out)
	}
	return rps[test], cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
}

// procCPU is a process's user+system CPU time so far, all threads, from /proc/PID/stat.
func procCPU(t *testing.T, pid int) time.Duration {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		t.Fatal(err)
	}
	// The command name, in parentheses, may hold spaces: fields are counted after it.
	// utime and stime are fields 14 and 15, the 12th and 13th after the name.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		t.Fatalf("/proc/%d/stat: %q", pid, b)
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 13 {
		t.Fatalf("/proc/%d/stat: %q", pid, b)
	}
	var ticks int64
	for _, s := range f[11:13] {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			t.Fatalf("/proc/%d/stat: %q: %v", pid, b, err)
		}
		ticks += n
	}
	// Linux reports clock ticks of USER_HZ, which is 100 on every architecture Go supports.
	return time.Duration(ticks) * 10 * time.Millisecond
}

// machineCPU is the CPU time all cores have spent busy so far (everything but idle and
// iowait), from /proc/stat.
func machineCPU(t *testing.T) time.Duration {
	t.Helper()
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		t.Fatal(err)
	}
	line, _, _ := strings.Cut(string(b), "\n")
	f := strings.Fields(line)
	if len(f) < 6 || f[0] != "cpu" {
		t.Fatalf("/proc/stat: first line %q", line)
	}
	var busy int64
	for i, s := range f[1:] {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			t.Fatalf("/proc/stat: first line %q: %v", line, err)
		}
		// user nice system idle iowait irq softirq steal guest guest_nice; guest time is
		// already counted in user and nice.
		if i != 3 && i != 4 && i < 8 {
			busy += n
		}
	}
	return time.Duration(busy) * 10 * time.Millisecond
}

// command sends one command on a fresh connection and returns the reply: string (simple or
// bulk), int64, []any, nil, or a respError.
func command(addr string, args ...string) (any, error) {
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	var b strings.Builder
	fmt.Fprintf(&b, "*%d\r\n", len(args))
	for _, a := range args {
		fmt.Fprintf(&b, "$%d\r\n%s\r\n", len(a), a)
	}
	if _, err := io.WriteString(c, b.String()); err != nil {
		return nil, err
	}
	v, err := readReply(bufio.NewReader(c))
	if err != nil {
		return nil, err
	}
	if e, ok := v.(respError); ok {
		return nil, e
	}
	return v, nil
}

type respError string

func (e respError) Error() string { return string(e) }

// readReply reads one RESP2 reply.
func readReply(r *bufio.Reader) (any, error) {
	line, err := r.ReadString('\n')
	if err != nil {
		return nil, err
	}
	if len(line) < 3 || !strings.HasSuffix(line, "\r\n") {
		return nil, fmt.Errorf("bad reply line %q", line)
	}
	body := line[1 : len(line)-2]
	switch line[0] {
	case '+':
		return body, nil
	case '-':
		return respError(body), nil
	case ':':
		return strconv.ParseInt(body, 10, 64)
	case '$':
		n, err := strconv.Atoi(body)
		if err != nil || n < -1 {
			return nil, fmt.Errorf("bad bulk length %q", line)
		}
		if n == -1 {
			return nil, nil
		}
		buf := make([]byte, n+2)
		if _, err := io.ReadFull(r, buf); err != nil {
			return nil, err
		}
		return string(buf[:n]), nil
	case '*':
		n, err := strconv.Atoi(body)
		if err != nil || n < -1 {
			return nil, fmt.Errorf("bad array length %q", line)
		}
		if n == -1 {
			return nil, nil
		}
		a := make([]any, n)
		for i := range a {
			if a[i], err = readReply(r); err != nil {
				return nil, err
			}
		}
		return a, nil
	}
	return nil, fmt.Errorf("unknown reply type %q", line)
}

// asStrings returns an array reply's string elements; anything else yields nil.
func asStrings(v any) []string {
	a, ok := v.([]any)
	if !ok {
		return nil
	}
	s := make([]string, 0, len(a))
	for _, e := range a {
		str, ok := e.(string)
		if !ok {
			return nil
		}
		s = append(s, str)
	}
	return s
}

// sentinelBinaries finds or builds the sentinel binary of each side, by side.
func sentinelBinaries(t *testing.T, sides []string) map[string]string {
	t.Helper()
	bins := map[string]string{}
	for _, side := range sides {
		switch side {
		case sideRedis:
			bins[side] = lookTool(t, "redis-sentinel")
		case sideOurs:
			p, err := buildSentinel()
			if err != nil {
				t.Fatalf("%v\n(SENTINEL_BENCH_SIDES=redis runs redis-sentinel alone, to check the harness)", err)
			}
			bins[side] = p
		}
	}
	return bins
}
