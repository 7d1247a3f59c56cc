package monitor

import "time"

// A tick visits every master, its replicas and its sentinels, as sentinelTimer does in
// redis-sentinel, 10 to 19 times a second; in steady monitoring almost every visit finds
// nothing due. A quiet master is skipped until the earliest instant one of its visits could
// do anything: a PING, INFO or hello due, a link to recycle, an instance to judge down. The
// skip is exact, not approximate: a master is quiet only in a state where a visit before
// that instant is a no-op (calmFlags, below), and anything else that could change what a
// visit does wakes it first (wake, wakeAll). Every tick still checks TILT and still visits
// the masters in declaration order, so the events of a tick come out in the same order.

// calmFlags are the flags a quiet master and its instances may carry: their kind alone.
// Any other (down, failover, reconfiguration, reboot, empty restart, a peer's master_down)
// has timers of its own, and such masters are visited on every tick as before.
const calmFlags = flagMaster | flagSlave | flagSentinel

// WithFullTicks makes every tick visit every master, as before quiet masters were skipped:
// the reference against which the skipping tick is checked to emit the same events in the
// same order (sim's TestQuietTicksSameTrace).
func WithFullTicks() Option { return func(c *Core) { c.fullTicks = true } }

// wake makes the next tick visit m.
func (c *Core) wake(m *master) { m.quietUntil = time.Time{} }

// wakeLink makes the next tick visit every master that uses l.
func (c *Core) wakeLink(l *link) {
	for _, in := range l.users {
		c.wake(in.master)
	}
}

// wakeAll makes the next tick visit every master: after inputs whose effect is not
// confined to one link's masters (a request, a link up or down, a lookup's answer, a
// discovery).
func (c *Core) wakeAll() { c.quietEpoch++ }

// confined runs an input whose effect is meant to stay with the masters of the link it came
// on, which it wakes itself (touch, touchTimers); if it emitted, saved, linked, or sent
// anything, every master is woken, since those can follow from changes anywhere.
func (c *Core) confined(f func()) {
	ev, ln, sn, save := len(c.ready.Events), len(c.ready.Links), len(c.ready.Sends), c.needSave
	f()
	if len(c.ready.Events) != ev || len(c.ready.Links) != ln || len(c.ready.Sends) != sn || c.needSave != save {
		c.wakeAll()
	}
}

// skip reports whether this tick may pass m by.
func (c *Core) skip(m *master) bool {
	return !c.fullTicks && !c.tilt && m.quietEpoch == c.quietEpoch && c.now.Before(m.quietUntil)
}

// settle decides, after m's visit, until when m is quiet: the earliest deadline of the
// checks a visit runs (handleInstance, checkMinority), for m and each of its instances.
// It leaves m awake when any of them is in a state with other timers.
func (c *Core) settle(m *master) {
	m.quietUntil = time.Time{}
	if c.fullTicks || c.tilt || c.crashed || c.cfg.MinorityRefuses || m.minority || m.failoverState != stateNone {
		return
	}
	var until time.Time
	due := func(t time.Time) {
		if until.IsZero() || t.Before(until) {
			until = t
		}
	}
	calm := func(in *instance) bool {
		l := in.link
		if in.flags&^calmFlags != 0 || in.disconnected() || in.addr.Port == 0 || in.leader != "" ||
			(in.kind == kindMaster && in.roleReported == "slave") ||
			(in.kind != kindSentinel && in.infoRefresh.IsZero()) {
			return false
		}
		// sendPeriodic: INFO, PING, hello.
		if in.kind != kindSentinel {
			due(in.infoRefresh.Add(c.infoPeriod(in)))
		}
		p := c.pingPeriod(in)
		due(later(l.lastPongTime.Add(p), l.lastPingTime.Add(p/2)))
		due(in.lastPub.Add(c.timing.PublishPeriod))
		// checkLinkHealth and checkSubjectivelyDown.
		half := m.downAfter() / 2
		if !l.actPingTime.IsZero() {
			due(later(l.cmd.connTime.Add(c.timing.MinLinkReconnectPeriod), later(l.actPingTime.Add(half), l.lastPongTime.Add(half))))
			due(l.actPingTime.Add(m.downAfter()))
		}
		if in.kind != kindSentinel {
			due(later(l.pubsub.connTime.Add(c.timing.MinLinkReconnectPeriod), l.pcLastActivity.Add(3*c.timing.PublishPeriod)))
		}
		return true
	}
	if !calm(&m.instance) {
		return
	}
	for _, r := range m.replicaList() {
		if !calm(r) {
			return
		}
	}
	for _, s := range m.sentinelList() {
		if !calm(s) {
			return
		}
	}
	m.quietUntil, m.quietEpoch = until, c.quietEpoch
}

func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}
