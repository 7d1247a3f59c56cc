package endpoint

import (
	"fmt"
	"time"

	"github.com/sentinel-go/sentinel/internal/respserver"
)

// handlers maps full command names, a subcommand as "container|subcommand" the way Redis's
// command table names it, to their implementation: the one dispatch table of the endpoint.
// SENTINEL's subcommands have none of their own: the sentinel core runs them all.
var handlers = map[string]handler{
	"ping":         cmdPing,
	"role":         cmdRole,
	"publish":      cmdPublish,
	"shutdown":     cmdShutdown,
	"info":         cmdInfo,
	"auth":         cmdAuth,
	"hello":        cmdHello,
	"subscribe":    cmdSubscribe,
	"psubscribe":   cmdSubscribe,
	"unsubscribe":  cmdUnsubscribe,
	"punsubscribe": cmdUnsubscribe,

	"client|id":           func(c *conn, args [][]byte) { c.w.Int(c.id) },
	"client|setname":      clientSetName,
	"client|getname":      clientGetName,
	"client|info":         clientInfo,
	"client|list":         clientList,
	"client|kill":         clientKill,
	"client|pause":        clientPause,
	"client|unpause":      clientUnpause,
	"client|reply":        clientReply,
	"client|no-evict":     clientNoEvict,
	"client|tracking":     clientTracking,
	"client|trackinginfo": clientTrackingInfo,
	"client|getredir":     clientGetRedir,
	"client|caching":      clientCaching,
	"client|unblock":      clientUnblock,
	"client|help":         helpWith(clientHelp),

	"acl|whoami":  aclWhoAmI,
	"acl|users":   aclUsers,
	"acl|list":    aclList,
	"acl|setuser": aclSetUser,
	"acl|deluser": aclDelUser,
	"acl|getuser": aclGetUser,
	"acl|cat":     aclCat,
	"acl|genpass": aclGenPass,
	"acl|log":     aclLog,
	"acl|dryrun":  aclDryRun,
	"acl|load":    aclLoad,
	"acl|save":    aclSave,
	"acl|help":    helpWith(aclHelp),

	"command":                 cmdCommandAll,
	"command|count":           func(c *conn, args [][]byte) { c.w.Int(int64(c.s.commands.Len())) },
	"command|list":            commandList,
	"command|info":            commandInfo,
	"command|docs":            commandDocs,
	"command|getkeys":         commandGetKeys,
	"command|getkeysandflags": commandGetKeys,
	"command|help":            helpWith(commandHelp),
}

// helpWith is a container's HELP subcommand: its lines as simple strings, the reply
// Redis's addReplyHelp builds.
func helpWith(lines []string) handler {
	return func(c *conn, _ [][]byte) {
		c.w.Array(len(lines))
		for _, l := range lines {
			c.w.Simple(l)
		}
	}
}

// pubsubContextOK are the commands a RESP2 client may send while subscribed.
var pubsubContextOK = map[string]bool{
	"ping": true, "subscribe": true, "psubscribe": true, "unsubscribe": true, "punsubscribe": true,
}

// execute runs one request and applies CLIENT REPLY to its reply. Server.mu is taken
// twice per request, once by dispatch before it runs and once here after: under load
// every hold is contended by the other clients' goroutines.
func (c *conn) execute(args [][]byte) {
	mark := c.w.Len()
	c.mark = mark
	c.skipThis, c.skipNext = c.skipNext, false
	cmd := c.dispatch(args)
	c.s.mu.Lock()
	c.argvMem = 0
	if cmd == nil || !cmd.client {
		// CLIENT CACHING applies to the next command only, as in Redis.
		c.tracking.caching = false
	}
	suppressed := c.replyOff || c.skipThis
	c.s.mu.Unlock()
	if n := len(c.deferred); n > 0 && c.deferred[n-1].at == mark && suppressed {
		c.deferred[n-1].suppressed = true
	}
	if c.w.Len() > mark && c.w.Bytes()[mark] == '-' {
		c.s.st.errorReplies.Add(1)
	}
	if c.w.Len() > mark && suppressed {
		c.truncate(mark)
	}
	c.skipThis = false
}

