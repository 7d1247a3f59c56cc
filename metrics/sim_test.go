package metrics

import (
	"testing"
	"time"

	"github.com/sentinel-go/sentinel/monitor"
	"github.com/sentinel-go/sentinel/sim"
)

// TestFailoverInSimulation counts a real failover's events: three sentinels' cores in the
// deterministic simulation, the master killed, each sentinel's own Metrics fed its events
// at the simulated time and reading its core's view. The failover counts once, on the
// leader, with every phase timed; every sentinel sees the switch and the new config epoch.
func TestFailoverInSimulation(t *testing.T) {
	ms := map[string]*Metrics{}
	s := sim.New(sim.Options{Seed: 42, Sentinels: 3, Masters: 1, Replicas: 2, Quorum: 2,
		Events: func(n *sim.Sentinel, e monitor.Event) { ms[n.Name].Event(e) }})
	for _, name := range []string{"s1", "s2", "s3"} {
		n := s.Sentinel(name)
		ms[name] = New(Options{View: func() *monitor.View { return n.Core.View() }, Now: s.Now})
	}
	s.Start()
	s.Advance(5 * time.Second) // discovery: replicas from INFO, peers from hellos
	for name, m := range ms {
		check(t, scrape(t, m), []want{
			{"redis_sentinel_master_status", []string{"master_address", s.Instance("r0.0").Addr, "master_name", "m0", "master_status", "ok"}, 1},
			{"redis_sentinel_master_ok_sentinels", []string{"master_address", s.Instance("r0.0").Addr, "master_name", "m0"}, 3},
		})
		if t.Failed() {
			t.Fatalf("%s before the kill", name)
		}
	}
	s.KillInstance(s.Instance("r0.0"))
	// Scraped every 200 ms, as a fast Prometheus would: the master goes through odown.
	statuses := map[string]bool{}
	for end := s.Now().Add(15 * time.Second); s.Now().Before(end); {
		s.Advance(200 * time.Millisecond)
		for _, m := range ms {
			for _, st := range []string{"sdown", "odown"} {
				if _, ok := value(scrape(t, m), "redis_sentinel_master_status", "master_address", s.Instance("r0.0").Addr, "master_name", "m0", "master_status", st); ok {
					statuses[st] = true
				}
			}
		}
	}
	if !statuses["sdown"] || !statuses["odown"] {
		t.Errorf("statuses seen during the failover: %v, want sdown and odown", statuses)
	}
	if err := s.Err(); err != nil {
		t.Fatal(err)
	}
	var promoted *sim.Instance
	for _, r := range s.Instances() {
		if r.Alive && r.Role == "master" {
			promoted = r
		}
	}
	if promoted == nil {
		t.Fatal("no replica was promoted")
	}
	mn := []string{"master_name", "m0"}
	leaders := 0
	for name, m := range ms {
		fams := scrape(t, m)
		if _, ok := value(fams, "redis_sentinel_master_since_last_switch_seconds", mn...); !ok {
			t.Errorf("%s: no switch seen", name)
		}
		if epoch, _ := value(fams, "redis_sentinel_current_epoch"); epoch < 1 {
			t.Errorf("%s: current epoch %v after a failover", name, epoch)
		}
		// The master's figures moved to the promoted replica's address: ok, new epoch.
		now := []string{"master_address", promoted.Addr, "master_name", "m0"}
		check(t, fams, []want{{"redis_sentinel_master_status", append(now, "master_status", "ok"), 1}})
		if epoch, _ := value(fams, "redis_sentinel_master_config_epoch", now...); epoch < 1 {
			t.Errorf("%s: config epoch %v after the failover", name, epoch)
		}
		if n, ok := value(fams, "redis_sentinel_events_total", "type", "other"); ok {
			t.Errorf("%s: %v events of a type the metrics do not know", name, n)
		}
		won, _ := value(fams, "redis_sentinel_master_failovers_succeeded_total", mn...)
		if won == 0 {
			continue
		}
		leaders++
		check(t, fams, []want{
			{"redis_sentinel_master_failovers_succeeded_total", mn, 1},
			{"redis_sentinel_master_failover_duration_seconds", mn, 1},
			{"redis_sentinel_master_failover_phase_seconds", []string{"master_name", "m0", "phase", "odown"}, 1},
			{"redis_sentinel_master_failover_phase_seconds", []string{"master_name", "m0", "phase", "elected"}, 1},
			{"redis_sentinel_master_failover_phase_seconds", []string{"master_name", "m0", "phase", "promoted"}, 1},
			{"redis_sentinel_master_failover_phase_seconds", []string{"master_name", "m0", "phase", "switched"}, 1},
		})
		if d, _ := value(fams, "redis_sentinel_master_last_failover_duration_seconds", mn...); d <= 0 || d > 15 {
			t.Errorf("%s: last failover took %vs", name, d)
		}
	}
	if leaders != 1 {
		t.Errorf("%d sentinels counted the failover as theirs, want 1", leaders)
	}
}
