package config

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"net"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/sentinel-go/sentinel/e2e/realredis"
)

// realSentinel returns the path of redis-sentinel 7.0.15, skipping the test when it is not
// installed or is another version (failing instead when REDISTEST_REQUIRE_REAL=1).
func realSentinel(t *testing.T) string {
	t.Helper()
	p := realredis.Binary(t, "redis-sentinel")
	out, err := exec.Command(p, "--version").Output()
	if err != nil || !bytes.Contains(out, []byte("v="+RedisVersion)) {
		realredis.Missing(t, "redis-sentinel is not %s: %q %v", RedisVersion, out, err)
	}
	return p
}

// runRealConfig runs redis-sentinel on a config that must not let it start: it exits
// with status 1 either on the config error or, with `port 0` and nothing else to listen
// on, right after loading. It returns stderr.
func runRealConfig(t *testing.T, bin, dir, file string, extra []string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, append([]string{file}, extra...)...)
	cmd.Dir = dir
	var stderr, stdout bytes.Buffer
	cmd.Stderr, cmd.Stdout = &stderr, &stdout
	err := cmd.Run()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 1 {
		t.Fatalf("redis-sentinel: want exit status 1, got %v\nstdout: %s\nstderr: %s", err, stdout.String(), stderr.String())
	}
	return stderr.String()
}

// flushReal starts redis-sentinel on file (which must set port, bind and myid), waits
// for it to listen, sends SENTINEL FLUSHCONFIG (after AUTH when password is set) and stops
// it with SIGTERM.
func flushReal(t *testing.T, bin, dir, file string, port int, password string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, file)
	cmd.Dir = dir
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	stopped := false
	stop := func() {
		if stopped {
			return
		}
		stopped = true
		_ = cmd.Process.Signal(syscall.SIGTERM)
		if err := <-done; err != nil && ctx.Err() == nil {
			t.Logf("redis-sentinel exited: %v", err)
		}
	}
	t.Cleanup(stop)
	// Wait for the line it logs once it listens: no polling, no sleeping.
	ready := make(chan bool, 1)
	go func() {
		sc := bufio.NewScanner(out)
		signalled := false
		for sc.Scan() {
			if !signalled && strings.Contains(sc.Text(), "Running mode=sentinel") {
				ready <- true
				signalled = true
			}
		}
		if !signalled {
			ready <- false
		}
		done <- cmd.Wait()
	}()
	if !<-ready {
		t.Fatalf("redis-sentinel did not start: %s", stderr.String())
	}
	conn, err := net.DialTimeout("tcp", "127.0.0.1:"+strconv.Itoa(port), 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
	r := bufio.NewReader(conn)
	send := func(args ...string) {
		var b strings.Builder
		b.WriteString("*" + strconv.Itoa(len(args)) + "\r\n")
		for _, a := range args {
			b.WriteString("$" + strconv.Itoa(len(a)) + "\r\n" + a + "\r\n")
		}
		if _, err := conn.Write([]byte(b.String())); err != nil {
			t.Fatal(err)
		}
		reply, err := r.ReadString('\n')
		if err != nil || reply != "+OK\r\n" {
			t.Fatalf("%s: %q %v", args[0], reply, err)
		}
	}
	if password != "" {
		send("AUTH", password)
	}
	send("SENTINEL", "FLUSHCONFIG")
	stop()
}
