package realredis

import (
	"bufio"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

const (
	// reapWait bounds the wait for a killed process to be reaped. SIGKILL cannot be caught,
	// so only a kernel in trouble takes longer; the test then reports it instead of hanging.
	reapWait = 10 * time.Second
	// pingTimeout bounds one PING probe, its dial and its reply.
	pingTimeout = time.Second
	// logTail is how many lines of its output a process shows when its test failed.
	logTail = 200
)

// Process is a program a test started: its output goes to a log file in its directory, and
// it can be stopped and started again with the same arguments, as a restarted server is.
type Process struct {
	t    testing.TB
	bin  string
	args []string
	dir  string
	log  string // stdout and stderr of every run, appended

	mu     sync.Mutex
	cmd    *exec.Cmd     // nil once stopped
	exited chan struct{} // closed once cmd has been reaped
	pids   []int         // of every run, for the log of a failed test
}

// Start runs bin with args in dir, which should be the process's own (t.TempDir()): its
// output is appended to output.log there. t.Cleanup stops it and, when the test failed,
// logs the tail of that output.
func Start(t testing.TB, dir, bin string, args ...string) *Process {
	t.Helper()
	p := &Process{t: t, bin: bin, args: args, dir: dir, log: filepath.Join(dir, "output.log")}
	t.Cleanup(func() {
		p.Stop()
		if t.Failed() {
			p.mu.Lock()
			pids := p.pids
			p.mu.Unlock()
			t.Logf("%s %s (pid %v) logged:\n%s", filepath.Base(bin), strings.Join(p.args, " "), pids, tail(p.Log(), logTail))
		}
	})
	if err := p.start(); err != nil {
		t.Fatal(err)
	}
	return p
}

func (p *Process) start() error {
	logf, err := os.OpenFile(p.log, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	cmd := exec.Command(p.bin, p.args...)
	cmd.Dir = p.dir
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
	p.cmd, p.exited = cmd, exited
	p.pids = append(p.pids, cmd.Process.Pid)
	p.mu.Unlock()
	return nil
}

// Stop kills the process by its PID (SIGKILL, as kill -9) and waits until it is reaped. It
// does nothing when the process is already stopped.
func (p *Process) Stop() {
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
		p.t.Errorf("%s pid %d not reaped %v after SIGKILL", filepath.Base(p.bin), cmd.Process.Pid, reapWait)
	}
}

// Restart kills the process if it runs (SIGKILL, reaped) and starts it again with the same
// arguments and directory, so a server with persistence on finds its data again.
func (p *Process) Restart() error {
	p.Stop()
	return p.start()
}

// PID is the running process's PID, 0 when it is stopped.
func (p *Process) PID() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cmd == nil {
		return 0
	}
	return p.cmd.Process.Pid
}

// Signal sends sig to the process: SIGSTOP and SIGCONT freeze and thaw it, as a stalled
// host would.
func (p *Process) Signal(sig os.Signal) error {
	p.mu.Lock()
	cmd := p.cmd
	p.mu.Unlock()
	if cmd == nil || cmd.Process == nil {
		return errors.New("realredis: the process is not running")
	}
	return cmd.Process.Signal(sig)
}

// Log returns everything the process wrote, over all its runs.
func (p *Process) Log() string {
	b, _ := os.ReadFile(p.log)
	return string(b)
}

// WaitAnswering waits until the server at addr ("tcp" or "unix") answers PING, for at most
// within. It returns an error when the process exits first or the time runs out.
func (p *Process) WaitAnswering(network, addr string, within time.Duration) error {
	return p.waitAnswering(addr, within, func() (net.Conn, error) { return net.DialTimeout(network, addr, pingTimeout) })
}

// WaitAnsweringTLS is WaitAnswering for a server that speaks TLS only (port 0, tls-port),
// dialled with the client config cfg.
func (p *Process) WaitAnsweringTLS(addr string, cfg *tls.Config, within time.Duration) error {
	return p.waitAnswering(addr, within, func() (net.Conn, error) {
		return tls.DialWithDialer(&net.Dialer{Timeout: pingTimeout}, "tcp", addr, cfg)
	})
}

func (p *Process) waitAnswering(addr string, within time.Duration, dial func() (net.Conn, error)) error {
	p.mu.Lock()
	cmd, exited := p.cmd, p.exited
	p.mu.Unlock()
	if cmd == nil {
		return fmt.Errorf("%s is stopped", filepath.Base(p.bin))
	}
	deadline := time.Now().Add(within)
	for {
		err := pingOn(dial)
		if err == nil {
			return nil
		}
		select {
		case <-exited:
			return fmt.Errorf("%s exited (%v) before answering on %s", filepath.Base(p.bin), cmd.ProcessState, addr)
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s did not answer PING on %s within %v: %v", filepath.Base(p.bin), addr, within, err)
		}
	}
}

// ping sends one inline PING and reports whether the reply says the server is up.
func ping(network, addr string) error {
	return pingOn(func() (net.Conn, error) { return net.DialTimeout(network, addr, pingTimeout) })
}

// pingOn is ping on a connection from dial.
func pingOn(dial func() (net.Conn, error)) error {
	nc, err := dial()
	if err != nil {
		return err
	}
	defer nc.Close()
	if err := nc.SetDeadline(time.Now().Add(pingTimeout)); err != nil {
		return err
	}
	if _, err := nc.Write([]byte("PING\r\n")); err != nil {
		return err
	}
	line, err := bufio.NewReader(nc).ReadString('\n')
	if err != nil {
		return err
	}
	if line == "+PONG\r\n" || strings.HasPrefix(line, "-NOAUTH") {
		return nil
	}
	return fmt.Errorf("PING answered %q", strings.TrimSpace(line))
}

// tail is the last n lines of s.
func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
