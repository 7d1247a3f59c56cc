package endpoint

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/sentinel-go/sentinel/internal/acl"
)

func aclWhoAmI(c *conn, args [][]byte) {
	c.s.mu.Lock()
	name := c.user.name
	c.s.mu.Unlock()
	c.w.BulkString(name)
}

func aclUsers(c *conn, args [][]byte) {
	c.s.mu.Lock()
	names := sortedKeys(c.s.acl.users)
	c.s.mu.Unlock()
	c.w.Strings(names)
}

func aclList(c *conn, args [][]byte) {
	c.s.mu.Lock()
	lines := c.s.acl.lines()
	c.s.mu.Unlock()
	c.w.Strings(lines)
}

func aclSetUser(c *conn, args [][]byte) {
	s := c.s
	rules := make([]string, 0, len(args)-3)
	for _, a := range args[3:] {
		rules = append(rules, string(a))
	}
	rules, open := acl.MergeSelectors(rules)
	if open >= 0 {
		c.w.Error(fmt.Sprintf("ERR Unmatched parenthesis in acl selector starting at '%s'.", args[3+open]))
		return
	}
	s.mu.Lock()
	u, bad, err := s.acl.setUser(string(args[2]), rules)
	if err == nil {
		c.killLocked(s.retargetLocked(u))
	}
	s.mu.Unlock()
	if err != nil {
		if errors.Is(err, acl.ErrBadName) {
			c.w.Error("ERR " + err.Error())
		} else {
			c.w.Error(fmt.Sprintf("ERR Error in ACL SETUSER modifier '%.128s': %s", bad, err))
		}
		return
	}
	c.w.Simple("OK")
}

// retargetLocked points the connections authenticated as u's name at its new version, and
// returns those subscribed to something it no longer allows: Redis disconnects them.
// The caller holds Server.mu.
func (s *Server) retargetLocked(u *user) []*conn {
	var victims []*conn
	for _, cl := range s.connsLocked() {
		if cl.user.name != u.name {
			continue
		}
		cl.user = u
		if !u.mayKeep(cl) {
			victims = append(victims, cl)
		}
	}
	s.syncAuthLocked()
	return victims
}

// mayKeep reports whether every subscription of c is still allowed to u.
func (u *user) mayKeep(c *conn) bool {
	for _, ch := range c.s.pubsub.Names(c, false) {
		if !u.a.ChannelAllowed(ch, false) {
			return false
		}
	}
	for _, p := range c.s.pubsub.Names(c, true) {
		if !u.a.ChannelAllowed(p, true) {
			return false
		}
	}
	return true
}

// killLocked closes the victims; the calling connection, if among them, after its
// reply. The caller holds Server.mu.
func (c *conn) killLocked(victims []*conn) {
	for _, v := range victims {
		if v == c {
			c.closeAfter = true
			continue
		}
		c.s.dropLocked(v)
	}
}

func aclDelUser(c *conn, args [][]byte) {
	s := c.s
	for _, a := range args[2:] {
		if string(a) == "default" {
			c.w.Error("ERR The 'default' user cannot be removed")
			return
		}
	}
	n := 0
	s.mu.Lock()
	for _, a := range args[2:] {
		name := string(a)
		if !s.acl.table.Delete(name) {
			continue
		}
		s.acl.sync()
		n++
		// Redis disconnects the deleted user's connections, and makes them the default
		// user, unauthenticated, in case anything still runs for them.
		for _, cl := range s.connsLocked() {
			if cl.user.name == name {
				cl.user, cl.authed = s.acl.defaultUser(), false
				c.killLocked([]*conn{cl})
			}
		}
	}
	s.mu.Unlock()
	c.w.Int(int64(n))
}

func aclGetUser(c *conn, args [][]byte) {
	c.s.mu.Lock()
	u := c.s.acl.users[string(args[2])]
	c.s.mu.Unlock()
	if u == nil {
		c.w.Null()
		return
	}
	flags := u.a.Flags()
	views := u.a.Views()
	c.w.Map(6)
	c.w.BulkString("flags")
	c.w.Set(len(flags))
	for _, f := range flags {
		c.w.BulkString(f)
	}
	c.w.BulkString("passwords")
	c.w.Strings(u.a.Passwords())
	writeSelector := func(v acl.SelectorView) {
		c.w.BulkString("commands")
		c.w.BulkString(v.Commands)
		c.w.BulkString("keys")
		c.w.BulkString(v.Keys)
		c.w.BulkString("channels")
		c.w.BulkString(v.Channels)
	}
	writeSelector(views[0])
	c.w.BulkString("selectors")
	c.w.Array(len(views) - 1)
	for _, v := range views[1:] {
		c.w.Map(3)
		writeSelector(v)
	}
}

