package monitor

import (
	"fmt"
	"slices"
	"time"
)

// The opt-in minority refusal (sentinel minority-refuses yes). redis-sentinel answers
// GET-MASTER-ADDR-BY-NAME from whatever it last knew, so a sentinel cut off together with
// the old master keeps naming it while the majority promotes a replica, and its clients
// keep writing where the failover will throw their writes away (Jepsen's Redis test of
// 2013). With the option on, a sentinel that has not reached a majority of the master's
// sentinels (itself and every peer it knows for that master: floor(n/2)+1 of n, n never
// below the peak forget-after keeps, see voters) within
// down-after-milliseconds answers with a NOQUORUM error instead: it cannot vouch for the
// address, and the client asks another sentinel (go-redis's FailoverClient asks all of
// them on any error).
//
// A peer counts as reached at its last acceptable PING reply or its last hello about the
// master: the evidence redis-sentinel judges a peer alive by. A link counts as reached when
// it is created, as for SDOWN, so a sentinel that has just started gives its peers
// down-after-milliseconds to answer. Once refusing, only hellos count: the refusal ends at
// the hello that makes a majority again, and a hello is applied (a newer config adopted,
// +switch-master) before it counts. Were a PONG enough, a sentinel healed from its
// partition would answer the old master's address again for up to a hello period (2 s)
// after the majority failed it over. The refusal is decided at the query's own moment from
// the published view (see vouchUntil); +minority and -minority report it at the step that
// sees the change, which is the next tick at most.

// minorityErr is the refusal. NOQUORUM is the code CKQUORUM already uses for "not enough
// sentinels"; any error makes clients try the next sentinel.
const minorityErr = "NOQUORUM this sentinel reached %d of the %d sentinels of '%s' within down-after-milliseconds (a majority is %d): ask another sentinel"

// vouchUntil is the instant after which the peers reached at the given times no longer
// make a majority of voters with us, unless one of them answers again: the (need)th most
// recent reach plus down-after. Zero when we are a majority alone (no peer known); the
// first instant when the peers we know cannot make one (forget-after forgot too many). It
// sorts reached.
func vouchUntil(reached []time.Time, voters int, downAfter time.Duration) time.Time {
	need := voters/2 + 1 - 1 // less ourselves
	switch {
	case need == 0:
		return time.Time{}
	case need > len(reached):
		return time.Unix(0, 1)
	}
	slices.SortFunc(reached, func(a, b time.Time) int { return b.Compare(a) })
	return reached[need-1].Add(downAfter)
}

// refuses reports whether a sentinel that can vouch until until refuses at now. Like
// SDOWN's, the bound is strict: refused only when more than down-after has passed.
func refuses(until, now time.Time) bool { return !until.IsZero() && now.After(until) }

// reachedCount is how many of the sentinels (ourselves included) were reached within
// down-after at now.
func reachedCount(reached []time.Time, downAfter time.Duration, now time.Time) int {
	got := 1
	for _, t := range reached {
		if !now.After(t.Add(downAfter)) {
			got++
		}
	}
	return got
}

// peerReached is when we last had a sign of life from peer s about its master.
func peerReached(s *instance) time.Time {
	t := s.lastHello
	if l := s.link; l != nil && l.lastAvailTime.After(t) {
		t = l.lastAvailTime
	}
	return t
}

// reachTimes lists when each of m's peers was last reached (while refusing, by hellos
// only), in a buffer reused by the next call.
func (c *Core) reachTimes(m *master) []time.Time {
	c.reachBuf = c.reachBuf[:0]
	for _, s := range m.sentinelList() {
		t := s.lastHello
		if !m.minority {
			t = peerReached(s)
		}
		c.reachBuf = append(c.reachBuf, t)
	}
	return c.reachBuf
}

// checkMinority moves m in or out of the refusing state, with +minority and -minority.
func (c *Core) checkMinority(m *master) {
	if !c.cfg.MinorityRefuses && !m.minority {
		return
	}
	reached := c.reachTimes(m)
	until := vouchUntil(reached, m.voters(), m.downAfter())
	refusing := c.cfg.MinorityRefuses && refuses(until, c.now)
	if refusing != m.minority {
		m.minority = refusing
		c.touch(m)
		got, of := reachedCount(reached, m.downAfter(), c.now), m.voters()
		if refusing {
			c.emit(Warning, "+minority", &m.instance, fmt.Sprintf("#reached %d/%d, majority %d", got, of, of/2+1))
		} else {
			c.emit(Warning, "-minority", &m.instance, fmt.Sprintf("#reached %d/%d", got, of))
		}
	}
	// Queries judge by the published deadline, which only moves forward with replies that
	// change timers alone. Refresh it before it runs out, or a view a second old (the
	// driver republishes timers once a second) would refuse while peers answer.
	if v := m.view; c.cfg.MinorityRefuses && v != nil && !v.VouchUntil.Equal(until) &&
		v.VouchUntil.Sub(c.now) < m.downAfter()/2 {
		c.touch(m)
	}
}

// MinorityRefusal is the refusal of GET-MASTER-ADDR-BY-NAME for mv at now, judged from
// the view alone, if the sentinel refuses it (minority-refuses): the query reads the same
// rule the core applies (reachedCount), so the two never disagree.
func (v *View) MinorityRefusal(mv *MasterView, now time.Time) (string, bool) {
	if !v.Global.MinorityRefuses || !refuses(mv.VouchUntil, now) {
		return "", false
	}
	reached := make([]time.Time, len(mv.Sentinels))
	for i, s := range mv.Sentinels {
		reached[i] = s.LastHello
		if !mv.Minority && s.LastAvail.After(reached[i]) {
			reached[i] = s.LastAvail
		}
	}
	got, of := reachedCount(reached, mv.DownAfter, now), mv.Voters()
	return fmt.Sprintf(minorityErr, got, of, mv.Name, of/2+1), true
}
