package monitortest

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
