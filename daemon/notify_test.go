package daemon

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// listenNotify stands in for systemd: a unixgram socket named name.
func listenNotify(t *testing.T, name string) *net.UnixConn {
	t.Helper()
	l, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: name, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	return l
}

func receive(t *testing.T, l *net.UnixConn) string {
	t.Helper()
	if err := l.SetReadDeadline(time.Now().Add(5 * time.Second)); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 4096)
	n, err := l.Read(buf)
	if err != nil {
		t.Fatal(err)
	}
	return string(buf[:n])
}

func TestSdNotify(t *testing.T) {
	for _, name := range []string{
		filepath.Join(t.TempDir(), "notify.sock"),
		fmt.Sprintf("@sentinel-test-notify-%d-%d", os.Getpid(), time.Now().UnixNano()),
	} {
		l := listenNotify(t, name)
		t.Setenv("NOTIFY_SOCKET", name)
		const ready = "STATUS=Ready to accept connections\nREADY=1\n"
		if err := sdNotify(ready); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if err := sdNotify("STOPPING=1\n"); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		// Each call is one datagram, received whole.
		if got := receive(t, l); got != ready {
			t.Errorf("%s: first datagram %q", name, got)
		}
		if got := receive(t, l); got != "STOPPING=1\n" {
			t.Errorf("%s: second datagram %q", name, got)
		}
	}
}

func TestSdNotifyUnsetOrBad(t *testing.T) {
	t.Setenv("NOTIFY_SOCKET", "")
	if err := sdNotify("READY=1\n"); err != nil {
		t.Errorf("unset NOTIFY_SOCKET: %v", err)
	}
	t.Setenv("NOTIFY_SOCKET", "relative.sock")
	if err := sdNotify("READY=1\n"); err == nil {
		t.Error("relative NOTIFY_SOCKET accepted")
	}
	t.Setenv("NOTIFY_SOCKET", filepath.Join(t.TempDir(), "nobody-listens.sock"))
	if err := sdNotify("READY=1\n"); err == nil {
		t.Error("no error without a listener")
	}
}
