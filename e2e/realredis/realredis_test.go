package realredis

import (
	"crypto/tls"
	"fmt"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/sentinel-go/sentinel/internal/tlstest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// outcome records what Missing decided instead of ending the test.
type outcome struct {
	testing.TB
	skipped, failed string
}

func (o *outcome) Skipf(format string, args ...any)  { o.skipped = fmt.Sprintf(format, args...) }
func (o *outcome) Fatalf(format string, args ...any) { o.failed = fmt.Sprintf(format, args...) }

func TestBinaryMissing(t *testing.T) {
	for _, tt := range []struct {
		env        string
		skip, fail bool
	}{{"", true, false}, {"0", true, false}, {"1", false, true}} {
		t.Setenv(RequireEnv, tt.env)
		o := &outcome{TB: t}
		Binary(o, "redis-no-such-program")
		if (o.skipped != "") != tt.skip || (o.failed != "") != tt.fail {
			t.Errorf("%s=%q: skipped %q, failed %q", RequireEnv, tt.env, o.skipped, o.failed)
		}
	}
}

func TestFreePort(t *testing.T) {
	port := FreePort(t)
	l, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(port))
	if err != nil {
		t.Fatalf("port %d is not free: %v", port, err)
	}
	l.Close()
}

func TestServerRestartAndStop(t *testing.T) {
	s := StartServer(t, 10*time.Second, "--requirepass", "secret")
	if err := ping("tcp", s.Addr); err != nil {
		t.Fatalf("a server that wants a password counts as up: %v", err)
	}
	s.Restart()
	if n := strings.Count(s.Log(), "Ready to accept connections"); n != 2 {
		t.Errorf("two runs logged %d ready lines:\n%s", n, s.Log())
	}
	s.Stop()
	if err := ping("tcp", s.Addr); err == nil {
		t.Fatal("still answering after Stop")
	}
	s.Stop() // stopping twice is harmless
}

func TestSentinel(t *testing.T) {
	s := StartSentinel(t, 10*time.Second, "sentinel monitor m 127.0.0.1 "+strconv.Itoa(FreePort(t))+" 1")
	if err := ping("tcp", s.Addr); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(s.Log(), "+monitor master m") {
		t.Errorf("no +monitor in the log:\n%s", s.Log())
	}
}

// TestTLS starts a server and a sentinel on TLS only: each answers a PING over TLS with a
// certificate the CA signed, and neither a plaintext one; the server comes back on TLS
// after a restart.
func TestTLS(t *testing.T) {
	k := tlstest.NewT(t)
	cc := k.Client
	x := TLS{CertFile: k.Files.Cert, KeyFile: k.Files.Key, CAFile: k.Files.CA, Client: cc}
	tlsPing := func(addr string) error {
		return pingOn(func() (net.Conn, error) { return tls.Dial("tcp", addr, cc) })
	}
	s := StartServerTLS(t, 10*time.Second, x)
	s.Restart()
	sen := StartSentinelTLS(t, 10*time.Second, x, "sentinel monitor m 127.0.0.1 "+strconv.Itoa(s.Port)+" 1")
	for _, srv := range []*Server{s, sen} {
		if err := tlsPing(srv.Addr); err != nil {
			t.Errorf("%s: PING over TLS: %v", srv.Addr, err)
		}
		if err := ping("tcp", srv.Addr); err == nil {
			t.Errorf("%s answered a plaintext PING", srv.Addr)
		}
	}
}

// TestProcessRestart: Restart runs the same command again under a new PID, appending to the
// same log, and Stop leaves no PID.
func TestProcessRestart(t *testing.T) {
	p := Start(t, t.TempDir(), "/bin/sh", "-c", "echo run; exec sleep 60")
	runs := func(n int) { // the n-th run has written its line
		t.Helper()
		waitUntil(t, func() bool { return strings.Count(p.Log(), "run") == n }, "run %d logged", n)
	}
	runs(1)
	first := p.PID()
	if first == 0 {
		t.Fatal("running, yet no PID")
	}
	if err := p.Restart(); err != nil {
		t.Fatal(err)
	}
	if pid := p.PID(); pid == 0 || pid == first {
		t.Fatalf("restarted pid %d, first %d", pid, first)
	}
	runs(2)
	p.Stop()
	if pid := p.PID(); pid != 0 {
		t.Fatalf("stopped, yet PID %d", pid)
	}
}

// waitUntil polls cond every 10 ms for at most 10 s.
func waitUntil(t *testing.T, cond func() bool, format string, args ...any) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !cond(); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("not within 10 s: "+format, args...)
		}
	}
}
