package redistest

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/sentinel-go/sentinel/internal/clientkill"
	"github.com/sentinel-go/sentinel/internal/respserver"
)

func init() {
	register(
		&command{name: "client", arity: -2, flags: fLoading | fStale | fPubsub, run: cmdClient},
		&command{name: "acl", arity: -2, flags: fLoading | fStale, run: cmdACL},
	)
}

func cmdClient(s *Server, c *client, args [][]byte) {
	sub := strings.ToUpper(string(args[1]))
	switch {
	case sub == "ID" && len(args) == 2:
		c.w.Int(c.id)
	case sub == "SETNAME" && len(args) == 3:
		if !respserver.ValidName(args[2]) {
			c.w.Error(respserver.ErrBadName)
			return
		}
		c.name = string(args[2])
		c.w.Simple("OK")
	case sub == "GETNAME" && len(args) == 2:
		if c.name == "" {
			c.w.Null()
			return
		}
		c.w.BulkString(c.name)
	case sub == "INFO" && len(args) == 2:
		c.w.Verbatim("txt", s.clientInfo(c)+"\n")
	case sub == "LIST":
		s.clientList(c, args[2:])
	case sub == "KILL" && len(args) >= 3:
		s.clientKill(c, args[2:])
	case sub == "NO-EVICT" || sub == "NO-TOUCH" || sub == "REPLY":
		c.w.Simple("OK")
	case sub == "HELP":
		c.w.Strings([]string{"CLIENT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
			"ID", "INFO", "KILL <ip:port> | <option> <value> [...]", "LIST [TYPE (NORMAL|MASTER|REPLICA|PUBSUB)] [ID id ...]",
			"GETNAME", "SETNAME <name>", "HELP"})
	case sub == "ID" || sub == "SETNAME" || sub == "GETNAME" || sub == "INFO" || sub == "KILL":
		c.w.Error(fmt.Sprintf("ERR wrong number of arguments for 'client|%s' command", strings.ToLower(sub)))
	default:
		c.w.Error(respserver.UnknownSubcommand("client", args[1]))
	}
}

// clientInfo is one line of CLIENT LIST, with Redis 7.0's fields in its order.
func (s *Server) clientInfo(c *client) string {
	now := s.now()
	flags := ""
	switch {
	case c.replica != nil:
		flags = "S"
	case c.inMulti:
		flags = "x"
	case c.subCount() > 0:
		flags = "P"
	}
	if c.kc != nil && c.kc.Unix() {
		flags += "U"
	}
	multi := -1
	if c.inMulti {
		multi = len(c.multi)
	}
	// Redis's buffers have no counterpart here: fd, rbs and the memory figures are fixed.
	return respserver.ClientInfo{
		ID: c.id, Addr: c.addr, LAddr: c.laddr, FD: 8, Name: c.name,
		Age: now.Sub(c.created), Idle: now.Sub(c.lastCmd), Flags: flags, DB: c.db,
		Sub: s.pubsub.NumOf(c, false), PSub: s.pubsub.NumOf(c, true), Multi: multi,
		RBS: 1024, Events: "r", Cmd: c.cmdName, User: c.user, Redir: -1, Resp: c.w.Proto,
	}.String()
}

func (s *Server) clientList(c *client, opts [][]byte) {
	typ := ""
	var ids map[int64]bool
	for i := 0; i < len(opts); i++ {
		switch strings.ToUpper(string(opts[i])) {
		case "TYPE":
			if i+1 >= len(opts) {
				c.w.Error(errSyntax)
				return
			}
			typ = clientkill.TypeByName(string(opts[i+1]))
			if typ == "" {
				c.w.Error(fmt.Sprintf("ERR Unknown client type '%s'", opts[i+1]))
				return
			}
			i++
		case "ID":
			ids = map[int64]bool{}
			for i++; i < len(opts); i++ {
				n, err := strconv.ParseInt(string(opts[i]), 10, 64)
				if err != nil || n <= 0 {
					c.w.Error("ERR Invalid client ID")
					return
				}
				ids[n] = true
			}
		default:
			c.w.Error(errSyntax)
			return
		}
	}
	var b strings.Builder
	for _, cl := range s.clients() {
		if (typ != "" && cl.kind() != typ) || (ids != nil && !ids[cl.id]) {
			continue
		}
		b.WriteString(s.clientInfo(cl))
		b.WriteString("\n")
	}
	c.w.Verbatim("txt", b.String())
}

