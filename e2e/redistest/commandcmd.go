package redistest

import (
	"strings"

	"github.com/sentinel-go/sentinel/internal/respserver"
)

func init() {
	register(&command{name: "command", arity: -1, flags: fLoading | fStale, run: cmdCommand})
}

// cmdCommand answers enough of COMMAND for client libraries: the command list with arity,
// flags and key positions (what go-redis and redis-py read), COUNT, INFO, LIST and DOCS.
func cmdCommand(s *Server, c *client, args [][]byte) {
	if len(args) == 1 {
		names := commands.Names()
		c.w.Array(len(names))
		for _, n := range names {
			writeCommandInfo(c, commands.Get(n).Def)
		}
		return
	}
	switch strings.ToUpper(string(args[1])) {
	case "COUNT":
		c.w.Int(int64(commands.Len()))
	case "LIST":
		c.w.Strings(commands.Names())
	case "INFO":
		names := args[2:]
		if len(names) == 0 {
			all := commands.Names()
			for _, n := range all {
				names = append(names, []byte(n))
			}
		}
		c.w.Array(len(names))
		for _, n := range names {
			if def := lookup(n); def != nil {
				writeCommandInfo(c, def)
			} else {
				c.w.NullArray()
			}
		}
	case "DOCS":
		// Docs are optional for clients (redis-cli uses them for hints); none are kept.
		c.w.Map(0)
	default:
		c.w.Error(respserver.UnknownSubcommand("command", args[1]))
	}
}

func writeCommandInfo(c *client, def *command) {
	var fl []string
	if def.flags&fWrite != 0 {
		fl = append(fl, "write")
	} else {
		fl = append(fl, "readonly")
	}
	if def.flags&fLoading != 0 {
		fl = append(fl, "loading")
	}
	if def.flags&fStale != 0 {
		fl = append(fl, "stale")
	}
	if def.flags&fNoAuth != 0 {
		fl = append(fl, "no_auth")
	}
	if def.flags&fPubsub != 0 {
		fl = append(fl, "pubsub")
	}
	c.w.Array(10)
	c.w.BulkString(def.name)
	c.w.Int(int64(def.arity))
	c.w.Set(len(fl))
	for _, f := range fl {
		c.w.Simple(f)
	}
	c.w.Int(int64(def.firstKey))
	c.w.Int(int64(def.lastKey))
	c.w.Int(int64(def.step))
	c.w.Set(0) // ACL categories
	c.w.Set(0) // tips
	c.w.Array(0)
	c.w.Array(0)
}
