package sim

import "time"

// The simulation is one goroutine working through a queue of timed actions: a tick of a
// sentinel, the arrival of a message, a connection completing, a fault. Actions at the
// same instant run in the order they were scheduled (seq), so a run depends on the seed
// alone, never on map order or on the Go scheduler.

type action struct {
	at  time.Time
	seq uint64
	fn  func()
}

// agenda is a binary min-heap of actions ordered by (at, seq). It is hand-rolled rather
// than container/heap so actions stay values (no interface boxing per message).
type agenda []action

func (a action) before(b action) bool {
	if !a.at.Equal(b.at) {
		return a.at.Before(b.at)
	}
	return a.seq < b.seq
}

func (q *agenda) push(x action) {
	*q = append(*q, x)
	h := *q
	for i := len(h) - 1; i > 0; {
		p := (i - 1) / 2
		if !h[i].before(h[p]) {
			break
		}
		h[i], h[p] = h[p], h[i]
		i = p
	}
}

func (q *agenda) pop() action {
	h := *q
	top := h[0]
	last := len(h) - 1
	h[0] = h[last]
	h[last] = action{}
	h = h[:last]
	for i := 0; ; {
		l, r, m := 2*i+1, 2*i+2, i
		if l < len(h) && h[l].before(h[m]) {
			m = l
		}
		if r < len(h) && h[r].before(h[m]) {
			m = r
		}
		if m == i {
			break
		}
		h[i], h[m] = h[m], h[i]
		i = m
	}
	*q = h
	return top
}

// at schedules fn at t (never in the past: a late time runs now, after what is queued).
func (s *Sim) at(t time.Time, fn func()) {
	if t.Before(s.now) {
		t = s.now
	}
	s.seq++
	s.agenda.push(action{at: t, seq: s.seq, fn: fn})
}

// after schedules fn d from now.
func (s *Sim) after(d time.Duration, fn func()) { s.at(s.now.Add(d), fn) }

// RunUntil works through the agenda up to t (inclusive) and leaves the clock at t. It stops
// early at the first invariant violation; Err reports it.
func (s *Sim) RunUntil(t time.Time) {
	for len(s.agenda) > 0 && s.err == nil && !s.agenda[0].at.After(t) {
		a := s.agenda.pop()
		s.now = a.at
		s.stats.Steps++
		a.fn()
	}
	if s.err == nil && s.now.Before(t) {
		s.now = t
	}
}

// Advance runs the simulation for d of virtual time.
func (s *Sim) Advance(d time.Duration) { s.RunUntil(s.now.Add(d)) }

// Now is the virtual time.
func (s *Sim) Now() time.Time { return s.now }
