package redistest

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/sentinel-go/sentinel/internal/pubsub"
	"github.com/sentinel-go/sentinel/internal/respserver"
)

func init() {
	register(
		&command{name: "ping", arity: -1, flags: fPubsub | fStale, run: cmdPing},
		&command{name: "echo", arity: 2, flags: fStale, run: cmdEcho},
		&command{name: "quit", arity: -1, flags: fNoAuth | fLoading | fStale | fPubsub | fNoMulti | fNoBusy, run: cmdQuit},
		&command{name: "reset", arity: 1, flags: fNoAuth | fLoading | fStale | fPubsub | fNoMulti | fNoBusy, run: cmdReset},
		&command{name: "auth", arity: -2, flags: fNoAuth | fLoading | fStale | fNoBusy, run: cmdAuth},
		&command{name: "hello", arity: -1, flags: fNoAuth | fLoading | fStale | fNoBusy, run: cmdHello},
		&command{name: "multi", arity: 1, flags: fNoMulti | fLoading | fStale, run: cmdMulti},
		&command{name: "exec", arity: 1, flags: fNoMulti | fLoading | fStale, run: cmdExec},
		&command{name: "discard", arity: 1, flags: fNoMulti | fLoading | fStale, run: cmdDiscard},
		&command{name: "watch", arity: -2, flags: fNoTx | fLoading | fStale, run: cmdWatch},
		&command{name: "unwatch", arity: 1, flags: fLoading | fStale, run: cmdOK},
		&command{name: "time", arity: 1, flags: fLoading | fStale, run: cmdTime},
		&command{name: "lastsave", arity: 1, flags: fLoading | fStale, run: cmdLastsave},
		&command{name: "save", arity: 1, flags: 0, run: cmdOK},
		&command{name: "bgsave", arity: -1, flags: 0, run: cmdBgsave},
		&command{name: "wait", arity: 3, flags: 0, run: cmdWait},
		&command{name: "debug", arity: -2, flags: fLoading | fStale, run: cmdDebug},
		&command{name: "script", arity: -2, flags: fNoBusy, run: cmdScript},
		&command{name: "shutdown", arity: -1, flags: fLoading | fStale | fNoBusy, run: cmdShutdown},
		&command{name: "readonly", arity: 1, flags: fLoading | fStale, run: cmdOK},
		&command{name: "readwrite", arity: 1, flags: fLoading | fStale, run: cmdOK},
	)
}

func cmdOK(s *Server, c *client, args [][]byte) { c.w.Simple("OK") }

func cmdPing(s *Server, c *client, args [][]byte) {
	if len(args) > 2 {
		c.w.Error("ERR wrong number of arguments for 'ping' command")
		return
	}
	if s.faults.pingErr != "" {
		c.w.Error(s.faults.pingErr)
		return
	}
	pubsub.Pong(&c.w, c.subCount() > 0, args[1:])
}

func cmdEcho(s *Server, c *client, args [][]byte) { c.w.Bulk(args[1]) }

func cmdQuit(s *Server, c *client, args [][]byte) {
	c.w.Simple("OK")
	c.flushAndClose()
}

func cmdReset(s *Server, c *client, args [][]byte) {
	c.inMulti, c.multi, c.multiErr = false, nil, false
	s.pubsub.UnsubscribeAll(c)
	c.db = 0
	c.name = ""
	c.w.Proto = 2
	c.authed = !s.cfg.authRequired()
	c.user = "default"
	c.w.Simple("RESET")
}

// authenticate checks a user and password against the ACL users; "default" is the user of
// requirepass. It returns Redis's error text or "".
func (s *Server) authenticate(c *client, name, pass string) string {
	u := s.cfg.users[name]
	if u == nil || !u.enabled || (!u.nopass && u.password != pass) {
		return respserver.ErrWrongPass
	}
	c.user, c.authed = name, true
	return ""
}

func cmdAuth(s *Server, c *client, args [][]byte) {
	respserver.AuthCommand(&c.w, args, authenticator{s, c})
}

