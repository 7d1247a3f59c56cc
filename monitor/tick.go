package monitor

import (
	"fmt"
	"strconv"
	"time"

	"github.com/sentinel-go/sentinel/monitor/hello"
)

// fastPollPeriod is how often we ask while an answer is about to move a failover on.
const fastPollPeriod = 100 * time.Millisecond

// fastAskWindow bounds the fast asking after SDOWN: a master only we see down stops costing
// peers ten questions a second after this.
const fastAskWindow = 10 * time.Second

// Tick runs the periodic half of redis-sentinel's timer: for every master, then its replicas,
// then its sentinels, send what is due and judge what is down.
func (c *Core) Tick(now time.Time) {
	c.now = now
	if c.crashed {
		return
	}
	if !c.wakeAt.IsZero() && !now.Before(c.wakeAt) {
		c.wakeAt = time.Time{}
	}
	c.checkTilt()
	c.recheckHosts()
	var switching []*master
	for _, m := range c.order {
		if c.skip(m) {
			continue
		}
		c.visits++
		c.handleInstance(&m.instance)
		for _, r := range m.replicaList() {
			c.handleInstance(r)
		}
		for _, s := range m.sentinelList() {
			c.handleInstance(s)
		}
		c.checkMinority(m)
		c.checkForget(m)
		if m.failoverState == stateUpdateConfig {
			switching = append(switching, m)
		}
		c.settle(m)
	}
	// Switching rebuilds a master's replicas, so it waits until the walk is over.
	for _, m := range switching {
		c.switchToPromoted(m)
		c.wakeAll()
	}
}

// checkTilt enters TILT when the time between two ticks is negative or too long: the process
// stalled or the clock jumped, so none of the timers can be trusted for a while.
func (c *Core) checkTilt() {
	delta := c.now.Sub(c.prevTick)
	c.prevTick = c.now
	if delta < 0 || delta > c.timing.TiltTrigger {
		c.tilt = true
		c.tiltStart = c.now
		c.changed = true
		c.emitRaw(Warning, "+tilt", "#tilt mode entered", "")
		return
	}
	if c.tilt && c.now.Sub(c.tiltStart) >= c.timing.TiltPeriod {
		c.tilt = false
		c.wakeAll()
		c.changed = true
		c.emitRaw(Warning, "-tilt", "#tilt mode exited", "")
	}
}

func (c *Core) handleInstance(in *instance) {
	c.sendPeriodic(in)
	c.checkLinkHealth(in)
	if c.tilt {
		return
	}
	c.checkSubjectivelyDown(in)
	if in.kind == kindMaster {
		m := in.master
		c.actOnMaster(m)
		c.askMasterState(m, false)
	}
}

// infoPeriod is 1 s for a replica whose master is down or failing over, whose own link
// to its master is down, or that reports role:master: that is when its INFO changes fast. Otherwise 10 s. A replica we
// are promoting or reconfiguring is asked every tick: its next INFO moves the failover on,
// and waiting a second for it is most of redis-sentinel's failover time.
func (c *Core) infoPeriod(in *instance) time.Duration {
	if in.kind == kindReplica && in.flags&(flagPromoted|flagReconfSent|flagReconfInprog) != 0 &&
		in.master.failoverState >= stateWaitPromotion {
		return fastPollPeriod
	}
	// A replica reporting role:master (a stray, say the old master back) too: its
	// conversion waits for its next INFO, and every second it waits it may acknowledge
	// writes that will be lost.
	if in.kind == kindReplica &&
		(in.master.flags&(flagODown|flagFailoverInProgress) != 0 || in.masterLinkDownTime != 0 ||
			in.roleReported == "master") {
		return time.Second
	}
	return c.timing.InfoPeriod
}

func (c *Core) pingPeriod(in *instance) time.Duration {
	p := min(in.master.downAfter(), c.timing.PingPeriod)
	if in.kind == kindSentinel && c.cfg.MinorityRefuses {
		// A peer counts as reached for down-after after its last PONG; pinged only every
		// down-after (a down-after of 1 s or less), it would drop out between two PONGs
		// and the sentinel would refuse clients once a second with every peer alive.
		p = min(p, in.master.downAfter()/2)
	}
	return p
}

