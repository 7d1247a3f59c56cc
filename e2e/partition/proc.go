package partition

import (
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"testing"

	"github.com/sentinel-go/sentinel/e2e/realredis"
)

// Proc is a program running inside a node's namespace: a realredis.Process (output log,
// kill by PID and reap, the log's tail when the test failed) whose command is
// `ip netns exec <ns> <bin> <args>`. `ip netns exec` execs the program in place, so the
// PID is the program's own: signals (SIGSTOP, SIGKILL) reach it and nothing else. Proc adds
// the timeline: every fault is logged, and its outages (paused, dead) recorded for the
// false-SDOWN check.
type Proc struct {
	Node *Node
	Name string // for the timeline: "m1", "s2"
	Dir  string // its working directory, which holds its data and its log
	t    testing.TB
	bin  string
	proc *realredis.Process

	mu      sync.Mutex // guards outages: the false-SDOWN check reads them from other goroutines
	outages []outage   // paused or dead, on the Timeline
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
	cmd := append([]string{"netns", "exec", nd.ns, bin}, args...)
	return &Proc{Node: nd, Name: nd.Name, Dir: dir, t: t, bin: bin, proc: realredis.Start(t, dir, "ip", cmd...)}
}

// PID is the running process's PID, 0 when it is stopped.
func (p *Proc) PID() int { return p.proc.PID() }

// Running says whether the process has been started and not killed (paused counts).
func (p *Proc) Running() bool { return p.PID() != 0 }

// Pause freezes the process (SIGSTOP), as a stalled host or a long GC pause would: its
// sockets stay open and the kernel keeps acknowledging TCP, but nothing answers.
func (p *Proc) Pause() {
	p.t.Helper()
	p.Node.net.Timeline.Logf("fault", "pause %s (SIGSTOP)", p.Name)
	p.outageStart(p.Node.net.Timeline.Since())
	p.signal(syscall.SIGSTOP)
}

// Resume thaws a paused process (SIGCONT).
func (p *Proc) Resume() {
	p.t.Helper()
	p.Node.net.Timeline.Logf("fault", "resume %s (SIGCONT)", p.Name)
	p.signal(syscall.SIGCONT)
	p.outageEnd(p.Node.net.Timeline.Since())
}

// Freeze is Pause for goroutines other than the test's (an OnEvent hook): it reports a
// failure instead of failing the test.
func (p *Proc) Freeze() error {
	p.outageStart(p.Node.net.Timeline.Since())
	if err := p.proc.Signal(syscall.SIGSTOP); err != nil {
		return fmt.Errorf("partition: SIGSTOP %s: %w", p.Name, err)
	}
	p.Node.net.Timeline.Logf("fault", "pause %s (SIGSTOP)", p.Name)
	return nil
}

func (p *Proc) signal(sig syscall.Signal) {
	p.t.Helper()
	if err := p.proc.Signal(sig); err != nil {
		p.t.Fatalf("partition: signal %v to %s: %v", sig, p.Name, err)
	}
}

// Kill is kill -9: the process dies without a word and is reaped.
func (p *Proc) Kill() {
	p.t.Helper()
	p.Node.net.Timeline.Logf("fault", "kill -9 %s (pid %d)", p.Name, p.PID())
	p.outageStart(p.Node.net.Timeline.Since())
	p.proc.Stop()
}

// Restart starts the process again with the same arguments and working directory, so a
// server with persistence on finds its data again. A running process is killed first.
func (p *Proc) Restart() {
	p.t.Helper()
	if p.Running() {
		p.Kill()
	}
	p.restart("restart %s (pid %d)")
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
	p.restart("restart %s empty (pid %d)")
}

func (p *Proc) restart(logFormat string) {
	p.t.Helper()
	if err := p.proc.Restart(); err != nil {
		p.t.Fatalf("partition: restart %s: %v", p.Name, err)
	}
	p.outageEnd(p.Node.net.Timeline.Since())
	p.Node.net.Timeline.Logf("fault", logFormat, p.Name, p.PID())
}

// Log returns everything the process wrote, over all its runs.
func (p *Proc) Log() string { return p.proc.Log() }

// String is the process's name and node.
func (p *Proc) String() string { return fmt.Sprintf("%s@%s", filepath.Base(p.bin), p.Node.Name) }

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
