package monitor

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/sentinel-go/sentinel/config"
	"github.com/sentinel-go/sentinel/internal/resp"
)

// FuzzCore drives a Core with an arbitrary sequence of ticks, connection changes, replies
// (of every shape, right or wrong), hellos and requests, and checks what must always hold:
// no panic, no negative pending count, the current epoch never decreasing, and the view and
// the saved config buildable at every step.
func FuzzCore(f *testing.F) {
	f.Add([]byte{0, 1, 2, 3, 4, 5, 6, 7, 8, 9})
	f.Add([]byte{1, 0, 1, 1, 3, 0, 0, 2, 1, 5, 7, 2, 200, 9, 4, 4, 8, 1})
	f.Add([]byte("\x01\x00\x02\x03\x02\x05\x06\x07\x00\x00\x00\x09\x09\x09"))
	addrs := []string{"127.0.0.1:6379", "127.0.0.1:6380", "127.0.0.1:26380", "10.0.0.1:6379"}
	values := []any{"PONG", "LOADING x", int64(1), nil, []any{int64(1), "*", int64(0)},
		[]any{int64(1), peerID, int64(3)}, []any{"x"},
		"# Replication\r\nrole:master\r\nslave0:ip=127.0.0.1,port=6380,state=online,offset=1,lag=0\r\nrun_id:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n",
		"role:slave\r\nmaster_host:127.0.0.1\r\nmaster_port:6379\r\nmaster_link_status:up\r\nmaster_link_down_since_seconds:-1\r\n",
		"run_id:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb\r\nrole:slave\r\n",
		"run_id:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb\r\nrole:master\r\n",
		"role:slave\r\nmaster_host:127.0.0.1\r\nmaster_port:6380\r\nmaster_link_status:up\r\nslave_priority:0\r\n",
		"role:slave\r\nmaster_host:127.0.0.1\r\nmaster_port:6380\r\nmaster_link_status:down\r\nslave_repl_offset:9\r\n"}
	hellos := []string{
		"127.0.0.1,26380," + peerID + ",0,mymaster,127.0.0.1,6379,0",
		"127.0.0.1,26380," + peerID + ",7,mymaster,127.0.0.1,6380,7",
		"127.0.0.1,26381," + peerID + ",2,mymaster,127.0.0.1,6379,1",
		"127.0.0.1,26380,3333333333333333333333333333333333333333,1,mymaster,127.0.0.1,6379,0",
		"garbage", "1,2,3,4,5,6,7,8",
	}
	requests := [][]string{
		{"monitor", "m2", "127.0.0.1", "7000", "1"}, {"remove", "m2"}, {"remove", "mymaster"},
		{"set", "mymaster", "quorum", "1", "down-after-milliseconds", "500"},
		{"set", "mymaster", "auth-pass", "x"}, {"reset", "*"},
		{"is-master-down-by-addr", "127.0.0.1", "6379", "9", peerID},
		{"config", "set", "sentinel-pass", "p"}, {"debug", "ping-period", "100"},
		{"monitor", "mymaster", "127.0.0.1", "6379", "2"},
		{"failover", "mymaster"}, {"failover", "mymaster", "coordinated"},
		{"set", "mymaster", "quorum", "1"}, {"simulate-failure", "crash-after-promotion"},
	}
	f.Fuzz(func(t *testing.T, ops []byte) {
		cfg := config.Default()
		cfg.MyID = myID
		m := config.NewMaster("mymaster", "127.0.0.1", 6379, 2)
		m.DownAfter = time.Second
		cfg.Masters = []*config.Master{m}
		now := time.Unix(1_800_000_000, 0)
		c, err := New(cfg, rand.New(rand.NewPCG(1, 2)), now)
		if err != nil {
			t.Fatal(err)
		}
		var sends []Send
		gens := map[string]uint64{}
		next := func(i *int) int {
			if *i >= len(ops) {
				return 0
			}
			v := int(ops[*i])
			*i++
			return v
		}
		epoch := c.currentEpoch
		for i := 0; i < len(ops); {
			switch next(&i) % 8 {
			case 0:
				now = now.Add(time.Duration(next(&i)) * 20 * time.Millisecond)
				c.Tick(now)
			case 1:
				a := addrs[next(&i)%len(addrs)]
				gens[a]++
				c.Observe(now, LinkUp{Addr: a, Kind: LinkKind(next(&i) % 2), Gen: gens[a], LocalIP: "127.0.0.1"})
			case 2:
				a := addrs[next(&i)%len(addrs)]
				c.Observe(now, LinkDown{Addr: a, Kind: LinkKind(next(&i) % 2), Gen: gens[a]})
			case 3:
				if len(sends) > 0 {
					// Each send is answered at most once, as by the transport.
					k := next(&i) % len(sends)
					s := sends[k]
					sends = append(sends[:k:k], sends[k+1:]...)
					r := Reply{Addr: s.Addr, Gen: s.Gen, Tag: s.Tag, Value: values[next(&i)%len(values)]}
					if next(&i)%5 == 0 {
						r.Value, r.Err = nil, "BUSY x"
					}
					c.Observe(now, r)
				}
			case 4:
				c.Hello(now, hellos[next(&i)%len(hellos)])
			case 5:
				a := addrs[next(&i)%len(addrs)]
				c.Observe(now, Message{Addr: a, Gen: gens[a], Channel: "__sentinel__:hello", Payload: hellos[next(&i)%len(hellos)]})
			case 6:
				c.Request(now, RequestID(i), requests[next(&i)%len(requests)])
			case 7:
				var w resp.Writer
				AnswerQuery(c.View(), now, &w, bytesArgs([]string{"masters"}))
			}
			rd := c.Ready()
			c.Advance()
			sends = append(sends, rd.Sends...)
			if len(sends) > 64 {
				sends = sends[len(sends)-64:]
			}
			for _, l := range c.links {
				if l.pending < 0 {
					t.Fatalf("link %s pending %d", l.spec.Addr, l.pending)
				}
			}
			if c.currentEpoch < epoch {
				t.Fatalf("current epoch went from %d down to %d", epoch, c.currentEpoch)
			}
			epoch = c.currentEpoch
			if got := len(c.Config().Masters); got != len(c.order) {
				t.Fatalf("config has %d masters, core %d", got, len(c.order))
			}
		}
		_ = fmt.Sprint(c.View())
	})
}
