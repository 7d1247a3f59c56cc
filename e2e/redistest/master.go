package redistest

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/sentinel-go/sentinel/internal/resp"
)

// replication is an instance's replication state, both halves: the history it serves to its
// own replicas (replid, offset, backlog) and, while it is a replica, its link to its master.
type replication struct {
	replid       string
	replid2      string
	offset       int64 // master_repl_offset: the end of our replication history
	secondOffset int64 // second_repl_offset: replid2 is valid up to (excluding) this offset
	backlog      *backlog
	replicas     []*client
	selDB        int  // database of the last SELECT in the stream; -1 forces a new one
	inExec       bool // an EXEC is running: wrap what it propagates in MULTI/EXEC
	multiSent    bool
	lastPing     time.Time
	lastAck      time.Time // when this replica last sent REPLCONF ACK

	// Replica half. masterHost is empty on a master.
	masterHost     string
	masterPort     int
	link           *masterLink
	linkState      linkState
	masterClient   *client // executes the master's stream; keeps its db across reconnects
	applying       bool    // the master's stream is being applied: proxy it, do not re-encode
	hasHistory     bool    // our replid/offset are worth offering in PSYNC
	lastIO         time.Time
	downSince      time.Time // zero: the link was never up
	syncInProgress bool
	failover       failover
}

type linkState int

const (
	linkNone       linkState = iota // not a replica
	linkConnecting                  // waiting to connect, or retrying
	linkHandshake                   // PING, AUTH, REPLCONF, PSYNC
	linkTransfer                    // receiving the snapshot
	linkConnected                   // applying the stream
)

const zeroReplID = "0000000000000000000000000000000000000000"

func (r *replication) reset() {
	*r = replication{
		replid:       randomHex(40),
		replid2:      zeroReplID,
		secondOffset: -1,
		selDB:        -1,
		masterHost:   r.masterHost,
		masterPort:   r.masterPort,
	}
	if r.masterHost != "" {
		r.linkState = linkConnecting
	}
}

func (r *replication) isReplica() bool { return r.masterHost != "" }
func (r *replication) isMaster() bool  { return r.masterHost == "" }

// replicaLink is what a master keeps about one of its replicas.
type replicaLink struct {
	state     string // wait_bgsave, send_bulk, online: Redis's names, shown in INFO
	ackOffset int64
	ackTime   time.Time
	eof       bool // the replica understands diskless "$EOF:" transfers
	psync2    bool
	// held keeps the stream behind a diskless snapshot until the replica's first ack, as
	// Redis does (repl_start_cmd_stream_on_ack): a replica reading "$EOF:" framing cannot
	// tell where the snapshot ends if stream bytes arrive in the same read as the mark.
	held    []byte
	holding bool
}

// propagate sends a write to the replication stream. Writes applied from our own master are
// not re-encoded here: their exact bytes are proxied by the master link, so sub-replicas see
// our master's stream byte for byte and offsets agree along a chain. The caller holds mu.
func (s *Server) propagate(dbi int, args [][]byte) {
	r := &s.repl
	if r.applying || r.isReplica() || r.backlog == nil {
		// Redis keeps no stream, and no offset moves, until a replica first attaches.
		return
	}
	var buf []byte
	if r.inExec && !r.multiSent {
		buf = resp.AppendCommand(buf, "MULTI")
		r.multiSent = true
	}
	if dbi >= 0 && dbi != r.selDB {
		buf = resp.AppendCommand(buf, "SELECT", strconv.Itoa(dbi))
		r.selDB = dbi
	}
	buf = resp.AppendCommand(buf, args...)
	s.feedReplicas(buf)
}

// feedReplicas appends stream bytes to the backlog and to every replica past the snapshot
// stage. The caller holds mu.
func (s *Server) feedReplicas(b []byte) {
	r := &s.repl
	if r.backlog == nil {
		r.backlog = newBacklog(s.cfg.backlogSize, r.offset)
	}
	r.backlog.write(b)
	r.offset += int64(len(b))
	for _, c := range r.replicas {
		switch {
		case c.replica.state == "wait_bgsave":
		case c.replica.holding:
			c.replica.held = append(c.replica.held, b...)
		default:
			c.w.Raw(b)
			c.flush()
		}
	}
}

func (r *replication) removeReplica(c *client) {
	for i, rc := range r.replicas {
		if rc == c {
			r.replicas = append(r.replicas[:i], r.replicas[i+1:]...)
			return
		}
	}
}

