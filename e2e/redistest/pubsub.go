package redistest

import (
	"strings"

	"github.com/sentinel-go/sentinel/internal/pubsub"
	"github.com/sentinel-go/sentinel/internal/respserver"
)

// publish delivers msg to the subscribers of channel and of matching patterns, and returns
// how many received it. The caller holds Server.mu.
func (s *Server) publish(channel string, msg []byte) int64 {
	payload := string(msg)
	return int64(s.pubsub.Deliver(channel, func(c *client, pattern string) {
		if pattern == "" {
			pubsub.Message(&c.w, channel, payload)
		} else {
			pubsub.PMessage(&c.w, pattern, channel, payload)
		}
		c.flush()
	}))
}

func init() {
	register(
		&command{name: "subscribe", arity: -2, flags: fNoTx | fPubsub | fLoading | fStale, run: cmdSubscribe},
		&command{name: "psubscribe", arity: -2, flags: fNoTx | fPubsub | fLoading | fStale, run: cmdSubscribe},
		&command{name: "unsubscribe", arity: -1, flags: fPubsub | fLoading | fStale, run: cmdUnsubscribe},
		&command{name: "punsubscribe", arity: -1, flags: fPubsub | fLoading | fStale, run: cmdUnsubscribe},
		&command{name: "publish", arity: 3, flags: fPubsub | fLoading | fStale, run: cmdPublish},
		&command{name: "pubsub", arity: -2, flags: fPubsub | fLoading | fStale, run: cmdPubsub},
	)
}

func (c *client) subCount() int64 { return int64(c.s.pubsub.Count(c)) }

func cmdSubscribe(s *Server, c *client, args [][]byte) {
	s.pubsub.SubscribeCommand(&c.w, c, strings.EqualFold(string(args[0]), "psubscribe"), args[1:])
}

func cmdUnsubscribe(s *Server, c *client, args [][]byte) {
	s.pubsub.UnsubscribeCommand(&c.w, c, strings.EqualFold(string(args[0]), "punsubscribe"), args[1:])
}

func cmdPublish(s *Server, c *client, args [][]byte) {
	c.w.Int(s.publish(string(args[1]), args[2]))
	// Redis replicates PUBLISH, so subscribers of a replica hear what is published on its
	// master: that is how sentinels connected only to replicas receive hello messages.
	s.propagate(c.db, args)
}

func cmdPubsub(s *Server, c *client, args [][]byte) {
	switch strings.ToUpper(string(args[1])) {
	case "CHANNELS":
		pat := ""
		if len(args) > 2 {
			pat = string(args[2])
		}
		c.w.Strings(s.pubsub.Channels(pat))
	case "NUMSUB":
		c.w.Array(2 * (len(args) - 2)) // a flat array even in RESP3, as in Redis 7.0
		for _, a := range args[2:] {
			c.w.Bulk(a)
			c.w.Int(int64(s.pubsub.NumSub(string(a))))
		}
	case "NUMPAT":
		c.w.Int(int64(s.pubsub.NumPat()))
	default:
		c.w.Error(respserver.UnknownSubcommand("pubsub", args[1]))
	}
}
