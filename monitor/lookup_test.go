package monitor

import (
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sentinel-go/sentinel/config"
)

// A hostname is resolved off the core: its first use asks once (however often it is used
// while the question is out), the name stands unresolved meanwhile, the answer updates the
// views and comparisons, and a new connection to the name asks again while the old answer
// stands.
func TestHostnameLookups(t *testing.T) {
	h, c := hostnameCore(t, "db.example")
	ask := []Lookup{{Kind: LookupHost, Name: "db.example"}}
	rd := c.Ready()
	if !slices.Equal(rd.Lookups, ask) {
		t.Fatalf("first Ready asks %v, want %v", rd.Lookups, ask)
	}
	if got := rd.Events[0].String(); got != "+monitor master mymaster db.example 6379 quorum 2" {
		t.Errorf("unresolved meanwhile: %q", got)
	}
	c.Advance()
	ip := func() string { return c.View().Master("mymaster").CurrentIP }
	if got := ip(); got != "db.example" {
		t.Errorf("view before the answer: %q", got)
	}
	if c.masterAt(config.Addr{Host: "10.1.2.3", Port: 6379}) != nil {
		t.Errorf("found by an IP nobody answered")
	}
	h.advance(100 * time.Millisecond)
	if rd := c.Ready(); len(rd.Lookups) != 0 {
		t.Fatalf("asked again while the question is out: %v", rd.Lookups)
	}

	c.Observe(h.now, LookupResult{Lookup: ask[0], OK: true, IP: "10.1.2.3"})
	if got := ip(); got != "10.1.2.3" {
		t.Errorf("view after the answer: %q", got)
	}
	if c.masterAt(config.Addr{Host: "10.1.2.3", Port: 6379}) == nil {
		t.Errorf("not found by its IP after the answer")
	}
	h.advance(100 * time.Millisecond)
	if rd := c.Ready(); len(rd.Lookups) != 0 {
		t.Fatalf("asked again with an answer: %v", rd.Lookups)
	}

	// A new connection: ask again, keep showing the old answer until the new one.
	h.gens["db.example:6379"]++
	c.Observe(h.now, LinkUp{Addr: "db.example:6379", Kind: CmdLink, Gen: h.gens["db.example:6379"], LocalIP: "127.0.0.1"})
	c.Observe(h.now, LinkUp{Addr: "db.example:6379", Kind: PubSubLink, Gen: h.gens["db.example:6379"]})
	if rd := h.collect(); !slices.Equal(rd.Lookups, ask) {
		t.Fatalf("a new connection asks %v, want %v", rd.Lookups, ask)
	}
	if got := ip(); got != "10.1.2.3" {
		t.Errorf("the old answer stands meanwhile: %q", got)
	}
	c.Observe(h.now, LookupResult{Lookup: ask[0], OK: true, IP: "10.9.9.9"})
	if got := ip(); got != "10.9.9.9" {
		t.Errorf("the name moved: %q", got)
	}

	// A failed answer leaves the name as written, as an unresolvable name always was.
	h.gens["db.example:6379"]++
	c.Observe(h.now, LinkUp{Addr: "db.example:6379", Kind: CmdLink, Gen: h.gens["db.example:6379"], LocalIP: "127.0.0.1"})
	h.collect()
	c.Observe(h.now, LookupResult{Lookup: ask[0], Err: "no such host"})
	if got := ip(); got != "db.example" {
		t.Errorf("after a failed lookup: %q", got)
	}
	// An answer nobody asked for changes nothing.
	c.Observe(h.now, LookupResult{Lookup: Lookup{Kind: LookupHost, Name: "other.example"}, OK: true, IP: "10.0.0.1"})
	if _, ok := c.hosts["other.example"]; ok {
		t.Errorf("an unasked answer was kept")
	}
}

// hostnameCore is a core with resolve-hostnames monitoring mymaster at host:6379.
func hostnameCore(t *testing.T, host string, opts ...Option) (*harness, *Core) {
	t.Helper()
	cfg := config.Default()
	cfg.MyID = myID
	cfg.ResolveHostnames = true
	cfg.Masters = []*config.Master{config.NewMaster("mymaster", host, 6379, 2)}
	h := &harness{t: t, store: &memStore{}, now: time.Unix(1_800_000_000, 0), gens: map[string]uint64{}}
	c, err := New(cfg, rand.New(rand.NewPCG(1, 2)), h.now, opts...)
	if err != nil {
		t.Fatal(err)
	}
	h.c = c
	return h, c
}

