package config

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"

	"github.com/sentinel-go/sentinel/internal/splitargs"
)

// ACL `user` lines: Redis validates their syntax while reading the file (unknown command
// and category names are only found later, when the server builds its ACL, so they pass
// here too) and writes every user back from its parsed state, passwords hashed. This file
// keeps that state for the rewrite. Command rules are kept in the order given after the
// last +@all/-@all, without the category fitting Redis does (see doc.go).

const (
	aclErrSyntax     = "Syntax error"
	aclErrUnknown    = "Unknown command or category name in ACL"
	aclErrNoPass     = "The password you are trying to remove from the user does not exist"
	aclErrHash       = "The password hash must be exactly 64 characters and contain only lowercase hexadecimal characters"
	aclErrDuplicate  = "Duplicate user found. A user can only be defined once in config files"
	aclErrFirstArg   = "Allowing first-arg of a subcommand is not supported"
	aclErrAllKeys    = "Adding a pattern after the * pattern (or the 'allkeys' flag) is not valid and does not have any effect. Try 'resetkeys' to start with an empty list of patterns"
	aclErrAllChannel = "Adding a pattern after the * pattern (or the 'allchannels' flag) is not valid and does not have any effect. Try 'resetchannels' to start with an empty list of channels"
)

type aclSelector struct {
	allKeys, allChannels bool
	keys, channels       []string
	allCommands          bool     // the base is +@all (future commands allowed)
	rules                []string // command rules after the base, lower case
}

type aclUser struct {
	name                   string
	on, nopass             bool
	sanitize, skipSanitize bool
	passwords              []string // sha256 hex
	root                   aclSelector
	selectors              []aclSelector
}

func newACLUser(name string) *aclUser { return &aclUser{name: name} }

// defaultACLUser is the default user as Redis creates it, before any user line.
func defaultACLUser() *aclUser {
	return &aclUser{name: "default", on: true, nopass: true,
		root: aclSelector{allKeys: true, allChannels: true, allCommands: true}}
}

func sha256Hex(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}