func aclCat(c *conn, args [][]byte) {
	if len(args) > 3 {
		c.w.Error(subcommandSyntax(args))
		return
	}
	if len(args) == 2 {
		c.w.Strings(acl.Categories)
		return
	}
	bit, ok := acl.CategoryBit(string(args[2]))
	if !ok {
		c.w.Error(fmt.Sprintf("ERR Unknown category '%.128s'", args[2]))
		return
	}
	var names []string
	for _, cmd := range table.all {
		if cmd.categories&bit != 0 {
			names = append(names, cmd.name)
		}
	}
	c.w.Strings(names)
}

func aclGenPass(c *conn, args [][]byte) {
	if len(args) > 3 {
		c.w.Error(subcommandSyntax(args))
		return
	}
	bits := int64(256)
	if len(args) == 3 {
		n, ok := parseInt(args[2])
		if !ok {
			c.w.Error(errNotInt)
			return
		}
		if n <= 0 || n > 4096 {
			c.w.Error("ERR ACL GENPASS argument must be the number of bits for the output password, a positive number up to 4096")
			return
		}
		bits = n
	}
	chars := (bits + 3) / 4
	b := make([]byte, (chars+1)/2)
	rand.Read(b)
	c.w.BulkString(hex.EncodeToString(b)[:chars])
}

const errNoACLFile = "ERR This Redis instance is not configured to use an ACL file. You may want to specify users via the ACL SETUSER command and then issue a CONFIG REWRITE (assuming you have a Redis configuration file set) in order to store users in the Redis configuration."

// aclLoad is ACL LOAD: the aclfile's users replace every user, or, if the file has any
// error, nothing changes. As in Redis (ACLLoadFromFile frees the old users), connections
// of every user but the default one are closed; the default user's see its new rules.
func aclLoad(c *conn, args [][]byte) {
	s := c.s
	s.mu.Lock()
	file, tab := s.acl.file, s.acl.table
	s.mu.Unlock()
	if file == "" {
		c.w.Error(errNoACLFile)
		return
	}
	t, err := tab.ReadFile(file) // no lock held while reading a file
	if err != nil {
		c.w.Error("ERR " + err.Error())
		return
	}
	s.mu.Lock()
	s.acl.table.Replace(t)
	s.acl.sync()
	def := s.acl.defaultUser()
	for _, cl := range s.connsLocked() {
		if cl.user.name == "default" {
			cl.user = def
			continue
		}
		cl.user, cl.authed = def, false
		c.killLocked([]*conn{cl})
	}
	s.mu.Unlock()
	c.w.Simple("OK")
}

// aclSave is ACL SAVE: the users to the aclfile, atomically.
func aclSave(c *conn, args [][]byte) {
	s := c.s
	s.mu.Lock()
	file, lines := s.acl.file, s.acl.lines()
	s.mu.Unlock()
	if file == "" {
		c.w.Error(errNoACLFile)
		return
	}
	if err := acl.WriteFile(file, lines); err != nil {
		s.log.Warn(err.Error())
		c.w.Error("ERR There was an error trying to save the ACLs. Please check the server logs for more information")
		return
	}
	c.w.Simple("OK")
}

func aclDryRun(c *conn, args [][]byte) {
	s := c.s
	s.mu.Lock()
	u := s.acl.users[string(args[2])]
	s.mu.Unlock()
	if u == nil {
		c.w.Error(fmt.Sprintf("ERR User '%s' not found", args[2]))
		return
	}
	cmdArgs := args[3:]
	cmd := s.lookupArgs(cmdArgs)
	if cmd == nil {
		c.w.Error(fmt.Sprintf("ERR Command '%s' not found", args[3]))
		return
	}
	if !arityOK(cmd, len(cmdArgs)) {
		c.w.Error(fmt.Sprintf("ERR wrong number of arguments for '%s' command", cmd.name))
		return
	}
	switch r, pos := u.check(cmd, cmdArgs); r {
	case aclOK:
		c.w.Simple("OK")
	case aclDeniedChannel:
		c.w.BulkString(fmt.Sprintf("This user has no permissions to access the '%s' channel", cmdArgs[pos]))
	default:
		c.w.BulkString(fmt.Sprintf("This user has no permissions to run the '%s' command", cmd.name))
	}
}

