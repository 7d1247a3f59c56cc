package monitor

import (
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sentinel-go/sentinel/internal/resp"
)

const (
	gm  = "master mymaster 127.0.0.1 6379"
	gr2 = "slave 127.0.0.1:6381 127.0.0.1 6381 @ mymaster 127.0.0.1 6379"
)

// guardTopo is a master and two replicas holding keys, INFO with Keyspace sections, under one
// sentinel with quorum q.
func guardTopo(t *testing.T, q int, guard bool) *topo {
	t.Helper()
	r1 := &fakeRedis{port: 6380, priority: 100, offset: 5000, keys: 100, keyspace: true}
	r2 := &fakeRedis{port: 6381, priority: 100, offset: 5100, keys: 100, keyspace: true}
	tp := newTopo(t, q, r1, r2)
	tp.h.c.cfg.ProtectEmptyRestart = guard
	tp.nodes[0].keyspace, tp.nodes[0].keys, tp.nodes[0].offset = true, 100, 5100
	tp.run(11 * time.Second) // every instance answered an INFO with its keys
	tp.h.events()
	return tp
}

// restartEmpty is kill -9 and an immediate restart without persistence: the connections
// drop, the process answers again with a new run ID, no keys and offset 0, and the
// sentinel's transport reconnects.
func (tp *topo) restartEmpty(n *fakeRedis) {
	tp.kill(n)
	for _, r := range tp.nodes {
		if r.role == "slave" && r.masterPort == n.port {
			r.linkUp = false // a replica notices the broken link at once
		}
	}
	n.alive, n.runID, n.keys, n.offset = true, strings.Repeat("f", 40), 0, 0
	tp.h.up(n.addr())
	tp.serve()
}

// TestEmptyRestartFailsOver: with protect-empty-restart, a master back within down-after
// with a new run ID and no keys, while its replicas hold keys, is flagged and subjectively
// down at once, and the failover promotes the replica with the most data.
func TestEmptyRestartFailsOver(t *testing.T) {
	tp := guardTopo(t, 1, true)
	tp.restartEmpty(tp.nodes[0])
	// The INFO went out with the reconnection, not at the next INFO period.
	// With quorum 1 our own SDOWN is ODOWN, the election is ours, and the leader pauses the
	// empty master.
	first := tp.h.events()
	wantEvents(t, filterEvents(first, "+reboot", "+empty-restart", "+sdown", "+odown"),
		"+reboot "+gm, "+empty-restart "+gm+" #keys 0, had 100", "+sdown "+gm, "+odown "+gm+" #quorum 1/1")
	if !slices.ContainsFunc(tp.nodes[0].seen, func(c []string) bool { return slices.Equal(c, holdCmd) }) {
		t.Fatalf("the empty master was not paused: %q", tp.nodes[0].seen)
	}
	tp.run(3 * time.Second)
	// Fakes that answer at once let the whole failover run on the replies.
	evs := append(first, tp.h.events()...)
	wantEvents(t, filterEvents(evs, "+selected-slave", "+switch-master"),
		"+selected-slave "+gr2,
		"+switch-master mymaster 127.0.0.1 6379 127.0.0.1 6381")
	// The switch reset the master: the new one is not flagged, and up.
	m := tp.h.c.masters["mymaster"]
	if m.flags&(flagEmptyRestart|flagSDown) != 0 {
		t.Fatalf("new master flags %v", m.flags)
	}
	if strings.Contains(string(query(tp.h, "master", "mymaster")), "empty") {
		t.Fatal("the guard's flag is printed")
	}
}

var holdCmd = []string{"CLIENT", "PAUSE", "5000", "ALL"}

