package respserver

import (
	"bufio"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"io"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/sentinel-go/sentinel/internal/resp"
	"github.com/sentinel-go/sentinel/internal/resptest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// wait bounds every wait in these tests; it matters only when something is broken.
const wait = 10 * time.Second

// pinger is the smallest embedder: PING, AUTH <password>, SUBSCRIBE, behind the kernel's
// command table.
type pinger struct {
	password string
	table    *Table[func(*pinger, *Conn, *resp.Writer, [][]byte)]

	mu  sync.Mutex
	reg *Registry[*Conn]
}

func newPinger(password string) *pinger {
	p := &pinger{password: password, reg: NewRegistry[*Conn]()}
	type run = func(*pinger, *Conn, *resp.Writer, [][]byte)
	p.table = NewTable[run]()
	p.table.Register(
		&Command[run]{Name: "ping", Arity: -1, Def: func(_ *pinger, _ *Conn, w *resp.Writer, _ [][]byte) { w.Simple("PONG") }},
		&Command[run]{Name: "auth", Arity: 2, NoAuth: true, Def: func(p *pinger, c *Conn, w *resp.Writer, args [][]byte) {
			if string(args[1]) != p.password {
				w.Error("WRONGPASS invalid username-password pair or user is disabled.")
				return
			}
			c.SetAuthRequired(false)
			w.Simple("OK")
		}},
		&Command[run]{Name: "subscribe", Arity: -2, Def: func(p *pinger, c *Conn, w *resp.Writer, args [][]byte) {
			p.reg.SubscribeCommand(w, c, false, args[1:])
		}},
	)
	return p
}

func (p *pinger) Open(c *Conn) string {
	c.SetAuthRequired(p.password != "")
	c.Value = &resp.Writer{} // reused by each batch: Queue copies what it is given
	return ""
}

func (p *pinger) Exec(c *Conn, b *Batch) {
	w := c.Value.(*resp.Writer)
	defer w.Reset()
	for cmd, ok := b.Next(); ok; cmd, ok = b.Next() {
		k, reply := p.table.Check(c, cmd.Args)
		if reply != "" {
			w.Error(reply)
			continue
		}
		p.mu.Lock()
		k.Def(p, c, w, cmd.Args)
		p.mu.Unlock()
	}
	c.Queue(w.Bytes())
}

func (p *pinger) ProtocolError(c *Conn, err error) { c.Queue([]byte("-ERR " + err.Error() + "\r\n")) }

func (p *pinger) Closed(c *Conn) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.reg.UnsubscribeAll(c)
}

func (p *pinger) exempt(c *Conn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.reg.Count(c) > 0
}

// serve runs a Server for h on l until the test ends.
func serve(t *testing.T, o Options, l net.Listener) *Server {
	t.Helper()
	s := New(o)
	served := make(chan error, 1)
	go func() { served <- s.Serve(l) }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), wait)
		defer cancel()
		if err := s.Shutdown(ctx); err != nil {
			t.Errorf("Shutdown: %v", err)
		}
		if err := <-served; !errors.Is(err, ErrServerClosed) {
			t.Errorf("Serve returned %v", err)
		}
	})
	return s
}

func listenTCP(t *testing.T) net.Listener {
	t.Helper()
	l, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	return l
}

type client struct {
	t  *testing.T
	nc net.Conn
	br *bufio.Reader
}

func dial(t *testing.T, network, addr string) *client {
	t.Helper()
	nc, err := net.DialTimeout(network, addr, wait)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { nc.Close() })
	return &client{t: t, nc: nc, br: bufio.NewReader(nc)}
}

func wrap(t *testing.T, nc net.Conn) *client {
	t.Cleanup(func() { nc.Close() })
	return &client{t: t, nc: nc, br: bufio.NewReader(nc)}
}

// do sends a request and returns one reply line.
func (c *client) do(req string) string {
	c.t.Helper()
	c.nc.SetDeadline(time.Now().Add(wait))
	if _, err := c.nc.Write([]byte(req)); err != nil {
		c.t.Fatal(err)
	}
	return c.line()
}

func (c *client) line() string {
	c.t.Helper()
	c.nc.SetReadDeadline(time.Now().Add(wait))
	s, err := c.br.ReadString('\n')
	if err != nil {
		c.t.Fatalf("read: %v (got %q)", err, s)
	}
	return s
}

// rest reads until the server closes the connection, and returns what came.
func (c *client) rest() string {
	c.t.Helper()
	c.nc.SetReadDeadline(time.Now().Add(wait))
	b, err := io.ReadAll(c.br)
	if err != nil && !errors.Is(err, syscall.ECONNRESET) {
		c.t.Fatalf("read: %v (got %q)", err, b)
	}
	return string(b)
}