// A Lookup asked between Ready and Advance (a View built by the driver while it carries a
// Ready out) is not lost: the next Ready hands it out.
func TestLookupAskedBetweenReadyAndAdvance(t *testing.T) {
	cfg := config.Default()
	cfg.MyID = myID
	cfg.Masters = []*config.Master{config.NewMaster("mymaster", "127.0.0.1", 6379, 2)}
	c, err := New(cfg, rand.New(rand.NewPCG(1, 2)), time.Unix(1_800_000_000, 0))
	if err != nil {
		t.Fatal(err)
	}
	rd := c.Ready()
	if len(rd.Lookups) != 0 {
		t.Fatalf("asked %v", rd.Lookups)
	}
	_ = c.announceHost(config.Addr{Host: "late.example", Port: 1})
	c.Advance()
	if !c.HasReady() {
		t.Fatal("HasReady false with a question pending")
	}
	if rd := c.Ready(); !slices.Equal(rd.Lookups, []Lookup{{Kind: LookupHost, Name: "late.example"}}) {
		t.Fatalf("next Ready asks %v", rd.Lookups)
	}
}

// SENTINEL SET of a script path is parked until the path is checked off the core: nothing of
// it is applied meanwhile; the answer finishes it with Redis's replies, a bad path leaving
// what came before it applied and saved, as in Redis.
func TestSetScriptWaitsForCheck(t *testing.T) {
	h := newHarness(t, "monitor mymaster 127.0.0.1 6379 2")
	h.c.cfg.DenyScriptsReconfig = false // Redis's default is yes
	h.events()
	notify := Lookup{Kind: LookupExecutable, Name: "/opt/notify.sh"}
	reconf := Lookup{Kind: LookupExecutable, Name: "/opt/reconf.sh"}
	ok := func(l Lookup) LookupResult { return LookupResult{Lookup: l, OK: true} }
	bad := func(l Lookup) LookupResult { return LookupResult{Lookup: l, Err: "no such file"} }
	for _, tc := range []struct {
		args    []string
		asks    []Lookup
		answers []LookupResult
		reply   string
		quorum  int
		events  []string
	}{
		{
			args: []string{"set", "mymaster", "notification-script", "/opt/notify.sh"}, asks: []Lookup{notify},
			answers: []LookupResult{ok(notify)}, reply: "+OK\r\n", quorum: 2,
			events: []string{"+set master mymaster 127.0.0.1 6379 notification-script /opt/notify.sh"},
		},
		{
			args: []string{"set", "mymaster", "quorum", "3", "client-reconfig-script", "/opt/reconf.sh"}, asks: []Lookup{reconf},
			answers: []LookupResult{bad(reconf)}, reply: "-ERR Client reconfiguration script seems non existing or non executable\r\n", quorum: 3,
			events: []string{"+set master mymaster 127.0.0.1 6379 quorum 3"},
		},
		{
			args: []string{"set", "mymaster", "notification-script", "/opt/reconf.sh", "client-reconfig-script", "/opt/notify.sh", "quorum", "1"},
			asks: []Lookup{reconf, notify}, answers: []LookupResult{ok(notify), bad(reconf)},
			reply: "-ERR Notification script seems non existing or non executable\r\n", quorum: 3,
		},
	} {
		h.c.Request(h.now, 9, tc.args)
		rd := h.collect()
		if len(rd.Responses) != 0 || !slices.Equal(rd.Lookups, tc.asks) || rd.State != nil || len(h.events()) != 0 {
			t.Fatalf("%q parked: answers %v, asks %v, state %v", tc.args, rd.Responses, rd.Lookups, rd.State != nil)
		}
		for i, a := range tc.answers {
			h.c.Observe(h.now, a)
			rd = h.collect()
			if i < len(tc.answers)-1 && len(rd.Responses) != 0 {
				t.Fatalf("%q answered before its last check: %v", tc.args, rd.Responses)
			}
		}
		if got := h.answer1(rd); got != tc.reply {
			t.Errorf("%q: %q, want %q", tc.args, got, tc.reply)
		}
		if rd.Responses[0].ID != 9 {
			t.Errorf("answered under ID %d", rd.Responses[0].ID)
		}
		if q := h.c.masters["mymaster"].cfg.Quorum; q != tc.quorum {
			t.Errorf("%q: quorum %d, want %d", tc.args, q, tc.quorum)
		}
		if got := h.events(); !slices.Equal(got, tc.events) {
			t.Errorf("%q: events %q, want %q", tc.args, got, tc.events)
		}
	}
	if mc := h.store.saved[len(h.store.saved)-1].Master("mymaster"); mc.NotificationScript != "/opt/notify.sh" || mc.Quorum != 3 {
		t.Errorf("saved script %q quorum %d", mc.NotificationScript, mc.Quorum)
	}

	// Clearing a script, a denied change and an unknown master need no check.
	for args, want := range map[string]string{
		"set mymaster notification-script ": "+OK\r\n",
		"set nosuch notification-script /x": "-ERR No such master with that name\r\n",
	} {
		if got := h.request(strings.Split(args, " ")...); got != want {
			t.Errorf("%q: %q, want %q", args, got, want)
		}
	}
	h.c.cfg.DenyScriptsReconfig = true
	if got := h.request("set", "mymaster", "notification-script", "/opt/notify.sh"); !strings.HasPrefix(got, "-ERR Reconfiguration of scripts path is denied") {
		t.Errorf("denied: %q", got)
	}
}

