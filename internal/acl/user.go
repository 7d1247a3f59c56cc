package acl

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
)

// User is an ACL user. Once in a Users table it is never changed (see doc.go).
type User struct {
	name string
	cmds Commands // nil: rules over commands are kept as text
	// pubsubAll is acl-pubsub-default allchannels, from the table that made the user:
	// its new selectors, and a reset, allow every channel.
	pubsubAll bool
	enabled   bool
	nopass    bool
	sanitize  string   // "", "sanitize-payload" or "skip-sanitize-payload"
	passwords []string // SHA-256 hex digests, in the order added
	root      selector
	selectors []selector
}

// selector is one set of permissions: a user's root one, or a "(...)" selector.
type selector struct {
	allKeys     bool
	keys        []keyPattern
	allChannels bool
	channels    []string
	// all is the bit +@all sets beyond every command: the permission to run commands
	// added later. It decides whether a description starts with +@all or -@all.
	all bool
	// With a table: one bit per command ID, and the first arguments allowed for a
	// command whose bit is off ("+select|0").
	allowed   []bool
	firstArgs map[int][]string
	// Without a table: the command rules after the last +@all/-@all, lower case.
	rules []string
}

type keyPattern struct {
	read, write bool
	pattern     string
}

// NewUser is ACLCreateUser: off, no password, no permissions, no channels.
func NewUser(name string, cmds Commands) *User {
	u := &User{name: name, cmds: cmds}
	u.root = u.newSelector()
	return u
}

// NewDefaultUser is ACLCreateDefaultUser: on, nopass, every key, channel and command.
func NewDefaultUser(cmds Commands) *User {
	u := NewUser("default", cmds)
	for _, r := range []string{"+@all", "~*", "&*", "on", "nopass"} {
		if err := u.Set(r); err != nil {
			panic(err)
		}
	}
	return u
}

// newSelector is ACLCreateSelector: no keys, no commands, channels as acl-pubsub-default.
func (u *User) newSelector() selector {
	s := selector{allChannels: u.pubsubAll}
	if u.cmds != nil {
		s.allowed = make([]bool, len(u.cmds.All()))
	}
	return s
}

func (s selector) clone() selector {
	n := s
	n.keys = append([]keyPattern(nil), s.keys...)
	n.channels = append([]string(nil), s.channels...)
	n.allowed = append([]bool(nil), s.allowed...)
	n.rules = append([]string(nil), s.rules...)
	if s.firstArgs != nil {
		n.firstArgs = make(map[int][]string, len(s.firstArgs))
		for id, a := range s.firstArgs {
			n.firstArgs[id] = append([]string(nil), a...)
		}
	}
	return n
}

// Clone returns a copy to change.
func (u *User) Clone() *User {
	n := *u
	n.passwords = append([]string(nil), u.passwords...)
	n.root = u.root.clone()
	n.selectors = make([]selector, len(u.selectors))
	for i, s := range u.selectors {
		n.selectors[i] = s.clone()
	}
	return &n
}

// Name is the user's name.
func (u *User) Name() string { return u.name }

// Enabled reports the on flag.
func (u *User) Enabled() bool { return u.enabled }

// NoPass reports the nopass flag: any password authenticates.
func (u *User) NoPass() bool { return u.nopass }

// Passwords are the SHA-256 hex digests, in the order added.
func (u *User) Passwords() []string { return append([]string(nil), u.passwords...) }

// Flags are ACL GETUSER's flags.
func (u *User) Flags() []string {
	f := []string{"off"}
	if u.enabled {
		f[0] = "on"
	}
	if u.nopass {
		f = append(f, "nopass")
	}
	if u.sanitize != "" {
		f = append(f, u.sanitize)
	}
	return f
}

// HashPassword is ACLHashPassword: SHA-256, lower-case hex.
func HashPassword(p string) string {
	sum := sha256.Sum256([]byte(p))
	return hex.EncodeToString(sum[:])
}

// CheckPassword reports whether p is one of u's passwords (any, with nopass). It does not
// look at the on flag.
func (u *User) CheckPassword(p string) bool {
	if u.nopass {
		return true
	}
	h := HashPassword(p)
	for _, x := range u.passwords {
		if x == h {
			return true
		}
	}
	return false
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

func (u *User) addPassword(h string) {
	for _, x := range u.passwords {
		if x == h {
			return
		}
	}
	u.passwords = append(u.passwords, h)
}

func (u *User) removePassword(h string) error {
	for i, x := range u.passwords {
		if x == h {
			u.passwords = append(u.passwords[:i], u.passwords[i+1:]...)
			return nil
		}
	}
	return ErrNoPass
}

// Set applies one rule to u in place, as ACLSetUser does; on error u may be half changed,
// so callers apply rules to a Clone. The empty rule does nothing, as in Redis.
func (u *User) Set(op string) error {
	if op == "" {
		return nil
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
	case op[0] == '>':
		u.addPassword(HashPassword(op[1:]))
		u.nopass = false
	case op[0] == '#':
		if !validHash(op[1:]) {
			return ErrBadHash
		}
		u.addPassword(op[1:])
		u.nopass = false
	case op[0] == '<':
		return u.removePassword(HashPassword(op[1:]))
	case op[0] == '!':
		if !validHash(op[1:]) {
			return ErrBadHash
		}
		return u.removePassword(op[1:])
	case len(op) >= 2 && op[0] == '(' && op[len(op)-1] == ')':
		sel := u.newSelector()
		for _, rule := range strings.FieldsFunc(op[1:len(op)-1], isSpace) {
			if err := sel.set(u.cmds, rule); err != nil {
				return err
			}
		}
		u.selectors = append(u.selectors, sel)
	case lower == "clearselectors":
		u.selectors = nil
	case lower == "reset":
		u.nopass, u.passwords = false, nil
		u.root = u.newSelector()
		u.enabled = false
		u.sanitize = "sanitize-payload"
		u.selectors = nil
	default:
		return u.root.set(u.cmds, op)
	}
	return nil
}

// isSpace is C's isspace in the C locale.
func isSpace(r rune) bool {
	return r == ' ' || r == '\t' || r == '\n' || r == '\v' || r == '\f' || r == '\r'
}

// set applies one selector rule (ACLSetSelector): keys, channels, commands, categories.
func (s *selector) set(cmds Commands, op string) error {
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
			return ErrChanAfterAll
		}
		for _, c := range s.channels {
			if c == op[1:] {
				return nil
			}
		}
		s.channels = append(s.channels, op[1:])
	case op[0] == '+' || op[0] == '-':
		return s.setCommand(cmds, op[0] == '+', op[1:])
	default:
		return ErrSyntax
	}
	return nil
}

