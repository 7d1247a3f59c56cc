package monitor

import (
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/sentinel-go/sentinel/config"
)

// A hostname is resolved off the core: its first use asks once (however often it is used
// while the question is out), the name stands unresolved meanwhile, the answer updates the
// views and comparisons, and a new connection to the name asks again while the old answer
// stands.
func TestHostnameLookups(t *testing.T) {
	cfg := config.Default()
	cfg.MyID = myID
	cfg.ResolveHostnames = true
	cfg.Masters = []*config.Master{config.NewMaster("mymaster", "db.example", 6379, 2)}
	h := &harness{t: t, store: &memStore{}, now: time.Unix(1_800_000_000, 0), gens: map[string]uint64{}}
	c, err := New(cfg, rand.New(rand.NewPCG(1, 2)), h.now)
	if err != nil {
		t.Fatal(err)
	}
	h.c = c
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
