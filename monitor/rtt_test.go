package monitor

import (
	"testing"
	"time"
)

// TestPingRoundTrip: the view carries the round trip of the last PING answered, measured
// from its send to its reply, and pairs replies with PINGs in order when several are out.
func TestPingRoundTrip(t *testing.T) {
	h := newHarness(t, "monitor m 127.0.0.1 6379 1")
	h.up("127.0.0.1:6379")
	rtt := func() time.Duration { return h.c.View().Master("m").PingRTT }
	if got := rtt(); got != 0 {
		t.Fatalf("PingRTT before any reply = %v", got)
	}
	pings := func() (n int) {
		for _, s := range h.sends {
			if s.Tag.Kind == TagPing {
				n++
			}
		}
		return n
	}
	// Up to the first PING, then 30 ms until its reply.
	for i := 0; i < 20 && pings() == 0; i++ {
		h.advance(100 * time.Millisecond)
	}
	if pings() != 1 {
		t.Fatalf("%d PINGs out", pings())
	}
	h.now = h.now.Add(30 * time.Millisecond)
	h.answer("127.0.0.1:6379", pong)
	if got := rtt(); got != 30*time.Millisecond {
		t.Fatalf("PingRTT = %v, want 30ms", got)
	}

	// Two PINGs out, a ping period apart (the first unanswered): the first reply answers the
	// older one.
	for i := 0; i < 30 && pings() < 2; i++ {
		h.advance(100 * time.Millisecond)
	}
	if pings() < 2 {
		t.Fatalf("%d PINGs out after 3 s", pings())
	}
	l := h.c.masters["m"].link
	oldest := l.pingsOut[0]
	h.now = h.now.Add(5 * time.Millisecond)
	var keep []Send
	answered := false
	for _, s := range h.sends {
		if s.Tag.Kind == TagPing && !answered {
			h.c.Observe(h.now, Reply{Addr: s.Addr, Gen: s.Gen, Tag: s.Tag, Value: "PONG"})
			answered = true
			continue
		}
		keep = append(keep, s)
	}
	h.sends = keep
	h.collect()
	if got, want := rtt(), h.now.Sub(oldest); got != want {
		t.Fatalf("PingRTT = %v, want %v (the older PING's)", got, want)
	}
	if len(l.pingsOut) != pings() {
		t.Fatalf("%d PINGs timed, %d out", len(l.pingsOut), pings())
	}
}
