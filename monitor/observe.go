package monitor

import (
	"fmt"
	"strings"
	"time"

	"github.com/sentinel-go/sentinel/config"
	"github.com/sentinel-go/sentinel/monitor/hello"
	"github.com/sentinel-go/sentinel/monitor/info"
)

// Observe feeds one thing the transport saw.
func (c *Core) Observe(now time.Time, o Observation) {
	c.now = now
	if c.crashed {
		return
	}
	switch o := o.(type) {
	case LinkUp:
		c.wakeAll()
		if l := c.links[o.Addr]; l != nil {
			c.linkUp(l, o)
			c.touchLink(l)
		}
	case LinkDown:
		c.wakeAll()
		if l := c.links[o.Addr]; l != nil {
			c.linkDown(l, o)
			c.touchLink(l)
		}
	case Reply:
		l := c.links[o.Addr]
		if l == nil || !l.cmd.up || l.cmd.gen != o.Gen {
			return // an answer from a connection we no longer use
		}
		l.pending--
		c.touchTimers(l)
		c.confined(func() { c.handleReply(l, o) })
	case Message:
		l := c.links[o.Addr]
		if l == nil || !l.pubsub.up || l.pubsub.gen != o.Gen {
			return
		}
		l.pcLastActivity = now
		if o.Channel == hello.Channel && !hello.FromSelf(o.Payload, c.myID) {
			c.wakeLink(l)
			c.confined(func() { c.processHello(o.Payload, l) })
		}
	case PubSubActivity:
		if l := c.links[o.Addr]; l != nil && l.pubsub.up && l.pubsub.gen == o.Gen {
			l.pcLastActivity = now
		}
	case LookupResult:
		c.wakeAll()
		c.lookupResult(o)
	}
}

// Hello processes a hello a peer sent us directly with PUBLISH (redis-sentinel's sentinelProcessHelloMessage, reached from its PUBLISH command).
func (c *Core) Hello(now time.Time, payload string) {
	c.now = now
	if c.crashed {
		return
	}
	c.confined(func() { c.processHello(payload, nil) })
}

func (c *Core) handleReply(l *link, o Reply) {
	if o.Tag.Kind == TagPing {
		c.pingReply(l, o)
		return
	}
	m := c.masters[o.Tag.Master]
	if m == nil {
		return
	}
	var in *instance
	switch {
	case o.Tag.Name == m.name && m.link == l:
		in = &m.instance
	case m.replicas[o.Tag.Name] != nil:
		in = m.replicas[o.Tag.Name]
	case m.sentinels[o.Tag.Name] != nil:
		in = m.sentinels[o.Tag.Name]
	}
	if in == nil || in.link != l {
		return
	}
	switch o.Tag.Kind {
	case TagInfo:
		if text, ok := o.Value.(string); ok && o.Err == "" {
			c.refreshInfo(in, text)
		}
	case TagPublish:
		if o.Err == "" {
			in.lastPub = c.now
		}
	case TagAskDown:
		c.askReply(in, o)
	case TagFailoverTo:
		c.failoverToReply(m, o)
	}
}

// pingReply: PONG, LOADING and MASTERDOWN prove the instance is alive; any other reply only
// proves the connection is.
func (c *Core) pingReply(l *link, o Reply) {
	text := o.Err
	if text == "" {
		text, _ = o.Value.(string)
	}
	l.lastPongTime = c.now
	if len(l.pingsOut) > 0 {
		l.pingRTT = c.now.Sub(l.pingsOut[0])
		l.pingsOut = l.pingsOut[:copy(l.pingsOut, l.pingsOut[1:])]
	}
	if strings.HasPrefix(text, "PONG") || strings.HasPrefix(text, "LOADING") || strings.HasPrefix(text, "MASTERDOWN") {
		if l.availSince.IsZero() || c.now.Sub(l.lastAvailTime) > c.helloDelayBound() {
			l.availSince = c.now // a new run of replies: see helloSentAfter
		}
		l.lastAvailTime = c.now
		l.actPingTime = time.Time{}
		c.seenOn(l)
		if strings.HasPrefix(text, "PONG") {
			c.forEachInstanceOn(l, func(in *instance) { in.flags &^= flagMasterReboot })
		}
		return
	}
	if strings.HasPrefix(text, "BUSY") {
		// A script is hogging the server: Redis kills it once the instance is judged down.
		c.forEachInstanceOn(l, func(in *instance) {
			if in.flags&flagSDown != 0 && in.flags&flagScriptKillSent == 0 {
				c.send(l, Tag{}, "SCRIPT", "KILL")
				in.flags |= flagScriptKillSent
				c.touch(in.master)
			}
		})
	}
}

