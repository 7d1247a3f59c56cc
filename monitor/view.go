package monitor

import (
	"time"

	"github.com/sentinel-go/sentinel/config"
)

// View is a read-only copy of the state that queries answer from, so a client never waits
// for the monitoring loop. The driver publishes a new one after steps that changed
// something; times are absolute, and replies turn them into "milliseconds ago" when asked.
type View struct {
	Taken        time.Time
	MyID         string
	CurrentEpoch uint64
	Tilt         bool
	TiltSince    time.Time
	SimFlags     int
	Timing       Timing
	Global       config.Config // global settings only (Masters is nil)
	Masters      []*MasterView
	index        map[string]int // shared between views; never modified
}

// InstanceView describes one instance as SENTINEL MASTER/REPLICAS/SENTINELS print it.
type InstanceView struct {
	Name, IP         string
	Port             int
	RunID            string
	Flags            flags // Redis's SRI_* flags: String, SDown and ODown read them
	PendingCommands  int
	Refcount         int
	FailoverState    string
	ActPing          time.Time
	LastAvail        time.Time
	LastPong         time.Time
	PingRTT          time.Duration // round trip of the last PING answered; 0 before any
	SDownSince       time.Time
	ODownSince       time.Time
	DownAfter        time.Duration
	Info             string
	InfoRefresh      time.Time
	RoleReported     string
	RoleReportedTime time.Time
	MasterLinkDown   time.Duration
	MasterLinkUp     bool
	MasterHost       string
	MasterPort       int
	Priority         int
	ReplOffset       int64
	Announced        bool
	LastHello        time.Time
	Leader           string
	LeaderEpoch      uint64
}

// MasterView adds a master's settings and its replicas and sentinels.
type MasterView struct {
	InstanceView
	// CurrentIP and CurrentPort are where clients should go: the promoted replica once a
	// failover promoted it, before the switch completes (GET-MASTER-ADDR-BY-NAME).
	CurrentIP   string
	CurrentPort int
	// VouchUntil is when, with minority-refuses, GET-MASTER-ADDR-BY-NAME starts to refuse
	// unless more peers answer (see vouchUntil); zero when we alone are a majority.
	VouchUntil time.Time
	Minority   bool // refusing since +minority: only hellos count (see reachTimes)
	Config     config.Master
	Replicas   []*InstanceView
	Sentinels  []*InstanceView
}

// Voters is how many sentinels the majorities of the master are counted among (see
// master.voters).
func (mv *MasterView) Voters() int { return votersOf(len(mv.Sentinels), mv.Config.PeakSentinels) }

// Master finds a master by name.
func (v *View) Master(name string) *MasterView {
	if i, ok := v.index[name]; ok {
		return v.Masters[i]
	}
	return nil
}

// Changed reports whether a query could see a difference since the last View, other than
// in link timers; TimersChanged reports changes in those alone.
func (c *Core) Changed() bool { return c.changed }

// TimersChanged reports whether link timers or pending counts changed since the last View.
func (c *Core) TimersChanged() bool { return c.timersChanged }

// View copies the state out for queries. Masters whose state did not change since the last
// View share their MasterView with it (views are never modified once built).
func (c *Core) View() *View {
	c.changed, c.timersChanged = false, false
	if c.viewIndex == nil {
		c.viewIndex = make(map[string]int, len(c.order))
		for i, m := range c.order {
			c.viewIndex[m.name] = i
		}
	}
	v := &View{
		Taken: c.now, MyID: c.myID, CurrentEpoch: c.currentEpoch, Tilt: c.tilt, TiltSince: c.tiltStart,
		SimFlags: c.simulateFailure, Timing: c.timing, Global: *c.cfg,
		Masters: make([]*MasterView, 0, len(c.order)), index: c.viewIndex,
	}
	v.Global.Masters = nil
	for _, m := range c.order {
		if m.view == nil || m.dirty {
			m.view = c.masterView(m)
			m.dirty = false
		}
		v.Masters = append(v.Masters, m.view)
	}
	return v
}

func (c *Core) masterView(m *master) *MasterView {
	at := m.currentAddr()
	mv := &MasterView{InstanceView: c.instanceView(&m.instance), Config: *m.cfg,
		CurrentIP: c.announceHost(at), CurrentPort: at.Port,
		VouchUntil: vouchUntil(c.reachTimes(m), m.voters(), m.downAfter()), Minority: m.minority}
	mv.Config.KnownReplicas, mv.Config.KnownSentinels = nil, nil
	replicas, sentinels := m.replicaList(), m.sentinelList()
	n := len(replicas) + len(sentinels)
	if n == 0 {
		return mv
	}
	// One array of views and one of pointers for both lists: a master's view is rebuilt
	// every second while its links' timers move, so its allocations count.
	ivs, ptrs := make([]InstanceView, n), make([]*InstanceView, n)
	for i, r := range replicas {
		ivs[i] = c.instanceView(r)
		ptrs[i] = &ivs[i]
	}
	for i, s := range sentinels {
		j := len(replicas) + i
		ivs[j] = c.instanceView(s)
		ptrs[j] = &ivs[j]
	}
	if len(replicas) > 0 {
		mv.Replicas = ptrs[:len(replicas):len(replicas)]
	}
	if len(sentinels) > 0 {
		mv.Sentinels = ptrs[len(replicas):]
	}
	return mv
}

func (c *Core) instanceView(in *instance) InstanceView {
	iv := InstanceView{
		Name: in.name, IP: c.announceHost(in.addr), Port: in.addr.Port, RunID: in.runID,
		Flags: in.printedFlags(), SDownSince: in.sDownSince, ODownSince: in.oDownSince,
		DownAfter: in.master.downAfter(), Info: in.info, InfoRefresh: in.infoRefresh,
		RoleReported: in.roleReported, RoleReportedTime: in.roleReportedTime,
		MasterLinkDown: in.masterLinkDownTime, MasterLinkUp: in.masterLinkUp,
		MasterHost: in.masterHost, MasterPort: in.masterPort, Priority: in.priority,
		ReplOffset: in.replOffset, Announced: in.announced,
		LastHello: in.lastHello, Leader: in.leader, LeaderEpoch: in.leaderEpoch,
	}
	if in.kind == kindMaster && in.flags&flagFailoverInProgress != 0 {
		iv.FailoverState = in.master.failoverState.String()
	}
	if l := in.link; l != nil {
		iv.PendingCommands, iv.Refcount = l.pending, l.refcount
		iv.ActPing, iv.LastAvail, iv.LastPong = l.actPingTime, l.lastAvailTime, l.lastPongTime
		iv.PingRTT = l.pingRTT
	}
	return iv
}
