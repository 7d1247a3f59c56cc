package respserver

import (
	"fmt"
	"strings"

	"github.com/sentinel-go/sentinel/internal/resp"
)

// Command is one entry of an embedder's command table: what the kernel checks before the
// embedder runs it, and the embedder's own definition (handler, flags, metadata) in Def.
type Command[D any] struct {
	Name   string // full lowercase name, as errors show it: "ping", "client|id"
	Arity  int    // Redis's arity: n means exactly n arguments, -n at least n
	NoAuth bool   // allowed before the client authenticates (Redis's no_auth flag)
	// Subs are a container's subcommands, by lowercase name, when the table is to
	// dispatch them (Redis's CLIENT, ACL, COMMAND); nil otherwise.
	Subs map[string]*Command[D]
	Def  D
}

// Table is a command table an embedder registers its commands in, as redcon's and
// miniredis's servers do. It is read-only once requests use it.
type Table[D any] struct {
	top map[string]*Command[D]
}

// NewTable returns an empty Table.
func NewTable[D any]() *Table[D] { return &Table[D]{top: map[string]*Command[D]{}} }

// Register adds commands under their names; a later one replaces an earlier one.
func (t *Table[D]) Register(cmds ...*Command[D]) {
	for _, c := range cmds {
		t.top[c.Name] = c
	}
}

// RegisterAs adds a command under another name (rename-command): lookups use the new
// name, replies keep the command's real one.
func (t *Table[D]) RegisterAs(name string, c *Command[D]) { t.top[strings.ToLower(name)] = c }

// Get is the top-level command registered under name, or nil.
func (t *Table[D]) Get(name string) *Command[D] { return t.top[strings.ToLower(name)] }

// Len is the number of top-level names.
func (t *Table[D]) Len() int { return len(t.top) }

// Names are the top-level names, sorted.
func (t *Table[D]) Names() []string { return sortedKeys(t.top) }

// Check finds the command a request names and checks it the way Redis's processCommand
// begins, in its order: lookup (with the subcommand of a container), arity, then
// authentication. It returns the command, or nil when there is none, and the error reply
// Redis gives instead of running it, or "". A failed arity or authentication check
// returns the command with the error.
func (t *Table[D]) Check(c *Conn, args [][]byte) (*Command[D], string) {
	// Names are folded into a buffer on the stack: a lookup allocates nothing.
	var buf [32]byte
	cmd := t.top[string(resp.Lower(buf[:0], args[0]))]
	if cmd != nil && cmd.Subs != nil && len(args) >= 2 {
		sub := cmd.Subs[string(resp.Lower(buf[:0], args[1]))]
		if sub == nil {
			return nil, UnknownSubcommand(string(args[0]), args[1])
		}
		cmd = sub
	}
	switch {
	case cmd == nil:
		return nil, UnknownCommand(args)
	case !ArityOK(cmd.Arity, len(args)):
		return cmd, WrongArity(cmd.Name)
	case !cmd.NoAuth && c != nil && c.AuthRequired():
		return cmd, ErrNoAuth
	}
	return cmd, ""
}

// ErrNoAuth is Redis's refusal of a command before authentication.
const ErrNoAuth = "NOAUTH Authentication required."

// ArityOK reports whether n arguments (the command name included) satisfy arity.
func ArityOK(arity, n int) bool {
	return arity > 0 && n == arity || arity < 0 && n >= -arity
}

// WrongArity is Redis's error for a command given the wrong number of arguments.
func WrongArity(name string) string {
	return fmt.Sprintf("ERR wrong number of arguments for '%s' command", name)
}

// UnknownSubcommand is Redis's error for a container's unknown subcommand.
func UnknownSubcommand(cmd string, sub []byte) string {
	return fmt.Sprintf("ERR unknown subcommand '%.128s'. Try %s HELP.", sub, strings.ToUpper(cmd))
}

// UnknownCommand is Redis's error for a command it does not have: arguments are quoted
// until 128 bytes of them are shown.
func UnknownCommand(args [][]byte) string {
	var b strings.Builder
	for _, a := range args[1:] {
		if b.Len() >= 128 {
			break
		}
		fmt.Fprintf(&b, "'%.*s' ", 128-b.Len(), a)
	}
	return fmt.Sprintf("ERR unknown command '%.128s', with args beginning with: %s", args[0], b.String())
}
