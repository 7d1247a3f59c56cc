package redistest

import (
	"fmt"

	"github.com/sentinel-go/sentinel/internal/resp"
	"github.com/sentinel-go/sentinel/internal/respserver"
)

// flags describe how the dispatcher treats a command before its handler runs; they mirror
// the command flags of Redis's command table that change behaviour visible to clients.
type flags uint16

const (
	fWrite   flags = 1 << iota // changes data: refused on read-only replicas, propagated
	fNoAuth                    // allowed before AUTH
	fLoading                   // allowed while loading
	fStale                     // allowed on a replica whose link is down with serve-stale-data no
	fPubsub                    // allowed in RESP2 subscribed context
	fNoMulti                   // executed at once inside MULTI (MULTI, EXEC, DISCARD, ...)
	fNoBusy                    // allowed while a script is "running"
	fNoTx                      // refused inside MULTI (WATCH, SUBSCRIBE, PSYNC)
)

type handler func(s *Server, c *client, args [][]byte)

type command struct {
	name  string
	arity int // Redis's arity: n means exactly n arguments, -n means at least n
	flags flags
	run   handler
	// firstKey, lastKey and step locate keys for COMMAND replies, as Redis's table does.
	firstKey, lastKey, step int
}

// commands is the instance's command table, as the kernel checks requests against it.
var commands = respserver.NewTable[*command]()

func register(cmds ...*command) {
	for _, c := range cmds {
		commands.Register(&respserver.Command[*command]{Name: c.name, Arity: c.arity, NoAuth: c.flags&fNoAuth != 0, Def: c})
	}
}

// lookup is the command named name, or nil.
func lookup(name []byte) *command {
	if k := commands.Get(string(name)); k != nil {
		return k.Def
	}
	return nil
}

// execute runs one command for c. The caller holds s.mu.
func (s *Server) execute(c *client, cmd resp.Command) {
	args := cmd.Args
	if len(args) == 0 {
		return
	}
	c.lastCmd = s.now()
	s.stats.commandsProcessed++
	k, reply := commands.Check(c.kc, args)
	if k != nil {
		c.cmdName = k.Name
	}
	if reply != "" {
		if c.inMulti {
			c.multiErr = true
		}
		c.w.Error(reply)
		return
	}
	def, name := k.Def, k.Name
	if s.faults.busy && def.flags&fNoBusy == 0 {
		c.w.Error("BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.")
		return
	}
	if s.faults.loading && def.flags&fLoading == 0 {
		c.w.Error("LOADING Redis is loading the dataset in memory")
		return
	}
	if c.w.Proto == 2 && c.subCount() > 0 && def.flags&fPubsub == 0 {
		c.w.Error(fmt.Sprintf("ERR Can't execute '%s': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context", name))
		return
	}
	if c.inMulti && def.flags&fNoMulti == 0 {
		// Redis refuses before queueing what it would refuse to run, and the refusal dooms
		// the transaction (processCommand's rejectCommand flags it).
		if msg := s.rejection(c, def); msg != "" {
			c.multiErr = true
			c.w.Error(msg)
			return
		}
		if def.flags&fNoTx != 0 {
			c.multiErr = true
			if name == "watch" {
				c.w.Error("ERR WATCH inside MULTI is not allowed")
			} else {
				c.w.Error("ERR Command not allowed inside a transaction")
			}
			return
		}
		c.multi = append(c.multi, cmd)
		c.w.Simple("QUEUED")
		return
	}
	s.call(c, def, args)
}

// call runs a command that passed the connection-level checks; EXEC comes here once per
// queued command. The caller holds s.mu.
func (s *Server) call(c *client, def *command, args [][]byte) {
	if def.flags&fWrite != 0 && c != s.repl.masterClient {
		for s.repl.writesPaused() {
			// FAILOVER pauses writers until the target replica has caught up, as
			// CLIENT PAUSE WRITE does in Redis; the clients wait, they are not refused.
			s.writeGate.Wait()
			if s.life == nil || c.dead() {
				return
			}
		}
	}
	// Checked after the pause: a completed FAILOVER turns the paused writers' instance into
	// a replica, and they must then be refused as read-only.
	if msg := s.rejection(c, def); msg != "" {
		c.w.Error(msg)
		return
	}
	def.run(s, c, args)
}

// rejection is the error Redis's processCommand answers instead of running def for c in
// the instance's current state (NOREPLICAS, READONLY, MASTERDOWN), or "". The caller
// holds s.mu.
func (s *Server) rejection(c *client, def *command) string {
	if c == s.repl.masterClient {
		return ""
	}
	if def.flags&fWrite != 0 {
		if s.repl.isMaster() && s.cfg.minReplicasToWrite > 0 && s.goodReplicas() < s.cfg.minReplicasToWrite {
			return "NOREPLICAS Not enough good replicas to write."
		}
		if s.repl.isReplica() && s.cfg.replicaReadOnly {
			return "READONLY You can't write against a read only replica."
		}
	}
	if s.repl.isReplica() && !s.cfg.replicaServeStaleData && s.repl.linkState != linkConnected &&
		def.flags&fStale == 0 {
		return "MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to 'no'."
	}
	return ""
}

const (
	errSyntax    = "ERR syntax error"
	errNotInt    = "ERR value is not an integer or out of range"
	errOverflow  = "ERR increment or decrement would overflow"
	errDBIndex   = "ERR DB index is out of range"
	errExpire    = "ERR invalid expire time in '%s' command"
	errNoSuchKey = "ERR no such key"
)
