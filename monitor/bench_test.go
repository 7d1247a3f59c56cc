package monitor

import (
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sentinel-go/sentinel/config"
	"github.com/sentinel-go/sentinel/monitor/hello"
)

// BenchmarkSteady measures the core alone (no sockets, no goroutines) in steady monitoring
// of N masters with one replica each, one op being one simulated second driven as the driver
// drives it: ticks at redis-sentinel's randomized 10-19 Hz, every command answered (PONG, a
// Redis 7.0-shaped INFO, PUBLISH) and every hello heard back on the Pub/Sub links of the
// instance it went to and of the master's replica (replication propagates it), observed
// after the Ready that sent it was acknowledged, and a view after a tick when the driver
// would take one (a change, or timers at most once a second).
//
// Reported per simulated second and master: ns, allocations (B/op and allocs/op are per
// simulated second of all N) and the masters a tick visited; and max-step-ms, the longest
// wall time of one tick with its deliveries: redis-sentinel enters TILT when two ticks are
// more than 2 s apart, so at 10,000 masters that number must stay far below it.
func BenchmarkSteady(b *testing.B) {
	for _, n := range []int{1000, 10000} {
		for _, full := range []bool{true, false} {
			ticks := "quiet"
			if full {
				ticks = "full" // every master visited at every tick (WithFullTicks): as before
			}
			b.Run(fmt.Sprintf("masters=%d/ticks=%s", n, ticks), func(b *testing.B) { benchSteady(b, n, full) })
		}
	}
}

// steadyInfo is an INFO reply as a Redis 7.0 instance gives it: the master at port p with
// its replica at p+1, or (replica) that replica.
func steadyInfo(p int, replica bool) string {
	var b strings.Builder
	fmt.Fprintf(&b, "# Server\r\nredis_version:7.0.15\r\nredis_mode:standalone\r\nrun_id:%040d\r\ntcp_port:%d\r\n\r\n# Persistence\r\nloading:0\r\n\r\n# Replication\r\n", p, p)
	if replica {
		fmt.Fprintf(&b, "role:slave\r\nmaster_host:127.0.0.1\r\nmaster_port:%d\r\nmaster_link_status:up\r\nmaster_last_io_seconds_ago:0\r\nmaster_sync_in_progress:0\r\nslave_read_repl_offset:1000\r\nslave_repl_offset:1000\r\nslave_priority:100\r\nslave_read_only:1\r\nreplica_announced:1\r\nconnected_slaves:0\r\n", p-1)
	} else {
		fmt.Fprintf(&b, "role:master\r\nconnected_slaves:1\r\nslave0:ip=127.0.0.1,port=%d,state=online,offset=1000,lag=0\r\n", p+1)
	}
	b.WriteString("master_failover_state:no-failover\r\nmaster_repl_offset:1000\r\n\r\n# Keyspace\r\ndb0:keys=1000,expires=0,avg_ttl=0\r\n")
	return b.String()
}

func benchSteady(b *testing.B, n int, full bool) {
	const base = 10000
	cfg := config.Default()
	cfg.MyID = myID
	for i := range n {
		cfg.Masters = append(cfg.Masters, config.NewMaster("m"+strconv.Itoa(i), "127.0.0.1", base+2*i, 1))
	}
	now := time.Unix(1_800_000_000, 0)
	rnd := rand.New(rand.NewPCG(1, 2))
	var opts []Option
	if full {
		opts = append(opts, WithFullTicks())
	}
	c, err := New(cfg, rnd, now, opts...)
	if err != nil {
		b.Fatal(err)
	}
	infos := map[string]string{} // by address
	replicaOf := map[string]string{}
	for i := range n {
		m, r := "127.0.0.1:"+strconv.Itoa(base+2*i), "127.0.0.1:"+strconv.Itoa(base+2*i+1)
		infos[m], infos[r] = steadyInfo(base+2*i, false), steadyInfo(base+2*i+1, true)
		replicaOf[m] = r
	}
	gen := map[string][2]uint64{}
	var nextGen uint64
	var obs, msgs []Observation
	// carry turns a Ready into what the transport would observe: links up, replies, then
	// the hellos the PUBLISHes made.
	carry := func(rd Ready) {
		obs, msgs = obs[:0], msgs[:0]
		for _, lc := range rd.Links {
			if lc.Op == LinkOpen {
				var g [2]uint64
				for _, k := range []LinkKind{CmdLink, PubSubLink} {
					nextGen++
					g[k] = nextGen
					obs = append(obs, LinkUp{Addr: lc.Spec.Addr, Kind: k, Gen: nextGen, LocalIP: "127.0.0.1"})
				}
				gen[lc.Spec.Addr] = g
			}
		}
		for _, s := range rd.Sends {
			r := Reply{Addr: s.Addr, Gen: s.Gen, Tag: s.Tag, Value: int64(1)}
			switch s.Tag.Kind {
			case TagPing:
				r.Value = "PONG"
			case TagInfo:
				r.Value = infos[s.Addr]
			case TagPublish:
				for _, to := range []string{s.Addr, replicaOf[s.Addr]} {
					if g, ok := gen[to]; ok {
						msgs = append(msgs, Message{Addr: to, Gen: g[PubSubLink], Channel: hello.Channel, Payload: s.Args[2]})
					}
				}
			}
			obs = append(obs, r)
		}
		obs = append(obs, msgs...)
	}
	lastView := now
	var maxStep time.Duration
	step := func() {
		now = now.Add(time.Second / time.Duration(10+rnd.IntN(10)))
		t0 := time.Now()
		c.Tick(now)
		for range 3 { // what the replies cause goes out in the next round (the first PING after a connect)
			carry(c.Ready())
			c.Advance()
			for _, o := range obs {
				c.Observe(now, o)
			}
		}
		if c.Changed() || (c.TimersChanged() && now.Sub(lastView) >= time.Second) {
			c.View()
			lastView = now
		}
		maxStep = max(maxStep, time.Since(t0))
	}
	for end := now.Add(30 * time.Second); now.Before(end); { // connect and discover
		step()
	}
	check := func() {
		for _, m := range c.order {
			if len(m.replicas) != 1 || c.tilt {
				b.Fatalf("%s: %d replicas (tilt %v), want 1", m.name, len(m.replicas), c.tilt)
			}
			for _, in := range append([]*instance{&m.instance}, m.replicaList()...) {
				if in.flags&^calmFlags != 0 || in.disconnected() {
					b.Fatalf("%s: not steady: flags %v", in.name, in.printedFlags())
				}
			}
		}
	}
	check()
	maxStep, visits := 0, c.visits
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		for end := now.Add(time.Second); now.Before(end); {
			step()
		}
	}
	b.StopTimer()
	check()
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n), "ns/simsec/master")
	b.ReportMetric(float64(maxStep.Microseconds())/1000, "max-step-ms")
	b.ReportMetric(float64(c.visits-visits)/float64(b.N)/float64(n), "visits/simsec/master")
}
