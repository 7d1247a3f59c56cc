package tlsconf

import (
	"bytes"
	"context"
	"crypto/tls"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/sentinel-go/sentinel/internal/tlstest"
)

// serve runs a Listener over loopback with st's server configuration; each accepted
// connection echoes one line. It returns the address.
func serve(t *testing.T, st *Store, o ListenerOptions) string {
	t.Helper()
	inner, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	l := Listen(inner, st.ServerConfig(), o)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer c.Close()
				buf := make([]byte, 64)
				c.SetDeadline(time.Now().Add(10 * time.Second))
				for {
					n, err := c.Read(buf)
					if err != nil {
						return
					}
					if _, err := c.Write(buf[:n]); err != nil {
						return
					}
				}
			}()
		}
	}()
	t.Cleanup(func() { l.Close(); wg.Wait() })
	return inner.Addr().String()
}

// roundTrip dials addr with cfg and echoes one message: nil when the server accepted us.
func roundTrip(addr string, cfg *tls.Config) (*tls.Conn, error) {
	d := &tls.Dialer{NetDialer: &net.Dialer{Timeout: 5 * time.Second}, Config: cfg}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	nc, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, err
	}
	c := nc.(*tls.Conn)
	c.SetDeadline(time.Now().Add(5 * time.Second))
	// In TLS 1.3 the server's verdict on our certificate arrives after our handshake ends.
	if _, err := c.Write([]byte("ping")); err != nil {
		c.Close()
		return nil, err
	}
	buf := make([]byte, 4)
	if _, err := c.Read(buf); err != nil {
		c.Close()
		return nil, err
	}
	return c, nil
}

