package config

import (
	"sort"

	"github.com/sentinel-go/sentinel/internal/acl"
)

// ACL `user` lines are checked and canonicalised with internal/acl's engine, without a
// command table: Redis validates their syntax while reading the file, and unknown command
// and category names are only found later, when the server builds its ACL (the server
// package does that), so they pass here too.

// Messages of the config loader's own, beside the engine's rule errors.
const (
	aclErrUnknown   = string(acl.ErrUnknown)
	aclErrDuplicate = "Duplicate user found. A user can only be defined once in config files"
)

// buildACLUser parses one user line (name and rules) the way Redis's config loader does
// (ACLAppendUserForLoading); the default user's line starts from a reset. On error it
// returns the index, in the full line's words ("user", name, rules...), of the word Redis
// names in its message: two places before the failing rule, an off-by-two in Redis's
// loader that we keep so the message is the same.
func buildACLUser(args []string, seen map[string]bool) (*acl.User, int, string) {
	if seen[args[0]] {
		return nil, 1, aclErrDuplicate
	}
	rules, bad := acl.MergeSelectors(args[1:])
	if bad >= 0 {
		return nil, bad, aclErrUnknown
	}
	u := acl.NewUser(args[0], nil)
	if args[0] == "default" {
		u.Set("reset")
	}
	for k, r := range rules {
		if err := u.Set(r); err != nil && err != acl.ErrUnknown {
			return nil, k, err.Error()
		}
	}
	return u, -1, ""
}

// ACLFile is the aclfile directive's path, "" without one.
func (c *Config) ACLFile() string { return first(c.Options["aclfile"]) }

// ACLPubsubAll reports acl-pubsub-default allchannels.
func (c *Config) ACLPubsubAll() bool {
	return first(c.Options["acl-pubsub-default"]) == "allchannels"
}

// userLines are the `user` lines a rewrite writes: the live ones when the daemon hands
// them over (LiveUsers), else the users rebuilt from requirepass and the user lines,
// sorted by name as Redis's user table is.
func (c *Config) userLines() []string {
	if c.LiveUsers != nil {
		if lines := c.LiveUsers(); lines != nil {
			return lines
		}
	}
	def := acl.NewDefaultUser(nil)
	if c.RequirePass != "" {
		def, _, _ = acl.Apply(def, []string{">" + c.RequirePass})
	}
	users := map[string]*acl.User{"default": def}
	seen := map[string]bool{}
	for _, line := range c.Users {
		if len(line) == 0 {
			continue
		}
		if u, _, reason := buildACLUser(line, seen); reason == "" {
			users[u.Name()] = u
			seen[u.Name()] = true
		}
	}
	names := make([]string, 0, len(users))
	for n := range users {
		names = append(names, n)
	}
	sort.Strings(names)
	lines := make([]string, 0, len(names))
	for _, n := range names {
		lines = append(lines, users[n].Line())
	}
	return lines
}
