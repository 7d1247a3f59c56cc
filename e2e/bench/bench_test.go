package bench

import (
	"bufio"
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
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

	"go.uber.org/goleak"
)

const (
	// idleInstances is how many idle instances each side hosts in the memory benchmark.
	idleInstances = 200
	// settle is how long instances sit idle before their memory is read: long enough for
	// start-up garbage to be collected and the allocators to reach their idle footprint.
	settle = 5 * time.Second
	// benchRequests and benchClients are redis-benchmark's -n and -c.
	benchRequests = 100000
	benchClients  = 50
	// benchRounds is how many times each redis-benchmark run is repeated; on a small machine
	// single runs vary by tens of percent.
	benchRounds = 3
)

var tmpDir string

func TestMain(m *testing.M) {
	code := func() int {
		var err error
		if tmpDir, err = os.MkdirTemp("", "sentinel-bench-"); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		defer os.RemoveAll(tmpDir)
		return m.Run()
	}()
	if code == 0 {
		if err := goleak.Find(); err != nil {
			fmt.Fprintln(os.Stderr, "goleak:", err)
			code = 1
		}
	}
	os.Exit(code)
}

// TestBenchIdleMemory starts idleInstances idle masters of each kind, lets them settle and
// compares their memory: redistest's instances share one process, redis-server's are one
// process each, which is how each is deployed in a test suite.
func TestBenchIdleMemory(t *testing.T) {
	tools := needBench(t)
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Minute)
	defer cancel()

	ours := startRedistest(ctx, t, tools.redistest, idleInstances, 0)
	servers := make([]*exec.Cmd, 0, idleInstances)
	for _, port := range freePorts(t, idleInstances) {
		servers = append(servers, startRedisServer(ctx, t, tools.redisServer, port))
	}
	t.Logf("%d instances of each kind up; settling for %v", idleInstances, settle)
	select {
	case <-time.After(settle):
	case <-ctx.Done():
		t.Fatal(ctx.Err())
	}

	oursMem := readMem(t, ours.Process.Pid)
	var realMem mem
	for _, c := range servers {
		realMem = realMem.add(readMem(t, c.Process.Pid))
	}
	perGiB := func(kb int64) float64 { return float64(idleInstances) / (float64(kb) / (1 << 20)) }
	row := func(name string, procs int, m mem) []string {
		return []string{name, strconv.Itoa(procs),
			fmt.Sprintf("%.1f", float64(m.rssKB)/1024), fmt.Sprintf("%.0f", float64(m.rssKB)/idleInstances),
			fmt.Sprintf("%.0f", perGiB(m.rssKB)),
			fmt.Sprintf("%.1f", float64(m.pssKB)/1024), fmt.Sprintf("%.0f", perGiB(m.pssKB))}
	}
	t.Log("\n" + markdownTable(
		[]string{fmt.Sprintf("%d idle instances", idleInstances), "processes", "RSS MiB", "RSS KiB/instance",
			"instances/GiB (RSS)", "PSS MiB", "instances/GiB (PSS)"},
		row("redistest", 1, oursMem),
		row("redis-server", len(servers), realMem),
		[]string{"ratio redistest / redis-server", "", "", "",
			fmt.Sprintf("%.1fx", perGiB(oursMem.rssKB)/perGiB(realMem.rssKB)), "",
			fmt.Sprintf("%.1fx", perGiB(oursMem.pssKB)/perGiB(realMem.pssKB))}))
}

