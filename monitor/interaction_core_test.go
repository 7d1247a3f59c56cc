package monitor_test

import (
	"errors"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"

	"github.com/sentinel-go/sentinel/config"
	"github.com/sentinel-go/sentinel/internal/resp"
	"github.com/sentinel-go/sentinel/monitor"
)

// This file is the interaction harness's only contact with the core's step, ready, request
// and persist surface: when that surface changes, only this file follows. With the target
// API (issue 11): New without the Store (drop saves); request calls c.Request(now, id, args)
// and collect (parseValue goes); ready returns c.Ready(), advance calls c.Advance(),
// hasReady c.HasReady(), and collect has nothing left to do; query calls the query
// package's entry point instead of monitor.Query.

// core is one sentinel's monitor.Core with its pending, not yet carried out, Ready.
type core struct {
	c       *monitor.Core
	store   *saves
	pending monitor.Ready
}

// saves is the Store the current core saves through inside its steps; the adapter hands the
// last save out as Ready.State, which is what the core will do itself.
type saves struct{ last *config.Config }

func (s *saves) Save(c *config.Config) error { s.last = c.Clone(); return nil }

func newCore(cfg *config.Config, seed uint64, now time.Time) (*core, error) {
	k := &core{store: &saves{}}
	c, err := monitor.New(cfg, k.store, rand.New(rand.NewPCG(seed, 2)), now)
	if err != nil {
		return nil, err
	}
	k.c = c
	k.collect()
	return k, nil
}

func (k *core) tick(now time.Time) { k.c.Tick(now); k.collect() }

func (k *core) observe(now time.Time, o monitor.Observation) { k.c.Observe(now, o); k.collect() }

// hello is a hello PUBLISHed to this sentinel directly.
func (k *core) hello(now time.Time, payload string) { k.c.Hello(now, payload); k.collect() }

// request runs a SENTINEL subcommand (args without "SENTINEL"); its answer is queued in the
// pending Ready's Responses under id.
func (k *core) request(now time.Time, id monitor.RequestID, args []string) {
	var w resp.Writer
	k.c.Request(now, &w, args)
	k.collect()
	v, _, err := parseValue(w.Bytes())
	if err != nil {
		v = monitor.Value{Kind: monitor.ErrorValue, Str: "harness: unparsable reply: " + err.Error()}
	}
	k.pending.Responses = append(k.pending.Responses, monitor.Response{ID: id, Value: v})
}

// query answers a read-only subcommand from a fresh view, as the endpoint does.
func (k *core) query(now time.Time, args []string) monitor.Value {
	var w resp.Writer
	bargs := make([][]byte, len(args))
	for i, a := range args {
		bargs[i] = []byte(a)
	}
	monitor.Query(k.c.View(), now, &w, strings.ToLower(args[0]), bargs)
	v, _, err := parseValue(w.Bytes())
	if err != nil {
		return monitor.Value{Kind: monitor.ErrorValue, Str: "harness: unparsable reply: " + err.Error()}
	}
	return v
}

// ready is what the steps since the last advance produced, State first.
func (k *core) ready() monitor.Ready { return k.pending }

// advance acknowledges that the pending Ready was carried out.
func (k *core) advance() { k.pending = monitor.Ready{} }

func (k *core) hasReady() bool {
	p := &k.pending
	return p.State != nil || len(p.Links) > 0 || len(p.Sends) > 0 || len(p.Responses) > 0 ||
		len(p.Events) > 0 || len(p.Logs) > 0 || len(p.Scripts) > 0 || len(p.Lookups) > 0 || p.Crash
}

// collect moves what the current core returns into the pending Ready.
func (k *core) collect() {
	rd := k.c.Ready()
	p := &k.pending
	if k.store.last != nil {
		p.State, k.store.last = k.store.last, nil
	}
	p.Links = append(p.Links, rd.Links...)
	p.Sends = append(p.Sends, rd.Sends...)
	p.Events = append(p.Events, rd.Events...)
	p.Logs = append(p.Logs, rd.Logs...)
	p.Scripts = append(p.Scripts, rd.Scripts...)
	p.Lookups = append(p.Lookups, rd.Lookups...)
	p.Crash = p.Crash || rd.Crash
}

// parseValue reads one RESP2 reply into a Value (the current core writes bytes).
func parseValue(b []byte) (monitor.Value, []byte, error) {
	i := strings.Index(string(b), "\r\n")
	if i < 1 {
		return monitor.Value{}, nil, errors.New("short reply")
	}
	body, rest := string(b[1:i]), b[i+2:]
	switch b[0] {
	case '+':
		return monitor.Value{Kind: monitor.SimpleValue, Str: body}, rest, nil
	case '-':
		return monitor.Value{Kind: monitor.ErrorValue, Str: body}, rest, nil
	case ':':
		n, err := strconv.ParseInt(body, 10, 64)
		return monitor.Value{Kind: monitor.IntValue, Int: n}, rest, err
	case '$':
		n, err := strconv.Atoi(body)
		if err != nil || n < 0 {
			return monitor.Value{Kind: monitor.NullValue}, rest, err
		}
		if len(rest) < n+2 {
			return monitor.Value{}, nil, errors.New("short bulk")
		}
		return monitor.Value{Kind: monitor.BulkValue, Str: string(rest[:n])}, rest[n+2:], nil
	case '*':
		n, err := strconv.Atoi(body)
		if err != nil || n < 0 {
			return monitor.Value{Kind: monitor.NullArrayValue}, rest, err
		}
		v := monitor.Value{Kind: monitor.ArrayValue}
		for range n {
			var e monitor.Value
			if e, rest, err = parseValue(rest); err != nil {
				return monitor.Value{}, nil, err
			}
			v.Elem = append(v.Elem, e)
		}
		return v, rest, nil
	}
	return monitor.Value{}, nil, errors.New("unknown reply type " + strconv.QuoteRune(rune(b[0])))
}
