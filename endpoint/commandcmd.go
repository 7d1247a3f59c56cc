package endpoint

import (
	"strings"

	"github.com/sentinel-go/sentinel/internal/acl"
	"github.com/sentinel-go/sentinel/internal/glob"
)

// topCommands lists the table's commands in a stable order. Redis lists them in
// hash-table order, which changes with every start, so no client can rely on an order.
func (s *Server) topCommands() []*command {
	out := make([]*command, 0, s.commands.Len())
	for _, n := range s.commands.Names() {
		out = append(out, s.commands.Get(n).Def)
	}
	return out
}

// lookupArgs finds the command args name, with its subcommand if it is a container, the
// way Redis's lookupCommand does (rename-command included).
func (s *Server) lookupArgs(args [][]byte) *command {
	if len(args) == 0 {
		return nil
	}
	k := s.commands.Get(string(args[0]))
	if k == nil {
		return nil
	}
	if cmd := k.Def; cmd.subs == nil || len(args) == 1 {
		return cmd
	}
	return k.Def.subs[strings.ToLower(string(args[1]))]
}

// lookupName finds "name" or "container|sub".
func (s *Server) lookupName(name []byte) *command {
	parts := strings.Split(string(name), "|")
	if len(parts) > 2 {
		return nil
	}
	args := make([][]byte, len(parts))
	for i, p := range parts {
		args[i] = []byte(p)
	}
	cmd := s.lookupArgs(args)
	if len(parts) == 2 && (cmd == nil || cmd.parent == nil) {
		return nil
	}
	return cmd
}

func cmdCommandAll(c *conn, args [][]byte) {
	cmds := c.s.topCommands()
	c.w.Array(len(cmds))
	for _, cmd := range cmds {
		cmd.info.write(&c.w)
	}
}

func commandList(c *conn, args [][]byte) {
	var match func(*command) bool
	for i := 2; i < len(args); i++ {
		if !strings.EqualFold(string(args[i]), "filterby") || len(args)-1-i != 2 {
			c.w.Error(errSyntax)
			return
		}
		arg := string(args[i+2])
		switch strings.ToLower(string(args[i+1])) {
		case "module":
			match = func(*command) bool { return false } // there are no modules
		case "aclcat":
			bit, _ := acl.CategoryBit(arg)
			match = func(cmd *command) bool { return cmd.categories&bit != 0 }
		case "pattern":
			match = func(cmd *command) bool { return glob.MatchFold(arg, cmd.name) }
		default:
			c.w.Error(errSyntax)
			return
		}
		i += 2
	}
	var names []string
	for _, cmd := range c.s.topCommands() {
		for _, x := range append([]*command{cmd}, sortedSubs(cmd)...) {
			if match == nil || match(x) {
				names = append(names, x.name)
			}
		}
	}
	c.w.Strings(names)
}

func sortedSubs(cmd *command) []*command {
	out := make([]*command, 0, len(cmd.subs))
	for _, n := range sortedKeys(cmd.subs) {
		out = append(out, cmd.subs[n])
	}
	return out
}

func commandInfo(c *conn, args [][]byte) {
	if len(args) == 2 {
		cmdCommandAll(c, args)
		return
	}
	c.w.Array(len(args) - 2)
	for _, name := range args[2:] {
		if cmd := c.s.lookupName(name); cmd != nil {
			cmd.info.write(&c.w)
		} else {
			c.w.Null()
		}
	}
}

func commandDocs(c *conn, args [][]byte) {
	var cmds []*command
	if len(args) == 2 {
		cmds = c.s.topCommands()
	} else {
		for _, name := range args[2:] {
			if cmd := c.s.lookupName(name); cmd != nil {
				cmds = append(cmds, cmd)
			}
		}
	}
	c.w.Map(len(cmds))
	for _, cmd := range cmds {
		c.w.BulkString(cmd.name)
		cmd.docs.write(&c.w)
	}
}

// commandGetKeys answers COMMAND GETKEYS and GETKEYSANDFLAGS: no command of a sentinel
// takes keys.
func commandGetKeys(c *conn, args [][]byte) {
	if c.s.lookupArgs(args[2:]) == nil {
		c.w.Error("ERR Invalid command specified")
		return
	}
	c.w.Error("ERR The command has no key arguments")
}

var commandHelp = []string{
	"COMMAND <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
	"(no subcommand)",
	"    Return details about all Redis commands.",
	"COUNT",
	"    Return the total number of commands in this Redis server.",
	"LIST",
	"    Return a list of all commands in this Redis server.",
	"INFO [<command-name> ...]",
	"    Return details about multiple Redis commands.",
	"    If no command names are given, documentation details for all",
	"    commands are returned.",
	"DOCS [<command-name> ...]",
	"    Return documentation details about multiple Redis commands.",
	"    If no command names are given, documentation details for all",
	"    commands are returned.",
	"GETKEYS <full-command>",
	"    Return the keys from a full Redis command.",
	"GETKEYSANDFLAGS <full-command>",
	"    Return the keys and the access flags from a full Redis command.",
	"HELP",
	"    Prints this help.",
}
