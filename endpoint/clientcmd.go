package endpoint

import (
	"fmt"
	"strings"
	"time"

	"github.com/sentinel-go/sentinel/internal/clientkill"
	"github.com/sentinel-go/sentinel/internal/respserver"
)

func clientSetName(c *conn, args [][]byte) {
	if !respserver.ValidName(args[2]) {
		c.w.Error(respserver.ErrBadName)
		return
	}
	c.s.mu.Lock()
	c.name = string(args[2])
	c.s.mu.Unlock()
	c.w.Simple("OK")
}

func clientGetName(c *conn, args [][]byte) {
	c.s.mu.Lock()
	name := c.name
	c.s.mu.Unlock()
	if name == "" {
		c.w.Null()
		return
	}
	c.w.BulkString(name)
}

func clientInfo(c *conn, args [][]byte) {
	c.s.mu.Lock()
	line := c.s.describeLocked(c)
	c.s.mu.Unlock()
	c.w.Verbatim("txt", line+"\n")
}

// describeLocked is the client's CLIENT LIST line, with Redis 7.0.15's fields in its
// order. Figures about Redis's own buffers that have no counterpart here (qbuf, rbs,
// multi-mem) are fixed. The caller holds Server.mu.
func (s *Server) describeLocked(c *conn) string {
	now := s.now()
	flags := ""
	if c.subCount() > 0 {
		flags += "P"
	}
	if c.blocked {
		flags += "b"
	}
	if c.tracking.on {
		flags += "t"
		if c.tracking.bcast {
			flags += "B"
		}
	}
	if c.kc.Unix() {
		flags += "U"
	}
	if c.noEvict {
		flags += "e"
	}
	omem := c.queued()
	events := "r"
	if omem > 0 {
		events = "rw"
	}
	redir := int64(-1)
	if c.tracking.on {
		redir = c.tracking.redirect
	}
	const rbs = 16384
	return respserver.ClientInfo{
		ID: c.id, Addr: c.addr, LAddr: c.laddr, FD: c.fd, Name: c.name,
		Age: now.Sub(c.created), Idle: now.Sub(c.lastCmd), Flags: flags,
		Sub: s.pubsub.NumOf(c, false), PSub: s.pubsub.NumOf(c, true), Multi: -1,
		ArgvMem: c.argvMem, RBS: rbs, OMem: omem, TotMem: rbs + c.argvMem + omem, Events: events,
		Cmd: c.cmdName, User: c.user.name, Redir: redir, Resp: c.proto,
	}.String()
}

// clientType is Redis's getClientType for our connections: there are no replicas or
// masters among a sentinel's clients.
func (c *conn) clientType() string {
	if c.subCount() > 0 {
		return "pubsub"
	}
	return "normal"
}

func (s *Server) connsLocked() []*conn {
	kcs := s.k.Conns()
	out := make([]*conn, 0, len(kcs))
	for _, kc := range kcs {
		out = append(out, kc.Value.(*conn))
	}
	return out
}

func clientList(c *conn, args [][]byte) {
	s := c.s
	typ := ""
	var ids []int64
	switch {
	case len(args) == 4 && strings.EqualFold(string(args[2]), "type"):
		if typ = clientkill.TypeByName(string(args[3])); typ == "" {
			c.w.Error(fmt.Sprintf("ERR Unknown client type '%s'", args[3]))
			return
		}
	case len(args) > 3 && strings.EqualFold(string(args[2]), "id"):
		for _, a := range args[3:] {
			id, ok := parseInt(a)
			if !ok {
				c.w.Error("ERR Invalid client ID")
				return
			}
			ids = append(ids, id)
		}
	case len(args) != 2:
		c.w.Error(errSyntax)
		return
	}
	var b strings.Builder
	s.mu.Lock()
	if ids != nil {
		for _, id := range ids {
			if cl := s.connLocked(id); cl != nil {
				b.WriteString(s.describeLocked(cl) + "\n")
			}
		}
	} else {
		for _, cl := range s.connsLocked() {
			if typ == "" || cl.clientType() == typ {
				b.WriteString(s.describeLocked(cl) + "\n")
			}
		}
	}
	s.mu.Unlock()
	c.w.Verbatim("txt", b.String())
}

func clientKill(c *conn, args [][]byte) {
	s := c.s
	f, err := clientkill.Parse(args[2:], func(name string) bool {
		s.mu.Lock()
		defer s.mu.Unlock()
		return s.acl.users[name] != nil
	})
	if err != nil {
		c.w.Error(err.Error())
		return
	}
	killed := 0
	s.mu.Lock()
	for _, cl := range s.connsLocked() {
		if !f.Match(clientkill.Client{ID: cl.id, Type: cl.clientType(), Addr: cl.addr, LAddr: cl.laddr, User: cl.user.name}, cl == c) {
			continue
		}
		killed++
		if cl == c {
			c.closeAfter = true
			continue
		}
		s.dropLocked(cl)
	}
	s.mu.Unlock()
	f.Reply(&c.w, killed)
}

