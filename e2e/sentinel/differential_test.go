package sentinel_test

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sentinel-go/sentinel/e2e/realredis"
)

// Field classes of the instance maps (SENTINEL MASTER/MASTERS/REPLICAS/SENTINELS).
var (
	// exactFields must be equal in both sentinels' replies (for SENTINELS entries, name,
	// runid and port are each sentinel's view of the other one and are checked apart).
	exactFields = fieldSet("name ip port runid flags link-refcount down-after-milliseconds " +
		"role-reported config-epoch num-slaves num-other-sentinels quorum failover-timeout " +
		"parallel-syncs master-link-down-time master-link-status master-host master-port " +
		"slave-priority replica-announced voted-leader voted-leader-epoch failover-state " +
		"notification-script client-reconfig-script")
	// numericFields are times and counters: only their presence, place and type are compared,
	// and that they are non-negative integers.
	numericFields = fieldSet("link-pending-commands last-ping-sent last-ok-ping-reply " +
		"last-ping-reply info-refresh role-reported-time slave-repl-offset last-hello-message " +
		"s-down-time o-down-time")
)

func fieldSet(s string) map[string]bool {
	m := map[string]bool{}
	for _, f := range strings.Fields(s) {
		m[f] = true
	}
	return m
}

// pair is the same topology watched by one real redis-sentinel and one of ours.
type pair struct {
	top        *topology
	real, ours *proc
}

func (p *pair) both() [2]*proc { return [2]*proc{p.real, p.ours} }

// peerOf returns the other sentinel of the pair.
func (p *pair) peerOf(s *proc) *proc {
	if s == p.real {
		return p.ours
	}
	return p.real
}

// differentialConf is the config both sentinels of the pair start from. Its comment lines
// and the parallel-syncs line (default value) let the rewrite test see what a rewrite keeps,
// moves and drops.
func differentialConf(port, masterPort int) string {
	return fmt.Sprintf(`# e2e differential test: the lines above the rewrite marker are the user's
port %d
bind 127.0.0.1
sentinel monitor %s 127.0.0.1 %d 2
sentinel down-after-milliseconds %s %d
sentinel failover-timeout %s 60000

# a comment the rewrite must keep, above a default-valued line it drops
sentinel parallel-syncs %s 1
`, port, masterName, masterPort, masterName, downAfter.Milliseconds(), masterName, masterName)
}

// TestDifferential runs one real redis-sentinel and one of ours over the same master and
// replicas. They discover each other (which tests interoperation), and then every reply
// they give is compared.
func TestDifferential(t *testing.T) {
	t.Parallel()
	requireReal(t)
	requireOurs(t)
	top := startTopology(t, nil)
	rp, op := realredis.FreePort(t), realredis.FreePort(t)
	p := &pair{top: top}
	p.real = startSentinel(t, real, rp, differentialConf(rp, top.Master.Port()))
	p.ours = startSentinel(t, ours, op, differentialConf(op, top.Master.Port()))
	recs := map[*proc]*recorder{p.real: record(t, p.real), p.ours: record(t, p.ours)}
	waitDiscovery(t, top, p.real, p.ours)

	t.Run("Instances", func(t *testing.T) { testInstances(t, p, 2) })
	t.Run("Commands", func(t *testing.T) { testCommands(t, p) })
	t.Run("MYID", func(t *testing.T) {
		for _, s := range p.both() {
			v := dialRaw(t, s.Addr).do(t, "SENTINEL", "MYID")
			if v.Type != '$' || len(v.Str) != 40 {
				t.Errorf("%s: SENTINEL MYID = %s, want a 40-character bulk string", s, v)
			}
		}
	})
	t.Run("INFO", func(t *testing.T) { testInfo(t, p) })
	t.Run("RESP3", func(t *testing.T) { testInstances(t, p, 3) })
	t.Run("CKQUORUM", func(t *testing.T) { testCkquorum(t, p, recs) })
	t.Run("ConfigRewrite", func(t *testing.T) { testRewrite(t, p) })
}

