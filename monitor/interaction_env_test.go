package monitor_test

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/sentinel-go/sentinel/config"
	"github.com/sentinel-go/sentinel/monitor"
	"github.com/sentinel-go/sentinel/monitor/hello"
	"github.com/sentinel-go/sentinel/sim"
)

// env is the world of one interaction script: sentinels (a core each), the simulation's
// fake Redis instances, and the network between them, all on one hand-moved clock. Nothing
// moves unless a command moves it, and every loop goes over a fixed order (sentinels by
// number, instances by creation), so a script's output is the same at every run.
type env struct {
	now       time.Time
	master    string // the monitored master's name
	fleet     *sim.Fleet
	instances []*sim.Instance
	sentinels []*sentinel
	side      map[string]int // partition side by node name; missing is side 0

	// tr, while a command traces, gets a line for every command carried, every
	// observation observed and every event carried out.
	tr *strings.Builder

	nextReq  monitor.RequestID
	peerReqs map[monitor.RequestID]peerReq
	nextID   int // fresh run IDs for restarted sentinels

	// got: per instance, the commands it executed, "s1: SLAVEOF NO ONE", for "commands".
	got map[string][]string
}

// peerReq is a SENTINEL command a sentinel sent a peer: the peer's response becomes the
// Reply the asker observes once the peer carried out the Ready it is in.
type peerReq struct {
	from *sentinel
	gen  uint64
	tag  monitor.Tag
}

type sentinel struct {
	name      string
	ip        string
	port      int
	addr      string
	id        string
	k         *core // nil while dead
	initial   *config.Config
	persisted *config.Config // the last State carried out
	links     map[string]*hlink
	gen       uint64 // connection counter, one per process as the transport's
	outbox    []monitor.Send
	inbox     []monitor.Observation
	events    []string // carried out, not yet printed by "events"
	logs      []string // carried out, not yet printed by "logs"
	// pausedUntil: the process is stopped (SIGSTOP) until then: not ticked, and nothing
	// it sends or is sent moves; it all waits, as in the socket buffers.
	pausedUntil time.Time
}

// hlink is the transport's side of a link: the current connection of each kind (0: none).
type hlink struct {
	spec     monitor.LinkSpec
	gen      [2]uint64
	lastDial time.Time
}

// reconnectPeriod is the transport's: a lost connection is dialled again once a second.
const reconnectPeriod = time.Second

// tickStep is the period of "run": redis-sentinel's timer runs at 10 Hz.
const tickStep = 100 * time.Millisecond

var start = time.Unix(1_800_000_000, 0).UTC()

// runID is sentinel number i's run ID: 40 times its digit, easy to tell apart in output.
func runID(i int) string { return strings.Repeat(strconv.FormatInt(int64(i%16), 16), 40) }

type setup struct {
	sentinels       int
	quorum          int
	replicas        int
	downAfter       time.Duration
	failoverTimeout time.Duration
	knownPeers      bool

	parallelSyncs       int // 0: the default
	fastRetry           bool
	protectEmptyRestart bool
	minorityRefuses     bool
}

func newEnv(o setup) (*env, error) {
	e := &env{now: start, master: "mymaster", fleet: sim.NewFleet(1, start), side: map[string]int{},
		peerReqs: map[monitor.RequestID]peerReq{}, nextID: o.sentinels + 1}
	m := e.fleet.Add("m", "127.0.0.1", 6379, strings.Repeat("a", 40))
	e.instances = append(e.instances, m)
	for i := 1; i <= o.replicas; i++ {
		r := e.fleet.Add(fmt.Sprintf("r%d", i), "127.0.0.1", 6379+i, strings.Repeat(strconv.FormatInt(int64(10+i), 16), 40))
		e.fleet.ReplicaOf(r, m)
		e.instances = append(e.instances, r)
	}
	for i := 1; i <= o.sentinels; i++ {
		s := &sentinel{name: fmt.Sprintf("s%d", i), ip: "127.0.0.1", port: 26378 + i, id: runID(i)}
		s.addr = s.ip + ":" + strconv.Itoa(s.port)
		e.sentinels = append(e.sentinels, s)
	}
	for _, s := range e.sentinels {
		cfg := config.Default()
		cfg.MyID, cfg.Port = s.id, s.port
		cfg.FastRetry, cfg.ProtectEmptyRestart, cfg.MinorityRefuses = o.fastRetry, o.protectEmptyRestart, o.minorityRefuses
		mc := config.NewMaster(e.master, m.IP, m.Port, o.quorum)
		mc.DownAfter, mc.FailoverTimeout = o.downAfter, o.failoverTimeout
		if o.parallelSyncs > 0 {
			mc.ParallelSyncs = o.parallelSyncs
		}
		if o.knownPeers {
			for _, p := range e.sentinels {
				if p != s {
					mc.KnownSentinels = append(mc.KnownSentinels, config.KnownSentinel{
						Addr: config.Addr{Host: p.ip, Port: p.port}, RunID: p.id})
				}
			}
		}
		cfg.Masters = []*config.Master{mc}
		s.initial = cfg
		if err := e.start(s, cfg.Clone()); err != nil {
			return nil, err
		}
	}
	return e, nil
}

