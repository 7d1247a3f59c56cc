package endpoint

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/sentinel-go/sentinel/internal/resp"
)

// value is a parsed RESP reply. The command metadata that COMMAND INFO and COMMAND DOCS
// serve is kept as the RESP3 text redis-sentinel 7.0.15 sends, parsed once at start, and
// written back through resp.Writer, which renders it for the connection's protocol just as
// Redis renders its own table.
type value struct {
	kind  byte // a RESP type byte; '$' and '*' with null set for RESP2's nulls
	null  bool
	str   string
	num   int64
	elems []value // a map's keys and values alternate
}

// write appends v to w.
func (v value) write(w *resp.Writer) {
	switch v.kind {
	case '+':
		w.Simple(v.str)
	case '-':
		w.Error(v.str)
	case '$':
		if v.null {
			w.Null()
			return
		}
		w.BulkString(v.str)
	case '=':
		if len(v.str) >= 4 {
			w.Verbatim(v.str[:3], v.str[4:])
		}
	case ',', '#':
		w.Raw([]byte(string(v.kind) + v.str + "\r\n"))
	case ':':
		w.Int(v.num)
	case '_':
		w.Null()
	case '*', '%', '~', '>':
		switch v.kind {
		case '*':
			if v.null {
				w.NullArray()
				return
			}
			w.Array(len(v.elems))
		case '>':
			w.Push(len(v.elems))
		case '%':
			w.Map(len(v.elems) / 2)
		default:
			w.Set(len(v.elems))
		}
		for _, e := range v.elems {
			e.write(w)
		}
	}
}

// get returns the value of a map's key, and whether it is there.
func (v value) get(key string) (value, bool) {
	for i := 0; i+1 < len(v.elems); i += 2 {
		if v.elems[i].str == key {
			return v.elems[i+1], true
		}
	}
	return value{}, false
}

// strs returns the strings of an array or set.
func (v value) strs() []string {
	out := make([]string, len(v.elems))
	for i, e := range v.elems {
		out[i] = e.str
	}
	return out
}

var errValue = errors.New("server: malformed RESP3 value")

// parseValue parses the RESP3 value at the front of b and returns the rest of b.
func parseValue(b string) (value, string, error) {
	i := strings.Index(b, "\r\n")
	if i < 1 {
		return value{}, "", errValue
	}
	kind, line, rest := b[0], b[1:i], b[i+2:]
	switch kind {
	case '+', '-', ',', '#':
		return value{kind: kind, str: line}, rest, nil
	case '_':
		return value{kind: kind}, rest, nil
	}
	n, err := strconv.ParseInt(line, 10, 64)
	if err != nil {
		return value{}, "", errValue
	}
	if kind == ':' {
		return value{kind: kind, num: n}, rest, nil
	}
	if n == -1 && (kind == '$' || kind == '*') {
		return value{kind: kind, null: true}, rest, nil
	}
	if n < 0 {
		return value{}, "", errValue
	}
	switch kind {
	case '$', '=':
		if int64(len(rest)) < n+2 || rest[n:n+2] != "\r\n" {
			return value{}, "", errValue
		}
		return value{kind: kind, str: rest[:n]}, rest[n+2:], nil
	case '*', '%', '~', '>':
		if kind == '%' {
			n *= 2
		}
		v := value{kind: kind, elems: make([]value, 0, n)}
		for range n {
			var e value
			if e, rest, err = parseValue(rest); err != nil {
				return value{}, "", err
			}
			v.elems = append(v.elems, e)
		}
		return v, rest, nil
	}
	return value{}, "", fmt.Errorf("%w: type %q", errValue, kind)
}
