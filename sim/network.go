package sim

import (
	"time"

	"github.com/sentinel-go/sentinel/monitor"
)

// The network: TCP-like connections from a sentinel (always the client) to a Redis instance
// or a peer sentinel (the server). Each direction of a connection is a FIFO pipe: a message
// gets a random delay but never overtakes the one before it, as on one TCP stream. A
// partition blackholes traffic between nodes on different sides: what is queued waits, and
// flows again on heal, unless a side gave up on the connection meanwhile (as TCP
// retransmission would deliver it). A "drop" is a connection reset: TCP never loses one
// message and delivers the next, so a lost message takes the connection with it, and the
// client sees LinkDown once the reset reaches it.

// netParams are the current network conditions.
type netParams struct {
	minDelay, maxDelay time.Duration
	resetProb          float64 // per message: the connection is reset instead
}

// pollPeriod is how often a blocked pipe (partition) looks again.
const pollPeriod = 100 * time.Millisecond

// dialTimeout is how long a connection attempt into a partition hangs before failing, as
// the real transport's DialTimeout.
const dialTimeout = 5 * time.Second

// reconnectPeriod is the least time between two connection attempts of one link and kind
// (the real transport's ReconnectPeriod, Redis's once a second).
const reconnectPeriod = time.Second

// fastReconnectPeriod is link's period for a LinkSpec.FastReconnect link (a master's, with
// protect-empty-restart).
const fastReconnectPeriod = 100 * time.Millisecond

func (s *Sim) delay() time.Duration {
	lo, hi := s.net.minDelay, s.net.maxDelay
	if hi <= lo {
		return lo
	}
	return lo + time.Duration(s.rng.Int64N(int64(hi-lo)+1))
}

// reachable: no partition between two nodes.
func (s *Sim) reachable(a, b int) bool { return s.side[a] == s.side[b] }

type msgKind int

const (
	msgCommand  msgKind = iota // client to server
	msgReply                   // server to client: the answer to a command
	msgPubSub                  // server to client: a Pub/Sub message
	msgActivity                // server to client: another Pub/Sub frame (subscribe confirmation)
	msgClose                   // server to client: the connection ended (FIN/RST)
)

type msg struct {
	at   time.Time
	kind msgKind
	args []string
	tag  monitor.Tag
	// Replies.
	value any
	err   string
	// Pub/Sub.
	channel, payload string
}

// conn is one connection of a sentinel's link.
type conn struct {
	client *Sentinel
	inc    int // the client's incarnation: a restarted sentinel never sees old connections
	addr   string
	kind   monitor.LinkKind
	gen    uint64
	server int // node index

	closed  bool // the client is done with it: nothing more is delivered either way
	srvGone bool // the server end is gone; the client learns when msgClose arrives

	toSrv, toCli pipe

	// Server-side state.
	multi  bool
	queued [][]string
}

type pipe struct {
	c       *conn
	toSrv   bool
	q       []msg // q[head:] waits; the array is reused once drained
	head    int
	last    time.Time // arrival time of the newest message: FIFO
	pumping bool      // a pump is scheduled
	pumpFn  func()    // s.pump(p), made once: pumps run for every message
}

func (s *Sim) newConn(n *Sentinel, addr string, kind monitor.LinkKind, server int) *conn {
	c := &conn{client: n, inc: n.inc, addr: addr, kind: kind, server: server}
	c.toSrv = pipe{c: c, toSrv: true}
	c.toCli = pipe{c: c}
	c.toSrv.pumpFn = func() { s.pump(&c.toSrv) }
	c.toCli.pumpFn = func() { s.pump(&c.toCli) }
	return c
}

// send queues a message on a pipe; with the reset probability the connection is reset
// instead and the message lost with everything else in flight.
func (s *Sim) send(p *pipe, m msg) {
	c := p.c
	if c.closed || (p.toSrv && c.srvGone) || (!p.toSrv && c.srvGone && m.kind != msgClose) {
		return
	}
	if m.kind != msgClose && s.net.resetProb > 0 && s.rng.Float64() < s.net.resetProb {
		s.resetConn(c)
		return
	}
	at := s.now.Add(s.delay())
	if at.Before(p.last) {
		at = p.last
	}
	p.last = at
	m.at = at
	p.q = append(p.q, m)
	if !p.pumping {
		p.pumping = true
		s.at(at, p.pumpFn)
	}
}

// pump delivers what is due at the head of a pipe, in order.
func (s *Sim) pump(p *pipe) {
	p.pumping = false
	c := p.c
	for p.head < len(p.q) {
		if c.closed || (p.toSrv && c.srvGone) {
			p.clear()
			return
		}
		head := p.q[p.head]
		if head.at.After(s.now) {
			p.pumping = true
			s.at(head.at, p.pumpFn)
			return
		}
		if !s.reachable(c.client.node, c.server) {
			p.pumping = true
			s.after(pollPeriod, p.pumpFn)
			return
		}
		recv := c.server
		if !p.toSrv {
			recv = c.client.node
		}
		if stopped, until := s.paused(recv); stopped {
			p.pumping = true
			s.at(until, p.pumpFn)
			return
		}
		p.q[p.head] = msg{}
		p.head++
		if p.head == len(p.q) {
			p.q, p.head = p.q[:0], 0
		}
		if p.toSrv {
			s.serve(c, head)
		} else {
			c.client.deliver(c, head)
		}
		if s.err != nil {
			return
		}
	}
}

func (p *pipe) clear() {
	clear(p.q)
	p.q, p.head = p.q[:0], 0
}

// serve hands a command to the server end.
func (s *Sim) serve(c *conn, m msg) {
	nd := s.nodes[c.server]
	if nd.redis != nil {
		nd.redis.serve(c, m)
	} else {
		nd.sentinel.serve(c, m)
	}
}

// serverGone: the server end of c closed (its process died, CLIENT KILL). Replies already
// on their way still arrive, then the close.
func (s *Sim) serverGone(c *conn) {
	if c.srvGone || c.closed {
		return
	}
	s.detach(c)
	c.srvGone = true
	c.toSrv.clear()
	s.send(&c.toCli, msg{kind: msgClose})
}

// resetConn: the connection broke in the network; what was in flight is lost both ways.
func (s *Sim) resetConn(c *conn) {
	if c.srvGone || c.closed {
		return
	}
	s.stats.Resets++
	s.detach(c)
	c.srvGone = true
	c.toSrv.clear()
	c.toCli.clear()
	s.send(&c.toCli, msg{kind: msgClose})
}

// clientGone: the client closed its end (Reconnect, Close, its own crash).
func (s *Sim) clientGone(c *conn) {
	if c.closed {
		return
	}
	if !c.srvGone {
		s.detach(c)
	}
	c.closed = true
	c.toSrv.clear()
	c.toCli.clear()
}

// detach removes c from its server's connection list.
func (s *Sim) detach(c *conn) {
	nd := s.nodes[c.server]
	list := &nd.srvConns
	for i, x := range *list {
		if x == c {
			*list = append((*list)[:i:i], (*list)[i+1:]...)
			return
		}
	}
}