// do sends the same command to both sentinels, each on a fresh connection in the given
// protocol, and returns the replies (real first).
func (p *pair) do(t testing.TB, proto int, args ...string) (r, o value) {
	t.Helper()
	var out [2]value
	for i, s := range p.both() {
		c := dialRaw(t, s.Addr)
		if proto == 3 {
			if v := c.do(t, "HELLO", "3"); v.Type != '%' {
				t.Fatalf("%s: HELLO 3 = %s", s, v)
			}
		}
		v, err := c.tryDo(args...)
		if err != nil {
			t.Fatalf("%s: %s: %v", s, strings.Join(args, " "), err)
		}
		out[i] = v
	}
	return out[0], out[1]
}

// testInstances compares SENTINEL MASTER, MASTERS, REPLICAS and SENTINELS in RESP2 or RESP3.
func testInstances(t *testing.T, p *pair, proto int) {
	mapType := byte('*')
	if proto == 3 {
		mapType = '%'
	}
	r, o := p.do(t, proto, "SENTINEL", "MASTER", masterName)
	compareInstance(t, p, "SENTINEL MASTER", mapType, r, o)

	r, o = p.do(t, proto, "SENTINEL", "MASTERS")
	if r.Type != '*' || len(r.Elems) != 1 || o.Type != '*' || len(o.Elems) != 1 {
		t.Errorf("SENTINEL MASTERS: real %s, ours %s: want an array of one map", r, o)
	} else {
		compareInstance(t, p, "SENTINEL MASTERS[0]", mapType, r.Elems[0], o.Elems[0])
	}

	r, o = p.do(t, proto, "SENTINEL", "REPLICAS", masterName)
	rs, ol := sortedByName(t, r), sortedByName(t, o)
	if len(rs) != 2 || len(ol) != 2 {
		t.Errorf("SENTINEL REPLICAS: real has %d, ours %d; want 2 each", len(rs), len(ol))
	} else {
		for i := range rs {
			compareInstance(t, p, "SENTINEL REPLICAS["+fieldOf(rs[i], "name")+"]", mapType, rs[i], ol[i])
		}
	}
	// SLAVES is the old name of REPLICAS.
	r2, o2 := p.do(t, proto, "SENTINEL", "SLAVES", masterName)
	if len(r2.Elems) != len(r.Elems) || len(o2.Elems) != len(o.Elems) {
		t.Errorf("SENTINEL SLAVES differs from REPLICAS: real %d/%d, ours %d/%d entries",
			len(r2.Elems), len(r.Elems), len(o2.Elems), len(o.Elems))
	}

	r, o = p.do(t, proto, "SENTINEL", "SENTINELS", masterName)
	if r.Type != '*' || len(r.Elems) != 1 || o.Type != '*' || len(o.Elems) != 1 {
		t.Errorf("SENTINEL SENTINELS: real %s, ours %s: want an array of one map", r, o)
		return
	}
	// Each one describes the other: check those fields against the other's identity,
	// then compare the rest.
	for i, s := range p.both() {
		e := []value{r.Elems[0], o.Elems[0]}[i]
		peer := p.peerOf(s)
		id := peer.myID(t)
		for f, want := range map[string]string{"name": id, "runid": id, "ip": "127.0.0.1",
			"port": strconv.Itoa(peer.Port)} {
			if got := fieldOf(e, f); got != want {
				t.Errorf("%s: SENTINEL SENTINELS: %s = %q, want %q (%s)", s, f, got, want, peer)
			}
		}
	}
	compareInstance(t, p, "SENTINEL SENTINELS[0]", mapType, r.Elems[0], o.Elems[0], "name", "runid", "port")
}

func fieldOf(v value, name string) string {
	kv, err := v.pairs()
	if err != nil {
		return ""
	}
	for _, e := range kv {
		if e[0].Str == name {
			return e[1].Str
		}
	}
	return ""
}

func sortedByName(t *testing.T, v value) []value {
	t.Helper()
	if v.Type != '*' {
		t.Errorf("want an array, got %s", v)
		return nil
	}
	s := slices.Clone(v.Elems)
	slices.SortFunc(s, func(a, b value) int { return strings.Compare(fieldOf(a, "name"), fieldOf(b, "name")) })
	return s
}

