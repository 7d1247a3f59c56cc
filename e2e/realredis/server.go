package realredis

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// startAttempts is how many fresh ports StartServer and StartSentinel try: another process
// may take a FreePort port before the server binds it, and the server then exits at start.
const startAttempts = 4

// Server is a redis-server or redis-sentinel a test started on a free loopback port.
type Server struct {
	*Process
	Addr string // "127.0.0.1:<Port>"
	Port int
	Dir  string // its working directory and Redis dir: its config file, output.log, dumps

	within time.Duration // how long it may take to answer, at start and after Restart
}

// StartServer runs redis-server on a free loopback port, with no persistence and its dir in
// a fresh t.TempDir, plus args (command-line options such as "--replicaof", "h", "p"), and
// waits at most within until it answers PING.
func StartServer(t testing.TB, within time.Duration, args ...string) *Server {
	t.Helper()
	bin := Binary(t, "redis-server")
	dir := t.TempDir()
	return start(t, bin, dir, within, func(port int) []string {
		base := []string{"--port", strconv.Itoa(port), "--bind", "127.0.0.1", "--save", "",
			"--appendonly", "no", "--dir", dir, "--daemonize", "no"}
		return append(base, args...)
	})
}

// StartSentinel runs redis-sentinel on a free loopback port, on a sentinel.conf in a fresh
// t.TempDir that sets port, bind 127.0.0.1 and dir, followed by lines, and waits at most
// within until it answers PING.
func StartSentinel(t testing.TB, within time.Duration, lines ...string) *Server {
	t.Helper()
	bin := Binary(t, "redis-sentinel")
	dir := t.TempDir()
	conf := filepath.Join(dir, "sentinel.conf")
	return start(t, bin, dir, within, func(port int) []string {
		body := fmt.Sprintf("port %d\nbind 127.0.0.1\ndir %s\n", port, dir)
		for _, l := range lines {
			body += l + "\n"
		}
		if err := os.WriteFile(conf, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		return []string{conf}
	})
}

// start runs bin with argsFor(a free port) until it answers, trying startAttempts ports.
func start(t testing.TB, bin, dir string, within time.Duration, argsFor func(port int) []string) *Server {
	t.Helper()
	var s *Server
	for attempt := 1; ; attempt++ {
		port := FreePort(t)
		args := argsFor(port)
		if s == nil {
			s = &Server{Process: Start(t, dir, bin, args...), Dir: dir, within: within}
		} else {
			s.args = args
			if err := s.start(); err != nil {
				t.Fatal(err)
			}
		}
		s.Port, s.Addr = port, "127.0.0.1:"+strconv.Itoa(port)
		err := s.WaitAnswering("tcp", s.Addr, within)
		if err == nil {
			return s
		}
		s.Stop()
		if attempt == startAttempts {
			t.Fatalf("%s %s: %v", filepath.Base(bin), strings.Join(args, " "), err)
		}
	}
}

// Restart stops the server (SIGKILL) and starts it again on the same port with the same
// arguments, and waits as long as at the start until it answers; it fails the test when the
// server does not come back.
func (s *Server) Restart() {
	s.t.Helper()
	s.Stop()
	if err := s.start(); err != nil {
		s.t.Fatal(err)
	}
	if err := s.WaitAnswering("tcp", s.Addr, s.within); err != nil {
		s.t.Fatal(err)
	}
}
