package acl

import "strings"

// Categories are Redis 7.0's ACL categories in the order ACL CAT lists them; a command's
// categories are a bit set over this order.
var Categories = []string{
	"keyspace", "read", "write", "set", "sortedset", "list", "hash", "string", "bitmap",
	"hyperloglog", "geo", "stream", "pubsub", "admin", "fast", "slow", "blocking",
	"dangerous", "connection", "transaction", "scripting",
}

// CategoryBit is the bit of the named category (any case).
func CategoryBit(name string) (uint64, bool) {
	for i, c := range Categories {
		if strings.EqualFold(c, name) {
			return 1 << i, true
		}
	}
	return 0, false
}

// Command is what the engine knows of one command or subcommand.
type Command struct {
	ID         int    // index in Commands.All, the bit rules set
	Name       string // full name, lower case: "ping", "client|id"
	Categories uint64 // bits over Categories
	Parent     int    // the container's ID for a subcommand, else -1
	Subs       []int  // a container's subcommands' IDs
}

// Commands is the caller's command table.
type Commands interface {
	// All lists every command and subcommand, indexed by ID. It must not change.
	All() []Command
	// Lookup finds "name" or "container|sub" in any case, before rename-command, as ACL
	// rules name commands.
	Lookup(name string) (Command, bool)
}
