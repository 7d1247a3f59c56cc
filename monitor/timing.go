package monitor

import "time"

// Timing holds redis-sentinel's timing constants. SENTINEL DEBUG changes them at run time
// (not persisted), which tests use to run scenarios fast.
type Timing struct {
	InfoPeriod             time.Duration // INFO to masters and replicas
	PingPeriod             time.Duration // per instance: min(down-after, this)
	AskPeriod              time.Duration // SENTINEL is-master-down-by-addr to each peer
	PublishPeriod          time.Duration // hello
	DefaultDownAfter       time.Duration
	DefaultFailoverTimeout time.Duration
	TiltTrigger            time.Duration // a tick later than this enters TILT
	TiltPeriod             time.Duration
	SlaveReconfTimeout     time.Duration
	MinLinkReconnectPeriod time.Duration
	ElectionTimeout        time.Duration
	ScriptMaxRuntime       time.Duration
	ScriptRetryDelay       time.Duration

	// Ours, not in SENTINEL DEBUG.

	// SelfVoteStagger delays a candidate's vote for itself by this much per connected
	// peer with a smaller run ID, when no peer voted yet: see electionWinner. 0 votes at
	// once, as redis-sentinel does.
	SelfVoteStagger time.Duration
	// FastRetryMargin is how long after the election timeout (and the start-time desync)
	// a fast retry waits for a promotion to show in the replicas' INFO: two of the 1 s
	// INFO periods a down master's replicas are polled at.
	FastRetryMargin time.Duration
	// EmptyRestartHold is how long a master restarted empty is paused (CLIENT PAUSE ALL)
	// with protect-empty-restart, so that the replicas cannot resync from it while the
	// failover runs: a clean failover takes about a second; past the hold the replicas
	// sync as they would have (see guard.go).
	EmptyRestartHold time.Duration
}

// DefaultTiming returns Redis 7.0's values.
func DefaultTiming() Timing {
	return Timing{
		InfoPeriod:             10 * time.Second,
		PingPeriod:             time.Second,
		AskPeriod:              time.Second,
		PublishPeriod:          2 * time.Second,
		DefaultDownAfter:       30 * time.Second,
		DefaultFailoverTimeout: 180 * time.Second,
		TiltTrigger:            2 * time.Second,
		TiltPeriod:             30 * time.Second,
		SlaveReconfTimeout:     10 * time.Second,
		MinLinkReconnectPeriod: 15 * time.Second,
		ElectionTimeout:        10 * time.Second,
		ScriptMaxRuntime:       60 * time.Second,
		ScriptRetryDelay:       30 * time.Second,
		SelfVoteStagger:        50 * time.Millisecond,
		FastRetryMargin:        2 * time.Second,
		EmptyRestartHold:       5 * time.Second,
	}
}

// debugParams lists SENTINEL DEBUG's names in the order it prints them.
var debugParams = []struct {
	name string
	get  func(*Timing) *time.Duration
}{
	{"info-period", func(t *Timing) *time.Duration { return &t.InfoPeriod }},
	{"ping-period", func(t *Timing) *time.Duration { return &t.PingPeriod }},
	{"ask-period", func(t *Timing) *time.Duration { return &t.AskPeriod }},
	{"publish-period", func(t *Timing) *time.Duration { return &t.PublishPeriod }},
	{"default-down-after", func(t *Timing) *time.Duration { return &t.DefaultDownAfter }},
	{"default-failover-timeout", func(t *Timing) *time.Duration { return &t.DefaultFailoverTimeout }},
	{"tilt-trigger", func(t *Timing) *time.Duration { return &t.TiltTrigger }},
	{"tilt-period", func(t *Timing) *time.Duration { return &t.TiltPeriod }},
	{"slave-reconf-timeout", func(t *Timing) *time.Duration { return &t.SlaveReconfTimeout }},
	{"min-link-reconnect-period", func(t *Timing) *time.Duration { return &t.MinLinkReconnectPeriod }},
	{"election-timeout", func(t *Timing) *time.Duration { return &t.ElectionTimeout }},
	{"script-max-runtime", func(t *Timing) *time.Duration { return &t.ScriptMaxRuntime }},
	{"script-retry-delay", func(t *Timing) *time.Duration { return &t.ScriptRetryDelay }},
}

// Timing is the timing in force, SENTINEL DEBUG's changes included: the driver hands the
// scripts' limits to its runner after each request.
func (c *Core) Timing() Timing { return c.timing }
