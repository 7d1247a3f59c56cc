package realredis

import (
	"net"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// RequireEnv is the variable that turns a missing program from a skip into a failure.
const RequireEnv = "REDISTEST_REQUIRE_REAL"

// debianBin is where Debian installs redis-server, redis-sentinel and redis-cli, looked in
// when PATH does not lead to them.
const debianBin = "/usr/bin/"

// Missing says that something a test needs from the real Redis is not there: it skips t,
// or fails it under REDISTEST_REQUIRE_REAL=1.
func Missing(t testing.TB, format string, args ...any) {
	t.Helper()
	if os.Getenv(RequireEnv) == "1" {
		t.Fatalf(format+" (required: "+RequireEnv+"=1)", args...)
	} else {
		t.Skipf(format, args...)
	}
}

// Binary returns the path of the named program, or calls Missing. A bare name is looked up
// on PATH and then in /usr/bin; a path (with a slash) is used as it is, for the tests that
// must run Debian's 7.0.15 and not whatever PATH finds first.
func Binary(t testing.TB, name string) string {
	t.Helper()
	path, err := exec.LookPath(name)
	if err != nil && !strings.Contains(name, "/") {
		if p, err2 := exec.LookPath(debianBin + name); err2 == nil {
			path, err = p, nil
		}
	}
	if err != nil {
		Missing(t, "%s not installed (Debian's redis-server, redis-sentinel and redis-tools 7.0.15): %v", name, err)
	}
	return path
}

// FreePort asks the kernel for a free loopback port. Another process may take it before
// the caller binds it; StartServer and StartSentinel retry on a fresh port when that happens.
func FreePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}
