package monitor

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/sentinel-go/sentinel/config"
)

// BenchmarkSteadyMonitoring measures one simulated second of a sentinel watching 1000
// masters with one replica each: ten ticks, every PING answered, the INFO replies due, and a
// view after each tick, as the driver does.
func BenchmarkSteadyMonitoring(b *testing.B) {
	cfg := config.Default()
	cfg.MyID = myID
	for i := range 1000 {
		cfg.Masters = append(cfg.Masters, config.NewMaster(fmt.Sprintf("m%d", i), "127.0.0.1", 10000+2*i, 1))
	}
	now := time.Unix(1_800_000_000, 0)
	c, err := New(cfg, rand.New(rand.NewPCG(1, 2)), now)
	if err != nil {
		b.Fatal(err)
	}
	answer := func(rd Ready) {
		for _, lc := range rd.Links {
			if lc.Op == LinkOpen {
				for _, k := range []LinkKind{CmdLink, PubSubLink} {
					c.Observe(now, LinkUp{Addr: lc.Spec.Addr, Kind: k, Gen: 1, LocalIP: "127.0.0.1"})
				}
			}
		}
		for _, s := range rd.Sends {
			r := Reply{Addr: s.Addr, Gen: s.Gen, Tag: s.Tag, Value: int64(1)}
			switch s.Tag.Kind {
			case TagPing:
				r.Value = "PONG"
			case TagInfo:
				if s.Tag.Name == s.Tag.Master {
					r.Value = fmt.Sprintf("# Replication\r\nrole:master\r\nconnected_slaves:1\r\nslave0:ip=127.0.0.1,port=%d,state=online,offset=1,lag=0\r\n", 10001+2*(len(s.Tag.Master)))
				} else {
					r.Value = "# Replication\r\nrole:slave\r\nmaster_host:127.0.0.1\r\nmaster_port:1\r\nmaster_link_status:up\r\nslave_repl_offset:1\r\n"
				}
			}
			c.Observe(now, r)
		}
	}
	step := func() {
		now = now.Add(100 * time.Millisecond)
		c.Tick(now)
		for range 3 { // replies arrive, which may queue more sends (first PING after connect)
			answer(c.Ready())
			c.Advance()
		}
		if c.Changed() {
			c.View()
		}
	}
	for range 30 { // connect and discover
		step()
	}
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		for range 10 {
			step()
		}
	}
}