// compareInstance compares one instance map of the real sentinel (r) with ours (o): map type,
// the ordered field names, that every value is a bulk string, equal values for exactFields
// (except skip), and non-negative integers for numericFields.
func compareInstance(t *testing.T, p *pair, what string, mapType byte, r, o value, skip ...string) {
	t.Helper()
	if r.Type != mapType || o.Type != mapType {
		t.Errorf("%s: reply types real %q ours %q, want %q", what, r.Type, o.Type, mapType)
		return
	}
	rp, err1 := r.pairs()
	op, err2 := o.pairs()
	if err1 != nil || err2 != nil {
		t.Errorf("%s: real %v, ours %v", what, err1, err2)
		return
	}
	names := func(kv [][2]value) []string {
		var n []string
		for _, e := range kv {
			n = append(n, e[0].Str)
		}
		return n
	}
	if rn, on := names(rp), names(op); !slices.Equal(rn, on) {
		t.Errorf("%s: field names differ\nreal: %s\nours: %s", what, strings.Join(rn, " "), strings.Join(on, " "))
	}
	ov := map[string]value{}
	for _, e := range op {
		ov[e[0].Str] = e[1]
	}
	for _, e := range rp {
		f, rv := e[0].Str, e[1]
		v, ok := ov[f]
		if !ok {
			continue // reported above
		}
		if e[0].Type != '$' || v.Type != '$' || rv.Type != '$' {
			t.Errorf("%s: %s: key/value types real %q/%q, ours %q/%q; all must be bulk strings",
				what, f, e[0].Type, rv.Type, v.Type, v.Type)
		}
		switch {
		case slices.Contains(skip, f):
		case numericFields[f]:
			for _, x := range []struct {
				who string
				v   value
			}{{"real", rv}, {"ours", v}} {
				if n, err := strconv.ParseInt(x.v.Str, 10, 64); err != nil || n < 0 {
					t.Errorf("%s: %s: %s = %q, want a non-negative integer", what, x.who, f, x.v.Str)
				}
			}
		case exactFields[f]:
			if rv.Str != v.Str {
				t.Errorf("%s: %s: real %q, ours %q", what, f, rv.Str, v.Str)
			}
		default:
			t.Errorf("%s: field %q (real %q, ours %q) is new to this test: classify it", what, f, rv.Str, v.Str)
		}
	}
}

