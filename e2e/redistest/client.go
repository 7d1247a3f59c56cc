package redistest

import (
	"time"

	"github.com/sentinel-go/sentinel/internal/resp"
	"github.com/sentinel-go/sentinel/internal/respserver"
)

// client is the instance's state for one accepted connection; the kernel's Conn carries
// the socket, its goroutines and its output queue. The master client, which runs the
// master's stream, has no Conn (kc is nil). Fields are guarded by Server.mu;
// handlers write replies into w, and flush moves them to the output queue.
type client struct {
	s     *Server
	kc    *respserver.Conn
	id    int64
	addr  string
	laddr string

	name     string
	user     string
	authed   bool
	db       int
	w        resp.Writer
	created  time.Time
	lastCmd  time.Time
	cmdName  string
	multi    []resp.Command // queued commands; nil outside MULTI
	inMulti  bool
	multiErr bool
	replica  *replicaLink // set once this connection has sent PSYNC/SYNC to us
	// replPort and replAddr are what the replica announced with REPLCONF before PSYNC.
	replPort int
	replIP   string
	replCapa map[string]bool
}

// ID is the client id.
func (c *client) ID() int64 { return c.id }

// conns is one life's Server as the kernel calls it.
type conns struct {
	s *Server
	l *life
}

// Open gives an accepted connection its client.
func (h conns) Open(kc *respserver.Conn) string {
	s := h.s
	s.mu.Lock()
	defer s.mu.Unlock()
	c := &client{
		s:       s,
		kc:      kc,
		id:      kc.ID(),
		addr:    kc.Addr(),
		laddr:   kc.LocalAddr(),
		user:    "default",
		authed:  !s.cfg.authRequired(),
		created: time.Now(),
		lastCmd: time.Now(),
		w:       resp.Writer{Proto: 2},
	}
	kc.Value = c
	c.syncAuth()
	s.stats.connectionsReceived++
	return ""
}

// Exec runs a pipeline under one hold of Server.mu, and it leaves in one write, as Redis
// handles a read's worth of commands in one event-loop turn. A paused instance neither
// runs nor answers it until resumed.
func (h conns) Exec(kc *respserver.Conn, b *respserver.Batch) {
	s, l, c := h.s, h.l, kc.Value.(*client)
	if !s.faults.waitRunnable(l) {
		kc.Close()
		return
	}
	if d := s.faults.replyDelay(); d > 0 {
		select {
		case <-time.After(d):
		case <-l.done:
			kc.Close()
			return
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.life != l || kc.Closed() {
		kc.Close()
		return
	}
	for cmd, ok := b.Next(); ok; cmd, ok = b.Next() {
		s.execute(c, cmd)
		c.syncAuth()
	}
	c.queue()
}

// ProtocolError answers a malformed request: Redis replies and closes the connection, as a
// reader cannot resynchronise inside a broken frame.
func (h conns) ProtocolError(kc *respserver.Conn, err error) {
	h.s.mu.Lock()
	defer h.s.mu.Unlock()
	c := kc.Value.(*client)
	c.w.Error("ERR " + err.Error())
	c.queue()
}

// Closed forgets the client once its connection has ended.
func (h conns) Closed(kc *respserver.Conn) {
	h.s.mu.Lock()
	defer h.s.mu.Unlock()
	if c, ok := kc.Value.(*client); ok {
		h.s.dropClient(c)
	}
}

// writeGate holds the writer of a paused instance, as SIGSTOP would.
func (h conns) writeGate(kc *respserver.Conn) bool { return h.s.faults.waitRunnable(h.l) }

// idleExempt are the clients timeout never closes (clientsCronHandleTimeout): replicas
// and Pub/Sub clients.
func (h conns) idleExempt(kc *respserver.Conn) bool {
	h.s.mu.Lock()
	defer h.s.mu.Unlock()
	c, ok := kc.Value.(*client)
	return !ok || c.replica != nil || c.subCount() > 0
}

// syncAuth tells the kernel whether the unauthenticated request limits apply to c. The
// caller holds Server.mu.
func (c *client) syncAuth() {
	if c.kc == nil {
		return
	}
	c.kc.SetAuthRequired(!c.authed && c.s.cfg.authRequired())
}

// dropClient forgets c: its subscriptions, its replica slot, and closes it. The caller
// holds mu.
func (s *Server) dropClient(c *client) {
	s.pubsub.UnsubscribeAll(c)
	if c.replica != nil {
		s.repl.removeReplica(c)
	}
	c.closeNow()
}

// flush hands what handlers wrote to the writer goroutine. The caller holds Server.mu.
func (c *client) flush() {
	c.queue()
	if c.kc != nil {
		c.kc.Signal()
	}
}

// queue moves what handlers wrote to the output queue. The caller holds Server.mu.
func (c *client) queue() {
	if c.kc != nil {
		c.kc.Queue(c.w.Bytes())
	}
	c.w.Reset()
}

// flushAndClose delivers this batch's replies and then closes the connection, as Redis
// does with CLIENT_CLOSE_AFTER_REPLY. Only the client's own command may call it.
func (c *client) flushAndClose() {
	if c.kc != nil {
		c.kc.CloseAfterReply()
	}
}

// closeNow closes the connection at once, dropping unsent output.
func (c *client) closeNow() {
	if c.kc != nil {
		c.kc.Close()
	}
}

// dead reports whether the connection is closed. The master client, which has no
// connection of its own, never is.
func (c *client) dead() bool { return c.kc != nil && c.kc.Closed() }

// kind is the client type CLIENT LIST and CLIENT KILL TYPE use.
func (c *client) kind() string {
	switch {
	case c.replica != nil:
		return "replica"
	case c.subCount() > 0:
		return "pubsub"
	default:
		return "normal"
	}
}
