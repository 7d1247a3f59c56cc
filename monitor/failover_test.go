package monitor

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// fakeRedis answers a core's commands as a master or replica would, so failover scenarios
// run on the hand-moved clock: PING, INFO replication, and the MULTI/SLAVEOF/EXEC
// transaction, applied at EXEC.
type fakeRedis struct {
	port       int
	role       string
	masterPort int
	linkUp     bool
	priority   int
	offset     int64
	runID      string
	alive      bool
	ignoreExec bool // takes the transaction but never applies it
	failoverTo bool // knows FAILOVER (7.0 does; older servers do not)
	neverLinks bool // after SLAVEOF host port its link stays down (the new master is gone)
	linkNever  bool // reports master_link_down_since_seconds:-1 (no link since it became a replica)
	syncing    bool // reports master_sync_in_progress:1
	queued     []string
	replicas   []int      // for a master's INFO
	keys       int64      // with keyspace: the dataset's size in INFO's Keyspace section
	keyspace   bool       // INFO has a Keyspace section (the guard needs one)
	minRepl    bool       // INFO has min_slaves_good_slaves (min-replicas-to-write set)
	seen       [][]string // every command but PING and PUBLISH, in order
}

func (f *fakeRedis) addr() string { return fmt.Sprintf("127.0.0.1:%d", f.port) }

func (f *fakeRedis) info() string {
	var b strings.Builder
	fmt.Fprintf(&b, "# Server\r\nrun_id:%s\r\n", f.runID)
	if f.keyspace {
		b.WriteString("# Persistence\r\nloading:0\r\n")
	}
	fmt.Fprintf(&b, "# Replication\r\nrole:%s\r\n", f.role)
	if f.role == "master" {
		fmt.Fprintf(&b, "connected_slaves:%d\r\n", len(f.replicas))
		if f.minRepl {
			fmt.Fprintf(&b, "min_slaves_good_slaves:%d\r\n", len(f.replicas))
		}
		for i, p := range f.replicas {
			fmt.Fprintf(&b, "slave%d:ip=127.0.0.1,port=%d,state=online,offset=%d,lag=0\r\n", i, p, f.offset)
		}
		f.keyspaceInfo(&b)
		return b.String()
	}
	link := "down"
	if f.linkUp {
		link = "up"
	}
	fmt.Fprintf(&b, "master_host:127.0.0.1\r\nmaster_port:%d\r\nmaster_link_status:%s\r\n", f.masterPort, link)
	if f.syncing {
		b.WriteString("master_sync_in_progress:1\r\n")
	}
	switch {
	case f.linkNever:
		b.WriteString("master_link_down_since_seconds:-1\r\n")
	case !f.linkUp:
		b.WriteString("master_link_down_since_seconds:1\r\n")
	}
	fmt.Fprintf(&b, "slave_repl_offset:%d\r\nslave_priority:%d\r\n", f.offset, f.priority)
	f.keyspaceInfo(&b)
	return b.String()
}

func (f *fakeRedis) keyspaceInfo(b *strings.Builder) {
	if !f.keyspace {
		return
	}
	b.WriteString("# Keyspace\r\n")
	if f.keys > 0 {
		fmt.Fprintf(b, "db0:keys=%d,expires=0,avg_ttl=0\r\n", f.keys)
	}
}

func (f *fakeRedis) reply(s Send) Reply {
	if cmd := strings.ToUpper(s.Args[0]); cmd != "PING" && cmd != "PUBLISH" {
		f.seen = append(f.seen, s.Args)
	}
	switch strings.ToUpper(s.Args[0]) {
	case "PING":
		return Reply{Value: "PONG"}
	case "INFO":
		return Reply{Value: f.info()}
	case "MULTI":
		f.queued = []string{}
		return Reply{Value: "OK"}
	case "SLAVEOF":
		f.queued = append(f.queued, s.Args[1], s.Args[2])
		return Reply{Value: "QUEUED"}
	case "EXEC":
		if len(f.queued) == 2 && !f.ignoreExec {
			if f.queued[0] == "NO" {
				f.role, f.linkUp = "master", false
			} else {
				f.role, f.linkUp = "slave", !f.neverLinks
				fmt.Sscan(f.queued[1], &f.masterPort)
			}
		}
		f.queued = nil
		return Reply{Value: []any{}}
	case "FAILOVER":
		if !f.failoverTo {
			return Reply{Err: "ERR unknown command 'FAILOVER'"}
		}
		return Reply{Value: "OK"}
	}
	if f.queued != nil {
		return Reply{Value: "QUEUED"}
	}
	return Reply{Value: "OK"}
}

// topo is a master with replicas under one core.
type topo struct {
	h     *harness
	nodes []*fakeRedis
	peer  func(Send) Reply // answers for a peer sentinel at 127.0.0.1:26380, if any
}

func newTopo(t *testing.T, quorum int, replicas ...*fakeRedis) *topo {
	h := newHarness(t, fmt.Sprintf("monitor mymaster 127.0.0.1 6379 %d", quorum))
	h.c.masters["mymaster"].cfg.FailoverTimeout = 10 * time.Second
	m := &fakeRedis{port: 6379, role: "master", runID: strings.Repeat("a", 40), alive: true}
	tp := &topo{h: h, nodes: []*fakeRedis{m}}
	for i, r := range replicas {
		r.role, r.masterPort, r.linkUp, r.alive = "slave", 6379, true, true
		if r.runID == "" {
			r.runID = strings.Repeat(string(rune('b'+i)), 40)
		}
		m.replicas = append(m.replicas, r.port)
		tp.nodes = append(tp.nodes, r)
	}
	h.up(m.addr())
	tp.run(100 * time.Millisecond) // the first INFO names the replicas
	for _, r := range replicas {
		h.up(r.addr())
	}
	tp.run(2 * time.Second)
	h.events()
	return tp
}