// Two requests waiting for the same check ask once and are answered together, in order.
func TestParkedRequestsShareALookup(t *testing.T) {
	h := newHarness(t, "monitor mymaster 127.0.0.1 6379 2")
	h.c.cfg.DenyScriptsReconfig = false
	l := Lookup{Kind: LookupExecutable, Name: "/opt/notify.sh"}
	h.c.Request(h.now, 1, []string{"set", "mymaster", "notification-script", l.Name})
	h.c.Request(h.now, 2, []string{"set", "mymaster", "client-reconfig-script", l.Name})
	if rd := h.collect(); !slices.Equal(rd.Lookups, []Lookup{l}) || len(rd.Responses) != 0 {
		t.Fatalf("asks %v, answers %v", rd.Lookups, rd.Responses)
	}
	h.c.Observe(h.now, LookupResult{Lookup: l, OK: true})
	rd := h.collect()
	if len(rd.Responses) != 2 || rd.Responses[0].ID != 1 || rd.Responses[1].ID != 2 || !rd.Responses[0].Durable || rd.State == nil {
		t.Fatalf("answers %+v, state %v", rd.Responses, rd.State != nil)
	}
}

// SENTINEL MONITOR by hostname resolves it first: the +monitor event and the view show the
// IP, as when the core resolved inline.
func TestMonitorHostnameWaitsForLookup(t *testing.T) {
	h := newHarness(t, "monitor mymaster 127.0.0.1 6379 2")
	h.c.cfg.ResolveHostnames = true
	h.events()
	h.c.Request(h.now, 5, []string{"monitor", "m2", "db.example", "6380", "2"})
	l := Lookup{Kind: LookupHost, Name: "db.example"}
	if rd := h.collect(); !slices.Equal(rd.Lookups, []Lookup{l}) || len(rd.Responses) != 0 || h.c.masters["m2"] != nil {
		t.Fatalf("parked: asks %v, answers %v", rd.Lookups, rd.Responses)
	}
	h.c.Observe(h.now, LookupResult{Lookup: l, OK: true, IP: "10.1.2.3"})
	if got := h.answer1(h.collect()); got != "+OK\r\n" {
		t.Errorf("MONITOR: %q", got)
	}
	wantEvents(t, h.events(), "+monitor master m2 10.1.2.3 6380 quorum 2")
	// The name is known now: a second master by it runs at once.
	if got := h.request("monitor", "m3", "db.example", "6381", "2"); got != "+OK\r\n" {
		t.Errorf("second MONITOR: %q", got)
	}
	// A name that does not resolve is refused, as redis-sentinel 7.0.15 refuses it.
	h.c.Request(h.now, 6, []string{"monitor", "m4", "nosuch.example", "6382", "2"})
	h.collect()
	h.c.Observe(h.now, LookupResult{Lookup: Lookup{Kind: LookupHost, Name: "nosuch.example"}, Err: "no such host"})
	if got := h.answer1(h.collect()); got != "-ERR Invalid IP address or hostname specified\r\n" || h.c.masters["m4"] != nil {
		t.Errorf("MONITOR of an unresolvable name: %q", got)
	}
}

