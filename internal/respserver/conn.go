package respserver

import (
	"errors"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/sentinel-go/sentinel/internal/resp"
)

// Redis 7.0's limits on what a client that has not authenticated may announce
// (processMultibulkBuffer, since the fix for CVE-2021-32675).
const (
	UnauthMaxArgs = 10
	UnauthMaxBulk = 16384
)

// Conn is one admitted client connection.
//
// Its reading goroutine reads batches, hands them to Handler.Exec, and writes what Exec
// queued; its writing goroutine writes what other goroutines push (Pub/Sub messages, a
// replication stream), so they never wait on this connection's socket. All output goes
// through one queue in the order it was queued; writeMu is held while writing to the
// socket, so the two goroutines never interleave.
type Conn struct {
	s       *Server
	nc      net.Conn
	id      int64
	addr    string
	laddr   string
	fd      int
	unix    bool
	created time.Time
	dead    chan struct{} // closed once the connection is closed

	// Value is the embedder's state for this connection, set by Handler.Open.
	Value any

	io           atomic.Int64 // unix nanoseconds of the last read or write
	authRequired atomic.Bool
	closeAfter   bool // only the reading goroutine uses it

	writeMu   sync.Mutex
	outMu     sync.Mutex
	out       []byte    // guarded by outMu
	closed    bool      // guarded by outMu
	softSince time.Time // guarded by outMu: since when out has exceeded the soft limit
	wake      chan struct{}
	closeOnce sync.Once
}

func newConn(s *Server, nc net.Conn) *Conn {
	now := s.now()
	c := &Conn{
		s:       s,
		nc:      nc,
		fd:      socketFD(nc),
		created: now,
		dead:    make(chan struct{}),
		wake:    make(chan struct{}, 1),
	}
	c.addr, c.laddr, c.unix = addrs(nc)
	c.io.Store(now.UnixNano())
	return c
}

// addrs are the addresses CLIENT LIST shows. For a unix socket Redis shows the socket's
// path as both ends, with port 0, where Go knows only the listening end's name.
func addrs(nc net.Conn) (addr, laddr string, unix bool) {
	local := nc.LocalAddr()
	if local.Network() == "unix" {
		a := local.String() + ":0"
		return a, a, true
	}
	return nc.RemoteAddr().String(), local.String(), false
}

// rawConn is the socket beneath TLS and listener wrappers (each has NetConn), which
// CLIENT LIST's fd and tcp-keepalive need. Bounded: wrappers nest a few levels at most.
func rawConn(nc net.Conn) net.Conn {
	for range 4 {
		u, ok := nc.(interface{ NetConn() net.Conn })
		if !ok {
			break
		}
		nc = u.NetConn()
	}
	return nc
}

// socketFD is the connection's file descriptor, which CLIENT LIST reports.
func socketFD(nc net.Conn) int {
	nc = rawConn(nc)
	sc, ok := nc.(syscall.Conn)
	if !ok {
		return -1
	}
	raw, err := sc.SyscallConn()
	if err != nil {
		return -1
	}
	fd := -1
	raw.Control(func(f uintptr) { fd = int(f) })
	return fd
}

// ID is the client id, unique in the Server, as CLIENT ID reports it.
func (c *Conn) ID() int64 { return c.id }

// Addr is the peer's address as CLIENT LIST's addr= shows it.
func (c *Conn) Addr() string { return c.addr }

// LocalAddr is CLIENT LIST's laddr=.
func (c *Conn) LocalAddr() string { return c.laddr }

// FD is the socket's file descriptor, or -1.
func (c *Conn) FD() int { return c.fd }

// Unix reports a unix-socket client (CLIENT LIST's flag U).
func (c *Conn) Unix() bool { return c.unix }

// Created is when the connection was accepted.
func (c *Conn) Created() time.Time { return c.created }

// RemoteAddr is the peer's address as the network reports it.
func (c *Conn) RemoteAddr() net.Addr { return c.nc.RemoteAddr() }

// Dead is closed once the connection is closed.
func (c *Conn) Dead() <-chan struct{} { return c.dead }

// Server is the Server the connection belongs to.
func (c *Conn) Server() *Server { return c.s }

// SetAuthRequired says whether the client must still authenticate: while it must, the
// unauthenticated request limits apply to the requests it sends. The embedder keeps it in
// step with its users (AUTH, a password set or removed).
func (c *Conn) SetAuthRequired(on bool) { c.authRequired.Store(on) }

