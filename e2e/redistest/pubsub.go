package redistest

import (
	"sort"
	"strings"

	"github.com/sentinel-go/sentinel/pubsub"
)

// registry is who on this instance listens to which channels and patterns. Guarded by
// Server.mu.
type registry struct {
	channels map[string]map[*client]struct{}
	patterns map[string]map[*client]struct{}
}

func newRegistry() registry {
	return registry{channels: map[string]map[*client]struct{}{}, patterns: map[string]map[*client]struct{}{}}
}

func (p *registry) unsubscribeAll(c *client) {
	for ch := range c.subs {
		p.remove(p.channels, ch, c)
	}
	for pat := range c.psubs {
		p.remove(p.patterns, pat, c)
	}
	c.subs, c.psubs = nil, nil
}

func (p *registry) remove(m map[string]map[*client]struct{}, name string, c *client) {
	if set := m[name]; set != nil {
		delete(set, c)
		if len(set) == 0 {
			delete(m, name)
		}
	}
}

// publish delivers msg to the subscribers of channel and of matching patterns, and returns
// how many received it. The caller holds Server.mu.
func (p *registry) publish(channel string, msg []byte) int64 {
	payload := string(msg)
	var n int64
	for _, c := range sortedClients(p.channels[channel]) {
		pubsub.Message(&c.w, channel, payload)
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
			pubsub.PMessage(&c.w, pat, channel, payload)
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
		pubsub.Confirm(&c.w, kind, name, int(c.subCount()))
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
			pubsub.ConfirmNone(&c.w, kind, int(c.subCount()))
			return
		}
	}
	for _, n := range names {
		if _, ok := mine[n]; ok {
			delete(mine, n)
			s.pubsub.remove(reg, n, c)
		}
		pubsub.Confirm(&c.w, kind, n, int(c.subCount()))
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