// forEachInstanceOn visits the instances sharing link l.
func (c *Core) forEachInstanceOn(l *link, fn func(*instance)) {
	for _, in := range l.users {
		fn(in)
	}
}

// askReply records a peer's answer to is-master-down-by-addr: [down, leader, leader epoch].
// Anything else is ignored, as Redis does.
func (c *Core) askReply(s *instance, o Reply) {
	arr, ok := o.Value.([]any)
	if o.Err != "" || !ok || len(arr) != 3 {
		return
	}
	down, ok1 := arr[0].(int64)
	leader, ok2 := arr[1].(string)
	epoch, ok3 := arr[2].(int64)
	if !ok1 || !ok2 || !ok3 {
		return
	}
	s.lastMasterDownReply = c.now
	c.touch(s.master)
	if down == 1 {
		s.flags |= flagMasterDown
	} else {
		s.flags &^= flagMasterDown
	}
	if leader != "*" {
		if uint64(epoch) != s.leaderEpoch {
			c.logf(Warning, "%s voted for %s %d", s.name, leader, epoch)
		}
		s.leader = leader
		s.leaderEpoch = uint64(epoch)
	}
	// The answer may complete the quorum or the election: act now, not at the next tick.
	c.runFailover(s.master)
}

// logf records a plain log line (not an event: never published).
func (c *Core) logf(level Level, format string, args ...any) {
	c.ready.Logs = append(c.ready.Logs, LogLine{Level: level, Text: fmt.Sprintf(format, args...)})
}

// refreshInfo applies an INFO reply (redis-sentinel's sentinelRefreshInstanceInfo).
func (c *Core) refreshInfo(in *instance, text string) {
	inf := info.Parse(text)
	in.info = text
	m := in.master
	keysBefore := in.keys
	if inf.Has(info.FieldKeyspace) {
		in.keys = inf.Keys
	}

	if inf.Has(info.FieldRunID) && in.runID != inf.RunID {
		if in.runID != "" {
			c.emit(Notice, "+reboot", in, "")
			if in.kind == kindMaster && m.cfg.MasterRebootDownAfter != 0 {
				in.flags |= flagMasterReboot
				in.rebootSince = c.now
			}
			if in.kind == kindMaster {
				c.checkEmptyRestart(m, &inf, keysBefore)
			}
		}
		in.runID = inf.RunID
	}
	if in.kind == kindMaster {
		for _, r := range inf.Replicas {
			a := config.Addr{Host: r.IP, Port: r.Port}
			r := m.replicas[addrKey(a)]
			if r == nil {
				r = c.addReplica(m, a)
				c.emit(Notice, "+slave", r, "")
				c.needSave = true
			}
			r.seen, r.listed = c.now, true
		}
		c.checkMinReplicas(m, &inf)
	}
	in.masterLinkDownTime = inf.MasterLinkDownSince
	in.replicasListed = len(inf.Replicas)
	if inf.Role == "slave" {
		// Fields a reply leaves out keep their last value, as in Redis.
		if inf.Has(info.FieldMasterHost) && !strings.EqualFold(in.masterHost, inf.MasterHost) {
			in.syncPending = in.syncPending || in.masterHost != ""
			in.masterHost = inf.MasterHost
			in.confChangeTime = c.now
		}
		if inf.Has(info.FieldMasterPort) && in.masterPort != inf.MasterPort {
			in.syncPending = in.syncPending || in.masterPort != 0
			in.masterPort = inf.MasterPort
			in.confChangeTime = c.now
		}
		if inf.Has(info.FieldMasterLinkStatus) {
			in.masterLinkUp = inf.MasterLinkUp
		}
		if inf.Has(info.FieldSlavePriority) {
			in.priority = inf.SlavePriority
		}
		if inf.Has(info.FieldReplOffset) {
			in.replOffset = int64(inf.ReplOffset)
		}
		if inf.Has(info.FieldReplicaAnnounced) {
			in.announced = inf.ReplicaAnnounced
		}
		if in.roleReported == "master" {
			in.syncPending = true // converted: its dataset is its own until a sync ends
		}
		in.syncInProgress = inf.SyncInProgress
		if in.masterLinkUp && !in.syncInProgress {
			in.syncPending = false // it holds its master's data now: see unsynced
		}
	}
	in.infoRefresh = c.now
	c.touch(m)

	if inf.Role != "" && inf.Role != in.roleReported {
		in.roleReported = inf.Role
		in.roleReportedTime = c.now
		if inf.Role == "slave" {
			in.confChangeTime = c.now
		}
		sign := "-"
		if (in.kind == kindMaster) == (inf.Role == "master") {
			sign = "+"
		}
		c.emit(Verbose, sign+"role-change", in, "new reported role is "+inf.Role)
	}
	if in.kind == kindReplica {
		c.checkEmptyRestartMoot(m)
	}
	if in.kind == kindReplica && !c.tilt {
		c.actOnReplicaInfo(in, inf.Role)
		if m.failoverState == stateSelectSlave {
			c.runFailover(m) // the selection may have been waiting for this reply
		}
	}
}