// authenticator is the instance's users as the kernel's AUTH checks them. The caller
// holds s.mu.
type authenticator struct {
	s *Server
	c *client
}

func (a authenticator) DefaultNoPass() bool {
	d := a.s.cfg.users["default"]
	return d != nil && d.nopass
}

func (a authenticator) Authenticate(name, pass string) bool {
	return a.s.authenticate(a.c, name, pass) == ""
}

func cmdHello(s *Server, c *client, args [][]byte) {
	proto := c.w.Proto
	if len(args) >= 2 {
		v, err := strconv.Atoi(string(args[1]))
		if err != nil {
			c.w.Error("ERR Protocol version is not an integer or out of range")
			return
		}
		if v < 2 || v > 3 {
			c.w.Error("NOPROTO unsupported protocol version")
			return
		}
		proto = v
	}
	name, hasName := "", false
	for i := 2; i < len(args); i++ {
		switch opt := strings.ToUpper(string(args[i])); {
		case opt == "AUTH" && i+2 < len(args):
			if msg := s.authenticate(c, string(args[i+1]), string(args[i+2])); msg != "" {
				c.w.Error(msg)
				return
			}
			i += 2
		case opt == "SETNAME" && i+1 < len(args):
			name, hasName = string(args[i+1]), true
			if !respserver.ValidName(args[i+1]) {
				c.w.Error(respserver.ErrBadName)
				return
			}
			i++
		default:
			c.w.Error(fmt.Sprintf("ERR Syntax error in HELLO option '%s'", args[i]))
			return
		}
	}
	if !c.authed {
		c.w.Error("NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time")
		return
	}
	if hasName {
		c.name = name
	}
	c.w.Proto = proto
	role := "master"
	if s.repl.isReplica() {
		role = "replica"
	}
	c.w.Map(7)
	c.w.BulkString("server")
	c.w.BulkString("redis")
	c.w.BulkString("version")
	c.w.BulkString(Version)
	c.w.BulkString("proto")
	c.w.Int(int64(proto))
	c.w.BulkString("id")
	c.w.Int(c.id)
	c.w.BulkString("mode")
	c.w.BulkString("standalone")
	c.w.BulkString("role")
	c.w.BulkString(role)
	c.w.BulkString("modules")
	c.w.Array(0)
}

func cmdMulti(s *Server, c *client, args [][]byte) {
	if c.inMulti {
		c.w.Error("ERR MULTI calls can not be nested")
		return
	}
	c.inMulti, c.multi, c.multiErr = true, nil, false
	c.w.Simple("OK")
}

func cmdDiscard(s *Server, c *client, args [][]byte) {
	if !c.inMulti {
		c.w.Error("ERR DISCARD without MULTI")
		return
	}
	c.inMulti, c.multi, c.multiErr = false, nil, false
	c.w.Simple("OK")
}

// cmdWatch accepts WATCH without tracking the keys: EXEC never aborts on a conflicting
// write. Sentinels and the scenarios this server exists for do not use optimistic locking;
// a client that relies on it would see its transaction succeed where Redis would refuse it.
func cmdWatch(s *Server, c *client, args [][]byte) {
	c.w.Simple("OK")
}

func cmdExec(s *Server, c *client, args [][]byte) {
	if !c.inMulti {
		c.w.Error("ERR EXEC without MULTI")
		return
	}
	queued, failed := c.multi, c.multiErr
	c.inMulti, c.multi, c.multiErr = false, nil, false
	if failed {
		c.w.Error("EXECABORT Transaction discarded because of previous errors.")
		return
	}
	// A read-only replica refuses the whole transaction if it holds a write, as Redis does.
	if s.repl.isReplica() && s.cfg.replicaReadOnly && c != s.repl.masterClient {
		for _, q := range queued {
			if def := lookup(q.Args[0]); def != nil && def.flags&fWrite != 0 {
				c.w.Error("EXECABORT Transaction discarded because of: READONLY You can't write against a read only replica.")
				return
			}
		}
	}
	r := &s.repl
	r.inExec, r.multiSent = true, false
	c.w.Array(len(queued))
	for _, q := range queued {
		s.call(c, lookup(q.Args[0]), q.Args)
	}
	if r.multiSent {
		s.feedReplicas(respCommand("EXEC"))
	}
	r.inExec, r.multiSent = false, false
}

