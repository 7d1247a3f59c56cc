package sim

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/sentinel-go/sentinel/monitor"
	"github.com/sentinel-go/sentinel/monitor/hello"
)

// Instance is a fake Redis server: only what a sentinel sees of one. Its role and master
// survive a restart (the transaction's CONFIG REWRITE persisted them), its run ID does not
// (Redis picks a new one at every start), and its replication offset does (the RDB keeps
// it).
type Instance struct {
	s     *Sim
	node  int
	Name  string
	Group int // index of the master group it was created in
	IP    string
	Port  int
	Addr  string

	Alive     bool
	DeadSince time.Time
	RunID     string
	Priority  int
	// PingError, when set, is the error PING gets instead of PONG ("LOADING ...",
	// "BUSY ...", "MASTERDOWN ..."): set by scripted tests only.
	PingError string

	Role       string // "master" or "slave"
	MasterHost string
	MasterPort int
	LinkUp     bool      // the replication link to its master is up
	LinkDownAt time.Time // when it last went down (zero: never connected)
	syncAt     time.Time // a sync in progress completes then (zero: none)
	// Offset is also the dataset: INFO reports it as the key count, and a replica that
	// syncs ends with its master's, so a sync from a master restarted empty (offset 0)
	// wipes it, as Redis's full resync does.
	Offset int64
	// clientPauseUntil: CLIENT PAUSE ALL holds replicas' syncs until then. (Commands of
	// other clients, which Redis would postpone too, are still answered.)
	clientPauseUntil time.Time

	// Knobs of the scripted tests, for the servers a failover must cope with. The random
	// runs never set them, so every seed replays as before.

	// IgnoreSlaveOf: SLAVEOF (alone or in the transaction) is answered OK and changes
	// nothing, as when the reconfiguration is lost.
	IgnoreSlaveOf bool
	// NeverSyncs: as a replica its link to the master never comes up; a sync, once
	// started, stays in progress (the master it follows is gone, or never answers PSYNC).
	NeverSyncs bool
	// KnowsFailover: FAILOVER TO is served (Redis 7.0's coordinated failover); without it
	// the command is unknown, as on older servers.
	KnowsFailover bool
	// MinReplicasToWrite > 0: a master's INFO shows min_slaves_good_slaves, as a server
	// configured with min-replicas-to-write does.
	MinReplicasToWrite int
	// NoKeyspace leaves INFO's Keyspace section out: a server whose INFO cannot tell the
	// size of its dataset.
	NoKeyspace bool
}

func (r *Instance) masterAddr() string { return joinHostPort(r.MasterHost, r.MasterPort) }

func joinHostPort(host string, port int) string { return host + ":" + strconv.Itoa(port) }

// serve runs one command from a sentinel's connection and queues the reply.
func (r *Instance) serve(c *conn, m msg) {
	if !r.Alive {
		return
	}
	v, errText := r.run(c, m.args)
	r.s.send(&c.toCli, msg{kind: msgReply, tag: m.tag, value: v, err: errText})
}

// run executes one command of a connection, MULTI/EXEC included, and returns its reply.
func (r *Instance) run(c *conn, args []string) (v any, errText string) {
	name := strings.ToUpper(args[0])
	switch {
	case c.multi && name != "EXEC" && name != "MULTI" && name != "DISCARD":
		c.queued = append(c.queued, args)
		v = "QUEUED"
	case name == "MULTI":
		c.multi, c.queued = true, nil
		v = "OK"
	case name == "EXEC":
		if !c.multi {
			errText = "ERR EXEC without MULTI"
			break
		}
		// The transaction applies atomically: nothing else runs in between.
		results := make([]any, 0, len(c.queued))
		for _, q := range c.queued {
			rv, re := r.exec(c, q)
			if re != "" {
				rv = re
			}
			results = append(results, rv)
		}
		c.multi, c.queued = false, nil
		v = results
	case name == "DISCARD":
		c.multi, c.queued = false, nil
		v = "OK"
	default:
		v, errText = r.exec(c, args)
	}
	return v, errText
}

