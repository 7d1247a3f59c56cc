package bench

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"
)

// pprofEnv names the knob: a path prefix. With it set, ours is built with -tags pprof
// (daemon/pprof.go) and, for each topology of N masters, saves CPU (over the steady window),
// heap, allocs and goroutine profiles taken at the window's end into PREFIX-N-{cpu,heap,
// allocs,goroutine}.pprof, and the heap profile's text form (whose tail is the runtime's
// MemStats: HeapInuse, HeapSys, Sys ...) into PREFIX-N-heap.txt.
const pprofEnv = "SENTINEL_BENCH_PPROF"

// sentinelBuildTags are the build tags ours is built with: pprof when the knob asks for
// profiles, none otherwise (the binary users run).
func sentinelBuildTags() []string {
	if os.Getenv(pprofEnv) != "" {
		return []string{"pprof"}
	}
	return nil
}

// pprofRun profiles one sentinel of ours through its pprof HTTP server.
type pprofRun struct {
	base   string // http://host:port/debug/pprof/
	prefix string // PREFIX-N
	pid    int
	cpu    chan error
}

// startPprof starts a CPU profile of the given length at once (the window's start); done
// collects it and takes the others.
func startPprof(ctx context.Context, addr, prefix string, pid int, window time.Duration) *pprofRun {
	p := &pprofRun{base: "http://" + addr + "/debug/pprof/", prefix: prefix, pid: pid, cpu: make(chan error, 1)}
	secs := max(1, int(window.Round(time.Second)/time.Second))
	go func() { p.cpu <- p.fetch(ctx, fmt.Sprintf("profile?seconds=%d", secs), prefix+"-cpu.pprof") }()
	return p
}

func (p *pprofRun) fetch(ctx context.Context, path, file string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, p.base+path, nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("pprof %s: %w", path, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("pprof %s: %s", path, resp.Status)
	}
	f, err := os.Create(file)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, resp.Body); err != nil {
		f.Close()
		return fmt.Errorf("pprof %s: %w", path, err)
	}
	return f.Close()
}

// done waits for the CPU profile, takes the heap, allocs and goroutine profiles, and logs
// the figures a reader wants first: goroutines, OS threads, heap in use against RSS.
func (p *pprofRun) done(ctx context.Context, t *testing.T) {
	t.Helper()
	errs := []error{<-p.cpu}
	for _, x := range []struct{ path, file string }{
		{"heap", "-heap.pprof"}, {"heap?debug=1", "-heap.txt"}, {"allocs", "-allocs.pprof"},
		{"goroutine", "-goroutine.pprof"}, {"goroutine?debug=1", "-goroutine.txt"},
	} {
		errs = append(errs, p.fetch(ctx, x.path, p.prefix+x.file))
	}
	for _, err := range errs {
		if err != nil {
			t.Errorf("%v", err)
		}
	}
	goroutines := firstField(p.prefix+"-goroutine.txt", "goroutine profile: total ")
	threads, _ := os.ReadDir(fmt.Sprintf("/proc/%d/task", p.pid))
	rss, _ := procField(fmt.Sprintf("/proc/%d/status", p.pid), "VmRSS:")
	heap := func(name string) string { return firstField(p.prefix+"-heap.txt", "# "+name+" = ") }
	t.Logf("pprof profiles in %s-{cpu,heap,allocs,goroutine}.pprof (go tool pprof -top FILE): goroutines %s, OS threads %d, VmRSS %d KiB, MemStats HeapInuse %s, HeapSys %s, HeapReleased %s, Sys %s",
		p.prefix, goroutines, len(threads), rss, heap("HeapInuse"), heap("HeapSys"), heap("HeapReleased"), heap("Sys"))
}

// firstField is what follows prefix on the first line of file that starts with it.
func firstField(file, prefix string) string {
	f, err := os.Open(file)
	if err != nil {
		return "?"
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	s.Buffer(make([]byte, 1<<20), 1<<20)
	for s.Scan() {
		if v, ok := strings.CutPrefix(s.Text(), prefix); ok {
			return v
		}
	}
	return "?"
}