func (e *env) start(s *sentinel, cfg *config.Config) error {
	k, err := newCore(cfg, uint64(len(s.name))<<8|uint64(s.port), e.now)
	if err != nil {
		return fmt.Errorf("%s: %w", s.name, err)
	}
	s.k, s.links, s.gen, s.outbox, s.inbox = k, map[string]*hlink{}, 0, nil, nil
	s.persisted = cfg.Clone()
	return nil
}

func (e *env) sentinel(name string) *sentinel {
	for _, s := range e.sentinels {
		if s.name == name {
			return s
		}
	}
	return nil
}

func (e *env) sentinelAt(addr string) *sentinel {
	for _, s := range e.sentinels {
		if s.addr == addr {
			return s
		}
	}
	return nil
}

// nodeName names what listens at addr, for partitions and output; addr itself if nothing.
func (e *env) nodeName(addr string) string {
	if r := e.fleet.At(addr); r != nil {
		return r.Name
	}
	if s := e.sentinelAt(addr); s != nil {
		return s.name
	}
	return addr
}

func (e *env) reachable(a, b string) bool { return e.side[a] == e.side[b] }

// alive: something listens at addr and runs.
func (e *env) alive(addr string) bool {
	if r := e.fleet.At(addr); r != nil {
		return r.Alive
	}
	s := e.sentinelAt(addr)
	return s != nil && s.k != nil
}

// dial connects the missing connections of a link, when what it points at runs and can be
// reached; otherwise it tries again a reconnect period later (see retryDials).
func (e *env) dial(s *sentinel, l *hlink) {
	l.lastDial = e.now
	if !e.alive(l.spec.Addr) || !e.reachable(s.name, e.nodeName(l.spec.Addr)) {
		return
	}
	kinds := []monitor.LinkKind{monitor.CmdLink, monitor.PubSubLink}
	if l.spec.Sentinel {
		kinds = kinds[:1]
	}
	for _, k := range kinds {
		if l.gen[k] != 0 {
			continue
		}
		s.gen++
		l.gen[k] = s.gen
		if r := e.fleet.At(l.spec.Addr); r != nil {
			e.fleet.Connect(sim.Conn{Client: s.name, Addr: r.Addr, Kind: k, Gen: s.gen}, r)
		}
		s.inbox = append(s.inbox, monitor.LinkUp{Addr: l.spec.Addr, Kind: k, Gen: s.gen, LocalIP: s.ip})
		if k == monitor.PubSubLink {
			s.inbox = append(s.inbox, monitor.PubSubActivity{Addr: l.spec.Addr, Gen: s.gen}) // SUBSCRIBE's confirmation
		}
	}
}

func (e *env) retryDials(s *sentinel) {
	for _, addr := range sortedKeys(s.links) {
		l := s.links[addr]
		if (l.gen[monitor.CmdLink] == 0 || (!l.spec.Sentinel && l.gen[monitor.PubSubLink] == 0)) &&
			e.now.Sub(l.lastDial) >= reconnectPeriod {
			e.dial(s, l)
		}
	}
}

// drop ends a connection of a link: the sentinel hears LinkDown with the next delivery.
func (e *env) drop(s *sentinel, l *hlink, k monitor.LinkKind, why string) {
	if l.gen[k] == 0 {
		return
	}
	// Our own closes name themselves; anything else is the other end's doing.
	peer := why != "link closed" && why != "reconnect requested"
	s.inbox = append(s.inbox, monitor.LinkDown{Addr: l.spec.Addr, Kind: k, Gen: l.gen[k], Err: why, PeerClosed: peer})
	e.fleet.Disconnect(sim.Conn{Client: s.name, Addr: l.spec.Addr, Kind: k, Gen: l.gen[k]})
	l.gen[k] = 0
}

