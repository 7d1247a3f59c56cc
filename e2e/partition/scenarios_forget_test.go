package partition

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestForgetAfterSplitGroup: forget-after under a real partition, the case that makes
// forgetting sentinels dangerous (monitor/forget.go). Five of ours, quorum 3. The sentinels
// split {s1, s2} | {s4, s5} with s3 reaching both, and s4, s5 cut off from the data nodes
// too, so that no instance relays hellos between the sides: each side forgets the other
// (-sentinel-forgotten) and knows three sentinels; s4 and s5 see the master SDOWN, but
// not ODOWN (s3 disagrees), which would hold forgetting off. Then s3 loses the master too:
// s3, s4 and s5 see it ODOWN and try to fail it over. s3 can win with s1's and s2's votes
// (a vote does not need the voter to see the master down). Had forgetting shrunk s4's and
// s5's majority to two of the three they know, they would win the same epoch with their
// own two votes. The majority stays one of the five heard together, so no epoch has two
// leaders (s4 or s5 may win one: with no replica in reach it aborts), every leader had
// three votes, and after the heal all agree on one master. Whether a shrunk majority would
// show here depends on who asks s3 for its vote first; the simulation is the proof that
// catches it every time (seeds 58 and 813 without the peak), this is the rule on real
// processes and a real network.
func TestForgetAfterSplitGroup(t *testing.T) {
	const forgetAfter = 5 * time.Second
	seed := Seed(t)
	sp := spec(KindOurs, seed)
	sp.Sentinels, sp.Quorum = 5, 3
	sp.SentinelConfig = []string{"sentinel forget-after {master} " + strconv.Itoa(int(forgetAfter.Milliseconds()))}
	c := StartCluster(t, sp)
	g := c.Groups[0]
	wl := c.StartWorkload(g, Writer{Name: "c1", Dial: c.ClientNode("c1").Dial})
	c.WaitAcked(wl, 20, 10*time.Second)

	s := c.SentinelNodes()
	var data []*Node
	for _, srv := range g.Servers {
		data = append(data, srv.Node)
	}
	c.Net.Cut(s[:2], s[3:])
	c.Net.Cut(s[3:], data)
	// Each of s1, s2 forgets s4 and s5, and the other way round.
	forgotten := func() int {
		n := 0
		for _, e := range c.Observer.Events() {
			if e.Channel == "-sentinel-forgotten" {
				n++
			}
		}
		return n
	}
	c.waitFor(forgetAfter+downAfter+15*time.Second, "each side to forget the other", func() bool { return forgotten() >= 8 })

	master := g.Servers[0]
	c.Net.Cut(s[2:3], []*Node{master.Node})
	// s4 and s5 reach no replica, so a leader among them aborts (no good slave) and the
	// next attempt comes two failover timeouts later: hold the cut for two rounds.
	c.Wait(failoverWait, "an election", func(e Event) bool { return e.Channel == "+elected-leader" })
	sleepOn(c, 4*failoverTimeout+time.Second)
	c.Net.Heal()
	out := c.Finish("forget-after split group", g, wl, c.Timeline.Since())

	// Every leader had a majority of the five: its run ID in +vote-for-leader of its epoch
	// from at least three sentinels (itself included). That is what makes two leaders in
	// one epoch impossible, and what a shrunk majority breaks first.
	ids := map[string]string{} // sentinel name → run ID
	for _, sn := range c.Sentinels {
		ctx, cancel := context.WithTimeout(context.Background(), checkTimeout)
		id, err := c.Client(sn.Addr).Do(ctx, "SENTINEL", "MYID").Text()
		cancel()
		if err != nil {
			t.Fatalf("%s: SENTINEL MYID: %v", sn.Name, err)
		}
		ids[sn.Name] = id
	}
	// Votes are counted over the whole run: the voters' events and the leader's come over
	// different connections, so a vote the leader counted may be observed after its win.
	votes := map[string]int{} // "run ID epoch" → votes cast
	for _, e := range c.Observer.Events() {
		if e.Channel == "+vote-for-leader" {
			votes[strings.TrimSpace(e.Payload)]++
		}
	}
	leaders := map[int]string{} // epoch → the sentinel elected in it
	tryEpoch, lastEpoch := map[string]int{}, map[string]int{}
	for _, e := range c.Observer.Events() {
		switch e.Channel {
		case "+new-epoch":
			lastEpoch[e.Sentinel], _ = strconv.Atoi(strings.TrimSpace(e.Payload))
		case "+try-failover":
			tryEpoch[e.Sentinel] = lastEpoch[e.Sentinel] // announced just before the try
		case "+elected-leader":
			ep := tryEpoch[e.Sentinel]
			if prev, ok := leaders[ep]; ok && prev != e.Sentinel {
				t.Errorf("two leaders in epoch %d: %s and %s", ep, prev, e.Sentinel)
			}
			leaders[ep] = e.Sentinel
			if got := votes[fmt.Sprintf("%s %d", ids[e.Sentinel], ep)]; got < 3 {
				t.Errorf("%s elected in epoch %d with %d votes: not a majority of the 5 sentinels", e.Sentinel, ep, got)
			}
		}
	}
	if len(leaders) == 0 {
		t.Errorf("no leader elected")
	}
	out.Result.Notes = "leaders by epoch: " + formatLeaders(leaders)
	Record(out.Result)
}

// formatLeaders lists epoch:sentinel in epoch order.
func formatLeaders(leaders map[int]string) string {
	var out []string
	for _, ep := range slices.Sorted(maps.Keys(leaders)) {
		out = append(out, fmt.Sprintf("%d:%s", ep, leaders[ep]))
	}
	return strings.Join(out, " ")
}
