package sim

import (
	"fmt"
	"math/rand/v2"
	"net"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/sentinel-go/sentinel/config"
	"github.com/sentinel-go/sentinel/internal/resp"
	"github.com/sentinel-go/sentinel/monitor"
	"github.com/sentinel-go/sentinel/monitor/hello"
	"github.com/sentinel-go/sentinel/monitor/info"
	"github.com/sentinel-go/sentinel/query"
)

// MemStore keeps the last persisted State (monitor.Ready.State) in memory: what a
// restarted sentinel comes back with. Everything not persisted is lost at a crash.
type MemStore struct {
	last *config.Config
}

// Save persists a State, as the driver's store does.
func (m *MemStore) Save(c *config.Config) error {
	m.last = c
	return nil
}

// Last returns a deep copy of the last saved config (nil before any save).
func (m *MemStore) Last() *config.Config { return m.last.Clone() }

// Sentinel is one simulated sentinel process: a monitor.Core, its store, and the
// transport's side of its links. A crash throws away the core and the links; a restart
// builds a new core from what the store last saved.
type Sentinel struct {
	s     *Sim
	node  int
	Name  string
	IP    string
	Port  int
	Addr  string
	RunID string // myid; kept across restarts since it is saved at the first start

	Alive   bool
	Core    *monitor.Core
	Store   *MemStore
	inc     int            // incarnation, bumped at every crash and restart
	initial *config.Config // the config it was first started with

	links map[string]*linkState
	gen   uint64 // the transport's connection counter: one per process, as transport's

	// What this incarnation's core was told, recorded by the network for the checker: the
	// last acceptable PING reply per address and the last INFO per (master, instance).
	pongAt map[string]time.Time
	infos  map[string]*seenInfo
	// helloAt[master|run ID] is the last hello from that peer about that master;
	// startedAt is when this incarnation started. The minority check counts a peer reached
	// at these, at its PONGs, and when it was discovered.
	helloAt   map[string]time.Time
	startedAt time.Time

	// view is what clients are answered from, published when the driver would publish it:
	// after a step that changed something a query sees, after timer changes at most once
	// a second, after a request.
	view   *monitor.View
	viewAt time.Time

	nextTick time.Time // when the regular tick chain fires next
	wakeAt   time.Time // an early tick the core asked for (Core.WakeAt), already scheduled

	dieAfterSave bool // crash right after the next step that saved, before its sends leave
	simFailure   bool // a SIMULATE-FAILURE crash is armed in this incarnation
	manual       bool // the step running now is a SENTINEL FAILOVER we asked for

	answers []monitor.Value // the core's answers to requests, as the driver hands them out
}

type seenInfo struct {
	at       time.Time
	priority int
	offset   int64
	runID    string
	linkDown time.Duration
	syncing  bool // master_sync_in_progress:1
	// stale: it turned from master to replica, or reported a master other than the one it
	// reported before, and has not reported its link up since.
	stale      bool
	role       string
	masterAddr string // master_host:master_port it last reported
}

// linkState is the transport's side of one link (transport's connLoop pair).
type linkState struct {
	spec     monitor.LinkSpec
	conns    [2]*conn
	lastDial [2]time.Time
	dialing  [2]bool
	closed   bool
}

func (ls *linkState) up(k monitor.LinkKind) bool { return ls != nil && ls.conns[k] != nil }

// start builds the core from cfg (a fresh incarnation) and starts ticking.
func (n *Sentinel) start(cfg *config.Config) error {
	s := n.s
	n.inc++
	n.links = map[string]*linkState{}
	n.gen = 0
	n.pongAt = map[string]time.Time{}
	n.infos = map[string]*seenInfo{}
	n.helloAt = map[string]time.Time{}
	n.startedAt = s.now
	n.view = nil
	rnd := rand.New(rand.NewPCG(s.rng.Uint64(), s.rng.Uint64()))
	s.check.started(n, cfg) // before New, which takes cfg over
	var opts []monitor.Option
	if s.opts.FullTicks {
		opts = append(opts, monitor.WithFullTicks())
	}
	core, err := monitor.New(cfg, rnd, s.now, opts...)
	if err != nil {
		return err
	}
	n.Core, n.Alive = core, true
	n.flush()
	if n.Alive {
		n.publish()
	}
	inc := n.inc
	n.scheduleTick(inc)
	return nil
}

