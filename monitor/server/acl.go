package server

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"

	"github.com/sentinel-go/sentinel/glob"
)

// Redis 7.0's ACL SETUSER errors (ACLSetUserStringError), by cause.
var (
	errACLSyntax       = errors.New("Syntax error")                                                                                                                                                            //lint:ignore ST1005 Redis's text
	errACLUnknown      = errors.New("Unknown command or category name in ACL")                                                                                                                                 //lint:ignore ST1005 Redis's text
	errACLKeyAfterAll  = errors.New("Adding a pattern after the * pattern (or the 'allkeys' flag) is not valid and does not have any effect. Try 'resetkeys' to start with an empty list of patterns")         //lint:ignore ST1005 Redis's text
	errACLChanAfterAll = errors.New("Adding a pattern after the * pattern (or the 'allchannels' flag) is not valid and does not have any effect. Try 'resetchannels' to start with an empty list of channels") //lint:ignore ST1005 Redis's text
	errACLNoPass       = errors.New("The password you are trying to remove from the user does not exist")                                                                                                      //lint:ignore ST1005 Redis's text
	errACLBadHash      = errors.New("The password hash must be exactly 64 characters and contain only lowercase hexadecimal characters")                                                                       //lint:ignore ST1005 Redis's text
	errACLBadName      = errors.New("Usernames can't contain spaces or null characters")                                                                                                                       //lint:ignore ST1005 Redis's text
	errACLFirstArgSub  = errors.New("Allowing first-arg of a subcommand is not supported")                                                                                                                     //lint:ignore ST1005 Redis's text
)

// user is an ACL user. Users are replaced whole on change (copy, modify, swap), so a
// connection holding a *user never sees one half changed.
type user struct {
	name      string
	enabled   bool
	nopass    bool
	sanitize  string   // "", "sanitize-payload" or "skip-sanitize-payload"
	passwords []string // SHA-256 hex digests, in the order added
	root      selector
	selectors []selector
}

// selector is one set of permissions: the user's root one, or a "(...)" selector.
type selector struct {
	allKeys     bool
	keys        []keyPattern
	allChannels bool
	channels    []string
	// future is the bit +@all sets beyond every command: the permission to run commands
	// added later. It decides whether a description starts with +@all or -@all.
	future    bool
	allowed   []bool           // by command id
	firstArgs map[int][]string // first arguments allowed for a command whose bit is off
}

type keyPattern struct {
	read, write bool
	pattern     string
}

func newSelector() selector {
	return selector{allowed: make([]bool, len(table.all))}
}

func (s selector) clone() selector {
	n := s
	n.keys = append([]keyPattern(nil), s.keys...)
	n.channels = append([]string(nil), s.channels...)
	n.allowed = append([]bool(nil), s.allowed...)
	if s.firstArgs != nil {
		n.firstArgs = make(map[int][]string, len(s.firstArgs))
		for id, a := range s.firstArgs {
			n.firstArgs[id] = append([]string(nil), a...)
		}
	}
	return n
}

func newUser(name string) *user {
	return &user{name: name, root: newSelector()}
}

func (u *user) clone() *user {
	n := *u
	n.passwords = append([]string(nil), u.passwords...)
	n.root = u.root.clone()
	n.selectors = make([]selector, len(u.selectors))
	for i, s := range u.selectors {
		n.selectors[i] = s.clone()
	}
	return &n
}

func hashPassword(p string) string {
	sum := sha256.Sum256([]byte(p))
	return hex.EncodeToString(sum[:])
}

func (u *user) checkPassword(p string) bool {
	if u.nopass {
		return true
	}
	h := hashPassword(p)
	for _, x := range u.passwords {
		if x == h {
			return true
		}
	}
	return false
}

func (u *user) addPassword(h string) {
	for _, x := range u.passwords {
		if x == h {
			return
		}
	}
	u.passwords = append(u.passwords, h)
}

func (u *user) removePassword(h string) error {
	for i, x := range u.passwords {
		if x == h {
			u.passwords = append(u.passwords[:i], u.passwords[i+1:]...)
			return nil
		}
	}
	return errACLNoPass
}