// testCommands compares raw replies byte for byte.
func testCommands(t *testing.T, p *pair) {
	mp := strconv.Itoa(p.top.Master.Port())
	for _, proto := range []int{2, 3} {
		for _, args := range [][]string{
			{"PING"},
			{"PING", "hello"},
			{"SENTINEL", "GET-MASTER-ADDR-BY-NAME", masterName},
			{"SENTINEL", "GET-MASTER-ADDR-BY-NAME", "nosuch"},
			{"SENTINEL", "get-master-addr-by-name", masterName},
			{"SENTINEL", "MASTER", "nosuch"},
			{"SENTINEL", "REPLICAS", "nosuch"},
			{"SENTINEL", "SENTINELS", "nosuch"},
			{"SENTINEL", "FOO"},
			{"SENTINEL"},
			{"SENTINEL", "MASTERS", "extra"},
			{"SENTINEL", "MASTER"},
			{"SENTINEL", "IS-MASTER-DOWN-BY-ADDR", "127.0.0.1", mp, "0", "*"},
			{"SENTINEL", "IS-MASTER-DOWN-BY-ADDR", "127.0.0.1", "x", "0", "*"},
			{"SENTINEL", "IS-MASTER-DOWN-BY-ADDR", "127.0.0.1", "1", "0", "*"},
			{"SENTINEL", "CKQUORUM", masterName},
			{"SENTINEL", "CKQUORUM", "nosuch"},
			{"SENTINEL", "CONFIG", "GET", "*"},
			{"SENTINEL", "CONFIG", "GET", "resolve-*"},
			{"SENTINEL", "CONFIG", "GET", "nosuch"},
			{"SENTINEL", "CONFIG", "FOO"},
			{"SENTINEL", "DEBUG"},
			{"SENTINEL", "PENDING-SCRIPTS"},
			{"SENTINEL", "RESET", "nosuch*"},
			{"SENTINEL", "INFO-CACHE", "nosuch"},
			{"SENTINEL", "SET", masterName, "fakeoption", "1"},
			{"SENTINEL", "SET", masterName, "down-after-milliseconds", "-20"},
			{"SENTINEL", "SET", masterName, "quorum", "abc"},
			{"SENTINEL", "SET", masterName, "fakeoption"},
			{"SENTINEL", "MONITOR", "other", "127.0.0.1", "abc", "2"},
			{"SENTINEL", "MONITOR", "other", "127.0.0.1", "1", "0"},
			{"SENTINEL", "MONITOR", masterName, "127.0.0.1", "1", "2"},
			{"SENTINEL", "REMOVE", "nosuch"},
			// Fails until SENTINEL FAILOVER exists (the issue after #3): ours answers
			// "-ERR SENTINEL FAILOVER is not supported by this version" even for an
			// unknown master, where redis-sentinel checks the name first.
			{"SENTINEL", "FAILOVER", "nosuch"},
			{"SENTINEL", "HELP"},
			{"SENTINEL", "SIMULATE-FAILURE", "help"},
			{"SENTINEL", "DEBUG", "foo"},
			{"SENTINEL", "DEBUG", "ping-period", "x"},
			{"SENTINEL", "CONFIG", "SET", "foo", "bar"},
			{"SENTINEL", "CONFIG", "SET", "announce-port", "x"},
			{"SENTINEL", "INFO-CACHE"},
			{"ROLE"},
			{"ECHO", "hi"},
			{"QUIT"},
			{"SELECT", "0"},
			{"PUBLISH", "foo", "bar"},
			{"COMMAND", "COUNT"},
			{"INFO", "nosuch"},
			{"INFO", "sentinel"},
			{"AUTH", "x"},
		} {
			r, o := p.do(t, proto, args...)
			if string(r.Raw) != string(o.Raw) {
				t.Errorf("RESP%d %s:\nreal %s\nours %s", proto, strings.Join(args, " "), r, o)
			}
		}
	}
	// HELLO: the same map but for the client ID.
	for _, proto := range []string{"2", "3"} {
		var kv [2][][2]value
		for i, s := range p.both() {
			v := dialRaw(t, s.Addr).do(t, "HELLO", proto)
			var err error
			if kv[i], err = v.pairs(); err != nil {
				t.Errorf("%s: HELLO %s: %v", s, proto, err)
				return
			}
		}
		show := func(kv [][2]value) string {
			var b strings.Builder
			for _, e := range kv {
				if e[0].Str == "id" {
					fmt.Fprintf(&b, "%s<id of type %c>\r\n", e[0].Raw, e[1].Type)
					continue
				}
				fmt.Fprintf(&b, "%s %s", e[0].Raw, e[1].Raw)
			}
			return b.String()
		}
		if r, o := show(kv[0]), show(kv[1]); r != o {
			t.Errorf("HELLO %s:\nreal %q\nours %q", proto, r, o)
		}
	}

	// The replies the spec spells out, to be sure the comparison is not between two
	// equally wrong answers.
	for _, c := range []struct {
		proto int
		args  []string
		want  string
	}{
		{2, []string{"SENTINEL", "GET-MASTER-ADDR-BY-NAME", masterName}, fmt.Sprintf("*2\r\n$9\r\n127.0.0.1\r\n$%d\r\n%s\r\n", len(mp), mp)},
		{2, []string{"SENTINEL", "GET-MASTER-ADDR-BY-NAME", "nosuch"}, "*-1\r\n"},
		{3, []string{"SENTINEL", "GET-MASTER-ADDR-BY-NAME", "nosuch"}, "_\r\n"},
		{2, []string{"ROLE"}, "*2\r\n$8\r\nsentinel\r\n*1\r\n$8\r\nmymaster\r\n"},
		{2, []string{"SENTINEL", "IS-MASTER-DOWN-BY-ADDR", "127.0.0.1", mp, "0", "*"}, "*3\r\n:0\r\n$1\r\n*\r\n:0\r\n"},
	} {
		_, o := p.do(t, c.proto, c.args...)
		if string(o.Raw) != c.want {
			t.Errorf("ours: RESP%d %s = %s, want %q", c.proto, strings.Join(c.args, " "), o, c.want)
		}
	}
}

