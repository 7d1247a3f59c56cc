package partition

import (
	"context"
	"fmt"
	"net"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// Agreement is what the sentinels and the instances of one group say about its master.
type Agreement struct {
	Master string // the sentinels' master, "ip:port"; empty when they disagree
	Epoch  int64  // the sentinels' config-epoch for it
	// Agree: every sentinel answers with the same master and config-epoch, that instance
	// says it is a master, and every other instance says it replicates from it.
	Agree  bool
	Detail string // what each one said, for a failure message
}

// checkTimeout bounds each question CheckAgreement and ReadKeys ask.
const checkTimeout = time.Second

func options(dial Dialer, addr string) *redis.Options {
	t := checkTimeout
	return &redis.Options{
		Addr: addr, Dialer: dial, PoolSize: 1, MaxRetries: -1, DialerRetries: 1,
		DialTimeout: t, ReadTimeout: t, WriteTimeout: t, PoolTimeout: t,
	}
}

func client(dial Dialer, addr string) *redis.Client { return redis.NewClient(options(dial, addr)) }

// CheckAgreement asks every sentinel SENTINEL MASTER <name> and every instance ROLE. An
// instance or sentinel that does not answer makes the group disagree: nobody can vouch
// for what it would do when it answers again.
func CheckAgreement(ctx context.Context, dial Dialer, masterName string, sentinels, instances []string) Agreement {
	var a Agreement
	var detail []string
	masters := map[string]bool{}
	epochs := map[int64]bool{}
	for _, s := range sentinels {
		c := redis.NewSentinelClient(options(dial, s))
		m, err := c.Master(ctx, masterName).Result()
		c.Close()
		if err != nil {
			detail = append(detail, fmt.Sprintf("sentinel %s: %v", s, err))
			masters["?"+s] = true
			continue
		}
		addr := net.JoinHostPort(m["ip"], m["port"])
		epoch, _ := strconv.ParseInt(m["config-epoch"], 10, 64)
		masters[addr] = true
		epochs[epoch] = true
		a.Epoch = epoch
		a.Master = addr
		detail = append(detail, fmt.Sprintf("sentinel %s: master %s epoch %d flags %s", s, addr, epoch, m["flags"]))
	}
	agree := len(masters) == 1 && len(epochs) == 1 && len(sentinels) > 0
	if !agree {
		a.Master, a.Epoch = "", 0
	}
	nMasters := 0
	for _, in := range instances {
		role, upstream, state, err := Role(ctx, dial, in)
		switch {
		case err != nil:
			detail = append(detail, fmt.Sprintf("instance %s: %v", in, err))
			agree = false
		case role == "master":
			nMasters++
			detail = append(detail, fmt.Sprintf("instance %s: master", in))
			if in != a.Master {
				agree = false
			}
		default:
			detail = append(detail, fmt.Sprintf("instance %s: %s of %s (%s)", in, role, upstream, state))
			if upstream != a.Master {
				agree = false
			}
		}
	}
	if len(instances) > 0 && nMasters != 1 {
		agree = false
	}
	a.Agree = agree
	a.Detail = strings.Join(detail, "; ")
	return a
}

// Role asks addr ROLE: "master", or "slave" with the master it replicates from and the
// link's state ("connect", "connecting", "sync", "connected").
func Role(ctx context.Context, dial Dialer, addr string) (role, upstream, state string, err error) {
	c := client(dial, addr)
	defer c.Close()
	v, err := c.Do(ctx, "ROLE").Slice()
	if err != nil {
		return "", "", "", err
	}
	if len(v) == 0 {
		return "", "", "", fmt.Errorf("partition: empty ROLE reply from %s", addr)
	}
	role, _ = v[0].(string)
	if role == "slave" && len(v) >= 4 {
		ip, _ := v[1].(string)
		port := fmt.Sprint(v[2])
		state, _ = v[3].(string)
		return role, net.JoinHostPort(ip, port), state, nil
	}
	return role, "", "", nil
}

// WaitAgreement asks CheckAgreement until the group agrees or within has passed, and
// returns the last answer and how long it took.
func WaitAgreement(ctx context.Context, dial Dialer, masterName string, sentinels, instances []string, within time.Duration) (Agreement, time.Duration, error) {
	start := time.Now()
	deadline := start.Add(within)
	for {
		a := CheckAgreement(ctx, dial, masterName, sentinels, instances)
		if a.Agree {
			return a, time.Since(start), nil
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			return a, time.Since(start), fmt.Errorf("partition: no agreement on %s within %v: %s", masterName, within, a.Detail)
		}
		select {
		case <-ctx.Done():
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// ReadKeys returns the keys that exist on addr, with their values.
func ReadKeys(ctx context.Context, dial Dialer, addr string, keys []string) (map[string]string, error) {
	c := client(dial, addr)
	defer c.Close()
	out := make(map[string]string, len(keys))
	for len(keys) > 0 {
		n := min(len(keys), 500)
		vals, err := c.MGet(ctx, keys[:n]...).Result()
		if err != nil {
			return nil, fmt.Errorf("partition: MGET on %s: %w", addr, err)
		}
		for i, v := range vals {
			if s, ok := v.(string); ok {
				out[keys[i]] = s
			}
		}
		keys = keys[n:]
	}
	return out, nil
}

// AckedKeys returns the keys of the acknowledged writes, the ones to look up at the end.
func (h History) AckedKeys() []string {
	var keys []string
	for _, w := range h.Writes {
		if w.Acked {
			keys = append(keys, w.Key)
		}
	}
	return keys
}

// Result is one scenario's figures on one kind of sentinel.
type Result struct {
	Scenario, Kind string // Kind: "ours" or "redis-sentinel"
	Acked, Lost    int    // acknowledged writes, and of those not on the final master
	// LostOlderThan: lost writes acknowledged more than d before the fault ended, filled by
	// the scenario that knows when that was (LostBefore).
	LostOlderThan map[time.Duration]int
	DualWrite     time.Duration // time during which two different nodes acknowledged writes
	StaleWrite    time.Duration // how long a demoted master kept acknowledging writes
	Converge      time.Duration // heal -> every sentinel and instance agrees
	Failovers     int           // master changes the sentinels announced
	Agree         bool
	Notes         string
}

// Switch is a +switch-master one sentinel published.
type Switch struct {
	At               time.Duration
	Sentinel, Master string
	From, To         string // "ip:port"
}

// Switches parses the +switch-master events ("<name> <old-ip> <old-port> <new-ip>
// <new-port>"), in order.
func Switches(events []Event) []Switch {
	var out []Switch
	for _, e := range events {
		if e.Channel != "+switch-master" {
			continue
		}
		f := strings.Fields(e.Payload)
		if len(f) != 5 {
			continue
		}
		out = append(out, Switch{
			At: e.At, Sentinel: e.Sentinel, Master: f[0],
			From: net.JoinHostPort(f[1], f[2]), To: net.JoinHostPort(f[3], f[4]),
		})
	}
	slices.SortStableFunc(out, func(a, b Switch) int { return cmpDur(a.At, b.At) })
	return out
}

// Failovers returns the master changes: of the +switch-master events, those that move a
// group to a master other than the one last announced. Every sentinel publishes each
// switch, the leader first and the others as they learn the new configuration; those
// repeats name the current master and are not counted again.
func Failovers(events []Event) []Switch {
	current := map[string]string{}
	var out []Switch
	for _, s := range Switches(events) {
		if cur, ok := current[s.Master]; ok && cur == s.To {
			continue
		}
		current[s.Master] = s.To
		out = append(out, s)
	}
	return out
}

// LostWrites returns the acknowledged writes whose value is not in final.
func LostWrites(h History, final map[string]string) []Write {
	var lost []Write
	for _, w := range h.Writes {
		if w.Acked && final[w.Key] != w.Value {
			lost = append(lost, w)
		}
	}
	return lost
}

// LostByNode summarises lost writes per acknowledging node, "node: n (first..last)", so a
// timeline says whose acknowledgements the failover threw away and when they were made.
func LostByNode(lost []Write) string {
	type span struct {
		n           int
		first, last time.Duration
	}
	by := map[string]*span{}
	var nodes []string
	for _, w := range lost {
		sp := by[w.Node]
		if sp == nil {
			sp = &span{first: w.End}
			by[w.Node] = sp
			nodes = append(nodes, w.Node)
		}
		sp.n++
		sp.first, sp.last = min(sp.first, w.End), max(sp.last, w.End)
	}
	slices.Sort(nodes)
	parts := make([]string, 0, len(nodes))
	for _, n := range nodes {
		sp := by[n]
		parts = append(parts, fmt.Sprintf("%s: %d (%v..%v)", n, sp.n, sp.first.Round(time.Millisecond), sp.last.Round(time.Millisecond)))
	}
	return strings.Join(parts, ", ")
}

// LostBefore counts the lost writes acknowledged before t.
func LostBefore(h History, final map[string]string, t time.Duration) int {
	n := 0
	for _, w := range LostWrites(h, final) {
		if w.End < t {
			n++
		}
	}
	return n
}

// runGap ends a node's run of acknowledgements: a node silent for longer than this was
// not accepting writes in between, as far as the clients could tell.
const runGap = time.Second

type span struct{ from, to time.Duration }

// runs splits each node's acknowledgements into runs of writes no more than runGap apart.
func runs(h History) map[string][]span {
	ends := map[string][]time.Duration{}
	for _, w := range h.Writes {
		if w.Acked && w.Node != "" {
			ends[w.Node] = append(ends[w.Node], w.End)
		}
	}
	out := map[string][]span{}
	for node, ts := range ends {
		slices.Sort(ts)
		cur := span{ts[0], ts[0]}
		for _, t := range ts[1:] {
			if t-cur.to > runGap {
				out[node] = append(out[node], cur)
				cur = span{t, t}
				continue
			}
			cur.to = t
		}
		out[node] = append(out[node], cur)
	}
	return out
}

// DualWrite sums the time during which runs of acknowledgements of two or more different
// nodes overlap: the time the group had two masters as far as its clients could tell.
func DualWrite(h History) time.Duration {
	type edge struct {
		at    time.Duration
		delta int
	}
	var edges []edge
	for _, spans := range runs(h) {
		for _, s := range spans {
			edges = append(edges, edge{s.from, +1}, edge{s.to, -1})
		}
	}
	// At one instant, a run that ends and one that begins do not overlap.
	slices.SortFunc(edges, func(a, b edge) int {
		if c := cmpDur(a.at, b.at); c != 0 {
			return c
		}
		return a.delta - b.delta
	})
	var total, since time.Duration
	active := 0
	for _, e := range edges {
		if active >= 2 {
			total += e.at - since
		}
		active += e.delta
		since = e.at
	}
	return total
}

// StaleWrite returns the longest time a master the sentinels had switched away from
// went on acknowledging writes: from the first acknowledgement it gave after the switch
// (or the switch, if that write began before it) to the last, until a later switch made it
// master again. A paused master's sleep is not counted: it accepted nothing while stopped.
func StaleWrite(h History, events []Event) time.Duration {
	fo := Failovers(events)
	var longest time.Duration
	for i, s := range fo {
		until := time.Duration(1<<63 - 1)
		for _, later := range fo[i+1:] {
			if later.Master == s.Master && later.To == s.From {
				until = later.At
				break
			}
		}
		var first, last time.Duration
		found := false
		for _, w := range h.Writes {
			if !w.Acked || w.Node != s.From || w.End <= s.At || w.End >= until {
				continue
			}
			if !found {
				first, found = max(w.Start, s.At), true
			}
			last = max(last, w.End)
		}
		if found {
			longest = max(longest, last-first)
		}
	}
	return longest
}

// Analyze fills the figures that follow from the history, the final master's keys and the
// events; the scenario adds Scenario, Kind, Converge, Agree and LostOlderThan.
func Analyze(h History, final map[string]string, events []Event) Result {
	r := Result{
		Lost:       len(LostWrites(h, final)),
		DualWrite:  DualWrite(h),
		StaleWrite: StaleWrite(h, events),
		Failovers:  len(Failovers(events)),
	}
	for _, w := range h.Writes {
		if w.Acked {
			r.Acked++
		}
	}
	return r
}
