package endpoint

import (
	_ "embed"
	"fmt"
	"sort"
	"strings"

	"github.com/sentinel-go/sentinel/internal/acl"
)

// The command metadata of redis-sentinel 7.0.15, as its COMMAND INFO and COMMAND DOCS send
// it in RESP3, sorted by name; TestGenerateCommandData writes these files from the real
// binary. Arity, flags and ACL categories are read from them, so the table that checks a
// request and the table COMMAND reports cannot drift apart.
var (
	//go:embed commands_info.resp3
	commandsInfo string
	//go:embed commands_docs.resp3
	commandsDocs string
)

// handler runs a command that passed every connection-level check.
type handler func(c *conn, args [][]byte)

// command is one entry of the table: a top-level command or a container's subcommand.
type command struct {
	name       string // full name: "ping", "client|id"
	id         int    // index into table.all, the bit ACL rules set
	arity      int    // Redis's arity: n exactly n arguments, -n at least n
	flags      map[string]bool
	categories uint64 // bits over acl.Categories
	parent     *command
	subs       map[string]*command // by lowercase subcommand name; nil unless a container
	info, docs value

	// Resolved once at start (init), so running a request looks nothing up by name.
	run      handler // nil for SENTINEL's subcommands, which the Sentinel runs
	noAuth   bool    // flags["no_auth"]
	sentinel bool    // a subcommand of SENTINEL
	client   bool    // a subcommand of CLIENT
}

// writeBlocked reports whether CLIENT PAUSE WRITE holds the command back. Redis pauses
// commands that write or may replicate; on redis-sentinel 7.0.15 that is PUBLISH alone
// (observed), although its COMMAND INFO flags do not say may_replicate.
func (cmd *command) writeBlocked() bool {
	return cmd.name == "publish" || cmd.flags["write"] || cmd.flags["may_replicate"]
}

// table is the parsed command table; it is read-only once built.
type commandTable struct {
	top map[string]*command // by lowercase name, before any rename-command
	all []*command          // every command and subcommand, in id order
	acl []acl.Command       // the same, as the ACL engine sees them
}

var table = mustBuildTable()

// init resolves each command's handler and the flags a request checks; it runs after the
// package's variables, handlers among them, are set.
func init() {
	for _, cmd := range table.all {
		cmd.run = handlers[cmd.name]
		cmd.noAuth = cmd.flags["no_auth"]
		cmd.sentinel = cmd.parent != nil && cmd.parent.name == "sentinel"
		cmd.client = cmd.parent != nil && cmd.parent.name == "client"
	}
}

func mustBuildTable() *commandTable {
	t, err := buildTable(commandsInfo, commandsDocs)
	if err != nil {
		panic(err)
	}
	return t
}

func buildTable(infoText, docsText string) (*commandTable, error) {
	info, rest, err := parseValue(infoText)
	if err != nil || rest != "" {
		return nil, fmt.Errorf("server: commands_info.resp3: %v", err)
	}
	docs, rest, err := parseValue(docsText)
	if err != nil || rest != "" {
		return nil, fmt.Errorf("server: commands_docs.resp3: %v", err)
	}
	t := &commandTable{top: map[string]*command{}}
	var add func(e value, parent *command, docs value) error
	add = func(e value, parent *command, docs value) error {
		if len(e.elems) != 10 {
			return fmt.Errorf("server: malformed COMMAND INFO entry")
		}
		cmd := &command{name: e.elems[0].str, id: len(t.all), arity: int(e.elems[1].num),
			flags: map[string]bool{}, parent: parent, info: e}
		for _, f := range e.elems[2].strs() {
			cmd.flags[f] = true
		}
		for _, c := range e.elems[6].strs() {
			bit, ok := acl.CategoryBit(strings.TrimPrefix(c, "@"))
			if !ok {
				return fmt.Errorf("server: %s: unknown category %s", cmd.name, c)
			}
			cmd.categories |= bit
		}
		cmd.docs, _ = docs.get(cmd.name)
		t.all = append(t.all, cmd)
		if parent == nil {
			t.top[cmd.name] = cmd
		} else {
			parent.subs[strings.TrimPrefix(cmd.name, parent.name+"|")] = cmd
		}
		if subs := e.elems[9].elems; len(subs) > 0 {
			cmd.subs = map[string]*command{}
			subDocs, _ := cmd.docs.get("subcommands")
			for _, s := range subs {
				if err := add(s, cmd, subDocs); err != nil {
					return err
				}
			}
		}
		return nil
	}
	for _, e := range info.elems {
		if err := add(e, nil, docs); err != nil {
			return nil, err
		}
	}
	for _, cmd := range t.all {
		a := acl.Command{ID: cmd.id, Name: cmd.name, Categories: cmd.categories, Parent: -1}
		if cmd.parent != nil {
			a.Parent = cmd.parent.id
			t.acl[a.Parent].Subs = append(t.acl[a.Parent].Subs, cmd.id)
		}
		t.acl = append(t.acl, a)
	}
	// Our one extension of 7.0's arities: SENTINEL FAILOVER <master> [COORDINATED]. COMMAND
	// INFO keeps showing 7.0's entry, which clients read as "at least" anyway.
	if s := t.top["sentinel"]; s != nil && s.subs["failover"] != nil {
		s.subs["failover"].arity = -3
	}
	return t, nil
}

// sortedKeys returns a map's keys, sorted.
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