// processHello applies a peer's hello (sentinelProcessHelloMessage): discover the peer, adopt a larger
// current epoch, and follow a master whose newer config epoch moved it elsewhere.
// via is the link whose Pub/Sub connection delivered it; nil for a PUBLISH to us.
func (c *Core) processHello(payload string, via *link) {
	h, err := hello.Parse(payload)
	if err != nil || hello.FromSelf(payload, c.myID) {
		return
	}
	m := c.masters[h.MasterName]
	if m == nil {
		return
	}
	// Only last-hello-message changes for a known peer: a timer. Discoveries, epochs and
	// switches below mark the master themselves.
	m.dirty, c.timersChanged = true, true
	c.wake(m)
	addr := config.Addr{Host: h.IP, Port: h.Port}
	si := m.sentinels[h.RunID]
	if si != nil && !c.sameAddr(si.addr, addr) {
		si = nil
	}
	if si == nil {
		removed := 0
		if old := m.sentinels[h.RunID]; old != nil {
			c.removeInstance(old)
			removed = 1
		}
		if removed > 0 {
			c.emit(Notice, "+sentinel-address-switch", &m.instance,
				fmt.Sprintf("ip %s port %d for %s", h.IP, h.Port, h.RunID))
		} else if other := c.sentinelAt(m, addr); other != nil {
			// Another sentinel now answers at that address (restarted with a new ID): the
			// old entry can only be stale, everywhere.
			c.emit(Notice, "+sentinel-invalid-addr", other, "")
			stale := other.runID
			for _, mm := range c.order {
				if s := mm.sentinels[stale]; s != nil {
					c.removeInstance(s)
				}
			}
		}
		si = c.addSentinel(m, addr, h.RunID)
		if removed == 0 {
			c.emit(Notice, "+sentinel", si, "")
			c.joined(m)
		} else {
			c.updateSentinelAddressInAllMasters(si)
		}
		c.needSave = true
	}

	c.raiseEpoch(h.CurrentEpoch, m)

	if m.cfg.ConfigEpoch < h.MasterConfigEpoch {
		m.cfg.ConfigEpoch = h.MasterConfigEpoch
		c.touch(m)
		newAddr := config.Addr{Host: h.MasterIP, Port: h.MasterPort}
		// Compared with both addresses: during our own failover, past the promotion,
		// clients were told of the promoted replica while m.addr is still the old master.
		// A newer config naming either one supersedes our failover (redis-sentinel
		// compares with the old master only, so a leader whose promoted replica died
		// would keep it, announce it under the newer epoch, and never agree again).
		if cur := m.currentAddr(); !c.sameAddr(newAddr, cur) || !c.sameAddr(newAddr, m.addr) {
			c.emit(Warning, "+config-update-from", si, "")
			c.switchMaster(m, newAddr, !c.sameAddr(newAddr, cur))
			c.clientReconfigScript(m, "observer", cur, newAddr)
		}
	}
	si.lastHello = c.now
	si.seen = c.now
	c.heard(si)
	if m.minority {
		c.checkMinority(m) // after the hello was applied: see reachTimes
	}
	// Only a hello the peer published to us directly is evidence for the fast conversion
	// (see settledAgainst and helloSentAfter).
	if via == nil && m.cfg.ConfigEpoch == h.MasterConfigEpoch &&
		c.sameAddr(m.addr, config.Addr{Host: h.MasterIP, Port: h.MasterPort}) {
		si.lastHelloAgreeing = c.now
		// The hello may be the last piece of evidence a stray master's fast conversion
		// waits for (see settledAgainst).
		for _, r := range m.replicaList() {
			if r.roleReported == "master" && c.settledAgainst(m, r) {
				c.convertStray(r)
			}
		}
	}
}

