package respserver

import (
	"context"
	"crypto/tls"
	"errors"
	"net"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashicorp/go-hclog"
)

// ErrServerClosed is returned by Serve after Shutdown or Close.
var ErrServerClosed = errors.New("respserver: closed")

// Refusals sent to a connection that is not admitted, before it is closed.
const (
	// RefuseMaxClients is Redis's reply to the connection beyond maxclients.
	RefuseMaxClients = "-ERR max number of clients reached\r\n"
)

// Redis 7.0's defaults.
const (
	DefaultMaxClients   = 10000             // maxclients
	DefaultTCPKeepAlive = 300 * time.Second // tcp-keepalive
	// DefaultHandshakeTimeout bounds a TLS handshake. Redis has none of its own (a stalled
	// handshake waits for tcp-keepalive); ten seconds is what a client library allows.
	DefaultHandshakeTimeout = 10 * time.Second
)

// maxBatch bounds the requests of one batch, so one client's pipeline cannot hold an
// embedder's lock for an unbounded time.
const maxBatch = 1024

// Handler is what an embedding server supplies: the meaning of requests. The kernel calls
// it from the connection's reading goroutine, never while holding a lock of its own.
type Handler interface {
	// Open admits a connection the kernel accepted (maxclients passed) and attaches the
	// embedder's state to it (Conn.Value). It returns "" to admit it, or a refusal (a whole
	// RESP error line) to send before closing it.
	Open(c *Conn) (refusal string)
	// Exec runs a batch of requests: it calls b.Next until it reports false, and queues
	// the replies with Conn.Queue; the kernel writes them once Exec returns.
	Exec(c *Conn, b *Batch)
	// ProtocolError queues the reply to a malformed request (err wraps resp.ErrProtocol),
	// after which the kernel writes what is queued and closes the connection.
	ProtocolError(c *Conn, err error)
	// Closed is called once the connection has ended, to forget it.
	Closed(c *Conn)
}

// Options configures a Server. Zero values mean Redis's defaults where it has one.
type Options struct {
	Handler Handler
	// Logger receives connection-level errors at debug level. Default: discard.
	Logger hclog.Logger
	// MaxClients is maxclients: connections beyond it are refused with RefuseMaxClients.
	// 0 means DefaultMaxClients.
	MaxClients int
	// IdleTimeout is timeout: a client idle for longer is closed, unless IdleExempt says
	// otherwise. 0 disables it, as in Redis.
	IdleTimeout time.Duration
	// IdleExempt reports the clients Redis's clientsCronHandleTimeout never closes
	// (replicas, masters, blocked and Pub/Sub clients). It is called without kernel locks.
	IdleExempt func(c *Conn) bool
	// TCPKeepAlive is tcp-keepalive, applied to every accepted TCP socket: probes start
	// after that much silence, every third of it, three of them. Negative disables
	// keepalive (Redis's 0); 0 means DefaultTCPKeepAlive.
	TCPKeepAlive time.Duration
	// HandshakeTimeout bounds a TLS handshake. 0 means DefaultHandshakeTimeout.
	HandshakeTimeout time.Duration
	// WriteGate, if set, is called by the writing goroutine before it writes what others
	// queued; false closes the connection. redistest holds its writers there while paused.
	WriteGate func(c *Conn) bool
	// Now is the clock for idle time and output-limit timing. Default time.Now.
	Now func() time.Time
	// BorrowArgs lends the embedder the reader's memory: a request Batch.Next returns is
	// valid only until the next call of Next, and reading allocates nothing per request
	// (resp.Reader.SetBorrow). An embedder that keeps an argument longer copies it.
	BorrowArgs bool
}

// Server serves RESP connections for a Handler. Its methods are safe for concurrent use.
type Server struct {
	o   Options
	h   Handler
	log hclog.Logger
	now func() time.Time

	mu          sync.Mutex
	closed      bool
	listeners   map[net.Listener]struct{}
	conns       map[int64]*Conn
	admitting   int // accepted connections not yet in conns, counted against maxclients
	lastID      int64
	maxClients  int
	idle        time.Duration
	keepAlive   time.Duration
	cronStarted bool // the idle-timeout cron runs from the first Serve on

	done   chan struct{}      // closed by Shutdown and Close
	ctx    context.Context    // canceled with done, for TLS handshakes
	cancel context.CancelFunc //
	wg     sync.WaitGroup
	st     Stats
}

// Stats are the counters INFO reports.
type Stats struct {
	Connections, Rejected        atomic.Int64
	NetIn, NetOut, Reads, Writes atomic.Int64
}