func (c *Core) sendPeriodic(in *instance) {
	l := in.link
	if in.disconnected() || in.addr.Port == 0 {
		return
	}
	// Don't pile commands on an instance that stopped answering: the backlog would only
	// grow while it is paused.
	if l.pending >= 100*l.refcount {
		return
	}
	now := c.now
	if in.kind != kindSentinel && (in.infoRefresh.IsZero() || now.Sub(in.infoRefresh) > c.infoPeriod(in)) {
		c.send(l, Tag{Kind: TagInfo, Master: in.master.name, Name: in.name}, infoArgs...)
	}
	period := c.pingPeriod(in)
	if now.Sub(l.lastPongTime) > period && now.Sub(l.lastPingTime) > period/2 {
		c.sendPing(l)
	}
	if now.Sub(in.lastPub) > c.timing.PublishPeriod {
		c.sendHello(in)
	}
}

// sendHello publishes our hello about in's master to in: the master, a replica or a peer.
func (c *Core) sendHello(in *instance) {
	l := in.link
	ip := c.cfg.AnnounceIP
	if ip == "" {
		ip = l.localIP
	}
	if ip == "" {
		return // Redis skips the hello when it can't tell its own address
	}
	port := c.cfg.AnnouncePort
	if port == 0 {
		port = c.helloPort()
	}
	m := in.master
	at := m.currentAddr()
	h := hello.Hello{
		IP: ip, Port: port, RunID: c.myID, CurrentEpoch: c.currentEpoch,
		MasterName: m.name, MasterIP: c.announceHost(at), MasterPort: at.Port,
		MasterConfigEpoch: m.cfg.ConfigEpoch,
	}
	c.send(l, Tag{Kind: TagPublish, Master: m.name, Name: in.name}, "PUBLISH", hello.Channel, h.String())
}

// helloPort is the port peers must dial us on, as sentinelSendHello picks it without
// announce-port: the TLS port when links are TLS (tls-replication) and one is open, else
// the plain port.
func (c *Core) helloPort() int {
	if first(c.cfg.Options["tls-replication"]) == "yes" {
		if p, err := strconv.Atoi(first(c.cfg.Options["tls-port"])); err == nil && p != 0 {
			return p
		}
	}
	return c.cfg.Port
}

func first(v []string) string {
	if len(v) == 0 {
		return ""
	}
	return v[0]
}

// checkLinkHealth recycles connections that look alive to TCP but are not: a command
// connection with a PING unanswered for half of down-after, a Pub/Sub connection silent for
// three hello periods (we hear our own hellos, so a healthy one is never silent).
func (c *Core) checkLinkHealth(in *instance) {
	l := in.link
	if l == nil {
		return
	}
	now, half := c.now, in.master.downAfter()/2
	if l.cmd.up && now.Sub(l.cmd.connTime) > c.timing.MinLinkReconnectPeriod &&
		!l.actPingTime.IsZero() && now.Sub(l.actPingTime) > half && now.Sub(l.lastPongTime) > half {
		c.reconnect(l, CmdLink)
	}
	if in.kind != kindSentinel && l.pubsub.up && now.Sub(l.pubsub.connTime) > c.timing.MinLinkReconnectPeriod &&
		now.Sub(l.pcLastActivity) > 3*c.timing.PublishPeriod {
		c.reconnect(l, PubSubLink)
	}
}

func (c *Core) reconnect(l *link, kind LinkKind) {
	c.wakeLink(l) // the other masters on the link see it down now
	if kind == CmdLink {
		l.cmd.up = false
		l.pending, l.pingsOut = 0, l.pingsOut[:0]
	} else {
		l.pubsub.up = false
	}
	c.ready.Links = append(c.ready.Links, LinkChange{Op: LinkReconnect, Kind: kind, Spec: l.spec})
}

