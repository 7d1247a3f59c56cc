package monitor

import (
	"strconv"
	"time"
)

// forget-after (ours, off by default) drops the replicas and sentinels of a master that
// have not been seen for that long, so that the ghosts of redis/redis #1972 and #6194 stop
// piling up in the state, the config and SENTINEL MASTER's counts. The rules lean to
// keeping an instance whenever anything is in doubt:
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
// A forgotten instance that comes back is rediscovered the ordinary way (+slave, +sentinel).
//
// # Forgetting a sentinel never shrinks a majority
//
// A dead sentinel and one cut off by a partition look the same. Had forgetting a peer
// lowered the count majorities are taken of (redis-sentinel's known sentinels and itself),
// the two sides of a partition longer than forget-after would each forget the other and
// each elect a leader in the same epoch: 5 sentinels split {1,2} | {4,5}, with 3 reaching
// both, become two groups of 3 whose majority is 2 (the simulation found it, seeds 994 and
// 1092 of the first version). So majorities are counted among voters: the known sentinels
// and us, but never fewer than the peak, the most sentinels (us included) this one has
// heard alive together: each with its link up and a PONG or a hello from it within
// togetherWindow. Two leaders in
// one epoch need two disjoint sets of votes, each a majority of its leader's voters; every
// sentinel that can vote was, in a settled group, heard alive together with the others,
// so each leader's voters are at least the sentinels there are and the two sets cannot
// both fit. That is redis-sentinel's own assumption (every sentinel has discovered the
// group) with "together" added; the peak is persisted (peak-sentinels) so that a restart
// during the partition keeps it.
//
// What forgetting a sentinel then buys: the ghost of a peer that came back under a new
// run ID (a pod restarted without its state, at a new address) is never heard together
// with its successor (a process that dies closes its connections, which takes its link
// down at once; a successor is heard a start-up later), so it leaves the peak's count
// and, forgotten, the known one; the
// group's majority is the live group's again. A sentinel gone for good stays in the peak:
// shrinking the group is an operator's decision, SENTINEL RESET, which clears the peak
// with the peers (on each sentinel, as for redis-sentinel). Turning forget-after on starts
// the peak at the sentinels already known, ghosts included, for the same reason: only
// after a RESET does it count the live ones alone.

// voters is how many sentinels m's majorities are counted among (see above).
func (m *master) voters() int { return max(len(m.sentinels)+1, m.cfg.PeakSentinels) }

// togetherWindow is how close in time signs of life from peers must be to count them
// alive together: two ping periods, within which a live peer answers at least once.
func (c *Core) togetherWindow() time.Duration { return 2 * c.timing.PingPeriod }

// startPeak begins tracking m's peak when forget-after turns on, from what is known.
func (c *Core) startPeak(m *master) {
	if n := len(m.sentinels) + 1; m.cfg.ForgetAfter != 0 && n > 1 && n > m.cfg.PeakSentinels {
		m.cfg.PeakSentinels = n
		c.needSave = true
		c.touch(m)
	}
}

// heard records a sign of life from peer s and, with forget-after, raises the peak.
func (c *Core) heard(s *instance) {
	s.heard = c.now
	m := s.master
	if m.cfg.ForgetAfter == 0 {
		return
	}
	alive := 1
	for _, p := range m.sentinelList() {
		if !p.disconnected() && !p.heard.IsZero() && c.now.Sub(p.heard) <= c.togetherWindow() {
			alive++
		}
	}
	if alive > m.cfg.PeakSentinels {
		m.cfg.PeakSentinels = alive
		c.needSave = true
		c.touch(m)
	}
}

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
			before := len(m.sentinels) + 1 // as INFO counts them: us too
			c.forget(s, "-sentinel-forgotten")
			voters := m.voters()
			c.logf(Notice, "%s: forgot sentinel %s %s; known sentinels %d → %d; majorities "+
				"counted among %d (the most heard alive together); a failover needs %d votes "+
				"(quorum %d, majority %d)",
				m.name, s.name, c.announceHost(s.addr)+":"+strconv.Itoa(s.addr.Port),
				before, len(m.sentinels)+1, voters, max(m.cfg.Quorum, voters/2+1),
				m.cfg.Quorum, voters/2+1)
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

// seenOn marks the instances on l as seen (see above), and sentinels as heard.
func (c *Core) seenOn(l *link) {
	c.forEachInstanceOn(l, func(in *instance) {
		in.seen = c.now
		if in.kind == kindSentinel {
			c.heard(in)
		}
	})
}
