package monitor

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/sentinel-go/sentinel/config"
	"github.com/sentinel-go/sentinel/internal/resp"
)

const masterAddr = "127.0.0.1:6379"

// minority is a sentinel with minority-refuses on, down-after 1 s, and peers known from
// its config at 127.0.0.1:26380 and up; each tick every live peer answers its PINGs, and
// every 2 s it sends its hello.
type minority struct {
	*harness
	peers  []string
	alive  map[string]bool
	pong   map[string]time.Time // when each peer's last PONG was delivered
	helloT map[string]time.Time
}

func newMinority(t *testing.T, peers int, on bool) *minority {
	t.Helper()
	cfg := config.Default()
	cfg.MyID, cfg.Port, cfg.MinorityRefuses = myID, 26379, on
	m := config.NewMaster("mymaster", "127.0.0.1", 6379, 2)
	m.DownAfter = time.Second
	x := &minority{alive: map[string]bool{masterAddr: true}, pong: map[string]time.Time{}, helloT: map[string]time.Time{}}
	for i := range peers {
		port := 26380 + i
		m.KnownSentinels = append(m.KnownSentinels, config.KnownSentinel{
			Addr: config.Addr{Host: "127.0.0.1", Port: port}, RunID: strings.Repeat(fmt.Sprint(i+2), 40)})
		x.peers = append(x.peers, fmt.Sprintf("127.0.0.1:%d", port))
	}
	cfg.Masters = append(cfg.Masters, m)
	h := &harness{t: t, store: &memStore{}, now: time.Unix(1_800_000_000, 0), gens: map[string]uint64{}}
	c, err := New(cfg, rand.New(rand.NewPCG(1, 2)), h.now)
	if err != nil {
		t.Fatal(err)
	}
	h.c = c
	h.collect()
	x.harness = h
	h.up(masterAddr)
	for _, p := range x.peers {
		h.up(p)
		x.alive[p] = true
	}
	x.answerLive()
	h.events()
	return x
}

func (x *minority) answerLive() {
	for _, a := range append([]string{masterAddr}, x.peers...) {
		if x.alive[a] {
			x.answer(a, func(s Send) Reply {
				if s.Tag.Kind == TagPing && a != masterAddr {
					x.pong[a] = x.now
				}
				return pong(s)
			})
		}
	}
}

// run ticks every 100 ms for d, live peers answering and sending hellos.
func (x *minority) run(d time.Duration) {
	for end := x.now.Add(d); x.now.Before(end); {
		x.advance(100 * time.Millisecond)
		x.answerLive()
		for i, p := range x.peers {
			if x.alive[p] && x.now.Sub(x.helloT[p]) >= 2*time.Second {
				x.hello(i)
			}
		}
	}
}

// hello delivers peer i's hello about the master.
func (x *minority) hello(i int) {
	x.helloT[x.peers[i]] = x.now
	x.c.Hello(x.now, fmt.Sprintf("127.0.0.1,%d,%s,0,mymaster,127.0.0.1,6379,0", 26380+i, strings.Repeat(fmt.Sprint(i+2), 40)))
	x.collect()
}

// stop cuts peers off: they answer nothing from now on.
func (x *minority) stop(peers ...int) {
	for _, i := range peers {
		x.alive[x.peers[i]] = false
	}
}

// back reconnects a peer (its old connection may have been recycled) and delivers its
// PONG, not yet its hello.
func (x *minority) back(i int) {
	x.alive[x.peers[i]] = true
	x.up(x.peers[i])
	x.answerLive()
}

// minorityEvents are the +minority and -minority events since the last call.
func (x *minority) minorityEvents() []string {
	var out []string
	for _, e := range x.events() {
		if strings.HasPrefix(e, "+minority") || strings.HasPrefix(e, "-minority") {
			out = append(out, e)
		}
	}
	return out
}

// addrAt is GET-MASTER-ADDR-BY-NAME at t from the view of the last step.
func (x *minority) addrAt(t time.Time) string {
	now := x.now
	x.now = t
	defer func() { x.now = now }()
	return query(x.harness, "get-master-addr-by-name", "mymaster")
}

const (
	addrReply = "*2\r\n$9\r\n127.0.0.1\r\n$4\r\n6379\r\n"
	refusal3  = "-NOQUORUM this sentinel reached 1 of the 3 sentinels of 'mymaster' within down-after-milliseconds (a majority is 2): ask another sentinel\r\n"
)

func (x *minority) lastPong() time.Time {
	var last time.Time
	for _, t := range x.pong {
		if t.After(last) {
			last = t
		}
	}
	return last
}

