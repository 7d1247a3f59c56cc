package sim

import (
	"testing"
	"time"
)

// TestScriptedFailover drives the harness by hand, as a scripted test would: a fixed
// topology, one fault, then the checks the random runs use.
func TestScriptedFailover(t *testing.T) {
	s := New(Options{Seed: 42, Sentinels: 3, Masters: 1, Replicas: 2, Quorum: 2})
	s.Start()
	s.Advance(5 * time.Second) // discovery: replicas from INFO, peers from hellos
	old := s.Instance("r0.0")
	s.KillInstance(old)
	s.Advance(15 * time.Second)
	if err := s.Err(); err != nil {
		t.Fatal(err)
	}
	if st := s.Stats(); st.Promotions != 1 {
		t.Fatalf("want one promotion after the master died, got %v", st)
	}
	s.RestartInstance(old)
	// The old master comes back as a master; the sentinels convert it (after 8 s, Redis's
	// four hello periods) and everyone agrees.
	deadline := s.Now().Add(40 * time.Second)
	for ok, why := s.Agreement(); !ok; ok, why = s.Agreement() {
		if err := s.Err(); err != nil {
			t.Fatal(err)
		}
		if s.Now().After(deadline) {
			t.Fatalf("no agreement: %s\n%v", why, s.Trace())
		}
		s.Advance(time.Second)
	}
	if old.Role != "slave" {
		t.Fatalf("the old master is %s", old.Role)
	}
}

// TestScriptedEmptyRestart: a master restarted at once without persistence. With
// protect-empty-restart on every sentinel, the group fails over to a replica that kept its
// data, and after it no instance holds less than the replicas held before the restart.
// Without it (the control, Redis's behaviour) no failover happens and the replicas resync
// from the empty master: their data is gone.
func TestScriptedEmptyRestart(t *testing.T) {
	for seed := uint64(1); seed <= emptyRestartSeeds; seed++ {
		for _, guard := range []bool{true, false} {
			scriptedEmptyRestart(t, seed, guard)
		}
	}
}

// emptyRestartSeeds: every seed draws other network delays, replica sync delays and
// sentinel tick phases, so the race between the replicas and the sentinels is run that
// many ways.
const emptyRestartSeeds = 100

func scriptedEmptyRestart(t *testing.T, seed uint64, guard bool) {
	t.Helper()
	{
		s := New(Options{Seed: seed, Sentinels: 3, Masters: 1, Replicas: 2, Quorum: 2, ProtectEmptyRestart: guard})
		s.Start()
		s.Advance(15 * time.Second) // every instance's INFO, with its keys, seen
		m, r1, r2 := s.Instance("r0.0"), s.Instance("r0.1"), s.Instance("r0.2")
		if guard && r1.Priority == 0 && r2.Priority == 0 {
			return // the draw left no replica to promote: nothing can keep the data
		}
		held := min(r1.Offset, r2.Offset)
		if held == 0 {
			t.Fatal("the replicas hold nothing to lose")
		}
		s.RestartInstanceEmpty(m)
		deadline := s.Now().Add(60 * time.Second)
		s.Advance(10 * time.Second)
		for ok, why := s.Agreement(); !ok; ok, why = s.Agreement() {
			if err := s.Err(); err != nil {
				t.Fatal(err) // a violation stops the simulation's clock
			}
			if s.Now().After(deadline) {
				t.Fatalf("seed %d guard %v: no agreement: %s\n%v", seed, guard, why, s.Trace())
			}
			s.Advance(time.Second)
		}
		if err := s.Err(); err != nil {
			t.Fatal(err)
		}
		promotions := s.Stats().Promotions
		least := min(m.Offset, r1.Offset, r2.Offset)
		switch {
		case guard && (promotions != 1 || least < held):
			t.Errorf("seed %d guard: %d promotions, least offset %d < %d held before\n%v", seed, promotions, least, held, s.Trace())
		case !guard && (promotions != 0 || least >= held):
			t.Errorf("seed %d control: %d promotions, least offset %d, held %d: the wipe did not happen", seed, promotions, least, held)
		}
	}
}