func (r *Instance) exec(c *conn, args []string) (any, string) {
	switch strings.ToUpper(args[0]) {
	case "PING":
		if r.PingError != "" {
			return nil, r.PingError
		}
		return "PONG", ""
	case "INFO":
		return r.info(), ""
	case "PUBLISH":
		if len(args) != 3 {
			return nil, "ERR wrong number of arguments for 'publish' command"
		}
		return int64(r.publish(args[1], args[2])), ""
	case "SLAVEOF", "REPLICAOF":
		if len(args) != 3 {
			return nil, "ERR wrong number of arguments for 'slaveof' command"
		}
		return r.slaveOf(args[1], args[2])
	case "CONFIG":
		return "OK", ""
	case "CLIENT":
		if len(args) == 4 && strings.EqualFold(args[1], "KILL") && strings.EqualFold(args[2], "TYPE") {
			return int64(r.killClients(c, args[3])), ""
		}
		if len(args) == 4 && strings.EqualFold(args[1], "PAUSE") && strings.EqualFold(args[3], "ALL") {
			ms, err := strconv.ParseInt(args[2], 10, 64)
			if err != nil {
				return nil, "ERR timeout is not an integer or out of range"
			}
			r.clientPauseUntil = r.s.now.Add(time.Duration(ms) * time.Millisecond)
			r.s.tracef("%s CLIENT PAUSE %d ALL", r.Name, ms)
		}
		return "OK", ""
	case "SCRIPT":
		return nil, "NOTBUSY No scripts in execution right now."
	case "FAILOVER":
		if r.KnowsFailover {
			return r.failoverTo(args[1:])
		}
	}
	return nil, fmt.Sprintf("ERR unknown command '%s', with args beginning with: ", args[0])
}

// slaveOf applies SLAVEOF NO ONE (a promoted replica keeps its data and offset) or SLAVEOF
// host port (the link drops; the replication tick syncs it after a delay).
func (r *Instance) slaveOf(host, port string) (any, string) {
	if strings.EqualFold(host, "no") && strings.EqualFold(port, "one") {
		if r.IgnoreSlaveOf {
			r.s.tracef("%s SLAVEOF NO ONE ignored", r.Name)
			return "OK", ""
		}
		if r.Role == "slave" {
			r.s.tracef("%s SLAVEOF NO ONE (offset %d)", r.Name, r.Offset)
		}
		r.Role, r.MasterHost, r.MasterPort = "master", "", 0
		r.LinkUp, r.syncAt = false, time.Time{}
		return "OK", ""
	}
	p, err := strconv.Atoi(port)
	if err != nil {
		return nil, "ERR value is not an integer or out of range"
	}
	if r.IgnoreSlaveOf {
		r.s.tracef("%s SLAVEOF %s %d ignored", r.Name, host, p)
		return "OK", ""
	}
	if r.Role == "slave" && r.MasterHost == host && r.MasterPort == p {
		return "OK Already connected to specified master", ""
	}
	r.s.tracef("%s SLAVEOF %s %d", r.Name, host, p)
	if r.Role == "master" || r.LinkUp {
		r.LinkDownAt = r.s.now
	}
	r.Role, r.MasterHost, r.MasterPort = "slave", host, p
	r.LinkUp, r.syncAt = false, time.Time{}
	return "OK", ""
}

// failoverTo is FAILOVER TO host port [TIMEOUT ms] on a master (Redis's failoverCommand):
// the target must be a replica of it with its link up; the handover is done at once, the
// target a master with its offset, this server its replica (its link up, the data the same).
func (r *Instance) failoverTo(args []string) (any, string) {
	if len(args) < 3 || !strings.EqualFold(args[0], "TO") {
		return nil, "ERR syntax error"
	}
	if r.Role != "master" {
		return nil, "ERR FAILOVER is not valid when server is a replica."
	}
	p, err := strconv.Atoi(args[2])
	if err != nil {
		return nil, "ERR value is not an integer or out of range"
	}
	var target *Instance
	for _, rep := range r.replicasOf() {
		if rep.IP == args[1] && rep.Port == p {
			target = rep
		}
	}
	if target == nil {
		return nil, "ERR FAILOVER target HOST and PORT is not a replica."
	}
	r.s.tracef("%s FAILOVER TO %s", r.Name, target.Name)
	target.Role, target.MasterHost, target.MasterPort = "master", "", 0
	target.LinkUp, target.syncAt, target.Offset = false, time.Time{}, r.Offset
	r.Role, r.MasterHost, r.MasterPort = "slave", target.IP, target.Port
	r.LinkUp, r.syncAt = true, time.Time{}
	return "OK", ""
}