// TestEmptyRestartPausedByTheLeader: the empty master is paused by the failover's leader
// once it is elected, not before (the pause would hold back the peers' INFO too), and not
// by a sentinel that lost the election: each further pause would queue behind the first and
// extend it.
func TestEmptyRestartPausedByTheLeader(t *testing.T) {
	for _, tc := range []struct {
		vote         string // the peer's vote: ours, or its own
		odown, pause bool
	}{
		{myID, true, true},
		{strings.Repeat("0", 40), true, false},
	} {
		tp := guardTopo(t, 2, true)
		tp.h.c.Hello(tp.h.now, "127.0.0.1,26380,"+strings.Repeat("0", 40)+",0,mymaster,127.0.0.1,6379,0")
		tp.h.collect()
		tp.h.up("127.0.0.1:26380")
		tp.peer = func(s Send) Reply {
			if len(s.Args) > 5 && s.Args[1] == "is-master-down-by-addr" {
				if s.Args[5] == "*" {
					return Reply{Value: []any{int64(1), "*", int64(0)}}
				}
				e, _ := strconv.ParseInt(s.Args[4], 10, 64)
				return Reply{Value: []any{int64(1), tc.vote, e}}
			}
			return Reply{Value: "OK"}
		}
		tp.restartEmpty(tp.nodes[0])
		paused := func() bool {
			return slices.ContainsFunc(tp.nodes[0].seen, func(c []string) bool { return slices.Equal(c, holdCmd) })
		}
		if paused() {
			t.Fatal("paused before the election")
		}
		tp.run(3 * time.Second)
		evs := tp.h.events()
		if got := len(filterEvents(evs, "+odown")) > 0; got != tc.odown {
			t.Errorf("vote %.8s: odown %v", tc.vote, got)
		}
		if got := paused(); got != tc.pause {
			t.Errorf("vote %.8s: paused %v, want %v; events %q", tc.vote, got, tc.pause, evs)
		}
	}
}

// TestEmptyRestartDefaultIsRedis: without the guard the same restart is only a +reboot, as
// in redis-sentinel: no SDOWN, no failover (and the replicas resync from the empty master).
func TestEmptyRestartDefaultIsRedis(t *testing.T) {
	tp := guardTopo(t, 1, false)
	tp.restartEmpty(tp.nodes[0])
	tp.run(11 * time.Second) // the master's next INFO period
	evs := tp.h.events()
	if got := filterEvents(evs, "+empty-restart", "+sdown", "+odown", "+switch-master"); len(got) != 0 {
		t.Fatalf("events without the guard: %q", got)
	}
	if slices.ContainsFunc(tp.nodes[0].seen, func(c []string) bool { return c[0] == "CLIENT" }) {
		t.Fatalf("paused without the guard: %q", tp.nodes[0].seen)
	}
	wantEvents(t, filterEvents(evs, "+reboot"), "+reboot "+gm)
}

// TestEmptyRestartNeedsData: a group that held no keys loses nothing, a master that comes
// back with its keys (it loaded an RDB) is fine, one back with fewer is flagged, and a
// master still loading is not judged yet.
func TestEmptyRestartNeedsData(t *testing.T) {
	t.Run("no keys anywhere", func(t *testing.T) {
		tp := guardTopo(t, 1, true)
		for _, n := range tp.nodes {
			n.keys = 0
		}
		tp.run(11 * time.Second)
		tp.restartEmpty(tp.nodes[0])
		tp.run(2 * time.Second)
		if got := filterEvents(tp.h.events(), "+empty-restart", "+sdown"); len(got) != 0 {
			t.Fatalf("%q", got)
		}
	})
	t.Run("back with keys", func(t *testing.T) {
		tp := guardTopo(t, 1, true)
		m := tp.nodes[0]
		tp.kill(m)
		m.alive, m.runID = true, strings.Repeat("f", 40)
		tp.h.up(m.addr())
		tp.run(2 * time.Second)
		if got := filterEvents(tp.h.events(), "+empty-restart", "+sdown"); len(got) != 0 {
			t.Fatalf("%q", got)
		}
	})
	t.Run("back with fewer keys", func(t *testing.T) {
		// Clients holding the address wrote a few keys before our first INFO of it, or an
		// old RDB was loaded: the replicas would still resync down to it.
		tp := guardTopo(t, 1, true)
		m := tp.nodes[0]
		tp.kill(m)
		m.alive, m.runID, m.keys, m.offset = true, strings.Repeat("f", 40), 3, 120
		tp.h.up(m.addr())
		tp.serve()
		wantEvents(t, filterEvents(tp.h.events(), "+empty-restart", "+sdown"),
			"+empty-restart "+gm+" #keys 3, had 100", "+sdown "+gm)
	})
	t.Run("no keyspace section", func(t *testing.T) {
		tp := guardTopo(t, 1, true)
		tp.nodes[0].keyspace = false // a server whose INFO cannot tell
		tp.restartEmpty(tp.nodes[0])
		tp.run(2 * time.Second)
		if got := filterEvents(tp.h.events(), "+empty-restart", "+sdown"); len(got) != 0 {
			t.Fatalf("%q", got)
		}
	})
}

