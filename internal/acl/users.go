package acl

import (
	"fmt"
	"sort"
	"strings"
)

// Users is a user table: the default user and any others, by name. It is not safe for
// concurrent use; the *User values it hands out are (they never change).
type Users struct {
	cmds      Commands
	pubsubAll bool // see SetPubsubDefault
	users     map[string]*User
}

// NewUsers is a table holding only the default user, as Redis starts.
func NewUsers(cmds Commands) *Users {
	return &Users{cmds: cmds, users: map[string]*User{"default": NewDefaultUser(cmds)}}
}

// SetPubsubDefault is acl-pubsub-default: with allChannels, the users and selectors made
// from now on (by Set, LoadConfigured, ParseFile) start with every channel allowed.
func (t *Users) SetPubsubDefault(allChannels bool) { t.pubsubAll = allChannels }

// newUser is NewUser under the table's acl-pubsub-default.
func (t *Users) newUser(name string) *User {
	u := &User{name: name, cmds: t.cmds, pubsubAll: t.pubsubAll}
	u.root = u.newSelector()
	return u
}

// Get returns the named user, or nil.
func (t *Users) Get(name string) *User { return t.users[name] }

// Default returns the default user.
func (t *Users) Default() *User { return t.users["default"] }

// Names lists the users' names, sorted as Redis's radix tree lists them.
func (t *Users) Names() []string {
	names := make([]string, 0, len(t.users))
	for n := range t.users {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// Lines are the users' `user` lines, sorted by name: ACL LIST, ACL SAVE's file, and what
// a config rewrite writes (rewriteConfigUserOption).
func (t *Users) Lines() []string {
	var out []string
	for _, n := range t.Names() {
		out = append(out, t.users[n].Line())
	}
	return out
}

// MergeSelectors joins a selector written over several words, "(+ping" "~x)", into one
// rule, as ACLMergeSelectorArguments does. open is the index of a selector's first word
// that is never closed, or -1.
func MergeSelectors(rules []string) (merged []string, open int) {
	open = -1
	var sel string
	for i, r := range rules {
		switch {
		case open < 0 && strings.HasPrefix(r, "(") && !strings.HasSuffix(r, ")"):
			open, sel = i, r
		case open >= 0:
			sel += " " + r
			if strings.HasSuffix(r, ")") {
				merged = append(merged, sel)
				open = -1
			}
		default:
			merged = append(merged, r)
		}
	}
	if open >= 0 {
		return nil, open
	}
	return merged, -1
}

// ValidName is ACLStringHasSpaces's negation: no white space, no NUL.
func ValidName(name string) bool {
	return !strings.ContainsFunc(name, func(r rune) bool { return r == 0 || isSpace(r) })
}

// Apply applies merged rules to a copy of u (ACL SETUSER's all-or-nothing) and returns it,
// or the rule that failed and why.
func Apply(u *User, rules []string) (*User, string, error) {
	n := u.Clone()
	for _, r := range rules {
		if err := n.Set(r); err != nil {
			return nil, r, err
		}
	}
	return n, "", nil
}

// Set is ACL SETUSER on merged rules: it changes (or creates) the user only if every rule
// applies, and returns the new version, or the rule that failed and why.
func (t *Users) Set(name string, rules []string) (*User, string, error) {
	if !ValidName(name) {
		return nil, "", ErrBadName
	}
	u := t.users[name]
	switch {
	case u == nil:
		u = t.newUser(name)
	case u.pubsubAll != t.pubsubAll:
		u = u.Clone()
		u.pubsubAll = t.pubsubAll
	}
	n, bad, err := Apply(u, rules)
	if err != nil {
		return nil, bad, err
	}
	t.users[name] = n
	return n, "", nil
}

// Delete removes a user; the default user cannot be removed (ACL DELUSER checks first).
func (t *Users) Delete(name string) bool {
	if t.users[name] == nil || name == "default" {
		return false
	}
	delete(t.users, name)
	return true
}

// SetRequirePass is what requirepass does to the default user: resetpass then >pass, or
// nopass when empty.
func (t *Users) SetRequirePass(p string) {
	rules := []string{"nopass"}
	if p != "" {
		rules = []string{"resetpass", ">" + p}
	}
	t.users["default"], _, _ = Apply(t.Default(), rules)
}

// LoadConfigured is ACLLoadConfiguredUsers: the config's `user` lines (name then rules,
// not yet merged), each defining its user from scratch, the default one from a reset. The
// error is Redis's log line for the first failure; the caller then logs "Critical error
// while loading ACLs. Exiting." as redis-sentinel does.
func (t *Users) LoadConfigured(lines [][]string) error {
	for _, line := range lines {
		if len(line) == 0 {
			continue
		}
		name := line[0]
		if !ValidName(name) {
			return Error("Spaces not allowed in ACL usernames")
		}
		rules, open := MergeSelectors(line[1:])
		if open >= 0 {
			// The config loader refuses this line before; keep the message of the rule.
			return fmt.Errorf("Error loading ACL rule '%s' for the user named '%s': %s", line[1+open], name, ErrSyntax)
		}
		u := t.newUser(name)
		if name == "default" {
			u = t.Default().Clone()
			u.pubsubAll = t.pubsubAll
			u.Set("reset")
		}
		for _, r := range rules {
			if err := u.Set(r); err != nil {
				return fmt.Errorf("Error loading ACL rule '%s' for the user named '%s': %s", r, name, err)
			}
		}
		t.users[name] = u
	}
	return nil
}

// Replace makes t hold n's users (after ACL LOAD).
func (t *Users) Replace(n *Users) { t.users = n.users }
