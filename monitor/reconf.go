package monitor

import "time"

// reconfState is where a replica is in being pointed at the promoted one.
type reconfState int

const (
	reconfNone       reconfState = iota
	reconfSent                   // SLAVEOF sent, INFO does not show the new master yet
	reconfInProgress             // INFO shows the new master, the link is not up yet
	reconfDone                   // replicating from the new master (or given up on)
)

// follower is what reconfiguration needs to know about one replica of a failing-over master
// (the promoted one excluded).
type follower struct {
	Reconf       reconfState
	SentAt       time.Time
	Disconnected bool
	Down         bool
}

// reconfPlan is one round of reconfiguration.
type reconfPlan struct {
	Send     []int // followers to send SLAVEOF <promoted> now
	TimedOut []int // followers sent to long ago without news: counted as done (-slave-reconf-sent-timeout)
}

// nextFollowers is redis-sentinel's sentinelFailoverReconfNextSlave: keep up to parallel
// replicas resynchronising at once; disconnected replicas wait. A replica told and silent
// for the timeout counts as done (the stray-replica check fixes it later; Redis's timeout is
// 10 s).
//
// One deviation, to reconfigure as fast as parallel-syncs allows: redis-sentinel only looks
// for silent replicas while a slot is free, so with parallel-syncs 1 a replica that never
// answers holds the only slot until the failover timeout. Here the timeout is checked first
// and frees the slot. It changes when the others are told, never what they are told.
func nextFollowers(fs []follower, parallel int, timeout time.Duration, now time.Time) reconfPlan {
	var p reconfPlan
	inProgress := 0
	for i, f := range fs {
		switch {
		case f.Reconf == reconfSent && now.Sub(f.SentAt) > timeout:
			p.TimedOut = append(p.TimedOut, i)
		case f.Reconf == reconfSent || f.Reconf == reconfInProgress:
			inProgress++
		}
	}
	for i, f := range fs {
		if inProgress >= parallel {
			break
		}
		if f.Reconf != reconfNone || f.Disconnected {
			continue
		}
		p.Send = append(p.Send, i)
		inProgress++
	}
	return p
}

// reconfFinished is sentinelFailoverDetectEnd's count: the failover is over when no follower that
// is up is still left to reconfigure.
func reconfFinished(fs []follower) bool {
	for _, f := range fs {
		if f.Reconf != reconfDone && !f.Down {
			return false
		}
	}
	return true
}
