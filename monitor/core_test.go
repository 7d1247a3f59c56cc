package monitor

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sentinel-go/sentinel/config"
	"github.com/sentinel-go/sentinel/internal/resp"
)

// memStore keeps saved configs in memory.
type memStore struct{ saved []*config.Config }

func (s *memStore) Save(c *config.Config) error { s.saved = append(s.saved, c); return nil }

// harness drives a Core with a hand-moved clock and records what it asks for: for the Go tests
// that reach into the core's fields. Scenarios that need only what leaves the core are
// interaction scripts (interaction_test.go, testdata/interaction).
type harness struct {
	t     *testing.T
	c     *Core
	store *memStore
	now   time.Time
	gens  map[string]uint64
	sends []Send
	evs   []Event
	links []LinkChange
	logs  []LogLine
}

const (
	myID   = "1111111111111111111111111111111111111111"
	peerID = "2222222222222222222222222222222222222222"
)

func newHarness(t *testing.T, conf string) *harness {
	t.Helper()
	cfg := config.Default()
	cfg.MyID = myID
	cfg.Port = 26379
	for line := range strings.SplitSeq(strings.TrimSpace(conf), "\n") {
		f := strings.Fields(line)
		switch f[0] {
		case "monitor":
			m := config.NewMaster(f[1], f[2], mustAtoi(t, f[3]), mustAtoi(t, f[4]))
			m.DownAfter = 1000 * time.Millisecond
			cfg.Masters = append(cfg.Masters, m)
		}
	}
	h := &harness{t: t, store: &memStore{}, now: time.Unix(1_800_000_000, 0), gens: map[string]uint64{}}
	c, err := New(cfg, h.store, rand.New(rand.NewPCG(1, 2)), h.now)
	if err != nil {
		t.Fatal(err)
	}
	h.c = c
	h.collect()
	return h
}

func mustAtoi(t *testing.T, s string) int {
	t.Helper()
	n, err := strconv.Atoi(s)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func (h *harness) collect() Ready {
	rd := h.c.Ready()
	h.sends = append(h.sends, rd.Sends...)
	h.evs = append(h.evs, rd.Events...)
	h.links = append(h.links, rd.Links...)
	h.logs = append(h.logs, rd.Logs...)
	return rd
}

func (h *harness) advance(d time.Duration) {
	h.now = h.now.Add(d)
	h.c.Tick(h.now)
	h.collect()
}

// up connects both links of addr.
func (h *harness) up(addr string) {
	h.gens[addr]++
	for _, k := range []LinkKind{CmdLink, PubSubLink} {
		h.c.Observe(h.now, LinkUp{Addr: addr, Kind: k, Gen: h.gens[addr], LocalIP: "127.0.0.1"})
	}
	h.collect()
}

// answer replies to every pending send to addr with fn's value.
func (h *harness) answer(addr string, fn func(s Send) Reply) {
	var keep []Send
	for _, s := range h.sends {
		if s.Addr != addr {
			keep = append(keep, s)
			continue
		}
		r := fn(s)
		r.Addr, r.Gen, r.Tag = s.Addr, s.Gen, s.Tag
		h.c.Observe(h.now, r)
	}
	h.sends = keep
	h.collect()
}

func pong(s Send) Reply {
	switch s.Tag.Kind {
	case TagPing:
		return Reply{Value: "PONG"}
	case TagInfo:
		return Reply{Value: "# Replication\r\nrole:master\r\nconnected_slaves:1\r\nslave0:ip=127.0.0.1,port=6380,state=online,offset=1,lag=0\r\nrun_id:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n"}
	}
	return Reply{Value: int64(1)}
}

func (h *harness) events() []string {
	var out []string
	for _, e := range h.evs {
		out = append(out, e.String())
	}
	h.evs = nil
	return out
}

func (h *harness) request(args ...string) string {
	var w resp.Writer
	h.c.Request(h.now, &w, args)
	h.collect()
	return string(w.Bytes())
}

func wantEvents(t *testing.T, got []string, want ...string) {
	t.Helper()
	if !slices.Equal(got, want) {
		t.Fatalf("events:\n got %q\nwant %q", got, want)
	}
}

// With resolve-hostnames a master may be configured by name: it is shown by IP (unless
// announce-hostnames), found by IP when a peer asks about it, and a hello naming its IP is
// not taken for a move.
func TestHostnamesResolvedForDisplayAndComparison(t *testing.T) {
	cfg := config.Default()
	cfg.MyID = myID
	cfg.ResolveHostnames = true
	cfg.Masters = []*config.Master{config.NewMaster("mymaster", "db.example", 6379, 2)}
	store := &memStore{}
	resolver := func(host string) (string, error) {
		if host == "db.example" {
			return "10.1.2.3", nil
		}
		return "", fmt.Errorf("no such host %s", host)
	}
	c, err := New(cfg, store, rand.New(rand.NewPCG(1, 2)), time.Unix(1_800_000_000, 0), WithResolver(resolver))
	if err != nil {
		t.Fatal(err)
	}
	rd := c.Ready()
	if got := rd.Events[0].String(); got != "+monitor master mymaster 10.1.2.3 6379 quorum 2" {
		t.Errorf("event %q", got)
	}
	h := &harness{t: t, c: c, store: store, now: time.Unix(1_800_000_000, 0), gens: map[string]uint64{}}
	if got := h.request("is-master-down-by-addr", "10.1.2.3", "6379", "0", "*"); got != "*3\r\n:0\r\n$1\r\n*\r\n:0\r\n" {
		t.Errorf("lookup by IP: %q", got)
	}
	h.c.Hello(h.now, "10.0.0.9,26380,"+peerID+",1,mymaster,10.1.2.3,6379,1")
	h.collect()
	for _, e := range h.events() {
		if strings.HasPrefix(e, "+switch-master") {
			t.Errorf("the same master by IP was taken for a move: %q", e)
		}
	}
	if got := query(h, "get-master-addr-by-name", "mymaster"); got != "*2\r\n$8\r\n10.1.2.3\r\n$4\r\n6379\r\n" {
		t.Errorf("GET-MASTER-ADDR-BY-NAME %q", got)
	}
	h.c.cfg.AnnounceHostnames = true
	h.c.touch(h.c.masters["mymaster"])
	if got := query(h, "get-master-addr-by-name", "mymaster"); got != "*2\r\n$10\r\ndb.example\r\n$4\r\n6379\r\n" {
		t.Errorf("with announce-hostnames: %q", got)
	}
}
