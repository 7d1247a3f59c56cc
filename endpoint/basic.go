package endpoint

import (
	"strings"

	"github.com/sentinel-go/sentinel/internal/pubsub"
)

// helloChannel is the only channel a sentinel accepts PUBLISH on: peers send their hello
// messages to it directly.
const helloChannel = "__sentinel__:hello"

func cmdPing(c *conn, args [][]byte) {
	if len(args) > 2 {
		c.w.Error("ERR wrong number of arguments for 'ping' command")
		return
	}
	pubsub.Pong(&c.w, c.subscribed, args[1:])
}

func cmdRole(c *conn, args [][]byte) {
	names := c.s.sentinel.MasterNames()
	c.w.Array(2)
	c.w.BulkString("sentinel")
	c.w.Strings(names)
}

// cmdPublish takes hello messages from peer sentinels. Nothing is ever delivered to
// local subscribers: a sentinel's Pub/Sub carries only its own events.
func cmdPublish(c *conn, args [][]byte) {
	if string(args[1]) != helloChannel {
		c.w.Error("ERR Only HELLO messages are accepted by Sentinel instances.")
		return
	}
	c.s.sentinel.Hello(args[2])
	c.w.Int(1)
}

// cmdShutdown stops the sentinel as SHUTDOWN stops redis-sentinel: never saving, and
// with no reply, the connection simply closes.
func cmdShutdown(c *conn, args [][]byte) {
	var save, nosave, abort, other bool
	for _, a := range args[1:] {
		switch strings.ToLower(string(a)) {
		case "nosave":
			nosave = true
		case "save":
			save = true
		case "now", "force":
			other = true
		case "abort":
			abort = true
		default:
			c.w.Error(errSyntax)
			return
		}
	}
	if abort && (save || nosave || other) || save && nosave {
		c.w.Error(errSyntax)
		return
	}
	if abort {
		c.w.Error("ERR No shutdown in progress.")
		return
	}
	c.closeAfter = true
	c.closeNow()
	if f := c.s.o.Shutdown; f != nil {
		f()
	}
}

const errSyntax = "ERR syntax error"
