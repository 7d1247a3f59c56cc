package daemon

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
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
	c := redis.NewClient(&redis.Options{Addr: fmt.Sprintf("127.0.0.1:%d", port), TLSConfig: cc, MaxRetries: -1,
		Protocol: 2, DisableIdentity: true})
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

// serialAt opens a fresh TLS connection to addr and returns the serial of the certificate
// it was shown.
func serialAt(t *testing.T, k *tlstest.Kit, addr string) string {
	t.Helper()
	cfg, err := k.ClientConfig()
	if err != nil {
		t.Fatal(err)
	}
	c, err := tls.DialWithDialer(&net.Dialer{Timeout: 5 * time.Second}, "tcp", addr, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	return c.ConnectionState().PeerCertificates[0].SerialNumber.String()
}

// writePair replaces the kit's server files by rename, as deploy tools do.
func writePair(t *testing.T, k *tlstest.Kit, cert, key []byte) {
	t.Helper()
	for path, data := range map[string][]byte{k.Files.Cert: cert, k.Files.Key: key} {
		if err := os.WriteFile(path+".new", data, 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(path+".new", path); err != nil {
			t.Fatal(err)
		}
	}
}

// TestDaemonTLSReplicationAndRotation runs our sentinel TLS-only (port 0, tls-port,
// tls-replication) over a real redis-server that speaks only TLS and wants client
// certificates. The sentinel's links must be TLS to see the master at all; a go-redis
// FailoverClient and a Pub/Sub subscriber use it over TLS. Then the certificate files are
// replaced: new connections see the new certificate, the subscriber keeps receiving, and
// a corrupt replacement is refused with the current certificate kept; SIGHUP reloads too.
func TestDaemonTLSReplicationAndRotation(t *testing.T) {
	dir := t.TempDir()
	k, err := tlstest.NewKit(dir)
	if err != nil {
		t.Fatal(err)
	}
	masterTLS := realredis.FreePort(t)
	master := realredis.StartServer(t, 10*time.Second, "--tls-port", strconv.Itoa(masterTLS),
		"--tls-cert-file", k.Files.Cert, "--tls-key-file", k.Files.Key, "--tls-ca-cert-file", k.Files.CA,
		"--tls-auth-clients", "yes")
	_ = master
	tick := make(chan time.Time)
	tlsWatchTick = tick
	t.Cleanup(func() { tlsWatchTick = nil })

	port := realredis.FreePort(t)
	conf := tlsConf(t, dir, k, fmt.Sprintf("port 0\ntls-port %d\ntls-replication yes\n"+
		"sentinel monitor mymaster 127.0.0.1 %d 1\nsentinel down-after-milliseconds mymaster 2000\n", port, masterTLS))
	d := startDaemon(t, port, conf)
	sc := tlsClient(t, k, port)
	ctx := context.Background()
	waitFor(t, 15*time.Second, "the master's INFO over a TLS link", func() bool {
		v, err := sc.Do(ctx, "SENTINEL", "MASTER", "mymaster").StringSlice()
		m := map[string]string{}
		for i := 0; i+1 < len(v); i += 2 {
			m[v[i]] = v[i+1]
		}
		return err == nil && m["flags"] == "master" && len(m["runid"]) == 40
	})
	cc, _ := k.ClientConfig()
	fc := redis.NewFailoverClient(&redis.FailoverOptions{MasterName: "mymaster",
		SentinelAddrs: []string{fmt.Sprintf("127.0.0.1:%d", port)}, TLSConfig: cc, MaxRetries: -1})
	t.Cleanup(func() { fc.Close() })
	if err := fc.Set(ctx, "k", "v1", 0).Err(); err != nil {
		t.Fatalf("FailoverClient through our TLS sentinel: %v", err)
	}
	sub := sc.Subscribe(ctx, "+set")
	t.Cleanup(func() { sub.Close() })
	if _, err := sub.Receive(ctx); err != nil {
		t.Fatal(err)
	}
	events := sub.Channel()
	expectSet := func(value string) {
		t.Helper()
		if err := tlsClient(t, k, port).Do(ctx, "SENTINEL", "SET", "mymaster", "down-after-milliseconds", value).Err(); err != nil {
			t.Fatal(err)
		}
		select {
		case m := <-events:
			if want := "master mymaster 127.0.0.1 " + strconv.Itoa(masterTLS) + " down-after-milliseconds " + value; m.Payload != want {
				t.Fatalf("+set payload %q, want %q", m.Payload, want)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("the subscriber got no +set")
		}
	}
	expectSet("3000")
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	if got, want := serialAt(t, k, addr), k.Pair.Cert.SerialNumber.String(); got != want {
		t.Fatalf("serial %s, want %s", got, want)
	}

	// A new pair on disk: the next poll loads it.
	next, err := k.CA.Leaf(tlstest.LeafOptions{})
	if err != nil {
		t.Fatal(err)
	}
	writePair(t, k, next.CertPEM, next.KeyPEM)
	tick <- time.Now()
	tick <- time.Now() // taken only once the first poll is done
	if got, want := serialAt(t, k, addr), next.Cert.SerialNumber.String(); got != want {
		t.Fatalf("after the change, serial %s, want %s", got, want)
	}
	expectSet("4000") // the subscriber's connection, from before, still works
	if err := fc.Set(ctx, "k", "v2", 0).Err(); err != nil {
		t.Fatalf("FailoverClient after the reload: %v", err)
	}

	// A corrupt key is refused; the loaded pair stays.
	writePair(t, k, next.CertPEM, []byte("not a key\n"))
	tick <- time.Now()
	tick <- time.Now()
	if got, want := serialAt(t, k, addr), next.Cert.SerialNumber.String(); got != want {
		t.Fatalf("after a corrupt replacement, serial %s, want %s", got, want)
	}

	// SIGHUP reloads without waiting for the poll.
	third, err := k.CA.Leaf(tlstest.LeafOptions{})
	if err != nil {
		t.Fatal(err)
	}
	writePair(t, k, third.CertPEM, third.KeyPEM)
	if err := syscall.Kill(os.Getpid(), syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 10*time.Second, "the SIGHUP reload", func() bool { return serialAt(t, k, addr) == third.Cert.SerialNumber.String() })
	expectSet("5000")

	log := d.stopOK(t)
	for _, want := range []string{
		"* TLS server certificate loaded: subject \"CN=localhost,O=sentinel tests\", serial " + next.Cert.SerialNumber.String() +
			", expires " + next.Cert.NotAfter.UTC().Format(time.RFC3339) + "\n",
		"# TLS certificates not reloaded, keeping the current ones: Failed to load private key: " + k.Files.Key +
			": error:1E08010C:DECODER routines::unsupported\n",
		"* Received SIGHUP, reloading the TLS certificates\n",
		"* TLS server certificate loaded: subject \"CN=localhost,O=sentinel tests\", serial " + third.Cert.SerialNumber.String(),
	} {
		if !strings.Contains(log, want) {
			t.Errorf("log lacks %q:\n%s", want, log)
		}
	}
}

// TestDaemonTLSPortBusy: a TLS port that cannot be bound ends the daemon with
// listenToPort's lines, "(TLS)" naming the port's kind, and exit code 1.
func TestDaemonTLSPortBusy(t *testing.T) {
	dir := t.TempDir()
	k, err := tlstest.NewKit(dir)
	if err != nil {
		t.Fatal(err)
	}
	busy, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	port := busy.Addr().(*net.TCPAddr).Port
	conf := tlsConf(t, dir, k, fmt.Sprintf("port 0\ntls-port %d\n", port))
	var stdout, stderr strings.Builder
	if code := Run(context.Background(), conf, nil, &stdout, &stderr); code != 1 {
		t.Fatalf("exit %d, want 1", code)
	}
	for _, want := range []string{
		fmt.Sprintf("# Warning: Could not create server TCP listening socket 127.0.0.1:%d: bind: Address already in use\n", port),
		fmt.Sprintf("# Failed listening on port %d (TLS), aborting.\n", port),
	} {
		if !strings.Contains(stdout.String(), want) {
			t.Errorf("log lacks %q:\n%s", want, stdout.String())
		}
	}
}