// serve connects the links the core asks for to live instances and answers every pending
// command of the live instances; the dead ones never answer.
func (tp *topo) serve() {
	for range 5 { // replies may trigger more commands (INFO after a transaction)
		links := tp.h.links
		tp.h.links = nil
		for _, lc := range links {
			n := tp.node(lc.Spec.Addr)
			if lc.Op != LinkClose && n != nil && n.alive {
				tp.h.up(n.addr())
			}
		}
		for _, n := range tp.nodes {
			if n.alive {
				tp.h.answer(n.addr(), n.reply)
			} else {
				tp.h.sends = slices.DeleteFunc(tp.h.sends, func(s Send) bool { return s.Addr == n.addr() })
			}
		}
		if tp.peer != nil {
			tp.h.answer("127.0.0.1:26380", tp.peer)
		}
	}
}

func (tp *topo) node(addr string) *fakeRedis {
	for _, n := range tp.nodes {
		if n.addr() == addr {
			return n
		}
	}
	return nil
}

func (tp *topo) run(d time.Duration) {
	for elapsed := time.Duration(0); elapsed < d; elapsed += 100 * time.Millisecond {
		tp.h.advance(100 * time.Millisecond)
		tp.serve()
	}
}

// kill makes an instance stop answering, its connections gone.
func (tp *topo) kill(n *fakeRedis) {
	n.alive = false
	for _, k := range []LinkKind{CmdLink, PubSubLink} {
		tp.h.c.Observe(tp.h.now, LinkDown{Addr: n.addr(), Kind: k, Gen: tp.h.gens[n.addr()]})
	}
	tp.h.collect()
}

func filterEvents(evs []string, prefixes ...string) []string {
	var out []string
	for _, e := range evs {
		for _, p := range prefixes {
			if strings.HasPrefix(e, p) {
				out = append(out, e)
				break
			}
		}
	}
	return out
}

// TestFailoverPromotesTheBestReplica walks the whole failover of one sentinel (quorum 1): the
// replica with the larger offset is promoted, the other one follows it, and the master
// switches, with redis-sentinel's events in redis-sentinel's order.
func TestFailoverPromotesTheBestReplica(t *testing.T) {
	r1 := &fakeRedis{port: 6380, priority: 100, offset: 100}
	r2 := &fakeRedis{port: 6381, priority: 100, offset: 200}
	tp := newTopo(t, 1, r1, r2)
	tp.kill(tp.nodes[0])
	tp.run(3 * time.Second)
	const (
		m  = "master mymaster 127.0.0.1 6379"
		s1 = "slave 127.0.0.1:6380 127.0.0.1 6380 @ mymaster 127.0.0.1 6379"
		s2 = "slave 127.0.0.1:6381 127.0.0.1 6381 @ mymaster 127.0.0.1 6379"
	)
	got := filterEvents(tp.h.events(), "+", "-failover")
	want := []string{
		"+sdown " + m, "+odown " + m + " #quorum 1/1", "+new-epoch 1", "+try-failover " + m,
		"+vote-for-leader " + myID + " 1", "+elected-leader " + m, "+failover-state-select-slave " + m,
		"+selected-slave " + s2, "+failover-state-send-slaveof-noone " + s2,
		"+failover-state-wait-promotion " + s2, "+promoted-slave " + s2,
		"+failover-state-reconf-slaves " + m, "+switch-master mymaster 127.0.0.1 6379 127.0.0.1 6381",
		"+slave-reconf-sent " + s1, "+slave-reconf-inprog " + s1, "+slave-reconf-done " + s1,
		"+failover-end " + m,
		"+slave slave 127.0.0.1:6380 127.0.0.1 6380 @ mymaster 127.0.0.1 6381",
		"+slave slave 127.0.0.1:6379 127.0.0.1 6379 @ mymaster 127.0.0.1 6381",
		// The old master, now listed as a replica, is still dead.
		"+sdown slave 127.0.0.1:6379 127.0.0.1 6379 @ mymaster 127.0.0.1 6381",
	}
	wantEvents(t, got, want...)
	if r2.role != "master" || r1.masterPort != 6381 {
		t.Fatalf("topology after failover: r2 %s, r1 follows %d", r2.role, r1.masterPort)
	}
	saved := tp.h.store.saved[len(tp.h.store.saved)-1].Masters[0]
	if saved.Port != 6381 || saved.ConfigEpoch != 1 || saved.LeaderEpoch != 1 {
		t.Fatalf("saved master %d, config epoch %d, leader epoch %d", saved.Port, saved.ConfigEpoch, saved.LeaderEpoch)
	}
}

