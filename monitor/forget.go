package monitor

import (
	"strconv"
	"time"
)

// forget-after (ours, off by default) drops the replicas and sentinels of a master that
// have not been seen for that long, so that the ghosts of redis/redis #1972 and #6194 stop
// inflating the known-sentinel count behind the majority and CKQUORUM. The rules lean to
// keeping an instance whenever anything is in doubt:
//
//   - Seen is a replica answering PING (PONG, LOADING, MASTERDOWN) or listed in its
//     master's INFO, and a sentinel whose hello arrived (Pub/Sub or direct) or that answers
//     PING. Being added counts as seen.
//   - Only an instance judged SDOWN is forgotten, so the effective period is at least
//     down-after, and a quiet master (never visited while its instances are calm, see
//     quiet.go) has no candidate to miss.
//   - Never the master; never in TILT nor for forget-after after TILT began (its clock
//     jump may make everyone look unseen); never while the master is ODOWN, fails over
//     (any state), or within twice the failover timeout of a failover we voted in or
//     started, nor within the failover timeout after one ended here.
//
// A forgotten instance that comes back is rediscovered the ordinary way (+slave, +sentinel).

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
	for _, s := range m.sentinelList() {
		if c.forgettable(s, after) {
			before := len(m.sentinels) + 1 // voters count us too
			c.forget(s, "-sentinel-forgotten")
			voters := len(m.sentinels) + 1
			c.logf(Notice, "%s: forgot sentinel %s %s; known sentinels %d → %d, quorum %d, majority %d",
				m.name, s.name, c.announceHost(s.addr)+":"+strconv.Itoa(s.addr.Port),
				before, voters, m.cfg.Quorum, voters/2+1)
		}
	}
}

func (c *Core) forgettable(in *instance, after time.Duration) bool {
	return in.flags&flagSDown != 0 && c.now.Sub(in.seen) >= after
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
