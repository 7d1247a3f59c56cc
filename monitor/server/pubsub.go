package server

import (
	"sort"
	"strings"

	"github.com/sentinel-go/sentinel/glob"
	"github.com/sentinel-go/sentinel/pubsub"
	"github.com/sentinel-go/sentinel/resp"
)

// registry is who listens to what. Guarded by Server.mu.
type registry struct {
	channels map[string]map[*conn]struct{}
	patterns map[string]map[*conn]struct{}
}

func newRegistry() registry {
	return registry{channels: map[string]map[*conn]struct{}{}, patterns: map[string]map[*conn]struct{}{}}
}

func (r *registry) add(m map[string]map[*conn]struct{}, name string, c *conn) {
	if m[name] == nil {
		m[name] = map[*conn]struct{}{}
	}
	m[name][c] = struct{}{}
}

func (r *registry) remove(m map[string]map[*conn]struct{}, name string, c *conn) {
	if set := m[name]; set != nil {
		delete(set, c)
		if len(set) == 0 {
			delete(m, name)
		}
	}
}

func (r *registry) unsubscribeAll(c *conn) {
	for ch := range c.subs {
		r.remove(r.channels, ch, c)
	}
	for p := range c.psubs {
		r.remove(r.patterns, p, c)
	}
	c.subs, c.psubs = nil, nil
}

// subCount is the subscription count Redis reports. The caller holds Server.mu.
func (c *conn) subCount() int { return len(c.subs) + len(c.psubs) }

// Publish delivers an event to the clients subscribed to channel or to a pattern matching
// it, and returns how many received it. It never waits for a client: each message is
// queued for the client's writer, and a client whose queue outgrows the pubsub output
// buffer limits is disconnected.
func (s *Server) Publish(channel, message string) int {
	var enc [4][]byte // by protocol, then pattern: encoded lazily, once
	encode := func(proto int, pattern string) []byte {
		w := resp.Writer{Proto: proto}
		if pattern == "" {
			pubsub.Message(&w, channel, message)
		} else {
			pubsub.PMessage(&w, pattern, channel, message)
		}
		return w.Bytes()
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, c := range sortedConns(s.pubsub.channels[channel]) {
		i := c.proto - 2
		if enc[i] == nil {
			enc[i] = encode(c.proto, "")
		}
		if !c.replyOff {
			c.push(enc[i])
		}
		n++
	}
	for _, p := range sortedKeys(s.pubsub.patterns) {
		if !glob.Match(p, channel) {
			continue
		}
		var byProto [2][]byte
		for _, c := range sortedConns(s.pubsub.patterns[p]) {
			i := c.proto - 2
			if byProto[i] == nil {
				byProto[i] = encode(c.proto, p)
			}
			if !c.replyOff {
				c.push(byProto[i])
			}
			n++
		}
	}
	return n
}

func sortedConns(set map[*conn]struct{}) []*conn {
	out := make([]*conn, 0, len(set))
	for c := range set {
		out = append(out, c)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].id < out[j].id })
	return out
}

// cmdSubscribe registers the subscriptions and queues their confirmations under one
// hold of Server.mu, so a message published to a new channel can never reach the client
// before the confirmation of its subscription.
func cmdSubscribe(c *conn, args [][]byte) {
	s := c.s
	pattern := strings.EqualFold(string(args[0]), "psubscribe")
	kind, reg := "subscribe", s.pubsub.channels
	if pattern {
		kind, reg = "psubscribe", s.pubsub.patterns
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	mine := &c.subs
	if pattern {
		mine = &c.psubs
	}
	for _, a := range args[1:] {
		name := string(a)
		if *mine == nil {
			*mine = map[string]struct{}{}
		}
		if _, ok := (*mine)[name]; !ok {
			(*mine)[name] = struct{}{}
			s.pubsub.add(reg, name, c)
		}
		pubsub.Confirm(&c.w, kind, name, c.subCount())
	}
	c.queueRepliesLocked()
}

func cmdUnsubscribe(c *conn, args [][]byte) {
	s := c.s
	pattern := strings.EqualFold(string(args[0]), "punsubscribe")
	kind, reg := "unsubscribe", s.pubsub.channels
	s.mu.Lock()
	defer s.mu.Unlock()
	mine := c.subs
	if pattern {
		kind, reg, mine = "punsubscribe", s.pubsub.patterns, c.psubs
	}
	names := make([]string, 0, len(args)-1)
	for _, a := range args[1:] {
		names = append(names, string(a))
	}
	if len(names) == 0 {
		names = sortedKeys(mine)
		if len(names) == 0 {
			pubsub.ConfirmNone(&c.w, kind, c.subCount())
			return
		}
	}
	for _, n := range names {
		if _, ok := mine[n]; ok {
			delete(mine, n)
			s.pubsub.remove(reg, n, c)
		}
		pubsub.Confirm(&c.w, kind, n, c.subCount())
	}
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
	c.outMu.Lock()
	if !c.closed {
		c.out = append(c.out, c.w.Bytes()...)
	}
	c.outMu.Unlock()
	c.w.Reset()
}