// TestBenchThroughput runs redis-benchmark against one redistest instance and one
// redis-server, one after the other so they never compete for the CPU, without and with
// pipelining.
func TestBenchThroughput(t *testing.T) {
	tools := needBench(t)
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Minute)
	defer cancel()

	ours := startRedistest(ctx, t, tools.redistest, 1, 0)
	oursAddr := ours.addrs[0]
	realPort := freePorts(t, 1)[0]
	startRedisServer(ctx, t, tools.redisServer, realPort)
	realAddr := net.JoinHostPort("127.0.0.1", strconv.Itoa(realPort))

	rows := [][]string{{fmt.Sprintf("redis-benchmark -c %d -n %d, median of %d", benchClients, benchRequests, benchRounds),
		"redistest req/s", "redis-server req/s", "ratio"}}
	for _, pipeline := range []int{1, 16} {
		// The two servers take turns, round after round, so a slow spell of the machine
		// hits both; the median drops the odd round out.
		var ours, real []map[string]float64
		for range benchRounds {
			ours = append(ours, runBenchmark(ctx, t, tools.redisBenchmark, oursAddr, pipeline))
			real = append(real, runBenchmark(ctx, t, tools.redisBenchmark, realAddr, pipeline))
		}
		for _, test := range []string{"SET", "GET"} {
			o, r := median(ours, test), median(real, test)
			rows = append(rows, []string{fmt.Sprintf("%s -P %d", test, pipeline),
				fmt.Sprintf("%.0f", o), fmt.Sprintf("%.0f", r), fmt.Sprintf("%.2fx", o/r)})
		}
	}
	t.Log("\n" + markdownTable(rows[0], rows[1:]...))
}

type benchTools struct {
	redistest, redisServer, redisBenchmark string
}

// needBench skips unless SENTINEL_BENCH=1, finds the real Redis tools and builds the
// redistest program once per run.
func needBench(t *testing.T) benchTools {
	t.Helper()
	needBenchEnv(t)
	tools := benchTools{redisServer: lookTool(t, "redis-server"), redisBenchmark: lookTool(t, "redis-benchmark")}
	p, err := buildRedistest()
	if err != nil {
		t.Fatal(err)
	}
	tools.redistest = p
	return tools
}

// lookTool finds one of the real Redis programs on PATH. Without it the test skips, or fails
// when REDISTEST_REQUIRE_REAL=1.
func lookTool(t *testing.T, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		msg := fmt.Sprintf("benchmark needs %s (apt-get install redis-server redis-sentinel redis-tools): %v", name, err)
		if os.Getenv("REDISTEST_REQUIRE_REAL") == "1" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	return p
}

// needBenchEnv skips unless SENTINEL_BENCH=1.
func needBenchEnv(t *testing.T) {
	t.Helper()
	if os.Getenv("SENTINEL_BENCH") != "1" {
		t.Skip("benchmark: set SENTINEL_BENCH=1 to run (takes minutes, starts hundreds of processes)")
	}
}

var buildRedistest = sync.OnceValues(func() (string, error) {
	out := filepath.Join(tmpDir, "redistest")
	// The program is built as a user builds it, without -race or coverage even if this test
	// runs with them, so the numbers are redistest's and not the instrumentation's.
	cmd := exec.Command("go", "build", "-o", out,
		"github.com/sentinel-go/sentinel/e2e/redistest/cmd/redistest")
	if b, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("building redistest: %v\n%s", err, b)
	}
	return out, nil
})

// redistestProc is a running redistest program and the addresses it printed.
type redistestProc struct {
	*exec.Cmd
	addrs []string
}

// startRedistest runs the redistest program with n masters, each with the given number of
// replicas, and extra flags (its TLS ones), and waits for its "ready": every instance
// listens and every replica is linked.
func startRedistest(ctx context.Context, t *testing.T, bin string, n, replicas int, extra ...string) redistestProc {
	t.Helper()
	cmd, out := runRedistest(ctx, t, bin, append([]string{"-masters", strconv.Itoa(n), "-replicas", strconv.Itoa(replicas)}, extra...)...)
	var addrs []string
	for line := range strings.SplitSeq(out, "\n") {
		if addr, ok := strings.CutPrefix(line, "master "); ok {
			addrs = append(addrs, addr)
		}
	}
	if len(addrs) != n {
		t.Fatalf("redistest printed %d masters, want %d:\n%s", len(addrs), n, out)
	}
	return redistestProc{Cmd: cmd, addrs: addrs}
}

