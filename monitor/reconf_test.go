package monitor

import (
	"slices"
	"testing"
	"time"
)

func TestNextFollowers(t *testing.T) {
	now := time.Unix(1000, 0)
	cases := []struct {
		name     string
		fs       []follower
		parallel int
		send     []int
		timedOut []int
	}{
		{"one at a time", []follower{{}, {}, {}}, 1, []int{0}, nil},
		{"two at a time", []follower{{}, {}, {}}, 2, []int{0, 1}, nil},
		{"slot taken", []follower{{Reconf: reconfInProgress}, {}}, 1, nil, nil},
		{"done ones free their slot", []follower{{Reconf: reconfDone}, {}}, 1, []int{1}, nil},
		{"disconnected ones wait", []follower{{Disconnected: true}, {}}, 1, []int{1}, nil},
		{"a silent one times out and frees its slot",
			[]follower{{Reconf: reconfSent, SentAt: now.Add(-11 * time.Second)}, {}}, 1, []int{1}, []int{0}},
		{"a recent one holds its slot",
			[]follower{{Reconf: reconfSent, SentAt: now.Add(-9 * time.Second)}, {}}, 1, nil, nil},
	}
	for _, tc := range cases {
		p := nextFollowers(tc.fs, tc.parallel, 10*time.Second, now)
		if !slices.Equal(p.Send, tc.send) || !slices.Equal(p.TimedOut, tc.timedOut) {
			t.Errorf("%s: send %v timed out %v, want %v %v", tc.name, p.Send, p.TimedOut, tc.send, tc.timedOut)
		}
	}
}

func TestFinished(t *testing.T) {
	if !reconfFinished([]follower{{Reconf: reconfDone}, {Down: true}}) {
		t.Error("done and down replicas leave nothing to wait for")
	}
	if reconfFinished([]follower{{Reconf: reconfDone}, {Reconf: reconfInProgress}}) {
		t.Error("a replica still syncing must be waited for")
	}
}