// clientKill implements both forms: the old "CLIENT KILL addr" and the filter form
// (ID, TYPE, ADDR, LADDR, USER, SKIPME). Sentinel sends "CLIENT KILL TYPE normal" and
// "CLIENT KILL TYPE pubsub" after reconfiguring an instance.
func (s *Server) clientKill(c *client, opts [][]byte) {
	// Any USER name is accepted: this server has never checked that the user exists.
	f, err := clientkill.Parse(opts, nil)
	if err != nil {
		c.w.Error(err.Error())
		return
	}
	n := 0
	if f.Type == "master" {
		// The master link is not in the client table; killing it drops the link.
		if ml := s.repl.link; ml != nil && ml.nc != nil && f.Addr == "" && f.ID == 0 {
			ml.nc.Close()
			n++
		}
	}
	for _, cl := range s.clients() {
		if f.Match(clientkill.Client{ID: cl.id, Type: cl.kind(), Addr: cl.addr, LAddr: cl.laddr, User: cl.user}, cl == c) {
			s.kill(c, cl)
			n++
		}
	}
	f.Reply(&c.w, n)
}

// kill closes target; when it is the caller, only after this reply is sent.
func (s *Server) kill(caller, target *client) {
	if target == caller {
		caller.flushAndClose()
		return
	}
	s.dropClient(target)
	target.closeNow()
}

func cmdACL(s *Server, c *client, args [][]byte) {
	switch strings.ToUpper(string(args[1])) {
	case "WHOAMI":
		c.w.BulkString(c.user)
	case "USERS":
		c.w.Strings(sortedKeys(s.cfg.users))
	case "SETUSER":
		if len(args) < 3 {
			c.w.Error("ERR wrong number of arguments for 'acl|setuser' command")
			return
		}
		u := s.cfg.users[string(args[2])]
		if u == nil {
			u = &user{name: string(args[2])}
		}
		next := *u
		for _, r := range args[3:] {
			rule := string(r)
			switch {
			case rule == "on":
				next.enabled = true
			case rule == "off":
				next.enabled = false
			case rule == "nopass":
				next.nopass, next.password = true, ""
			case rule == "resetpass":
				next.nopass, next.password = false, ""
			case strings.HasPrefix(rule, ">"):
				next.password, next.nopass = rule[1:], false
			case rule == "reset" || rule == "allkeys" || rule == "allchannels" || rule == "allcommands" ||
				strings.HasPrefix(rule, "~") || strings.HasPrefix(rule, "&") ||
				strings.HasPrefix(rule, "+") || strings.HasPrefix(rule, "-") || strings.HasPrefix(rule, "%"):
				// Permissions are not enforced: every user may run everything. Tests use
				// users for authentication, not authorization.
			default:
				c.w.Error(fmt.Sprintf("ERR Error in ACL SETUSER modifier '%s': Syntax error", rule))
				return
			}
		}
		s.cfg.users[next.name] = &next
		if next.name == "default" {
			s.cfg.requirePass = next.password
		}
		c.w.Simple("OK")
	case "DELUSER":
		var n int64
		for _, a := range args[2:] {
			if name := string(a); name != "default" && s.cfg.users[name] != nil {
				delete(s.cfg.users, name)
				n++
			}
		}
		c.w.Int(n)
	default:
		c.w.Error(respserver.UnknownSubcommand("acl", args[1]))
	}
}
