package monitor

import (
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"time"

	"github.com/sentinel-go/sentinel/config"
)

// Core is one sentinel's state and rules, without I/O: the driver feeds it time, observations
// and requests, and carries out the Ready it returns. It is not safe for concurrent use.
type Core struct {
	cfg    *config.Config // global settings; Masters are rebuilt from live state when saved
	rand   *rand.Rand
	timing Timing

	myID         string
	currentEpoch uint64
	masters      map[string]*master
	order        []*master // declaration order: the order of SENTINEL MASTERS and INFO
	links        map[string]*link

	now       time.Time
	prevTick  time.Time
	wakeAt    time.Time // an early tick is wanted then (see wakeBy)
	tilt      bool
	tiltStart time.Time

	// needSave: a step changed what must survive a restart; the next Ready carries the
	// whole state (Ready.State).
	needSave bool
	changed  bool // something a query can see changed since the last view
	// timersChanged: only link timers and pending counts changed since the last view.
	timersChanged bool
	// viewIndex maps master names to their position in View.Masters; views share it
	// until the set of masters changes.
	viewIndex map[string]int
	ready     Ready

	simulateFailure int
	crashed         bool // SIMULATE-FAILURE crashed us: nothing more happens

	// hosts is what the core knows of hostnames (resolve-hostnames), from LookupResults;
	// lookups are the questions not yet handed out by an acknowledged Ready (see
	// lookup.go). They are kept apart from ready because a View, built between Ready and
	// Advance, may ask too.
	hosts   map[string]*hostEntry
	lookups []Lookup
	// parked are requests waiting for their lookups; answers are the answers of the one
	// running again now (see park).
	parked  []*parked
	answers map[Lookup]LookupResult

	reachBuf []time.Time // scratch for reachTimes
	linkBuf  []*link     // scratch for heard

	// quietEpoch: a master settled in an older epoch is awake (see quiet.go); fullTicks
	// turns the skipping off (WithFullTicks).
	quietEpoch uint64
	fullTicks  bool
	visits     uint64 // masters visited by ticks, for BenchmarkSteady
	sendsHint  int    // the size of the last non-empty Ready.Sends
}

// New builds the core from a loaded config. A missing myid is generated and handed out to
// be saved at once, as redis-sentinel saves it: the first Ready's State carries it, before
// anything of that Ready leaves. Every master gets its +monitor event.
func New(cfg *config.Config, rnd *rand.Rand, now time.Time, opts ...Option) (*Core, error) {
	c := &Core{
		cfg:          cfg,
		rand:         rnd,
		timing:       DefaultTiming(),
		myID:         cfg.MyID,
		currentEpoch: cfg.CurrentEpoch,
		masters:      map[string]*master{},
		links:        map[string]*link{},
		now:          now,
		prevTick:     now,
		changed:      true,
		hosts:        map[string]*hostEntry{},
	}
	for _, o := range opts {
		o(c)
	}
	if c.myID == "" {
		var id [20]byte
		for i := range id {
			id[i] = byte(rnd.UintN(256))
		}
		c.myID = hex.EncodeToString(id[:])
		c.needSave = true
	}
	for _, mc := range cfg.Masters {
		m := c.addMaster(mc)
		for _, r := range mc.KnownReplicas {
			c.addReplica(m, r)
		}
		for _, s := range mc.KnownSentinels {
			c.addSentinel(m, s.Addr, s.RunID)
		}
		c.startPeak(m)
	}
	for _, m := range c.order {
		c.emit(Warning, "+monitor", &m.instance, fmt.Sprintf("quorum %d", m.cfg.Quorum))
	}
	return c, nil
}

// Option adjusts a Core at construction.
type Option func(*Core)

// MyID is this sentinel's run ID as peers know it.
func (c *Core) MyID() string { return c.myID }

func (c *Core) addMaster(mc *config.Master) *master {
	m := &master{cfg: mc, replicas: map[string]*instance{}, sentinels: map[string]*instance{}}
	m.instance = instance{
		kind: kindMaster, name: mc.Name, addr: config.Addr{Host: mc.Host, Port: mc.Port},
		flags: flagMaster, roleReported: "master", roleReportedTime: c.now,
	}
	m.master = m
	m.link = c.linkFor(&m.instance)
	c.masters[mc.Name] = m
	c.order = append(c.order, m)
	c.viewIndex = nil
	c.touch(m)
	return m
}

func (c *Core) addReplica(m *master, a config.Addr) *instance {
	r := &instance{
		kind: kindReplica, name: addrKey(a), addr: a, flags: flagSlave, master: m,
		priority: 100, announced: true, roleReported: "slave", roleReportedTime: c.now,
		// A replica met a moment ago is not "misconfigured for long": +fix-slave-config
		// waits a failover timeout from here, as in Redis.
		confChangeTime: c.now, seen: c.now,
	}
	r.link = c.linkFor(r)
	m.replicas[r.name] = r
	m.replicaCache = nil
	c.touch(m)
	return r
}

func (c *Core) addSentinel(m *master, a config.Addr, runID string) *instance {
	s := &instance{kind: kindSentinel, name: runID, runID: runID, addr: a, flags: flagSentinel, master: m, seen: c.now}
	s.link = c.linkFor(s)
	m.sentinels[runID] = s
	m.sentinelCache = nil
	c.touch(m)
	return s
}

