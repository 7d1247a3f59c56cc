package acl

import (
	"strings"

	"github.com/sentinel-go/sentinel/internal/glob"
)

// Result is why a command was refused; the larger, the more specific, as Redis ranks the
// errors it reports when no selector allows a command.
type Result int

// Results of Check.
const (
	OK Result = iota
	DeniedCmd
	DeniedKey
	DeniedAuth
	DeniedChannel
)

// Channel is an argument a command publishes or subscribes to: a pattern (PSUBSCRIBE's)
// must equal an allowed pattern literally, a channel must match one.
type Channel struct {
	Pos     int
	Pattern bool
}

// Check is ACLCheckAllUserCommandPerm for the command with the given ID: OK if some
// selector allows it, else the most specific refusal and the argument at fault. u must
// have been built with a table.
func (u *User) Check(id int, args [][]byte, channels []Channel) (Result, int) {
	worst, pos := DeniedCmd, 0
	for i := -1; i < len(u.selectors); i++ {
		sel := &u.root
		if i >= 0 {
			sel = &u.selectors[i]
		}
		r, p := sel.check(u.cmds, id, args, channels)
		if r == OK {
			return OK, 0
		}
		if r > worst || r == worst && p > pos {
			worst, pos = r, p
		}
	}
	return worst, pos
}

func (s *selector) check(cmds Commands, id int, args [][]byte, channels []Channel) (Result, int) {
	if !s.allowed[id] {
		// A first argument counts after the subcommand's name for a subcommand.
		argIdx := 1
		if cmds.All()[id].Parent >= 0 {
			argIdx = 2
		}
		ok := false
		if len(args) > argIdx {
			for _, a := range s.firstArgs[id] {
				if strings.EqualFold(a, string(args[argIdx])) {
					ok = true
					break
				}
			}
		}
		if !ok {
			return DeniedCmd, 0
		}
	}
	for _, ch := range channels {
		if !s.channelAllowed(string(args[ch.Pos]), ch.Pattern) {
			return DeniedChannel, ch.Pos
		}
	}
	return OK, 0
}

// ChannelAllowed reports whether some selector of u allows the channel (or pattern).
func (u *User) ChannelAllowed(ch string, pattern bool) bool {
	if u.root.channelAllowed(ch, pattern) {
		return true
	}
	for i := range u.selectors {
		if u.selectors[i].channelAllowed(ch, pattern) {
			return true
		}
	}
	return false
}

// channelAllowed is ACLCheckChannelAgainstList.
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
