package partition

import (
	"context"
	"fmt"
	"math/rand"
	"net"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// The partition scenarios of issue #10, (a) (b) (c) (d) (e) (g), each on ours and on
// redis-sentinel under one seed. Both kinds run at once, each in its own Net: t.Run from
// two goroutines, not t.Parallel, so -parallel (GOMAXPROCS, 2 here) does not serialise
// them behind the package's other tests.

const (
	downAfter       = 1500 * time.Millisecond
	failoverTimeout = 3 * time.Second
	// failoverWait bounds the time from a fault to the +switch-master it should cause:
	// down-after, the ODOWN vote, redis-sentinel's up-to-1s start jitter, an election that
	// may need a second round (election timeout = failover-timeout) and the promotion.
	failoverWait = 20 * time.Second
)

// eachKind runs body for ours and for redis-sentinel at the same time, with the same seed.
func eachKind(t *testing.T, body func(t *testing.T, kind Kind, seed int64)) {
	t.Helper()
	seed := Seed(t)
	var wg sync.WaitGroup
	for _, kind := range Kinds {
		wg.Add(1)
		go func() {
			defer wg.Done()
			t.Run(string(kind), func(t *testing.T) { body(t, kind, seed) })
		}()
	}
	wg.Wait()
}

// spec is the scenarios' usual topology: one master, two replicas, three sentinels, quorum 2.
func spec(kind Kind, seed int64) ClusterSpec {
	return ClusterSpec{Kind: kind, Masters: 1, Replicas: 2, Sentinels: 3, Quorum: 2,
		DownAfter: downAfter, FailoverTimeout: failoverTimeout, Seed: seed}
}

// others is every node of c except those given and the Admin, which no fault cuts.
func others(c *Cluster, except ...*Node) []*Node {
	var out []*Node
	for _, nd := range c.Net.Nodes() {
		if nd != c.Admin && !slices.Contains(except, nd) {
			out = append(out, nd)
		}
	}
	return out
}

// switched matches the +switch-master of group name away from addr, from any sentinel.
func switched(name, from string) func(Event) bool {
	host, port, _ := strings.Cut(from, ":")
	return func(e Event) bool {
		f := strings.Fields(e.Payload)
		return e.Channel == "+switch-master" && len(f) == 5 && f[0] == name && f[1] == host && f[2] == port
	}
}

// jepsen is the setup of (a) and (b): writers on both sides, the master cut off with one
// sentinel and two of the writers (one through the sentinels, one holding the master's
// address) from the other two sentinels, the replicas and the third writer.
type jepsen struct {
	c                *Cluster
	g                *Group
	wl               *Workload
	minority, others []*Node
	cutAt            time.Duration
}

func startJepsen(t *testing.T, sp ClusterSpec) *jepsen {
	c := StartCluster(t, sp)
	g := c.Groups[0]
	master := g.Servers[0]
	cMin, cPin, cMaj := c.ClientNode("c-min"), c.ClientNode("c-pin"), c.ClientNode("c-maj")
	wl := c.StartWorkload(g,
		Writer{Name: "c-min", Dial: cMin.Dial},
		Writer{Name: "c-pin", Dial: cPin.Dial, Pinned: master.Addr},
		Writer{Name: "c-maj", Dial: cMaj.Dial},
	)
	c.WaitAcked(wl, 30, 10*time.Second)
	j := &jepsen{c: c, g: g, wl: wl, minority: []*Node{master.Node, c.Sentinels[0].Node, cMin, cPin}}
	j.others = others(c, j.minority...)
	j.cutAt = c.Timeline.Since()
	c.Net.Cut(j.minority, j.others)
	return j
}

// TestJepsen is (a): Jepsen's 2013 partition. The majority fails over; the minority's
// master goes on acknowledging writes until the heal makes it a replica of the new master
// and throws them away. Asserted: one master and agreeing sentinels at the end; the loss is
// reported, not asserted — it is the point of the scenario.
func TestJepsen(t *testing.T) {
	eachKind(t, func(t *testing.T, kind Kind, seed int64) {
		j := startJepsen(t, spec(kind, seed))
		c := j.c
		c.Wait(failoverWait, "the majority's failover", switched(j.g.Name, j.g.Servers[0].Addr))
		c.WaitAcked(j.wl, 30, 10*time.Second) // both sides write for a while
		c.Net.Heal()
		out := c.Finish("a jepsen", j.g, j.wl, c.Timeline.Since())
		if out.Result.Failovers < 1 {
			t.Errorf("no failover recorded")
		}
		Record(out.Result)
	})
}

// TestJepsenMinorityRefuses is (a) with `sentinel minority-refuses yes` on ours: once the
// minority's sentinel has not reached a majority for down-after, it stops handing out the
// isolated master's address, so no client dials it after that (plus a ping period of
// slack for the sentinel to notice).
func TestJepsenMinorityRefuses(t *testing.T) {
	seed := Seed(t)
	sp := spec(KindOurs, seed)
	sp.SentinelConfig = []string{"sentinel minority-refuses yes"}
	j := startJepsen(t, sp)
	c := j.c
	c.Wait(failoverWait, "the majority's failover", switched(j.g.Name, j.g.Servers[0].Addr))
	// Asked directly, from the minority's side, the isolated sentinel must refuse.
	limit := j.cutAt + downAfter + time.Second
	sleepOn(c, limit-c.Timeline.Since())
	minCli := client(j.minority[2].Dial, c.Sentinels[0].Addr)
	defer minCli.Close()
	ctx, cancel := context.WithTimeout(context.Background(), checkTimeout)
	addr, err := minCli.Do(ctx, "SENTINEL", "GET-MASTER-ADDR-BY-NAME", j.g.Name).Result()
	cancel()
	if err == nil {
		t.Errorf("the isolated sentinel answered GET-MASTER-ADDR-BY-NAME with %v after down-after", addr)
	}
	// A client that starts now, on the minority's side, as a restarted application would:
	// the only sentinel it reaches refuses, so it must not end up writing to the isolated
	// master.
	var (
		mu     sync.Mutex
		dialed []string
	)
	fresh := redis.NewFailoverClient(&redis.FailoverOptions{
		MasterName: j.g.Name, SentinelAddrs: c.SentinelAddrs(), MaxRetries: -1,
		DialTimeout: checkTimeout, ReadTimeout: checkTimeout, WriteTimeout: checkTimeout,
		Dialer: func(ctx context.Context, network, addr string) (net.Conn, error) {
			mu.Lock()
			dialed = append(dialed, addr)
			mu.Unlock()
			return j.minority[2].Dial(ctx, network, addr)
		},
	})
	ctx, cancel = context.WithTimeout(context.Background(), 3*checkTimeout)
	setErr := fresh.Set(ctx, "fresh-client", "x", 0).Err()
	cancel()
	fresh.Close()
	mu.Lock()
	defer mu.Unlock()
	if slices.Contains(dialed, j.g.Servers[0].Addr) || setErr == nil {
		t.Errorf("a fresh client on the minority side reached the isolated master (dialed %v, SET: %v)", dialed, setErr)
	}
	c.WaitAcked(j.wl, 30, 10*time.Second)
	healAt := c.Timeline.Since()
	c.Net.Heal()
	out := c.Finish("a jepsen minority-refuses", j.g, j.wl, healAt)
	for _, d := range out.History.Dials {
		if d.Addr == j.g.Servers[0].Addr && d.At > limit && d.At < healAt {
			t.Errorf("%s was handed the isolated master %s at %v, after down-after (cut at %v)", d.Writer, d.Addr, d.At, j.cutAt)
		}
	}
	Record(out.Result)
}

// TestJepsenMinReplicas is (b): (a) with min-replicas-to-write 1 / min-replicas-max-lag 10
// on the servers, and the partition held past the lag. The isolated master refuses writes
// once its replicas' last ack is max-lag old, so what is lost was acknowledged inside that
// window after the cut: nothing older, nothing later.
func TestJepsenMinReplicas(t *testing.T) {
	const maxLag = 10 * time.Second
	eachKind(t, func(t *testing.T, kind Kind, seed int64) {
		sp := spec(kind, seed)
		sp.ServerConfig = []string{"min-replicas-to-write 1", "min-replicas-max-lag 10"}
		j := startJepsen(t, sp)
		c := j.c
		c.Wait(failoverWait, "the majority's failover", switched(j.g.Name, j.g.Servers[0].Addr))
		// Hold the cut until the isolated master must have stopped: max-lag, plus the
		// replicas' 1 s REPLCONF ACK period, plus a second for the check's own granularity.
		window := maxLag + 2*time.Second
		c.waitFor(window+5*time.Second, "the cut to outlast max-lag", func() bool {
			return c.Timeline.Since() > j.cutAt+window+time.Second
		})
		c.Net.Heal()
		out := c.Finish("b jepsen min-replicas", j.g, j.wl, c.Timeline.Since())
		// A write acknowledged just before the cut may not have reached a replica yet:
		// replication is asynchronous, so allow the last instant before it.
		from, to := j.cutAt-time.Second, j.cutAt+window
		outside := 0
		for _, w := range LostWrites(out.History, out.Final) {
			if w.End < from || w.End > to {
				outside++
				if outside <= 5 {
					t.Errorf("lost %s=%s acknowledged by %s at %v, outside the max-lag window [%v, %v]", w.Key, w.Value, w.Node, w.End, from, to)
				}
			}
		}
		out.Result.LostOlderThan = map[time.Duration]int{maxLag: outside}
		out.Result.Notes = fmt.Sprintf("lost outside the max-lag window: %d", outside)
		Record(out.Result)
	})
}

// TestSentinelPartition is (c): the sentinels cut off from each other, every instance
// still reachable from every sentinel. Nothing is wrong with the master, so no failover
// must happen, and no write is lost.
func TestSentinelPartition(t *testing.T) {
	eachKind(t, func(t *testing.T, kind Kind, seed int64) {
		c := StartCluster(t, spec(kind, seed))
		g := c.Groups[0]
		wl := c.StartWorkload(g, Writer{Name: "c1", Dial: c.ClientNode("c1").Dial})
		c.WaitAcked(wl, 20, 10*time.Second)
		s := c.SentinelNodes()
		c.Net.Cut(s[:1], s[1:])
		c.Net.Cut(s[1:2], s[2:])
		// Three down-afters: enough for any false SDOWN to have become an ODOWN and a vote.
		hold := 3 * downAfter
		until := c.Timeline.Since() + hold
		c.waitFor(hold+5*time.Second, "the sentinel partition to last", func() bool { return c.Timeline.Since() > until })
		c.Net.Heal()
		out := c.Finish("c sentinel partition", g, wl, c.Timeline.Since())
		if out.Result.Failovers != 0 {
			t.Errorf("a partition among the sentinels alone caused %d failover(s)", out.Result.Failovers)
		}
		for _, e := range c.Observer.Events() {
			if e.Channel == "+odown" || e.Channel == "+try-failover" {
				t.Errorf("unexpected %s", e)
			}
		}
		if out.Result.Lost != 0 {
			t.Errorf("lost %d acknowledged writes with no failover", out.Result.Lost)
		}
		Record(out.Result)
	})
}

// TestFlappingMaster is (d): the master's links cut and healed over and over, each cut a
// seeded length around down-after (0.5x to 1.5x), so some cuts end just before SDOWN and
// some just after. Whatever the sentinels decide, they must end agreeing on one master.
func TestFlappingMaster(t *testing.T) {
	eachKind(t, func(t *testing.T, kind Kind, seed int64) {
		c := StartCluster(t, spec(kind, seed))
		g := c.Groups[0]
		wl := c.StartWorkload(g,
			Writer{Name: "c1", Dial: c.ClientNode("c1").Dial},
			Writer{Name: "c2", Dial: c.ClientNode("c2").Dial},
		)
		c.WaitAcked(wl, 20, 10*time.Second)
		rng := rand.New(rand.NewSource(seed))
		master := g.Servers[0].Node
		rest := others(c, master)
		for range 6 {
			on := downAfter/2 + time.Duration(rng.Int63n(int64(downAfter)))
			off := downAfter/4 + time.Duration(rng.Int63n(int64(downAfter/2)))
			c.Net.Cut([]*Node{master}, rest)
			sleepOn(c, on)
			c.Net.Heal()
			sleepOn(c, off)
		}
		out := c.Finish("d flapping master", g, wl, c.Timeline.Since())
		Record(out.Result)
	})
}

// sleepOn waits d of the timeline's clock: a fault's schedule is the point here, there is
// no condition to wait for instead.
func sleepOn(c *Cluster, d time.Duration) {
	until := c.Timeline.Since() + d
	for c.Timeline.Since() < until {
		time.Sleep(min(10*time.Millisecond, until-c.Timeline.Since()))
	}
}

// TestLeaderCutOff is (e): the master cut off, and then the failover's leader cut off too
// at one step of its failover: right after it won the election (+elected-leader), right
// after its SLAVEOF NO ONE took (+promoted-slave), and while it reconfigures the replicas
// (+slave-reconf-sent). The two sentinels left must finish or redo the failover, and after
// the heal everybody — the stranded leader included — agrees on one master and epoch.
//
// A cut takes tens of milliseconds to install; ours takes its next failover step within a
// millisecond of the last, so the leader is frozen (SIGSTOP) in the observer's goroutine the
// moment its event arrives, cut off, then thawed. Even so, it may have taken the next step
// before the freeze landed; the step it had really reached goes into the Result's notes.
func TestLeaderCutOff(t *testing.T) {
	var wg sync.WaitGroup
	for _, step := range []string{"+elected-leader", "+promoted-slave", "+slave-reconf-sent"} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			t.Run(strings.TrimPrefix(step, "+"), func(t *testing.T) { leaderCutOff(t, step) })
		}()
	}
	wg.Wait()
}