// runRedistest runs the redistest program with args (and -port 0 -quiet), waits for its
// "ready" and returns it with what it printed; the test kills it by PID at its end.
func runRedistest(ctx context.Context, t *testing.T, bin string, args ...string) (*exec.Cmd, string) {
	t.Helper()
	out := &lineWatcher{want: "ready", seen: make(chan struct{})}
	cmd := exec.Command(bin, append([]string{"-port", "0", "-quiet"}, args...)...)
	cmd.Stdout = out
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { kill(cmd) })
	select {
	case <-out.seen:
	case <-time.After(time.Minute):
		t.Fatalf("redistest %s: no ready within a minute; output so far:\n%s", strings.Join(args, " "), out.String())
	case <-ctx.Done():
		t.Fatal(ctx.Err())
	}
	return cmd, out.String()
}

// startRedisServer runs one redis-server with persistence off and waits until it answers.
func startRedisServer(ctx context.Context, t *testing.T, bin string, port int) *exec.Cmd {
	t.Helper()
	dir := t.TempDir()
	cmd := exec.Command(bin, "--port", strconv.Itoa(port), "--bind", "127.0.0.1",
		"--save", "", "--appendonly", "no", "--dir", dir, "--logfile", filepath.Join(dir, "redis.log"))
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { kill(cmd) })
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	if err := waitPong(ctx, addr, 30*time.Second); err != nil {
		t.Fatalf("redis-server on %s: %v (log in %s)", addr, err, dir)
	}
	return cmd
}

// kill stops a process we started, by its PID, and reaps it.
func kill(cmd *exec.Cmd) {
	cmd.Process.Kill()
	cmd.Wait()
}

// waitPong polls addr with PING until it answers +PONG.
func waitPong(ctx context.Context, addr string, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	var err error
	for {
		if err = ping(addr); err == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("no PONG within %v: %w", timeout, err)
		case <-tick.C:
		}
	}
}

func ping(addr string) error {
	c, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(time.Second))
	if _, err := c.Write([]byte("PING\r\n")); err != nil {
		return err
	}
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil {
		return err
	}
	if line != "+PONG\r\n" {
		return fmt.Errorf("PING: %q", line)
	}
	return nil
}

// runBenchmark runs redis-benchmark's SET and GET tests and returns requests per second by
// test name.
func runBenchmark(ctx context.Context, t *testing.T, bin, addr string, pipeline int) map[string]float64 {
	t.Helper()
	host, port, _ := net.SplitHostPort(addr)
	ctx, cancel := context.WithTimeout(ctx, 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "-h", host, "-p", port, "-c", strconv.Itoa(benchClients),
		"-n", strconv.Itoa(benchRequests), "-t", "set,get", "-P", strconv.Itoa(pipeline), "--csv")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("redis-benchmark on %s -P %d: %v\n%s", addr, pipeline, err, stderr.String())
	}
	rps, err := parseBenchmarkCSV(out, "SET", "GET")
	if err != nil {
		t.Fatalf("redis-benchmark on %s -P %d: %v\n%s", addr, pipeline, err, out)
	}
	return rps
}

// median is the median of the test's requests per second over the rounds.
func median(rounds []map[string]float64, test string) float64 {
	v := make([]float64, len(rounds))
	for i, r := range rounds {
		v[i] = r[test]
	}
	return medianOf(v)
}

// medianOf is the median of v, which it leaves unchanged.
func medianOf(v []float64) float64 {
	v = slices.Clone(v)
	slices.Sort(v)
	if len(v)%2 == 1 {
		return v[len(v)/2]
	}
	return (v[len(v)/2-1] + v[len(v)/2]) / 2
}