func (c *Core) sentinelAt(m *master, a config.Addr) *instance {
	for _, s := range m.sentinelList() {
		if c.sameAddr(s.addr, a) {
			return s
		}
	}
	return nil
}

// updateSentinelAddressInAllMasters moves the same peer to its new address under the other
// masters too, after it was seen moving under one.
func (c *Core) updateSentinelAddressInAllMasters(si *instance) {
	n := 0
	for _, m := range c.order {
		s := m.sentinels[si.runID]
		if m == si.master || s == nil || c.sameAddr(s.addr, si.addr) {
			continue
		}
		c.releaseLink(s)
		s.addr = si.addr
		s.link = c.linkFor(s)
		n++
	}
	if n > 0 {
		c.emit(Notice, "+sentinel-address-update", si, fmt.Sprintf("%d additional matching instances", n))
	}
}

// switchMaster moves a master to a new address (sentinelResetMasterAndChangeAddress): its replicas become every old
// replica but the new master plus the old master itself, rediscovered with +slave. announce
// is false when +switch-master already went out (at the promotion).
func (c *Core) switchMaster(m *master, to config.Addr, announce bool) {
	told := m.currentAddr() // where clients were sent last: the event's "from"
	m.forgetHold = c.now    // a switch ends a failover, ours or a peer's: forget.go waits
	from := m.addr
	var replicas []config.Addr
	for _, r := range m.replicaList() {
		if !c.sameAddr(r.addr, to) {
			replicas = append(replicas, r.addr)
		}
	}
	if !c.sameAddr(from, to) {
		replicas = append(replicas, from)
	}
	if announce {
		c.emitSwitch(m, told, to)
	}
	c.resetMaster(m, false)
	c.releaseLink(&m.instance)
	m.addr = to
	m.cfg.Host, m.cfg.Port = to.Host, to.Port
	m.link = c.linkFor(&m.instance)
	m.sDownSince, m.oDownSince = time.Time{}, time.Time{}
	for _, a := range replicas {
		c.emit(Notice, "+slave", c.addReplica(m, a), "")
	}
	c.needSave = true
}

// resetMaster is redis-sentinel's sentinelResetMaster: forget replicas (and sentinels when
// asked), flags, failover state and the run ID; reconnect.
func (c *Core) resetMaster(m *master, sentinelsToo bool) {
	for _, r := range m.replicaList() {
		c.removeInstance(r)
	}
	if sentinelsToo {
		for _, s := range m.sentinelList() {
			c.removeInstance(s)
		}
	}
	m.flags = flagMaster
	m.failoverState = stateNone
	m.failoverStartTime, m.failoverStateChange = time.Time{}, time.Time{}
	m.promoted, m.switchAnnounced, m.coordinated = nil, false, false
	// The vote is forgotten but not its epoch, which alone keeps us from voting twice in it.
	m.cfg.Leader = ""
	m.runID = ""
	m.info = ""
	m.keys, m.minReplicas = 0, minReplicasUnknown
	m.roleReported, m.roleReportedTime = "master", c.now
	if l := m.link; l != nil {
		if l.cmd.up {
			c.reconnect(l, CmdLink)
		}
		if l.pubsub.up {
			c.reconnect(l, PubSubLink)
		}
		l.actPingTime, l.lastPongTime, l.lastAvailTime = c.now, c.now, c.now
	}
	c.touch(m)
}
