package monitor

import (
	"time"
)

// LinkKind tells a command connection from a Pub/Sub one.
type LinkKind int

const (
	CmdLink LinkKind = iota
	PubSubLink
)

func (k LinkKind) String() string {
	if k == PubSubLink {
		return "pubsub"
	}
	return "cmd"
}

// LinkSpec is what the transport needs to open a link: where, and how to introduce itself.
type LinkSpec struct {
	Addr     string // host:port
	Sentinel bool   // a peer sentinel: command connection only
	AuthUser string
	AuthPass string
	// ClientName is sent as CLIENT SETNAME; the transport appends "-cmd" or "-pubsub".
	ClientName string
	// Rename maps lower-case command names to the names the server knows them by.
	Rename map[string]string
	// FastReconnect asks the transport to redial a lost connection every 100 ms for a few
	// seconds instead of once a second: a master link with protect-empty-restart, where
	// the restart must be seen before the replicas (which retry once a second) resync.
	FastReconnect bool
}

// conn is the core's view of one connection of a link, fed by LinkUp/LinkDown observations.
type conn struct {
	up       bool
	gen      uint64 // generation of the current connection, from LinkUp
	connTime time.Time
}

// link is redis-sentinel's instanceLink: the connections to one address and their timers,
// shared by every master that sees an instance (or a peer sentinel) at that address.
type link struct {
	spec     LinkSpec
	refcount int
	users    []*instance // the instances sharing this link, one per master that sees it

	cmd    conn
	pubsub conn

	pending        int // commands sent on the command connection still awaiting a reply
	localIP        string
	pcLastActivity time.Time

	actPingTime   time.Time // oldest unanswered PING; zero when none is outstanding
	lastPingTime  time.Time
	lastAvailTime time.Time // last acceptable PING reply
	availSince    time.Time // first of the acceptable replies since the last gap (helloSentAfter)
	lastPongTime  time.Time // last reply of any kind
	// pingsOut are the send times of the PINGs awaiting their reply, oldest first (a
	// connection answers in order), and pingRTT the round trip of the last one answered:
	// what the metrics show as the link's latency, queueing in our own loop included.
	pingsOut []time.Time
	pingRTT  time.Duration
	// When the command connection was last lost, and last closed by the other end: what
	// forget.go's peak reads as a process gone.
	cmdDown, peerClosed time.Time
}

func (c *Core) linkFor(in *instance) *link {
	key := addrKey(in.addr)
	if l, ok := c.links[key]; ok {
		l.refcount++
		l.users = append(l.users, in)
		return l
	}
	spec := c.linkSpec(in)
	// Redis starts the clock at link creation, so an instance that never answers still goes
	// down after down-after-milliseconds.
	now := c.now
	l := &link{spec: spec, refcount: 1, users: []*instance{in}, actPingTime: now, lastAvailTime: now, lastPongTime: now}
	c.links[key] = l
	if in.addr.Port != 0 { // port 0 is Redis's "invalid address": never connected
		c.ready.Links = append(c.ready.Links, LinkChange{Op: LinkOpen, Spec: spec})
	}
	return l
}

// linkSpec is how a link to in introduces itself: the credentials and command names of its
// master (of the sentinels, for a peer).
func (c *Core) linkSpec(in *instance) LinkSpec {
	m := in.master
	spec := LinkSpec{
		Addr:       addrKey(in.addr),
		Sentinel:   in.kind == kindSentinel,
		ClientName: "sentinel-" + c.myID[:8],
		Rename:     m.cfg.RenameCommands,
	}
	if in.kind == kindSentinel {
		switch {
		case c.cfg.SentinelPass != "":
			spec.AuthUser, spec.AuthPass = c.cfg.SentinelUser, c.cfg.SentinelPass
		case c.cfg.RequirePass != "":
			spec.AuthPass = c.cfg.RequirePass
		}
	} else if m.cfg.AuthPass != "" {
		spec.AuthUser, spec.AuthPass = m.cfg.AuthUser, m.cfg.AuthPass
	}
	spec.FastReconnect = in.kind == kindMaster && c.cfg.ProtectEmptyRestart
	return spec
}

// relink drops both connections of in's link and has the transport connect again with the
// spec in's master now gives (new credentials or command names). It is redis-sentinel's
// dropInstanceConnections: the link and its timers stay, so an instance down before is still
// down after, its down-after still counting from its last acceptable reply. A link shared
// with another master's instance takes the newer spec: there is one connection per address.
func (c *Core) relink(in *instance) {
	l := in.link
	if l == nil {
		return
	}
	old := l.spec
	l.spec = c.linkSpec(in)
	c.ready.Links = append(c.ready.Links, LinkChange{Op: LinkClose, Spec: old})
	if in.addr.Port != 0 {
		c.ready.Links = append(c.ready.Links, LinkChange{Op: LinkOpen, Spec: l.spec})
	}
	// Generations stay: the new link's connections are numbered after the closed one's
	// (see LinkUp), so the closed one's late news is told apart from the new link's.
	l.cmd.up, l.pubsub.up = false, false
	l.pending, l.pingsOut = 0, l.pingsOut[:0]
	if l.actPingTime.IsZero() { // as the PING redis-sentinel queues at the reconnection
		l.actPingTime = c.now
	}
	for _, u := range l.users {
		c.wakeBy(l.actPingTime.Add(u.master.downAfter() + time.Millisecond))
	}
	c.touchLink(l)
}

// hasMaster reports whether some master is monitored through this link.
func (l *link) hasMaster() bool {
	for _, in := range l.users {
		if in.kind == kindMaster {
			return true
		}
	}
	return false
}