// AuthRequired reports what SetAuthRequired last said.
func (c *Conn) AuthRequired() bool { return c.authRequired.Load() }

// CloseAfterReply ends the connection once the current batch's replies are written
// (Redis's CLIENT_CLOSE_AFTER_REPLY): QUIT, CLIENT KILL of oneself. Only Handler.Exec may
// call it.
func (c *Conn) CloseAfterReply() { c.closeAfter = true }

// ClosingAfterReply reports whether CloseAfterReply was called.
func (c *Conn) ClosingAfterReply() bool { return c.closeAfter }

func (c *Conn) lastIO() time.Time { return time.Unix(0, c.io.Load()) }

// Touch counts as traffic for the idle timeout.
func (c *Conn) Touch() { c.io.Store(c.s.now().UnixNano()) }

// counter counts what the connection reads, for INFO and the idle timeout.
type counter struct{ c *Conn }

func (r counter) Read(b []byte) (int, error) {
	n, err := r.c.nc.Read(b)
	if n > 0 {
		r.c.s.st.NetIn.Add(int64(n))
		r.c.s.st.Reads.Add(1)
		r.c.Touch()
	}
	return n, err
}

// Batch is the requests of one turn: the first request, then those already received.
type Batch struct {
	c     *Conn
	rd    *resp.Reader
	first resp.Command
	fresh bool  // first is not yet returned
	n     int   // requests returned
	err   error // a malformed request met in the batch
}

// Next returns the batch's next request, and false once no more have arrived, the batch
// is full, or the connection is to close after this batch. With Options.BorrowArgs the
// request before is no longer valid once Next is called.
func (b *Batch) Next() (resp.Command, bool) {
	if b.fresh {
		b.fresh = false
		b.n++
		return b.first, true
	}
	if b.err != nil || b.c.closeAfter || b.n >= maxBatch {
		return resp.Command{}, false
	}
	b.c.applyLimits(b.rd)
	if !b.rd.Buffered() {
		return resp.Command{}, false
	}
	cmd, err := b.rd.ReadCommand()
	if err != nil {
		b.err = err
		return resp.Command{}, false
	}
	b.n++
	return cmd, true
}

// applyLimits sets the reader's limits for the next request from the client's
// authentication, as Redis decides them when it parses the request's headers.
func (c *Conn) applyLimits(rd *resp.Reader) {
	if c.authRequired.Load() {
		rd.SetUnauthLimits(UnauthMaxArgs, UnauthMaxBulk)
	} else {
		rd.SetUnauthLimits(0, 0)
	}
}

// readLoop reads and runs batches until the connection ends.
func (c *Conn) readLoop() {
	defer c.detach()
	rd := resp.NewReader(counter{c})
	rd.SetBorrow(c.s.o.BorrowArgs)
	b := &Batch{c: c, rd: rd}
	for {
		c.applyLimits(rd)
		cmd, err := rd.ReadCommand()
		if err != nil {
			c.readFailed(err)
			return
		}
		*b = Batch{c: c, rd: rd, first: cmd, fresh: true}
		c.s.h.Exec(c, b)
		if b.err != nil {
			c.readFailed(b.err)
			return
		}
		if !c.WritePending() || c.closeAfter {
			return
		}
	}
}

// readFailed ends the connection after a read error. Redis answers a malformed request
// with its protocol error and closes the connection: nothing after it can be framed.
func (c *Conn) readFailed(err error) {
	switch {
	case errors.Is(err, resp.ErrProtocol):
		c.s.log.Debug("protocol error from client", "addr", c.addr, "error", err)
		c.s.h.ProtocolError(c, err)
		c.WritePending()
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, net.ErrClosed):
	default:
		c.s.log.Debug("client read failed", "addr", c.addr, "error", err)
	}
}

// detach forgets the connection once its reading goroutine ends.
func (c *Conn) detach() {
	c.Close()
	c.s.h.Closed(c)
}

// Close closes the connection at once, dropping unsent output, and removes it from the
// client table, as Redis's freeClient does: a killed client is gone from CLIENT LIST
// before its goroutines have noticed. The embedder may hold its own lock.
func (c *Conn) Close() {
	c.s.mu.Lock()
	if c.s.conns[c.id] == c {
		delete(c.s.conns, c.id)
	}
	c.s.mu.Unlock()
	c.closeNow()
}

