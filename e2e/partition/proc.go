package partition

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/sentinel-go/sentinel/e2e/realredis"
)

const (
	// reapWait bounds the wait for a killed process to be reaped: SIGKILL cannot be caught.
	reapWait = 10 * time.Second
	// logTail is how many lines of its output a process shows when its test failed.
	logTail = 150
)

// Proc is a program running inside a node's namespace. `ip netns exec` execs the program in
// place, so the PID it reports is the program's own: signals (SIGSTOP, SIGKILL) reach it
// and nothing else.
type Proc struct {
	Node *Node
	Name string // for the timeline: "m1", "s2"
	Dir  string // its working directory, which holds its data and its log
	t    testing.TB
	bin  string
	args []string
	log  string

	mu      sync.Mutex
	cmd     *exec.Cmd
	exited  chan struct{}
	paused  bool
	pids    []int
	outages []outage // paused or dead, on the Timeline
}

// Start runs bin with args inside the node's namespace, its working directory a fresh
// t.TempDir. t.Cleanup kills it by PID and, when t failed, logs the tail of its output.
func (nd *Node) Start(bin string, args ...string) *Proc {
	t := nd.net.t
	t.Helper()
	return nd.StartIn(t.TempDir(), bin, args...)
}

// StartIn is Start in the given working directory, where the caller put its config file.
func (nd *Node) StartIn(dir, bin string, args ...string) *Proc {
	t := nd.net.t
	t.Helper()
	p := &Proc{Node: nd, Name: nd.Name, Dir: dir, t: t, bin: bin, args: args, log: filepath.Join(dir, "output.log")}
	t.Cleanup(func() {
		p.stop()
		if t.Failed() {
			p.mu.Lock()
			pids := p.pids
			p.mu.Unlock()
			t.Logf("%s on %s (pid %v) logged:\n%s", filepath.Base(bin), nd.Name, pids, tail(p.Log(), logTail))
		}
	})
	if err := p.start(); err != nil {
		t.Fatalf("partition: start %s on %s: %v", bin, nd.Name, err)
	}
	return p
}

func (p *Proc) start() error {
	logf, err := os.OpenFile(p.log, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	cmd := exec.Command("ip", append([]string{"netns", "exec", p.Node.ns, p.bin}, p.args...)...)
	cmd.Dir = p.Dir
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		logf.Close()
		return err
	}
	exited := make(chan struct{})
	go func() {
		cmd.Wait()
		logf.Close()
		close(exited)
	}()
	p.mu.Lock()
	p.cmd, p.exited, p.paused = cmd, exited, false
	p.pids = append(p.pids, cmd.Process.Pid)
	p.mu.Unlock()
	return nil
}

// PID is the running process's PID, 0 when it is stopped.
func (p *Proc) PID() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cmd == nil {
		return 0
	}
	return p.cmd.Process.Pid
}

// Running says whether the process has been started and not killed (paused counts).
func (p *Proc) Running() bool { return p.PID() != 0 }

// Pause freezes the process (SIGSTOP), as a stalled host or a long GC pause would: its
// sockets stay open and the kernel keeps acknowledging TCP, but nothing answers.
func (p *Proc) Pause() {
	p.t.Helper()
	p.Node.net.Timeline.Logf("fault", "pause %s (SIGSTOP)", p.Name)
	p.outageStart(p.Node.net.Timeline.Since())
	p.signal(syscall.SIGSTOP)
	p.mu.Lock()
	p.paused = true
	p.mu.Unlock()
}

// Resume thaws a paused process (SIGCONT).
func (p *Proc) Resume() {
	p.t.Helper()
	p.Node.net.Timeline.Logf("fault", "resume %s (SIGCONT)", p.Name)
	p.signal(syscall.SIGCONT)
	p.outageEnd(p.Node.net.Timeline.Since())
	p.mu.Lock()
	p.paused = false
	p.mu.Unlock()
}

