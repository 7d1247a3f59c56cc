package endpoint

import (
	"strings"

	"github.com/sentinel-go/sentinel/internal/pubsub"
	"github.com/sentinel-go/sentinel/internal/resp"
)

// subCount is the subscription count Redis reports. The caller holds Server.mu.
func (c *conn) subCount() int { return c.s.pubsub.Count(c) }

// Publish delivers an event to the clients subscribed to channel or to a pattern matching
// it, and returns how many received it. It never waits for a client: each message is
// queued for the client's writer, and a client whose queue outgrows the pubsub output
// buffer limits is disconnected.
func (s *Server) Publish(channel, message string) int {
	// Encoded lazily, once per protocol and pattern.
	type key struct {
		proto   int
		pattern string
	}
	enc := map[key][]byte{}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.pubsub.Deliver(channel, func(c *conn, pattern string) {
		if c.replyOff {
			return
		}
		k := key{c.proto, pattern}
		if enc[k] == nil {
			w := resp.Writer{Proto: c.proto}
			if pattern == "" {
				pubsub.Message(&w, channel, message)
			} else {
				pubsub.PMessage(&w, pattern, channel, message)
			}
			enc[k] = w.Bytes()
		}
		c.push(enc[k])
	})
}

// cmdSubscribe registers the subscriptions and queues their confirmations under one
// hold of Server.mu, so a message published to a new channel can never reach the client
// before the confirmation of its subscription.
func cmdSubscribe(c *conn, args [][]byte) {
	s := c.s
	s.mu.Lock()
	defer s.mu.Unlock()
	s.pubsub.SubscribeCommand(&c.w, c, strings.EqualFold(string(args[0]), "psubscribe"), args[1:])
	c.queueRepliesLocked()
}

func cmdUnsubscribe(c *conn, args [][]byte) {
	s := c.s
	s.mu.Lock()
	defer s.mu.Unlock()
	s.pubsub.UnsubscribeCommand(&c.w, c, strings.EqualFold(string(args[0]), "punsubscribe"), args[1:])
}

// queueRepliesLocked moves the replies written so far to the output queue. The caller
// holds Server.mu, which Publish holds too, so the queue order is the order of events.
func (c *conn) queueRepliesLocked() {
	if c.w.Len() == 0 {
		return
	}
	if c.replyOff || c.skipThis {
		// CLIENT REPLY drops this request's replies; earlier ones in the batch stay.
		c.truncate(c.mark)
	}
	c.queueReplies()
}