func (s *selector) addKeyPattern(op string) error {
	if s.allKeys {
		return ErrKeyAfterAll
	}
	p := keyPattern{read: true, write: true}
	rest := op[1:]
	if op[0] == '%' {
		// The flags end at '~' or at the end of the rule: "%R" is the empty pattern.
		p.read, p.write = false, false
		i := 1
		for ; i < len(op) && op[i] != '~'; i++ {
			switch {
			case (op[i] == 'R' || op[i] == 'r') && !p.read:
				p.read = true
			case (op[i] == 'W' || op[i] == 'w') && !p.write:
				p.write = true
			default:
				return ErrSyntax
			}
		}
		if !p.read && !p.write {
			return ErrSyntax
		}
		rest = ""
		if i < len(op) {
			rest = op[i+1:]
		}
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

func (s *selector) setAll(on bool) {
	for i := range s.allowed {
		s.allowed[i] = on
	}
	s.all = on
	s.firstArgs = nil
	s.rules = nil
}

// setCommand applies "+name", "-name", "+@category" or "-@category".
func (s *selector) setCommand(cmds Commands, allow bool, name string) error {
	if strings.HasPrefix(name, "@") {
		bit, ok := CategoryBit(name[1:])
		if !ok {
			return ErrUnknown
		}
		if cmds == nil {
			s.addRule(allow, strings.ToLower(name))
			return nil
		}
		for _, cmd := range cmds.All() {
			if cmd.Categories&bit != 0 {
				s.change(cmd, allow)
			}
		}
		return nil
	}
	if cmds == nil {
		return s.setCommandText(allow, strings.ToLower(name))
	}
	i := strings.LastIndexByte(name, '|')
	if !allow || i < 0 {
		cmd, ok := cmds.Lookup(name)
		if !ok {
			return ErrUnknown
		}
		s.change(cmd, allow)
		return nil
	}
	// "+base|arg": a container's subcommand, or a first argument of a plain command
	// (Redis's deprecated "+select|0" form).
	cmd, ok := cmds.Lookup(name[:i])
	switch {
	case !ok:
		return ErrUnknown
	case cmd.Parent >= 0:
		return ErrFirstArgSub
	case i == len(name)-1:
		return ErrSyntax
	case cmd.Subs != nil:
		sub, ok := cmds.Lookup(name)
		if !ok {
			return ErrUnknown
		}
		s.change(sub, true)
	default:
		if s.firstArgs == nil {
			s.firstArgs = map[int][]string{}
		}
		s.firstArgs[cmd.ID] = append(s.firstArgs[cmd.ID], name[i+1:])
	}
	return nil
}

// change sets a command's bit, and a container's subcommands' with it, dropping any
// first-argument exceptions (ACLChangeSelectorPerm).
func (s *selector) change(cmd Command, on bool) {
	s.allowed[cmd.ID] = on
	delete(s.firstArgs, cmd.ID)
	for _, id := range cmd.Subs {
		s.allowed[id] = on
	}
}

// setCommandText is setCommand without a table: what Redis would refuse whatever the
// table holds is refused, the rest is kept as written.
func (s *selector) setCommandText(allow bool, name string) error {
	switch {
	case name == "":
		return ErrUnknown
	case strings.Count(name, "|") > 1 && allow:
		return ErrFirstArgSub
	}
	s.addRule(allow, name)
	return nil
}

// addRule keeps the last rule given for each command (and drops the rules of its
// subcommands), and leaves out rules that cannot change anything: -cmd over a bare -@all,
// +cmd over a bare +@all.
func (s *selector) addRule(allow bool, name string) {
	kept := s.rules[:0:0]
	hasCategory := false
	for _, r := range s.rules {
		old := r[1:]
		if old == name || (name[0] != '@' && strings.HasPrefix(old, name+"|")) {
			continue
		}
		kept = append(kept, r)
		hasCategory = hasCategory || old[0] == '@'
	}
	s.rules = kept
	if !hasCategory && name[0] != '@' && allow == s.all {
		return
	}
	sign := "-"
	if allow {
		sign = "+"
	}
	s.rules = append(s.rules, sign+name)
}