// dispatch checks a request the way Redis's processCommand does, in its order, then runs
// it: lookup, arity, authentication, ACL, the RESP2 subscribed context, CLIENT PAUSE.
func (c *conn) dispatch(args [][]byte) *command {
	s := c.s
	k, reply := s.commands.Check(c.kc, args)
	var cmd *command
	if k != nil {
		cmd = k.Def
	}
	size := 0
	for _, a := range args {
		size += len(a)
	}
	// One hold for everything the checks read: the command CLIENT LIST shows as cmd=
	// and the request's size (argv-mem=), the user, the subscriptions, and whether a
	// CLIENT PAUSE is in force at all.
	s.mu.Lock()
	c.lastCmd = c.batchNow
	c.argvMem = size
	c.cmdName = ""
	if cmd != nil {
		c.cmdName = cmd.name
	}
	u := c.user
	c.subscribed = c.subCount() > 0
	resp2Subscribed := c.proto == 2 && c.subscribed
	paused := s.pause.changed != nil
	s.mu.Unlock()
	if reply != "" {
		c.w.Error(reply)
		return cmd
	}
	if r, pos := u.check(cmd, args); r != aclOK {
		c.denied(cmd, args, r, pos)
		return cmd
	}
	if resp2Subscribed && !pubsubContextOK[cmd.name] {
		c.w.Error(fmt.Sprintf("ERR Can't execute '%s': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context", cmd.name))
		return cmd
	}
	if paused && !c.waitPause(cmd) {
		return cmd
	}
	s.st.commands.Add(1)
	if cmd.sentinel {
		if len(c.deferred) > 0 && !s.sentinel.Waits(args[1:]) {
			c.awaitDeferred() // a read sees what the pipeline changed before it
		}
		if wait := s.sentinel.Command(&c.w, args[1:]); wait != nil {
			c.deferReply(wait)
		}
		return cmd
	}
	c.awaitDeferred()
	cmd.run(c, args)
	return cmd
}

func arityOK(cmd *command, n int) bool { return respserver.ArityOK(cmd.arity, n) }

// waitPause holds the request back while CLIENT PAUSE applies to it, and reports false
// if the connection or the server closed meanwhile.
func (c *conn) waitPause(cmd *command) bool {
	s := c.s
	for {
		s.mu.Lock()
		ch, left := s.pause.holds(cmd, s.now())
		c.blocked = ch != nil
		s.mu.Unlock()
		if ch == nil {
			return true
		}
		t := time.NewTimer(left)
		select {
		case <-ch:
		case <-t.C:
		case <-c.kc.Dead():
			t.Stop()
			return false
		case <-s.k.Done():
			t.Stop()
			return false
		}
		t.Stop()
		c.batchNow = s.now()
	}
}

// pauseState is CLIENT PAUSE. Guarded by Server.mu.
type pauseState struct {
	end     time.Time
	all     bool          // ALL rather than WRITE
	changed chan struct{} // closed when the pause changes; nil without a pause
}

// holds returns, if the pause holds cmd back, a channel closed when the pause changes and
// how long it still lasts.
func (p *pauseState) holds(cmd *command, now time.Time) (<-chan struct{}, time.Duration) {
	if p.changed == nil {
		return nil, 0
	}
	left := p.end.Sub(now)
	if left <= 0 {
		p.wake()
		return nil, 0
	}
	if !p.all && !cmd.writeBlocked() {
		return nil, 0
	}
	return p.changed, left
}

// extend pauses clients until end, never shortening or weakening a pause in force, as
// Redis's pauseClients does.
func (p *pauseState) extend(end time.Time, all bool) {
	if p.changed != nil {
		all = all || p.all
		if p.end.After(end) {
			end = p.end
		}
		close(p.changed)
	}
	p.end, p.all, p.changed = end, all, make(chan struct{})
}

// wake ends the pause.
func (p *pauseState) wake() {
	if p.changed != nil {
		close(p.changed)
	}
	*p = pauseState{}
}