func leaderCutOff(t *testing.T, step string) {
	eachKind(t, func(t *testing.T, kind Kind, seed int64) {
		c := StartCluster(t, spec(kind, seed))
		g := c.Groups[0]
		wl := c.StartWorkload(g, Writer{Name: "c1", Dial: c.ClientNode("c1").Dial})
		c.WaitAcked(wl, 20, 10*time.Second)
		hit := make(chan Event, 1)
		var freezeErr error
		c.OnEvent(func(e Event) bool { return e.Channel == step }, func(e Event) {
			if s := c.SentinelNamed(e.Sentinel); s != nil {
				freezeErr = s.Proc.Freeze()
			}
			hit <- e
		})
		master := g.Servers[0].Node
		c.Net.Cut([]*Node{master}, others(c, master))
		var e Event
		select {
		case e = <-hit:
		case <-time.After(failoverWait):
			t.Fatalf("no %s within %v", step, failoverWait)
		}
		if freezeErr != nil {
			t.Fatal(freezeErr)
		}
		leader := c.SentinelNamed(e.Sentinel)
		frozenAt := c.Timeline.Since()
		c.Net.Cut([]*Node{leader.Node}, others(c, leader.Node, master))
		leader.Proc.Resume()
		c.Timeline.Logf("harness", "cut the leader %s off at %s", leader.Name, step)
		// The others retry once the leader's attempt has timed out (twice failover-timeout
		// in redis-sentinel), then fail over themselves or finish what the leader started.
		c.Wait(failoverWait+2*failoverTimeout, "a failover by the remaining sentinels", func(ev Event) bool {
			return ev.Channel == "+switch-master" && ev.Sentinel != leader.Name
		})
		c.Net.Heal()
		out := c.Finish("e leader cut at "+step, g, wl, c.Timeline.Since())
		reached := step
		for _, ev := range c.Observer.Events() {
			if ev.Sentinel == leader.Name && ev.At > e.At && ev.At <= frozenAt && strings.HasPrefix(ev.Channel, "+") {
				reached = ev.Channel
			}
		}
		out.Result.Notes = fmt.Sprintf("leader %s frozen after %s", leader.Name, reached)
		Record(out.Result)
	})
}

