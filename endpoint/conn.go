package endpoint

import (
	"time"

	"github.com/sentinel-go/sentinel/internal/resp"
	"github.com/sentinel-go/sentinel/internal/respserver"
)

// denied is Redis's protected-mode refusal, sent before closing the connection.
const denied = "-DENIED Redis is running in protected mode because protected mode is enabled and no password is set for the default user. In this mode connections are only accepted from the loopback interface. If you want to connect from external computers to Redis you may adopt one of the following solutions: 1) Just disable protected mode sending the command 'CONFIG SET protected-mode no' from the loopback interface by connecting to Redis from the same host the server is running, however MAKE SURE Redis is not publicly accessible from internet if you do so. Use CONFIG REWRITE to make this change permanent. 2) Alternatively you can just disable the protected mode by editing the Redis configuration file, and setting the protected mode option to 'no', and then restarting the server. 3) If you started the server manually just for testing, restart it with the '--protected-mode no' option. 4) Setup a an authentication password for the default user. NOTE: You only need to do one of the above things in order for the server to start accepting connections from the outside.\r\n"

// maxBatchOutput is how much reply a pipeline may pile up before it is sent, so a long
// pipeline of large replies does not hold them all in memory.
const maxBatchOutput = 64 << 10

// conn is the endpoint's state for one client connection; the kernel's Conn carries the
// socket, its goroutines and its output queue.
type conn struct {
	s       *Server
	kc      *respserver.Conn
	id      int64
	addr    string
	laddr   string
	fd      int
	created time.Time

	// Only the connection's reading goroutine uses these.
	w          resp.Writer
	mark       int  // where the current request's replies start in w
	skipNext   bool // CLIENT REPLY SKIP: suppress the next command's reply
	skipThis   bool
	closeAfter bool // close once the current batch's replies are written
	subscribed bool // it had subscriptions when the current request began
	// batchNow is the time the current batch began, what its commands record as the
	// time of the last command (CLIENT LIST's idle=, in whole seconds): one clock read
	// per batch, not per request. A wait in CLIENT PAUSE renews it.
	batchNow time.Time
	// deferred are the replies of this batch's SENTINEL subcommands that wait for the
	// sentinel's loop, in order; see deferReply.
	deferred []deferredReply

	// Guarded by Server.mu.
	name     string
	user     *user
	authed   bool
	proto    int
	lastCmd  time.Time
	cmdName  string // full name of the last command looked up, "" for none
	argvMem  int
	replyOff bool
	noEvict  bool
	blocked  bool // held back by CLIENT PAUSE
	tracking tracking
}

// ID is the client id.
func (c *conn) ID() int64 { return c.id }

// endpoint is the Server as the kernel calls it.
type endpoint struct{ s *Server }

// Open admits a connection, or refuses it as Redis's protected mode would.
func (h endpoint) Open(kc *respserver.Conn) string {
	s := h.s
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.o.ProtectedMode && s.acl.defaultUser().nopass && !s.isLocal(kc.RemoteAddr()) {
		return denied
	}
	c := &conn{
		s:       s,
		kc:      kc,
		id:      kc.ID(),
		addr:    kc.Addr(),
		laddr:   kc.LocalAddr(),
		fd:      kc.FD(),
		created: kc.Created(),
		lastCmd: kc.Created(),
		user:    s.acl.defaultUser(),
		authed:  !s.acl.authRequired(),
		proto:   2,
		w:       resp.Writer{Proto: 2},
	}
	kc.Value = c
	c.syncAuthLocked()
	return ""
}

// Exec runs a pipeline as one batch, which leaves in one write, as Redis runs a read's
// worth of requests in one event-loop turn.
func (h endpoint) Exec(kc *respserver.Conn, b *respserver.Batch) {
	c := kc.Value.(*conn)
	c.batchNow = c.s.now()
	for cmd, ok := b.Next(); ok; cmd, ok = b.Next() {
		c.execute(cmd.Args)
		if c.closeAfter {
			kc.CloseAfterReply()
		}
		if c.w.Len() > maxBatchOutput && !c.flush() {
			return
		}
	}
	c.queueReplies()
}

// deferredReply is a reply still to come, and where in w it goes.
type deferredReply struct {
	at         int
	wait       func(w *resp.Writer)
	suppressed bool // CLIENT REPLY OFF or SKIP was in force for its request
}