func cmdTime(s *Server, c *client, args [][]byte) {
	now := s.now()
	c.w.Array(2)
	c.w.BulkString(strconv.FormatInt(now.Unix(), 10))
	c.w.BulkString(strconv.Itoa(now.Nanosecond() / 1000))
}

func cmdLastsave(s *Server, c *client, args [][]byte) { c.w.Int(s.started.Unix()) }

func cmdBgsave(s *Server, c *client, args [][]byte) { c.w.Simple("Background saving started") }

// cmdWait counts replicas that acknowledged our current offset. It answers at once rather
// than blocking: acks arrive every second, so callers that need a count poll.
func cmdWait(s *Server, c *client, args [][]byte) {
	if s.repl.isReplica() {
		c.w.Error("ERR WAIT cannot be used with replica instances. Please also note that since Redis 4.0 if a replica is configured to be writable (which is not the default) writes to replicas are just local and are not propagated.")
		return
	}
	// Arguments are checked as waitCommand does, though the answer never waits.
	if _, err := strconv.ParseInt(string(args[1]), 10, 64); err != nil {
		c.w.Error(errNotInt)
		return
	}
	if ms, err := strconv.ParseInt(string(args[2]), 10, 64); err != nil {
		c.w.Error("ERR timeout is not an integer or out of range")
		return
	} else if ms < 0 {
		c.w.Error("ERR timeout is negative")
		return
	}
	var n int64
	for _, rc := range s.repl.replicas {
		if rc.replica.ackOffset >= s.repl.offset {
			n++
		}
	}
	c.w.Int(n)
}

func cmdDebug(s *Server, c *client, args [][]byte) {
	switch strings.ToUpper(string(args[1])) {
	case "SLEEP":
		if len(args) != 3 {
			c.w.Error(errSyntax)
			return
		}
		secs, err := strconv.ParseFloat(string(args[2]), 64)
		if err != nil {
			c.w.Error("ERR value is not a valid float")
			return
		}
		// Sleeping with the lock held is the point: Redis is single-threaded and DEBUG SLEEP
		// freezes the whole instance.
		time.Sleep(time.Duration(secs * float64(time.Second)))
		c.w.Simple("OK")
	case "SET-ACTIVE-EXPIRE", "QUICKLIST-PACKED-THRESHOLD":
		c.w.Simple("OK")
	default:
		c.w.Error(respserver.UnknownSubcommand("debug", args[1]))
	}
}

func cmdScript(s *Server, c *client, args [][]byte) {
	switch strings.ToUpper(string(args[1])) {
	case "KILL":
		if !s.faults.busy {
			c.w.Error("NOTBUSY No scripts in execution right now.")
			return
		}
		s.faults.busy = false
		c.w.Simple("OK")
	case "FLUSH":
		c.w.Simple("OK")
	default:
		c.w.Error(respserver.UnknownSubcommand("script", args[1]))
	}
}

// cmdShutdown stops the instance the way SHUTDOWN stops Redis: the connection closes with
// no reply. The instance can be brought back with Restart.
func cmdShutdown(s *Server, c *client, args [][]byte) {
	for _, a := range args[1:] {
		switch strings.ToUpper(string(a)) {
		case "NOSAVE", "SAVE", "NOW", "FORCE", "ABORT":
		default:
			c.w.Error(errSyntax)
			return
		}
	}
	c.closeNow()
	// Kill waits for this connection's goroutines, so it cannot run on one of them.
	s.bg.Add(1)
	go func() {
		defer s.bg.Done()
		s.Kill()
	}()
}