// closeNow closes the socket and drops unsent output. Both goroutines then end: the
// reader on its failed read, the writer on dead.
func (c *Conn) closeNow() {
	c.closeOnce.Do(func() {
		c.outMu.Lock()
		c.closed = true
		c.out = nil
		c.outMu.Unlock()
		close(c.dead)
		c.nc.Close()
	})
}

// Closed reports whether the connection is closed.
func (c *Conn) Closed() bool {
	select {
	case <-c.dead:
		return true
	default:
		return false
	}
}

// writeLoop writes what other goroutines push until the connection closes.
func (c *Conn) writeLoop() {
	defer c.s.wg.Done()
	for {
		select {
		case <-c.wake:
			if c.s.o.WriteGate != nil && !c.s.o.WriteGate(c) {
				c.Close()
				return
			}
			if !c.WritePending() {
				return
			}
		case <-c.dead:
			return
		}
	}
}

// Queue appends output to the queue without writing it: the reading goroutine writes it
// after the batch, or the writer once signalled.
func (c *Conn) Queue(b []byte) {
	if len(b) == 0 {
		return
	}
	c.outMu.Lock()
	if !c.closed {
		c.out = append(c.out, b...)
	}
	c.outMu.Unlock()
}

// Limit is a client output buffer limit (client-output-buffer-limit): the queue may not
// exceed Hard bytes, nor stay above Soft for longer than SoftTime. Zero fields are off.
type Limit struct {
	Hard, Soft int
	SoftTime   time.Duration
}

// Push queues out-of-band output and wakes the writer. It reports false if the queue has
// outgrown lim, as checkClientOutputBufferLimits decides; the caller then drops the client,
// as Redis does, so a client that stops reading cannot make the server hold an unbounded
// backlog.
func (c *Conn) Push(b []byte, lim Limit) bool {
	c.outMu.Lock()
	if c.closed {
		c.outMu.Unlock()
		return true
	}
	c.out = append(c.out, b...)
	n, over := len(c.out), false
	switch {
	case lim.Hard > 0 && n > lim.Hard:
		over = true
	case lim.Soft > 0 && n > lim.Soft:
		now := c.s.now()
		if c.softSince.IsZero() {
			c.softSince = now
		} else if now.Sub(c.softSince) > lim.SoftTime {
			over = true
		}
	default:
		c.softSince = time.Time{}
	}
	c.outMu.Unlock()
	if over {
		c.s.log.Debug("client closed for overcoming of output buffer limits", "addr", c.addr, "queued", n)
		return false
	}
	c.Signal()
	return true
}

// Signal wakes the writer to write the queue.
func (c *Conn) Signal() {
	select {
	case c.wake <- struct{}{}:
	default:
	}
}

// Queued is how many bytes wait to be written.
func (c *Conn) Queued() int {
	c.outMu.Lock()
	defer c.outMu.Unlock()
	return len(c.out)
}

// WritePending writes the queue, and reports false once the connection is closed. The
// queue is taken under outMu and written under writeMu only, so a goroutine queueing
// output never waits on the socket. The caller must not hold the Server's lock.
func (c *Conn) WritePending() bool {
	c.writeMu.Lock()
	defer c.writeMu.Unlock()
	c.outMu.Lock()
	out, closed := c.out, c.closed
	c.out = nil
	c.softSince = time.Time{}
	c.outMu.Unlock()
	if closed {
		return false
	}
	if len(out) == 0 {
		return true
	}
	n, err := c.nc.Write(out)
	c.s.st.NetOut.Add(int64(n))
	c.s.st.Writes.Add(1)
	if err != nil {
		if !errors.Is(err, net.ErrClosed) {
			c.s.log.Debug("client write failed", "addr", c.addr, "error", err)
		}
		c.Close()
		return false
	}
	c.Touch()
	// Reuse the buffer for the next reply unless output was queued meanwhile: one
	// allocation per reply was a measurable share of a request's cost.
	if cap(out) <= 64<<10 {
		c.outMu.Lock()
		if c.out == nil && !c.closed {
			c.out = out[:0]
		}
		c.outMu.Unlock()
	}
	return true
}

// HoldWrites stops the connection's writes until release is called, as a socket whose
// peer does not read would: tests of output limits use it where filling real socket
// buffers would take megabytes and timing.
func (c *Conn) HoldWrites() (release func()) {
	c.writeMu.Lock()
	return c.writeMu.Unlock
}
