//go:build unix

package script_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/sentinel-go/sentinel/internal/resp"
	"github.com/sentinel-go/sentinel/script"
)

// events collects a running Scheduler's events for waiting on.
type events struct {
	mu  sync.Mutex
	got []string
}

func (e *events) add(ev script.Event) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.got = append(e.got, ev.String())
}

func (e *events) len() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return len(e.got)
}

// wait returns the first event with the given prefix, failing after a bounded wait.
func (e *events) wait(t *testing.T, prefix string) string {
	t.Helper()
	return e.waitFrom(t, 0, prefix)
}

// waitFrom is wait, looking only at the events from the from'th on.
func (e *events) waitFrom(t *testing.T, from int, prefix string) string {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		e.mu.Lock()
		i := slices.IndexFunc(e.got[from:], func(s string) bool { return strings.HasPrefix(s, prefix) })
		var s string
		if i >= 0 {
			s = e.got[from+i]
		}
		e.mu.Unlock()
		if i >= 0 {
			return s
		}
		time.Sleep(5 * time.Millisecond)
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	t.Fatalf("no event %q; got %q", prefix, e.got)
	return ""
}

func writeScript(t *testing.T, dir, name, body string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte("#!/bin/sh\n"+body+"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestRealProcesses(t *testing.T) {
	if _, err := os.Stat("/bin/sh"); err != nil {
		t.Skip("no /bin/sh")
	}
	dir := t.TempDir()
	out := filepath.Join(dir, "out")
	// The script finds its output file in the environment, which proves it gets ours.
	t.Setenv("SCRIPT_TEST_OUT", out)
	ok := writeScript(t, dir, "ok.sh", `printf '%s\n' "$@" > "$SCRIPT_TEST_OUT.tmp" && mv "$SCRIPT_TEST_OUT.tmp" "$SCRIPT_TEST_OUT"`)
	bad := writeScript(t, dir, "bad.sh", "exit 2")
	slow := writeScript(t, dir, "slow.sh", "exec sleep 30")
	notExec := filepath.Join(dir, "plain.sh")
	if err := os.WriteFile(notExec, []byte("#!/bin/sh\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	missing := filepath.Join(dir, "missing.sh")

	var ev events
	s := script.New(script.Options{Event: ev.add, Tick: 10 * time.Millisecond, MaxRuntime: 300 * time.Millisecond})
	t.Cleanup(s.Close)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan struct{})
	go func() { defer close(done); s.Run(ctx) }()

	s.Queue(ok, "+sdown", "master m 127.0.0.1 6379")
	s.Queue(bad, "x")
	s.Queue(missing)
	s.Queue(notExec)
	s.Queue(slow)

	ev.wait(t, "-script-error "+bad+" 0 2")
	ev.wait(t, "-script-error "+missing+" 0 2")
	ev.wait(t, "-script-error "+notExec+" 0 2")

	// The ok script removes itself from the queue once done; its output says what it got.
	for deadline := time.Now().Add(10 * time.Second); ; {
		if _, err := os.Stat(out); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("ok.sh wrote nothing")
		}
		time.Sleep(5 * time.Millisecond)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := string(b), "+sdown\nmaster m 127.0.0.1 6379\n"; got != want {
		t.Fatalf("ok.sh got args %q, want %q", got, want)
	}

	// slow.sh is killed after 300 ms and scheduled again 30 s later.
	timeout := ev.wait(t, "-script-timeout "+slow+" ")
	pid := timeout[strings.LastIndexByte(timeout, ' ')+1:]
	ev.wait(t, "-script-child "+pid+" 0 9")
	if running, queued := s.Stats(); running != 0 || queued != 1 {
		t.Fatalf("after the timeout: running %d queued %d, want 0 1", running, queued)
	}
	var w resp.Writer
	s.WritePending(&w)
	if got := string(w.Bytes()); !strings.Contains(got, "$9\r\nscheduled\r\n") || !strings.Contains(got, "$9\r\nretry-num\r\n$1\r\n1\r\n") {
		t.Fatalf("pending after the timeout: %q", got)
	}

	// Close kills a script still running and reaps it.
	mark := ev.len()
	s.Queue(slow, "again")
	started := ev.waitFrom(t, mark, "+script-child ")
	p2, err := strconv.Atoi(strings.TrimPrefix(started, "+script-child "))
	if err != nil {
		t.Fatalf("event %q", started)
	}
	s.Close()
	<-done
	if err := syscall.Kill(p2, 0); !errors.Is(err, syscall.ESRCH) {
		t.Fatalf("pid %d still exists after Close (kill 0: %v)", p2, err)
	}
}