// dropAll ends every connection to addr (the process there died).
func (e *env) dropAll(addr string) {
	for _, s := range e.live() {
		if l := s.links[addr]; l != nil {
			e.drop(s, l, monitor.CmdLink, "connection closed")
			e.drop(s, l, monitor.PubSubLink, "connection closed")
		}
	}
}

func (e *env) paused(s *sentinel) bool { return e.now.Before(s.pausedUntil) }

// running lists the live sentinels that are not paused.
func (e *env) running() []*sentinel {
	var out []*sentinel
	for _, s := range e.live() {
		if !e.paused(s) {
			out = append(out, s)
		}
	}
	return out
}

func (e *env) live() []*sentinel {
	var out []*sentinel
	for _, s := range e.sentinels {
		if s.k != nil {
			out = append(out, s)
		}
	}
	return out
}

// process carries out a sentinel's pending Ready in the driver's order: state, links, sends
// and responses, events; then acknowledges it. shown: "ready" printed it, so its events are
// not printed again by "events".
func (e *env) process(s *sentinel, shown bool) {
	rd := s.k.ready()
	if rd.State != nil {
		s.persisted = rd.State
	}
	for _, lc := range rd.Links {
		switch lc.Op {
		case monitor.LinkOpen:
			if s.links[lc.Spec.Addr] == nil {
				l := &hlink{spec: lc.Spec}
				s.links[lc.Spec.Addr] = l
				e.dial(s, l)
			}
		case monitor.LinkClose:
			if l := s.links[lc.Spec.Addr]; l != nil {
				e.drop(s, l, monitor.CmdLink, "link closed")
				e.drop(s, l, monitor.PubSubLink, "link closed")
				delete(s.links, lc.Spec.Addr)
			}
		case monitor.LinkReconnect:
			if l := s.links[lc.Spec.Addr]; l != nil {
				e.drop(s, l, lc.Kind, "reconnect requested")
				e.dial(s, l)
			}
		}
	}
	for _, snd := range rd.Sends {
		e.tracef("%s -> %s %s", s.name, e.nodeName(snd.Addr), strings.Join(snd.Args, " "))
	}
	s.outbox = append(s.outbox, rd.Sends...)
	for _, r := range rd.Responses {
		pr, ok := e.peerReqs[r.ID]
		if !ok {
			continue // a script's request: printed when it was made
		}
		delete(e.peerReqs, r.ID)
		if pr.from.k == nil {
			continue
		}
		if l := pr.from.links[s.addr]; l != nil && l.gen[monitor.CmdLink] == pr.gen {
			v, errText := transportValue(r.Value)
			pr.from.inbox = append(pr.from.inbox, monitor.Reply{Addr: s.addr, Gen: pr.gen, Tag: pr.tag, Value: v, Err: errText})
		}
	}
	for _, ev := range rd.Events {
		switch {
		case e.tr != nil:
			e.tracef("%s: %s", s.name, ev)
		case !shown:
			s.events = append(s.events, ev.String())
		}
	}
	if !shown {
		for _, l := range rd.Logs {
			s.logs = append(s.logs, logLevel[l.Level]+": "+l.Text)
		}
	}
	s.k.advance()
	if rd.Crash {
		e.kill(s)
	}
}

// transportValue is a Value in the shape the transport (go-redis) hands a reply over:
// strings, int64, []any, nil; an error reply as its text.
func transportValue(v monitor.Value) (any, string) {
	switch v.Kind {
	case monitor.ErrorValue:
		return nil, v.Str
	case monitor.SimpleValue, monitor.BulkValue:
		return v.Str, ""
	case monitor.IntValue:
		return v.Int, ""
	case monitor.ArrayValue, monitor.MapValue:
		out := make([]any, 0, len(v.Elem))
		for _, el := range v.Elem {
			x, errText := transportValue(el)
			if errText != "" {
				x = fmt.Errorf("%s", errText)
			}
			out = append(out, x)
		}
		return out, ""
	}
	return nil, ""
}