// TestFailoverTransaction: the promotion and each reconfiguration are redis-sentinel's
// transaction, with an INFO right behind it on the same connection.
func TestFailoverTransaction(t *testing.T) {
	r1 := &fakeRedis{port: 6380, priority: 100}
	tp := newTopo(t, 1, r1)
	tp.kill(tp.nodes[0])
	tp.run(3 * time.Second)
	seen := r1.seen
	want := [][]string{{"MULTI"}, {"SLAVEOF", "NO", "ONE"}, {"CONFIG", "REWRITE"},
		{"CLIENT", "KILL", "TYPE", "normal"}, {"CLIENT", "KILL", "TYPE", "pubsub"}, {"EXEC"}, {"INFO"}}
	i := slices.IndexFunc(seen, func(a []string) bool { return a[0] == "MULTI" })
	if i < 0 || len(seen) < i+len(want) || !slices.EqualFunc(seen[i:i+len(want)], want, slices.Equal) {
		t.Fatalf("commands to the promoted replica:\n got %q\nwant %q", seen, want)
	}
}

func TestPriorityZeroIsNeverPromoted(t *testing.T) {
	r1 := &fakeRedis{port: 6380, priority: 0, offset: 500}
	r2 := &fakeRedis{port: 6381, priority: 100, offset: 1}
	tp := newTopo(t, 1, r1, r2)
	tp.kill(tp.nodes[0])
	tp.run(3 * time.Second)
	evs := tp.h.events()
	if !slices.Contains(evs, "+promoted-slave slave 127.0.0.1:6381 127.0.0.1 6381 @ mymaster 127.0.0.1 6379") {
		t.Fatalf("the priority-100 replica must be promoted: %q", evs)
	}
}

func TestNoGoodSlaveAborts(t *testing.T) {
	tp := newTopo(t, 1, &fakeRedis{port: 6380, priority: 0})
	tp.kill(tp.nodes[0])
	tp.run(3 * time.Second)
	evs := tp.h.events()
	if !slices.Contains(evs, "-failover-abort-no-good-slave master mymaster 127.0.0.1 6379") {
		t.Fatalf("no abort: %q", evs)
	}
	// The next attempt waits twice the failover timeout from this one's start.
	tp.run(15 * time.Second)
	if n := len(filterEvents(tp.h.events(), "+try-failover")); n != 0 {
		t.Fatalf("retried %d times within 2 × failover-timeout", n)
	}
	tp.run(7 * time.Second)
	if n := len(filterEvents(tp.h.events(), "+try-failover")); n != 1 {
		t.Fatalf("%d retries after 2 × failover-timeout, want 1", n)
	}
}

func TestPromotionTimeoutAborts(t *testing.T) {
	r1 := &fakeRedis{port: 6380, priority: 100, ignoreExec: true}
	tp := newTopo(t, 1, r1)
	tp.kill(tp.nodes[0])
	tp.run(3 * time.Second)
	if evs := filterEvents(tp.h.events(), "+failover-state-wait-promotion", "-failover-abort"); len(evs) != 1 {
		t.Fatalf("want the wait for the promotion and no abort yet: %q", evs)
	}
	tp.run(10 * time.Second)
	evs := tp.h.events()
	if !slices.Contains(evs, "-failover-abort-slave-timeout master mymaster 127.0.0.1 6379") {
		t.Fatalf("no abort after the failover timeout: %q", evs)
	}
	if v := tp.h.c.View().Master("mymaster"); v.Flags&flagFailoverInProgress != 0 || v.Replicas[0].Flags&flagPromoted != 0 {
		t.Fatalf("abort left flags %s / %s", v.Flags, v.Replicas[0].Flags)
	}
}

// TestReconfTimeouts: a replica that takes the SLAVEOF but never shows the new master is
// counted done after the reconf timeout; the failover still ends.
func TestReconfTimeouts(t *testing.T) {
	r1 := &fakeRedis{port: 6380, priority: 100, offset: 10}
	r2 := &fakeRedis{port: 6381, priority: 100, offset: 1, ignoreExec: true}
	tp := newTopo(t, 1, r1, r2)
	tp.h.c.masters["mymaster"].cfg.FailoverTimeout = time.Minute
	tp.kill(tp.nodes[0])
	tp.run(3 * time.Second)
	if evs := filterEvents(tp.h.events(), "+slave-reconf-sent", "+failover-end"); len(evs) != 1 {
		t.Fatalf("want the SLAVEOF sent and the failover still running: %q", evs)
	}
	tp.run(11 * time.Second)
	got := filterEvents(tp.h.events(), "-slave-reconf-sent-timeout", "+failover-end")
	wantEvents(t, got,
		"-slave-reconf-sent-timeout slave 127.0.0.1:6381 127.0.0.1 6381 @ mymaster 127.0.0.1 6379",
		"+failover-end master mymaster 127.0.0.1 6379")
}

// TestFailoverEndForTimeout: a replica that never answers again keeps the failover in
// reconf_slaves until the failover timeout, which ends it.
func TestFailoverEndForTimeout(t *testing.T) {
	r1 := &fakeRedis{port: 6380, priority: 100, offset: 10}
	r2 := &fakeRedis{port: 6381, priority: 100, offset: 1}
	tp := newTopo(t, 1, r1, r2)
	r2.ignoreExec = true
	tp.kill(tp.nodes[0])
	tp.run(1500 * time.Millisecond)
	// r2 takes the SLAVEOF, then its link to us dies: it never counts as reconfigured
	// (down replicas are not waited for, but it is not down yet).
	tp.h.c.timing.SlaveReconfTimeout = time.Hour
	tp.run(2 * time.Second)
	tp.run(9 * time.Second)
	got := filterEvents(tp.h.events(), "+failover-end")
	wantEvents(t, got, "+failover-end-for-timeout master mymaster 127.0.0.1 6379", "+failover-end master mymaster 127.0.0.1 6379")
}

