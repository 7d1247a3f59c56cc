package monitor

import (
	"strconv"
	"strings"
)

// ValueKind is the RESP type of a Value.
type ValueKind uint8

const (
	NullValue      ValueKind = iota // a null bulk string ($-1, or _ in RESP3)
	NullArrayValue                  // a null array (*-1, or _ in RESP3)
	SimpleValue                     // +OK
	ErrorValue                      // -ERR ...
	IntValue                        // :1
	BulkValue                       // $3 abc
	ArrayValue                      // *n
	MapValue                        // %n in RESP3, a flat array of keys and values in RESP2
)

// Value is a reply as a value: the core answers requests with Values and the endpoint
// writes them in the client's protocol (RESP2 or RESP3), so the core writes no bytes.
type Value struct {
	Kind ValueKind
	Str  string  // SimpleValue, ErrorValue, BulkValue
	Int  int64   // IntValue
	Elem []Value // ArrayValue; MapValue holds keys and values alternately
}

func simple(s string) Value      { return Value{Kind: SimpleValue, Str: s} }
func errorReply(s string) Value  { return Value{Kind: ErrorValue, Str: s} }
func integer(n int64) Value      { return Value{Kind: IntValue, Int: n} }
func bulk(s string) Value        { return Value{Kind: BulkValue, Str: s} }
func array(elem ...Value) Value  { return Value{Kind: ArrayValue, Elem: elem} }
func mapOf(kv ...Value) Value    { return Value{Kind: MapValue, Elem: kv} }
func bulks(ss ...string) []Value { return appendBulks(make([]Value, 0, len(ss)), ss...) }

func appendBulks(vs []Value, ss ...string) []Value {
	for _, s := range ss {
		vs = append(vs, bulk(s))
	}
	return vs
}

// IsError reports whether v is an error reply.
func (v Value) IsError() bool { return v.Kind == ErrorValue }

// String prints v on one line the way redis-cli would show it, for tests and traces:
// OK, (error) ERR ..., (integer) 1, "bulk", (nil), and [a b] for arrays and maps.
func (v Value) String() string {
	var b strings.Builder
	v.format(&b)
	return b.String()
}

func (v Value) format(b *strings.Builder) {
	switch v.Kind {
	case NullValue, NullArrayValue:
		b.WriteString("(nil)")
	case SimpleValue:
		b.WriteString(v.Str)
	case ErrorValue:
		b.WriteString("(error) ")
		b.WriteString(v.Str)
	case IntValue:
		b.WriteString("(integer) ")
		b.WriteString(strconv.FormatInt(v.Int, 10))
	case BulkValue:
		b.WriteString(strconv.Quote(v.Str))
	case ArrayValue, MapValue:
		b.WriteByte('[')
		for i, e := range v.Elem {
			if i > 0 {
				b.WriteByte(' ')
			}
			e.format(b)
		}
		b.WriteByte(']')
	}
}