// killClients is CLIENT KILL TYPE normal|pubsub: every other sentinel connection of that
// kind is closed (SKIPME yes spares the caller), and its sentinel reconnects.
func (r *Instance) killClients(self *conn, typ string) int {
	kind := monitor.CmdLink
	switch strings.ToLower(typ) {
	case "normal":
	case "pubsub":
		kind = monitor.PubSubLink
	default:
		return 0
	}
	n := 0
	for _, c := range append([]*conn(nil), r.s.nodes[r.node].srvConns...) {
		if c != self && c.kind == kind {
			r.s.serverGone(c)
			n++
		}
	}
	return n
}

// publish delivers to this instance's subscribers and, as replication does, to those of
// every replica connected to it (a PUBLISH is propagated; one sent to a replica is not).
func (r *Instance) publish(channel, payload string) int {
	n := 0
	for _, c := range r.s.nodes[r.node].srvConns {
		if c.kind == monitor.PubSubLink && channel == hello.Channel {
			r.s.send(&c.toCli, msg{kind: msgPubSub, channel: channel, payload: payload})
			n++
		}
	}
	for _, rep := range r.s.instances {
		if rep.Alive && rep.Role == "slave" && rep.LinkUp && rep.masterAddr() == r.Addr {
			var relay func()
			relay = func() {
				if stopped, until := r.s.paused(rep.node); stopped {
					r.s.at(until, relay)
					return
				}
				if rep.Alive && rep.LinkUp && rep.masterAddr() == r.Addr {
					rep.publish(channel, payload)
				}
			}
			r.s.after(r.s.delay(), relay)
		}
	}
	return n
}

// replicasOf lists the instances replicating from r with their link up, as a master's
// INFO does.
func (r *Instance) replicasOf() []*Instance {
	var out []*Instance
	for _, rep := range r.s.instances {
		if rep != r && rep.Alive && rep.Role == "slave" && rep.LinkUp && rep.masterAddr() == r.Addr {
			out = append(out, rep)
		}
	}
	return out
}

// info renders INFO the way Redis 7.0 lays out the fields a sentinel reads.
func (r *Instance) info() string {
	var b strings.Builder
	b.WriteString("# Server\r\nredis_version:7.0.15\r\nredis_mode:standalone\r\n")
	fmt.Fprintf(&b, "run_id:%s\r\ntcp_port:%d\r\n\r\n# Persistence\r\nloading:0\r\n\r\n# Replication\r\nrole:%s\r\n", r.RunID, r.Port, r.Role)
	if r.Role == "slave" {
		link, io, syncing := "down", -1, 0
		if r.LinkUp {
			link, io = "up", 0
		}
		if !r.syncAt.IsZero() {
			syncing = 1
		}
		fmt.Fprintf(&b, "master_host:%s\r\nmaster_port:%d\r\nmaster_link_status:%s\r\n", r.MasterHost, r.MasterPort, link)
		fmt.Fprintf(&b, "master_last_io_seconds_ago:%d\r\nmaster_sync_in_progress:%d\r\n", io, syncing)
		fmt.Fprintf(&b, "slave_read_repl_offset:%d\r\nslave_repl_offset:%d\r\n", r.Offset, r.Offset)
		if !r.LinkUp {
			down := int64(-1)
			if !r.LinkDownAt.IsZero() {
				down = int64(r.s.now.Sub(r.LinkDownAt) / time.Second)
			}
			fmt.Fprintf(&b, "master_link_down_since_seconds:%d\r\n", down)
		}
		fmt.Fprintf(&b, "slave_priority:%d\r\nslave_read_only:1\r\nreplica_announced:1\r\n", r.Priority)
	}
	reps := r.replicasOf()
	fmt.Fprintf(&b, "connected_slaves:%d\r\n", len(reps))
	if r.Role == "master" && r.MinReplicasToWrite > 0 {
		fmt.Fprintf(&b, "min_slaves_good_slaves:%d\r\n", len(reps))
	}
	for i, rep := range reps {
		fmt.Fprintf(&b, "slave%d:ip=%s,port=%d,state=online,offset=%d,lag=0\r\n", i, rep.IP, rep.Port, rep.Offset)
	}
	fmt.Fprintf(&b, "master_failover_state:no-failover\r\nmaster_repl_offset:%d\r\n", r.Offset)
	if r.NoKeyspace {
		return b.String()
	}
	b.WriteString("\r\n# Keyspace\r\n")
	if r.Offset > 0 {
		fmt.Fprintf(&b, "db0:keys=%d,expires=0,avg_ttl=0\r\n", r.Offset)
	}
	return b.String()
}