// TestEmptyRestartMoot: with no failover possible (quorum 2, no peer), the flag holds the
// master down until every replica reports it resynced from it; then nothing is left to
// protect, the flag goes (-empty-restart) and so does SDOWN.
func TestEmptyRestartMoot(t *testing.T) {
	tp := guardTopo(t, 2, true)
	m := tp.nodes[0]
	tp.restartEmpty(m)
	tp.run(2 * time.Second)
	wantEvents(t, filterEvents(tp.h.events(), "+empty-restart", "-empty-restart", "+sdown", "-sdown", "+odown"),
		"+empty-restart "+gm+" #keys 0, had 100", "+sdown "+gm)
	// One replica resynced: still held.
	tp.nodes[1].keys, tp.nodes[1].offset, tp.nodes[1].linkUp = 0, 10, true
	tp.run(11 * time.Second)
	if got := filterEvents(tp.h.events(), "-empty-restart", "-sdown"); len(got) != 0 {
		t.Fatalf("released with a replica still holding data: %q", got)
	}
	tp.nodes[2].keys, tp.nodes[2].offset, tp.nodes[2].linkUp = 0, 10, true
	tp.run(11 * time.Second)
	wantEvents(t, filterEvents(tp.h.events(), "-empty-restart", "-sdown"),
		"-empty-restart "+gm+" #replicas resynced", "-sdown "+gm)
}

// TestEmptyRestartAgreedByPeers: a peer that runs the guard answers is-master-down-by-addr
// with 1 for a master it flagged, so quorum 2 is reached from the restart alone.
func TestEmptyRestartAgreedByPeers(t *testing.T) {
	tp := guardTopo(t, 2, true)
	tp.restartEmpty(tp.nodes[0])
	got := tp.h.request("is-master-down-by-addr", "127.0.0.1", "6379", "0", "*")
	if got != "*3\r\n:1\r\n$1\r\n*\r\n:0\r\n" {
		t.Fatalf("is-master-down-by-addr after the empty restart: %q", got)
	}
	off := guardTopo(t, 2, false)
	off.restartEmpty(off.nodes[0])
	if got := off.h.request("is-master-down-by-addr", "127.0.0.1", "6379", "0", "*"); !strings.HasPrefix(got, "*3\r\n:0\r\n") {
		t.Fatalf("without the guard: %q", got)
	}
}

// TestNoMinReplicasWarning: a master with replicas and no min-replicas-to-write is reported
// once, with a log line saying what is lost and what prevents it; setting the option is
// reported once; replicas coming and going repeat nothing; a new master is judged anew.
func TestNoMinReplicasWarning(t *testing.T) {
	r1 := &fakeRedis{port: 6380, priority: 100, offset: 100}
	h := newHarness(t, "monitor mymaster 127.0.0.1 6379 1")
	h.c.masters["mymaster"].cfg.FailoverTimeout = 10 * time.Second
	m := &fakeRedis{port: 6379, role: "master", runID: strings.Repeat("a", 40), alive: true, replicas: []int{6380}}
	r1.role, r1.masterPort, r1.linkUp, r1.alive, r1.runID = "slave", 6379, true, true, strings.Repeat("b", 40)
	tp := &topo{h: h, nodes: []*fakeRedis{m, r1}}
	h.up(m.addr())
	step := tp.run
	step(time.Second)
	h.up(r1.addr())
	step(25 * time.Second) // three master INFO periods
	const warn = "+no-min-replicas " + gm + " #slaves 1"
	wantEvents(t, filterEvents(h.events(), "+no-min-replicas", "-no-min-replicas"), warn)
	logs := h.logs
	if len(logs) != 1 || logs[0].Level != Warning ||
		logs[0].Text != "master mymaster 127.0.0.1 6379 has replicas but no min-replicas-to-write: writes it acknowledges "+
			"while cut off with a minority of the sentinels are lost when the majority fails it over; "+
			"min-replicas-to-write 1 and min-replicas-max-lag 10 on the servers bound that loss to the lag" {
		t.Fatalf("logs %+v", logs)
	}
	m.replicas = nil // the replica drops away and comes back: nothing to repeat
	step(11 * time.Second)
	m.replicas = []int{6380}
	step(11 * time.Second)
	if got := filterEvents(h.events(), "+no-min-replicas", "-no-min-replicas"); len(got) != 0 {
		t.Fatalf("repeated: %q", got)
	}
	m.minRepl = true
	step(11 * time.Second)
	wantEvents(t, filterEvents(h.events(), "+no-min-replicas", "-no-min-replicas"), "-no-min-replicas "+gm)
	m.minRepl = false
	step(11 * time.Second)
	wantEvents(t, filterEvents(h.events(), "+no-min-replicas", "-no-min-replicas"), warn)
}