// New returns a Server. It panics without a Handler.
func New(o Options) *Server {
	if o.Handler == nil {
		panic("respserver: no Handler")
	}
	s := &Server{
		o:         o,
		h:         o.Handler,
		log:       o.Logger,
		now:       o.Now,
		listeners: map[net.Listener]struct{}{},
		conns:     map[int64]*Conn{},
		done:      make(chan struct{}),
	}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	if s.log == nil {
		s.log = hclog.NewNullLogger()
	}
	if s.now == nil {
		s.now = time.Now
	}
	if o.HandshakeTimeout <= 0 {
		s.o.HandshakeTimeout = DefaultHandshakeTimeout
	}
	s.SetMaxClients(o.MaxClients)
	s.SetIdleTimeout(o.IdleTimeout)
	s.SetTCPKeepAlive(o.TCPKeepAlive)
	return s
}

// Stats returns the Server's counters.
func (s *Server) Stats() *Stats { return &s.st }

// SetMaxClients changes maxclients (0: the default). Clients above it stay connected, as
// in Redis; only new ones are refused.
func (s *Server) SetMaxClients(n int) {
	if n <= 0 {
		n = DefaultMaxClients
	}
	s.mu.Lock()
	s.maxClients = n
	s.mu.Unlock()
}

// MaxClients is maxclients.
func (s *Server) MaxClients() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.maxClients
}

// SetIdleTimeout changes timeout; 0 disables it.
func (s *Server) SetIdleTimeout(d time.Duration) {
	s.mu.Lock()
	s.idle = max(d, 0)
	s.mu.Unlock()
}

// SetTCPKeepAlive changes tcp-keepalive for connections accepted from now on; negative
// disables it, 0 means the default.
func (s *Server) SetTCPKeepAlive(d time.Duration) {
	if d == 0 {
		d = DefaultTCPKeepAlive
	}
	s.mu.Lock()
	s.keepAlive = d
	s.mu.Unlock()
}

// Serve accepts connections on l until Shutdown or Close, and always returns a non-nil
// error: ErrServerClosed after those, or the listener's error. It closes l. l may be of
// any kind: TCP, unix, or a tls.NewListener over either.
func (s *Server) Serve(l net.Listener) error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		l.Close()
		return ErrServerClosed
	}
	s.listeners[l] = struct{}{}
	s.wg.Add(1)
	if !s.cronStarted {
		// Only a serving Server has clients to time out, so one that never serves (a
		// daemon refused at start-up) leaves no goroutine behind.
		s.cronStarted = true
		s.wg.Add(1)
		go s.cron()
	}
	s.mu.Unlock()
	defer s.wg.Done()
	defer func() {
		s.mu.Lock()
		delete(s.listeners, l)
		s.mu.Unlock()
		l.Close()
	}()
	var backoff time.Duration
	for {
		nc, err := l.Accept()
		if err != nil {
			if s.isClosed() {
				return ErrServerClosed
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() || isTemporary(err) {
				// Out of file descriptors, say: wait and retry, as net/http does, rather
				// than spin or give up on the port.
				backoff = min(max(2*backoff, 5*time.Millisecond), time.Second)
				s.log.Debug("accept failed; retrying", "error", err, "delay", backoff)
				select {
				case <-time.After(backoff):
				case <-s.done:
					return ErrServerClosed
				}
				continue
			}
			return err
		}
		backoff = 0
		s.mu.Lock()
		if s.closed {
			s.mu.Unlock()
			nc.Close()
			return ErrServerClosed
		}
		s.wg.Add(1)
		s.mu.Unlock()
		// Admission runs on the connection's own goroutine: a TLS handshake that stalls,
		// or a refusal a client does not read, must not hold up the accept loop.
		go s.admit(nc)
	}
}

func isTemporary(err error) bool {
	var t interface{ Temporary() bool }
	return errors.As(err, &t) && t.Temporary()
}

func (s *Server) isClosed() bool {
	select {
	case <-s.done:
		return true
	default:
		return false
	}
}

// admit sets the socket up, finishes a TLS handshake, applies maxclients and the
// Handler's admission, then becomes the connection's reading goroutine.
func (s *Server) admit(nc net.Conn) {
	defer s.wg.Done()
	s.mu.Lock()
	keepAlive := s.keepAlive
	s.mu.Unlock()
	setKeepAlive(nc, keepAlive)
	if tc, ok := nc.(*tls.Conn); ok {
		if err := s.handshake(tc); err != nil {
			s.log.Debug("TLS handshake failed", "addr", nc.RemoteAddr().String(), "error", err)
			nc.Close()
			return
		}
	}
	c := newConn(s, nc)
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		nc.Close()
		return
	}
	if len(s.conns)+s.admitting >= s.maxClients {
		s.mu.Unlock()
		s.refuse(nc, RefuseMaxClients)
		return
	}
	// The id is taken before Open, so the embedder's state can carry it; a client Open
	// refuses has used one up, as in Redis, where only maxclients refuses before
	// createClient.
	s.admitting++
	s.lastID++
	c.id = s.lastID
	s.mu.Unlock()
	refusal := s.h.Open(c)
	s.mu.Lock()
	s.admitting--
	if refusal == "" && s.closed {
		s.mu.Unlock()
		nc.Close()
		s.h.Closed(c)
		return
	}
	if refusal != "" {
		s.mu.Unlock()
		s.refuse(nc, refusal)
		return
	}
	s.conns[c.id] = c
	s.wg.Add(1)
	s.mu.Unlock()
	s.st.Connections.Add(1)
	go c.writeLoop()
	c.readLoop()
}

