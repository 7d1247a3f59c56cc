package failover

import (
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

var limits = Limits{PingPeriod: time.Second, InfoPeriod: 10 * time.Second, DownAfter: 5 * time.Second,
	MasterSDown: true, MasterDownFor: 3 * time.Second}

func good(name string, prio int, offset int64, runID string) Replica {
	return Replica{Name: name, RunID: runID, SinceAvail: 100 * time.Millisecond, SinceInfo: 500 * time.Millisecond,
		Priority: prio, Offset: offset}
}

func TestEligible(t *testing.T) {
	base := good("r", 100, 1, "x")
	cases := []struct {
		name string
		edit func(*Replica, *Limits)
		want bool
	}{
		{"healthy", func(*Replica, *Limits) {}, true},
		{"down", func(r *Replica, _ *Limits) { r.Down = true }, false},
		{"disconnected", func(r *Replica, _ *Limits) { r.Disconnected = true }, false},
		{"no PING reply for 5 s", func(r *Replica, _ *Limits) { r.SinceAvail = 5100 * time.Millisecond }, false},
		{"priority 0", func(r *Replica, _ *Limits) { r.Priority = 0 }, false},
		{"INFO older than 5 s while the master is down", func(r *Replica, _ *Limits) { r.SinceInfo = 6 * time.Second }, false},
		{"INFO 20 s old for a live master (manual failover)", func(r *Replica, l *Limits) {
			r.SinceInfo, l.MasterSDown, l.MasterDownFor = 20*time.Second, false, 0
		}, true},
		{"INFO 31 s old for a live master", func(r *Replica, l *Limits) {
			r.SinceInfo, l.MasterSDown, l.MasterDownFor = 31*time.Second, false, 0
		}, false},
		{"link to the master down much longer than the master", func(r *Replica, _ *Limits) {
			r.MasterLinkDown = 3*time.Second + 50*time.Second + time.Millisecond
		}, false},
		{"link down about as long as the master", func(r *Replica, _ *Limits) { r.MasterLinkDown = 4 * time.Second }, true},
		{"not synced with the master since it became a replica", func(r *Replica, _ *Limits) { r.Unsynced = true }, false},
	}
	for _, tc := range cases {
		r, l := base, limits
		tc.edit(&r, &l)
		if got := Eligible(r, l); got != tc.want {
			t.Errorf("%s: eligible %v, want %v", tc.name, got, tc.want)
		}
	}
}

func TestSelectOrder(t *testing.T) {
	cases := []struct {
		name     string
		replicas []Replica
		want     string
	}{
		{"lower priority first", []Replica{good("a", 100, 900, "1"), good("b", 10, 1, "2")}, "b"},
		{"then the larger offset", []Replica{good("a", 100, 5, "1"), good("b", 100, 7, "2")}, "b"},
		{"then the smaller run ID, case-insensitively", []Replica{good("a", 100, 5, "BB"), good("b", 100, 5, "aa")}, "b"},
		{"an unknown run ID last", []Replica{good("a", 100, 5, ""), good("b", 100, 5, "zz")}, "b"},
		{"priority 0 never, whatever its offset", []Replica{good("a", 0, 1000, "1"), good("b", 100, 1, "2")}, "b"},
		{"an unsynced node never, whatever its priority and offset", []Replica{
			func() Replica { r := good("stale", 1, 1<<40, "0"); r.Unsynced = true; return r }(),
			good("b", 100, 1, "2"),
		}, "b"},
		{"nobody eligible", []Replica{good("a", 0, 1, "1")}, ""},
	}
	for _, tc := range cases {
		got := ""
		if i := Select(tc.replicas, limits); i >= 0 {
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
	var rs []Replica
	for i := range 60 {
		rs = append(rs, good("r", 1+r.IntN(3), int64(r.IntN(4)), string(rune('a'+ids[i]%26))+string(rune('a'+ids[i]/26))))
	}
	for _, a := range rs {
		for _, b := range rs {
			if sign(Compare(a, b)) != -sign(Compare(b, a)) {
				t.Fatalf("not antisymmetric: %+v %+v", a, b)
			}
			for _, c := range rs {
				if Compare(a, b) < 0 && Compare(b, c) < 0 && Compare(a, c) >= 0 {
					t.Fatalf("not transitive: %+v %+v %+v", a, b, c)
				}
			}
		}
	}
	want := rs[Select(rs, limits)]
	for range 20 {
		r.Shuffle(len(rs), func(i, j int) { rs[i], rs[j] = rs[j], rs[i] })
		if got := rs[Select(rs, limits)]; got != want {
			t.Fatalf("selection depends on order: %+v vs %+v", got, want)
		}
	}
}

func sign(n int) int {
	switch {
	case n < 0:
		return -1
	case n > 0:
		return 1
	}
	return 0
}

func TestNextFollowers(t *testing.T) {
	now := time.Unix(1000, 0)
	cases := []struct {
		name     string
		fs       []Follower
		parallel int
		send     []int
		timedOut []int
	}{
		{"one at a time", []Follower{{}, {}, {}}, 1, []int{0}, nil},
		{"two at a time", []Follower{{}, {}, {}}, 2, []int{0, 1}, nil},
		{"slot taken", []Follower{{Reconf: ReconfInProgress}, {}}, 1, nil, nil},
		{"done ones free their slot", []Follower{{Reconf: ReconfDone}, {}}, 1, []int{1}, nil},
		{"disconnected ones wait", []Follower{{Disconnected: true}, {}}, 1, []int{1}, nil},
		{"a silent one times out and frees its slot",
			[]Follower{{Reconf: ReconfSent, SentAt: now.Add(-11 * time.Second)}, {}}, 1, []int{1}, []int{0}},
		{"a recent one holds its slot",
			[]Follower{{Reconf: ReconfSent, SentAt: now.Add(-9 * time.Second)}, {}}, 1, nil, nil},
	}
	for _, tc := range cases {
		p := NextFollowers(tc.fs, tc.parallel, 10*time.Second, now)
		if !slices.Equal(p.Send, tc.send) || !slices.Equal(p.TimedOut, tc.timedOut) {
			t.Errorf("%s: send %v timed out %v, want %v %v", tc.name, p.Send, p.TimedOut, tc.send, tc.timedOut)
		}
	}
}

func TestFinished(t *testing.T) {
	if !Finished([]Follower{{Reconf: ReconfDone}, {Down: true}}) {
		t.Error("done and down replicas leave nothing to wait for")
	}
	if Finished([]Follower{{Reconf: ReconfDone}, {Reconf: ReconfInProgress}}) {
		t.Error("a replica still syncing must be waited for")
	}
}

func TestStateNames(t *testing.T) {
	want := []string{"none", "wait_start", "select_slave", "send_slaveof_noone", "wait_promotion", "reconf_slaves", "update_config"}
	for s := None; s <= UpdateConfig; s++ {
		if s.String() != want[s] {
			t.Errorf("state %d is %q, want %q", s, s, want[s])
		}
	}
	if !WaitPromotion.Abortable() || ReconfSlaves.Abortable() || None.Abortable() {
		t.Error("only attempts before the promotion can be aborted")
	}
}
