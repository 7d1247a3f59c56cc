package daemon

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/sentinel-go/sentinel/e2e/realredis"
)

// TestDaemonConnectionLimits checks that sentinel.conf's maxclients, timeout, unixsocket and
// unixsocketperm reach the endpoint: the socket is served with its mode, the client past
// maxclients gets Redis's refusal, and an idle client is closed after timeout.
func TestDaemonConnectionLimits(t *testing.T) {
	dir := t.TempDir()
	port := realredis.FreePort(t)
	sock := filepath.Join(dir, "s.sock")
	conf := filepath.Join(dir, "sentinel.conf")
	body := fmt.Sprintf("port %d\nbind 127.0.0.1\nmaxclients 1\ntimeout 1\nunixsocket %s\nunixsocketperm 700\nsentinel monitor m 127.0.0.1 1 1\n", port, sock)
	if err := os.WriteFile(conf, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	d := startDaemon(t, port, conf)
	waitFor(t, 10*time.Second, "the unix socket", func() bool {
		fi, err := os.Stat(sock)
		return err == nil && fi.Mode()&os.ModeSocket != 0
	})
	if fi, _ := os.Stat(sock); fi.Mode().Perm() != 0o700 {
		t.Errorf("socket mode %v, want 0700", fi.Mode().Perm())
	}

	first, err := net.Dial("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	defer first.Close()
	first.SetDeadline(time.Now().Add(10 * time.Second))
	r := bufio.NewReader(first)
	if _, err := first.Write([]byte("PING\r\n")); err != nil {
		t.Fatal(err)
	}
	if line, err := r.ReadString('\n'); err != nil || line != "+PONG\r\n" {
		t.Fatalf("first client: %q, %v", line, err)
	}

	second, err := net.Dial("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	defer second.Close()
	second.SetDeadline(time.Now().Add(10 * time.Second))
	if line, err := bufio.NewReader(second).ReadString('\n'); err != nil || line != "-ERR max number of clients reached\r\n" {
		t.Fatalf("client past maxclients: %q, %v", line, err)
	}

	// timeout 1: the idle first client is closed within Redis's cron granularity.
	start := time.Now()
	if _, err := r.ReadByte(); err == nil {
		t.Fatal("idle client got data instead of being closed")
	}
	if idle := time.Since(start); idle < 500*time.Millisecond || idle > 5*time.Second {
		t.Errorf("idle client closed after %v, want about timeout (1 s) plus a cron tick", idle)
	}
	d.stopOK(t)
}