func validHash(h string) bool {
	if len(h) != 64 {
		return false
	}
	for i := 0; i < len(h); i++ {
		c := h[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}

// mergeSelectors joins the words of a "(...)" selector, which the line tokenizer split, into
// one argument. bad is the index of an unterminated selector's first word, or -1.
func mergeSelectors(rules []string) (merged []string, bad int) {
	for i := 0; i < len(rules); i++ {
		r := rules[i]
		if !strings.HasPrefix(r, "(") || strings.HasSuffix(r, ")") {
			merged = append(merged, r)
			continue
		}
		start, parts := i, []string{r}
		for i++; i < len(rules); i++ {
			parts = append(parts, rules[i])
			if strings.HasSuffix(rules[i], ")") {
				break
			}
		}
		if i >= len(rules) {
			return merged, start
		}
		merged = append(merged, strings.Join(parts, " "))
	}
	return merged, -1
}

// setRule applies one rule; the reason is Redis's message, "" on success.
func (u *aclUser) setRule(op string) string {
	switch strings.ToLower(op) {
	case "on":
		u.on = true
		return ""
	case "off":
		u.on = false
		return ""
	case "skip-sanitize-payload":
		u.skipSanitize, u.sanitize = true, false
		return ""
	case "sanitize-payload":
		u.skipSanitize, u.sanitize = false, true
		return ""
	case "nopass":
		u.nopass, u.passwords = true, nil
		return ""
	case "resetpass":
		u.nopass, u.passwords = false, nil
		return ""
	case "clearselectors":
		u.selectors = nil
		return ""
	case "reset":
		u.nopass, u.passwords = false, nil
		u.root = aclSelector{}
		u.on = false
		u.skipSanitize, u.sanitize = false, true
		u.selectors = nil
		return ""
	}
	switch {
	case op == "":
		return aclErrSyntax
	case op[0] == '>' || op[0] == '#':
		h := sha256Hex(op[1:])
		if op[0] == '#' {
			if !validHash(op[1:]) {
				return aclErrHash
			}
			h = op[1:]
		}
		if !contains(u.passwords, h) {
			u.passwords = append(u.passwords, h)
		}
		u.nopass = false
		return ""
	case op[0] == '<' || op[0] == '!':
		h := sha256Hex(op[1:])
		if op[0] == '!' {
			if !validHash(op[1:]) {
				return aclErrHash
			}
			h = op[1:]
		}
		i := indexOf(u.passwords, h)
		if i < 0 {
			return aclErrNoPass
		}
		u.passwords = append(u.passwords[:i], u.passwords[i+1:]...)
		u.nopass = false
		return ""
	case op[0] == '(' && op[len(op)-1] == ')':
		var s aclSelector
		words, _ := splitargs.Split(op[1 : len(op)-1])
		for _, w := range words {
			if r := s.setRule(w); r != "" {
				return r
			}
		}
		u.selectors = append(u.selectors, s)
		return ""
	}
	return u.root.setRule(op)
}

func (s *aclSelector) setRule(op string) string {
	switch strings.ToLower(op) {
	case "allkeys", "~*":
		s.allKeys, s.keys = true, nil
		return ""
	case "resetkeys":
		s.allKeys, s.keys = false, nil
		return ""
	case "allchannels", "&*":
		s.allChannels, s.channels = true, nil
		return ""
	case "resetchannels":
		s.allChannels, s.channels = false, nil
		return ""
	case "allcommands", "+@all":
		s.allCommands, s.rules = true, nil
		return ""
	case "nocommands", "-@all":
		s.allCommands, s.rules = false, nil
		return ""
	}
	switch op[0] {
	case '~', '%':
		if s.allKeys {
			return aclErrAllKeys
		}
		pat := op
		if op[0] == '%' {
			i := strings.IndexByte(op, '~')
			if i < 2 {
				return aclErrSyntax
			}
			var r, w bool
			for _, c := range op[1:i] {
				switch c {
				case 'R', 'r':
					r = true
				case 'W', 'w':
					w = true
				default:
					return aclErrSyntax
				}
			}
			// Redis writes read-write patterns as plain ~pattern.
			switch {
			case r && w:
				pat = op[i:]
			case r:
				pat = "%R" + op[i:]
			default:
				pat = "%W" + op[i:]
			}
		}
		if pat == "~*" {
			s.allKeys, s.keys = true, nil
		} else if !contains(s.keys, pat) {
			s.keys = append(s.keys, pat)
		}
		return ""
	case '&':
		if s.allChannels {
			return aclErrAllChannel
		}
		if !contains(s.channels, op) {
			s.channels = append(s.channels, op)
		}
		return ""
	case '+', '-':
		name := strings.ToLower(op[1:])
		if name == "" {
			return aclErrSyntax
		}
		if name[0] != '@' && strings.Count(name, "|") > 1 {
			return aclErrFirstArg
		}
		s.addCommandRule(op[0], name)
		return ""
	}
	return aclErrSyntax
}

// addCommandRule keeps the last rule given for each command (and drops the rules of its
// subcommands), as Redis's command_rules bookkeeping does, and leaves out rules that
// cannot change anything: -cmd over a bare -@all, +cmd over a bare +@all.
func (s *aclSelector) addCommandRule(sign byte, name string) {
	kept := s.rules[:0:0]
	for _, r := range s.rules {
		old := r[1:]
		if old == name || (name[0] != '@' && strings.HasPrefix(old, name+"|")) {
			continue
		}
		kept = append(kept, r)
	}
	s.rules = kept
	hasCategory := false
	for _, r := range s.rules {
		if strings.HasPrefix(r[1:], "@") {
			hasCategory = true
		}
	}
	if !hasCategory && name[0] != '@' && (sign == '-') != s.allCommands {
		return
	}
	s.rules = append(s.rules, string(sign)+name)
}

// describe is ACLDescribeUser: flags, password hashes, then the root selector and the
// others in parentheses.
func (u *aclUser) describe() string {
	var w []string
	if u.on {
		w = append(w, "on")
	} else {
		w = append(w, "off")
	}
	if u.nopass {
		w = append(w, "nopass")
	}
	if u.skipSanitize {
		w = append(w, "skip-sanitize-payload")
	}
	if u.sanitize {
		w = append(w, "sanitize-payload")
	}
	for _, p := range u.passwords {
		w = append(w, "#"+p)
	}
	out := strings.Join(w, " ") + " " + u.root.describe()
	for _, s := range u.selectors {
		out += " (" + s.describe() + ")"
	}
	return out
}

func (s *aclSelector) describe() string {
	var w []string
	if s.allKeys {
		w = append(w, "~*")
	} else {
		for _, k := range s.keys {
			w = append(w, token(k))
		}
	}
	if s.allChannels {
		w = append(w, "&*")
	} else {
		w = append(w, "resetchannels")
		for _, c := range s.channels {
			w = append(w, token(c))
		}
	}
	if s.allCommands {
		w = append(w, "+@all")
	} else {
		w = append(w, "-@all")
	}
	w = append(w, s.rules...)
	return strings.Join(w, " ")
}

// buildACLUser parses one user line (name and rules) the way Redis loads it; the default
// user's line starts from a reset. On error it returns the index, in the full line's words
// ("user", name, rules...), of the word Redis names in its message: two places before the
// failing rule, an off-by-two in Redis's loader that we keep so the message is the same.
func buildACLUser(args []string, seen map[string]bool) (*aclUser, int, string) {
	if seen[args[0]] {
		return nil, 1, aclErrDuplicate
	}
	rules, bad := mergeSelectors(args[1:])
	if bad >= 0 {
		return nil, bad, aclErrUnknown
	}
	u := newACLUser(args[0])
	if args[0] == "default" {
		u.setRule("reset")
	}
	for k, r := range rules {
		if reason := u.setRule(r); reason != "" {
			return nil, k, reason
		}
	}
	return u, -1, ""
}

func contains(list []string, s string) bool { return indexOf(list, s) >= 0 }

func indexOf(list []string, s string) int {
	for i, v := range list {
		if v == s {
			return i
		}
	}
	return -1
}