// parseBenchmarkCSV reads redis-benchmark --csv output: a header naming the columns, then
// one row per test. Every test named in want must be there.
func parseBenchmarkCSV(out []byte, want ...string) (map[string]float64, error) {
	rows, err := csv.NewReader(bytes.NewReader(out)).ReadAll()
	if err != nil {
		return nil, err
	}
	if len(rows) < 2 || len(rows[0]) < 2 || rows[0][0] != "test" || rows[0][1] != "rps" {
		return nil, errors.New("not redis-benchmark --csv output")
	}
	rps := map[string]float64{}
	for _, r := range rows[1:] {
		v, err := strconv.ParseFloat(r[1], 64)
		if err != nil {
			return nil, fmt.Errorf("test %s: rps %q: %w", r[0], r[1], err)
		}
		rps[r[0]] = v
	}
	for _, w := range want {
		if _, ok := rps[w]; !ok {
			return nil, fmt.Errorf("no %q result", w)
		}
	}
	return rps, nil
}

// mem is a process's resident memory. RSS counts shared pages (the binary, libc) in full
// for every process; PSS divides them among the processes sharing them, which is the
// fairer measure for hundreds of redis-server processes.
type mem struct{ rssKB, pssKB int64 }

func (m mem) add(o mem) mem { return mem{m.rssKB + o.rssKB, m.pssKB + o.pssKB} }

func readMem(t *testing.T, pid int) mem {
	t.Helper()
	rss, err := procField(fmt.Sprintf("/proc/%d/status", pid), "VmRSS:")
	if err != nil {
		t.Fatal(err)
	}
	pss, err := procField(fmt.Sprintf("/proc/%d/smaps_rollup", pid), "Pss:")
	if err != nil {
		t.Fatal(err)
	}
	return mem{rss, pss}
}

// procField reads a "Name:   123 kB" line of a /proc file.
func procField(path, name string) (int64, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, err
	}
	for line := range strings.SplitSeq(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, name); ok {
			f := strings.Fields(rest)
			if len(f) != 2 || f[1] != "kB" {
				return 0, fmt.Errorf("%s: bad line %q", path, line)
			}
			return strconv.ParseInt(f[0], 10, 64)
		}
	}
	return 0, fmt.Errorf("%s: no %s line", path, name)
}

// freePorts returns n distinct loopback ports that were free a moment ago. All n are held
// open together before any is released, so the kernel cannot hand out one twice.
func freePorts(t *testing.T, n int) []int {
	t.Helper()
	ports := make([]int, 0, n)
	var ls []net.Listener
	defer func() {
		for _, l := range ls {
			l.Close()
		}
	}()
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		ls = append(ls, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports
}

// markdownTable renders rows as a Markdown table, aligned so it also reads as plain text
// and can be pasted into README.md as it is. The first column is left-aligned, the others
// (numbers) right-aligned.
func markdownTable(header []string, rows ...[]string) string {
	all := append([][]string{header}, rows...)
	width := make([]int, len(header))
	for _, r := range all {
		for i, c := range r {
			width[i] = max(width[i], len(c), 3)
		}
	}
	var b strings.Builder
	line := func(cells []string) {
		for i, c := range cells {
			if i == 0 {
				fmt.Fprintf(&b, "| %-*s ", width[i], c)
			} else {
				fmt.Fprintf(&b, "| %*s ", width[i], c)
			}
		}
		b.WriteString("|\n")
	}
	line(header)
	sep := make([]string, len(header))
	for i := range sep {
		if i == 0 {
			sep[i] = strings.Repeat("-", width[i])
		} else {
			sep[i] = strings.Repeat("-", width[i]-1) + ":"
		}
	}
	line(sep)
	for _, r := range rows {
		line(r)
	}
	return b.String()
}

// lineWatcher collects a process's output and closes seen once a line equals want.
type lineWatcher struct {
	want string
	seen chan struct{}

	mu   sync.Mutex
	buf  bytes.Buffer
	done bool
}

func (w *lineWatcher) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf.Write(p)
	if w.done {
		return len(p), nil
	}
	for line := range bytes.Lines(w.buf.Bytes()) {
		if string(line) == w.want+"\n" {
			w.done = true
			close(w.seen)
			break
		}
	}
	return len(p), nil
}

func (w *lineWatcher) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.String()
}