// handshake finishes a TLS handshake within HandshakeTimeout, or when the Server closes.
func (s *Server) handshake(tc *tls.Conn) error {
	ctx, cancel := context.WithTimeout(s.ctx, s.o.HandshakeTimeout)
	defer cancel()
	return tc.HandshakeContext(ctx)
}

// refuse sends a refusal and closes the connection. Best effort, as in Redis: a fresh
// socket's buffer takes it without waiting.
func (s *Server) refuse(nc net.Conn, refusal string) {
	s.st.Rejected.Add(1)
	nc.SetWriteDeadline(time.Now().Add(time.Second))
	nc.Write([]byte(refusal))
	nc.Close()
}

// setKeepAlive applies tcp-keepalive as Redis's anetKeepAlive does: probes after d of
// silence, then every d/3 (at least a second), and the connection is dropped after three
// unanswered ones. Go's own default (15 s) is replaced either way.
func setKeepAlive(nc net.Conn, d time.Duration) {
	tcp, ok := rawConn(nc).(*net.TCPConn)
	if !ok {
		return
	}
	if d < 0 {
		tcp.SetKeepAlive(false)
		return
	}
	tcp.SetKeepAliveConfig(keepAliveConfig(d))
}

func keepAliveConfig(d time.Duration) net.KeepAliveConfig {
	secs := max(int64(d/time.Second), 1)
	interval := max(secs/3, 1)
	return net.KeepAliveConfig{Enable: true, Idle: time.Duration(secs) * time.Second,
		Interval: time.Duration(interval) * time.Second, Count: 3}
}

// Conns returns the admitted connections, by id.
func (s *Server) Conns() []*Conn {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]*Conn, 0, len(s.conns))
	for _, c := range s.conns {
		out = append(out, c)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].id < out[j].id })
	return out
}

// Conn returns the connection with this id, or nil.
func (s *Server) Conn(id int64) *Conn {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.conns[id]
}

// Len is the number of admitted connections.
func (s *Server) Len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.conns)
}

// Shutdown stops accepting, closes every connection, and waits for every goroutine of
// the Server to end, or for ctx.
func (s *Server) Shutdown(ctx context.Context) error {
	s.stop()
	waited := make(chan struct{})
	go func() {
		s.wg.Wait()
		close(waited)
	}()
	select {
	case <-waited:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Close is Shutdown without a deadline.
func (s *Server) Close() error {
	return s.Shutdown(context.Background())
}

// Done is closed once Shutdown or Close has been called.
func (s *Server) Done() <-chan struct{} { return s.done }

func (s *Server) stop() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return
	}
	s.closed = true
	close(s.done)
	s.cancel()
	for l := range s.listeners {
		l.Close()
	}
	for _, c := range s.conns {
		c.closeNow()
	}
}

// cron closes idle clients once a second, as Redis's clientsCron visits every client
// about once a second.
func (s *Server) cron() {
	defer s.wg.Done()
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		select {
		case <-s.done:
			return
		case <-t.C:
			s.closeIdle()
		}
	}
}

// closeIdle is Redis's clientsCronHandleTimeout: a client with no traffic either way for
// longer than timeout is closed, unless the embedder exempts it.
func (s *Server) closeIdle() {
	s.mu.Lock()
	idle := s.idle
	s.mu.Unlock()
	if idle <= 0 {
		return
	}
	now := s.now()
	for _, c := range s.Conns() {
		if !idleFor(c.lastIO(), now, idle) || s.o.IdleExempt != nil && s.o.IdleExempt(c) {
			continue
		}
		s.log.Debug("closing idle client", "addr", c.addr)
		c.Close()
	}
}

// idleFor reports whether the time since last exceeds idle, as Redis's
// now - c->lastinteraction > server.maxidletime.
func idleFor(last, now time.Time, idle time.Duration) bool {
	return now.Sub(last) > idle
}

// Stop stops accepting and closes every connection at once, without waiting for their
// goroutines: what a process's death does to its sockets. Close waits for them.
func (s *Server) Stop() { s.stop() }