// notElected sets up quorum 2 with one peer that always reports the master down and its
// vote given to a third sentinel in our epoch: we can never win.
func notElected(t *testing.T, fastRetry bool) *topo {
	tp := newTopo(t, 2, &fakeRedis{port: 6380, priority: 100})
	h := tp.h
	h.c.cfg.FastRetry = fastRetry
	h.c.Hello(h.now, "127.0.0.1,26380,"+peerID+",0,mymaster,127.0.0.1,6379,0")
	h.gens["127.0.0.1:26380"]++
	h.c.Observe(h.now, LinkUp{Addr: "127.0.0.1:26380", Kind: CmdLink, Gen: h.gens["127.0.0.1:26380"], LocalIP: "127.0.0.1"})
	h.collect()
	tp.peer = func(s Send) Reply {
		if s.Tag.Kind == TagAskDown {
			return Reply{Value: []any{int64(1), strings.Repeat("3", 40), int64(h.c.currentEpoch)}}
		}
		return Reply{Value: "PONG"}
	}
	tp.kill(tp.nodes[0])
	return tp
}

// TestNotElectedAborts: never winning, we give up after the election timeout (min(10 s,
// failover-timeout)) and try again only after twice the failover timeout.
func TestNotElectedAborts(t *testing.T) {
	tp := notElected(t, false)
	tp.run(19 * time.Second)
	evs := tp.h.events()
	if !slices.Contains(evs, "-failover-abort-not-elected master mymaster 127.0.0.1 6379") ||
		slices.Contains(evs, "+elected-leader master mymaster 127.0.0.1 6379") {
		t.Fatalf("want an attempt aborted for not being elected: %q", evs)
	}
	if n := len(filterEvents(evs, "+try-failover")); n != 1 {
		t.Fatalf("%d attempts before 2 × failover-timeout, want 1", n)
	}
	tp.run(3 * time.Second)
	if n := len(filterEvents(tp.h.events(), "+try-failover")); n != 1 {
		t.Fatalf("%d retries after 2 × failover-timeout, want 1", n)
	}
}

// TestFastRetry: with fast-retry, a lost election with no promotion in sight is retried
// after the election timeout plus the desync and margin (10+1+2 s), not after 20 s; a
// replica reporting master (someone promoted it) keeps the full delay.
func TestFastRetry(t *testing.T) {
	tp := notElected(t, true)
	tp.run(15 * time.Second)
	if n := len(filterEvents(tp.h.events(), "+try-failover")); n != 2 {
		t.Fatalf("%d attempts within 15 s with fast-retry, want 2", n)
	}
	tp = notElected(t, true)
	tp.run(3 * time.Second)
	tp.nodes[1].role = "master" // another sentinel's leader promoted it
	tp.run(12 * time.Second)
	if n := len(filterEvents(tp.h.events(), "+try-failover")); n != 1 {
		t.Fatalf("%d attempts, want 1: no retry once a promotion was seen", n)
	}
}

func TestManualFailover(t *testing.T) {
	tp := newTopo(t, 2, &fakeRedis{port: 6380, priority: 0})
	if got := tp.h.request("failover", "nosuch"); got != "-ERR No such master with that name\r\n" {
		t.Fatalf("unknown master: %q", got)
	}
	if got := tp.h.request("failover", "mymaster"); got != "-NOGOODSLAVE No suitable replica to promote\r\n" {
		t.Fatalf("no candidate: %q", got)
	}
	tp.nodes[1].priority = 100
	tp.h.c.masters["mymaster"].replicas["127.0.0.1:6380"].infoRefresh = time.Time{}
	tp.run(11 * time.Second) // the next INFO brings the new priority
	if got := tp.h.request("failover", "mymaster"); got != "+OK\r\n" {
		t.Fatalf("failover: %q", got)
	}
	if got := tp.h.request("failover", "mymaster"); got != "-INPROG Failover already in progress\r\n" {
		t.Fatalf("second failover: %q", got)
	}
	tp.serve()
	tp.run(time.Second)
	evs := tp.h.events()
	// No ODOWN, no peers asked: the forced attempt votes for itself and goes on.
	if !slices.Contains(evs, "+switch-master mymaster 127.0.0.1 6379 127.0.0.1 6380") {
		t.Fatalf("no switch: %q", evs)
	}
}

// TestCoordinatedFailover: FAILOVER TO goes to the live master; a server that refuses it
// gets the classic promotion.
func TestCoordinatedFailover(t *testing.T) {
	for _, knows := range []bool{true, false} {
		r1 := &fakeRedis{port: 6380, priority: 100}
		tp := newTopo(t, 2, r1)
		tp.nodes[0].failoverTo = knows
		if got := tp.h.request("failover", "mymaster", "coordinated"); got != "+OK\r\n" {
			t.Fatalf("failover coordinated: %q", got)
		}
		tp.serve() // fresh INFO from the replica, the selection, FAILOVER TO and its answer
		old := tp.nodes[0]
		want := []string{"FAILOVER", "TO", "127.0.0.1", "6380", "TIMEOUT", "10000"}
		if !slices.ContainsFunc(old.seen, func(a []string) bool { return slices.Equal(a, want) }) {
			t.Fatalf("the old master got %q, want %q", old.seen, want)
		}
		sawSlaveof := slices.ContainsFunc(r1.seen, func(a []string) bool { return a[0] == "SLAVEOF" })
		if knows == sawSlaveof {
			t.Fatalf("FAILOVER known %v, SLAVEOF NO ONE sent %v: want exactly one path", knows, sawSlaveof)
		}
		if !knows && r1.role != "master" {
			t.Fatalf("after a refused FAILOVER TO the replica must be promoted classically")
		}
	}
}