func validHash(h string) bool {
	if len(h) != 64 {
		return false
	}
	for i := 0; i < len(h); i++ {
		if c := h[i]; !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

// set applies one ACL SETUSER rule, as Redis's ACLSetUser does.
func (u *user) set(op string) error {
	if op == "" {
		return nil // Redis treats an empty rule as a no-op
	}
	switch lower := strings.ToLower(op); {
	case lower == "on":
		u.enabled = true
	case lower == "off":
		u.enabled = false
	case lower == "skip-sanitize-payload" || lower == "sanitize-payload":
		u.sanitize = lower
	case lower == "nopass":
		u.nopass, u.passwords = true, nil
	case lower == "resetpass":
		u.nopass, u.passwords = false, nil
	case strings.HasPrefix(op, ">"):
		u.addPassword(hashPassword(op[1:]))
		u.nopass = false
	case strings.HasPrefix(op, "#"):
		if !validHash(op[1:]) {
			return errACLBadHash
		}
		u.addPassword(op[1:])
		u.nopass = false
	case strings.HasPrefix(op, "<"):
		return u.removePassword(hashPassword(op[1:]))
	case strings.HasPrefix(op, "!"):
		if !validHash(op[1:]) {
			return errACLBadHash
		}
		return u.removePassword(op[1:])
	case lower == "reset":
		u.nopass, u.passwords = false, nil
		u.root = newSelector()
		u.enabled = false
		u.sanitize = "sanitize-payload"
		u.selectors = nil
	case lower == "clearselectors":
		u.selectors = nil
	case len(op) >= 2 && op[0] == '(' && op[len(op)-1] == ')':
		sel := newSelector()
		for _, rule := range strings.Split(op[1:len(op)-1], " ") {
			if err := sel.set(rule); err != nil {
				return err
			}
		}
		u.selectors = append(u.selectors, sel)
	default:
		return u.root.set(op)
	}
	return nil
}

// set applies one selector rule: keys, channels, commands and categories.
func (s *selector) set(op string) error {
	if op == "" {
		return nil
	}
	switch lower := strings.ToLower(op); {
	case lower == "allkeys" || op == "~*":
		s.allKeys, s.keys = true, nil
	case lower == "resetkeys":
		s.allKeys, s.keys = false, nil
	case lower == "allchannels" || op == "&*":
		s.allChannels, s.channels = true, nil
	case lower == "resetchannels":
		s.allChannels, s.channels = false, nil
	case lower == "allcommands" || lower == "+@all":
		s.setAll(true)
	case lower == "nocommands" || lower == "-@all":
		s.setAll(false)
	case op[0] == '~' || op[0] == '%':
		return s.addKeyPattern(op)
	case op[0] == '&':
		if s.allChannels {
			return errACLChanAfterAll
		}
		for _, c := range s.channels {
			if c == op[1:] {
				return nil
			}
		}
		s.channels = append(s.channels, op[1:])
	case strings.HasPrefix(op, "+@") || strings.HasPrefix(op, "-@"):
		bit, ok := categoryBit(op[2:])
		if !ok {
			return errACLUnknown
		}
		for _, cmd := range table.all {
			if cmd.categories&bit != 0 {
				s.change(cmd, op[0] == '+')
			}
		}
	case op[0] == '+':
		return s.allow(op[1:])
	case op[0] == '-':
		cmd := lookupFullName(op[1:])
		if cmd == nil {
			return errACLUnknown
		}
		s.change(cmd, false)
	default:
		return errACLSyntax
	}
	return nil
}

func (s *selector) addKeyPattern(op string) error {
	p := keyPattern{read: true, write: true}
	rest := op[1:]
	if op[0] == '%' {
		i := strings.IndexByte(op, '~')
		if i < 2 {
			return errACLSyntax
		}
		p.read, p.write = false, false
		for _, f := range op[1:i] {
			switch f {
			case 'R', 'r':
				p.read = true
			case 'W', 'w':
				p.write = true
			default:
				return errACLSyntax
			}
		}
		rest = op[i+1:]
	}
	if s.allKeys {
		return errACLKeyAfterAll
	}
	if rest == "*" && p.read && p.write {
		s.allKeys, s.keys = true, nil
		return nil
	}
	p.pattern = rest
	for i := range s.keys {
		if s.keys[i].pattern == rest {
			s.keys[i].read = s.keys[i].read || p.read
			s.keys[i].write = s.keys[i].write || p.write
			return nil
		}
	}
	s.keys = append(s.keys, p)
	return nil
}

// allow applies "+name": a command, a container's subcommand, or a first argument of a
// plain command (Redis's deprecated "+select|0" form).
func (s *selector) allow(name string) error {
	i := strings.LastIndexByte(name, '|')
	if i < 0 {
		cmd := lookupFullName(name)
		if cmd == nil {
			return errACLUnknown
		}
		s.change(cmd, true)
		return nil
	}
	cmd := lookupFullName(name[:i])
	if cmd == nil {
		return errACLUnknown
	}
	if cmd.parent != nil {
		return errACLFirstArgSub
	}
	if i == len(name)-1 {
		return errACLSyntax
	}
	if cmd.subs != nil {
		sub := lookupFullName(name)
		if sub == nil {
			return errACLUnknown
		}
		s.change(sub, true)
		return nil
	}
	if s.firstArgs == nil {
		s.firstArgs = map[int][]string{}
	}
	s.firstArgs[cmd.id] = append(s.firstArgs[cmd.id], name[i+1:])
	return nil
}

func (s *selector) setAll(on bool) {
	for i := range s.allowed {
		s.allowed[i] = on
	}
	s.future = on
	s.firstArgs = nil
}

// change sets a command's bit, and a container's subcommands' with it, dropping any
// first-argument exceptions (ACLChangeSelectorPerm).
func (s *selector) change(cmd *command, on bool) {
	s.allowed[cmd.id] = on
	delete(s.firstArgs, cmd.id)
	for _, sub := range cmd.subs {
		s.allowed[sub.id] = on
	}
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

// aclResult is why a command was refused; the larger, the more specific, as Redis ranks
// the errors it reports when no selector allows a command.
type aclResult int

const (
	aclOK aclResult = iota
	aclDeniedCmd
	aclDeniedKey
	aclDeniedAuth
	aclDeniedChannel
)

// check reports whether u may run cmd with args, and if not the argument at fault.
func (u *user) check(cmd *command, args [][]byte) (aclResult, int) {
	if cmd.flags["no_auth"] {
		return aclOK, 0
	}
	worst, pos := aclDeniedCmd, 0
	for i := -1; i < len(u.selectors); i++ {
		sel := &u.root
		if i >= 0 {
			sel = &u.selectors[i]
		}
		r, p := sel.check(cmd, args)
		if r == aclOK {
			return aclOK, 0
		}
		if r > worst || r == worst && p > pos {
			worst, pos = r, p
		}
	}
	return worst, pos
}

func (s *selector) check(cmd *command, args [][]byte) (aclResult, int) {
	if !s.allowed[cmd.id] {
		argIdx := 1
		if cmd.parent != nil {
			argIdx = 2
		}
		ok := false
		if len(args) > argIdx {
			for _, a := range s.firstArgs[cmd.id] {
				if strings.EqualFold(a, string(args[argIdx])) {
					ok = true
					break
				}
			}
		}
		if !ok {
			return aclDeniedCmd, 0
		}
	}
	if s.allChannels {
		return aclOK, 0
	}
	for _, ch := range channelArgs(cmd, args) {
		if !s.channelAllowed(string(args[ch.pos]), ch.pattern) {
			return aclDeniedChannel, ch.pos
		}
	}
	return aclOK, 0
}

// channelAllowed is ACLCheckChannelAgainstList: a channel must match one of the patterns;
// a pattern subscription must equal one of them literally.
func (s *selector) channelAllowed(ch string, isPattern bool) bool {
	if s.allChannels {
		return true
	}
	for _, p := range s.channels {
		if isPattern && p == ch || !isPattern && glob.Match(p, ch) {
			return true
		}
	}
	return false
}

type channelArg struct {
	pos     int
	pattern bool
}

// channelArgs lists the channels a command publishes or subscribes to, which ACL checks;
// unsubscribing is always allowed.
func channelArgs(cmd *command, args [][]byte) []channelArg {
	var out []channelArg
	switch cmd.name {
	case "publish":
		out = append(out, channelArg{pos: 1})
	case "subscribe", "psubscribe":
		for i := 1; i < len(args); i++ {
			out = append(out, channelArg{pos: i, pattern: cmd.name == "psubscribe"})
		}
	}
	return out
}

// describe is the user's ACL LIST line without "user <name> ", as ACLDescribeUser builds
// it.
func (u *user) describe() string {
	var b strings.Builder
	if u.enabled {
		b.WriteString("on ")
	} else {
		b.WriteString("off ")
	}
	if u.nopass {
		b.WriteString("nopass ")
	}
	if u.sanitize != "" {
		b.WriteString(u.sanitize + " ")
	}
	for _, p := range u.passwords {
		b.WriteString("#" + p + " ")
	}
	b.WriteString(u.root.describe())
	for _, s := range u.selectors {
		b.WriteString(" (" + s.describe() + ")")
	}
	return b.String()
}

func (s *selector) describe() string {
	var b strings.Builder
	if k := s.describeKeys(); k != "" {
		b.WriteString(k + " ")
	}
	if s.allChannels {
		b.WriteString("&* ")
	} else {
		b.WriteString("resetchannels ")
		for _, c := range s.channels {
			b.WriteString("&" + c + " ")
		}
	}
	b.WriteString(s.describeCommands())
	return b.String()
}

func (s *selector) describeKeys() string {
	if s.allKeys {
		return "~*"
	}
	parts := make([]string, 0, len(s.keys))
	for _, k := range s.keys {
		switch {
		case k.read && k.write:
			parts = append(parts, "~"+k.pattern)
		case k.read:
			parts = append(parts, "%R~"+k.pattern)
		default:
			parts = append(parts, "%W~"+k.pattern)
		}
	}
	return strings.Join(parts, " ")
}

func (s *selector) describeChannels() string {
	if s.allChannels {
		return "&*"
	}
	parts := make([]string, 0, len(s.channels))
	for _, c := range s.channels {
		parts = append(parts, "&"+c)
	}
	return strings.Join(parts, " ")
}

// describeCommands renders the command bits as Redis 7.0 does: start from +@all or
// -@all, greedily add (or remove) the category that best covers what is left, then fix
// single commands. Redis fixes single commands in hash-table order, which changes with
// every start; ours is the table's order.
func (s *selector) describeCommands() string {
	additive := !s.future
	var rules []string
	fake := newSelector()
	if additive {
		rules = append(rules, "-@all")
	} else {
		rules = append(rules, "+@all")
		fake.setAll(true)
	}
	temp := append([]bool(nil), s.allowed...)
	applied := make([]bool, len(aclCategories))
	for {
		best, minDiff, maxSame := -1, int(^uint(0)>>1), 0
		for j := range aclCategories {
			if applied[j] {
				continue
			}
			on, off := 0, 0
			for _, cmd := range table.all {
				if cmd.categories&(1<<j) != 0 {
					if temp[cmd.id] {
						on++
					} else {
						off++
					}
				}
			}
			diff, same := off, on
			if !additive {
				diff, same = on, off
			}
			if same > diff && (diff < minDiff || diff == minDiff && same > maxSame) {
				best, minDiff, maxSame = j, diff, same
			}
		}
		if best < 0 {
			break
		}
		sign := "+@"
		if !additive {
			sign = "-@"
		}
		rules = append(rules, sign+aclCategories[best])
		for _, cmd := range table.all {
			if cmd.categories&(1<<best) != 0 {
				fake.change(cmd, additive)
				temp[cmd.id] = !additive
				for _, sub := range cmd.subs {
					temp[sub.id] = !additive
				}
			}
		}
		applied[best] = true
	}
	for _, cmd := range table.all {
		if s.allowed[cmd.id] != fake.allowed[cmd.id] {
			if s.allowed[cmd.id] {
				rules = append(rules, "+"+cmd.name)
			} else {
				rules = append(rules, "-"+cmd.name)
			}
			fake.change(cmd, s.allowed[cmd.id])
		}
		if !s.allowed[cmd.id] {
			for _, a := range s.firstArgs[cmd.id] {
				rules = append(rules, "+"+cmd.name+"|"+a)
			}
		}
	}
	return strings.Join(rules, " ")
}

// aclState is the user table. Guarded by Server.mu.
type aclState struct {
	users  map[string]*user
	log    []*aclLogEntry
	loaded map[string]bool // users defined by config lines
}

func newACLState(requirePass string) *aclState {
	a := &aclState{users: map[string]*user{}}
	d := newUser("default")
	for _, r := range []string{"+@all", "~*", "&*", "on", "nopass"} {
		d.set(r)
	}
	a.users["default"] = d
	a.setRequirePass(requirePass)
	return a
}

func (a *aclState) defaultUser() *user { return a.users["default"] }

// setRequirePass is what requirepass does to the default user: resetpass then >pass, or
// nopass when empty.
func (a *aclState) setRequirePass(p string) {
	d := a.defaultUser().clone()
	if p == "" {
		d.set("nopass")
	} else {
		d.set("resetpass")
		d.set(">" + p)
	}
	a.users["default"] = d
}

// authRequired is Redis's rule: unless the default user is active and nopass, a new
// connection must authenticate.
func (a *aclState) authRequired() bool {
	d := a.defaultUser()
	return !d.nopass || !d.enabled
}

// setUser applies rules to a copy of the named user (a new one if absent) and stores the
// copy only if every rule was valid, as ACL SETUSER does. It returns the new user.
func (a *aclState) setUser(name string, rules []string) (*user, string, error) {
	if strings.ContainsAny(name, " \x00") {
		return nil, "", errACLBadName
	}
	u := a.users[name]
	if u == nil {
		u = newUser(name)
	} else {
		u = u.clone()
	}
	for _, r := range rules {
		if err := u.set(r); err != nil {
			return nil, r, err
		}
	}
	a.users[name] = u
	return u, "", nil
}

// mergeSelectors joins a selector written over several arguments, "(+ping" "~x)", into
// one rule, as ACLMergeSelectorArguments does. It returns the argument that opens a
// selector never closed, if any.
func mergeSelectors(rules []string) ([]string, string) {
	var out []string
	open := -1
	var sel string
	for i, r := range rules {
		switch {
		case open < 0 && strings.HasPrefix(r, "(") && !strings.HasSuffix(r, ")"):
			open, sel = i, r
		case open >= 0:
			sel += " " + r
			if strings.HasSuffix(r, ")") {
				out = append(out, sel)
				open = -1
			}
		default:
			out = append(out, r)
		}
	}
	if open >= 0 {
		return nil, rules[open]
	}
	return out, ""
}

// loadUser applies a config "user" line.
func (a *aclState) loadUser(line []string) error {
	if len(line) == 0 {
		return errors.New("server: empty ACL user line")
	}
	name := line[0]
	if a.loaded[name] {
		return fmt.Errorf("server: user %s: duplicate user found; a user can only be defined once", name)
	}
	rules, open := mergeSelectors(line[1:])
	if open != "" {
		return fmt.Errorf("server: user %s: unmatched parenthesis in acl selector starting at '%s'", name, open)
	}
	// A config line defines the user from scratch; for the default user Redis does that
	// with "reset", which leaves it flagged sanitize-payload.
	prev := a.users[name]
	if name == "default" {
		u := prev.clone()
		u.set("reset")
		a.users[name] = u
	} else {
		delete(a.users, name)
	}
	if _, bad, err := a.setUser(name, rules); err != nil {
		if prev != nil {
			a.users[name] = prev
		} else {
			delete(a.users, name)
		}
		return fmt.Errorf("server: user %s: error in modifier '%s': %w", name, bad, err)
	}
	if a.loaded == nil {
		a.loaded = map[string]bool{}
	}
	a.loaded[name] = true
	return nil
}
