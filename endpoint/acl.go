package endpoint

import (
	"errors"
	"strings"

	"github.com/sentinel-go/sentinel/internal/acl"
)

// The rules, the descriptions and the check are internal/acl's; this file adapts them to
// the endpoint: the command table behind acl.Commands, the user a connection holds, and
// the table guarded by Server.mu.

// All and Lookup make the command table the engine's acl.Commands.
func (t *commandTable) All() []acl.Command { return t.acl }

func (t *commandTable) Lookup(name string) (acl.Command, bool) {
	cmd := lookupFullName(name)
	if cmd == nil {
		return acl.Command{}, false
	}
	return t.acl[cmd.id], true
}

// lookupFullName finds "name" or "container|sub" in the table, ignoring case and
// rename-command, as ACL rules do.
func lookupFullName(name string) *command {
	base, sub, hasSub := strings.Cut(strings.ToLower(name), "|")
	cmd := table.top[base]
	if cmd == nil || !hasSub {
		return cmd
	}
	if cmd.subs == nil || strings.Contains(sub, "|") {
		return nil
	}
	return cmd.subs[sub]
}

// user is what a connection holds of its ACL user: name and nopass for the connection
// code, the engine's immutable user for the rest. A new version of the user is a new
// *user.
type user struct {
	name   string
	nopass bool
	a      *acl.User
}

func wrapUser(u *acl.User) *user { return &user{name: u.Name(), nopass: u.NoPass(), a: u} }

type aclResult = acl.Result

const (
	aclOK            = acl.OK
	aclDeniedChannel = acl.DeniedChannel
)

// check reports whether u may run cmd with args, and if not the argument at fault.
func (u *user) check(cmd *command, args [][]byte) (aclResult, int) {
	if cmd.noAuth {
		return aclOK, 0
	}
	return u.a.Check(cmd.id, args, channelArgs(cmd, args))
}

// channelArgs lists the channels a command publishes or subscribes to, which ACL checks;
// unsubscribing is always allowed.
func channelArgs(cmd *command, args [][]byte) []acl.Channel {
	var out []acl.Channel
	switch cmd.name {
	case "publish":
		out = append(out, acl.Channel{Pos: 1})
	case "subscribe", "psubscribe":
		for i := 1; i < len(args); i++ {
			out = append(out, acl.Channel{Pos: i, Pattern: cmd.name == "psubscribe"})
		}
	}
	return out
}

// aclState is the user table. Guarded by Server.mu.
type aclState struct {
	table *acl.Users
	users map[string]*user // table's users as connections hold them; rebuilt by sync
	log   []*aclLogEntry
	file  string // aclfile, "" without one
}

// newACLState is the table as Redis starts, before any user line: the default user, with
// requirepass's password if any.
func newACLState(requirePass string) *aclState {
	a := &aclState{table: acl.NewUsers(table)}
	a.table.SetRequirePass(requirePass)
	a.sync()
	return a
}

// errACLBoth is ACLLoadUsersAtStartup's refusal of user lines beside an aclfile.
var errACLBoth = errors.New("Configuring Redis with users defined in redis.conf and at the same setting an ACL file path is invalid. This setup is very likely to lead to configuration errors and security holes, please define either an ACL file or declare users directly in your redis.conf, but not both.") //lint:ignore ST1005 Redis's text

// loadACL is ACLLoadUsersAtStartup: the config's user lines, or the aclfile, never both.
// The error is the lines redis-sentinel logs before it exits 1. On error the table fails
// closed: the default user is reset (off, no permissions), so a server whose caller went on
// regardless lets nobody in.
func loadACL(o Options) (*aclState, error) {
	a := newACLState(o.RequirePass)
	a.file = o.ACLFile
	a.table.SetPubsubDefault(o.ACLPubsubAll)
	err := a.load(o.Users)
	if err != nil {
		a.table = acl.NewUsers(table)
		a.table.Set("default", []string{"reset"})
	}
	a.sync()
	return a, err
}

func (a *aclState) load(users [][]string) error {
	if a.file != "" && len(users) > 0 {
		return errACLBoth
	}
	for _, line := range users {
		if err := a.loadUser(line); err != nil {
			return errors.New(err.Error() + "\nCritical error while loading ACLs. Exiting.")
		}
	}
	if a.file != "" {
		t, err := a.table.ReadFile(a.file)
		if err != nil {
			return errors.New("Aborting Redis startup because of ACL errors: " + err.Error())
		}
		a.table.Replace(t)
	}
	return nil
}

// loadUser applies one config user line (name, then rules) as ACLLoadConfiguredUsers
// does; the error is Redis's log line.
func (a *aclState) loadUser(line []string) error {
	if err := a.table.LoadConfigured([][]string{line}); err != nil {
		return err
	}
	a.sync()
	return nil
}

// sync rebuilds users from the table, keeping the *user of every user that did not change,
// so connections holding one keep pointing at the table's version.
func (a *aclState) sync() {
	old := a.users
	a.users = make(map[string]*user, len(old))
	for _, name := range a.table.Names() {
		u := a.table.Get(name)
		if w := old[name]; w != nil && w.a == u {
			a.users[name] = w
		} else {
			a.users[name] = wrapUser(u)
		}
	}
}

func (a *aclState) defaultUser() *user { return a.users["default"] }

// setRequirePass is what requirepass does to the default user.
func (a *aclState) setRequirePass(p string) {
	a.table.SetRequirePass(p)
	a.sync()
}

// authRequired is Redis's rule: unless the default user is active and nopass, a new
// connection must authenticate.
func (a *aclState) authRequired() bool {
	d := a.defaultUser()
	return !d.nopass || !d.a.Enabled()
}

// setUser is ACL SETUSER on merged rules; it returns the new version of the user, or the
// rule that failed and why.
func (a *aclState) setUser(name string, rules []string) (*user, string, error) {
	_, bad, err := a.table.Set(name, rules)
	if err != nil {
		return nil, bad, err
	}
	a.sync()
	return a.users[name], "", nil
}

// lines are the users' `user` lines, sorted by name.
func (a *aclState) lines() []string { return a.table.Lines() }

// ACLError is why New could not load the ACL users (the config's user lines or the
// aclfile): the lines redis-sentinel logs before it exits 1, or nil. After a failure the
// server lets nobody in (see loadACL).
func (s *Server) ACLError() error { return s.aclErr }

// UserLines are the live ACL users as `user` lines (ACL LIST's), which a config rewrite
// writes as redis-sentinel's rewriteConfigUserOption does.
func (s *Server) UserLines() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.acl.lines()
}