// Freeze is Pause for goroutines other than the test's (an OnEvent hook): it reports a
// failure instead of failing the test, and takes no lock the test may hold.
func (p *Proc) Freeze() error {
	pid := p.PID()
	if pid == 0 {
		return fmt.Errorf("partition: %s is not running", p.Name)
	}
	p.outageStart(p.Node.net.Timeline.Since())
	if err := syscall.Kill(pid, syscall.SIGSTOP); err != nil {
		return fmt.Errorf("partition: SIGSTOP %s (pid %d): %w", p.Name, pid, err)
	}
	p.Node.net.Timeline.Logf("fault", "pause %s (SIGSTOP)", p.Name)
	p.mu.Lock()
	p.paused = true
	p.mu.Unlock()
	return nil
}

func (p *Proc) signal(sig syscall.Signal) {
	p.t.Helper()
	pid := p.PID()
	if pid == 0 {
		p.t.Fatalf("partition: %s is not running", p.Name)
	}
	if err := syscall.Kill(pid, sig); err != nil {
		p.t.Fatalf("partition: signal %v to %s (pid %d): %v", sig, p.Name, pid, err)
	}
}

// Kill is kill -9: the process dies without a word and is reaped.
func (p *Proc) Kill() {
	p.t.Helper()
	p.Node.net.Timeline.Logf("fault", "kill -9 %s (pid %d)", p.Name, p.PID())
	p.outageStart(p.Node.net.Timeline.Since())
	p.stop()
}

// Restart starts the process again with the same arguments and working directory, so a
// server with persistence on finds its data again. A running process is killed first.
func (p *Proc) Restart() {
	p.t.Helper()
	if p.Running() {
		p.Kill()
	}
	if err := p.start(); err != nil {
		p.t.Fatalf("partition: restart %s: %v", p.Name, err)
	}
	p.outageEnd(p.Node.net.Timeline.Since())
	p.Node.net.Timeline.Logf("fault", "restart %s (pid %d)", p.Name, p.PID())
}

// RestartEmpty is Restart after deleting the data files a redis-server would load
// (dump.rdb, the AOF), as a host that lost its disk, or a server with persistence off.
func (p *Proc) RestartEmpty() {
	p.t.Helper()
	if p.Running() {
		p.Kill()
	}
	for _, f := range []string{"dump.rdb", "appendonly.aof", "appendonlydir"} {
		if err := os.RemoveAll(filepath.Join(p.Dir, f)); err != nil {
			p.t.Fatalf("partition: %v", err)
		}
	}
	p.Node.net.Timeline.Logf("fault", "wiped the data of %s", p.Name)
	if err := p.start(); err != nil {
		p.t.Fatalf("partition: restart %s: %v", p.Name, err)
	}
	p.outageEnd(p.Node.net.Timeline.Since())
	p.Node.net.Timeline.Logf("fault", "restart %s empty (pid %d)", p.Name, p.PID())
}

// stop kills the process by PID and waits until it is reaped. A paused process dies too:
// SIGKILL needs no SIGCONT.
func (p *Proc) stop() {
	p.mu.Lock()
	cmd, exited := p.cmd, p.exited
	p.cmd = nil
	p.mu.Unlock()
	if cmd == nil {
		return
	}
	cmd.Process.Kill() // an error only says it had exited already
	select {
	case <-exited:
	case <-time.After(reapWait):
		p.t.Errorf("partition: %s pid %d not reaped %v after SIGKILL", p.Name, cmd.Process.Pid, reapWait)
	}
}

// Exited says whether the process died by itself (it was not killed by the harness).
func (p *Proc) Exited() bool {
	p.mu.Lock()
	exited := p.exited
	p.mu.Unlock()
	if exited == nil {
		return false
	}
	select {
	case <-exited:
		return true
	default:
		return false
	}
}

// Log returns everything the process wrote, over all its runs.
func (p *Proc) Log() string {
	b, _ := os.ReadFile(p.log)
	return string(b)
}

// String is the process's name and node.
func (p *Proc) String() string { return fmt.Sprintf("%s@%s", filepath.Base(p.bin), p.Node.Name) }

func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// The programs the cluster runs: Debian's, by full path, so the tests judge 7.0.15 and not
// whatever PATH finds first.
const (
	redisServerPath   = "/usr/bin/redis-server"
	redisSentinelPath = "/usr/bin/redis-sentinel"
)

// redisServerBin is Debian's redis-server, or a skip (a failure under REDISTEST_REQUIRE_REAL=1).
func redisServerBin(t testing.TB) string {
	t.Helper()
	return realredis.Binary(t, redisServerPath)
}
