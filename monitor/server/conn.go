package server

import (
	"errors"
	"io"
	"net"
	"sync"
	"syscall"
	"time"

	"github.com/sentinel-go/sentinel/resp"
)

// denied is Redis's protected-mode refusal, sent before closing the connection.
const denied = "-DENIED Redis is running in protected mode because protected mode is enabled and no password is set for the default user. In this mode connections are only accepted from the loopback interface. If you want to connect from external computers to Redis you may adopt one of the following solutions: 1) Just disable protected mode sending the command 'CONFIG SET protected-mode no' from the loopback interface by connecting to Redis from the same host the server is running, however MAKE SURE Redis is not publicly accessible from internet if you do so. Use CONFIG REWRITE to make this change permanent. 2) Alternatively you can just disable the protected mode by editing the Redis configuration file, and setting the protected mode option to 'no', and then restarting the server. 3) If you started the server manually just for testing, restart it with the '--protected-mode no' option. 4) Setup a an authentication password for the default user. NOTE: You only need to do one of the above things in order for the server to start accepting connections from the outside.\r\n"

// maxBatchOutput is how much reply a pipeline may pile up before it is sent, so a long
// pipeline of large replies does not hold them all in memory.
const maxBatchOutput = 64 << 10

// conn is one client connection.
//
// Its goroutine reads requests, runs them and writes their replies; a second goroutine
// writes what other goroutines queue for it (Pub/Sub messages), so a publisher never
// waits on this connection's socket. All output goes through one queue, out, in the
// order it was produced; writeMu is held while writing to the socket, so the two
// goroutines never interleave.
type conn struct {
	s       *Server
	nc      net.Conn
	id      int64
	addr    string
	laddr   string
	fd      int
	created time.Time
	dead    chan struct{} // closed once the connection is closed

	// Only the connection's goroutine uses these.
	w          resp.Writer
	mark       int  // where the current request's replies start in w
	skipNext   bool // CLIENT REPLY SKIP: suppress the next command's reply
	skipThis   bool
	closeAfter bool // close once the current batch's replies are written

	// Guarded by Server.mu.
	name     string
	user     *user
	authed   bool
	proto    int
	subs     map[string]struct{}
	psubs    map[string]struct{}
	lastCmd  time.Time
	cmdName  string // full name of the last command looked up, "" for none
	argvMem  int
	replyOff bool
	noEvict  bool
	blocked  bool // held back by CLIENT PAUSE
	tracking tracking

	writeMu   sync.Mutex
	outMu     sync.Mutex
	out       []byte    // guarded by outMu
	closed    bool      // guarded by outMu
	softSince time.Time // guarded by outMu: since when out has exceeded the soft limit
	wake      chan struct{}
	closeOnce sync.Once
}

// accept admits a new connection, or refuses it as Redis would.
func (s *Server) accept(nc net.Conn) {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		nc.Close()
		return
	}
	refusal := ""
	switch {
	case len(s.clients) >= maxClients:
		refusal = "-ERR max number of clients reached\r\n"
	case s.o.ProtectedMode && s.acl.defaultUser().nopass && !s.isLocal(nc.RemoteAddr()):
		refusal = denied
	}
	if refusal != "" {
		s.mu.Unlock()
		s.st.rejected.Add(1)
		// Best effort, as in Redis: a fresh socket's buffer takes it without waiting.
		nc.SetWriteDeadline(time.Now().Add(time.Second))
		nc.Write([]byte(refusal))
		nc.Close()
		return
	}
	s.st.connections.Add(1)
	s.lastID++
	now := s.now()
	c := &conn{
		s:       s,
		nc:      nc,
		id:      s.lastID,
		addr:    nc.RemoteAddr().String(),
		laddr:   nc.LocalAddr().String(),
		fd:      socketFD(nc),
		created: now,
		lastCmd: now,
		dead:    make(chan struct{}),
		wake:    make(chan struct{}, 1),
		user:    s.acl.defaultUser(),
		authed:  !s.acl.authRequired(),
		proto:   2,
		w:       resp.Writer{Proto: 2},
	}
	s.clients[c.id] = c
	s.wg.Add(2)
	s.mu.Unlock()
	go c.serve()
	go c.writeLoop()
}