func clientPause(c *conn, args [][]byte) {
	if len(args) > 4 {
		c.w.Error(subcommandSyntax(args))
		return
	}
	all := true
	if len(args) == 4 {
		switch strings.ToLower(string(args[3])) {
		case "write":
			all = false
		case "all":
		default:
			c.w.Error("ERR CLIENT PAUSE mode must be WRITE or ALL")
			return
		}
	}
	ms, ok := parseInt(args[2])
	if !ok {
		c.w.Error("ERR timeout is not an integer or out of range")
		return
	}
	if ms < 0 {
		c.w.Error("ERR timeout is negative")
		return
	}
	s := c.s
	s.mu.Lock()
	s.pause.extend(s.now().Add(time.Duration(ms)*time.Millisecond), all)
	s.mu.Unlock()
	c.w.Simple("OK")
}

func clientUnpause(c *conn, args [][]byte) {
	c.s.mu.Lock()
	c.s.pause.wake()
	c.s.mu.Unlock()
	c.w.Simple("OK")
}

func clientReply(c *conn, args [][]byte) {
	s := c.s
	switch strings.ToLower(string(args[2])) {
	case "on":
		s.mu.Lock()
		c.replyOff = false
		s.mu.Unlock()
		c.skipThis = false
		c.w.Simple("OK")
	case "off":
		s.mu.Lock()
		c.replyOff = true
		s.mu.Unlock()
	case "skip":
		s.mu.Lock()
		off := c.replyOff
		s.mu.Unlock()
		if !off {
			c.skipNext = true
		}
	default:
		c.w.Error(errSyntax)
	}
}

func clientNoEvict(c *conn, args [][]byte) {
	var on bool
	switch strings.ToLower(string(args[2])) {
	case "on":
		on = true
	case "off":
	default:
		c.w.Error(errSyntax)
		return
	}
	c.s.mu.Lock()
	c.noEvict = on
	c.s.mu.Unlock()
	c.w.Simple("OK")
}

// clientUnblock validates its arguments as Redis does; no client of a sentinel is ever in
// a blocking command, so it never unblocks one.
func clientUnblock(c *conn, args [][]byte) {
	if len(args) > 4 {
		c.w.Error(subcommandSyntax(args))
		return
	}
	if len(args) == 4 {
		switch strings.ToLower(string(args[3])) {
		case "timeout", "error":
		default:
			c.w.Error("ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR")
			return
		}
	}
	if _, ok := parseInt(args[2]); !ok {
		c.w.Error(errNotInt)
		return
	}
	c.w.Int(0)
}

const errNotInt = "ERR value is not an integer or out of range"

// subcommandSyntax is Redis's addReplySubcommandSyntaxError.
func subcommandSyntax(args [][]byte) string {
	return fmt.Sprintf("ERR unknown subcommand or wrong number of arguments for '%.128s'. Try %s HELP.",
		args[1], strings.ToUpper(string(args[0])))
}

var clientHelp = []string{
	"CLIENT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
	"CACHING (YES|NO)",
	"    Enable/disable tracking of the keys for next command in OPTIN/OPTOUT modes.",
	"GETREDIR",
	"    Return the client ID we are redirecting to when tracking is enabled.",
	"GETNAME",
	"    Return the name of the current connection.",
	"ID",
	"    Return the ID of the current connection.",
	"INFO",
	"    Return information about the current client connection.",
	"KILL <ip:port>",
	"    Kill connection made from <ip:port>.",
	"KILL <option> <value> [<option> <value> [...]]",
	"    Kill connections. Options are:",
	"    * ADDR (<ip:port>|<unixsocket>:0)",
	"      Kill connections made from the specified address",
	"    * LADDR (<ip:port>|<unixsocket>:0)",
	"      Kill connections made to specified local address",
	"    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
	"      Kill connections by type.",
	"    * USER <username>",
	"      Kill connections authenticated by <username>.",
	"    * SKIPME (YES|NO)",
	"      Skip killing current connection (default: yes).",
	"LIST [options ...]",
	"    Return information about client connections. Options:",
	"    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
	"      Return clients of specified type.",
	"UNPAUSE",
	"    Stop the current client pause, resuming traffic.",
	"PAUSE <timeout> [WRITE|ALL]",
	"    Suspend all, or just write, clients for <timeout> milliseconds.",
	"REPLY (ON|OFF|SKIP)",
	"    Control the replies sent to the current connection.",
	"SETNAME <name>",
	"    Assign the name <name> to the current connection.",
	"UNBLOCK <clientid> [TIMEOUT|ERROR]",
	"    Unblock the specified blocked client.",
	"TRACKING (ON|OFF) [REDIRECT <id>] [BCAST] [PREFIX <prefix> [...]]",
	"         [OPTIN] [OPTOUT] [NOLOOP]",
	"    Control server assisted client side caching.",
	"TRACKINGINFO",
	"    Report tracking status for the current connection.",
	"NO-EVICT (ON|OFF)",
	"    Protect current client connection from eviction.",
	"HELP",
	"    Prints this help.",
}
