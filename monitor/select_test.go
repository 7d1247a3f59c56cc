package monitor

import (
	"math/rand/v2"
	"testing"
	"time"
)

var selLimits = selectLimits{PingPeriod: time.Second, InfoPeriod: 10 * time.Second, DownAfter: 5 * time.Second,
	MasterSDown: true, MasterDownFor: 3 * time.Second}

func goodCandidate(name string, prio int, offset int64, runID string) candidate {
	return candidate{Name: name, RunID: runID, SinceAvail: 100 * time.Millisecond, SinceInfo: 500 * time.Millisecond,
		Priority: prio, Offset: offset}
}

func TestEligible(t *testing.T) {
	base := goodCandidate("r", 100, 1, "x")
	cases := []struct {
		name string
		edit func(*candidate, *selectLimits)
		want bool
	}{
		{"healthy", func(*candidate, *selectLimits) {}, true},
		{"down", func(r *candidate, _ *selectLimits) { r.Down = true }, false},
		{"disconnected", func(r *candidate, _ *selectLimits) { r.Disconnected = true }, false},
		{"no PING reply for 5 s", func(r *candidate, _ *selectLimits) { r.SinceAvail = 5100 * time.Millisecond }, false},
		{"priority 0", func(r *candidate, _ *selectLimits) { r.Priority = 0 }, false},
		{"INFO older than 5 s while the master is down", func(r *candidate, _ *selectLimits) { r.SinceInfo = 6 * time.Second }, false},
		{"INFO 20 s old for a live master (manual failover)", func(r *candidate, l *selectLimits) {
			r.SinceInfo, l.MasterSDown, l.MasterDownFor = 20*time.Second, false, 0
		}, true},
		{"INFO 31 s old for a live master", func(r *candidate, l *selectLimits) {
			r.SinceInfo, l.MasterSDown, l.MasterDownFor = 31*time.Second, false, 0
		}, false},
		{"link to the master down much longer than the master", func(r *candidate, _ *selectLimits) {
			r.MasterLinkDown = 3*time.Second + 50*time.Second + time.Millisecond
		}, false},
		{"link down about as long as the master", func(r *candidate, _ *selectLimits) { r.MasterLinkDown = 4 * time.Second }, true},
		{"not synced with the master since it became a replica", func(r *candidate, _ *selectLimits) { r.Unsynced = true }, false},
	}
	for _, tc := range cases {
		r, l := base, selLimits
		tc.edit(&r, &l)
		if got := eligible(r, l); got != tc.want {
			t.Errorf("%s: eligible %v, want %v", tc.name, got, tc.want)
		}
	}
}

func TestSelectOrder(t *testing.T) {
	cases := []struct {
		name     string
		replicas []candidate
		want     string
	}{
		{"lower priority first", []candidate{goodCandidate("a", 100, 900, "1"), goodCandidate("b", 10, 1, "2")}, "b"},
		{"then the larger offset", []candidate{goodCandidate("a", 100, 5, "1"), goodCandidate("b", 100, 7, "2")}, "b"},
		{"then the smaller run ID, case-insensitively", []candidate{goodCandidate("a", 100, 5, "BB"), goodCandidate("b", 100, 5, "aa")}, "b"},
		{"an unknown run ID last", []candidate{goodCandidate("a", 100, 5, ""), goodCandidate("b", 100, 5, "zz")}, "b"},
		{"priority 0 never, whatever its offset", []candidate{goodCandidate("a", 0, 1000, "1"), goodCandidate("b", 100, 1, "2")}, "b"},
		{"an unsynced node never, whatever its priority and offset", []candidate{
			func() candidate { r := goodCandidate("stale", 1, 1<<40, "0"); r.Unsynced = true; return r }(),
			goodCandidate("b", 100, 1, "2"),
		}, "b"},
		{"nobody eligible", []candidate{goodCandidate("a", 0, 1, "1")}, ""},
	}
	for _, tc := range cases {
		got := ""
		if i := bestCandidate(tc.replicas, selLimits); i >= 0 {
			got = tc.replicas[i].Name
		}
		if got != tc.want {
			t.Errorf("%s: selected %q, want %q", tc.name, got, tc.want)
		}
	}
}

// TestCompareIsATotalOrder: antisymmetric and transitive over random replicas with distinct
// run IDs, so every sentinel ranks the same set the same way, in any input order.
func TestCompareIsATotalOrder(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 7))
	ids := r.Perm(1000)
	var rs []candidate
	for i := range 60 {
		rs = append(rs, goodCandidate("r", 1+r.IntN(3), int64(r.IntN(4)), string(rune('a'+ids[i]%26))+string(rune('a'+ids[i]/26))))
	}
	for _, a := range rs {
		for _, b := range rs {
			if signum(compareCandidates(a, b)) != -signum(compareCandidates(b, a)) {
				t.Fatalf("not antisymmetric: %+v %+v", a, b)
			}
			for _, c := range rs {
				if compareCandidates(a, b) < 0 && compareCandidates(b, c) < 0 && compareCandidates(a, c) >= 0 {
					t.Fatalf("not transitive: %+v %+v %+v", a, b, c)
				}
			}
		}
	}
	want := rs[bestCandidate(rs, selLimits)]
	for range 20 {
		r.Shuffle(len(rs), func(i, j int) { rs[i], rs[j] = rs[j], rs[i] })
		if got := rs[bestCandidate(rs, selLimits)]; got != want {
			t.Fatalf("selection depends on order: %+v vs %+v", got, want)
		}
	}
}

func signum(n int) int {
	switch {
	case n < 0:
		return -1
	case n > 0:
		return 1
	}
	return 0
}