// replicate is one replication round (every 100 ms): masters take writes, replicas whose
// master is reachable sync (after a delay) and then follow it with a small lag, replicas
// whose master is gone or cut off drop their link.
func (s *Sim) replicate() {
	s.replicateRound()
	s.after(100*time.Millisecond, s.replicate)
}

func (s *Sim) replicateRound() {
	for _, r := range s.instances {
		if stopped, _ := s.paused(r.node); r.Alive && r.Role == "master" && !stopped {
			r.Offset += 1 + s.rng.Int64N(2000)
		}
	}
	for _, r := range s.instances {
		if stopped, _ := s.paused(r.node); !r.Alive || r.Role != "slave" || stopped {
			continue
		}
		m := s.instanceAt(r.masterAddr())
		ok := m != nil && m != r && m.Alive && s.reachable(r.node, m.node)
		switch {
		case !ok:
			if r.LinkUp {
				r.LinkUp, r.LinkDownAt = false, s.now
			}
			r.syncAt = time.Time{}
		case !r.LinkUp && m.clientPauseUntil.After(s.now):
			r.syncAt = time.Time{} // the handshake waits behind CLIENT PAUSE
		case !r.LinkUp && r.syncAt.IsZero():
			r.syncAt = s.now.Add(200*time.Millisecond + time.Duration(s.rng.Int64N(int64(1800*time.Millisecond))))
		case !r.LinkUp && r.NeverSyncs:
			// The sync, started above, never completes.
		case !r.LinkUp && !s.now.Before(r.syncAt):
			// Full or partial, the replica ends at its master's offset.
			r.LinkUp, r.syncAt, r.Offset = true, time.Time{}, m.Offset
		case r.LinkUp:
			if off := m.Offset - s.rng.Int64N(500); off > r.Offset {
				r.Offset = off
			}
		}
	}
}

// instanceAt finds the Redis instance listening at addr.
func (s *Sim) instanceAt(addr string) *Instance {
	if i, ok := s.byAddr[addr]; ok {
		return s.nodes[i].redis
	}
	return nil
}

// KillInstance stops a Redis process: every connection to it closes.
func (s *Sim) KillInstance(r *Instance) {
	if !r.Alive {
		return
	}
	s.tracef("KILL %s (%s, %s)", r.Name, r.Addr, r.Role)
	s.disturb()
	r.Alive, r.DeadSince = false, s.now
	s.nodes[r.node].pausedUntil = time.Time{}
	if r.LinkUp {
		r.LinkUp = false
	}
	r.LinkDownAt, r.syncAt = s.now, time.Time{}
	for _, c := range append([]*conn(nil), s.nodes[r.node].srvConns...) {
		s.serverGone(c)
	}
}

// RestartInstanceEmpty is a restart without persistence: the process comes back at once
// with a new run ID and no data (offset 0), as a master, as a redis-server started from its
// unchanged redis.conf does.
func (s *Sim) RestartInstanceEmpty(r *Instance) {
	s.KillInstance(r)
	r.Offset, r.clientPauseUntil = 0, time.Time{}
	// Its replicas saw their connection break: they resync, after their sync delay, from
	// whatever answers at the address (the replication tick alone would not notice a
	// restart within one tick).
	for _, rep := range s.instances {
		if rep.Alive && rep.Role == "slave" && rep.LinkUp && rep.masterAddr() == r.Addr {
			rep.LinkUp, rep.LinkDownAt, rep.syncAt = false, s.now, time.Time{}
		}
	}
	s.RestartInstance(r)
}

// RestartInstance starts a dead Redis process again with its persisted role and a new
// run ID.
func (s *Sim) RestartInstance(r *Instance) {
	if r.Alive {
		return
	}
	r.Alive = true
	r.RunID = s.hexID()
	r.LinkUp, r.syncAt = false, time.Time{}
	s.tracef("RESTART %s (%s, %s)", r.Name, r.Addr, r.Role)
	s.disturb()
}