// TestVoteSavedBeforeReply: a vote is in the store by the time the reply is written, and a
// second candidate in the same epoch gets the first one's name.
func TestVoteSavedBeforeReply(t *testing.T) {
	tp := newTopo(t, 2, &fakeRedis{port: 6380, priority: 100})
	h := tp.h
	a, b := strings.Repeat("a", 40), strings.Repeat("b", 40)
	got := h.request("is-master-down-by-addr", "127.0.0.1", "6379", "5", a)
	if got != "*3\r\n:0\r\n$40\r\n"+a+"\r\n:5\r\n" {
		t.Fatalf("first vote: %q", got)
	}
	last := h.store.saved[len(h.store.saved)-1]
	if last.CurrentEpoch != 5 || last.Masters[0].Leader != a || last.Masters[0].LeaderEpoch != 5 {
		t.Fatalf("saved epoch %d leader %q/%d", last.CurrentEpoch, last.Masters[0].Leader, last.Masters[0].LeaderEpoch)
	}
	if got := h.request("is-master-down-by-addr", "127.0.0.1", "6379", "5", b); got != "*3\r\n:0\r\n$40\r\n"+a+"\r\n:5\r\n" {
		t.Fatalf("second candidate, same epoch: %q", got)
	}
	if got := h.request("is-master-down-by-addr", "127.0.0.1", "6379", "6", b); got != "*3\r\n:0\r\n$40\r\n"+b+"\r\n:6\r\n" {
		t.Fatalf("newer epoch: %q", got)
	}
	wantEvents(t, filterEvents(h.events(), "+vote-for-leader", "+new-epoch"),
		"+new-epoch 5", "+vote-for-leader "+a+" 5", "+new-epoch 6", "+vote-for-leader "+b+" 6")
}

// TestOldMasterConvertedWhenBack: after the switch, the old master returning as a master is
// made a replica once it has reported that role for a while (4 hello periods).
func TestOldMasterConvertedWhenBack(t *testing.T) {
	r1 := &fakeRedis{port: 6380, priority: 100}
	tp := newTopo(t, 1, r1)
	old := tp.nodes[0]
	tp.kill(old)
	tp.run(3 * time.Second)
	if r1.role != "master" {
		t.Fatal("no failover")
	}
	r1.replicas = []int{6379}
	tp.h.events()
	old.alive, old.replicas = true, nil
	tp.h.up(old.addr())
	tp.run(5 * time.Second)
	if slices.ContainsFunc(tp.h.events(), func(e string) bool { return strings.HasPrefix(e, "+convert-to-slave") }) {
		t.Fatal("converted before it reported master for 8 s")
	}
	tp.run(15 * time.Second)
	evs := tp.h.events()
	if !slices.Contains(evs, "+convert-to-slave slave 127.0.0.1:6379 127.0.0.1 6379 @ mymaster 127.0.0.1 6380") {
		t.Fatalf("no +convert-to-slave: %q", evs)
	}
	if old.role != "slave" || old.masterPort != 6380 {
		t.Fatalf("old master is %s of %d", old.role, old.masterPort)
	}
}

// TestFixSlaveConfig: a replica following another master is pointed back at ours, once it
// has done so for a failover timeout and only while our master looks sane.
func TestFixSlaveConfig(t *testing.T) {
	r1 := &fakeRedis{port: 6380, priority: 100}
	tp := newTopo(t, 2, r1)
	tp.h.events()
	r1.masterPort = 7000
	tp.run(5 * time.Second)
	if evs := filterEvents(tp.h.events(), "+fix-slave-config"); len(evs) != 0 {
		t.Fatalf("fixed before the failover timeout: %q", evs)
	}
	tp.run(20 * time.Second)
	wantEvents(t, filterEvents(tp.h.events(), "+fix-slave-config"),
		"+fix-slave-config slave 127.0.0.1:6380 127.0.0.1 6380 @ mymaster 127.0.0.1 6379")
	if r1.masterPort != 6379 {
		t.Fatalf("replica follows %d", r1.masterPort)
	}
}

// TestSelectionUsesFreshOffsets: offsets change up to the master's death; the selection
// waits for INFO asked after the election instead of ranking on a periodic one seconds old.
func TestSelectionUsesFreshOffsets(t *testing.T) {
	r1 := &fakeRedis{port: 6380, priority: 100, offset: 100}
	r2 := &fakeRedis{port: 6381, priority: 100, offset: 50}
	tp := newTopo(t, 1, r1, r2)
	r2.offset = 500 // r2 caught up after the last periodic INFO
	tp.kill(tp.nodes[0])
	tp.run(3 * time.Second)
	if evs := filterEvents(tp.h.events(), "+selected-slave"); len(evs) != 1 || !strings.Contains(evs[0], ":6381 ") {
		t.Fatalf("selected %q, want the replica with the larger fresh offset (6381)", evs)
	}
}

