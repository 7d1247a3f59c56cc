package monitor

import "time"

// failoverState is where a failover is, named as SENTINEL MASTER's failover-state field names it.
type failoverState int

const (
	stateNone failoverState = iota
	stateWaitStart
	stateSelectSlave
	stateSendSlaveofNoOne
	stateWaitPromotion
	stateReconfSlaves
	stateUpdateConfig
)

var failoverStateNames = [...]string{"none", "wait_start", "select_slave", "send_slaveof_noone",
	"wait_promotion", "reconf_slaves", "update_config"}

func (s failoverState) String() string {
	if s < 0 || int(s) >= len(failoverStateNames) {
		return "unknown"
	}
	return failoverStateNames[s]
}

// abortable reports whether a failover in state s may still be given up: up to the wait for
// the promotion. Once a replica is a master with the new config epoch, going back would
// leave two masters claiming the same epoch.
func (s failoverState) abortable() bool { return s >= stateWaitStart && s <= stateWaitPromotion }

// maxDesync bounds the random delay added to a failover's start time (and to the hold-back
// after voting for another), so that sentinels blocked by the same vote do not all retry at
// the same moment.
const maxDesync = time.Second

// electionTimeout is how long a candidate waits to be elected before giving up:
// min(limit, failover-timeout), where Redis's limit is 10 s.
func electionTimeout(limit, failoverTimeout time.Duration) time.Duration {
	return min(limit, failoverTimeout)
}

// retryDelay is the minimum time between two failover attempts of one sentinel for one
// master, and how long a vote for another sentinel holds our own attempts back: twice the
// failover timeout, long enough for the leader voted for to finish.
func retryDelay(failoverTimeout time.Duration) time.Duration { return 2 * failoverTimeout }
