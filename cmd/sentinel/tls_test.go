package main

import (
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/sentinel-go/sentinel/e2e/realredis"
	"github.com/sentinel-go/sentinel/internal/tlstest"
)

// tlsConf writes a sentinel.conf with the kit's files and returns its path.
func tlsConf(t *testing.T, dir string, k *tlstest.Kit, body string) string {
	t.Helper()
	conf := filepath.Join(dir, "sentinel.conf")
	text := fmt.Sprintf("bind 127.0.0.1\ntls-cert-file %s\ntls-key-file %s\ntls-ca-cert-file %s\n%s",
		k.Files.Cert, k.Files.Key, k.Files.CA, body)
	if err := os.WriteFile(conf, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return conf
}

func tlsClient(t *testing.T, k *tlstest.Kit, port int) *redis.Client {
	t.Helper()
	cc, err := k.ClientConfig()
	if err != nil {
		t.Fatal(err)
	}
	c := redis.NewClient(&redis.Options{Addr: fmt.Sprintf("127.0.0.1:%d", port), TLSConfig: cc, MaxRetries: -1})
	t.Cleanup(func() { c.Close() })
	return c
}

// TestDaemonTLSPortOnly is the reported bug: `port 0` with `tls-port` must listen on the TLS
// port, serve TLS clients there, refuse a plaintext one, and name the TLS port in the
// Running-mode line as redis-sentinel does.
func TestDaemonTLSPortOnly(t *testing.T) {
	dir := t.TempDir()
	k, err := tlstest.NewKit(dir)
	if err != nil {
		t.Fatal(err)
	}
	port := realredis.FreePort(t)
	conf := tlsConf(t, dir, k, fmt.Sprintf("port 0\ntls-port %d\n", port))
	d := startDaemon(t, port, conf)
	c := tlsClient(t, k, port)
	ctx := context.Background()
	waitFor(t, 10*time.Second, "PONG over TLS", func() bool { return c.Ping(ctx).Val() == "PONG" })

	// CLIENT LIST shows the socket's descriptor, not -1, under TLS.
	list := c.ClientList(ctx).Val()
	if m := regexp.MustCompile(` fd=(-?\d+) `).FindStringSubmatch(list); m == nil || m[1] == "-1" {
		t.Errorf("CLIENT LIST fd under TLS: %q", list)
	}

	// A plaintext client gets no reply and loses its connection; the port keeps serving.
	for range 3 {
		nc, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", port), 5*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		nc.SetDeadline(time.Now().Add(5 * time.Second))
		if _, err := nc.Write([]byte("*1\r\n$4\r\nPING\r\n")); err != nil {
			t.Fatal(err)
		}
		buf := make([]byte, 64)
		n, _ := nc.Read(buf)
		if strings.Contains(string(buf[:n]), "PONG") {
			t.Errorf("plaintext PING answered on the TLS port: %q", buf[:n])
		}
		nc.Close()
	}
	if got := c.Ping(ctx).Val(); got != "PONG" {
		t.Fatalf("TLS client after plaintext ones: %q", got)
	}
	log := d.stopOK(t)
	if want := fmt.Sprintf("* Running mode=sentinel, port=%d.\n", port); !strings.Contains(log, want) {
		t.Errorf("log lacks %q:\n%s", want, log)
	}
	// Three plaintext attempts from one address: one warning.
	if n := strings.Count(log, "plaintext client at 127.0.0.1"); n != 1 {
		t.Errorf("plaintext peer logged %d times, want once:\n%s", n, log)
	}
}