// socketFD is the connection's file descriptor, which CLIENT LIST reports.
func socketFD(nc net.Conn) int {
	// Under TLS, the socket beneath (*tls.Conn and wrappers have NetConn): CLIENT LIST
	// shows its fd, as Redis does. Bounded: wrappers nest a few levels at most.
	for range 4 {
		u, ok := nc.(interface{ NetConn() net.Conn })
		if !ok {
			break
		}
		nc = u.NetConn()
	}
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

// counter counts what the connection reads, for INFO.
type counter struct{ c *conn }

func (r counter) Read(b []byte) (int, error) {
	n, err := r.c.nc.Read(b)
	if n > 0 {
		r.c.s.st.netIn.Add(int64(n))
		r.c.s.st.reads.Add(1)
	}
	return n, err
}

// serve reads and runs requests until the connection ends.
func (c *conn) serve() {
	defer c.s.wg.Done()
	defer c.detach()
	rd := resp.NewReader(counter{c})
	for {
		cmd, err := rd.ReadCommand()
		if err != nil {
			c.readFailed(err)
			return
		}
		// A pipeline runs as one batch and leaves in one write, as Redis runs a read's
		// worth of requests in one event-loop turn. Only requests already buffered join
		// the batch, so it never waits for the network halfway.
		c.execute(cmd.Args)
		for !c.closeAfter && rd.Buffered() {
			if cmd, err = rd.ReadCommand(); err != nil {
				c.flush()
				c.readFailed(err)
				return
			}
			c.execute(cmd.Args)
			if c.w.Len() > maxBatchOutput && !c.flush() {
				return
			}
		}
		if !c.flush() || c.closeAfter {
			return
		}
	}
}

// readFailed ends the connection after a read error. Redis answers a malformed request
// with its protocol error and closes the connection: nothing after it can be framed.
func (c *conn) readFailed(err error) {
	switch {
	case errors.Is(err, resp.ErrProtocol):
		c.s.log.Debug("protocol error from client", "addr", c.addr, "error", err)
		if !c.suppressed() {
			c.w.Error("ERR " + err.Error())
			c.s.st.errorReplies.Add(1)
		}
		c.flush()
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, net.ErrClosed):
	default:
		c.s.log.Debug("client read failed", "addr", c.addr, "error", err)
	}
}

// detach forgets the connection once its goroutine ends.
func (c *conn) detach() {
	c.s.mu.Lock()
	c.s.dropLocked(c)
	c.s.mu.Unlock()
}

// dropLocked closes a connection and forgets it at once, as Redis's freeClient does: a
// killed client is gone from CLIENT LIST, and hears no more messages, before its
// goroutine has noticed. The caller holds Server.mu.
func (s *Server) dropLocked(c *conn) {
	delete(s.clients, c.id)
	s.pubsub.unsubscribeAll(c)
	c.closeNow()
}

// writeLoop writes what other goroutines queue until the connection closes.
func (c *conn) writeLoop() {
	defer c.s.wg.Done()
	for {
		select {
		case <-c.wake:
			if !c.writePending() {
				return
			}
		case <-c.dead:
			return
		}
	}
}

// flush queues the replies written so far and sends the queue. It reports false once the
// connection is closed.
func (c *conn) flush() bool {
	if c.w.Len() > 0 {
		c.outMu.Lock()
		if !c.closed {
			c.out = append(c.out, c.w.Bytes()...)
		}
		c.outMu.Unlock()
		c.w.Reset()
	}
	return c.writePending()
}

// writePending writes the queue. The queue is taken under outMu and written under
// writeMu only, so a goroutine queueing output never waits on the socket.
func (c *conn) writePending() bool {
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
	c.s.st.netOut.Add(int64(n))
	c.s.st.writes.Add(1)
	if err != nil {
		if !errors.Is(err, net.ErrClosed) {
			c.s.log.Debug("client write failed", "addr", c.addr, "error", err)
		}
		c.closeNow()
		return false
	}
	// Reuse the buffer for the next reply unless output was queued meanwhile: one
	// allocation per reply was a measurable share of a request's cost.
	if cap(out) <= 64<<10 {
		c.outMu.Lock()
		if c.out == nil {
			c.out = out[:0]
		}
		c.outMu.Unlock()
	}
	return true
}

// push queues out-of-band output (a Pub/Sub message) and wakes the writer. The caller
// holds Server.mu. A subscriber
// whose queue outgrows Redis's pubsub output buffer limits is disconnected, as Redis
// disconnects it, so a client that stops reading cannot make the server hold an
// unbounded backlog.
func (c *conn) push(b []byte) {
	s := c.s
	c.outMu.Lock()
	if c.closed {
		c.outMu.Unlock()
		return
	}
	c.out = append(c.out, b...)
	n, over := len(c.out), false
	switch {
	case s.pubsubHard > 0 && n > s.pubsubHard:
		over = true
	case s.pubsubSoft > 0 && n > s.pubsubSoft:
		now := s.now()
		if c.softSince.IsZero() {
			c.softSince = now
		} else if now.Sub(c.softSince) > s.pubsubSoftTime {
			over = true
		}
	default:
		c.softSince = time.Time{}
	}
	c.outMu.Unlock()
	if over {
		s.log.Debug("client closed for overcoming of output buffer limits", "addr", c.addr, "queued", n)
		s.dropLocked(c)
		return
	}
	c.signal()
}

func (c *conn) queued() int {
	c.outMu.Lock()
	defer c.outMu.Unlock()
	return len(c.out)
}

func (c *conn) signal() {
	select {
	case c.wake <- struct{}{}:
	default:
	}
}

// closeNow closes the connection at once, dropping unsent output. Both goroutines then
// end: the reader on its failed read, the writer on dead.
func (c *conn) closeNow() {
	c.closeOnce.Do(func() {
		c.outMu.Lock()
		c.closed = true
		c.out = nil
		c.outMu.Unlock()
		close(c.dead)
		c.nc.Close()
	})
}

// suppressed reports whether CLIENT REPLY drops the current request's reply.
func (c *conn) suppressed() bool {
	c.s.mu.Lock()
	defer c.s.mu.Unlock()
	return c.replyOff || c.skipThis
}

// truncate drops the replies written after mark.
func (c *conn) truncate(mark int) {
	b := c.w.Take()
	c.w.Raw(b[:mark])
}
