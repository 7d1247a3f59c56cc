package sentinel_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sentinel-go/sentinel/e2e/realredis"
)

// TestForgetAfter: a replica killed for good is forgotten after forget-after (-slave-forgotten,
// gone from SENTINEL REPLICAS and from the rewritten config); the master and the live
// replica are kept, and a restart of the sentinel does not bring the dead one back.
func TestForgetAfter(t *testing.T) {
	t.Parallel()
	top := startTopology(t, nil)
	port := realredis.FreePort(t)
	p := startSentinel(t, ours, port, sentinelConf(port, top.Master.Port(), 1,
		fmt.Sprintf("sentinel forget-after %s 5000", masterName)))
	waitDiscoveryOf(t, top.replicaPorts(), p)
	rec := record(t, p)
	dead := fmt.Sprintf("127.0.0.1:%d", top.R1.Port())
	top.R1.Kill()
	rec.wait(t, 5*time.Second+downAfter+10*time.Second, "-slave-forgotten",
		hasPrefix(fmt.Sprintf("slave %s 127.0.0.1 %d @ %s", dead, top.R1.Port(), masterName)))
	gone := func() bool {
		rs := p.instances("replicas")
		return len(rs) == 1 && rs[0]["name"] == fmt.Sprintf("127.0.0.1:%d", top.R2.Port())
	}
	waitFor(t, 5*time.Second, "only the live replica listed", gone)
	waitFor(t, 5*time.Second, "no known-replica line for the dead one", func() bool {
		for _, l := range readLines(t, p.Conf) {
			if strings.HasPrefix(l, "sentinel known-replica") && strings.Contains(l, fmt.Sprint(top.R1.Port())) {
				return false
			}
		}
		return true
	})
	if m := p.master(); m["ip"] != "127.0.0.1" || m["port"] != fmt.Sprint(top.Master.Port()) {
		t.Errorf("master is %v", m)
	}
	p.terminate(t, 10*time.Second)
	p.restart(t)
	waitFor(t, 10*time.Second, "the live replica back after the restart", gone)
}

// TestForgetAfterSentinels: the ghost of redis/redis #1972. One of three sentinels comes
// back under a new run ID at a new address (a pod restarted without its state); with
// forget-after the others forget the old identity (-sentinel-forgotten, gone from
// SENTINEL SENTINELS and from the config, still gone after a restart) and keep the live
// peers, so the group's majority is again two of three: CKQUORUM is OK with one more
// sentinel down, where four known sentinels (the ghost kept) would need three. A peer then
// killed for good is forgotten too, but the majority stays two of the three heard together.
func TestForgetAfterSentinels(t *testing.T) {
	t.Parallel()
	top := startTopology(t, nil)
	forget := fmt.Sprintf("sentinel forget-after %s 5000", masterName)
	g := startGroup(t, []string{ours, ours, ours}, top.Master.Port(), forget)
	waitDiscoveryOf(t, top.replicaPorts(), g.procs...)
	a, b := g.procs[0], g.procs[1]

	ghost := g.ids[2]
	g.procs[2].Proc.Stop()
	// A restart takes longer than the PING that finds the old process's connection closed
	// (within a ping period): what lets the others tell a ghost from a peer merely silent.
	for _, p := range []*proc{a, b} {
		waitFor(t, 5*time.Second, p.String()+" to see the ghost's connection closed", func() bool {
			for _, s := range p.instances("sentinels") {
				if s["runid"] == ghost {
					return strings.Contains(s["flags"], "disconnected")
				}
			}
			return false
		})
	}
	port := realredis.FreePort(t)
	for i := 0; port == g.procs[2].Port && i < 10; i++ {
		port = realredis.FreePort(t) // at the ghost's address it would replace it, not be new
	}
	successor := startSentinel(t, ours, port, failoverConf(port, top.Master.Port(), forget))
	successorID := successor.myID(t)
	for i, p := range []*proc{a, b} {
		g.recs[i].wait(t, 10*time.Second, "+sentinel", hasPrefix("sentinel "+successorID))
		g.recs[i].wait(t, 5*time.Second+downAfter+10*time.Second, "-sentinel-forgotten", hasPrefix("sentinel "+ghost))
		waitFor(t, 5*time.Second, p.String()+" to know the live peers alone", func() bool {
			return knownPeers(p) == strings.Join(slices.Sorted(slices.Values([]string{g.ids[1-i], successorID})), " ")
		})
	}
	for _, p := range []*proc{a, b} {
		waitFor(t, 5*time.Second, p.String()+"'s config to drop the ghost's known-sentinel line", func() bool {
			for _, l := range readLines(t, p.Conf) {
				if strings.HasPrefix(l, "sentinel known-sentinel") && strings.Contains(l, ghost) {
					return false
				}
			}
			return true
		})
	}
	peak := fmt.Sprintf("sentinel peak-sentinels %s 3", masterName)
	waitFor(t, 5*time.Second, "the peak in the config", func() bool {
		return slices.Contains(readLines(t, a.Conf), peak)
	})
	for i := range 2 {
		if n := g.count(i, "-sentinel-forgotten", hasPrefix("sentinel "+g.ids[1-i])); n != 0 {
			t.Errorf("%s forgot its live peer", g.name(i))
		}
	}

	// One more down: two usable of three voters is a majority.
	successor.Proc.Stop()
	g.recs[0].wait(t, downAfter+5*time.Second, "+sdown", hasPrefix("sentinel "+successorID))
	ck := func() string {
		s, err := a.Client.Do(context.Background(), "SENTINEL", "CKQUORUM", masterName).Text()
		if err != nil {
			return err.Error()
		}
		return s
	}
	if got, want := ck(), "OK 2 usable Sentinels. Quorum and failover authorization can be reached"; got != want {
		t.Errorf("CKQUORUM with the ghost forgotten and a peer down: %q, want %q", got, want)
	}
	g.recs[0].wait(t, 5*time.Second+10*time.Second, "-sentinel-forgotten", hasPrefix("sentinel "+successorID))
	if got, want := ck(), "OK 2 usable Sentinels. Quorum and failover authorization can be reached"; got != want {
		t.Errorf("CKQUORUM with the dead peer forgotten: %q, want %q", got, want)
	}

	a.terminate(t, 10*time.Second)
	a.restart(t)
	if got := knownPeers(a); got != g.ids[1] {
		t.Errorf("after a restart %s knows %q, want only %s", a, got, g.ids[1])
	}
	if m := a.master(); m["ip"] != "127.0.0.1" || m["port"] != fmt.Sprint(top.Master.Port()) {
		t.Errorf("master is %v", m)
	}
	// Majorities still of three, though one peer is known: the peak came back with it.
	if got, want := ck(), "OK 2 usable Sentinels. Quorum and failover authorization can be reached"; got != want {
		t.Errorf("CKQUORUM after the restart: %q, want %q", got, want)
	}
	if !slices.Contains(readLines(t, a.Conf), peak) {
		t.Errorf("after a restart the config lacks %q", peak)
	}
}

// knownPeers is the run IDs SENTINEL SENTINELS lists, sorted and joined by spaces.
func knownPeers(p *proc) string {
	var ids []string
	for _, s := range p.instances("sentinels") {
		ids = append(ids, s["runid"])
	}
	slices.Sort(ids)
	return strings.Join(ids, " ")
}
