package election

import "strings"

// Vote is a vote a sentinel holds for one master: the run ID it voted for and the epoch it
// voted in. The zero Vote is "never voted".
type Vote struct {
	Leader string
	Epoch  uint64
}

// Ballot is what a sentinel knows when a vote is asked of it: its global current epoch and
// the vote it holds for the master concerned.
type Ballot struct {
	Current uint64
	Held    Vote
}

// Outcome is a ballot after a request.
type Outcome struct {
	Ballot
	EpochRaised bool // Current was raised to the requested epoch (+new-epoch)
	Cast        bool // a new vote was cast (+vote-for-leader): save before replying
}

// Grant applies redis-sentinel's vote rule (sentinelVoteLeader) to a request from candidate
// for epoch: adopt a larger epoch first, then vote for the first candidate asking in an epoch
// newer than the vote held, as long as the current epoch is not past the request. The reply
// to the requester is the vote held afterwards, which may be for somebody else.
func Grant(b Ballot, epoch uint64, candidate string) Outcome {
	out := Outcome{Ballot: b}
	if epoch > out.Current {
		out.Current = epoch
		out.EpochRaised = true
	}
	if out.Held.Epoch < epoch && out.Current <= epoch {
		out.Held = Vote{Leader: candidate, Epoch: out.Current}
		out.Cast = true
	}
	return out
}

// Tally counts the votes peers reported for one master. Only votes cast in the epoch being
// counted count: a vote from another attempt says nothing about this one. (redis-sentinel
// counts its peers' votes of its current epoch and its own of the failover epoch; callers
// pass the failover epoch, so that a win is a majority within one epoch.)
type Tally struct {
	counts map[string]int
	order  []string // first-seen order, for Redis's "first maximum wins" scan
}

// Count builds the tally of the peers' votes cast in epoch.
func Count(peers []Vote, epoch uint64) *Tally {
	t := &Tally{counts: make(map[string]int, len(peers))}
	for _, v := range peers {
		if v.Leader != "" && v.Epoch == epoch {
			t.add(v.Leader)
		}
	}
	return t
}

func (t *Tally) add(runID string) int {
	if _, ok := t.counts[runID]; !ok {
		t.order = append(t.order, runID)
	}
	t.counts[runID]++
	return t.counts[runID]
}

// Leading is the run ID with the most votes so far, "" when nobody has any. Redis breaks a tie
// by hash-table order; this breaks it by the smaller run ID (case-insensitively, as run IDs
// are compared everywhere else), so that sentinels counting the same votes lean the same way.
func (t *Tally) Leading() (string, int) {
	best, most := "", 0
	for _, id := range t.order {
		n := t.counts[id]
		if n > most || (n == most && strings.ToLower(id) < strings.ToLower(best)) {
			best, most = id, n
		}
	}
	return best, most
}

// Candidate is whom the counting sentinel should vote for itself: the peer vote leader,
// or itself when nobody has votes yet.
func (t *Tally) Candidate(self string) string {
	if leader, _ := t.Leading(); leader != "" {
		return leader
	}
	return self
}

// Winner adds the counting sentinel's own vote (when it was cast in the failover epoch) and
// returns the winner, or "" when nobody has both an absolute majority of voters (every
// sentinel known for the master, plus the counting one) and the quorum.
func (t *Tally) Winner(own Vote, failoverEpoch uint64, voters, quorum int) string {
	if own.Leader != "" && own.Epoch == failoverEpoch {
		t.add(own.Leader)
	}
	winner, votes := t.Leading()
	if winner == "" || votes < Majority(voters) || votes < quorum {
		return ""
	}
	return winner
}

// Majority is the absolute majority of voters.
func Majority(voters int) int { return voters/2 + 1 }
