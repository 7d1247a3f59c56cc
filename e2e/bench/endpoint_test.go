package bench

import (
	"context"
	"fmt"
	"net"
	"os"
	"slices"
	"strings"
	"testing"
	"time"
)

// endpointTests are what TestBenchEndpoint measures: PING, which never reaches the
// sentinel's view, so it times the server path alone (read, dispatch, write), and
// GET-MASTER-ADDR-BY-NAME, which adds the view; each unpipelined and pipelined 16 deep.
var endpointTests = []struct {
	name     string
	pipeline int
	command  []string
}{
	{"PING -P 1", 1, []string{"ping"}},
	{"PING -P 16", 16, []string{"ping"}},
	{"GET-MASTER-ADDR-BY-NAME -P 1", 1, []string{"sentinel", "get-master-addr-by-name", "m1"}},
	{"GET-MASTER-ADDR-BY-NAME -P 16", 16, []string{"sentinel", "get-master-addr-by-name", "m1"}},
}

// endpointRun is one redis-benchmark run against one sentinel.
type endpointRun struct {
	rps   float64
	cpu   time.Duration // the sentinel's CPU time during the run, its monitoring included
	other float64       // the rest of the machine's busy time during the run, in cores
}

// TestBenchEndpoint is issue #12's query benchmark: both sentinels monitor the same
// redistest topology (100 masters with one replica each unless SENTINEL_BENCH_MASTERS
// says otherwise) at once, so each is measured with its monitoring running, and
// redis-benchmark -c 50 -n 200000 runs each of endpointTests against one and then the
// other, the order alternating with each round (SENTINEL_BENCH_ROUNDS, default 3,
// -short 1). The table shows each side's median, the ratio of the medians, the ratio of
// each round, each side's CPU time per request (the median over the rounds; a figure
// other load disturbs far less than the rate), and the other load: what the machine ran
// besides the two sentinels, redistest and redis-benchmark, in cores.
// SENTINEL_BENCH_OURS_BIN runs that binary as ours instead of building this tree's, to
// compare two versions of ours against the same redis-sentinel.
func TestBenchEndpoint(t *testing.T) {
	needBenchEnv(t)
	o := sentinelOptions(t)
	masters := 100
	if os.Getenv("SENTINEL_BENCH_MASTERS") != "" {
		masters = o.masters[0]
	}
	sides := []string{sideOurs, sideRedis}
	bins := sentinelBinaries(t, sides)
	if bin := os.Getenv("SENTINEL_BENCH_OURS_BIN"); bin != "" {
		bins[sideOurs] = bin
	}
	benchBin := lookTool(t, "redis-benchmark")
	redistestBin, err := buildRedistest()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), sentinelSettleTimeout+time.Duration(o.rounds)*5*time.Minute)
	defer cancel()
	rt := startRedistest(ctx, t, redistestBin, masters, o.replicas)
	procs := map[string]sentinelProc{}
	// SENTINEL_BENCH_OURS_ENV (NAME=VALUE pairs, space separated) goes to ours alone, to
	// compare runtime settings such as GOMAXPROCS=1 side by side.
	oursEnv := strings.Fields(os.Getenv("SENTINEL_BENCH_OURS_ENV"))
	for _, side := range sides {
		var env []string
		if side == sideOurs {
			env = oursEnv
		}
		p := startSentinel(ctx, t, side, bins[side], rt, "", env...)
		t.Cleanup(func() { kill(p.cmd) })
		procs[side] = p
	}
	for _, side := range sides {
		addr := procs[side].addr
		if _, _, err := waitSettled(ctx, addr, masters, o.replicas, sentinelSettleTimeout); err != nil {
			t.Fatalf("%s on %s: %v", side, addr, err)
		}
		// The benchmarked query must answer the truth, or its speed means nothing.
		got, err := command(addr, "SENTINEL", "GET-MASTER-ADDR-BY-NAME", "m1")
		if host, p, _ := net.SplitHostPort(rt.addrs[1]); err != nil || !slices.Equal(asStrings(got), []string{host, p}) {
			t.Fatalf("%s: GET-MASTER-ADDR-BY-NAME m1 = %v, %v, want %s", side, got, err, rt.addrs[1])
		}
	}
	t.Logf("%d masters × (1+%d), %d round(s), redis-benchmark -c %d -n %d, ours' extra environment %q", masters, o.replicas, o.rounds,
		sentinelBenchClients, sentinelBenchRequests, oursEnv)

	pids := []int{procs[sideOurs].cmd.Process.Pid, procs[sideRedis].cmd.Process.Pid, rt.Process.Pid}
	known := func() (cpu time.Duration) {
		for _, pid := range pids {
			cpu += procCPU(t, pid)
		}
		return cpu
	}
	runs := map[string]map[string][]endpointRun{} // test, side
	for r := range o.rounds {
		order := slices.Clone(sides)
		if r%2 == 1 {
			slices.Reverse(order)
		}
		for _, bt := range endpointTests {
			if runs[bt.name] == nil {
				runs[bt.name] = map[string][]endpointRun{}
			}
			for _, side := range order {
				pid := procs[side].cmd.Process.Pid
				m0, k0, c0 := machineCPU(t), known(), procCPU(t, pid)
				t0 := time.Now()
				rps, benchCPU := runCommandBenchmark(ctx, t, benchBin, procs[side].port, bt.pipeline, nil, bt.command...)
				m1, k1, c1 := machineCPU(t), known(), procCPU(t, pid)
				other := max(0, (m1-m0)-(k1-k0)-benchCPU).Seconds() / time.Since(t0).Seconds()
				runs[bt.name][side] = append(runs[bt.name][side], endpointRun{rps: rps, cpu: c1 - c0, other: other})
				t.Logf("round %d, %s, %s: %.0f req/s, CPU %v, other load %.2f cores", r+1, bt.name, side, rps, c1-c0, other)
			}
		}
	}
	if t.Failed() {
		return
	}
	header := []string{fmt.Sprintf("%d masters, -c %d, median of %d", masters, sentinelBenchClients, o.rounds),
		"ours req/s", "redis-sentinel req/s", "ratio", "ratio per round", "ours CPU µs/req", "redis-sentinel CPU µs/req",
		"CPU ratio", "other load, cores"}
	var rows [][]string
	for _, bt := range endpointTests {
		ours, real := runs[bt.name][sideOurs], runs[bt.name][sideRedis]
		var perRound []string
		worst := 0.0
		for i := range ours {
			perRound = append(perRound, fmt.Sprintf("%.2f", ours[i].rps/real[i].rps))
			worst = max(worst, ours[i].other, real[i].other)
		}
		ratio := medianOf(rpsOf(ours)) / medianOf(rpsOf(real))
		oursCPU, realCPU := medianOf(cpuPerRequest(ours)), medianOf(cpuPerRequest(real))
		rows = append(rows, []string{bt.name, fmt.Sprintf("%.0f", medianOf(rpsOf(ours))), fmt.Sprintf("%.0f", medianOf(rpsOf(real))),
			fmt.Sprintf("%.2fx", ratio), strings.Join(perRound, " "), fmt.Sprintf("%.2f", oursCPU), fmt.Sprintf("%.2f", realCPU),
			fmt.Sprintf("%.2fx", oursCPU/realCPU), fmt.Sprintf("≤ %.2f", worst)})
		t.Logf("%s: %.2fx (target ≥ 1.0x: %s)", bt.name, ratio, verdict(ratio >= 1))
	}
	t.Log("\nhigher is better for req/s, lower for CPU (the sentinel's, monitoring included, per request);\n" +
		"other load is the most any run saw besides the sentinels, redistest and redis-benchmark\n" +
		markdownTable(header, rows...))
}

// cpuPerRequest is each run's CPU time per request, in microseconds.
func cpuPerRequest(runs []endpointRun) []float64 {
	out := make([]float64, len(runs))
	for i, r := range runs {
		out[i] = float64(r.cpu.Microseconds()) / sentinelBenchRequests
	}
	return out
}

func rpsOf(runs []endpointRun) []float64 {
	out := make([]float64, len(runs))
	for i, r := range runs {
		out[i] = r.rps
	}
	return out
}
