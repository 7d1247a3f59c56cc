package redistest

import (
	"errors"
	"net"
	"sync"
	"time"

	"github.com/sentinel-go/sentinel/resp"
)

// client is one accepted connection. Fields other than the output queue are guarded by
// Server.mu; handlers write replies into w, and flush moves them to the writer goroutine.
type client struct {
	s     *Server
	id    int64
	nc    net.Conn
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
	subs     map[string]struct{}
	psubs    map[string]struct{}
	replica  *replicaLink // set once this connection has sent PSYNC/SYNC to us
	// replPort and replAddr are what the replica announced with REPLCONF before PSYNC.
	replPort int
	replIP   string
	replCapa map[string]bool

	writeMu    sync.Mutex // held while writing to nc
	outMu      sync.Mutex
	out        []byte
	wake       chan struct{}
	closing    bool // close once out is drained
	dead       bool // closed; drop further output
	closedOnce sync.Once
}

func (s *Server) newClient(nc net.Conn, l *life) *client {
	s.lastID++
	c := &client{
		s:       s,
		id:      s.lastID,
		nc:      nc,
		addr:    nc.RemoteAddr().String(),
		laddr:   nc.LocalAddr().String(),
		user:    "default",
		authed:  !s.cfg.authRequired(),
		created: time.Now(),
		lastCmd: time.Now(),
		wake:    make(chan struct{}, 1),
		w:       resp.Writer{Proto: 2},
	}
	s.clients[c.id] = c
	return c
}

func (c *client) readLoop(l *life) {
	defer l.wg.Done()
	defer c.detach()
	rd := resp.NewReader(c.nc)
	batch := make([]resp.Command, 0, 16)
	for {
		cmd, err := rd.ReadCommand()
		if err != nil {
			c.readFailed(err)
			return
		}
		// A pipeline runs under one lock hold and leaves in one write, as Redis handles a
		// read's worth of commands in one event-loop turn. Only commands already buffered
		// join the batch, so reading never blocks with the batch waiting.
		batch = append(batch[:0], cmd)
		var pending error
		for len(batch) < 1024 && rd.Buffered() {
			if cmd, pending = rd.ReadCommand(); pending != nil {
				break
			}
			batch = append(batch, cmd)
		}
		if !c.s.faults.waitRunnable(l) {
			return
		}
		if d := c.s.faults.replyDelay(); d > 0 {
			select {
			case <-time.After(d):
			case <-l.done:
				return
			}
		}
		c.s.mu.Lock()
		if c.s.life != l || c.dead {
			c.s.mu.Unlock()
			return
		}
		for _, cmd := range batch {
			c.s.execute(c, cmd)
			if c.closing {
				break
			}
		}
		c.queue()
		closing := c.closing
		c.s.mu.Unlock()
		if closing || !c.writePending() {
			return
		}
		if pending != nil {
			c.readFailed(pending)
			return
		}
	}
}

// readFailed ends the connection after a read error. Redis answers a malformed request with
// its protocol error and closes the connection: a reader cannot resynchronise inside a
// broken frame.
func (c *client) readFailed(err error) {
	if !errors.Is(err, resp.ErrProtocol) {
		return
	}
	c.s.mu.Lock()
	c.w.Error("ERR " + err.Error())
	c.flushAndClose()
	c.s.mu.Unlock()
}

// detach removes the client from the server once its reader stops.
func (c *client) detach() {
	c.s.mu.Lock()
	defer c.s.mu.Unlock()
	c.s.dropClient(c)
	c.outMu.Lock()
	if len(c.out) == 0 || c.dead {
		c.outMu.Unlock()
		c.closeNow()
		return
	}
	// Let the writer deliver the last reply (QUIT's +OK, a protocol error), then close.
	c.closing = true
	c.outMu.Unlock()
	c.signal()
}

// dropClient forgets c: its subscriptions, its replica slot. The caller holds mu.
func (s *Server) dropClient(c *client) {
	if _, ok := s.clients[c.id]; !ok {
		return
	}
	delete(s.clients, c.id)
	s.pubsub.unsubscribeAll(c)
	if c.replica != nil {
		s.repl.removeReplica(c)
	}
}

// writeLoop sends output that other goroutines queue for this connection: Pub/Sub
// messages, the replication stream. Replies to the connection's own commands are sent by
// its reader directly, which saves a goroutine hand-off per request.
func (c *client) writeLoop(l *life) {
	defer l.wg.Done()
	for {
		select {
		case <-c.wake:
		case <-l.done:
			c.closeNow()
			return
		}
		if !c.s.faults.waitRunnable(l) {
			c.closeNow()
			return
		}
		if !c.writePending() {
			return
		}
	}
}

// writePending sends whatever is queued. writeMu keeps the reader and the writer goroutine
// from interleaving their writes; outMu is held only to take the queue, so a goroutine
// queueing output under Server.mu never waits on this connection's socket. It reports false
// once the connection is finished.
func (c *client) writePending() bool {
	c.writeMu.Lock()
	defer c.writeMu.Unlock()
	c.outMu.Lock()
	out, closing, dead := c.out, c.closing, c.dead
	c.out = nil
	c.outMu.Unlock()
	if dead {
		return false
	}
	if len(out) > 0 {
		if _, err := c.nc.Write(out); err != nil {
			c.closeNow()
			return false
		}
	}
	if closing {
		c.outMu.Lock()
		drained := len(c.out) == 0
		c.outMu.Unlock()
		if drained {
			c.closeNow()
			return false
		}
		c.signal()
	}
	return true
}

// flush hands what handlers wrote to the writer goroutine. The caller holds Server.mu.
func (c *client) flush() {
	if c.queue() {
		c.signal()
	}
}

// queue moves what handlers wrote to the output queue, and reports whether there was any.
// The caller holds Server.mu.
func (c *client) queue() bool {
	if c.w.Len() == 0 {
		return false
	}
	c.outMu.Lock()
	if !c.dead {
		c.out = append(c.out, c.w.Bytes()...)
	}
	c.outMu.Unlock()
	c.w.Reset()
	return true
}

// flushAndClose delivers pending output and then closes the connection, as Redis does with
// CLIENT_CLOSE_AFTER_REPLY.
func (c *client) flushAndClose() {
	c.flush()
	c.outMu.Lock()
	c.closing = true
	c.outMu.Unlock()
	c.signal()
}

func (c *client) signal() {
	select {
	case c.wake <- struct{}{}:
	default:
	}
}

// closeNow closes the connection at once, dropping unsent output.
func (c *client) closeNow() {
	c.closedOnce.Do(func() {
		c.outMu.Lock()
		c.dead = true
		c.out = nil
		c.outMu.Unlock()
		c.nc.Close()
		c.signal()
	})
}

// kind is the client type CLIENT LIST and CLIENT KILL TYPE use.
func (c *client) kind() string {
	switch {
	case c.replica != nil:
		return "replica"
	case len(c.subs) > 0 || len(c.psubs) > 0:
		return "pubsub"
	default:
		return "normal"
	}
}
