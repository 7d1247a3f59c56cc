package election

import (
	"math/rand/v2"
	"testing"
)

func TestGrant(t *testing.T) {
	a, b := "aaaa", "bbbb"
	cases := []struct {
		name   string
		ballot Ballot
		epoch  uint64
		cand   string
		want   Outcome
	}{
		{"first request of a newer epoch wins the vote and raises the epoch",
			Ballot{Current: 3}, 4, a,
			Outcome{Ballot: Ballot{Current: 4, Held: Vote{a, 4}}, EpochRaised: true, Cast: true}},
		{"same epoch as current, not voted in it yet",
			Ballot{Current: 4, Held: Vote{b, 3}}, 4, a,
			Outcome{Ballot: Ballot{Current: 4, Held: Vote{a, 4}}, Cast: true}},
		{"second candidate in the same epoch gets the first one's name",
			Ballot{Current: 4, Held: Vote{a, 4}}, 4, b,
			Outcome{Ballot: Ballot{Current: 4, Held: Vote{a, 4}}}},
		{"an older epoch is refused with the newer vote",
			Ballot{Current: 6, Held: Vote{a, 6}}, 5, b,
			Outcome{Ballot: Ballot{Current: 6, Held: Vote{a, 6}}}},
		{"a request behind our current epoch is refused even without a vote in it",
			Ballot{Current: 7, Held: Vote{a, 5}}, 6, b,
			Outcome{Ballot: Ballot{Current: 7, Held: Vote{a, 5}}}},
	}
	for _, tc := range cases {
		if got := Grant(tc.ballot, tc.epoch, tc.cand); got != tc.want {
			t.Errorf("%s:\n got %+v\nwant %+v", tc.name, got, tc.want)
		}
	}
}

// TestGrantOneVotePerEpoch: whatever requests arrive in whatever order, a sentinel never
// votes twice in one epoch and its epochs never go back.
func TestGrantOneVotePerEpoch(t *testing.T) {
	for seed := range uint64(500) {
		r := rand.New(rand.NewPCG(seed, 1))
		b := Ballot{Current: uint64(r.IntN(3))}
		votes := map[uint64]string{}
		for range 50 {
			epoch := uint64(r.IntN(10))
			cand := string(rune('a' + r.IntN(4)))
			out := Grant(b, epoch, cand)
			if out.Current < b.Current || out.Held.Epoch < b.Held.Epoch {
				t.Fatalf("seed %d: went back from %+v to %+v", seed, b, out.Ballot)
			}
			if out.Cast {
				if prev, ok := votes[out.Held.Epoch]; ok {
					t.Fatalf("seed %d: second vote in epoch %d (%s, then %s)", seed, out.Held.Epoch, prev, out.Held.Leader)
				}
				votes[out.Held.Epoch] = out.Held.Leader
			}
			b = out.Ballot
		}
	}
}

func TestTally(t *testing.T) {
	a, b, c := "aaaa", "bbbb", "cccc"
	cases := []struct {
		name          string
		peers         []Vote
		current       uint64
		own           Vote
		epoch         uint64
		voters, quota int
		candidate     string
		winner        string
	}{
		{"majority of three with our own vote", []Vote{{a, 5}, {"", 0}}, 5, Vote{a, 5}, 5, 3, 2, a, a},
		{"nobody voted: we vote for ourselves, one vote is not a majority of three",
			nil, 5, Vote{c, 5}, 5, 3, 2, c, ""},
		{"votes from older epochs do not count", []Vote{{a, 4}, {a, 4}}, 5, Vote{c, 5}, 5, 3, 1, c, ""},
		{"majority counts every known sentinel, reachable or not", []Vote{{a, 5}}, 5, Vote{a, 5}, 5, 5, 2, a, ""},
		{"quorum above the majority", []Vote{{a, 5}}, 5, Vote{a, 5}, 5, 3, 3, a, ""},
		{"our vote from another epoch does not count", []Vote{{a, 6}}, 6, Vote{a, 6}, 5, 3, 2, a, ""},
		{"split", []Vote{{a, 5}, {b, 5}, {c, 5}}, 5, Vote{a, 5}, 5, 4, 2, a, ""},
		{"ties lean to the smaller run ID", []Vote{{b, 5}, {a, 5}}, 5, Vote{a, 5}, 5, 3, 2, a, a},
	}
	for _, tc := range cases {
		tally := Count(tc.peers, tc.current)
		if got := tally.Candidate(c); got != tc.candidate {
			t.Errorf("%s: candidate %q, want %q", tc.name, got, tc.candidate)
		}
		if got := tally.Winner(tc.own, tc.epoch, tc.voters, tc.quota); got != tc.winner {
			t.Errorf("%s: winner %q, want %q", tc.name, got, tc.winner)
		}
	}
}

// TestTallyOrderIndependent: the winner does not depend on the order the votes are listed.
func TestTallyOrderIndependent(t *testing.T) {
	ids := []string{"aaaa", "bbbb", "cccc", "dddd"}
	for seed := range uint64(300) {
		r := rand.New(rand.NewPCG(seed, 2))
		var peers []Vote
		for range r.IntN(6) {
			peers = append(peers, Vote{ids[r.IntN(len(ids))], uint64(4 + r.IntN(2))})
		}
		own := Vote{ids[r.IntN(len(ids))], 5}
		voters, quorum := len(peers)+1, 1+r.IntN(3)
		want := Count(peers, 5).Winner(own, 5, voters, quorum)
		for range 5 {
			r.Shuffle(len(peers), func(i, j int) { peers[i], peers[j] = peers[j], peers[i] })
			tally := Count(peers, 5)
			if c1, c2 := tally.Candidate("zzzz"), Count(peers, 5).Candidate("zzzz"); c1 != c2 {
				t.Fatalf("seed %d: candidate depends on order", seed)
			}
			if got := tally.Winner(own, 5, voters, quorum); got != want {
				t.Fatalf("seed %d: winner %q after shuffling, %q before", seed, got, want)
			}
		}
	}
}

func TestMajority(t *testing.T) {
	for voters, want := range map[int]int{1: 1, 2: 2, 3: 2, 4: 3, 5: 3} {
		if got := Majority(voters); got != want {
			t.Errorf("Majority(%d) = %d, want %d", voters, got, want)
		}
	}
}