// TestCrashAfterPromotionSavesThePromotion: SIMULATE-FAILURE crash-after-promotion stops
// the core right after +promoted-slave; what it saved names the promoted replica as the
// master under the new config epoch, the old master among the replicas, as redis-sentinel's
// config rewrite does, so the restarted sentinel carries the promotion to its peers.
func TestCrashAfterPromotionSavesThePromotion(t *testing.T) {
	r1 := &fakeRedis{port: 6380, priority: 100, offset: 1}
	r2 := &fakeRedis{port: 6381, priority: 100, offset: 2}
	tp := newTopo(t, 1, r1, r2)
	tp.h.request("simulate-failure", "crash-after-promotion")
	tp.kill(tp.nodes[0])
	tp.run(3 * time.Second)
	evs := tp.h.events()
	if !slices.Contains(evs, "+promoted-slave slave 127.0.0.1:6381 127.0.0.1 6381 @ mymaster 127.0.0.1 6379") ||
		slices.ContainsFunc(evs, func(e string) bool { return strings.HasPrefix(e, "+switch-master") }) {
		t.Fatalf("want a crash right after the promotion: %q", evs)
	}
	saved := tp.h.store.saved[len(tp.h.store.saved)-1].Masters[0]
	var replicas []int
	for _, r := range saved.KnownReplicas {
		replicas = append(replicas, r.Port)
	}
	slices.Sort(replicas)
	if saved.Port != 6381 || saved.ConfigEpoch != 1 || !slices.Equal(replicas, []int{6379, 6380}) {
		t.Fatalf("saved master %d config epoch %d replicas %v", saved.Port, saved.ConfigEpoch, replicas)
	}
}

// TestCrossingRequestsConverge: a candidate holding its own vote back (a connected peer has
// a smaller run ID) votes for itself before answering a request from a larger run ID, which
// is then refused; a request from a smaller run ID still gets its vote.
func TestCrossingRequestsConverge(t *testing.T) {
	for _, tc := range []struct {
		requester string
		want      string
	}{
		{strings.Repeat("3", 40), myID},                    // larger: we vote for ourselves first
		{strings.Repeat("0", 40), strings.Repeat("0", 40)}, // smaller: it gets our vote
	} {
		tp := newTopo(t, 2, &fakeRedis{port: 6380, priority: 100})
		h := tp.h
		lower := strings.Repeat("0", 40)
		h.c.Hello(h.now, "127.0.0.1,26380,"+lower+",0,mymaster,127.0.0.1,6379,0")
		h.gens["127.0.0.1:26380"]++
		h.c.Observe(h.now, LinkUp{Addr: "127.0.0.1:26380", Kind: CmdLink, Gen: h.gens["127.0.0.1:26380"], LocalIP: "127.0.0.1"})
		h.collect()
		tp.peer = func(s Send) Reply {
			if s.Tag.Kind == TagAskDown {
				return Reply{Value: []any{int64(1), "*", int64(0)}} // down, no vote yet
			}
			return Reply{Value: "PONG"}
		}
		tp.kill(tp.nodes[0])
		for range 300 {
			tp.h.advance(10 * time.Millisecond)
			tp.serve()
			if h.c.masters["mymaster"].failoverState == stateWaitStart {
				break
			}
		}
		m := h.c.masters["mymaster"]
		if m.failoverState != stateWaitStart || m.cfg.LeaderEpoch == m.failoverEpoch {
			t.Fatalf("want a candidate holding its vote back, state %s, leader epoch %d", m.failoverState, m.cfg.LeaderEpoch)
		}
		epoch := strconv.FormatUint(m.failoverEpoch, 10)
		got := h.request("is-master-down-by-addr", "127.0.0.1", "6379", epoch, tc.requester)
		want := "*3\r\n:1\r\n$40\r\n" + tc.want + "\r\n:" + epoch + "\r\n"
		if got != want {
			t.Errorf("request from %.8s: %q, want %q", tc.requester, got, want)
		}
	}
}

// TestNewerConfigSupersedesOwnFailover: a leader whose promoted replica died waits in
// reconf_slaves; a hello with a newer config epoch naming the old master ends that failover
// and is followed, announced from the address clients were last given (the promoted one).
func TestNewerConfigSupersedesOwnFailover(t *testing.T) {
	r1 := &fakeRedis{port: 6380, priority: 100}
	tp := newTopo(t, 1, r1, &fakeRedis{port: 6381, priority: 0, ignoreExec: true})
	tp.h.c.masters["mymaster"].cfg.FailoverTimeout = time.Minute
	tp.kill(tp.nodes[0])
	tp.run(3 * time.Second)
	m := tp.h.c.masters["mymaster"]
	if m.failoverState != stateReconfSlaves {
		t.Fatalf("want the failover waiting in reconf_slaves, got %s", m.failoverState)
	}
	tp.kill(r1) // the promoted replica dies: the failover cannot end
	tp.run(3 * time.Second)
	tp.h.events()
	tp.h.c.Hello(tp.h.now, "127.0.0.1,26380,"+peerID+",9,mymaster,127.0.0.1,6379,9")
	tp.h.collect()
	evs := filterEvents(tp.h.events(), "+config-update-from", "+switch-master")
	wantEvents(t, evs,
		"+config-update-from sentinel "+peerID+" 127.0.0.1 26380 @ mymaster 127.0.0.1 6379",
		"+switch-master mymaster 127.0.0.1 6380 127.0.0.1 6379")
	if m.failoverState != stateNone || m.addr.Port != 6379 || m.cfg.ConfigEpoch != 9 {
		t.Fatalf("after the hello: state %s, master %d, config epoch %d", m.failoverState, m.addr.Port, m.cfg.ConfigEpoch)
	}
}

