package redistest

import (
	"sort"
	"strings"
)

// pubsub is the instance's channel and pattern registry. Guarded by Server.mu.
type pubsub struct {
	channels map[string]map[*client]struct{}
	patterns map[string]map[*client]struct{}
}

func newPubsub() pubsub {
	return pubsub{channels: map[string]map[*client]struct{}{}, patterns: map[string]map[*client]struct{}{}}
}

func (p *pubsub) unsubscribeAll(c *client) {
	for ch := range c.subs {
		p.remove(p.channels, ch, c)
	}
	for pat := range c.psubs {
		p.remove(p.patterns, pat, c)
	}
	c.subs, c.psubs = nil, nil
}

func (p *pubsub) remove(m map[string]map[*client]struct{}, name string, c *client) {
	if set := m[name]; set != nil {
		delete(set, c)
		if len(set) == 0 {
			delete(m, name)
		}
	}
}

// publish delivers msg to the subscribers of channel and of matching patterns, and returns
// how many received it. The caller holds Server.mu.
func (p *pubsub) publish(channel string, msg []byte) int64 {
	var n int64
	for _, c := range sortedClients(p.channels[channel]) {
		c.w.Push(3)
		c.w.BulkString("message")
		c.w.BulkString(channel)
		c.w.Bulk(msg)
		c.flush()
		n++
	}
	pats := make([]string, 0, len(p.patterns))
	for pat := range p.patterns {
		pats = append(pats, pat)
	}
	sort.Strings(pats)
	for _, pat := range pats {
		if !globMatch(pat, channel) {
			continue
		}
		for _, c := range sortedClients(p.patterns[pat]) {
			c.w.Push(4)
			c.w.BulkString("pmessage")
			c.w.BulkString(pat)
			c.w.BulkString(channel)
			c.w.Bulk(msg)
			c.flush()
			n++
		}
	}
	return n
}

func sortedClients(set map[*client]struct{}) []*client {
	out := make([]*client, 0, len(set))
	for c := range set {
		out = append(out, c)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].id < out[j].id })
	return out
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

func (c *client) subCount() int64 { return int64(len(c.subs) + len(c.psubs)) }

func cmdSubscribe(s *Server, c *client, args [][]byte) {
	pattern := strings.EqualFold(string(args[0]), "psubscribe")
	kind, reg := "subscribe", s.pubsub.channels
	if pattern {
		kind, reg = "psubscribe", s.pubsub.patterns
	}
	for _, a := range args[1:] {
		name := string(a)
		mine := &c.subs
		if pattern {
			mine = &c.psubs
		}
		if *mine == nil {
			*mine = map[string]struct{}{}
		}
		if _, ok := (*mine)[name]; !ok {
			(*mine)[name] = struct{}{}
			if reg[name] == nil {
				reg[name] = map[*client]struct{}{}
			}
			reg[name][c] = struct{}{}
		}
		c.w.Push(3)
		c.w.BulkString(kind)
		c.w.BulkString(name)
		c.w.Int(c.subCount())
	}
}

func cmdUnsubscribe(s *Server, c *client, args [][]byte) {
	pattern := strings.EqualFold(string(args[0]), "punsubscribe")
	kind, reg, mine := "unsubscribe", s.pubsub.channels, c.subs
	if pattern {
		kind, reg, mine = "punsubscribe", s.pubsub.patterns, c.psubs
	}
	names := make([]string, 0, len(args)-1)
	for _, a := range args[1:] {
		names = append(names, string(a))
	}
	if len(names) == 0 {
		for n := range mine {
			names = append(names, n)
		}
		sort.Strings(names)
		if len(names) == 0 {
			c.w.Push(3)
			c.w.BulkString(kind)
			c.w.Null()
			c.w.Int(c.subCount())
			return
		}
	}
	for _, n := range names {
		if _, ok := mine[n]; ok {
			delete(mine, n)
			s.pubsub.remove(reg, n, c)
		}
		c.w.Push(3)
		c.w.BulkString(kind)
		c.w.BulkString(n)
		c.w.Int(c.subCount())
	}
}

func cmdPublish(s *Server, c *client, args [][]byte) {
	c.w.Int(s.pubsub.publish(string(args[1]), args[2]))
	// Redis replicates PUBLISH, so subscribers of a replica hear what is published on its
	// master: that is how sentinels connected only to replicas receive hello messages.
	s.propagate(c.db, args)
}

func cmdPubsub(s *Server, c *client, args [][]byte) {
	switch strings.ToUpper(string(args[1])) {
	case "CHANNELS":
		pat := "*"
		if len(args) > 2 {
			pat = string(args[2])
		}
		var out []string
		for ch := range s.pubsub.channels {
			if globMatch(pat, ch) {
				out = append(out, ch)
			}
		}
		sort.Strings(out)
		c.w.Strings(out)
	case "NUMSUB":
		c.w.Array(2 * (len(args) - 2)) // a flat array even in RESP3, as in Redis 7.0
		for _, a := range args[2:] {
			c.w.Bulk(a)
			c.w.Int(int64(len(s.pubsub.channels[string(a)])))
		}
	case "NUMPAT":
		c.w.Int(int64(len(s.pubsub.patterns)))
	default:
		c.w.Error(unknownSubcommandError("pubsub", args[1]))
	}
}
