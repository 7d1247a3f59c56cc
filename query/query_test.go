package query

import (
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sentinel-go/sentinel/config"
	"github.com/sentinel-go/sentinel/internal/resp"
	"github.com/sentinel-go/sentinel/monitor"
)

const (
	myID   = "1111111111111111111111111111111111111111"
	peerID = "2222222222222222222222222222222222222222"
)

// harness drives a Core through its exported API with a hand-moved clock, so the answers
// come from views of real state.
type harness struct {
	t     *testing.T
	c     *monitor.Core
	now   time.Time
	gens  map[string]uint64
	sends []monitor.Send
}

// newHarness monitors mymaster at 127.0.0.1:6379 with the quorum given and a down-after of
// one second.
func newHarness(t *testing.T, quorum int) *harness {
	t.Helper()
	cfg := config.Default()
	cfg.MyID = myID
	cfg.Port = 26379
	m := config.NewMaster("mymaster", "127.0.0.1", 6379, quorum)
	m.DownAfter = time.Second
	cfg.Masters = []*config.Master{m}
	h := &harness{t: t, now: time.Unix(1_800_000_000, 0), gens: map[string]uint64{}}
	c, err := monitor.New(cfg, rand.New(rand.NewPCG(1, 2)), h.now)
	if err != nil {
		t.Fatal(err)
	}
	h.c = c
	h.collect()
	return h
}

func (h *harness) collect() {
	h.sends = append(h.sends, h.c.Ready().Sends...)
}

func (h *harness) advance(d time.Duration) {
	h.now = h.now.Add(d)
	h.c.Tick(h.now)
	h.collect()
}

// up connects both links of addr.
func (h *harness) up(addr string) {
	h.gens[addr]++
	for _, k := range []monitor.LinkKind{monitor.CmdLink, monitor.PubSubLink} {
		h.c.Observe(h.now, monitor.LinkUp{Addr: addr, Kind: k, Gen: h.gens[addr], LocalIP: "127.0.0.1"})
	}
	h.collect()
}

