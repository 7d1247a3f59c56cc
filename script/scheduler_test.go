package script_test

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sentinel-go/sentinel/internal/resp"
	"github.com/sentinel-go/sentinel/script"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// fakeProc is a process the test ends by hand; Kill ends it with SIGKILL, as the kernel would.
type fakeProc struct {
	pid    int
	argv   []string
	done   chan script.Exit
	ended  bool
	killed int
}

var _ script.Process = (*fakeProc)(nil)

func (p *fakeProc) Pid() int                 { return p.pid }
func (p *fakeProc) Done() <-chan script.Exit { return p.done }
func (p *fakeProc) Kill() error {
	p.killed++
	p.exit(script.Exit{Signal: 9})
	return nil
}

func (p *fakeProc) exit(e script.Exit) {
	if p.ended {
		return
	}
	p.ended = true
	p.done <- e
}

// harness drives a Scheduler with a hand-made clock and fake processes. Events are
// rendered as Redis logs them: "." for debug, "#" for warning.
type harness struct {
	t        *testing.T
	s        *script.Scheduler
	now      time.Time
	procs    []*fakeProc // every start, in order; pids count up from 1000
	startErr error       // when set, Start fails with it
	events   []string
}

func newHarness(t *testing.T) *harness {
	h := &harness{t: t, now: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
	h.s = script.New(script.Options{
		Now: func() time.Time { return h.now },
		Start: func(argv []string) (script.Process, error) {
			if h.startErr != nil {
				return nil, h.startErr
			}
			p := &fakeProc{pid: 1000 + len(h.procs), argv: argv, done: make(chan script.Exit, 1)}
			h.procs = append(h.procs, p)
			return p, nil
		},
		Event: func(e script.Event) {
			c := "#"
			if e.Level == script.Debug {
				c = "."
			}
			h.events = append(h.events, c+" "+e.String())
		},
	})
	t.Cleanup(h.s.Close)
	return h
}

// step advances the clock by d and runs one round.
func (h *harness) step(d time.Duration) {
	h.now = h.now.Add(d)
	h.s.Step(h.now)
}

// last is the most recently started process.
func (h *harness) last() *fakeProc {
	h.t.Helper()
	if len(h.procs) == 0 {
		h.t.Fatal("no process started")
	}
	return h.procs[len(h.procs)-1]
}

func (h *harness) expectEvents(want ...string) {
	h.t.Helper()
	got := h.events
	h.events = nil
	if !slices.Equal(got, want) {
		h.t.Fatalf("events:\n got  %q\n want %q", got, want)
	}
}

func (h *harness) expectQueue(running, queued int) {
	h.t.Helper()
	r, q := h.s.Stats()
	if r != running || q != queued {
		h.t.Fatalf("stats: running %d queued %d, want %d %d", r, q, running, queued)
	}
}

// pending is the PENDING-SCRIPTS reply in RESP2, flattened to its lines for readable diffs.
func (h *harness) pending() string {
	var w resp.Writer
	h.s.WritePending(&w)
	return strings.ReplaceAll(string(w.Bytes()), "\r\n", " ")
}

func TestLifecycle(t *testing.T) {
	tests := []struct {
		name string
		run  func(h *harness)
	}{
		{"exit 0 removes the job", func(h *harness) {
			h.s.Queue("/s", "+sdown", "master m 127.0.0.1 6379")
			h.expectQueue(0, 1)
			h.step(0)
			h.expectEvents(". +script-child 1000")
			if got := h.last().argv; !slices.Equal(got, []string{"/s", "+sdown", "master m 127.0.0.1 6379"}) {
				t.Fatalf("argv %q", got)
			}
			h.expectQueue(1, 1)
			h.step(100 * time.Millisecond) // still running: nothing
			h.expectEvents()
			h.last().exit(script.Exit{})
			h.step(100 * time.Millisecond)
			h.expectEvents(". -script-child 1000 0 0")
			h.expectQueue(0, 0)
		}},
		{"exit 2 is final at once", func(h *harness) {
			h.s.Queue("/s", "x")
			h.step(0)
			h.last().exit(script.Exit{Code: 2})
			h.step(100 * time.Millisecond)
			h.expectEvents(". +script-child 1000", ". -script-child 1000 2 0", "# -script-error /s 0 2")
			h.expectQueue(0, 0)
		}},
		{"exit 1 retries after 30s, 60s, ... and gives up after 10 attempts", func(h *harness) {
			h.s.Queue("/s")
			h.step(0)
			delay := 30 * time.Second
			for attempt := 1; attempt <= script.MaxRetry; attempt++ {
				p := h.last()
				if want := 1000 + attempt - 1; p.pid != want {
					t.Fatalf("attempt %d: pid %d, want %d", attempt, p.pid, want)
				}
				p.exit(script.Exit{Code: 1})
				h.step(time.Second)
				if attempt == script.MaxRetry {
					h.expectEvents(fmt.Sprintf(". +script-child %d", p.pid), fmt.Sprintf(". -script-child %d 1 0", p.pid), "# -script-error /s 0 1")
					break
				}
				h.expectEvents(fmt.Sprintf(". +script-child %d", p.pid), fmt.Sprintf(". -script-child %d 1 0", p.pid))
				want := fmt.Sprintf("*1 *10 $4 argv *1 $2 /s $5 flags $9 scheduled $3 pid $1 0 $9 run-delay $%d %d $9 retry-num $%d %d ",
					len(fmt.Sprint(delay.Milliseconds())), delay.Milliseconds(), len(fmt.Sprint(attempt)), attempt)
				if got := h.pending(); got != want {
					t.Fatalf("attempt %d pending:\n got  %q\n want %q", attempt, got, want)
				}
				h.step(delay - time.Millisecond) // not yet
				h.expectEvents()
				h.expectQueue(0, 1)
				h.step(time.Millisecond) // due exactly now
				h.expectQueue(1, 1)
				delay *= 2
			}
			h.expectQueue(0, 0)
			if len(h.procs) != script.MaxRetry {
				t.Fatalf("%d attempts, want %d", len(h.procs), script.MaxRetry)
			}
		}},
		{"a signal retries; exhausted, it reports the signal", func(h *harness) {
			h.s.Queue("/s")
			h.step(0)
			h.last().exit(script.Exit{Signal: 15})
			h.step(100 * time.Millisecond)
			h.expectEvents(". +script-child 1000", ". -script-child 1000 0 15")
			h.expectQueue(0, 1)
			h.step(30 * time.Second)
			h.expectEvents(". +script-child 1001")
			for i := 2; i < script.MaxRetry; i++ {
				h.last().exit(script.Exit{Signal: 15})
				h.step(0)              // collect
				h.step(24 * time.Hour) // start again
			}
			h.events = nil
			h.last().exit(script.Exit{Signal: 15})
			h.step(time.Second)
			h.expectEvents(". -script-child 1009 0 15", "# -script-error /s 15 0")
			h.expectQueue(0, 0)
		}},
		{"running past max runtime is killed, reported, and retried", func(h *harness) {
			h.s.Queue("/s")
			h.step(0)
			h.step(60 * time.Second) // exactly the max: Redis waits for "more than"
			h.expectEvents(". +script-child 1000")
			h.step(time.Millisecond)
			h.expectEvents("# -script-timeout /s 1000")
			if h.last().killed != 1 {
				t.Fatalf("killed %d times", h.last().killed)
			}
			h.step(100 * time.Millisecond)
			h.expectEvents(". -script-child 1000 0 9")
			if got, want := h.pending(), "*1 *10 $4 argv *1 $2 /s $5 flags $9 scheduled $3 pid $1 0 $9 run-delay $5 30000 $9 retry-num $1 1 "; got != want {
				t.Fatalf("pending:\n got  %q\n want %q", got, want)
			}
			h.step(30 * time.Second)
			h.expectEvents(". +script-child 1001")
		}},
		{"a process that ignores the kill is killed and reported each round", func(h *harness) {
			h.s.Queue("/s")
			h.step(0)
			p := h.last()
			p.ended = true // a kill delivers nothing, as for a process stuck in the kernel
			h.step(61 * time.Second)
			h.step(100 * time.Millisecond)
			h.expectEvents(". +script-child 1000", "# -script-timeout /s 1000", "# -script-timeout /s 1000")
			p.done <- script.Exit{Signal: 9} // let Close reap it
		}},
		{"fork failure is reported as signal 99 and retried next round", func(h *harness) {
			h.startErr = fmt.Errorf("%w: resource temporarily unavailable", script.ErrFork)
			h.s.Queue("/s", "a")
			h.step(0)
			h.expectEvents("# -script-error /s 99 0")
			h.expectQueue(0, 1)
			if got, want := h.pending(), "*1 *10 $4 argv *2 $2 /s $1 a $5 flags $9 scheduled $3 pid $1 0 $9 run-delay $1 0 $9 retry-num $1 1 "; got != want {
				t.Fatalf("pending:\n got  %q\n want %q", got, want)
			}
			h.startErr = nil
			h.step(100 * time.Millisecond)
			h.expectEvents(". +script-child 1000")
			h.last().exit(script.Exit{})
			h.step(100 * time.Millisecond)
			h.expectQueue(0, 0)
		}},
		{"exec failure is final, like Redis's child exiting 2", func(h *harness) {
			h.startErr = fmt.Errorf("fork/exec /s: permission denied")
			h.s.Queue("/s")
			h.s.Queue("/t")
			h.step(0)
			h.expectEvents("# -script-error /s 0 2", "# -script-error /t 0 2")
			h.expectQueue(0, 0)
		}},
		{"at most 16 run at once, oldest first", func(h *harness) {
			for i := range 20 {
				h.s.Queue("/s", fmt.Sprint(i))
			}
			h.step(0)
			h.expectQueue(script.MaxRunning, 20)
			if len(h.procs) != script.MaxRunning {
				t.Fatalf("%d started", len(h.procs))
			}
			for i, p := range h.procs {
				if p.argv[1] != fmt.Sprint(i) {
					t.Fatalf("start %d ran job %q", i, p.argv[1])
				}
			}
			h.procs[3].exit(script.Exit{})
			h.procs[5].exit(script.Exit{})
			h.events = nil
			// Redis starts jobs before collecting, so freed slots fill in the next round.
			h.step(100 * time.Millisecond)
			h.expectEvents(". -script-child 1003 0 0", ". -script-child 1005 0 0")
			h.expectQueue(14, 18)
			h.step(100 * time.Millisecond)
			h.expectEvents(". +script-child 1016", ". +script-child 1017")
			if h.procs[16].argv[1] != "16" || h.procs[17].argv[1] != "17" {
				t.Fatalf("started %q %q", h.procs[16].argv, h.procs[17].argv)
			}
			h.expectQueue(16, 18)
		}},
		{"overflow drops the oldest job not running", func(h *harness) {
			for i := range script.MaxQueue {
				h.s.Queue("/s", fmt.Sprint(i))
			}
			h.step(0) // jobs 0..15 run
			h.expectQueue(16, script.MaxQueue)
			h.s.Queue("/s", "new")
			h.expectQueue(16, script.MaxQueue)
			// 16, the oldest scheduled one, is gone; the running ones and the new one stay.
			p := h.pending()
			if strings.Contains(p, "$2 16 ") || !strings.Contains(p, "$2 15 ") || !strings.Contains(p, "$2 17 ") || !strings.Contains(p, "$3 new ") {
				t.Fatalf("pending after overflow: %.300q...", p)
			}
		}},
		{"only 15 arguments are kept, as in Redis", func(h *harness) {
			args := make([]string, 20)
			for i := range args {
				args[i] = fmt.Sprint(i)
			}
			h.s.Queue("/s", args...)
			h.step(0)
			if got := len(h.last().argv); got != 16 {
				t.Fatalf("argv has %d elements", got)
			}
		}},
		{"SetTiming changes the max runtime and the base retry delay", func(h *harness) {
			h.s.SetTiming(time.Second, 10*time.Millisecond)
			h.s.Queue("/s")
			h.step(0)
			h.step(1001 * time.Millisecond)
			h.step(time.Millisecond)
			h.expectEvents(". +script-child 1000", "# -script-timeout /s 1000", ". -script-child 1000 0 9")
			h.step(9 * time.Millisecond)
			h.expectEvents()
			h.step(time.Millisecond)
			h.expectEvents(". +script-child 1001")
		}},
		{"Close kills running scripts and drops the queue", func(h *harness) {
			for range script.MaxRunning + 1 {
				h.s.Queue("/s")
			}
			h.step(0)
			h.events = nil
			h.s.Close()
			for _, p := range h.procs {
				if p.killed != 1 {
					t.Fatalf("pid %d killed %d times", p.pid, p.killed)
				}
			}
			h.expectQueue(0, 0)
			h.s.Queue("/s")
			h.step(time.Second)
			h.expectQueue(0, 0)
			h.expectEvents()
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.run(newHarness(t))
		})
	}
}

func TestPendingReply(t *testing.T) {
	h := newHarness(t)
	var w resp.Writer
	h.s.WritePending(&w)
	if got := string(w.Bytes()); got != "*0\r\n" {
		t.Fatalf("empty: %q", got)
	}

	// c: retry scheduled; a: running; b: new, not yet started.
	h.s.Queue("/c", "x")
	h.s.Queue("/a")
	h.step(0)
	h.procs[0].exit(script.Exit{Code: 1})
	h.step(100 * time.Millisecond)
	h.s.Queue("/b", "+sdown", "master m 127.0.0.1 6379")
	h.now = h.now.Add(1400 * time.Millisecond)

	job := func(mapHeader, argv, flags, pid, timeKey, ms, retry string) string {
		return mapHeader + "$4\r\nargv\r\n" + argv + "$5\r\nflags\r\n" + flags + "$3\r\npid\r\n" + pid +
			"$" + fmt.Sprint(len(timeKey)) + "\r\n" + timeKey + "\r\n" + ms + "$9\r\nretry-num\r\n" + retry
	}
	body := func(mapHeader string) string {
		return "*3\r\n" +
			job(mapHeader, "*2\r\n$2\r\n/c\r\n$1\r\nx\r\n", "$9\r\nscheduled\r\n", "$1\r\n0\r\n", "run-delay", "$5\r\n28600\r\n", "$1\r\n1\r\n") +
			job(mapHeader, "*1\r\n$2\r\n/a\r\n", "$7\r\nrunning\r\n", "$4\r\n1001\r\n", "run-time", "$4\r\n1500\r\n", "$1\r\n1\r\n") +
			job(mapHeader, "*3\r\n$2\r\n/b\r\n$6\r\n+sdown\r\n$23\r\nmaster m 127.0.0.1 6379\r\n", "$9\r\nscheduled\r\n", "$1\r\n0\r\n", "run-delay", "$1\r\n0\r\n", "$1\r\n0\r\n")
	}
	for _, tc := range []struct {
		proto int
		want  string
	}{
		{2, body("*10\r\n")},
		{3, body("%5\r\n")},
	} {
		w := resp.Writer{Proto: tc.proto}
		h.s.WritePending(&w)
		if got := string(w.Bytes()); got != tc.want {
			t.Errorf("RESP%d:\n got  %q\n want %q", tc.proto, got, tc.want)
		}
	}
}

// instantProc has already exited 0; safe for any goroutine.
type instantProc struct{ done chan script.Exit }

func (p instantProc) Pid() int                 { return 1 }
func (p instantProc) Done() <-chan script.Exit { return p.done }
func (p instantProc) Kill() error              { return nil }

// TestConcurrentUse runs Queue, WritePending and Stats from several goroutines while Run
// works, for the race detector, and checks every job is carried out.
func TestConcurrentUse(t *testing.T) {
	var mu sync.Mutex
	starts := 0
	s := script.New(script.Options{
		Tick: time.Millisecond,
		Start: func([]string) (script.Process, error) {
			mu.Lock()
			starts++
			mu.Unlock()
			p := instantProc{done: make(chan script.Exit, 1)}
			p.done <- script.Exit{}
			return p, nil
		},
	})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); s.Run(ctx) }()

	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			for i := range 50 {
				s.Queue("/s", strconv.Itoa(g), strconv.Itoa(i))
				var w resp.Writer
				s.WritePending(&w)
				s.Stats()
			}
		})
	}
	wg.Wait()
	for deadline := time.Now().Add(10 * time.Second); ; {
		if _, queued := s.Stats(); queued == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("queue never drained")
		}
		time.Sleep(time.Millisecond)
	}
	cancel()
	<-done
	s.Close()
	if starts != 200 {
		t.Fatalf("%d starts, want 200", starts)
	}
}