// aclLogEntry is one ACL LOG entry: a refused command or a failed authentication.
type aclLogEntry struct {
	count                         int
	reason, context, object, user string
	created                       time.Time
	clientInfo                    string
}

const (
	aclLogMaxLen   = 128              // acllog-max-len
	aclLogGrouping = 60 * time.Second // ACL_LOG_GROUPING_MAX_TIME
)

// aclLogLocked records a refusal. A refusal like a recent one (same reason, object, user)
// counts into that entry, as Redis groups them. The caller holds Server.mu.
func (s *Server) aclLogLocked(c *conn, reason, object, userName string) {
	now := s.now()
	a := s.acl
	info := s.describeLocked(c)
	for i, e := range a.log {
		if e.reason == reason && e.object == object && e.user == userName && now.Sub(e.created) <= aclLogGrouping {
			e.count++
			e.created = now
			e.clientInfo = info
			copy(a.log[1:i+1], a.log[:i])
			a.log[0] = e
			return
		}
	}
	e := &aclLogEntry{count: 1, reason: reason, context: "toplevel", object: object, user: userName,
		created: now, clientInfo: info}
	a.log = append([]*aclLogEntry{e}, a.log...)
	if len(a.log) > aclLogMaxLen {
		a.log = a.log[:aclLogMaxLen]
	}
}

// denied refuses a command the user may not run, and logs it.
func (c *conn) denied(cmd *command, args [][]byte, r aclResult, pos int) {
	s := c.s
	s.mu.Lock()
	if r == aclDeniedChannel {
		s.aclLogLocked(c, "channel", string(args[pos]), c.user.name)
	} else {
		s.aclLogLocked(c, "command", cmd.name, c.user.name)
	}
	s.mu.Unlock()
	if r == aclDeniedChannel {
		c.w.Error("NOPERM this user has no permissions to access one of the channels used as arguments")
		return
	}
	c.w.Error(fmt.Sprintf("NOPERM this user has no permissions to run the '%s' command", cmd.name))
}

func aclLog(c *conn, args [][]byte) {
	s := c.s
	if len(args) > 3 {
		c.w.Error(subcommandSyntax(args))
		return
	}
	count := int64(10)
	if len(args) == 3 {
		if strings.EqualFold(string(args[2]), "reset") {
			s.mu.Lock()
			s.acl.log = nil
			s.mu.Unlock()
			c.w.Simple("OK")
			return
		}
		n, ok := parseInt(args[2])
		if !ok {
			c.w.Error(errNotInt)
			return
		}
		count = max(n, 0)
	}
	now := s.now()
	s.mu.Lock()
	entries := s.acl.log[:min(int64(len(s.acl.log)), count)]
	copies := make([]aclLogEntry, len(entries))
	for i, e := range entries {
		copies[i] = *e
	}
	s.mu.Unlock()
	c.w.Array(len(copies))
	for _, e := range copies {
		c.w.Map(7)
		c.w.BulkString("count")
		c.w.Int(int64(e.count))
		c.w.BulkString("reason")
		c.w.BulkString(e.reason)
		c.w.BulkString("context")
		c.w.BulkString(e.context)
		c.w.BulkString("object")
		c.w.BulkString(e.object)
		c.w.BulkString("username")
		c.w.BulkString(e.user)
		c.w.BulkString("age-seconds")
		c.w.Double(float64(now.Sub(e.created).Milliseconds()) / 1000)
		c.w.BulkString("client-info")
		c.w.BulkString(e.clientInfo)
	}
}

var aclHelp = []string{
	"ACL <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
	"CAT [<category>]",
	"    List all commands that belong to <category>, or all command categories",
	"    when no category is specified.",
	"DELUSER <username> [<username> ...]",
	"    Delete a list of users.",
	"DRYRUN <username> <command> [<arg> ...]",
	"    Returns whether the user can execute the given command without executing the command.",
	"GETUSER <username>",
	"    Get the user's details.",
	"GENPASS [<bits>]",
	"    Generate a secure 256-bit user password. The optional `bits` argument can",
	"    be used to specify a different size.",
	"LIST",
	"    Show users details in config file format.",
	"LOAD",
	"    Reload users from the ACL file.",
	"LOG [<count> | RESET]",
	"    Show the ACL log entries.",
	"SAVE",
	"    Save the current config to the ACL file.",
	"SETUSER <username> <attribute> [<attribute> ...]",
	"    Create or modify a user with the specified attributes.",
	"USERS",
	"    List all the registered usernames.",
	"WHOAMI",
	"    Return the current connection username.",
	"HELP",
	"    Prints this help.",
}
