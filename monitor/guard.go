package monitor

import (
	"fmt"
	"strconv"

	"github.com/sentinel-go/sentinel/config"
	"github.com/sentinel-go/sentinel/monitor/info"
)

// The empty-restart guard (sentinel protect-empty-restart yes; ours, off by default as Redis
// has no such rule).
//
// The hazard is the one Redis's replication documentation describes under "Safety of
// replication when master has persistence turned off": a master without RDB or AOF restarts
// within down-after, so no sentinel sees it down; it comes back with a new run ID, a new
// replication ID and no keys, and its replicas, which notice the broken link at once and
// reconnect on their next replicationCron (within a second), find no history to continue
// and full-resync, replacing their data with the empty dataset.
//
// The rule: a master whose INFO shows a new run ID, no loading in progress and fewer keys
// than its own INFO before the restart or the last INFO of one of its replicas showed (none,
// after a restart without persistence; a few, when clients holding its address wrote to it
// before our first INFO; fewer, after a restart from an old RDB), is flagged (+empty-restart)
// and from then on is subjectively down.
// Peers running the guard see the same INFO and answer is-master-down-by-addr with 1, so the
// master goes ODOWN and fails over by the ordinary rules, and the replica selection, which
// ranks by replication offset, prefers a replica that still holds the old data over one
// that already resynced (a resynced replica's offset restarts near zero with the new
// replication ID). The failover replaces the empty master; its reset clears the flag.
//
// To see the restart before the replicas resync, a guarded sentinel redials a master it
// lost every 100 ms for a while (LinkSpec.FastReconnect), drops the master's command
// connection as soon as the Pub/Sub one breaks (an idle command connection would notice
// the dead server only at its next PING, up to a second later), and asks for INFO as soon
// as the command connection is up, instead of at the next ten-second INFO period. The
// leader, once elected, pauses the empty master (holdEmptyMaster) so that a replica that
// reconnects meanwhile waits instead of resyncing. On loopback the switch comes about
// 0.1 s after the restart (e2e/sentinel/emptyrestart_test.go), ahead of the replicas'
// once-a-second reconnection in most runs, with diskless sync or without.
//
// What it cannot protect, and what the README says: a replica that resynced before the
// failover promoted or reconfigured it has lost its data (it gets the data back from the
// new master, unless every replica resynced). A dataset that got its first keys less than
// one INFO period (10 s) before the restart is not known to exist. A quorum of sentinels
// must run the guard: a peer without it never sees the master down. Writes the empty
// master acknowledges before the failover demotes it are lost, like any writes to a master
// that is failed over. With no failover possible the pause ends after EmptyRestartHold and
// the replicas resync as they would have.
//
// The flag is also dropped when it no longer protects anything: every known replica has
// reported, since the restart, a working link to this master (they resynced, the data is
// gone) and no failover is running, so the master is not held down for nothing.

// emptyRestartHeld is how much data the group held before a master came back empty: the
// most keys among the master's last INFO before the restart and its replicas' last INFO.
// Zero means there was nothing to lose.
func (c *Core) emptyRestartHeld(m *master, masterKeysBefore int64) int64 {
	held := masterKeysBefore
	for _, r := range m.replicaList() {
		held = max(held, r.keys)
	}
	return held
}

// checkEmptyRestart runs on a master's INFO that showed a new run ID.
func (c *Core) checkEmptyRestart(m *master, inf *info.Info, keysBefore int64) {
	if !c.cfg.ProtectEmptyRestart || inf.Role != "master" || !inf.Has(info.FieldKeyspace) || inf.Loading {
		return
	}
	// Fewer keys than the group held, not only none: clients that still hold the master's
	// address write to it the moment it listens, often before our first INFO of it (the
	// partition harness's scenario (f) saw a handful of keys there every time), and a
	// restart from an old RDB is the same hazard in a smaller size.
	held := c.emptyRestartHeld(m, keysBefore)
	if inf.Keys >= held {
		return
	}
	m.flags |= flagEmptyRestart
	m.emptyRestartSince, m.emptyRestartHeld = c.now, false
	c.touch(m)
	c.emit(Warning, "+empty-restart", &m.instance, fmt.Sprintf("#keys %d, had %d", inf.Keys, held))
	// SDOWN now, and the peers asked now, not at the next tick: the replicas are already
	// reconnecting.
	if !c.tilt {
		c.checkSubjectivelyDown(&m.instance)
		c.askMasterState(m, true)
		c.runFailover(m) // ODOWN at once where our vote alone is the quorum
	}
}