// disconnectReplicas drops every replica connection, so they reconnect and learn of a change
// in our history (a new replication ID); with replid2 they can still continue partially.
func (s *Server) disconnectReplicas() {
	for _, c := range s.repl.replicas {
		c.replica = nil
		c.closeNow()
	}
	s.repl.replicas = nil
}

// goodReplicas counts online replicas whose last ack is recent enough for
// min-replicas-max-lag.
func (s *Server) goodReplicas() int {
	n := 0
	now := s.now()
	for _, c := range s.repl.replicas {
		if c.replica.state == "online" && now.Sub(c.replica.ackTime) <= time.Duration(s.cfg.minReplicasMaxLag)*time.Second {
			n++
		}
	}
	return n
}

func init() {
	register(
		&command{name: "replconf", arity: -1, flags: fNoAuth | fLoading | fStale, run: cmdReplconf},
		&command{name: "psync", arity: -3, flags: fNoTx | fLoading | fStale, run: cmdPsync},
		&command{name: "sync", arity: 1, flags: fNoTx | fLoading | fStale, run: cmdSync},
	)
}

func cmdReplconf(s *Server, c *client, args [][]byte) {
	if len(args)%2 == 0 {
		c.w.Error(errSyntax)
		return
	}
	for i := 1; i < len(args); i += 2 {
		opt, val := strings.ToLower(string(args[i])), string(args[i+1])
		switch opt {
		case "listening-port":
			p, err := strconv.Atoi(val)
			if err != nil {
				c.w.Error(errNotInt)
				return
			}
			c.replPort = p
		case "ip-address":
			c.replIP = val
		case "capa":
			if c.replCapa == nil {
				c.replCapa = map[string]bool{}
			}
			c.replCapa[strings.ToLower(val)] = true
		case "ack", "fack":
			// Acks carry no reply. They also put a replica online once it has loaded a
			// diskless snapshot, as repl_put_online_on_ack does.
			if c.replica == nil {
				return
			}
			if opt == "ack" {
				if n, err := strconv.ParseInt(val, 10, 64); err == nil && n > c.replica.ackOffset {
					c.replica.ackOffset = n
				}
				c.replica.ackTime = s.now()
				if c.replica.state == "send_bulk" {
					c.replica.state = "online"
				}
				if c.replica.holding {
					c.replica.holding = false
					c.w.Raw(c.replica.held)
					c.replica.held = nil
					c.flush()
				}
			}
			return
		case "getack":
			if c == s.repl.masterClient {
				s.sendAck()
			}
			return
		case "rdb-only", "rdb-filter-only":
		default:
			c.w.Error(fmt.Sprintf("ERR Unrecognized REPLCONF option: %s", args[i]))
			return
		}
	}
	c.w.Simple("OK")
}

func cmdSync(s *Server, c *client, args [][]byte) {
	s.serveSync(c, "?", -1, false)
}

func cmdPsync(s *Server, c *client, args [][]byte) {
	offset, err := strconv.ParseInt(string(args[2]), 10, 64)
	if err != nil {
		c.w.Error(errNotInt)
		return
	}
	replid := string(args[1])
	if len(args) > 3 {
		if len(args) != 4 || !strings.EqualFold(string(args[3]), "failover") {
			c.w.Error(errSyntax)
			return
		}
		// The second half of a coordinated FAILOVER: our master has paused its writers and
		// waited for us, and now asks us to take over and become its master.
		if s.repl.isMaster() {
			c.w.Error("ERR PSYNC FAILOVER can't be sent to a master.")
			return
		}
		if replid != s.repl.replid {
			c.w.Error("ERR PSYNC FAILOVER replid must match my replid.")
			return
		}
		s.log.Info("failover request received from master; promoting")
		s.replicaOfNoOne()
	}
	s.serveSync(c, replid, offset, true)
}