// answer replies to every pending send to addr with fn's value.
func (h *harness) answer(addr string, fn func(s monitor.Send) monitor.Reply) {
	var keep []monitor.Send
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

// pong answers as a healthy master with one replica.
func pong(s monitor.Send) monitor.Reply {
	switch s.Tag.Kind {
	case monitor.TagPing:
		return monitor.Reply{Value: "PONG"}
	case monitor.TagInfo:
		return monitor.Reply{Value: "# Replication\r\nrole:master\r\nconnected_slaves:1\r\nslave0:ip=127.0.0.1,port=6380,state=online,offset=1,lag=0\r\nrun_id:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n"}
	}
	return monitor.Reply{Value: int64(1)}
}

// fieldNames extracts the keys of a RESP2 flat map reply of bulk strings.
func fieldNames(t *testing.T, reply string) []string {
	t.Helper()
	parts := strings.Split(reply, "\r\n")
	var vals []string
	for i := 1; i < len(parts); i++ {
		if strings.HasPrefix(parts[i], "$") && i+1 < len(parts) {
			vals = append(vals, parts[i+1])
			i++
		}
	}
	var keys []string
	for i := 0; i < len(vals); i += 2 {
		keys = append(keys, vals[i])
	}
	return keys
}

// query answers SENTINEL args... from the core's view at h.now, as the endpoint does.
func query(h *harness, args ...string) string {
	var w resp.Writer
	bargs := make([][]byte, len(args))
	for i, a := range args {
		bargs[i] = []byte(a)
	}
	if sub, _, ok := Check(&w, bargs); ok {
		Answer(h.c.View(), h.now, &w, sub, bargs)
	}
	return string(w.Bytes())
}

// getConfig is SENTINEL CONFIG GET pattern, in w's protocol.
func getConfig(h *harness, w *resp.Writer, pattern string) {
	Answer(h.c.View(), h.now, w, "config", [][]byte{[]byte("config"), []byte("get"), []byte(pattern)})
}

// The field order of redis-sentinel 7.0.15, which clients and Redis's own tests index into.
var (
	masterFields = strings.Fields(`name ip port runid flags link-pending-commands link-refcount
		last-ping-sent last-ok-ping-reply last-ping-reply down-after-milliseconds info-refresh
		role-reported role-reported-time config-epoch num-slaves num-other-sentinels quorum
		failover-timeout parallel-syncs`)
	replicaFields = strings.Fields(`name ip port runid flags link-pending-commands link-refcount
		last-ping-sent last-ok-ping-reply last-ping-reply down-after-milliseconds info-refresh
		role-reported role-reported-time master-link-down-time master-link-status master-host
		master-port slave-priority slave-repl-offset replica-announced`)
	sentinelFields = strings.Fields(`name ip port runid flags link-pending-commands link-refcount
		last-ping-sent last-ok-ping-reply last-ping-reply down-after-milliseconds
		last-hello-message voted-leader voted-leader-epoch`)
)

func TestInstanceMapsFieldOrder(t *testing.T) {
	h := newHarness(t, 2)
	h.up("127.0.0.1:6379")
	h.advance(100 * time.Millisecond)
	h.answer("127.0.0.1:6379", pong)
	h.c.Hello(h.now, "127.0.0.1,26380,"+peerID+",0,mymaster,127.0.0.1,6379,0")
	h.collect()

	if got := fieldNames(t, query(h, "master", "mymaster")); !slices.Equal(got, masterFields) {
		t.Errorf("MASTER fields\n got %v\nwant %v", got, masterFields)
	}
	if got := fieldNames(t, query(h, "replicas", "mymaster")); !slices.Equal(got, replicaFields) {
		t.Errorf("REPLICAS fields\n got %v\nwant %v", got, replicaFields)
	}
	if got := fieldNames(t, query(h, "sentinels", "mymaster")); !slices.Equal(got, sentinelFields) {
		t.Errorf("SENTINELS fields\n got %v\nwant %v", got, sentinelFields)
	}
	if got := query(h, "master", "mymaster"); !strings.Contains(got, "$5\r\nflags\r\n$6\r\nmaster\r\n") {
		t.Errorf("a connected, healthy master's flags must be exactly master: %q", got)
	}
	if got := query(h, "get-master-addr-by-name", "mymaster"); got != "*2\r\n$9\r\n127.0.0.1\r\n$4\r\n6379\r\n" {
		t.Errorf("GET-MASTER-ADDR-BY-NAME %q", got)
	}
	if got := query(h, "get-master-addr-by-name", "nosuch"); got != "*-1\r\n" {
		t.Errorf("unknown master %q", got)
	}
	if got := query(h, "ckquorum", "mymaster"); got != "+OK 2 usable Sentinels. Quorum and failover authorization can be reached\r\n" {
		t.Errorf("CKQUORUM %q", got)
	}
	if got := query(h, "masters", "x"); got != "-ERR wrong number of arguments for 'sentinel|masters' command\r\n" {
		t.Errorf("arity %q", got)
	}
	if got := query(h, "foo"); got != "-ERR unknown subcommand 'foo'. Try SENTINEL HELP.\r\n" {
		t.Errorf("unknown %q", got)
	}
	if got := query(h, "help"); !strings.HasPrefix(got, "*49\r\n+SENTINEL <subcommand>") {
		t.Errorf("HELP %q", got[:40])
	}
	info := string(AppendInfo(h.c.View(), h.now, ScriptStats{}, nil))
	want := "# Sentinel\r\nsentinel_masters:1\r\nsentinel_tilt:0\r\nsentinel_tilt_since_seconds:-1\r\n" +
		"sentinel_running_scripts:0\r\nsentinel_scripts_queue_length:0\r\nsentinel_simulate_failure_flags:0\r\n" +
		"master0:name=mymaster,status=ok,address=127.0.0.1:6379,slaves=1,sentinels=2\r\n"
	if info != want {
		t.Errorf("INFO sentinel\n got %q\nwant %q", info, want)
	}
}

func TestCkquorumReportsBothShortfalls(t *testing.T) {
	h := newHarness(t, 3)
	for _, id := range []string{peerID, strings.Repeat("3", 40)} {
		h.c.Hello(h.now, "127.0.0.1,2638"+id[:1]+","+id+",0,mymaster,127.0.0.1,6379,0")
	}
	h.collect()
	// Both peers never answer: once they are down, only we are usable.
	for range 30 {
		h.advance(100 * time.Millisecond)
	}
	want := "-NOQUORUM 1 usable Sentinels. Not enough available Sentinels to reach the specified quorum for this master. Not enough available Sentinels to reach the majority and authorize a failover\r\n"
	if got := query(h, "ckquorum", "mymaster"); got != want {
		t.Errorf("got %q\nwant %q", got, want)
	}
}

func TestConfigGetAndInfoCache(t *testing.T) {
	h := newHarness(t, 2)
	if got := query(h, "master", "nosuch"); got != "-ERR No such master with that name\r\n" {
		t.Errorf("unknown master: %q", got)
	}
	var w resp.Writer
	getConfig(h, &w, "*host*")
	if got := string(w.Bytes()); got != "*4\r\n$17\r\nresolve-hostnames\r\n$2\r\nno\r\n$18\r\nannounce-hostnames\r\n$2\r\nno\r\n" {
		t.Errorf("CONFIG GET *host*: %q", got)
	}
	w.Reset()
	w.Proto = 3
	getConfig(h, &w, "nomatch")
	if got := string(w.Bytes()); got != "%0\r\n" {
		t.Errorf("CONFIG GET nomatch in RESP3: %q", got)
	}
	// Before any INFO: age 0 and a null.
	if got := query(h, "info-cache", "mymaster", "nosuch"); got != "*2\r\n$8\r\nmymaster\r\n*1\r\n*2\r\n:0\r\n$-1\r\n" {
		t.Errorf("INFO-CACHE before INFO: %q", got)
	}
	h.up("127.0.0.1:6379")
	h.advance(100 * time.Millisecond)
	h.answer("127.0.0.1:6379", pong)
	h.advance(250 * time.Millisecond)
	got := query(h, "info-cache", "mymaster")
	if !strings.HasPrefix(got, "*2\r\n$8\r\nmymaster\r\n*2\r\n*2\r\n:250\r\n$") || !strings.Contains(got, "role:master") {
		t.Errorf("INFO-CACHE after INFO: %q", got)
	}
}

func TestUnannouncedReplicaIsHidden(t *testing.T) {
	h := newHarness(t, 2)
	h.up("127.0.0.1:6379")
	h.advance(100 * time.Millisecond)
	h.answer("127.0.0.1:6379", pong)
	h.up("127.0.0.1:6380")
	h.advance(100 * time.Millisecond)
	h.answer("127.0.0.1:6380", func(s monitor.Send) monitor.Reply {
		if s.Tag.Kind == monitor.TagInfo {
			return monitor.Reply{Value: "role:slave\r\nmaster_host:127.0.0.1\r\nmaster_port:6379\r\nmaster_link_status:up\r\nreplica_announced:0\r\n"}
		}
		return monitor.Reply{Value: "PONG"}
	})
	if got := query(h, "replicas", "mymaster"); got != "*0\r\n" {
		t.Errorf("an unannounced replica must not be listed: %q", got)
	}
	if got := query(h, "master", "mymaster"); !strings.Contains(got, "$10\r\nnum-slaves\r\n$1\r\n1\r\n") {
		t.Errorf("but it still counts in num-slaves: %q", got)
	}
}
