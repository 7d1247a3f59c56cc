package endpoint

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// rest reads until the server closes the connection and returns what came first.
func (c *rawClient) rest() string {
	c.t.Helper()
	c.nc.SetReadDeadline(time.Now().Add(wait))
	b, err := io.ReadAll(c.br)
	if err != nil && !errors.Is(err, syscall.ECONNRESET) {
		c.t.Fatalf("read: %v (got %q)", err, b)
	}
	return string(b)
}

// limitsTranscript runs Redis's connection limits against a sentinel configured with
// requirepass x, maxclients 3 and timeout 1, and records every byte it answers.
func limitsTranscript(t *testing.T, addr string) string {
	var b strings.Builder
	note := func(what, got string) { fmt.Fprintf(&b, "%s: %q\n", what, got) }

	// maxclients first, while nobody else is connected: wait for the starter's probe to go.
	a := dialRaw(t, addr)
	note("a AUTH", a.do("AUTH x"))
	waitFor(t, "a to be the only client", func() bool {
		return strings.Count(a.do("CLIENT LIST"), "id=") == 1
	})
	sub, idle := dialRaw(t, addr), dialRaw(t, addr)
	note("sub AUTH", sub.do("AUTH x"))
	note("idle AUTH", idle.do("AUTH x"))
	note("fourth", dialRaw(t, addr).rest())

	// timeout: the idle clients go, the subscriber stays although idle as long.
	note("sub SUBSCRIBE", sub.do("SUBSCRIBE ch"))
	note("idle closed", idle.rest())
	note("a closed", a.rest())
	note("sub PING", sub.do("PING"))

	// Requests refused before authentication, and those at the limits, which pass.
	for _, in := range []string{
		"*100000\r\n", "*11\r\n", "*10\r\n$16385\r\n", "*-1\r\n*0\r\n*11\r\n",
		"*3000000000\r\n", "*1\r\n$600000000\r\n", "PING\r\n*11\r\n",
		"*1\r\n$3145728\r\n" + strings.Repeat("x", 1<<20),
	} {
		c := dialRaw(t, addr)
		c.nc.SetWriteDeadline(time.Now().Add(wait))
		c.nc.Write([]byte(in)) // may fail: the server closes without reading the rest
		note(fmt.Sprintf("%q", in[:min(len(in), 20)]), c.rest())
	}
	c := dialRaw(t, addr)
	note("10 arguments", c.do("*10\r\n"+strings.Repeat("$4\r\nPING\r\n", 10)))
	note("16384 bytes", c.do("*1\r\n$16384\r\n"+strings.Repeat("x", 16384)+"\r\n"))
	// Once authenticated, the limits no longer apply, from the very next request.
	c = dialRaw(t, addr)
	c.send("AUTH x\r\n*12\r\n$4\r\nPING\r\n$20000\r\n" + strings.Repeat("x", 20000) + "\r\n" + strings.Repeat("$1\r\nx\r\n", 10))
	note("AUTH then 12 arguments", c.read())
	note("", c.read())
	return b.String()
}

// TestLimitsDifferential compares the unauthenticated request limits, maxclients and the
// idle timeout, byte for byte, with redis-sentinel 7.0.15's.
func TestLimitsDifferential(t *testing.T) {
	if testing.Short() {
		t.Skip("waits for two idle timeouts")
	}
	real := startRealSentinel(t, "requirepass x", "maxclients 3", "timeout 1")
	_, ours := startServer(t, Options{RequirePass: "x", MaxClients: 3, IdleTimeout: time.Second})
	want := limitsTranscript(t, real)
	got := limitsTranscript(t, ours)
	if got != want {
		t.Errorf("ours:\n%s\nredis-sentinel:\n%s", got, want)
	}
}

// TestUnixSocketDifferential: a client on the unix socket is shown as Redis shows it,
// with the socket's path at both ends and the U flag, and the socket file gets
// unixsocketperm.
func TestUnixSocketDifferential(t *testing.T) {
	info := func(path string) string {
		nc, err := net.DialTimeout("unix", path, wait)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { nc.Close() })
		c := &rawClient{t: t, nc: nc, br: bufio.NewReader(nc)}
		line := strings.ReplaceAll(c.do("CLIENT INFO"), path, "PATH")
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		fields := strings.Fields(line)[1:] // the bulk's length follows the values
		for i, f := range fields {
			if k, _, _ := strings.Cut(f, "="); !strings.HasPrefix(f, "addr=") && !strings.HasPrefix(f, "laddr=") && !strings.HasPrefix(f, "flags=") {
				fields[i] = k
			}
		}
		return fmt.Sprintf("%v %s", fi.Mode(), strings.Join(fields, " "))
	}
	realPath := filepath.Join(t.TempDir(), "real.sock")
	startRealSentinel(t, "unixsocket "+realPath, "unixsocketperm 700")
	want := info(realPath)

	s := New(Options{Sentinel: &fakeSentinel{}})
	path := filepath.Join(t.TempDir(), "ours.sock")
	l, err := ListenUnix(path, 0o700)
	if err != nil {
		t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- s.Serve(l) }()
	t.Cleanup(func() {
		s.Close()
		<-served
	})
	if got := info(path); got != want {
		t.Errorf("ours:\n%s\nredis-sentinel:\n%s", got, want)
	}
}