// TestMinorityEntersAfterDownAfter: with both peers silent, the answer is the address
// until down-after has passed since the last PONG, then the refusal; +minority follows at
// the next tick, once.
func TestMinorityEntersAfterDownAfter(t *testing.T) {
	x := newMinority(t, 2, true)
	x.run(3 * time.Second)
	if got := x.addrAt(x.now); got != addrReply {
		t.Fatalf("all peers answering: %q", got)
	}
	x.stop(0, 1)
	last := x.lastPong()
	x.run(500 * time.Millisecond)
	if got := x.addrAt(last.Add(time.Second)); got != addrReply {
		t.Errorf("exactly down-after after the last PONG: %q, want the address", got)
	}
	if got := x.addrAt(last.Add(time.Second + time.Millisecond)); got != refusal3 {
		t.Errorf("just past down-after: %q, want %q", got, refusal3)
	}
	if ev := x.minorityEvents(); len(ev) != 0 {
		t.Fatalf("events before down-after: %q", ev)
	}
	x.run(time.Second)
	wantEvents(t, x.minorityEvents(), "+minority master mymaster 127.0.0.1 6379 #reached 1/3, majority 2")
	x.run(5 * time.Second)
	if ev := x.minorityEvents(); len(ev) != 0 {
		t.Fatalf("events while still cut off: %q", ev)
	}
	if got := x.addrAt(x.now); got != refusal3 {
		t.Errorf("cut off: %q", got)
	}
}

// TestMinorityLeavesAtOnce: once refusing, a PONG is not enough (the peer's hello carries
// the config a failover may have changed meanwhile); the hello that makes a majority
// again ends the refusal in its own step, without waiting for a tick.
func TestMinorityLeavesAtOnce(t *testing.T) {
	x := newMinority(t, 2, true)
	x.run(2 * time.Second)
	x.stop(0, 1)
	x.run(3 * time.Second)
	wantEvents(t, x.minorityEvents(), "+minority master mymaster 127.0.0.1 6379 #reached 1/3, majority 2")
	x.back(1)
	for range 5 { // ticks and PONGs, no hello
		x.advance(100 * time.Millisecond)
		x.answerLive()
	}
	if ev := x.minorityEvents(); len(ev) != 0 {
		t.Fatalf("after a PONG: %q", ev)
	}
	if got := x.addrAt(x.now); got != refusal3 {
		t.Errorf("after a PONG: %q", got)
	}
	x.hello(1)
	wantEvents(t, x.minorityEvents(), "-minority master mymaster 127.0.0.1 6379 #reached 2/3")
	if got := x.addrAt(x.now); got != addrReply {
		t.Errorf("majority back: %q", got)
	}
}

// TestMinorityHello: a hello about the master counts as reaching its sender.
func TestMinorityHello(t *testing.T) {
	x := newMinority(t, 2, true)
	x.run(2 * time.Second)
	x.stop(0, 1)
	x.run(3 * time.Second)
	x.minorityEvents()
	x.c.Hello(x.now, "127.0.0.1,26381,"+strings.Repeat("3", 40)+",0,mymaster,127.0.0.1,6379,0")
	x.collect()
	wantEvents(t, x.minorityEvents(), "-minority master mymaster 127.0.0.1 6379 #reached 2/3")
}

// TestMinorityOff: off, nothing is refused or reported; CONFIG SET turns it on and off at
// once, and CONFIG GET lists it when named or when on.
func TestMinorityOff(t *testing.T) {
	x := newMinority(t, 2, false)
	x.run(2 * time.Second)
	x.stop(0, 1)
	x.run(3 * time.Second)
	if ev := x.minorityEvents(); len(ev) != 0 {
		t.Fatalf("off: %q", ev)
	}
	if got := x.addrAt(x.now); got != addrReply {
		t.Errorf("off: %q", got)
	}
	configGet := func(pattern string) string {
		var w resp.Writer
		configGet(x.c.View(), &w, pattern)
		return string(w.Bytes())
	}
	configGetAll := func() string { return configGet("*") }
	if got := configGetAll(); strings.Contains(got, "minority") {
		t.Errorf("CONFIG GET * with the option off lists it: %q", got)
	}
	if got := configGet("MINORITY-refuses"); got != "*2\r\n$16\r\nminority-refuses\r\n$2\r\nno\r\n" {
		t.Errorf("CONFIG GET minority-refuses: %q", got)
	}
	if got := x.request("config", "set", "minority-refuses", "maybe"); got != "-ERR Invalid value 'maybe' to SENTINEL CONFIG SET 'minority-refuses'\r\n" {
		t.Errorf("CONFIG SET maybe: %q", got)
	}
	if got := x.request("config", "set", "minority-refuses", "yes"); got != "+OK\r\n" {
		t.Fatalf("CONFIG SET yes: %q", got)
	}
	wantEvents(t, x.minorityEvents(), "+minority master mymaster 127.0.0.1 6379 #reached 1/3, majority 2")
	if got := x.addrAt(x.now); got != refusal3 {
		t.Errorf("on: %q", got)
	}
	if got := configGetAll(); !strings.HasSuffix(got, "$16\r\nminority-refuses\r\n$3\r\nyes\r\n") {
		t.Errorf("CONFIG GET * with the option on: %q", got)
	}
	if saved := x.store.saved[len(x.store.saved)-1]; !saved.MinorityRefuses {
		t.Error("CONFIG SET minority-refuses yes was not saved")
	}
	if got := x.request("config", "set", "minority-refuses", "no"); got != "+OK\r\n" {
		t.Fatalf("CONFIG SET no: %q", got)
	}
	wantEvents(t, x.minorityEvents(), "-minority master mymaster 127.0.0.1 6379 #reached 1/3")
	if got := x.addrAt(x.now); got != addrReply {
		t.Errorf("off again: %q", got)
	}
}