// round is one delivery round: every pending Ready carried out, every deliverable send
// carried to its instance or peer, then every queued observation (the replies among them)
// observed. only, when not nil, limits the sends and observations to one sentinel's. It
// reports whether anything moved.
func (e *env) round(only *sentinel) bool {
	moved := false
	for _, s := range e.running() {
		if s.k.hasReady() {
			e.process(s, false)
			moved = true
		}
	}
	peers := e.running()
	if only != nil {
		peers = []*sentinel{only}
		if e.paused(only) {
			peers = nil
		}
	}
	for _, s := range peers {
		out := s.outbox
		s.outbox = nil
		for _, snd := range out {
			l := s.links[snd.Addr]
			switch {
			case s.k == nil || l == nil || l.gen[monitor.CmdLink] != snd.Gen:
				// The transport drops a send meant for a connection that is gone.
			case !e.reachable(s.name, e.nodeName(snd.Addr)):
				s.outbox = append(s.outbox, snd) // blackholed: it waits for the heal
			case e.sentinelAt(snd.Addr) != nil && e.paused(e.sentinelAt(snd.Addr)):
				s.outbox = append(s.outbox, snd) // the peer reads nothing while stopped
			default:
				e.carry(s, snd)
				moved = true
			}
		}
	}
	for _, s := range peers {
		in := s.inbox
		s.inbox = nil
		for _, o := range in {
			if s.k != nil {
				e.traceObservation(s, o)
				s.k.observe(e.now, o)
				moved = true
			}
		}
	}
	return moved
}

func (e *env) tracef(format string, args ...any) {
	if e.tr != nil {
		fmt.Fprintf(e.tr, "%6.3fs ", e.now.Sub(start).Seconds())
		fmt.Fprintf(e.tr, format+"\n", args...)
	}
}

func (e *env) traceObservation(s *sentinel, o monitor.Observation) {
	if e.tr == nil {
		return
	}
	switch o := o.(type) {
	case monitor.Reply:
		v := fmt.Sprint(o.Value)
		if o.Err != "" {
			v = "(error) " + o.Err
		}
		if o.Tag.Kind == monitor.TagInfo {
			v = "(INFO)"
		}
		e.tracef("%s <- %s %s", s.name, e.nodeName(o.Addr), v)
	case monitor.LinkUp:
		e.tracef("%s <- %s %s link up", s.name, e.nodeName(o.Addr), o.Kind)
	case monitor.LinkDown:
		e.tracef("%s <- %s %s link down: %s", s.name, e.nodeName(o.Addr), o.Kind, o.Err)
	case monitor.Message:
		e.tracef("%s <- %s message %s", s.name, e.nodeName(o.Addr), o.Payload)
	}
}

// carry delivers one command to what listens at its address and queues the answer.
func (e *env) carry(s *sentinel, snd monitor.Send) {
	reply := func(v any, errText string) {
		s.inbox = append(s.inbox, monitor.Reply{Addr: snd.Addr, Gen: snd.Gen, Tag: snd.Tag, Value: v, Err: errText})
	}
	cmd := strings.ToUpper(snd.Args[0])
	if r := e.fleet.At(snd.Addr); r != nil {
		if cmd == "PUBLISH" && len(snd.Args) == 3 && r.Alive {
			reply(int64(e.publish(r, snd.Args[1], snd.Args[2])), "")
			return
		}
		if v, errText, ok := e.fleet.Exec(sim.Conn{Client: s.name, Gen: snd.Gen}, r, snd.Args); ok {
			e.record(s, r, snd.Args)
			reply(v, errText)
		}
		e.closedByInstances()
		return
	}
	p := e.sentinelAt(snd.Addr)
	if p == nil || p.k == nil {
		return
	}
	switch cmd {
	case "PING":
		reply("PONG", "")
	case "PUBLISH":
		p.k.hello(e.now, snd.Args[2])
		reply(int64(1), "")
	case "SENTINEL":
		e.nextReq++
		e.peerReqs[e.nextReq] = peerReq{from: s, gen: snd.Gen, tag: snd.Tag}
		p.k.request(e.now, e.nextReq, snd.Args[1:])
	default:
		reply(nil, fmt.Sprintf("ERR unknown command '%s'", snd.Args[0]))
	}
}

// closedByInstances drops the connections the instances closed (CLIENT KILL in a failover's
// transaction): their sentinels hear LinkDown and dial again at their next tick (at most
// once a reconnect period).
func (e *env) closedByInstances() {
	for _, c := range e.fleet.Closed() {
		s := e.sentinel(c.Client)
		if s == nil || s.k == nil {
			continue
		}
		if l := s.links[c.Addr]; l != nil && l.gen[c.Kind] == c.Gen {
			e.drop(s, l, c.Kind, "connection closed by the server")
		}
	}
}