// testInfo compares INFO: the sentinel section line for line, and the field names of every
// section.
func testInfo(t *testing.T, p *pair) {
	r, o := p.do(t, 2, "INFO", "sentinel")
	if r.Str != o.Str {
		t.Errorf("INFO sentinel:\nreal %q\nours %q", r.Str, o.Str)
	}
	want := fmt.Sprintf("master0:name=%s,status=ok,address=127.0.0.1:%d,slaves=2,sentinels=2",
		masterName, p.top.Master.Port())
	if !slices.Contains(strings.Split(o.Str, "\r\n"), want) {
		t.Errorf("ours: INFO sentinel lacks %q:\n%s", want, o.Str)
	}
	r, o = p.do(t, 2, "INFO")
	shape := func(text string) []string {
		var s []string
		for line := range strings.SplitSeq(text, "\r\n") {
			k, _, _ := strings.Cut(line, ":")
			s = append(s, k)
		}
		return s
	}
	if rs, ol := shape(r.Str), shape(o.Str); !slices.Equal(rs, ol) {
		t.Errorf("INFO: sections and field names differ\nreal: %q\nours: %q", rs, ol)
	}
	ri, oi := infoFields(r.Str), infoFields(o.Str)
	for _, f := range []string{"redis_version", "redis_mode", "configured_hz", "arch_bits",
		"multiplexing_api", "process_supervised"} {
		if ri[f] != oi[f] {
			t.Errorf("INFO %s: real %q, ours %q", f, ri[f], oi[f])
		}
	}
	for f, want := range map[string]string{"tcp_port": strconv.Itoa(p.ours.Port), "config_file": p.ours.Conf} {
		if oi[f] != want {
			t.Errorf("ours: INFO %s = %q, want %q", f, oi[f], want)
		}
	}
	if oi["run_id"] == p.ours.myID(t) || len(oi["run_id"]) != 40 {
		t.Errorf("ours: INFO run_id = %q: want 40 characters, not SENTINEL MYID", oi["run_id"])
	}
}

// testCkquorum compares CKQUORUM with quorum 2 (reachable) and 5 (not), and the +set events.
func testCkquorum(t *testing.T, p *pair, recs map[*proc]*recorder) {
	const ok = "+OK 2 usable Sentinels. Quorum and failover authorization can be reached\r\n"
	const noquorum = "-NOQUORUM 2 usable Sentinels. Not enough available Sentinels to reach the specified quorum for this master\r\n"
	check := func(want string) {
		t.Helper()
		r, o := p.do(t, 2, "SENTINEL", "CKQUORUM", masterName)
		if string(r.Raw) != want || string(o.Raw) != want {
			t.Errorf("SENTINEL CKQUORUM: real %s, ours %s, want %q", r, o, want)
		}
	}
	set := func(q string) {
		t.Helper()
		r, o := p.do(t, 2, "SENTINEL", "SET", masterName, "quorum", q)
		if string(r.Raw) != "+OK\r\n" || string(o.Raw) != "+OK\r\n" {
			t.Fatalf("SENTINEL SET quorum %s: real %s, ours %s", q, r, o)
		}
		prefix := fmt.Sprintf("master %s 127.0.0.1 %d quorum %s", masterName, p.top.Master.Port(), q)
		for _, s := range p.both() {
			if e := recs[s].wait(t, 5*time.Second, "+set", equals(prefix)); e.Payload != prefix {
				t.Errorf("%s: +set %q, want %q", s, e.Payload, prefix)
			}
		}
	}
	check(ok)
	set("5")
	check(noquorum)
	r, o := p.do(t, 2, "SENTINEL", "MASTER", masterName)
	if fieldOf(r, "quorum") != "5" || fieldOf(o, "quorum") != "5" {
		t.Errorf("quorum after SET: real %q, ours %q", fieldOf(r, "quorum"), fieldOf(o, "quorum"))
	}
	set("2")
	check(ok)
}
