package monitor

import (
	"errors"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sentinel-go/sentinel/config"
)

// memStore keeps saved configs in memory: the States the harness persisted, in order. With
// fail set it fails every save instead, keeping nothing.
type memStore struct {
	saved []*config.Config
	fail  bool
}

func (s *memStore) Save(c *config.Config) error {
	if s.fail {
		return errors.New("disk full")
	}
	s.saved = append(s.saved, c)
	return nil
}

// harness drives a Core with a hand-moved clock and records what it asks for.
type harness struct {
	t     *testing.T
	c     *Core
	store *memStore
	// saveErr is the error of persisting the last collected Ready's State: its durable
	// answers become Redis's save error (Response.Reply), as the driver answers them.
	saveErr error
	now     time.Time
	gens    map[string]uint64
	sends   []Send
	evs     []Event
	links   []LinkChange
	logs    []LogLine
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
	c, err := New(cfg, rand.New(rand.NewPCG(1, 2)), h.now)
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

// collect carries out the Ready as the driver does, State first, and acknowledges it.
func (h *harness) collect() Ready {
	rd := h.c.Ready()
	h.c.Advance()
	h.saveErr = nil
	if rd.State != nil {
		h.saveErr = h.store.Save(rd.State)
	}
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
	h.c.Request(h.now, 1, args)
	return h.answer1(h.collect())
}

func wantEvents(t *testing.T, got []string, want ...string) {
	t.Helper()
	if !slices.Equal(got, want) {
		t.Fatalf("events:\n got %q\nwant %q", got, want)
	}
}

func TestMonitorDiscoversReplicaAndPings(t *testing.T) {
	h := newHarness(t, "monitor mymaster 127.0.0.1 6379 2")
	wantEvents(t, h.events(), "+monitor master mymaster 127.0.0.1 6379 quorum 2")
	h.up("127.0.0.1:6379")
	if len(h.sends) != 1 || h.sends[0].Args[0] != "PING" {
		t.Fatalf("want one PING at connect, got %v", h.sends)
	}
	h.advance(100 * time.Millisecond)
	kinds := map[TagKind]bool{}
	for _, s := range h.sends {
		kinds[s.Tag.Kind] = true
	}
	if !kinds[TagInfo] || !kinds[TagPublish] {
		t.Fatalf("want INFO and hello due on the first tick, got %v", h.sends)
	}
	saves := len(h.store.saved)
	h.answer("127.0.0.1:6379", pong)
	// The master has a replica and no min-replicas-to-write (no min_slaves_good_slaves
	// line): the warning of guard.go follows the discovery.
	wantEvents(t, h.events(), "+slave slave 127.0.0.1:6380 127.0.0.1 6380 @ mymaster 127.0.0.1 6379",
		"+no-min-replicas master mymaster 127.0.0.1 6379 #slaves 1")
	if len(h.store.saved) != saves+1 {
		t.Fatalf("a new replica must be saved")
	}
	if got := h.store.saved[len(h.store.saved)-1].Masters[0].KnownReplicas; len(got) != 1 || got[0].Port != 6380 {
		t.Fatalf("saved known replicas %v", got)
	}
}

func TestSubjectiveDownAndBack(t *testing.T) {
	h := newHarness(t, "monitor mymaster 127.0.0.1 6379 1")
	h.events()
	h.up("127.0.0.1:6379")
	h.answer("127.0.0.1:6379", pong)
	h.events()
	// The master stops answering. The next PING goes out a ping period (1 s) after the
	// last reply, and down-after (1 s) later it is +sdown, as in Redis; with quorum 1 our
	// own opinion makes it +odown, and we, the only sentinel, are elected at once but
	// find no replica to promote.
	for range 20 {
		h.advance(100 * time.Millisecond)
		h.sends = nil
	}
	if ev := h.events(); len(ev) != 0 {
		t.Fatalf("down too early: %q", ev)
	}
	for range 2 {
		h.advance(100 * time.Millisecond)
	}
	wantEvents(t, h.events(),
		"+sdown master mymaster 127.0.0.1 6379",
		"+odown master mymaster 127.0.0.1 6379 #quorum 1/1",
		"+new-epoch 1",
		"+try-failover master mymaster 127.0.0.1 6379",
		"+vote-for-leader "+myID+" 1",
		"+elected-leader master mymaster 127.0.0.1 6379",
		"+failover-state-select-slave master mymaster 127.0.0.1 6379",
		"-failover-abort-no-good-slave master mymaster 127.0.0.1 6379")
	h.advance(600 * time.Millisecond) // the next PING is due half a period after the last
	h.events()
	h.answer("127.0.0.1:6379", pong)
	h.events()
	h.advance(100 * time.Millisecond)
	wantEvents(t, h.events(), "-sdown master mymaster 127.0.0.1 6379", "-odown master mymaster 127.0.0.1 6379")
}

func TestLoadingAndMasterdownAreAlive(t *testing.T) {
	for _, reply := range []Reply{{Err: "LOADING Redis is loading the dataset in memory"}, {Err: "MASTERDOWN Link with MASTER is down"}} {
		h := newHarness(t, "monitor mymaster 127.0.0.1 6379 1")
		h.up("127.0.0.1:6379")
		for range 30 {
			h.answer("127.0.0.1:6379", func(s Send) Reply {
				if s.Tag.Kind == TagPing {
					return reply
				}
				return pong(s)
			})
			h.advance(100 * time.Millisecond)
		}
		for _, e := range h.events() {
			if strings.HasPrefix(e, "+sdown master") {
				t.Fatalf("%s made the master down: %q", reply.Err, e)
			}
		}
	}
}

func TestBusyIsNotAlive(t *testing.T) {
	h := newHarness(t, "monitor mymaster 127.0.0.1 6379 2")
	h.up("127.0.0.1:6379")
	sawKill := false
	for range 30 {
		for _, s := range h.sends {
			if s.Args[0] == "SCRIPT" {
				sawKill = true
			}
		}
		h.answer("127.0.0.1:6379", func(s Send) Reply {
			if s.Tag.Kind == TagPing {
				return Reply{Err: "BUSY Redis is busy running a script."}
			}
			return pong(s)
		})
		h.advance(100 * time.Millisecond)
	}
	if !slices.Contains(h.events(), "+sdown master mymaster 127.0.0.1 6379") || !sawKill {
		t.Fatalf("a BUSY master must go down and get SCRIPT KILL (kill sent: %v)", sawKill)
	}
}

func TestObjectiveDownCountsPeers(t *testing.T) {
	h := newHarness(t, "monitor mymaster 127.0.0.1 6379 2")
	h.up("127.0.0.1:6379")
	h.c.Hello(h.now, "127.0.0.1,26380,"+peerID+",0,mymaster,127.0.0.1,6379,0")
	h.collect()
	wantEvents(t, h.events()[1:], "+sentinel sentinel "+peerID+" 127.0.0.1 26380 @ mymaster 127.0.0.1 6379")
	h.gens["127.0.0.1:26380"]++
	h.c.Observe(h.now, LinkUp{Addr: "127.0.0.1:26380", Kind: CmdLink, Gen: 1, LocalIP: "127.0.0.1"})
	h.collect()
	var asked bool
	for range 15 {
		h.advance(100 * time.Millisecond)
		h.answer("127.0.0.1:26380", func(s Send) Reply {
			if s.Tag.Kind == TagAskDown {
				asked = true
				// "*" asks for an opinion; our run ID once our failover started asks for a vote.
				if s.Args[1] != "is-master-down-by-addr" || (s.Args[5] != "*" && s.Args[5] != myID) {
					t.Fatalf("ask %v", s.Args)
				}
				return Reply{Value: []any{int64(1), "*", int64(0)}}
			}
			return Reply{Value: "PONG"}
		})
		h.sends = slices.DeleteFunc(h.sends, func(s Send) bool { return s.Addr == "127.0.0.1:6379" })
	}
	h.advance(100 * time.Millisecond)
	if !asked {
		t.Fatal("the peer was never asked")
	}
	got := h.events()
	if !slices.Contains(got, "+odown master mymaster 127.0.0.1 6379 #quorum 2/2") {
		t.Fatalf("no +odown with the peer's agreement: %q", got)
	}
}

func TestHelloFromRestartedPeerReplacesIt(t *testing.T) {
	h := newHarness(t, "monitor mymaster 127.0.0.1 6379 2")
	h.c.Hello(h.now, "127.0.0.1,26380,"+peerID+",0,mymaster,127.0.0.1,6379,0")
	h.collect()
	h.events()
	newID := strings.Repeat("3", 40)
	h.c.Hello(h.now, "127.0.0.1,26380,"+newID+",0,mymaster,127.0.0.1,6379,0")
	h.collect()
	wantEvents(t, h.events(),
		"+sentinel-invalid-addr sentinel "+peerID+" 127.0.0.1 26380 @ mymaster 127.0.0.1 6379",
		"+sentinel sentinel "+newID+" 127.0.0.1 26380 @ mymaster 127.0.0.1 6379")
	// The same peer moving: an address switch, not a new sentinel.
	h.c.Hello(h.now, "127.0.0.1,26390,"+newID+",0,mymaster,127.0.0.1,6379,0")
	h.collect()
	wantEvents(t, h.events(), "+sentinel-address-switch master mymaster 127.0.0.1 6379 ip 127.0.0.1 port 26390 for "+newID)
	if n := len(h.c.masters["mymaster"].sentinels); n != 1 {
		t.Fatalf("%d sentinels, want 1", n)
	}
}

func TestHelloWithNewerConfigSwitchesMaster(t *testing.T) {
	h := newHarness(t, "monitor mymaster 127.0.0.1 6379 2")
	h.up("127.0.0.1:6379")
	h.answer("127.0.0.1:6379", pong) // discovers 6380
	h.events()
	h.c.Hello(h.now, "127.0.0.1,26380,"+peerID+",5,mymaster,127.0.0.1,6380,5")
	h.collect()
	wantEvents(t, h.events(),
		"+sentinel sentinel "+peerID+" 127.0.0.1 26380 @ mymaster 127.0.0.1 6379",
		"+new-epoch 5",
		"+config-update-from sentinel "+peerID+" 127.0.0.1 26380 @ mymaster 127.0.0.1 6379",
		"+switch-master mymaster 127.0.0.1 6379 127.0.0.1 6380",
		"+slave slave 127.0.0.1:6379 127.0.0.1 6379 @ mymaster 127.0.0.1 6380")
	last := h.store.saved[len(h.store.saved)-1]
	if m := last.Masters[0]; m.Port != 6380 || m.ConfigEpoch != 5 || last.CurrentEpoch != 5 {
		t.Fatalf("saved %+v epoch %d", m, last.CurrentEpoch)
	}
}

func TestTilt(t *testing.T) {
	h := newHarness(t, "monitor mymaster 127.0.0.1 6379 1")
	h.events()
	h.advance(3 * time.Second)
	wantEvents(t, h.events(), "+tilt #tilt mode entered")
	// In TILT nothing is judged: the silent master does not go down.
	for range 299 {
		h.advance(100 * time.Millisecond)
	}
	if ev := h.events(); len(ev) != 0 {
		t.Fatalf("events in TILT: %q", ev)
	}
	h.advance(100 * time.Millisecond)
	got := h.events()
	if len(got) == 0 || got[0] != "-tilt #tilt mode exited" {
		t.Fatalf("want -tilt after 30 s, got %q", got)
	}
}

func TestVoteOncePerEpoch(t *testing.T) {
	h := newHarness(t, "monitor mymaster 127.0.0.1 6379 2")
	h.events()
	a, b := strings.Repeat("a", 40), strings.Repeat("b", 40)
	if got := h.request("is-master-down-by-addr", "127.0.0.1", "6379", "5", a); got != "*3\r\n:0\r\n$40\r\n"+a+"\r\n:5\r\n" {
		t.Fatalf("first vote: %q", got)
	}
	wantEvents(t, h.events(), "+new-epoch 5", "+vote-for-leader "+a+" 5")
	if got := h.request("is-master-down-by-addr", "127.0.0.1", "6379", "5", b); !strings.Contains(got, a) {
		t.Fatalf("second requester in the same epoch got %q", got)
	}
	if got := h.request("is-master-down-by-addr", "127.0.0.1", "6379", "6", b); !strings.Contains(got, b) {
		t.Fatalf("next epoch: %q", got)
	}
	if got := h.request("is-master-down-by-addr", "127.0.0.1", "6379", "x", b); got != "-ERR value is not an integer or out of range\r\n" {
		t.Fatalf("bad epoch: %q", got)
	}
	if got := h.request("is-master-down-by-addr", "10.0.0.1", "6379", "7", "*"); got != "*3\r\n:0\r\n$1\r\n*\r\n:0\r\n" {
		t.Fatalf("unknown master: %q", got)
	}
	if last := h.store.saved[len(h.store.saved)-1]; last.Masters[0].LeaderEpoch != 6 || last.Masters[0].Leader != b {
		t.Fatalf("vote not saved: %+v", last.Masters[0])
	}
}

func TestMonitorRemoveSetErrors(t *testing.T) {
	h := newHarness(t, "monitor mymaster 127.0.0.1 6379 2")
	h.events()
	cases := []struct{ args, want string }{
		{"monitor m2 127.0.0.1 6390 x", "-ERR Invalid quorum\r\n"},
		{"monitor m2 127.0.0.1 p 2", "-ERR Invalid port\r\n"},
		{"monitor m2 127.0.0.1 6390 0", "-ERR Quorum must be 1 or greater.\r\n"},
		{"monitor m2 nosuch.host 6390 2", "-ERR Invalid IP address or hostname specified\r\n"},
		{"monitor m2 1_0.0.0.1 6390 2", "-ERR Invalid IP address or hostname specified\r\n"},
		{"monitor mymaster 127.0.0.1 6390 2", "-ERR Duplicate master name.\r\n"},
		{"monitor m2 127.0.0.1 70000 2", "-ERR Invalid port number.\r\n"},
		{"monitor m2 1.2.3 6390 2", "+OK\r\n"},
		{"set m2 quorum 0", "-ERR Invalid argument '0' for SENTINEL SET 'quorum'\r\n"},
		{"set m2 down-after-milliseconds abc", "-ERR Invalid argument 'abc' for SENTINEL SET 'down-after-milliseconds'\r\n"},
		{"set m2 fakeoption 1", "-ERR Unknown option or number of arguments for SENTINEL SET 'fakeoption'\r\n"},
		{"set m2 notification-script /bin/true", "-ERR Reconfiguration of scripts path is denied for security reasons. Check the deny-scripts-reconfig configuration directive in your Sentinel configuration\r\n"},
		{"set m2 quorum 3 auth-pass secret", "+OK\r\n"},
		{"set nosuch quorum 3", "-ERR No such master with that name\r\n"},
		{"remove m2", "+OK\r\n"},
		{"remove m2", "-ERR No such master with that name\r\n"},
		{"reset nosuch*", ":0\r\n"},
		{"reset my*", ":1\r\n"},
		{"config set announce-port 70000", "-ERR Invalid value '70000' to SENTINEL CONFIG SET 'announce-port'\r\n"},
		{"config set foo bar", "-ERR Invalid argument 'foo' to SENTINEL CONFIG SET\r\n"},
		{"config foo", "-ERR Only SENTINEL CONFIG GET <option> / SET <option> <value> are supported.\r\n"},
		{"debug ping-period 0", "-ERR Invalid argument '0' for SENTINEL DEBUG 'ping-period'\r\n"},
		{"debug nosuch 1", "-ERR Unknown option or number of arguments for SENTINEL DEBUG 'nosuch'\r\n"},
		{"debug info-period 500 ping-period 200", "+OK\r\n"},
		{"simulate-failure nosuch", "-ERR Unknown failure simulation specified\r\n"},
	}
	for _, tc := range cases {
		if got := h.request(strings.Fields(tc.args)...); got != tc.want {
			t.Errorf("%s: got %q want %q", tc.args, got, tc.want)
		}
	}
	wantEvents(t, h.events(),
		"+monitor master m2 1.2.0.3 6390 quorum 2",
		"+set master m2 1.2.0.3 6390 quorum 3",
		"+set master m2 1.2.0.3 6390 auth-pass ******",
		"-monitor master m2 1.2.0.3 6390",
		"+reset-master master mymaster 127.0.0.1 6379")
}

func TestPeerLinkSharedAcrossMasters(t *testing.T) {
	h := newHarness(t, "monitor m1 127.0.0.1 6379 2\nmonitor m2 127.0.0.1 7379 2")
	for _, m := range []string{"m1,127.0.0.1,6379", "m2,127.0.0.1,7379"} {
		h.c.Hello(h.now, "127.0.0.1,26380,"+peerID+",0,"+m+",0")
	}
	rd := h.collect()
	opened := 0
	for _, lc := range rd.Links {
		if lc.Op == LinkOpen && lc.Spec.Addr == "127.0.0.1:26380" {
			opened++
		}
	}
	if opened != 1 {
		t.Fatalf("the peer's link was opened %d times, want once", opened)
	}
	if l := h.c.links["127.0.0.1:26380"]; l == nil || l.refcount != 2 {
		t.Fatalf("want one link with refcount 2, got %+v", l)
	}
	if got := query(h, "sentinels", "m2"); !strings.Contains(got, "$13\r\nlink-refcount\r\n$1\r\n2\r\n") {
		t.Errorf("SENTINELS shows the shared refcount: %q", got)
	}
	// Removing one master keeps the link for the other.
	h.request("remove", "m1")
	if l := h.c.links["127.0.0.1:26380"]; l == nil || l.refcount != 1 {
		t.Fatalf("after REMOVE m1: %+v", l)
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
	c, err := New(cfg, rand.New(rand.NewPCG(1, 2)), time.Unix(1_800_000_000, 0), WithHosts(map[string]string{"db.example": "10.1.2.3"}))
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
