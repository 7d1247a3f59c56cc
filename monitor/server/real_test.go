package server

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// requireRealSentinel finds Debian's redis-sentinel, or skips the test; with
// REDISTEST_REQUIRE_REAL=1 (as CI sets it) a missing binary fails instead, because a
// skipped judge proves nothing.
func requireRealSentinel(t testing.TB) string {
	t.Helper()
	path, err := exec.LookPath("redis-sentinel")
	if err != nil {
		if os.Getenv("REDISTEST_REQUIRE_REAL") == "1" {
			t.Fatal("redis-sentinel is required (REDISTEST_REQUIRE_REAL=1) but not installed")
		}
		t.Skip("redis-sentinel not installed")
	}
	return path
}

func freePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// startRealSentinel runs redis-sentinel with a minimal config monitoring a closed port,
// plus extra config lines, and returns its address once it answers.
func startRealSentinel(t testing.TB, extra ...string) string {
	t.Helper()
	bin := requireRealSentinel(t)
	dir := t.TempDir()
	for attempt := 0; ; attempt++ {
		port := freePort(t)
		conf := filepath.Join(dir, "sentinel.conf")
		body := fmt.Sprintf("port %d\nbind 127.0.0.1\ndir %s\n%s\nsentinel monitor mymaster 127.0.0.1 %d 2\n",
			port, dir, strings.Join(extra, "\n"), freePort(t))
		if err := os.WriteFile(conf, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		logf, err := os.Create(filepath.Join(dir, "sentinel.log"))
		if err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command(bin, conf)
		cmd.Stdout, cmd.Stderr = logf, logf
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		exited := make(chan struct{})
		go func() { cmd.Wait(); logf.Close(); close(exited) }()
		addr := "127.0.0.1:" + strconv.Itoa(port)
		if waitAnswering(addr, exited) {
			t.Cleanup(func() {
				cmd.Process.Kill()
				<-exited
			})
			return addr
		}
		cmd.Process.Kill()
		<-exited
		if attempt == 3 {
			b, _ := os.ReadFile(logf.Name())
			t.Fatalf("redis-sentinel did not start:\n%s", b)
		}
	}
}

// waitAnswering waits until addr answers PING, for at most five seconds.
func waitAnswering(addr string, exited <-chan struct{}) bool {
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case <-exited:
			return false
		default:
		}
		nc, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			nc.SetDeadline(time.Now().Add(time.Second))
			nc.Write([]byte("PING\r\n"))
			line, err := bufio.NewReader(nc).ReadString('\n')
			nc.Close()
			if err == nil && (line == "+PONG\r\n" || strings.HasPrefix(line, "-NOAUTH")) {
				return true
			}
		}
		select {
		case <-exited:
			return false
		case <-time.After(20 * time.Millisecond):
		}
	}
	return false
}