func (n *Sentinel) scheduleTick(inc int) {
	d := n.tickInterval()
	n.nextTick = n.s.now.Add(d)
	n.s.after(d, func() { n.tick(inc) })
}

// wake schedules the early tick the core asks for, as the driver does: sentinels that lose
// a connection at the same moment then judge it at the same moment, which is what makes
// their elections start together (the case the self-vote rules are for).
func (n *Sentinel) wake() {
	w := n.Core.WakeAt()
	if w.IsZero() || !w.Before(n.nextTick) || w.Equal(n.wakeAt) {
		return
	}
	n.wakeAt = w
	inc := n.inc
	n.s.at(w, func() {
		if n.Alive && n.inc == inc {
			if stopped, _ := n.s.paused(n.node); !stopped {
				n.Core.Tick(n.s.now)
				n.flush()
			}
		}
	})
}

// tickInterval is the driver's: Redis's randomized hz, 10 to 19 ticks a second.
func (n *Sentinel) tickInterval() time.Duration {
	return time.Second / time.Duration(10+n.s.rng.IntN(10))
}

func (n *Sentinel) tick(inc int) {
	if !n.Alive || n.inc != inc {
		return
	}
	if stopped, until := n.s.paused(n.node); stopped {
		n.s.at(until, func() { n.tick(inc) }) // a late tick: TILT if it was long
		return
	}
	n.Core.Tick(n.s.now)
	n.flush()
	if n.Alive && n.inc == inc {
		if n.Core.Changed() || (n.Core.TimersChanged() && n.s.now.Sub(n.viewAt) >= time.Second) {
			n.publish()
		}
		n.scheduleTick(inc)
	}
}

// publish builds the view the driver would publish now. Views are the simulation's
// costliest part and only the minority check needs their staleness, so without
// minority-refuses the clients are answered from a fresh view instead (see askAddr).
func (n *Sentinel) publish() {
	if !n.s.MinorityRefuses {
		return
	}
	n.view = n.Core.View()
	n.viewAt = n.s.now
}

func (n *Sentinel) observe(o monitor.Observation) {
	n.Core.Observe(n.s.now, o)
	n.flush()
}

// flush carries out a Ready as the driver does: the State persisted first, then links,
// sends, then events, then Advance. The checker reads the events first, against the link
// state the step ran with, and what they announce against the persisted State.
func (n *Sentinel) flush() {
	s := n.s
	rd := n.Core.Ready()
	n.Core.Advance()
	if rd.State != nil {
		_ = n.Store.Save(rd.State)
	}
	s.check.persisted(n, rd.Events)
	for _, r := range rd.Responses {
		n.answers = append(n.answers, r.Reply(nil)) // the sim's store never fails
	}
	s.check.events(n, rd.Events)
	if s.opts.Events != nil {
		for _, e := range rd.Events {
			s.opts.Events(n, e)
		}
	}
	// The driver publishes before the events go out, so a client that heard them reads
	// what they announced.
	if len(rd.Events) > 0 && n.Core != nil && n.Core.Changed() {
		n.publish()
	}
	s.check.logs(n, rd.Logs)
	n.manual = false
	if n.dieAfterSave && rd.State != nil {
		n.dieAfterSave = false
		s.crashSentinel(n, "crash after a save, before its sends left")
		return
	}
	for _, lc := range rd.Links {
		switch lc.Op {
		case monitor.LinkOpen:
			n.open(lc.Spec)
		case monitor.LinkClose:
			if ls := n.links[lc.Spec.Addr]; ls != nil {
				ls.closed = true
				for _, c := range ls.conns {
					if c != nil {
						s.clientGone(c)
						n.lateLinkDown(c)
					}
				}
				delete(n.links, lc.Spec.Addr)
			}
		case monitor.LinkReconnect:
			n.reconnect(n.links[lc.Spec.Addr], lc.Kind)
		}
	}
	for _, snd := range rd.Sends {
		ls := n.links[snd.Addr]
		if ls == nil {
			continue
		}
		c := ls.conns[monitor.CmdLink]
		if c == nil || c.gen != snd.Gen {
			continue // the transport drops a send meant for a connection that is gone
		}
		s.send(&c.toSrv, msg{kind: msgCommand, args: snd.Args, tag: snd.Tag})
	}
	if rd.Crash {
		s.crashSentinel(n, "SIMULATE-FAILURE")
		return
	}
	if n.Alive {
		n.wake()
	}
}