// TestStaleOldMasterNeverPromoted is redis/redis #12570: after a failover the old master
// comes back as a master (with a better priority and a far larger offset, from its own
// history), is converted, and the new master dies before the old one could sync with it.
// The next failover must promote the replica that holds the new master's writes.
func TestStaleOldMasterNeverPromoted(t *testing.T) {
	r1 := &fakeRedis{port: 6380, priority: 100, offset: 200}
	r2 := &fakeRedis{port: 6381, priority: 100, offset: 100}
	tp := newTopo(t, 1, r1, r2)
	old := tp.nodes[0]
	tp.kill(old)
	tp.run(3 * time.Second)
	if r1.role != "master" || r2.masterPort != 6380 {
		t.Fatalf("first failover: r1 %s, r2 follows %d", r1.role, r2.masterPort)
	}
	r1.replicas = []int{6381, 6379}
	old.alive, old.replicas, old.priority, old.offset, old.neverLinks = true, nil, 1, 1<<40, true
	tp.h.up(old.addr())
	tp.h.events()
	for i := 0; i < 300 && old.role != "slave"; i++ {
		tp.run(100 * time.Millisecond)
	}
	if old.role != "slave" || old.masterPort != 6380 {
		t.Fatalf("the old master was not converted: %s of %d", old.role, old.masterPort)
	}
	tp.kill(r1)
	tp.run(5 * time.Second)
	evs := filterEvents(tp.h.events(), "+selected-slave", "-failover-abort")
	wantEvents(t, evs, "+selected-slave slave 127.0.0.1:6381 127.0.0.1 6381 @ mymaster 127.0.0.1 6380")
}

// TestUnsyncedReplicasNeverPromoted: the sign a replica's INFO gives of a dataset that is not
// the master's: no link to any master since it became a replica (a conversion made by
// another sentinel, which we never saw as a master). It outranks the good replica by
// priority and offset and is not chosen. A full sync in progress alone is no such sign (see
// instance.unsynced): that replica, ranked first, is chosen.
func TestUnsyncedReplicasNeverPromoted(t *testing.T) {
	for _, tc := range []struct {
		name   string
		edit   func(*fakeRedis)
		chosen int
	}{
		{"master_link_down_since_seconds:-1", func(f *fakeRedis) { f.linkNever = true }, 6381},
		{"master_sync_in_progress:1", func(f *fakeRedis) { f.syncing = true }, 6380},
	} {
		t.Run(tc.name, func(t *testing.T) {
			first := &fakeRedis{port: 6380, priority: 1, offset: 1 << 40}
			second := &fakeRedis{port: 6381, priority: 100, offset: 100}
			tp := newTopo(t, 1, first, second)
			tc.edit(first)
			tp.kill(tp.nodes[0])
			tp.run(3 * time.Second)
			p := strconv.Itoa(tc.chosen)
			wantEvents(t, filterEvents(tp.h.events(), "+selected-slave", "-failover-abort"),
				"+selected-slave slave 127.0.0.1:"+p+" 127.0.0.1 "+p+" @ mymaster 127.0.0.1 6379")
		})
	}
}

// strayBack runs a failover (r1 promoted, r2 following it) and brings the old master back
// as a master with its data, as after SIGCONT or a restart; it returns the old master.
func strayBack(t *testing.T, before func(tp *topo)) (*topo, *fakeRedis) {
	r1 := &fakeRedis{port: 6380, priority: 100, offset: 200}
	r2 := &fakeRedis{port: 6381, priority: 100, offset: 100}
	tp := newTopo(t, 1, r1, r2)
	old := tp.nodes[0]
	tp.kill(old)
	tp.run(3 * time.Second)
	if r1.role != "master" || r2.masterPort != 6380 {
		t.Fatalf("failover: r1 %s, r2 follows %d", r1.role, r2.masterPort)
	}
	r1.replicas = []int{6381}
	if before != nil {
		before(tp)
	}
	tp.h.events()
	old.alive, old.replicas = true, nil
	tp.h.up(old.addr())
	return tp, old
}

// convertedWithin runs the topology until the old master follows the new one, for at most
// limit, and returns how long that took.
func convertedWithin(tp *topo, old *fakeRedis, limit time.Duration) (time.Duration, bool) {
	for d := time.Duration(0); d <= limit; d += 100 * time.Millisecond {
		if old.role == "slave" && old.masterPort == 6380 {
			return d, true
		}
		tp.run(100 * time.Millisecond)
	}
	return limit, false
}

// TestStrayConvertedAtOnceWhenSettled: a lone sentinel (its own majority) that just
// finished the failover, whose master has a replica attached and whose epoch is the
// newest, converts the returning old master at its first INFO instead of after 8 s.
func TestStrayConvertedAtOnceWhenSettled(t *testing.T) {
	tp, old := strayBack(t, nil)
	d, ok := convertedWithin(tp, old, 2*time.Second)
	if !ok || d > 300*time.Millisecond {
		t.Fatalf("converted %v after %v, want at once", ok, d)
	}
	wantEvents(t, filterEvents(tp.h.events(), "+convert-to-slave"),
		"+convert-to-slave slave 127.0.0.1:6379 127.0.0.1 6379 @ mymaster 127.0.0.1 6380")
}

