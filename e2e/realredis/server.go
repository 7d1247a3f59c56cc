package realredis

import (
	"crypto/tls"
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
	tls    *TLS          // set when it listens on TLS only
}

// TLS makes a redis-server or redis-sentinel speak TLS only and on every link: port 0 and
// tls-port, tls-replication yes (a replica's link to its master, and a sentinel's links to
// instances and peers) and tls-auth-clients yes, as a deployment that encrypts everything
// runs. Port and Addr are then the tls-port's.
type TLS struct {
	CertFile, KeyFile, CAFile string
	// Client is how the start-up probe dials the server: a config trusting the CA and
	// presenting a certificate it signed.
	Client *tls.Config
}

// Config returns the redis.conf lines, in order, for a server on tls-port port.
func (x *TLS) Config(port int) [][2]string {
	return [][2]string{{"port", "0"}, {"tls-port", strconv.Itoa(port)},
		{"tls-cert-file", x.CertFile}, {"tls-key-file", x.KeyFile}, {"tls-ca-cert-file", x.CAFile},
		{"tls-replication", "yes"}, {"tls-auth-clients", "yes"}}
}

// Lines is Config as redis.conf text, one "name value" line each.
func (x *TLS) Lines(port int) string {
	var b strings.Builder
	for _, kv := range x.Config(port) {
		fmt.Fprintf(&b, "%s %s\n", kv[0], kv[1])
	}
	return b.String()
}

func (x *TLS) args(port int) []string {
	var args []string
	for _, kv := range x.Config(port) {
		args = append(args, "--"+kv[0], kv[1])
	}
	return args
}

// StartServer runs redis-server on a free loopback port, with no persistence and its dir in
// a fresh t.TempDir, plus args (command-line options such as "--replicaof", "h", "p"), and
// waits at most within until it answers PING.
func StartServer(t testing.TB, within time.Duration, args ...string) *Server {
	t.Helper()
	bin := Binary(t, "redis-server")
	dir := t.TempDir()
	return start(t, bin, dir, within, nil, func(port int) []string {
		base := []string{"--port", strconv.Itoa(port), "--bind", "127.0.0.1", "--save", "",
			"--appendonly", "no", "--dir", dir, "--daemonize", "no"}
		return append(base, args...)
	})
}

// StartServerTLS is StartServer for a server that speaks TLS only, on every link (see TLS).
func StartServerTLS(t testing.TB, within time.Duration, x TLS, args ...string) *Server {
	t.Helper()
	bin := Binary(t, "redis-server")
	dir := t.TempDir()
	return start(t, bin, dir, within, &x, func(port int) []string {
		base := append([]string{"--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", dir,
			"--daemonize", "no"}, x.args(port)...)
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
	return start(t, bin, dir, within, nil, func(port int) []string {
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

// StartSentinelTLS is StartSentinel for a sentinel that speaks TLS only, on every link (see
// TLS): its sentinel.conf has the TLS lines in place of the port line.
func StartSentinelTLS(t testing.TB, within time.Duration, x TLS, lines ...string) *Server {
	t.Helper()
	bin := Binary(t, "redis-sentinel")
	dir := t.TempDir()
	conf := filepath.Join(dir, "sentinel.conf")
	return start(t, bin, dir, within, &x, func(port int) []string {
		var b strings.Builder
		fmt.Fprintf(&b, "%sbind 127.0.0.1\ndir %s\n", x.Lines(port), dir)
		for _, l := range lines {
			b.WriteString(l + "\n")
		}
		if err := os.WriteFile(conf, []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
		return []string{conf}
	})
}

// start runs bin with argsFor(a free port) until it answers, trying startAttempts ports.
// With x set it probes over TLS.
func start(t testing.TB, bin, dir string, within time.Duration, x *TLS, argsFor func(port int) []string) *Server {
	t.Helper()
	var s *Server
	for attempt := 1; ; attempt++ {
		port := FreePort(t)
		args := argsFor(port)
		if s == nil {
			s = &Server{Process: Start(t, dir, bin, args...), Dir: dir, within: within, tls: x}
		} else {
			s.args = args
			if err := s.start(); err != nil {
				t.Fatal(err)
			}
		}
		s.Port, s.Addr = port, "127.0.0.1:"+strconv.Itoa(port)
		err := s.waitUp()
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
	if err := s.waitUp(); err != nil {
		s.t.Fatal(err)
	}
}

// waitUp waits as long as the server may take to answer PING, over TLS if it speaks TLS.
func (s *Server) waitUp() error {
	if s.tls != nil {
		return s.WaitAnsweringTLS(s.Addr, s.tls.Client, s.within)
	}
	return s.WaitAnswering("tcp", s.Addr, s.within)
}