// deferReply lets the batch go on while a state-changing SENTINEL subcommand waits for the
// loop. Consecutive ones are then all handed over before the first answer is awaited, and
// the loop takes them in one step with one save: a peer failing many masters over at once
// pipelines one vote request per master, and answered one save after the other they would
// come too late to count (each vote must be saved before it is answered). The replies
// still leave in request order, and anything else (a read, any other command) first
// waits for them all, so a pipeline sees its own changes as when run one by one.
func (c *conn) deferReply(wait func(w *resp.Writer)) {
	c.deferred = append(c.deferred, deferredReply{at: c.w.Len(), wait: wait})
}

// awaitDeferred waits for the deferred replies and puts each in its place in w.
func (c *conn) awaitDeferred() {
	if len(c.deferred) == 0 {
		return
	}
	base := c.deferred[0].at
	after := append([]byte(nil), c.w.Bytes()[base:]...) // written since: errors of requests in between
	c.truncate(base)
	last := base
	for _, d := range c.deferred {
		c.w.Raw(after[last-base : d.at-base])
		mark := c.w.Len()
		d.wait(&c.w)
		switch {
		case d.suppressed:
			c.truncate(mark)
		case c.w.Len() > mark && c.w.Bytes()[mark] == '-':
			c.s.st.errorReplies.Add(1)
		}
		last = d.at
	}
	c.w.Raw(after[last-base:])
	c.deferred = c.deferred[:0]
}

// ProtocolError answers a malformed request with Redis's protocol error.
func (h endpoint) ProtocolError(kc *respserver.Conn, err error) {
	c := kc.Value.(*conn)
	if !c.suppressed() {
		c.w.Error("ERR " + err.Error())
		c.s.st.errorReplies.Add(1)
	}
	c.queueReplies()
}

// Closed forgets the connection once it has ended.
func (h endpoint) Closed(kc *respserver.Conn) {
	c, ok := kc.Value.(*conn)
	if !ok {
		return
	}
	c.s.mu.Lock()
	c.s.dropLocked(c)
	c.s.mu.Unlock()
}

// idleExempt are the clients timeout never closes: Pub/Sub clients and those CLIENT PAUSE
// holds (clientsCronHandleTimeout's CLIENT_PUBSUB and CLIENT_BLOCKED).
func (s *Server) idleExempt(kc *respserver.Conn) bool {
	c, ok := kc.Value.(*conn)
	if !ok {
		return true
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return c.subCount() > 0 || c.blocked
}

// syncAuthLocked tells the kernel whether the unauthenticated request limits apply to c.
// The caller holds Server.mu.
func (c *conn) syncAuthLocked() {
	c.kc.SetAuthRequired(!c.authed && c.s.acl.authRequired())
}

// dropLocked closes a connection and forgets it at once, as Redis's freeClient does: a
// killed client is gone from CLIENT LIST, and hears no more messages, before its
// goroutine has noticed. The caller holds Server.mu.
func (s *Server) dropLocked(c *conn) {
	s.pubsub.UnsubscribeAll(c)
	c.closeNow()
}

// queueReplies moves the replies written so far to the output queue.
func (c *conn) queueReplies() {
	c.awaitDeferred()
	c.kc.Queue(c.w.Bytes())
	c.w.Reset()
}

// flush queues the replies written so far and sends the queue. It reports false once the
// connection is closed.
func (c *conn) flush() bool {
	c.queueReplies()
	return c.kc.WritePending()
}

// push queues a Pub/Sub message. The caller holds Server.mu. A subscriber whose queue
// outgrows Redis's pubsub output buffer limits is disconnected.
func (c *conn) push(b []byte) {
	s := c.s
	if !c.kc.Push(b, respserver.Limit{Hard: s.pubsubHard, Soft: s.pubsubSoft, SoftTime: s.pubsubSoftTime}) {
		s.dropLocked(c)
	}
}

func (c *conn) queued() int { return c.kc.Queued() }

// closeNow closes the connection at once, dropping unsent output.
func (c *conn) closeNow() { c.kc.Close() }

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

var _ respserver.Handler = endpoint{}

// syncAuthLocked brings every connection's request limits in step with the default user,
// after its password changed. The caller holds Server.mu.
func (s *Server) syncAuthLocked() {
	for _, c := range s.connsLocked() {
		c.syncAuthLocked()
	}
}

// connLocked is the connection with this id, or nil. The caller holds Server.mu.
func (s *Server) connLocked(id int64) *conn {
	if kc := s.k.Conn(id); kc != nil {
		return kc.Value.(*conn)
	}
	return nil
}