func (n *Sentinel) open(spec monitor.LinkSpec) {
	if n.links[spec.Addr] != nil {
		return
	}
	ls := &linkState{spec: spec}
	n.links[spec.Addr] = ls
	n.dial(ls, monitor.CmdLink)
	if !spec.Sentinel {
		n.dial(ls, monitor.PubSubLink)
	}
}

// lateLinkDown reports the end of a closed link's connection after the step that closed it,
// as transport's goroutine does when it gets to it: by then the core may have opened a
// link at the same address again (SENTINEL SET auth-pass, a reset) and must not take the old
// connection's end for the new one's.
func (n *Sentinel) lateLinkDown(c *conn) {
	inc := n.inc
	n.s.after(n.s.delay(), func() {
		if n.Alive && n.inc == inc {
			n.observe(monitor.LinkDown{Addr: c.addr, Kind: c.kind, Gen: c.gen, Err: "link closed"})
		}
	})
}

// reconnect drops the current connection of a kind; the core hears LinkDown, and the link
// dials again.
func (n *Sentinel) reconnect(ls *linkState, k monitor.LinkKind) {
	if ls == nil || ls.conns[k] == nil {
		return
	}
	c := ls.conns[k]
	n.s.clientGone(c)
	ls.conns[k] = nil
	inc := n.inc
	n.s.after(0, func() {
		if n.Alive && n.inc == inc {
			n.observe(monitor.LinkDown{Addr: c.addr, Kind: k, Gen: c.gen, Err: "reconnect requested"})
		}
	})
	n.dial(ls, k)
}

// dial connects one kind of a link, at most once per reconnect period.
func (n *Sentinel) dial(ls *linkState, k monitor.LinkKind) {
	if ls.closed || ls.conns[k] != nil || ls.dialing[k] {
		return
	}
	ls.dialing[k] = true
	inc := n.inc
	period := reconnectPeriod
	if ls.spec.FastReconnect {
		period = fastReconnectPeriod // the transport's first seconds after a loss, kept up here
	}
	n.s.at(ls.lastDial[k].Add(period), func() { n.tryDial(ls, k, inc) })
}

func (n *Sentinel) tryDial(ls *linkState, k monitor.LinkKind, inc int) {
	s := n.s
	if !n.Alive || n.inc != inc || ls.closed {
		return
	}
	ls.lastDial[k] = s.now
	target, known := s.byAddr[ls.spec.Addr]
	retry := func() {
		if n.Alive && n.inc == inc && !ls.closed {
			ls.dialing[k] = false
			n.dial(ls, k)
		}
	}
	if !known || !s.reachable(n.node, target) {
		s.after(dialTimeout, retry) // the SYN goes nowhere
		return
	}
	var connected func()
	connected = func() {
		if !n.Alive || n.inc != inc || ls.closed {
			return
		}
		if stopped, until := s.paused(n.node); stopped {
			s.at(until, connected) // the kernel connected; the process learns on resuming
			return
		}
		if !s.nodes[target].alive() || !s.reachable(n.node, target) {
			retry() // refused (or lost on the way back)
			return
		}
		ls.dialing[k] = false
		c := s.newConn(n, ls.spec.Addr, k, target)
		n.gen++
		c.gen = n.gen
		ls.conns[k] = c
		s.nodes[target].srvConns = append(s.nodes[target].srvConns, c)
		n.observe(monitor.LinkUp{Addr: c.addr, Kind: k, Gen: c.gen, LocalIP: n.IP})
		if k == monitor.PubSubLink {
			s.send(&c.toCli, msg{kind: msgActivity}) // SUBSCRIBE's confirmation
		}
	}
	s.after(s.delay()+s.delay(), connected)
}

