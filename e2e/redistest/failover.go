package redistest

import (
	"net"
	"strconv"
	"strings"
	"time"
)

// failover is a coordinated FAILOVER in progress (Redis 6.2+): writes are paused until a
// replica has every byte, then this master becomes that replica's replica and asks it, with
// PSYNC ... FAILOVER, to take over.
type failover struct {
	state    failoverState
	host     string // target; "" lets the first caught-up replica win
	port     int
	force    bool
	deadline time.Time // zero: no timeout
}

type failoverState int

const (
	foNone failoverState = iota
	foWaitingForSync
	foInProgress
)

// String gives the master_failover_state words of INFO.
func (f failoverState) String() string {
	switch f {
	case foWaitingForSync:
		return "waiting-for-sync"
	case foInProgress:
		return "failover-in-progress"
	default:
		return "no-failover"
	}
}

// writesPaused reports whether writers must wait: from FAILOVER until it ends either way.
func (r *replication) writesPaused() bool { return r.failover.state != foNone }

func init() {
	register(&command{name: "failover", arity: -1, flags: fStale, run: cmdFailover})
}

func cmdFailover(s *Server, c *client, args [][]byte) {
	r := &s.repl
	var f failover
	var timeoutMs int64
	abort := false
	for i := 1; i < len(args); i++ {
		switch opt := strings.ToUpper(string(args[i])); {
		case opt == "TO" && i+2 < len(args) && f.host == "":
			port, err := strconv.Atoi(string(args[i+2]))
			if err != nil {
				c.w.Error(errNotInt)
				return
			}
			f.host, f.port = string(args[i+1]), port
			i += 2
		case opt == "TIMEOUT" && i+1 < len(args) && timeoutMs == 0:
			n, err := strconv.ParseInt(string(args[i+1]), 10, 64)
			if err != nil {
				c.w.Error(errNotInt)
				return
			}
			if n <= 0 {
				c.w.Error("ERR FAILOVER timeout must be greater than 0")
				return
			}
			timeoutMs = n
			i++
		case opt == "FORCE" && !f.force:
			f.force = true
		case opt == "ABORT" && !abort:
			abort = true
		default:
			c.w.Error(errSyntax)
			return
		}
	}
	if abort {
		if len(args) > 2 {
			c.w.Error(errSyntax)
			return
		}
		if r.failover.state == foNone {
			c.w.Error("ERR No failover in progress.")
			return
		}
		s.abortFailover("Failover manually aborted")
		c.w.Simple("OK")
		return
	}
	if f.force && (timeoutMs == 0 || f.host == "") {
		c.w.Error("ERR FAILOVER with force option requires both a timeout and target HOST and IP.")
		return
	}
	if r.isReplica() {
		c.w.Error("ERR FAILOVER is not valid when server is a replica.")
		return
	}
	if len(r.replicas) == 0 {
		c.w.Error("ERR FAILOVER requires connected replicas.")
		return
	}
	if r.failover.state != foNone {
		c.w.Error("ERR FAILOVER already in progress.")
		return
	}
	if f.host != "" {
		target := s.findReplica(f.host, f.port)
		if target == nil {
			c.w.Error("ERR FAILOVER target HOST and PORT is not a replica.")
			return
		}
		if target.replica.state != "online" {
			c.w.Error("ERR FAILOVER target replica is not online.")
			return
		}
	}
	if timeoutMs > 0 {
		f.deadline = s.now().Add(time.Duration(timeoutMs) * time.Millisecond)
	}
	f.state = foWaitingForSync
	r.failover = f
	s.log.Info("FAILOVER requested", "to", f.host, "port", f.port)
	c.w.Simple("OK")
}

// findReplica finds an attached replica by the address it announced. The caller holds mu.
func (s *Server) findReplica(host string, port int) *client {
	for _, c := range s.repl.replicas {
		ip := c.replIP
		if ip == "" {
			ip, _, _ = net.SplitHostPort(c.addr)
		}
		if strings.EqualFold(ip, host) && c.replPort == port {
			return c
		}
	}
	return nil
}

// failoverCron moves a FAILOVER along: hand over once a replica caught up, give up (or force)
// at the timeout. The caller holds mu.
func (s *Server) failoverCron(now time.Time) {
	r := &s.repl
	f := &r.failover
	timedOut := !f.deadline.IsZero() && now.After(f.deadline)
	switch f.state {
	case foWaitingForSync:
		var target *client
		if f.host != "" {
			if t := s.findReplica(f.host, f.port); t != nil && t.replica.ackOffset >= r.offset {
				target = t
			}
		} else {
			for _, c := range r.replicas {
				if c.replica.state == "online" && c.replica.ackOffset >= r.offset {
					target = c
					break
				}
			}
		}
		if target == nil && timedOut && f.force {
			target = s.findReplica(f.host, f.port)
		}
		if target == nil {
			if timedOut {
				s.abortFailover("Replica never caught up before timeout")
			}
			return
		}
		host := target.replIP
		if host == "" {
			host, _, _ = net.SplitHostPort(target.addr)
		}
		f.state = foInProgress
		f.host, f.port = host, target.replPort
		s.log.Info("failover target caught up; handing over", "to", host, "port", f.port)
		s.replicaOf(host, f.port)
	case foInProgress:
		if timedOut {
			s.abortFailover("Failover target did not take over before timeout")
		}
	}
}

// abortFailover ends a FAILOVER that did not complete; a master that had already begun to
// follow its target becomes master again. The caller holds mu.
func (s *Server) abortFailover(reason string) {
	s.log.Info("FAILOVER aborted", "reason", reason)
	if s.repl.failover.state == foInProgress {
		s.repl.failover.state = foNone
		s.replicaOfNoOne()
	}
	s.endFailover(reason)
}

// endFailover clears the failover state and lets paused writers go on. The caller holds mu.
func (s *Server) endFailover(string) {
	s.repl.failover = failover{}
	s.writeGate.Broadcast()
}
