package monitor

import (
	"slices"
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
// both, become two groups of 3 whose majority is 2 (the simulation finds it as soon as the
// peak below is left out, seeds 58 and 813). So majorities are counted among voters: the
// known sentinels and us, but never fewer than the peak, the most sentinels (us included)
// this one has heard alive together (see heard). Two leaders in one epoch need two
// disjoint sets of votes, each a majority of its leader's voters. In a settled group every
// sentinel that can vote was heard alive together with the others, so each leader's
// voters are at least the sentinels there are, and the two sets cannot both fit. That is
// redis-sentinel's own assumption (every sentinel has discovered the group) with
// "together" added; the peak is persisted (peak-sentinels) so that a restart during the
// partition keeps it.
//
// A group that changes while it is split needs one rule more: a sentinel that joins (or
// comes back under a new run ID) during a partition is heard only by one side, so A, B,
// C plus D joining, with A and B cut off from each other, would give A and B peaks of 3
// where 4 vote, and {A, C} | {B, D} could each elect. So a join raises the peak to every
// peer known (see joined), except a peer seen to exit: its connection closed by the other
// end (EOF, reset), which a partition's silence never does. The assumption left: a peer
// that closed its connection and was not heard since, is dead, or is heard again before a
// sentinel joins.
//
// What forgetting a sentinel then buys: the ghost of a peer that came back under a new
// run ID (a pod restarted without its state, at a new address) was seen to exit, so it is
// counted neither with its successor (see heard) nor when the successor joins, and once
// forgotten it leaves the known count: the group's majority is the live group's again. A
// ghost whose host vanished without closing its connections (a crashed node) is counted
// when its successor joins, conservatively, and stays in the peak until a RESET. So does a
// sentinel gone for good, and a brief overlap of an old and a new one both alive (a
// rollout that starts the new before stopping the old): shrinking the group is an
// operator's decision, SENTINEL RESET, which clears the peak with the peers (on each
// sentinel, as for redis-sentinel). Turning forget-after on starts the peak at the
// sentinels already known, ghosts included, for the same reason: only after a RESET does
// it count the live ones alone.
//
// One hazard remains, and it is the price of giving a ghost's seat to its successor: a
// sentinel that comes back without its state is a new voter, with no record of the votes
// its old identity cast. If the ghost voted in an epoch and died before a hello carried
// that epoch to a side cut off from the rest, that side, once it has forgotten the ghost,
// can elect a leader in the same epoch with the successor's vote. Counting the ghost
// forever closes this path, not the cause: a sentinel without its state also runs for, and
// wins, epochs its old identity used, and the simulation's -replace finds that with
// forget-after off (sim/doc.go). Keeping each sentinel's state (a state-config-file on a
// volume, as packaging/kubernetes does) is what election safety needs, and then there are
// no ghosts.

// voters is how many sentinels m's majorities are counted among (see above).
func (m *master) voters() int { return votersOf(len(m.sentinels), m.cfg.PeakSentinels) }

// votersOf is the rule itself, for the core and for the views: the known peers and us,
// never fewer than the peak.
func votersOf(peers, peak int) int { return max(peers+1, peak) }

// togetherWindow is how close in time signs of life from peers must be to count them
// alive together: twice the longer of the ping and hello periods, within which a live
// peer answers a PING or, if we cannot link to it, has a hello relayed at least once.
func (c *Core) togetherWindow() time.Duration {
	return 2 * max(c.timing.PingPeriod, c.timing.PublishPeriod)
}

// startPeak begins tracking m's peak when forget-after turns on, from what is known.
func (c *Core) startPeak(m *master) {
	if m.cfg.ForgetAfter != 0 && len(m.sentinels) > 0 {
		c.raisePeak(m, len(m.sentinels)+1)
	}
}

// heard records a sign of life from peer s and, with forget-after, raises the peak. A
// peer counts when heard within togetherWindow, unless its command connection was lost
// since: a process that dies closes its connections, so a ghost is not counted together
// with a successor heard after its death.
func (c *Core) heard(s *instance) {
	s.heard = c.now
	if s.master.cfg.ForgetAfter != 0 {
		c.raisePeak(s.master, c.countPeers(s.master, func(p *instance) bool {
			return !p.heard.IsZero() && c.now.Sub(p.heard) <= c.togetherWindow() &&
				(p.link == nil || !p.link.cmdDown.After(p.heard))
		}))
	}
}

// joined raises the peak when a sentinel joins m's group (+sentinel): the group is then
// every peer known and us, less those seen to exit (the other end closed their connection
// and they have not been heard since). A peer merely unheard may be behind a partition, and
// a newcomer counted by one side only is how two sides could each make a majority (see
// above); a ghost whose process was seen to exit is what its successor replaces.
func (c *Core) joined(m *master) {
	if m.cfg.ForgetAfter != 0 {
		c.raisePeak(m, c.countPeers(m, func(p *instance) bool {
			return p.link == nil || !p.link.peerClosed.After(p.heard)
		}))
	}
}

// countPeers counts us and the peers of m that count, one per link: peers sharing one
// (an address taken over, its old entry not yet gone) are one process.
func (c *Core) countPeers(m *master, counts func(*instance) bool) int {
	n := 1
	links := c.linkBuf[:0]
	for _, p := range m.sentinelList() {
		if !counts(p) || (p.link != nil && slices.Contains(links, p.link)) {
			continue
		}
		n++
		links = append(links, p.link)
	}
	c.linkBuf = links[:0]
	return n
}

func (c *Core) raisePeak(m *master, n int) {
	if n > m.cfg.PeakSentinels {
		m.cfg.PeakSentinels = n
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