func (c *Core) releaseLink(in *instance) {
	l := in.link
	if l == nil {
		return
	}
	in.link = nil
	l.refcount--
	for i, u := range l.users {
		if u == in {
			l.users = append(l.users[:i:i], l.users[i+1:]...)
			break
		}
	}
	if l.refcount > 0 {
		return
	}
	delete(c.links, l.spec.Addr)
	c.ready.Links = append(c.ready.Links, LinkChange{Op: LinkClose, Spec: l.spec})
}

func (c *Core) linkUp(l *link, o LinkUp) {
	cn := &l.cmd
	if o.Kind == PubSubLink {
		cn = &l.pubsub
	}
	if o.Gen < cn.gen {
		// The late news of a connection made before the current one: the goroutine of a
		// link closed and opened again (SENTINEL SET auth-pass) may report it after the
		// new link's. Taken, it would replace the live connection, and its LinkDown,
		// which follows, would leave the link down while the transport holds it up.
		return
	}
	if o.Kind == PubSubLink {
		l.pcLastActivity = c.now
	} else {
		l.pending, l.pingsOut = 0, l.pingsOut[:0]
		l.localIP = o.LocalIP
	}
	*cn = conn{up: true, gen: o.Gen, connTime: c.now}
	if len(l.users) > 0 {
		c.reresolve(l.users[0].addr.Host) // a new connection may have reached a new address
	}
	if o.Kind == CmdLink {
		// The first PING goes out at once, as redis-sentinel's reconnect does.
		c.sendPing(l)
		if c.cfg.ProtectEmptyRestart {
			// And INFO, with the guard: a master restarted empty must be seen before its
			// replicas resync (guard.go), not at the next INFO period.
			for _, in := range l.users {
				if in.kind == kindMaster {
					c.send(l, Tag{Kind: TagInfo, Master: in.master.name, Name: in.name}, infoArgs...)
				}
			}
		}
	}
}

func (c *Core) linkDown(l *link, o LinkDown) {
	cn := &l.cmd
	if o.Kind == PubSubLink {
		cn = &l.pubsub
	}
	if cn.gen != o.Gen || !cn.up {
		return
	}
	cn.up = false
	if o.Kind == CmdLink {
		l.pending, l.pingsOut = 0, l.pingsOut[:0]
		l.cmdDown = c.now
		if o.PeerClosed {
			l.peerClosed = c.now
		}
	}
	if o.Kind == PubSubLink && l.cmd.up && c.cfg.ProtectEmptyRestart && l.hasMaster() {
		// The command connection of an idle link notices a dead server only at its next
		// PING, up to a second later; the guard needs the restarted master's INFO before the
		// replicas resync (guard.go), so it redials now.
		c.reconnect(l, CmdLink)
	}
	// redis-sentinel queues a PING with every reconnection attempt of the command
	// connection, so down-after counts from its disconnection, not from the last reply
	// before it. A Pub/Sub connection lost while the command connection stays up (our own
	// CLIENT KILL TYPE pubsub in a reconfiguration drops it) says nothing of the instance:
	// a PING goes out at once, so the reply refreshes the last acceptable reply that
	// sentinelCheckSubjectivelyDown counts from while a link is disconnected. Without it a
	// replica answering every PING went SDOWN in each reconfiguration at down-after 1 s,
	// its last reply up to a ping period old. A killed process closes both connections,
	// and the command one's LinkDown follows at once.
	switch {
	case o.Kind == CmdLink && l.actPingTime.IsZero():
		l.actPingTime = c.now
	case o.Kind == PubSubLink && l.cmd.up && l.actPingTime.IsZero():
		c.sendPing(l)
	}
	since := l.actPingTime
	if since.IsZero() {
		since = l.lastAvailTime
	}
	for _, in := range l.users {
		c.wakeBy(since.Add(in.master.downAfter() + time.Millisecond))
	}
}

// wakeBy asks for a tick at t at the latest. A dropped connection (a killed process) makes its
// instance subjectively down at a known instant; judging it then instead of at the next
// randomized tick, up to 100 ms later, takes that much off every failover.
func (c *Core) wakeBy(t time.Time) {
	if c.wakeAt.IsZero() || t.Before(c.wakeAt) {
		c.wakeAt = t
	}
}

// WakeAt is when the driver should tick next at the latest (zero: no hurry).
func (c *Core) WakeAt() time.Time { return c.wakeAt }

// send queues a command on the link's command connection.
// The arguments of the commands sent most (a PING a second, an INFO every ten, per
// instance) are shared by every Send of them rather than allocated each time: Send.Args is
// read-only.
var pingArgs, infoArgs = []string{"PING"}, []string{"INFO"}

func (c *Core) send(l *link, tag Tag, args ...string) {
	l.pending++
	c.touchTimers(l)
	if c.ready.Sends == nil {
		// A tick sends to a good share of the instances: start at the last batch's size
		// instead of growing to it by doubling, step after step.
		c.ready.Sends = make([]Send, 0, max(8, c.sendsHint))
	}
	c.ready.Sends = append(c.ready.Sends, Send{Addr: l.spec.Addr, Gen: l.cmd.gen, Tag: tag, Args: args})
}

func (c *Core) sendPing(l *link) {
	c.send(l, Tag{Kind: TagPing}, pingArgs...)
	l.lastPingTime = c.now
	l.pingsOut = append(l.pingsOut, c.now)
	if l.actPingTime.IsZero() {
		l.actPingTime = c.now
	}
}
