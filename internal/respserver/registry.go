package respserver

import (
	"sort"

	"github.com/sentinel-go/sentinel/internal/glob"
	"github.com/sentinel-go/sentinel/internal/pubsub"
	"github.com/sentinel-go/sentinel/internal/resp"
)

// Subscriber is an embedder's client as the Pub/Sub registry knows it.
type Subscriber interface {
	comparable
	ID() int64
}

// Registry is who listens to what: channels and patterns, both ways. It has no lock: the
// embedder guards it with the lock it holds while publishing, so a subscription and its
// confirmation are queued in one hold of that lock and no message can overtake the
// confirmation of the subscription it arrived by.
type Registry[C Subscriber] struct {
	channels map[string]map[C]struct{}
	patterns map[string]map[C]struct{}
	clients  map[C]*subscriptions
}

type subscriptions struct{ channels, patterns map[string]struct{} }

// NewRegistry returns an empty Registry.
func NewRegistry[C Subscriber]() *Registry[C] {
	return &Registry[C]{channels: map[string]map[C]struct{}{}, patterns: map[string]map[C]struct{}{},
		clients: map[C]*subscriptions{}}
}

func (r *Registry[C]) index(pattern bool) map[string]map[C]struct{} {
	if pattern {
		return r.patterns
	}
	return r.channels
}

func (r *Registry[C]) mine(c C, pattern bool) map[string]struct{} {
	s := r.clients[c]
	if s == nil {
		return nil
	}
	if pattern {
		return s.patterns
	}
	return s.channels
}

// Subscribe adds c to a channel or pattern, and reports whether it was new.
func (r *Registry[C]) Subscribe(c C, pattern bool, name string) bool {
	s := r.clients[c]
	if s == nil {
		s = &subscriptions{channels: map[string]struct{}{}, patterns: map[string]struct{}{}}
		r.clients[c] = s
	}
	mine := s.channels
	if pattern {
		mine = s.patterns
	}
	if _, ok := mine[name]; ok {
		return false
	}
	mine[name] = struct{}{}
	idx := r.index(pattern)
	if idx[name] == nil {
		idx[name] = map[C]struct{}{}
	}
	idx[name][c] = struct{}{}
	return true
}

// Unsubscribe removes c from a channel or pattern, and reports whether it was there.
func (r *Registry[C]) Unsubscribe(c C, pattern bool, name string) bool {
	mine := r.mine(c, pattern)
	if _, ok := mine[name]; !ok {
		return false
	}
	delete(mine, name)
	idx := r.index(pattern)
	if set := idx[name]; set != nil {
		delete(set, c)
		if len(set) == 0 {
			delete(idx, name)
		}
	}
	if s := r.clients[c]; len(s.channels)+len(s.patterns) == 0 {
		delete(r.clients, c)
	}
	return true
}

// UnsubscribeAll forgets every subscription of c.
func (r *Registry[C]) UnsubscribeAll(c C) {
	for _, pattern := range []bool{false, true} {
		for _, name := range r.Names(c, pattern) {
			r.Unsubscribe(c, pattern, name)
		}
	}
}

// Count is c's number of channels and patterns, as Redis's subscription count.
func (r *Registry[C]) Count(c C) int {
	s := r.clients[c]
	if s == nil {
		return 0
	}
	return len(s.channels) + len(s.patterns)
}

// NumOf is how many channels (or patterns) c listens to: CLIENT LIST's sub= and psub=.
func (r *Registry[C]) NumOf(c C, pattern bool) int { return len(r.mine(c, pattern)) }

// Names are c's channels (or patterns), sorted.
func (r *Registry[C]) Names(c C, pattern bool) []string { return sortedSet(r.mine(c, pattern)) }

// Has reports whether c listens to this channel (or pattern).
func (r *Registry[C]) Has(c C, pattern bool, name string) bool {
	_, ok := r.mine(c, pattern)[name]
	return ok
}

// Channels are the channels with subscribers matching pat ("" for all), sorted:
// PUBSUB CHANNELS.
func (r *Registry[C]) Channels(pat string) []string {
	out := make([]string, 0, len(r.channels))
	for ch := range r.channels {
		if pat == "" || glob.Match(pat, ch) {
			out = append(out, ch)
		}
	}
	sort.Strings(out)
	return out
}

// NumSub is the number of subscribers of a channel: PUBSUB NUMSUB.
func (r *Registry[C]) NumSub(channel string) int { return len(r.channels[channel]) }

// NumPat is the number of patterns with subscribers: PUBSUB NUMPAT.
func (r *Registry[C]) NumPat() int { return len(r.patterns) }

// Deliver calls send for every subscriber a message to channel reaches, in Redis's order:
// the channel's subscribers, then each matching pattern's (pattern is "" for the former),
// each group by client id, patterns sorted. It returns how many deliveries there were, the
// count PUBLISH replies.
func (r *Registry[C]) Deliver(channel string, send func(c C, pattern string)) int {
	n := 0
	for _, c := range sortedClients(r.channels[channel]) {
		send(c, "")
		n++
	}
	for _, p := range sortedKeys(r.patterns) {
		if !glob.Match(p, channel) {
			continue
		}
		for _, c := range sortedClients(r.patterns[p]) {
			send(c, p)
			n++
		}
	}
	return n
}

// SubscribeCommand runs SUBSCRIBE or PSUBSCRIBE for c, writing one confirmation per name.
func (r *Registry[C]) SubscribeCommand(w *resp.Writer, c C, pattern bool, names [][]byte) {
	kind := "subscribe"
	if pattern {
		kind = "psubscribe"
	}
	for _, a := range names {
		r.Subscribe(c, pattern, string(a))
		pubsub.Confirm(w, kind, string(a), r.Count(c))
	}
}

// UnsubscribeCommand runs UNSUBSCRIBE or PUNSUBSCRIBE for c. Without names it leaves
// every channel (or pattern) c has, in sorted order where Redis takes its hash table's.
func (r *Registry[C]) UnsubscribeCommand(w *resp.Writer, c C, pattern bool, names [][]byte) {
	kind := "unsubscribe"
	if pattern {
		kind = "punsubscribe"
	}
	list := make([]string, 0, len(names))
	for _, a := range names {
		list = append(list, string(a))
	}
	if len(list) == 0 {
		if list = r.Names(c, pattern); len(list) == 0 {
			pubsub.ConfirmNone(w, kind, r.Count(c))
			return
		}
	}
	for _, n := range list {
		r.Unsubscribe(c, pattern, n)
		pubsub.Confirm(w, kind, n, r.Count(c))
	}
}

func sortedClients[C Subscriber](set map[C]struct{}) []C {
	out := make([]C, 0, len(set))
	for c := range set {
		out = append(out, c)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID() < out[j].ID() })
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func sortedSet(m map[string]struct{}) []string { return sortedKeys(m) }