// deliver hands what arrived on a connection to the core.
func (n *Sentinel) deliver(c *conn, m msg) {
	if !n.Alive || n.inc != c.inc || c.closed {
		return
	}
	ls := n.links[c.addr]
	if ls == nil || ls.conns[c.kind] != c {
		return
	}
	switch m.kind {
	case msgReply:
		n.record(c, m)
		n.observe(monitor.Reply{Addr: c.addr, Gen: c.gen, Tag: m.tag, Value: m.value, Err: m.err})
	case msgPubSub:
		if m.channel == hello.Channel {
			n.recordHello(m.payload)
		}
		n.observe(monitor.Message{Addr: c.addr, Gen: c.gen, Channel: m.channel, Payload: m.payload})
	case msgActivity:
		n.observe(monitor.PubSubActivity{Addr: c.addr, Gen: c.gen})
	case msgClose:
		c.closed = true
		ls.conns[c.kind] = nil
		// The server end closed it (its process died, CLIENT KILL) or the network reset it.
		n.observe(monitor.LinkDown{Addr: c.addr, Kind: c.kind, Gen: c.gen, Err: "connection closed", PeerClosed: true})
		if n.Alive && n.inc == c.inc && !ls.closed {
			n.dial(ls, c.kind)
		}
	}
}

func (n *Sentinel) recordHello(payload string) {
	if !n.s.MinorityRefuses {
		return // only the minority check reads them
	}
	if h, err := hello.Parse(payload); err == nil {
		n.helloAt[h.MasterName+"|"+h.RunID] = n.s.now
	}
}

// record keeps what the core is about to learn from a reply, for the replica-ranking check.
func (n *Sentinel) record(c *conn, m msg) {
	switch m.tag.Kind {
	case monitor.TagPing:
		if str, ok := m.value.(string); ok && strings.HasPrefix(str, "PONG") {
			n.pongAt[c.addr] = n.s.now
		}
	case monitor.TagInfo:
		text, ok := m.value.(string)
		if !ok || m.err != "" {
			return
		}
		inf := info.Parse(text)
		key := m.tag.Master + "|" + m.tag.Name
		si := n.infos[key]
		if si == nil {
			si = &seenInfo{priority: info.DefaultSlavePriority}
			n.infos[key] = si
		}
		si.at = n.s.now
		if inf.Has(info.FieldRunID) {
			si.runID = inf.RunID
		}
		si.linkDown = inf.MasterLinkDownSince
		if inf.Role == "slave" {
			if si.role == "master" {
				si.stale = true
			}
			if inf.Has(info.FieldSlavePriority) {
				si.priority = inf.SlavePriority
			}
			if inf.Has(info.FieldReplOffset) {
				si.offset = int64(inf.ReplOffset)
			}
			si.syncing = inf.SyncInProgress
			at := net.JoinHostPort(inf.MasterHost, strconv.Itoa(inf.MasterPort))
			if si.masterAddr != "" && si.masterAddr != at {
				si.stale = true
			}
			si.masterAddr = at
			if inf.MasterLinkUp && !inf.SyncInProgress {
				si.stale = false
			}
		}
		if inf.Role != "" {
			si.role = inf.Role
		}
	}
}

// serve answers a peer sentinel's command: PING, a hello PUBLISHed to us, SENTINEL
// is-master-down-by-addr (through the core's Request, its reply parsed back into the shape
// the transport gives: []any{int64, string, int64}).
func (n *Sentinel) serve(c *conn, m msg) {
	s := n.s
	if !n.Alive {
		return
	}
	var v any
	var errText string
	switch strings.ToUpper(m.args[0]) {
	case "PING":
		v = "PONG"
	case "PUBLISH":
		n.recordHello(m.args[2])
		n.Core.Hello(s.now, m.args[2])
		n.flush()
		v = int64(1)
	case "SENTINEL":
		n.Core.Request(s.now, 1, m.args[1:])
		n.flush()
		// The driver publishes after every request; one that changed nothing a query sees
		// would publish the same answers, so the simulation skips it (views are its
		// costliest part).
		if n.Alive && n.Core.Changed() {
			n.publish()
		}
		b := n.answer()
		var err error
		v, errText, err = parseReply(b)
		if err != nil {
			s.fail(fmt.Sprintf("%s: unparsable reply to %q: %v (%q)", n.Name, m.args, err, b))
			return
		}
		s.check.voteReply(n, m.tag.Master, v)
	default:
		errText = fmt.Sprintf("ERR unknown command '%s'", m.args[0])
	}
	if n.Alive { // the step may have crashed us (SIMULATE-FAILURE): no reply then
		s.send(&c.toCli, msg{kind: msgReply, tag: m.tag, value: v, err: errText})
	}
}