// TestVouchUntil is the arithmetic: the (majority-1)th most recent reach plus down-after.
func TestVouchUntil(t *testing.T) {
	t0 := time.Unix(1_800_000_000, 0)
	at := func(s ...int) []time.Time {
		var out []time.Time
		for _, x := range s {
			out = append(out, t0.Add(time.Duration(x)*time.Second))
		}
		return out
	}
	for _, tc := range []struct {
		reached []time.Time
		voters  int // 0: the known sentinels and us
		want    time.Time
	}{
		{nil, 0, time.Time{}},
		{at(5), 0, t0.Add(6 * time.Second)},
		{at(1, 5), 0, t0.Add(6 * time.Second)},
		{at(5, 1, 3), 0, t0.Add(4 * time.Second)},
		{at(1, 2, 3, 4), 0, t0.Add(4 * time.Second)},
		{at(9, 1, 8, 2, 7), 0, t0.Add(8 * time.Second)},
		// forget-after's peak: majorities of 5 with two peers forgotten, then with three.
		{at(5, 1), 5, t0.Add(2 * time.Second)},
		{at(5), 5, time.Unix(0, 1)},
		{nil, 3, time.Unix(0, 1)},
	} {
		voters := tc.voters
		if voters == 0 {
			voters = len(tc.reached) + 1
		}
		if got := vouchUntil(tc.reached, voters, time.Second); !got.Equal(tc.want) {
			t.Errorf("vouchUntil(%v, %d) = %v, want %v", tc.reached, voters, got, tc.want)
		}
	}
}

// TestMinorityViewKeptFresh: queries read the last published view, which the driver
// rebuilds for timer changes (PONGs) only once a second. The core marks the master
// changed before the published deadline runs out, so a view republished on Changed alone
// never refuses while the peers answer.
func TestMinorityViewKeptFresh(t *testing.T) {
	x := newMinority(t, 2, true)
	v := x.c.View()
	for range 200 {
		x.advance(100 * time.Millisecond)
		x.answerLive()
		if x.c.Changed() {
			v = x.c.View()
		}
		mv := v.Master("mymaster")
		if msg, refused := v.MinorityRefusal(mv, x.now); refused {
			t.Fatalf("at %v with every peer answering: %s", x.now, msg)
		}
	}
}

// TestMinorityHealedAfterFailover: the majority failed the master over while we were cut
// off. The hello that ends the refusal is applied first, so the first address we answer
// again is the promoted replica's, never the old master's.
func TestMinorityHealedAfterFailover(t *testing.T) {
	x := newMinority(t, 2, true)
	x.run(2 * time.Second)
	x.stop(0, 1)
	x.run(3 * time.Second)
	x.minorityEvents()
	x.back(1) // a PONG: still refusing, though it would name the old master
	if got := x.addrAt(x.now); got != refusal3 {
		t.Fatalf("after a PONG: %q", got)
	}
	x.c.Hello(x.now, "127.0.0.1,26381,"+strings.Repeat("3", 40)+",1,mymaster,127.0.0.1,6380,1")
	x.collect()
	var seen []string
	for _, e := range x.evs {
		if e.Type == "+switch-master" || e.Type == "-minority" {
			seen = append(seen, e.Type)
		}
	}
	if strings.Join(seen, " ") != "+switch-master -minority" {
		t.Errorf("events %q, want +switch-master then -minority", seen)
	}
	if got := x.addrAt(x.now); got != "*2\r\n$9\r\n127.0.0.1\r\n$4\r\n6380\r\n" {
		t.Errorf("first address after the heal: %q", got)
	}
}

// TestMinorityPingsPeersTwicePerDownAfter: a peer is pinged every down-after/2 when that is
// below the ping period, so with every PONG in time it never drops out between two.
func TestMinorityPingsPeersTwicePerDownAfter(t *testing.T) {
	for _, tc := range []struct {
		on   bool
		want int
	}{{false, 5}, {true, 10}} {
		x := newMinority(t, 1, tc.on)
		x.run(time.Second)
		pings := 0
		for end := x.now.Add(5 * time.Second); x.now.Before(end); {
			x.advance(100 * time.Millisecond)
			for _, s := range x.sends {
				if s.Addr == x.peers[0] && s.Tag.Kind == TagPing {
					pings++
				}
			}
			x.answerLive()
		}
		if pings < tc.want-1 || pings > tc.want+1 {
			t.Errorf("minority-refuses %v: %d PINGs to the peer in 5 s, want about %d", tc.on, pings, tc.want)
		}
	}
}