// TestTwoMastersFail is (g): two masters monitored by the same three sentinels cut off at
// the same instant. Both groups must fail over — two elections at once, each sentinel
// voting in both — and end with one master each.
func TestTwoMastersFail(t *testing.T) { eachKind(t, twoMasters) }

func twoMasters(t *testing.T, kind Kind, seed int64) {
	{
		sp := spec(kind, seed)
		sp.Masters = 2
		c := StartCluster(t, sp)
		g1, g2 := c.Groups[0], c.Groups[1]
		wl1 := c.StartWorkload(g1, Writer{Name: "c1", Dial: c.ClientNode("c1").Dial})
		wl2 := c.StartWorkload(g2, Writer{Name: "c2", Dial: c.ClientNode("c2").Dial})
		c.WaitAcked(wl1, 20, 10*time.Second)
		c.WaitAcked(wl2, 20, 10*time.Second)
		masters := []*Node{g1.Servers[0].Node, g2.Servers[0].Node}
		c.Net.Cut(masters, others(c, masters...))
		c.Wait(failoverWait, g1.Name+" failover", switched(g1.Name, g1.Servers[0].Addr))
		c.Wait(failoverWait, g2.Name+" failover", switched(g2.Name, g2.Servers[0].Addr))
		c.Net.Heal()
		healed := c.Timeline.Since()
		o1 := c.Finish("g two masters fail", g1, wl1, healed)
		o2 := c.Finish("g two masters fail", g2, wl2, healed)
		r := o1.Result
		r.Acked += o2.Result.Acked
		r.Lost += o2.Result.Lost
		r.DualWrite = max(r.DualWrite, o2.Result.DualWrite)
		r.Converge = max(r.Converge, o2.Result.Converge)
		r.Agree = r.Agree && o2.Result.Agree
		// Analyze counted the master changes of both groups from the same events.
		if r.Failovers < 2 {
			t.Errorf("%d failovers for two failed masters", r.Failovers)
		}
		Record(r)
	}
}