func (c *Core) removeInstance(in *instance) {
	c.releaseLink(in)
	m := in.master
	switch in.kind {
	case kindReplica:
		delete(m.replicas, in.name)
		m.replicaCache = nil
	case kindSentinel:
		delete(m.sentinels, in.name)
		m.sentinelCache = nil
	}
	c.touch(m)
}

// replicas and sentinels return the instances in a stable order: every loop that sends,
// emits or chooses goes over sorted keys, never map order.
// The sorted lists are cached until the set changes: the timer walks them ten times a
// second for every master.
func (m *master) replicaList() []*instance {
	if m.replicaCache == nil {
		m.replicaCache = sortedInstances(m.replicas)
	}
	return m.replicaCache
}

func (m *master) sentinelList() []*instance {
	if m.sentinelCache == nil {
		m.sentinelCache = sortedInstances(m.sentinels)
	}
	return m.sentinelCache
}

func sortedInstances(set map[string]*instance) []*instance {
	list := make([]*instance, 0, len(set))
	for _, in := range set {
		list = append(list, in)
	}
	slices.SortFunc(list, func(a, b *instance) int { return strings.Compare(a.name, b.name) })
	return list
}

// Ready returns what the steps since the last Advance produced, without clearing it: the
// caller carries it out in its order (State durable first) and then calls Advance. No step
// may run between the two (etcd-io/raft's RawNode has the same contract).
func (c *Core) Ready() Ready {
	if c.needSave {
		// The whole state, taken at the end of the steps: a later change in the same
		// batch is in it too, and one write covers them all.
		c.ready.State = c.Config()
		c.needSave = false
	}
	c.ready.Lookups = c.lookups
	return c.ready
}

// HasReady reports whether Ready has anything to carry out.
func (c *Core) HasReady() bool {
	r := &c.ready
	return c.needSave || len(c.lookups) > 0 || r.State != nil || len(r.Links) > 0 || len(r.Sends) > 0 || len(r.Responses) > 0 ||
		len(r.Events) > 0 || len(r.Logs) > 0 || len(r.Scripts) > 0 || r.Crash || len(r.Lookups) > 0
}

// Advance acknowledges that the last Ready was carried out (its State persisted, or the
// failure logged): the next Ready starts empty.
func (c *Core) Advance() {
	c.lookups = append([]Lookup(nil), c.lookups[len(c.ready.Lookups):]...)
	if n := len(c.ready.Sends); n > 0 {
		c.sendsHint = n
	}
	c.ready = Ready{}
}

// Config returns the state as a config to write: the global settings and, per master, its
// current address and the generated lines (epochs, known replicas and sentinels).
func (c *Core) Config() *config.Config {
	cfg := *c.cfg
	cfg.MyID = c.myID
	cfg.CurrentEpoch = c.currentEpoch
	cfg.Masters = make([]*config.Master, 0, len(c.order))
	for _, m := range c.order {
		mc := *m.cfg
		// Past the promotion the saved master is the promoted replica, and the old master
		// takes its place among the replicas (rewriteConfigSentinelOption): a leader that
		// crashes before the switch comes back with the promotion it made, under the
		// config epoch it saved with it.
		at := m.currentAddr()
		mc.Host, mc.Port = at.Host, at.Port
		mc.KnownReplicas = nil
		for _, r := range m.replicaList() {
			a := r.addr
			if a == at {
				a = m.addr
			}
			mc.KnownReplicas = append(mc.KnownReplicas, a)
		}
		mc.KnownSentinels = nil
		for _, s := range m.sentinelList() {
			mc.KnownSentinels = append(mc.KnownSentinels, config.KnownSentinel{Addr: s.addr, RunID: s.runID})
		}
		cfg.Masters = append(cfg.Masters, &mc)
	}
	return &cfg
}

// touch marks a master's view stale: the next View rebuilds it. Only masters that changed
// are copied again, which keeps views cheap with a thousand masters.
func (c *Core) touch(m *master) {
	m.dirty = true
	c.changed = true
	c.wake(m)
}

// touchLink marks every master that uses a link.
func (c *Core) touchLink(l *link) {
	for _, in := range l.users {
		c.touch(in.master)
	}
}

// touchTimers marks the masters of a link whose only change is its timers and pending
// count (a PING sent, a PONG back): their views are refreshed at most once a second, since
// every instance changes so every second and copying them all that often was a tenth of
// the sentinel's CPU at a thousand masters.
func (c *Core) touchTimers(l *link) {
	for _, in := range l.users {
		in.master.dirty = true
		c.wake(in.master)
	}
	c.timersChanged = true
}

// raiseEpoch adopts a larger current epoch seen from a peer, to be saved before it is told.
func (c *Core) raiseEpoch(epoch uint64, m *master) {
	if epoch <= c.currentEpoch {
		return
	}
	c.currentEpoch = epoch
	c.needSave = true
	c.changed = true
	c.emitRaw(Warning, "+new-epoch", fmt.Sprintf("%d", epoch), m.name)
}