// publish hands a message PUBLISHed to r to the sentinels subscribed to r and, as
// replication propagates it, to those subscribed to r's connected replicas. It returns the
// number of r's own subscribers, PUBLISH's reply.
func (e *env) publish(r *sim.Instance, channel, payload string) int {
	n := 0
	for i, to := range append([]*sim.Instance{r}, e.fleet.ReplicasOf(r)...) {
		for _, s := range e.live() {
			l := s.links[to.Addr]
			if l == nil || l.gen[monitor.PubSubLink] == 0 || !e.reachable(s.name, to.Name) || channel != hello.Channel {
				continue
			}
			s.inbox = append(s.inbox, monitor.Message{Addr: to.Addr, Gen: l.gen[monitor.PubSubLink], Channel: channel, Payload: payload})
			if i == 0 {
				n++
			}
		}
	}
	return n
}

// stabilize delivers until nothing moves.
func (e *env) stabilize() error {
	for range 10000 {
		if !e.round(nil) {
			return nil
		}
	}
	return fmt.Errorf("not stable after 10000 rounds")
}

// tick moves the clock by d and ticks the sentinels given (all live ones when none).
func (e *env) tick(d time.Duration, only []*sentinel) {
	e.now = e.now.Add(d)
	e.fleet.SetNow(e.now)
	if only == nil {
		only = e.live()
	}
	for _, s := range only {
		if s.k == nil || e.paused(s) {
			continue
		}
		e.retryDials(s)
		s.k.tick(e.now)
	}
}

// run lets d pass in steps of tickStep: the instances replicate, the sentinels tick, and
// everything is delivered at every step.
func (e *env) run(d time.Duration) error {
	for end := e.now.Add(d); e.now.Before(end); {
		e.fleet.Replicate()
		e.tick(min(tickStep, end.Sub(e.now)), nil)
		if err := e.stabilize(); err != nil {
			return err
		}
	}
	return nil
}

func (e *env) kill(s *sentinel) {
	s.k, s.links, s.outbox, s.inbox = nil, nil, nil, nil
	e.dropAll(s.addr)
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// stateLines summarizes a persisted state: what the scripts follow of it.
func stateLines(c *config.Config) []string {
	if c == nil {
		return nil
	}
	out := []string{"myid " + c.MyID, "current-epoch " + strconv.FormatUint(c.CurrentEpoch, 10)}
	for _, o := range []struct {
		name string
		on   bool
	}{{"fast-retry", c.FastRetry}, {"minority-refuses", c.MinorityRefuses}, {"protect-empty-restart", c.ProtectEmptyRestart}} {
		if o.on { // our options, listed only when on
			out = append(out, o.name+" yes")
		}
	}
	for _, m := range c.Masters {
		out = append(out, fmt.Sprintf("master %s %s %d quorum %d config-epoch %d", m.Name, m.Host, m.Port, m.Quorum, m.ConfigEpoch))
		if m.Leader != "" || m.LeaderEpoch != 0 {
			out = append(out, fmt.Sprintf("%s vote %s epoch %d", m.Name, m.Leader, m.LeaderEpoch))
		}
		if m.PeakSentinels != 0 {
			out = append(out, fmt.Sprintf("%s peak-sentinels %d", m.Name, m.PeakSentinels))
		}
		for _, r := range m.KnownReplicas {
			out = append(out, fmt.Sprintf("%s known-replica %s %d", m.Name, r.Host, r.Port))
		}
		for _, k := range m.KnownSentinels {
			out = append(out, fmt.Sprintf("%s known-sentinel %s %d %s", m.Name, k.Addr.Host, k.Addr.Port, k.RunID))
		}
	}
	return out
}

// stateDiff is what changed from old to new: lines gone ("-") and lines added ("+").
func stateDiff(old, new *config.Config) []string {
	was, is := stateLines(old), stateLines(new)
	var out []string
	for _, l := range was {
		if !slices.Contains(is, l) {
			out = append(out, "- "+l)
		}
	}
	for _, l := range is {
		if !slices.Contains(was, l) {
			out = append(out, "+ "+l)
		}
	}
	return out
}
