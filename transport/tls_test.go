package transport

import (
	"bytes"
	"io"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/sentinel-go/sentinel/e2e/redistest"
	"github.com/sentinel-go/sentinel/internal/tlsconf"
	"github.com/sentinel-go/sentinel/internal/tlstest"
	"github.com/sentinel-go/sentinel/monitor"
)

// tlsFront serves TLS on loopback and relays each connection to backend in plaintext: an
// instance with tls-port, as far as a link can tell.
func tlsFront(t *testing.T, st *tlsconf.Store, backend string) string {
	t.Helper()
	inner, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	l := tlsconf.Listen(inner, st.ServerConfig(), tlsconf.ListenerOptions{})
	var wg sync.WaitGroup
	var mu sync.Mutex
	var open []net.Conn
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			b, err := net.Dial("tcp", backend)
			if err != nil {
				c.Close()
				continue
			}
			mu.Lock()
			open = append(open, c, b)
			mu.Unlock()
			wg.Add(2)
			go func() { defer wg.Done(); io.Copy(b, c); b.Close() }()
			go func() { defer wg.Done(); io.Copy(c, b); c.Close() }()
		}
	}()
	t.Cleanup(func() {
		l.Close()
		mu.Lock()
		for _, c := range open {
			c.Close()
		}
		mu.Unlock()
		wg.Wait()
	})
	return inner.Addr().String()
}

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}
func (l *lockedBuffer) String() string { l.mu.Lock(); defer l.mu.Unlock(); return l.b.String() }

// TestTLSLinks: with a TLS configuration every connection of a link is TLS (a PING gets
// its PONG through a TLS-only front), and a peer that accepts TCP but never answers the
// handshake costs one attempt bounded by the dial timeout, not a stuck link.
func TestTLSLinks(t *testing.T) {
	dir := t.TempDir()
	k, err := tlstest.NewKit(dir)
	if err != nil {
		t.Fatal(err)
	}
	s := tlsconf.Defaults()
	s.Replication = true
	s.CertFile, s.KeyFile, s.CAFile = k.Files.Cert, k.Files.Key, k.Files.CA
	st, err := tlsconf.New(s, tlsconf.Options{})
	if err != nil {
		t.Fatal(err)
	}
	srv := redistest.RunT(t)
	addr := tlsFront(t, st, srv.Addr())

	stalled, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var held []net.Conn
	var hmu sync.Mutex
	go func() {
		for {
			c, err := stalled.Accept()
			if err != nil {
				return
			}
			hmu.Lock()
			held = append(held, c) // accepted, never answered
			hmu.Unlock()
		}
	}()
	defer func() {
		stalled.Close()
		hmu.Lock()
		for _, c := range held {
			c.Close()
		}
		hmu.Unlock()
	}()

	var logs lockedBuffer
	rec := &recorder{}
	tr := New(Options{Observe: rec.observe, ReconnectPeriod: 50 * time.Millisecond, DialTimeout: 200 * time.Millisecond,
		TLS: st.ClientConfig(), Logger: hclog.New(&hclog.LoggerOptions{Output: &logs, Level: hclog.Debug})})
	defer tr.Shutdown()
	tr.Open(monitor.LinkSpec{Addr: stalled.Addr().String(), ClientName: "sentinel-stalled"})
	tr.Open(monitor.LinkSpec{Addr: addr, ClientName: "sentinel-12345678"})
	up := rec.await(t, "command link up over TLS", func(o monitor.Observation) bool {
		u, ok := o.(monitor.LinkUp)
		return ok && u.Kind == monitor.CmdLink && u.Addr == addr
	}).(monitor.LinkUp)
	tr.Send(monitor.Send{Addr: addr, Gen: up.Gen, Tag: monitor.Tag{Kind: monitor.TagPing}, Args: []string{"PING"}})
	ping := rec.await(t, "PONG over TLS", func(o monitor.Observation) bool {
		r, ok := o.(monitor.Reply)
		return ok && r.Tag.Kind == monitor.TagPing
	}).(monitor.Reply)
	if ping.Value != "PONG" {
		t.Errorf("PING over TLS: %+v", ping)
	}
	deadline := time.Now().Add(5 * time.Second)
	for strings.Count(logs.String(), "TLS handshake: context deadline exceeded") < 2 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if n := strings.Count(logs.String(), "TLS handshake: context deadline exceeded"); n < 2 {
		t.Errorf("the stalled peer's handshakes did not time out and retry (%d):\n%s", n, logs.String())
	}
	rec.mu.Lock()
	for _, o := range rec.obs {
		if u, ok := o.(monitor.LinkUp); ok && u.Addr == stalled.Addr().String() {
			t.Errorf("a link came up to a peer that never finished its handshake")
		}
	}
	rec.mu.Unlock()
}