// TestProtectEmptyRestartConfig: SENTINEL CONFIG SET takes yes or no; GET answers to the
// exact name, and to a pattern only when on, so GET * with the defaults stays what
// redis-sentinel lists.
func TestProtectEmptyRestartConfig(t *testing.T) {
	h := newHarness(t, "monitor mymaster 127.0.0.1 6379 2")
	if got := h.request("config", "set", "protect-empty-restart", "maybe"); got != "-ERR Invalid value 'maybe' to SENTINEL CONFIG SET 'protect-empty-restart'\r\n" {
		t.Fatalf("bad value: %q", got)
	}
	if got := h.request("config", "set", "PROTECT-EMPTY-RESTART", "yes"); got != "+OK\r\n" || !h.c.cfg.ProtectEmptyRestart {
		t.Fatalf("set: %q", got)
	}
	if !h.store.saved[len(h.store.saved)-1].ProtectEmptyRestart {
		t.Fatal("not saved")
	}
	// The master's link is opened again, now with the fast reconnection.
	if l := h.c.links["127.0.0.1:6379"]; l == nil || !l.spec.FastReconnect {
		t.Fatalf("master link after SET yes: %+v", l)
	}
	if !slices.ContainsFunc(h.links, func(lc LinkChange) bool { return lc.Op == LinkOpen && lc.Spec.FastReconnect }) {
		t.Fatalf("no fast link opened: %+v", h.links)
	}
	var w resp.Writer
	configGet(h.c.View(), &w, "protect-empty-restart")
	if got := string(w.Bytes()); got != "*2\r\n$21\r\nprotect-empty-restart\r\n$3\r\nyes\r\n" {
		t.Errorf("GET protect-empty-restart: %q", got)
	}
	// On, a pattern lists it (as minority-refuses); off, only its exact name does, so
	// with the defaults GET * is what redis-sentinel lists.
	for _, on := range []bool{true, false} {
		h.request("config", "set", "protect-empty-restart", map[bool]string{true: "yes", false: "no"}[on])
		for _, p := range []string{"*", "protect-*"} {
			w.Reset()
			configGet(h.c.View(), &w, p)
			if listed := strings.Contains(string(w.Bytes()), "protect"); listed != on {
				t.Errorf("on %v: GET %s lists it %v: %q", on, p, listed, w.Bytes())
			}
		}
	}
}

// TestEmptyRestartRedialsCommandLink: with the guard, a master's broken Pub/Sub connection
// drops its command connection too, which alone would notice the dead server only at its
// next PING; without the guard nothing changes.
func TestEmptyRestartRedialsCommandLink(t *testing.T) {
	for _, guard := range []bool{true, false} {
		tp := guardTopo(t, 1, guard)
		addr := tp.nodes[0].addr()
		tp.h.links = nil
		tp.h.c.Observe(tp.h.now, LinkDown{Addr: addr, Kind: PubSubLink, Gen: tp.h.gens[addr]})
		tp.h.collect()
		redial := slices.ContainsFunc(tp.h.links, func(lc LinkChange) bool {
			return lc.Op == LinkReconnect && lc.Kind == CmdLink && lc.Spec.Addr == addr
		})
		if redial != guard {
			t.Errorf("guard %v: command link redialled %v (%+v)", guard, redial, tp.h.links)
		}
	}
}
