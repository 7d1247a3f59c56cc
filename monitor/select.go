package monitor

import (
	"cmp"
	"strings"
	"time"
)

// candidate is what replica selection needs to know about one replica.
type candidate struct {
	Name         string
	RunID        string // "" when its INFO never named one
	Down         bool   // subjectively or objectively down
	Disconnected bool
	// SinceAvail is the time since its last acceptable PING reply; SinceInfo since its last
	// INFO reply.
	SinceAvail, SinceInfo time.Duration
	// MasterLinkDown is how long it reports its link to the master down (0 when up).
	MasterLinkDown time.Duration
	Priority       int // replica-priority; 0 means never promote
	Offset         int64
	// Unsynced: it has not completed a sync with the master being failed over since it
	// last became a replica (see eligible).
	Unsynced bool
}

// selectLimits are the freshness bounds of selection, from the master's state.
type selectLimits struct {
	PingPeriod, InfoPeriod time.Duration
	DownAfter              time.Duration
	// MasterDownFor is how long the master has been subjectively down; 0 when it is not
	// (a manual failover of a live master).
	MasterDownFor time.Duration
	MasterSDown   bool
}

// eligible is redis-sentinel's filter (sentinelSelectSlave): up, connected, answering PINGs
// lately, not priority 0, with a fresh INFO (every second while the master is down, so
// 5 s; else three INFO periods), and not cut off from the master much longer than the
// master has been down (it would miss too much data).
//
// One rule is ours (redis/redis #12570, #12574): a replica that has not completed a sync
// with the master since it last became a replica is never eligible. Such a node is, above
// all, an old master back after a failover and converted a moment ago: its offset counts
// its own old history (plus whatever it acknowledged while stale), not the new master's,
// so compareCandidates can rank it first, and promoting it throws away every write the new master
// took. redis-sentinel 7.0 promotes it: the node reports master_link_down_since_seconds:-1,
// which passes the link-down bound. Before 7.0 Redis printed the seconds since 1970 there,
// which the bound excluded, so the rule keeps what older Redis did by accident. It only
// refuses nodes whose data is not known to be the master's: a replica that synced once and
// then lost its master (the failover case) keeps its place.
func eligible(r candidate, l selectLimits) bool {
	infoValidity := 3 * l.InfoPeriod
	if l.MasterSDown {
		infoValidity = 5 * l.PingPeriod
	}
	return !r.Down && !r.Disconnected &&
		r.SinceAvail <= 5*l.PingPeriod &&
		r.Priority != 0 && !r.Unsynced &&
		r.SinceInfo <= infoValidity &&
		r.MasterLinkDown <= l.MasterDownFor+10*l.DownAfter
}

// compareCandidates orders candidates best first: lower priority, then larger replication offset
// (more of the master's data), then the smaller run ID, case-insensitively, an unknown run
// ID last (compareSlavesForPromotion). It is a total order on distinct run IDs, so every
// sentinel ranks the same replicas the same way.
func compareCandidates(a, b candidate) int {
	if c := cmp.Compare(a.Priority, b.Priority); c != 0 {
		return c
	}
	if c := cmp.Compare(b.Offset, a.Offset); c != 0 {
		return c
	}
	switch {
	case a.RunID == "" && b.RunID == "":
		return 0
	case a.RunID == "":
		return 1
	case b.RunID == "":
		return -1
	}
	return strings.Compare(strings.ToLower(a.RunID), strings.ToLower(b.RunID))
}

// bestCandidate returns the index of the replica to promote, or -1 when none is eligible.
func bestCandidate(replicas []candidate, l selectLimits) int {
	best := -1
	for i, r := range replicas {
		if !eligible(r, l) {
			continue
		}
		if best < 0 || compareCandidates(r, replicas[best]) < 0 {
			best = i
		}
	}
	return best
}
