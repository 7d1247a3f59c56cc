package monitor

import (
	"testing"
	"time"
)

// TestRelinkIgnoresTheOldLinksNews: SENTINEL SET auth-pass closes a master's link and opens a
// new one at the same address, while the old link's goroutines may still be reporting. The
// old link had just dialled again (generation 2) when it was closed; the new link connects
// (generation 3) and only then does the old link's LinkUp arrive, followed by its LinkDown.
// Neither may touch the new connection: taken, the stale LinkUp replaced it, its LinkDown
// left the link down, and with the transport holding the new connection up nothing ever
// brought it back (issue #10, Build 5: a replica still disconnected after 50 s).
func TestRelinkIgnoresTheOldLinksNews(t *testing.T) {
	const addr = "127.0.0.1:6379"
	h := newHarness(t, "monitor mymaster 127.0.0.1 6379 2")
	m := h.c.masters["mymaster"]
	h.up(addr) // generation 1, authenticated with the old password or not: it is going
	for _, k := range []LinkKind{CmdLink, PubSubLink} {
		h.c.Observe(h.now, LinkDown{Addr: addr, Kind: k, Gen: 1, Err: "WRONGPASS"})
	}
	h.links = nil
	if got := h.request("set", "mymaster", "auth-pass", "new"); got != "+OK\r\n" {
		t.Fatalf("SENTINEL SET: %q", got)
	}
	if len(h.links) != 2 || h.links[0].Op != LinkClose || h.links[1].Op != LinkOpen || h.links[1].Spec.AuthPass != "new" {
		t.Fatalf("want the link closed and opened with the new password, got %+v", h.links)
	}
	h.sends = nil
	for _, k := range []LinkKind{CmdLink, PubSubLink} {
		h.c.Observe(h.now, LinkUp{Addr: addr, Kind: k, Gen: 3, LocalIP: "127.0.0.1"})
	}
	for _, k := range []LinkKind{CmdLink, PubSubLink} {
		h.c.Observe(h.now, LinkUp{Addr: addr, Kind: k, Gen: 2, LocalIP: "127.0.0.1"})
		h.c.Observe(h.now, LinkDown{Addr: addr, Kind: k, Gen: 2, Err: "context canceled"})
	}
	h.collect()
	if m.disconnected() {
		t.Fatalf("the new link is up, yet the master is disconnected (cmd %+v, pubsub %+v)", m.link.cmd, m.link.pubsub)
	}
	if m.link.cmd.gen != 3 || m.link.pubsub.gen != 3 {
		t.Fatalf("connections of generations %d and %d, want 3", m.link.cmd.gen, m.link.pubsub.gen)
	}
	for _, s := range h.sends {
		if s.Gen != 3 {
			t.Errorf("%v sent on generation %d, which the transport drops", s.Args, s.Gen)
		}
	}
	if len(h.sends) == 0 {
		t.Fatal("no PING on the new connection")
	}
}

// TestRelinkKeepsTheDownState: SENTINEL SET auth-pass drops the connections, not what they
// told us. redis-sentinel's dropInstanceConnections keeps the link and its timers, so a
// master that stopped answering stays SDOWN, and a SET repeated every few seconds cannot hold
// off its failover. Ours made new links with fresh timers: -sdown right after the SET, and
// SDOWN again only a down-after later (found by the simulation's relink fault).
func TestRelinkKeepsTheDownState(t *testing.T) {
	const addr = "127.0.0.1:6379"
	h := newHarness(t, "monitor mymaster 127.0.0.1 6379 2")
	h.up(addr)
	h.answer(addr, pong)
	for range 25 { // no reply for 2.5 s: SDOWN after the 1 s ping period and 1 s down-after
		h.advance(100 * time.Millisecond)
		h.sends = nil
	}
	h.events()
	if m := h.c.masters["mymaster"]; m.flags&flagSDown == 0 {
		t.Fatalf("the silent master is not SDOWN: %s", m.flags)
	}
	if got := h.request("set", "mymaster", "auth-pass", "new"); got != "+OK\r\n" {
		t.Fatalf("SENTINEL SET: %q", got)
	}
	for range 5 { // the new connection is not made: the master is still silent
		h.advance(100 * time.Millisecond)
		h.sends = nil
	}
	wantEvents(t, h.events(), "+set master mymaster 127.0.0.1 6379 auth-pass ******")
	// It answers on the new connection: only now does it come back.
	h.c.Observe(h.now, LinkUp{Addr: addr, Kind: CmdLink, Gen: 2, LocalIP: "127.0.0.1"})
	h.c.Observe(h.now, LinkUp{Addr: addr, Kind: PubSubLink, Gen: 2, LocalIP: "127.0.0.1"})
	h.collect()
	h.answer(addr, pong)
	h.advance(100 * time.Millisecond)
	wantEvents(t, h.events(), "-sdown master mymaster 127.0.0.1 6379")
}

// TestSentinelPassRelinksPeersKeepingTimers: SENTINEL CONFIG SET sentinel-pass reopens each
// peer's link once with the new credentials, as the auth-pass change reopens instances',
// and keeps what the old connections told us: a peer that has been silent stays as silent
// as it was, instead of starting a fresh down-after.
func TestSentinelPassRelinksPeersKeepingTimers(t *testing.T) {
	const peer = "127.0.0.1:26380"
	h := newHarness(t, "monitor mymaster 127.0.0.1 6379 2\nmonitor other 127.0.0.1 6390 2")
	for _, m := range []string{"mymaster,127.0.0.1,6379", "other,127.0.0.1,6390"} {
		h.c.Hello(h.now, "127.0.0.1,26380,"+peerID+",0,"+m+",0")
	}
	h.collect()
	l := h.c.links[peer]
	if l == nil || l.refcount != 2 {
		t.Fatalf("want one peer link shared by both masters, got %+v", l)
	}
	h.advance(3 * time.Second) // the peer never answers
	avail := l.lastAvailTime
	h.links = nil
	if got := h.request("config", "set", "sentinel-pass", "secret"); got != "+OK\r\n" {
		t.Fatalf("CONFIG SET: %q", got)
	}
	var closes, opens int
	for _, lc := range h.links {
		if lc.Spec.Addr != peer {
			continue
		}
		switch lc.Op {
		case LinkClose:
			closes++
		case LinkOpen:
			opens++
			if lc.Spec.AuthPass != "secret" {
				t.Errorf("reopened with password %q", lc.Spec.AuthPass)
			}
		}
	}
	if closes != 1 || opens != 1 {
		t.Fatalf("peer link closed %d and opened %d times, want once each: %+v", closes, opens, h.links)
	}
	if got := h.c.links[peer]; got != l || !got.lastAvailTime.Equal(avail) || got.refcount != 2 {
		t.Fatalf("the link or its timers were replaced: %+v (last reply was %v)", got, avail)
	}
}