// TestStrayWaitsUnlessMajorityAgrees: with a peer known, the fast path needs the peer's
// hello naming our master in our config epoch, written after the stray began reporting
// role:master (received more than two ping periods after it, from a peer answering our
// PINGs throughout). Without it (or when the peer's hello carries a later current epoch, so a
// newer config may exist), Redis's wait applies.
func TestStrayWaitsUnlessMajorityAgrees(t *testing.T) {
	hello := func(tp *topo, currentEpoch int) {
		tp.h.c.Hello(tp.h.now, fmt.Sprintf("127.0.0.1,26380,%s,%d,mymaster,127.0.0.1,6380,1", peerID, currentEpoch))
		tp.h.collect()
	}
	addPeer := func(tp *topo) { hello(tp, 1) }

	t.Run("no hello since", func(t *testing.T) {
		tp, old := strayBack(t, addPeer)
		if d, ok := convertedWithin(tp, old, 7*time.Second); ok {
			t.Fatalf("converted after %v without the peer's word", d)
		}
		if _, ok := convertedWithin(tp, old, 15*time.Second); !ok {
			t.Fatal("never converted")
		}
	})
	// The peer answers our PINGs from before the stray is back: its path to us is up.
	reachablePeer := func(tp *topo) {
		addPeer(tp)
		tp.peer = func(Send) Reply { return Reply{Value: "PONG"} }
		tp.h.up("127.0.0.1:26380")
		tp.run(time.Second)
	}
	t.Run("agreeing hello", func(t *testing.T) {
		tp, old := strayBack(t, reachablePeer)
		tp.run(500 * time.Millisecond) // the stray's first INFO
		if old.role != "master" {
			t.Fatal("converted before the peer's hello")
		}
		// Received right after the stray's INFO, the hello may have been written before
		// it: it proves nothing yet (helloSentAfter).
		hello(tp, 1)
		if d, ok := convertedWithin(tp, old, 2*time.Second); ok {
			t.Fatalf("converted after %v on a hello that may predate the stray", d)
		}
		hello(tp, 1)
		if d, ok := convertedWithin(tp, old, time.Second); !ok || d > 300*time.Millisecond {
			t.Fatalf("converted %v after %v, want right after the hello", ok, d)
		}
	})
	t.Run("agreeing hello from a peer that was cut off", func(t *testing.T) {
		// The peer's PINGs go unanswered (a partition); when it heals, a hello it sent
		// before may be what arrives first. Redis's wait applies.
		tp, old := strayBack(t, addPeer)
		tp.run(2500 * time.Millisecond)
		tp.peer = func(Send) Reply { return Reply{Value: "PONG"} }
		tp.h.up("127.0.0.1:26380")
		hello(tp, 1)
		if d, ok := convertedWithin(tp, old, 4*time.Second); ok {
			t.Fatalf("converted after %v on a hello from a peer just back", d)
		}
	})
	t.Run("hello from a later epoch", func(t *testing.T) {
		tp, old := strayBack(t, addPeer)
		tp.run(500 * time.Millisecond)
		hello(tp, 2)
		if d, ok := convertedWithin(tp, old, 7*time.Second); ok {
			t.Fatalf("converted after %v although a newer epoch was heard of", d)
		}
	})
	t.Run("stray with replicas of its own", func(t *testing.T) {
		tp, old := strayBack(t, nil)
		old.replicas = []int{6390}
		if d, ok := convertedWithin(tp, old, 7*time.Second); ok {
			t.Fatalf("converted after %v a master with followers", d)
		}
	})
}

// TestStaleMasterNotYetConvertedNeverPromoted: the other half of #12570. The new master
// dies while the old one, back as a master, is still waiting for its conversion (a peer's
// word is missing, so Redis's wait applies); two masters were reporting role:master, and
// the stray's writes are the ones to lose.
func TestStaleMasterNotYetConvertedNeverPromoted(t *testing.T) {
	tp, old := strayBack(t, func(tp *topo) {
		tp.h.c.Hello(tp.h.now, "127.0.0.1,26380,"+peerID+",1,mymaster,127.0.0.1,6380,1")
		tp.h.collect()
	})
	// A role:master INFO carries no priority nor replica offset, so the stray ranks with
	// the defaults (priority 100, offset 0): r2, configured as a less preferred replica,
	// ranks after it.
	tp.nodes[2].priority = 150
	tp.run(time.Second)
	if old.role != "master" {
		t.Fatal("converted already")
	}
	// The peer votes for us: its answers to is-master-down-by-addr.
	tp.peer = func(s Send) Reply {
		if len(s.Args) > 1 && strings.EqualFold(s.Args[1], "is-master-down-by-addr") {
			return Reply{Value: []any{int64(1), myID, int64(mustAtoi(t, s.Args[4]))}}
		}
		return Reply{Value: "PONG"}
	}
	tp.h.up("127.0.0.1:26380")
	tp.kill(tp.nodes[1])
	tp.run(5 * time.Second)
	wantEvents(t, filterEvents(tp.h.events(), "+selected-slave", "-failover-abort"),
		"+selected-slave slave 127.0.0.1:6381 127.0.0.1 6381 @ mymaster 127.0.0.1 6380")
}