func newStore(t *testing.T, s Settings, o Options) *Store {
	t.Helper()
	st, err := New(s, o)
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// TestAuthClients: yes refuses a client without a certificate, optional and no accept
// it; a certificate from another CA is refused by yes and optional (OpenSSL's
// SSL_VERIFY_PEER fails on a bad certificate whether or not one is required).
func TestAuthClients(t *testing.T) {
	f := newFixture(t)
	pool := f.k.CA.Pool()
	mine, _ := f.k.Pair.TLS()
	foreign, _ := f.foreign.TLS()
	clients := map[string]*tls.Config{
		"no certificate": {RootCAs: pool},
		"our CA's":       {RootCAs: pool, Certificates: []tls.Certificate{mine}},
		// Sent whatever the server asks for: crypto/tls would otherwise withhold a
		// certificate the server's CA list does not name.
		"another CA's": {RootCAs: pool, GetClientCertificate: func(*tls.CertificateRequestInfo) (*tls.Certificate, error) {
			return &foreign, nil
		}},
	}
	want := map[string]map[string]bool{
		"yes":      {"no certificate": false, "our CA's": true, "another CA's": false},
		"optional": {"no certificate": true, "our CA's": true, "another CA's": false},
		"no":       {"no certificate": true, "our CA's": true, "another CA's": true},
	}
	for mode, outcomes := range want {
		s := f.good()
		s.AuthClients = mode
		addr := serve(t, newStore(t, s, Options{}), ListenerOptions{})
		for name, cfg := range clients {
			for _, v := range []uint16{tls.VersionTLS12, tls.VersionTLS13} {
				cfg := cfg.Clone()
				cfg.MaxVersion = v
				c, err := roundTrip(addr, cfg)
				if c != nil {
					c.Close()
				}
				if (err == nil) != outcomes[name] {
					t.Errorf("tls-auth-clients %s, client with %s certificate, TLS %x: err %v, want accepted=%v", mode, name, v, err, outcomes[name])
				}
			}
		}
	}
}

// TestClientVerifiesChainNotHost: outgoing links accept a certificate of our CA for
// another host (Redis checks no host name) and refuse one of another CA.
func TestClientVerifiesChainNotHost(t *testing.T) {
	f := newFixture(t)
	elsewhere, err := f.k.CA.Leaf(tlstest.LeafOptions{CommonName: "db.example", Hosts: []string{"db.example", "10.9.9.9"}})
	if err != nil {
		t.Fatal(err)
	}
	f.write(t, "elsewhere.crt", elsewhere.CertPEM)
	f.write(t, "elsewhere.key", elsewhere.KeyPEM)
	f.write(t, "foreign.crt", f.foreign.CertPEM)
	f.write(t, "foreign.key", f.foreign.KeyPEM)
	client := newStore(t, f.good(), Options{}).ClientConfig()
	for _, c := range []struct {
		pair string
		ok   bool
	}{{"elsewhere", true}, {"foreign", false}} {
		s := f.good()
		s.AuthClients = "no"
		s.CertFile, s.KeyFile = f.path(c.pair+".crt"), f.path(c.pair+".key")
		addr := serve(t, newStore(t, s, Options{}), ListenerOptions{})
		conn, err := roundTrip(addr, client)
		if conn != nil {
			conn.Close()
		}
		if (err == nil) != c.ok {
			t.Errorf("server with the %s pair: %v, want ok=%v", c.pair, err, c.ok)
		}
	}
}

// TestSessionTimeout: a ticket resumes within tls-session-cache-timeout, not after, and
// not at all with tls-session-caching no.
func TestSessionTimeout(t *testing.T) {
	f := newFixture(t)
	var mu sync.Mutex
	now := time.Now()
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	advance := func(d time.Duration) { mu.Lock(); now = now.Add(d); mu.Unlock() }
	for _, caching := range []bool{true, false} {
		s := f.good()
		s.AuthClients = "no"
		s.SessionCaching = caching
		s.SessionCacheTimeout = 60 * time.Second
		addr := serve(t, newStore(t, s, Options{Now: clock}), ListenerOptions{})
		cfg := &tls.Config{RootCAs: f.k.CA.Pool(), ClientSessionCache: tls.NewLRUClientSessionCache(4), ServerName: "localhost"}
		resumed := func() bool {
			c, err := roundTrip(addr, cfg)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			return c.ConnectionState().DidResume
		}
		if resumed() {
			t.Fatal("first connection resumed")
		}
		if got := resumed(); got != caching {
			t.Errorf("caching %v: second connection resumed=%v", caching, got)
		}
		advance(61 * time.Second)
		if resumed() {
			t.Errorf("caching %v: resumed a ticket older than the timeout", caching)
		}
	}
}

// syncBuffer is a log sink safe for the listener's goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}
func (s *syncBuffer) String() string { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

func testLogger(w *syncBuffer) hclog.Logger {
	return hclog.New(&hclog.LoggerOptions{Output: w, Level: hclog.Debug, DisableTime: true})
}

// TestListenerStalledAndPlaintext: a peer that never finishes its handshake delays no
// one and is dropped at the deadline; a plaintext peer is refused and logged once
// however often it tries.
func TestListenerStalledAndPlaintext(t *testing.T) {
	f := newFixture(t)
	s := f.good()
	s.AuthClients = "no"
	var logs syncBuffer
	addr := serve(t, newStore(t, s, Options{}), ListenerOptions{HandshakeTimeout: 300 * time.Millisecond, Logger: testLogger(&logs)})

	stalled, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer stalled.Close()
	cfg := &tls.Config{RootCAs: f.k.CA.Pool(), ServerName: "localhost"}
	c, err := roundTrip(addr, cfg)
	if err != nil {
		t.Fatalf("a stalled peer blocked a good one: %v", err)
	}
	c.Close()
	// The stalled one is closed by the deadline: its read ends.
	stalled.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := stalled.Read(make([]byte, 1)); err == nil || isTimeout(err) {
		t.Errorf("stalled handshake not dropped: %v", err)
	}

	for range 5 {
		p, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		p.SetDeadline(time.Now().Add(5 * time.Second))
		p.Write([]byte("*1\r\n$4\r\nPING\r\n"))
		buf := make([]byte, 64)
		n, _ := p.Read(buf)
		p.Close()
		if bytes.Contains(buf[:n], []byte("PONG")) {
			t.Error("plaintext answered")
		}
	}
	want := "Error accepting a client connection: error:0A00010B:SSL routines::wrong version number (a plaintext client at 127.0.0.1 on the TLS port; further attempts from it are not logged)"
	deadline := time.Now().Add(5 * time.Second)
	for !(strings.Contains(logs.String(), want) && strings.Contains(logs.String(), "TLS handshake timed out")) && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if n := strings.Count(logs.String(), want); n != 1 {
		t.Errorf("plaintext warning logged %d times, want 1:\n%s", n, logs.String())
	}
	if !strings.Contains(logs.String(), "TLS handshake timed out") {
		t.Errorf("no timeout line:\n%s", logs.String())
	}
}

// TestReload: the next handshake presents the new pair, an established connection keeps
// working, and a corrupt replacement is refused with the old pair kept.
func TestReload(t *testing.T) {
	f := newFixture(t)
	s := f.good()
	s.AuthClients = "no"
	var logs syncBuffer
	st := newStore(t, s, Options{Logger: testLogger(&logs)})
	addr := serve(t, st, ListenerOptions{})
	cfg := &tls.Config{RootCAs: f.k.CA.Pool(), ServerName: "localhost"}
	old, err := roundTrip(addr, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer old.Close()
	serial := func() string {
		c, err := roundTrip(addr, cfg)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		return c.ConnectionState().PeerCertificates[0].SerialNumber.String()
	}
	if got, want := serial(), f.k.Pair.Cert.SerialNumber.String(); got != want {
		t.Fatalf("serial %s, want %s", got, want)
	}
	next, err := f.k.CA.Leaf(tlstest.LeafOptions{})
	if err != nil {
		t.Fatal(err)
	}
	replace(t, f.k.Files.Cert, next.CertPEM)
	replace(t, f.k.Files.Key, next.KeyPEM)
	tick := make(chan time.Time)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); st.Watch(ctx, tick) }()
	defer func() { cancel(); <-done }()
	tick <- time.Now()
	tick <- time.Now() // the second tick returns only after the first poll's reload
	if got, want := serial(), next.Cert.SerialNumber.String(); got != want {
		t.Fatalf("after the change, serial %s, want %s", got, want)
	}
	if !strings.Contains(logs.String(), "TLS server certificate loaded: "+describe(next.Cert)) {
		t.Errorf("no reload line:\n%s", logs.String())
	}
	// The connection from before the change still works.
	old.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := old.Write([]byte("more")); err != nil {
		t.Fatal(err)
	}
	if _, err := old.Read(make([]byte, 4)); err != nil {
		t.Fatalf("established connection broken by the reload: %v", err)
	}
	// A corrupt key: refused, the current pair stays.
	replace(t, f.k.Files.Key, []byte("garbage\n"))
	tick <- time.Now()
	tick <- time.Now()
	if got, want := serial(), next.Cert.SerialNumber.String(); got != want {
		t.Fatalf("after a corrupt key, serial %s, want %s", got, want)
	}
	want := "TLS certificates not reloaded, keeping the current ones: Failed to load private key: " + f.k.Files.Key + ": error:1E08010C:DECODER routines::unsupported"
	if !strings.Contains(logs.String(), want) {
		t.Errorf("no refusal line %q:\n%s", want, logs.String())
	}
}

// replace swaps a file atomically (a rename), as cert-manager and most deploy tools do.
func replace(t *testing.T, path string, data []byte) {
	t.Helper()
	tmp := path + ".new"
	if err := os.WriteFile(tmp, data, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		t.Fatal(err)
	}
}

// TestWatchSymlinkSwap: Kubernetes-style secret volumes point each file through a
// "..data" symlink that is swapped whole; the watch follows it.
func TestWatchSymlinkSwap(t *testing.T) {
	f := newFixture(t)
	vol := t.TempDir()
	gen := func(name string, p *tlstest.Pair) {
		d := filepath.Join(vol, name)
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
		os.WriteFile(filepath.Join(d, "tls.crt"), p.CertPEM, 0o644)
		os.WriteFile(filepath.Join(d, "tls.key"), p.KeyPEM, 0o600)
	}
	gen("v1", f.k.Pair)
	if err := os.Symlink("v1", filepath.Join(vol, "..data")); err != nil {
		t.Fatal(err)
	}
	for _, n := range []string{"tls.crt", "tls.key"} {
		if err := os.Symlink(filepath.Join("..data", n), filepath.Join(vol, n)); err != nil {
			t.Fatal(err)
		}
	}
	s := f.good()
	s.CertFile, s.KeyFile = filepath.Join(vol, "tls.crt"), filepath.Join(vol, "tls.key")
	st := newStore(t, s, Options{})
	next, _ := f.k.CA.Leaf(tlstest.LeafOptions{})
	gen("v2", next)
	if err := os.Symlink("v2", filepath.Join(vol, "..data.tmp")); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(filepath.Join(vol, "..data.tmp"), filepath.Join(vol, "..data")); err != nil {
		t.Fatal(err)
	}
	tick := make(chan time.Time)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); st.Watch(ctx, tick) }()
	tick <- time.Now()
	tick <- time.Now()
	cancel()
	<-done
	if got := st.Material().Server.Leaf.SerialNumber; got.Cmp(next.Cert.SerialNumber) != 0 {
		t.Errorf("serial %s after the swap, want %s", got, next.Cert.SerialNumber)
	}
}