// A name in use is asked again every hostRecheckPeriod while its links stay up, and when it
// moved the links made before the question are dropped and dialed again (to the new
// address), keeping their timers: no +sdown, no failover, and the view shows the new IP.
// Redis re-resolves only at reconnection and so keeps talking to the old address.
func TestMovedHostnameIsFollowed(t *testing.T) {
	h, c := hostnameCore(t, "m.test", WithHosts(map[string]string{"m.test": "127.0.0.2"}))
	h.collect()
	h.up("m.test:6379")
	ask := Lookup{Kind: LookupHost, Name: "m.test"}
	c.Observe(h.now, LookupResult{Lookup: ask, OK: true, IP: "127.0.0.2"}) // the connection's reresolve
	h.collect()
	lookups := func(d time.Duration) []Lookup {
		h.now = h.now.Add(d)
		c.Tick(h.now)
		return h.collect().Lookups
	}
	if got := lookups(hostRecheckPeriod - time.Millisecond); len(got) != 0 {
		t.Fatalf("asked before the period: %v", got)
	}
	if got := lookups(time.Millisecond); !slices.Equal(got, []Lookup{ask}) {
		t.Fatalf("after the period asks %v, want %v", got, []Lookup{ask})
	}
	if got := lookups(time.Second); len(got) != 0 {
		t.Fatalf("asked again while the question is out: %v", got)
	}

	// The same answer: nothing is dropped.
	h.links = nil
	c.Observe(h.now, LookupResult{Lookup: ask, OK: true, IP: "127.0.0.2"})
	h.collect()
	if len(h.links) != 0 {
		t.Fatalf("an unchanged answer changed links: %v", h.links)
	}

	// Moved: the link is closed and opened again, once.
	lookups(hostRecheckPeriod)
	c.Observe(h.now, LookupResult{Lookup: ask, OK: true, IP: "127.0.0.3"})
	h.collect()
	want := []LinkOp{LinkClose, LinkOpen}
	var ops []LinkOp
	for _, l := range h.links {
		if l.Spec.Addr != "m.test:6379" {
			t.Errorf("link change for %s", l.Spec.Addr)
		}
		ops = append(ops, l.Op)
	}
	if !slices.Equal(ops, want) {
		t.Fatalf("link changes %v, want %v", ops, want)
	}
	if got := c.View().Master("mymaster").CurrentIP; got != "127.0.0.3" {
		t.Errorf("view after the move: %q", got)
	}

	// The reconnection asks again (reresolve); its answer, the same new IP, drops nothing,
	// and neither would a different one for a connection made after the question.
	h.links = nil
	h.up("m.test:6379")
	c.Observe(h.now, LookupResult{Lookup: ask, OK: true, IP: "127.0.0.3"})
	h.collect()
	if len(h.links) != 0 {
		t.Fatalf("the fresh connection was dropped: %v", h.links)
	}
	// A failed recheck (a DNS blip) keeps the connection too.
	lookups(hostRecheckPeriod)
	c.Observe(h.now, LookupResult{Lookup: ask, Err: "no such host"})
	h.collect()
	if len(h.links) != 0 {
		t.Fatalf("a failed lookup dropped links: %v", h.links)
	}
	for _, e := range h.evs {
		if s := e.String(); strings.HasPrefix(s, "+sdown") || strings.HasPrefix(s, "+odown") || strings.HasPrefix(s, "+switch-master") {
			t.Errorf("the move raised %q", s)
		}
	}
}
