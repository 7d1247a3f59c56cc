package sim

import (
	"errors"
	"strconv"
)

// parseReply reads one RESP2 reply as the real transport (go-redis) hands it to the core:
// status and bulk strings as string, integers as int64, arrays as []any, nulls as nil; an
// error reply comes back as its text in errText.
func parseReply(b []byte) (v any, errText string, err error) {
	v, rest, errText, err := parseValue(b)
	if err == nil && len(rest) != 0 {
		err = errors.New("trailing bytes after the reply")
	}
	return v, errText, err
}

var errShort = errors.New("short reply")

func parseValue(b []byte) (v any, rest []byte, errText string, err error) {
	line, rest, ok := cutLine(b)
	if !ok || len(line) == 0 {
		return nil, nil, "", errShort
	}
	body := string(line[1:])
	switch line[0] {
	case '+':
		return body, rest, "", nil
	case '-':
		return nil, rest, body, nil
	case ':':
		n, err := strconv.ParseInt(body, 10, 64)
		return n, rest, "", err
	case '$':
		n, err := strconv.Atoi(body)
		if err != nil {
			return nil, nil, "", err
		}
		if n < 0 {
			return nil, rest, "", nil
		}
		if len(rest) < n+2 {
			return nil, nil, "", errShort
		}
		return string(rest[:n]), rest[n+2:], "", nil
	case '*':
		n, err := strconv.Atoi(body)
		if err != nil {
			return nil, nil, "", err
		}
		if n < 0 {
			return nil, rest, "", nil
		}
		arr := make([]any, 0, n)
		for range n {
			var e any
			var et string
			e, rest, et, err = parseValue(rest)
			if err != nil {
				return nil, nil, "", err
			}
			if et != "" {
				e = errors.New(et)
			}
			arr = append(arr, e)
		}
		return arr, rest, "", nil
	}
	return nil, nil, "", errors.New("unknown reply type " + strconv.QuoteRune(rune(line[0])))
}

func cutLine(b []byte) (line, rest []byte, ok bool) {
	for i := 0; i+1 < len(b); i++ {
		if b[i] == '\r' && b[i+1] == '\n' {
			return b[:i], b[i+2:], true
		}
	}
	return nil, nil, false
}