// serveSync answers PSYNC (psync true) or SYNC: a partial resync when our history covers
// the replica's, a full one otherwise. It follows masterTryPartialResynchronization.
func (s *Server) serveSync(c *client, replid string, offset int64, psync bool) {
	r := &s.repl
	if c.replica != nil {
		return // already a replica; Redis ignores a repeated SYNC
	}
	if r.isReplica() && r.linkState != linkConnected {
		c.w.Error("NOMASTERLINK Can't SYNC while not connected with my master")
		return
	}
	link := &replicaLink{eof: c.replCapa["eof"], psync2: c.replCapa["psync2"], ackTime: s.now()}
	c.replica = link
	c.flush()
	if psync && replid != "?" && r.backlog != nil &&
		(replid == r.replid || (replid == r.replid2 && offset <= r.secondOffset)) {
		if data, ok := r.backlog.since(offset); ok {
			s.stats.syncPartialOK++
			if link.psync2 {
				c.w.Simple("CONTINUE " + r.replid)
			} else {
				c.w.Simple("CONTINUE")
			}
			c.w.Raw(data)
			link.state = "online"
			link.ackOffset = offset - 1
			r.replicas = append(r.replicas, c)
			c.flush()
			s.log.Info("partial resynchronization accepted", "replica", c.addr, "offset", offset)
			return
		}
	}
	if psync && replid != "?" {
		s.stats.syncPartialErr++
	}
	s.stats.syncFull++
	if len(r.replicas) == 0 && r.backlog == nil && r.isMaster() {
		// A fresh backlog has no past: Redis starts a new history with it.
		r.replid = randomHex(40)
		r.replid2 = zeroReplID
		r.secondOffset = -1
	}
	if r.backlog == nil {
		r.backlog = newBacklog(s.cfg.backlogSize, r.offset)
	}
	link.state = "wait_bgsave"
	r.replicas = append(r.replicas, c)
	if s.cfg.disklessSync && s.cfg.disklessSyncDelay > 0 {
		// repl-diskless-sync-delay: wait for more replicas to share one transfer. The
		// snapshot is taken when the delay ends, so it needs no buffered stream.
		l := s.life
		delay := time.Duration(s.cfg.disklessSyncDelay) * time.Second
		l.wg.Add(1)
		go func() {
			defer l.wg.Done()
			select {
			case <-l.done:
				return
			case <-time.After(delay):
			}
			s.mu.Lock()
			defer s.mu.Unlock()
			if s.life == l && c.replica == link && link.state == "wait_bgsave" {
				s.startFullSync(c, psync)
			}
		}()
		return
	}
	s.startFullSync(c, psync)
}

// startFullSync sends +FULLRESYNC and the snapshot. Taking the snapshot under mu makes it
// exactly the state at the announced offset; the stream that follows is appended behind it.
func (s *Server) startFullSync(c *client, psync bool) {
	r := &s.repl
	// The replica starts in db 0; make the stream say SELECT before its next write.
	r.selDB = -1
	if psync {
		c.w.Simple(fmt.Sprintf("FULLRESYNC %s %d", r.replid, r.offset))
	}
	snap, err := s.snapshot()
	if err != nil {
		s.log.Error("snapshot failed", "error", err)
		c.closeNow()
		return
	}
	if s.cfg.disklessSync && c.replica.eof {
		mark := randomHex(40)
		c.w.Raw([]byte("$EOF:" + mark + "\r\n"))
		c.w.Raw(snap)
		c.w.Raw([]byte(mark))
		c.replica.holding = true
	} else {
		c.w.Raw([]byte("$" + strconv.Itoa(len(snap)) + "\r\n"))
		c.w.Raw(snap)
	}
	c.replica.state = "send_bulk"
	c.replica.ackOffset = 0
	c.flush()
	s.log.Info("full resynchronization", "replica", c.addr, "offset", r.offset, "bytes", len(snap))
}

// replicationCron keeps replication links alive: the master's periodic PING down the stream
// (it moves the offset, as in Redis), the replica's ack every second, and the link timeout.
func (s *Server) replicationCron(now time.Time) {
	r := &s.repl
	if r.isMaster() && len(r.replicas) > 0 &&
		now.Sub(r.lastPing) >= time.Duration(s.cfg.replPingPeriod)*time.Second && !r.writesPaused() {
		r.lastPing = now
		s.feedReplicas(resp.AppendCommand(nil, "PING"))
	}
	if r.isReplica() && r.linkState == linkConnected && now.Sub(r.lastAck) >= time.Second {
		s.sendAck()
	}
	if r.backlog != nil && int64(len(r.backlog.buf)) != s.cfg.backlogSize {
		r.backlog.resize(s.cfg.backlogSize)
	}
}

func respCommand(args ...string) []byte { return resp.AppendCommand(nil, args...) }