func TestServeAndShutdown(t *testing.T) {
	l := listenTCP(t)
	s := serve(t, Options{Handler: newPinger("")}, l)
	c := dial(t, "tcp", l.Addr().String())
	if got := c.do("PING\r\n*1\r\n$4\r\nPING\r\n"); got != "+PONG\r\n" {
		t.Fatal(got)
	}
	if got := c.line(); got != "+PONG\r\n" {
		t.Fatal(got)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if got := c.rest(); got != "" {
		t.Fatalf("after Close: %q", got)
	}
	if err := s.Serve(listenTCP(t)); !errors.Is(err, ErrServerClosed) {
		t.Fatalf("Serve after Close: %v", err)
	}
}

// TestBorrowArgsPipeline: with BorrowArgs, each request of a pipeline mixing inline and
// multibulk requests is whole while it runs, though the next one reuses the memory.
func TestBorrowArgsPipeline(t *testing.T) {
	p := newPinger("")
	type run = func(*pinger, *Conn, *resp.Writer, [][]byte)
	p.table.Register(&Command[run]{Name: "echo", Arity: 2, Def: func(_ *pinger, _ *Conn, w *resp.Writer, args [][]byte) {
		w.Bulk(args[1])
	}})
	l := listenTCP(t)
	serve(t, Options{Handler: p, BorrowArgs: true}, l)
	c := dial(t, "tcp", l.Addr().String())
	var got strings.Builder
	got.WriteString(c.do("ECHO aaaa\r\n*2\r\n$4\r\necho\r\n$1\r\nb\r\nEcHo 'c d'\r\nPING\r\n"))
	for range 6 {
		got.WriteString(c.line())
	}
	if want := "$4\r\naaaa\r\n$1\r\nb\r\n$3\r\nc d\r\n+PONG\r\n"; got.String() != want {
		t.Fatalf("replies %q, want %q", got.String(), want)
	}
}

// TestUnauthLimits: the requests Redis refuses before authentication, with its texts, and
// the limits lifted once the client authenticated, from the very next request.
func TestUnauthLimits(t *testing.T) {
	l := listenTCP(t)
	serve(t, Options{Handler: newPinger("x")}, l)
	addr := l.Addr().String()
	for _, tc := range []struct{ in, want string }{
		{"*100000\r\n", "-ERR Protocol error: unauthenticated multibulk length\r\n"},
		{"*10\r\n$16385\r\n", "-ERR Protocol error: unauthenticated bulk length\r\n"},
		{"PING\r\n*11\r\n", "-NOAUTH Authentication required.\r\n-ERR Protocol error: unauthenticated multibulk length\r\n"},
	} {
		c := dial(t, "tcp", addr)
		c.nc.Write([]byte(tc.in))
		if got := c.rest(); got != tc.want {
			t.Errorf("%q: got %q, want %q", tc.in, got, tc.want)
		}
	}
	c := dial(t, "tcp", addr)
	big := "*12\r\n$4\r\nPING\r\n$20000\r\n" + strings.Repeat("x", 20000) + "\r\n" + strings.Repeat("$1\r\nx\r\n", 10)
	if got := c.do("AUTH x\r\n" + big); got != "+OK\r\n" {
		t.Fatal(got)
	}
	if got := c.line(); got != "+PONG\r\n" {
		t.Fatal(got)
	}
}

// TestUnauthBounded: a hundred unauthenticated clients announcing 3 MiB bulks and sending
// them cost the server what one read buffer each holds, not what they send: the server
// reads no more than that from them, and allocates no more.
func TestUnauthBounded(t *testing.T) {
	const clients, size = 100, 3 << 20
	l := listenTCP(t)
	s := serve(t, Options{Handler: newPinger("x")}, l)
	payload := append([]byte("*1\r\n$3145728\r\n"), make([]byte, size)...)
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	var wg sync.WaitGroup
	got := make([]string, clients)
	for i := range clients {
		c := dial(t, "tcp", l.Addr().String())
		wg.Add(2)
		go func() {
			defer wg.Done()
			c.nc.SetWriteDeadline(time.Now().Add(wait))
			c.nc.Write(payload) // fails once the server has closed: that is the point
		}()
		go func() {
			defer wg.Done()
			c.nc.SetReadDeadline(time.Now().Add(wait))
			b, _ := io.ReadAll(c.br)
			got[i] = string(b)
		}()
	}
	wg.Wait()
	runtime.ReadMemStats(&after)
	for i, g := range got {
		if g != "-ERR Protocol error: unauthenticated bulk length\r\n" {
			t.Fatalf("client %d got %q", i, g)
		}
	}
	// A read buffer is 16 KiB; what a reader takes in one read is at most that.
	if in := s.Stats().NetIn.Load(); in > clients*16<<10 {
		t.Errorf("the server read %d bytes from %d clients", in, clients)
	}
	if grown := after.TotalAlloc - before.TotalAlloc; grown > clients*size/8 {
		t.Errorf("allocated %d bytes for %d clients sending %d each", grown, clients, size)
	}
}

func TestMaxClients(t *testing.T) {
	l := listenTCP(t)
	s := serve(t, Options{Handler: newPinger(""), MaxClients: 2}, l)
	addr := l.Addr().String()
	a, b := dial(t, "tcp", addr), dial(t, "tcp", addr)
	a.do("PING\r\n")
	b.do("PING\r\n")
	if got := dial(t, "tcp", addr).rest(); got != "-ERR max number of clients reached\r\n" {
		t.Fatalf("third client got %q", got)
	}
	if got := s.Stats().Rejected.Load(); got != 1 {
		t.Errorf("rejected = %d", got)
	}
	// Raising the limit admits the next one; those above a lowered limit stay.
	s.SetMaxClients(3)
	if got := dial(t, "tcp", addr).do("PING\r\n"); got != "+PONG\r\n" {
		t.Fatal(got)
	}
	s.SetMaxClients(1)
	if got := a.do("PING\r\n"); got != "+PONG\r\n" {
		t.Fatal(got)
	}
}

// TestIdleTimeout: an idle client is closed without a word; a subscriber, which the
// embedder exempts, stays, although it was idle as long.
func TestIdleTimeout(t *testing.T) {
	l := listenTCP(t)
	p := newPinger("")
	serve(t, Options{Handler: p, IdleTimeout: time.Second, IdleExempt: p.exempt}, l)
	addr := l.Addr().String()
	sub := dial(t, "tcp", addr)
	if got := sub.do("SUBSCRIBE ch\r\n"); got != "*3\r\n" {
		t.Fatal(got)
	}
	for range 5 {
		sub.line()
	}
	idle := dial(t, "tcp", addr)
	idle.do("PING\r\n")
	if got := idle.rest(); got != "" {
		t.Fatalf("idle client got %q", got)
	}
	if got := sub.do("PING\r\n"); got != "+PONG\r\n" {
		t.Fatalf("subscriber: %q", got)
	}
}

func TestIdleFor(t *testing.T) {
	now := time.Unix(1000, 0)
	for _, tc := range []struct {
		last time.Duration
		want bool
	}{{0, false}, {-5 * time.Second, false}, {-5*time.Second - time.Millisecond, true}} {
		if got := idleFor(now.Add(tc.last), now, 5*time.Second); got != tc.want {
			t.Errorf("idle %v: got %v", -tc.last, got)
		}
	}
}

func TestKeepAliveConfig(t *testing.T) {
	for _, tc := range []struct {
		d    time.Duration
		want net.KeepAliveConfig
	}{
		{300 * time.Second, net.KeepAliveConfig{Enable: true, Idle: 300 * time.Second, Interval: 100 * time.Second, Count: 3}},
		{2 * time.Second, net.KeepAliveConfig{Enable: true, Idle: 2 * time.Second, Interval: time.Second, Count: 3}},
		{time.Millisecond, net.KeepAliveConfig{Enable: true, Idle: time.Second, Interval: time.Second, Count: 3}},
	} {
		if got := keepAliveConfig(tc.d); got != tc.want {
			t.Errorf("%v: got %+v", tc.d, got)
		}
	}
}

// TestKeepAliveApplied reads the accepted socket's options back from the kernel.
func TestKeepAliveApplied(t *testing.T) {
	for _, tc := range []struct {
		d           time.Duration
		on          int
		idle, intvl int
	}{{0, 1, 300, 100}, {60 * time.Second, 1, 60, 20}, {-1, 0, 0, 0}} {
		l := listenTCP(t)
		s := serve(t, Options{Handler: newPinger(""), TCPKeepAlive: tc.d}, l)
		dial(t, "tcp", l.Addr().String()).do("PING\r\n")
		fd := s.Conns()[0].FD()
		on, _ := syscall.GetsockoptInt(fd, syscall.SOL_SOCKET, syscall.SO_KEEPALIVE)
		if on != tc.on {
			t.Errorf("%v: SO_KEEPALIVE %d", tc.d, on)
		}
		if tc.on == 0 {
			continue
		}
		idle, _ := syscall.GetsockoptInt(fd, syscall.IPPROTO_TCP, syscall.TCP_KEEPIDLE)
		intvl, _ := syscall.GetsockoptInt(fd, syscall.IPPROTO_TCP, syscall.TCP_KEEPINTVL)
		cnt, _ := syscall.GetsockoptInt(fd, syscall.IPPROTO_TCP, syscall.TCP_KEEPCNT)
		if idle != tc.idle || intvl != tc.intvl || cnt != 3 {
			t.Errorf("%v: idle %d interval %d count %d", tc.d, idle, intvl, cnt)
		}
	}
}

// TestUnixSocket: a stale socket file is replaced, the permission applied, and the client
// shown with the socket's path at both ends, as Redis shows it.
func TestUnixSocket(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s.sock")
	stale, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	stale.(*net.UnixListener).SetUnlinkOnClose(false)
	stale.Close()
	l, err := ListenUnix(path, 0o700)
	if err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil || fi.Mode().Perm() != 0o700 {
		t.Fatalf("socket file: %v, %v", fi.Mode(), err)
	}
	s := serve(t, Options{Handler: newPinger("")}, l)
	if got := dial(t, "unix", path).do("PING\r\n"); got != "+PONG\r\n" {
		t.Fatal(got)
	}
	c := s.Conns()[0]
	if c.Addr() != path+":0" || c.LocalAddr() != path+":0" || !c.Unix() || c.FD() < 0 {
		t.Fatalf("addr=%s laddr=%s unix=%v fd=%d", c.Addr(), c.LocalAddr(), c.Unix(), c.FD())
	}
	// Anything but a socket is left alone.
	file := filepath.Join(t.TempDir(), "f")
	os.WriteFile(file, nil, 0o600)
	if _, err := ListenUnix(file, 0); err == nil {
		t.Fatal("listened over a regular file")
	}
}

// selfSigned is a throwaway certificate for 127.0.0.1, made in memory.
func selfSigned(t *testing.T) tls.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "respserver test"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1)},
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}

