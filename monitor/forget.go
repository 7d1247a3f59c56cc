package monitor

import (
	"time"
)

// forget-after (ours, off by default) drops the replicas of a master that have not been seen
// for that long (redis/redis #1972). Sentinels are not forgotten yet: the simulation showed
// that two sides of a partition longer than forget-after each forget the other, shrink
// their majority and elect two leaders in one epoch (sim seeds 994, 1092); forgetting a
// peer needs a rule that keeps the old majority, which is still to be designed. The rules
// lean to keeping an instance whenever anything is in doubt:
//
//   - Seen is a replica answering PING (PONG, LOADING, MASTERDOWN) or listed in its
//     master's INFO, and a sentinel whose hello arrived (Pub/Sub or direct) or that answers
//     PING. Being added counts as seen.
//   - Only a replica the master's INFO listed since the replica was added: the old master
//     of a failover is added as a replica of the promoted one and, dead, never listed; it
//     must stay known so that it is converted when it returns instead of serving as a
//     stray master nobody watches.
//   - Only an instance judged SDOWN is forgotten, so the effective period is at least
//     down-after, and a quiet master (never visited while its instances are calm, see
//     quiet.go) has no candidate to miss.
//   - Never the master; never in TILT nor for forget-after after TILT began (its clock
//     jump may make everyone look unseen); never while the master is ODOWN, fails over
//     (any state), or within twice the failover timeout of a failover we voted in or
//     started, nor within the failover timeout after one ended here.
//
// A forgotten replica that comes back is rediscovered the ordinary way (+slave).

// checkForget runs after the visit of m's instances.
func (c *Core) checkForget(m *master) {
	after := m.cfg.ForgetAfter
	if m.failoverState != stateNone || m.flags&(flagFailoverInProgress|flagODown) != 0 {
		m.forgetHold = c.now
	}
	if after == 0 || c.tilt || m.failoverState != stateNone ||
		(!c.tiltStart.IsZero() && c.now.Sub(c.tiltStart) < c.timing.TiltPeriod+after) ||
		m.flags&(flagFailoverInProgress|flagODown) != 0 ||
		(!m.forgetHold.IsZero() && c.now.Sub(m.forgetHold) < m.cfg.FailoverTimeout) ||
		(!m.failoverStartTime.IsZero() && c.now.Sub(m.failoverStartTime) < 2*m.cfg.FailoverTimeout) {
		return
	}
	for _, r := range m.replicaList() {
		if c.forgettable(r, after) {
			before := len(m.replicas)
			c.forget(r, "-slave-forgotten")
			c.logf(Notice, "%s: forgot replica %s; known replicas %d → %d",
				m.name, r.name, before, len(m.replicas))
		}
	}
}

func (c *Core) forgettable(in *instance, after time.Duration) bool {
	seen := in.seen
	if in.link != nil && in.link.lastAvailTime.After(seen) {
		seen = in.link.lastAvailTime // what SDOWN counts from, which a new link resets
	}
	return in.flags&flagSDown != 0 && c.now.Sub(seen) >= after && (in.kind != kindReplica || in.listed)
}

func (c *Core) forget(in *instance, typ string) {
	c.emit(Warning, typ, in, "")
	c.removeInstance(in)
	c.needSave = true
	c.wakeAll()
}

// seenOn marks the instances on l as seen (see above).
func (c *Core) seenOn(l *link) {
	c.forEachInstanceOn(l, func(in *instance) { in.seen = c.now })
}