// TestExpiryWarning: within 7 days of NotAfter, a warning at start-up, then once a day.
func TestExpiryWarning(t *testing.T) {
	f := newFixture(t)
	soon, err := f.k.CA.Leaf(tlstest.LeafOptions{NotAfter: time.Now().Add(72 * time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	f.write(t, "soon.crt", soon.CertPEM)
	f.write(t, "soon.key", soon.KeyPEM)
	s := f.good()
	s.CertFile, s.KeyFile = f.path("soon.crt"), f.path("soon.key")
	var mu sync.Mutex
	now := time.Now()
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	var logs syncBuffer
	st := newStore(t, s, Options{Now: clock, Logger: testLogger(&logs)})
	count := func() int { return strings.Count(logs.String(), "WARNING: the TLS server certificate expires in") }
	st.WarnExpiry()
	st.WarnExpiry()
	if n := count(); n != 1 {
		t.Fatalf("%d warnings at start-up, want 1:\n%s", n, logs.String())
	}
	mu.Lock()
	now = now.Add(25 * time.Hour)
	mu.Unlock()
	st.WarnExpiry()
	if n := count(); n != 2 {
		t.Fatalf("%d warnings a day later, want 2:\n%s", n, logs.String())
	}
	if !strings.Contains(logs.String(), describe(soon.Cert)) {
		t.Errorf("warning does not name the certificate:\n%s", logs.String())
	}
}

// TestCloseDoesNotBlock: closing an accepted connection whose peer has stopped reading
// returns at once; crypto/tls alone would wait up to 5 s to send close_notify, holding
// whatever lock the caller holds.
func TestCloseDoesNotBlock(t *testing.T) {
	f := newFixture(t)
	s := f.good()
	s.AuthClients = "no"
	inner, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	l := Listen(inner, newStore(t, s, Options{}).ServerConfig(), ListenerOptions{})
	defer l.Close()
	accepted := make(chan net.Conn, 1)
	go func() {
		c, err := l.Accept()
		if err == nil {
			accepted <- c
		}
		close(accepted)
	}()
	client, err := tls.Dial("tcp", inner.Addr().String(), &tls.Config{RootCAs: f.k.CA.Pool(), ServerName: "localhost"})
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	var sc net.Conn
	select {
	case sc = <-accepted:
	case <-time.After(5 * time.Second):
		t.Fatal("no connection accepted")
	}
	if sc == nil {
		t.Fatal("accept failed")
	}
	// Fill the socket's buffers beneath TLS until a write would block: the client never reads.
	raw := sc.(*Conn).cap.Conn
	full := false
	for round := 0; round < 100 && !full; round++ { // until not one byte more fits
		for _, size := range []int{64 << 10, 1 << 10, 16, 1} { // ever smaller, to the last byte of room
			chunk := make([]byte, size)
			for i := 0; i < 1<<16; i++ { // bounded: loopback buffers are a few MiB at most
				raw.SetWriteDeadline(time.Now().Add(20 * time.Millisecond))
				if _, err := raw.Write(chunk); err != nil {
					if !isTimeout(err) {
						t.Fatal(err)
					}
					full = size == 1 && i == 0
					break
				}
			}
		}
	}
	if !full {
		t.Fatal("could not fill the socket buffer")
	}
	raw.SetWriteDeadline(time.Time{})
	start := time.Now()
	sc.Close()
	if d := time.Since(start); d > time.Second {
		t.Errorf("Close took %v with a peer that does not read", d)
	}
}

// TestClientRefusesOurCertificate: a TLS 1.2 client that does not trust our CA sends an
// alert, logged in OpenSSL's words as redis-sentinel logs it (crypto/tls's client sends
// bad_certificate where OpenSSL's sends unknown_ca).
func TestClientRefusesOurCertificate(t *testing.T) {
	f := newFixture(t)
	s := f.good()
	s.AuthClients = "no"
	var logs syncBuffer
	addr := serve(t, newStore(t, s, Options{}), ListenerOptions{Logger: testLogger(&logs)})
	c, err := roundTrip(addr, &tls.Config{RootCAs: f.foreignCA.Pool(), ServerName: "localhost", MaxVersion: tls.VersionTLS12})
	if err == nil {
		c.Close()
		t.Fatal("a client of another CA accepted our certificate")
	}
	want := "Error accepting a client connection: error:0A000412:SSL routines::sslv3 alert bad certificate"
	deadline := time.Now().Add(5 * time.Second)
	for !strings.Contains(logs.String(), want) && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if !strings.Contains(logs.String(), want) {
		t.Errorf("log lacks %q:\n%s", want, logs.String())
	}
}