// TestTLS: the kernel serves a tls.NewListener; a handshake that stalls and a plaintext
// client each cost only their own connection, and never hold up the others.
func TestTLS(t *testing.T) {
	cert := selfSigned(t)
	l := tls.NewListener(listenTCP(t), &tls.Config{Certificates: []tls.Certificate{cert}})
	s := serve(t, Options{Handler: newPinger(""), HandshakeTimeout: 500 * time.Millisecond}, l)
	addr := l.Addr().String()

	stalled := dial(t, "tcp", addr) // connects and never says hello
	plain := dial(t, "tcp", addr)
	plain.nc.Write([]byte("PING\r\n"))

	pool := x509.NewCertPool()
	leaf, _ := x509.ParseCertificate(cert.Certificate[0])
	pool.AddCert(leaf)
	nc, err := tls.DialWithDialer(&net.Dialer{Timeout: wait}, "tcp", addr, &tls.Config{RootCAs: pool})
	if err != nil {
		t.Fatal(err)
	}
	secure := wrap(t, nc)
	if got := secure.do("PING\r\n"); got != "+PONG\r\n" {
		t.Fatal(got)
	}
	if conns := s.Conns(); len(conns) != 1 || conns[0].FD() < 0 {
		t.Fatalf("admitted %d connections", len(conns))
	}
	// The plaintext client gets a TLS alert, never a RESP reply; the stalled one is closed
	// when its handshake time runs out.
	if got := plain.rest(); strings.Contains(got, "PONG") {
		t.Fatalf("plaintext client got %q", got)
	}
	if got := stalled.rest(); got != "" {
		t.Fatalf("stalled client got %q", got)
	}
	if got := secure.do("PING\r\n"); got != "+PONG\r\n" {
		t.Fatal(got)
	}
}

// benchServer serves the pinger on a loopback port until the benchmark ends.
func benchServer(b *testing.B, o Options) string {
	b.Helper()
	o.Handler = newPinger("")
	s := New(o)
	l, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	go s.Serve(l)
	b.Cleanup(func() { s.Close() })
	return l.Addr().String()
}

// BenchmarkPing is one PING at a time on one connection: the kernel's path for an
// unpipelined client (read, Exec, one write), and what it allocates per request.
func BenchmarkPing(b *testing.B) {
	resptest.Pipeline(b, benchServer(b, Options{BorrowArgs: true}), []byte("*1\r\n$4\r\nPING\r\n"), []byte("+PONG\r\n"), 1)
}

// BenchmarkPipelined is PING pipelined 16 deep, as redis-benchmark -P 16 sends it.
func BenchmarkPipelined(b *testing.B) {
	resptest.Pipeline(b, benchServer(b, Options{BorrowArgs: true}), []byte("*1\r\n$4\r\nPING\r\n"), []byte("+PONG\r\n"), 16)
}