// request runs a SENTINEL subcommand as a client would and returns the raw reply.
func (n *Sentinel) request(args ...string) string {
	n.Core.Request(n.s.now, 1, args)
	n.flush()
	if n.Alive {
		n.publish()
	}
	return strings.TrimSpace(string(n.answer()))
}

// answer takes the core's answers to the request just run, in RESP2 as the driver writes
// them to a client.
func (n *Sentinel) answer() []byte {
	var w resp.Writer
	for _, v := range n.answers {
		query.WriteValue(&w, v)
	}
	n.answers = nil
	return w.Bytes()
}

// CrashSentinel kills a sentinel process: its core and everything not saved are gone, its
// connections close.
func (s *Sim) CrashSentinel(n *Sentinel) { s.crashSentinel(n, "crash") }

func (s *Sim) crashSentinel(n *Sentinel, why string) {
	if !n.Alive {
		return
	}
	s.tracef("CRASH %s (%s)", n.Name, why)
	s.disturb()
	n.Alive = false
	s.nodes[n.node].pausedUntil = time.Time{}
	n.inc++
	n.Core = nil
	n.simFailure = false
	addrs := make([]string, 0, len(n.links))
	for a := range n.links {
		addrs = append(addrs, a)
	}
	slices.Sort(addrs)
	for _, a := range addrs {
		for _, c := range n.links[a].conns {
			if c != nil {
				s.clientGone(c)
			}
		}
	}
	n.links = nil
	for _, c := range append([]*conn(nil), s.nodes[n.node].srvConns...) {
		s.serverGone(c)
	}
	s.check.crashed(n)
}

// RestartSentinel starts a crashed sentinel from its last saved config.
func (s *Sim) RestartSentinel(n *Sentinel) {
	if n.Alive {
		return
	}
	s.tracef("RESTART %s", n.Name)
	s.disturb()
	cfg := n.Store.Last()
	if cfg == nil {
		cfg = n.initial.Clone() // never saved: the file as the operator wrote it
	}
	if err := n.start(cfg); err != nil {
		s.fail(fmt.Sprintf("%s: restart: %v", n.Name, err))
	}
}

// ReplaceSentinel retires the crashed sentinel n for good and starts a successor without
// its state: a new run ID at a new address, the operator's config without known peers.
// The ghost stays known to the others until they forget it (forget-after) or RESET.
func (s *Sim) ReplaceSentinel(n *Sentinel) {
	if n.Alive {
		return
	}
	s.replaced++
	succ := &Sentinel{
		s: s, Name: fmt.Sprintf("%s.%d", n.Name, s.replaced), IP: fmt.Sprintf("10.0.0.%d", 100+s.replaced),
		Port: n.Port, RunID: s.hexID(), Store: &MemStore{},
	}
	succ.Addr = joinHostPort(succ.IP, succ.Port)
	succ.node = s.addNode(&node{name: succ.Name, addr: succ.Addr, sentinel: succ})
	cfg := n.initial.Clone()
	cfg.MyID = succ.RunID
	for _, mc := range cfg.Masters {
		mc.KnownSentinels = nil
	}
	succ.initial = cfg.Clone()
	i := slices.Index(s.Sentinels, n)
	s.Sentinels[i] = succ
	s.tracef("REPLACE %s (%s) by %s=%s id %s, without its state", n.Name, short(n.RunID), succ.Name, succ.Addr, short(succ.RunID))
	s.disturb()
	if err := succ.start(cfg); err != nil {
		s.fail(fmt.Sprintf("%s: start: %v", succ.Name, err))
	}
}
