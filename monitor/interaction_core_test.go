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
	"github.com/sentinel-go/sentinel/query"
)

// This file is the interaction harness's only contact with the core's step, ready, request
// and persist surface: when that surface changes, only this file follows.

// core is one sentinel's monitor.Core; its Ready holds what the steps since the last
// advance produced.
type core struct{ c *monitor.Core }

func newCore(cfg *config.Config, seed uint64, now time.Time) (*core, error) {
	c, err := monitor.New(cfg, rand.New(rand.NewPCG(seed, 2)), now)
	if err != nil {
		return nil, err
	}
	return &core{c: c}, nil
}

func (k *core) tick(now time.Time) { k.c.Tick(now) }

func (k *core) observe(now time.Time, o monitor.Observation) { k.c.Observe(now, o) }

// hello is a hello PUBLISHed to this sentinel directly.
func (k *core) hello(now time.Time, payload string) { k.c.Hello(now, payload) }

// request runs a SENTINEL subcommand (args without "SENTINEL"); its answer is queued in the
// Ready's Responses under id.
func (k *core) request(now time.Time, id monitor.RequestID, args []string) {
	k.c.Request(now, id, args)
}

// query answers a read-only subcommand from a fresh view, as the endpoint does.
func (k *core) query(now time.Time, args []string) monitor.Value {
	var w resp.Writer
	bargs := make([][]byte, len(args))
	for i, a := range args {
		bargs[i] = []byte(a)
	}
	query.Answer(k.c.View(), now, &w, strings.ToLower(args[0]), bargs)
	v, _, err := parseValue(w.Bytes())
	if err != nil {
		return monitor.Value{Kind: monitor.ErrorValue, Str: "harness: unparsable reply: " + err.Error()}
	}
	return v
}

// ready is what the steps since the last advance produced, State first.
func (k *core) ready() monitor.Ready { return k.c.Ready() }

// advance acknowledges that the pending Ready was carried out.
func (k *core) advance() { k.c.Advance() }

func (k *core) hasReady() bool { return k.c.HasReady() }

// parseValue reads one RESP2 reply into a Value: the query package writes bytes.
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