// holdEmptyMaster runs when we won the election for a master flagged by the guard and
// selected the replica to promote: it pauses the master (CLIENT PAUSE <EmptyRestartHold> ALL), which postpones every command of
// a client that is not yet a replica, the PING/REPLCONF/PSYNC handshake of a reconnecting
// replica included (and the writes of clients, which would be lost anyway), while we
// promote and reconfigure.
//
// Only the leader pauses, and once per restart: a second CLIENT PAUSE from another sentinel
// would wait behind the first (a paused server postpones it too) and then pause the master
// again, and a failover retried every 2 × failover-timeout would pause it every time. Not
// earlier than the election either: the pause also postpones the peers' INFO, and a peer
// that has not seen the restart yet could not agree the master is down. Not without a
// replica to promote: then no failover is coming, and the pause would only delay the
// resync that happens anyway.
func (c *Core) holdEmptyMaster(m *master) {
	if m.flags&flagEmptyRestart == 0 || m.emptyRestartHeld || c.timing.EmptyRestartHold <= 0 ||
		m.link == nil || !m.link.cmd.up {
		return
	}
	m.emptyRestartHeld = true
	ms := strconv.FormatInt(c.timing.EmptyRestartHold.Milliseconds(), 10)
	c.send(m.link, Tag{}, "CLIENT", "PAUSE", ms, "ALL")
	c.logf(Warning, "paused master %s %s %d for %s ms (CLIENT PAUSE ALL) so that its replicas do not resync from its empty dataset",
		m.name, c.announceHost(m.addr), m.addr.Port, ms)
}

// checkEmptyRestartMoot drops the flag once every known replica reported, after the
// restart, a working link to the master: they resynced, nothing is left to protect. Not
// during a failover, which would otherwise abort for a master no longer down.
func (c *Core) checkEmptyRestartMoot(m *master) {
	if m.flags&(flagEmptyRestart|flagFailoverInProgress) != flagEmptyRestart || len(m.replicas) == 0 {
		return // a failover under way is left to finish: it replaces the empty master
	}
	for _, r := range m.replicaList() {
		if r.roleReported != "slave" || !r.masterLinkUp || r.infoRefresh.Before(m.emptyRestartSince) ||
			!c.sameAddr(m.addr, config.Addr{Host: r.masterHost, Port: r.masterPort}) {
			return
		}
	}
	m.flags &^= flagEmptyRestart
	c.touch(m)
	c.emit(Warning, "-empty-restart", &m.instance, "#replicas resynced")
}

// checkMinReplicas is the min-replicas warning: a master with replicas that does not refuse
// writes when it is cut off from them (min-replicas-to-write and min-replicas-max-lag unset:
// INFO then has no min_slaves_good_slaves line) acknowledges writes that a failover on the
// other side of a partition throws away. Told once per master, and again only when that
// changes; a master whose INFO has no connected_slaves line, or none connected, tells
// nothing, so replicas coming and going do not repeat it.
func (c *Core) checkMinReplicas(m *master, inf *info.Info) {
	if inf.Role != "master" || !inf.Has(info.FieldConnectedReplicas) || inf.ConnectedReplicas == 0 {
		return
	}
	state := minReplicasSet
	if !inf.Has(info.FieldMinReplicas) {
		state = minReplicasUnset
	}
	if state == m.minReplicas {
		return
	}
	before := m.minReplicas
	m.minReplicas = state
	switch {
	case state == minReplicasUnset:
		c.emit(Notice, "+no-min-replicas", &m.instance, fmt.Sprintf("#slaves %d", inf.ConnectedReplicas))
		c.logf(Warning, "master %s %s %d has replicas but no min-replicas-to-write: writes it acknowledges "+
			"while cut off with a minority of the sentinels are lost when the majority fails it over; "+
			"min-replicas-to-write 1 and min-replicas-max-lag 10 on the servers bound that loss to the lag",
			m.name, c.announceHost(m.addr), m.addr.Port)
	case before == minReplicasUnset:
		c.emit(Notice, "-no-min-replicas", &m.instance, "")
	}
}

// minReplicas states of a master, as its last INFO with replicas showed them.
const (
	minReplicasUnknown = iota
	minReplicasUnset
	minReplicasSet
)
