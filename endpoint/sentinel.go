package endpoint

import (
	"github.com/sentinel-go/sentinel/internal/resp"
)

// Sentinel is what the endpoint asks of the sentinel behind it. The endpoint owns
// connections, authentication, Pub/Sub and the generic commands; everything that needs the
// sentinel's state goes through this interface.
type Sentinel interface {
	// Command runs SENTINEL args[0] args[1:]... and appends its reply to w (which carries
	// the connection's protocol version), or, for a subcommand that changes state and so
	// waits for the sentinel's loop, hands it over and returns a function that waits for
	// the reply and appends it. args has at least one element. Read-only subcommands
	// answer from a snapshot at once and never wait for monitoring work. Subcommands run
	// in the order Command is called, whenever their replies are awaited.
	Command(w *resp.Writer, args [][]byte) (wait func(w *resp.Writer))
	// Waits reports whether Command would hand SENTINEL args... over to the loop.
	Waits(args [][]byte) bool
	// Hello hands over the payload of a PUBLISH __sentinel__:hello from a peer.
	Hello(payload []byte)
	// AppendInfo appends the "# Sentinel" INFO section, header included, lines ending in CRLF.
	AppendInfo(b []byte) []byte
	// MasterNames lists the monitored masters, for ROLE.
	MasterNames() []string
}