// checkSubjectivelyDown is SDOWN (redis-sentinel's sentinelCheckSubjectivelyDown): no acceptable PING reply for down-after, a
// master that keeps saying it is a replica, or a rebooted master still loading too long.
func (c *Core) checkSubjectivelyDown(in *instance) {
	l := in.link
	var elapsed time.Duration
	switch {
	case l == nil:
	case !l.actPingTime.IsZero():
		elapsed = c.now.Sub(l.actPingTime)
	case in.disconnected():
		elapsed = c.now.Sub(l.lastAvailTime)
	}
	downAfter := in.master.downAfter()
	down := elapsed > downAfter
	if in.kind == kindMaster && in.roleReported == "slave" &&
		c.now.Sub(in.roleReportedTime) > downAfter+2*c.timing.InfoPeriod {
		down = true
	}
	if in.flags&flagMasterReboot != 0 && c.now.Sub(in.rebootSince) > in.master.cfg.MasterRebootDownAfter {
		down = true
	}
	if in.flags&flagEmptyRestart != 0 {
		down = true // protect-empty-restart: see guard.go
	}
	switch {
	case down && in.flags&flagSDown == 0:
		in.flags |= flagSDown
		in.sDownSince = c.now
		c.touch(in.master)
		c.emit(Warning, "+sdown", in, "")
	case !down && in.flags&flagSDown != 0:
		in.flags &^= flagSDown | flagScriptKillSent
		c.touch(in.master)
		c.emit(Warning, "-sdown", in, "")
	}
}

// checkObjectivelyDown counts ourselves and every peer that last told us the master is
// down. ODOWN needs the quorum, not a majority: the majority is the election's business.
func (c *Core) checkObjectivelyDown(m *master) {
	votes, odown := 0, false
	if m.flags&flagSDown != 0 {
		votes = 1
		for _, s := range m.sentinels {
			if s.flags&flagMasterDown != 0 {
				votes++
			}
		}
		odown = votes >= m.cfg.Quorum
	}
	switch {
	case odown && m.flags&flagODown == 0:
		m.flags |= flagODown
		m.oDownSince = c.now
		c.touch(m)
		c.emit(Warning, "+odown", &m.instance, fmt.Sprintf("#quorum %d/%d", votes, m.cfg.Quorum))
	case !odown && m.flags&flagODown != 0:
		m.flags &^= flagODown
		c.touch(m)
		c.emit(Warning, "-odown", &m.instance, "")
		m.forgetHold = c.now // the tick goes on to checkForget with the flag already gone
	}
}

// askMasterState asks every connected peer whether it sees the master down, while we do.
// Answers older than five ask periods no longer count. With a failover of ours in progress
// the question carries our run ID: it is then also a vote request.
//
// In the first seconds of SDOWN, until the master is objectively down, peers are asked
// every fastPollPeriod rather than every ask period: they usually reach SDOWN a moment after
// us, and learning it a second late delays the whole failover by that second.
func (c *Core) askMasterState(m *master, forced bool) {
	if m.failoverState == stateWaitStart && m.votesRequested != m.failoverEpoch {
		return // our requests wait for the attempt's stagger (requestVotes)
	}
	period := c.timing.AskPeriod
	if m.flags&(flagODown|flagFailoverInProgress) == 0 && c.now.Sub(m.sDownSince) < fastAskWindow {
		period = min(period, fastPollPeriod)
	}
	for _, s := range m.sentinelList() {
		elapsed := c.now.Sub(s.lastMasterDownReply)
		if elapsed > 5*c.timing.AskPeriod {
			if s.flags&flagMasterDown != 0 || s.leader != "" {
				c.touch(m)
			}
			s.flags &^= flagMasterDown
			s.leader = ""
		}
		if m.flags&flagSDown == 0 || s.disconnected() {
			continue
		}
		if !forced && elapsed < period {
			continue
		}
		// A vote request names our failover's epoch: redis-sentinel sends its current epoch,
		// which other masters' failovers may have raised since, and a vote in that newer
		// epoch cannot elect us in ours (see electionWinner) while it would use up the
		// peer's vote there.
		runID, epoch := "*", c.currentEpoch
		if m.failoverState != stateNone {
			runID, epoch = c.myID, m.failoverEpoch
		}
		c.send(s.link, Tag{Kind: TagAskDown, Master: m.name, Name: s.name},
			"SENTINEL", "is-master-down-by-addr", c.announceHost(m.addr), strconv.Itoa(m.addr.Port),
			strconv.FormatUint(epoch, 10), runID)
	}
}
