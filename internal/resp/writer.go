package resp

import (
	"math"
	"strconv"
	"strings"
)

// Writer appends replies to an output buffer. The zero value writes RESP2.
type Writer struct {
	buf []byte
	// Proto is 2 or 3, as negotiated with HELLO.
	Proto int
}

// Bytes returns the buffered output.
func (w *Writer) Bytes() []byte { return w.buf }

// Len reports how many bytes are buffered.
func (w *Writer) Len() int { return len(w.buf) }

// Reset empties the buffer, keeping its capacity.
func (w *Writer) Reset() { w.buf = w.buf[:0] }

// Take returns the buffered output and leaves the writer with a fresh buffer, so the caller
// may hand the bytes to another goroutine.
func (w *Writer) Take() []byte {
	b := w.buf
	w.buf = nil
	return b
}

func (w *Writer) resp3() bool { return w.Proto == 3 }

// Raw appends already encoded bytes.
func (w *Writer) Raw(b []byte) { w.buf = append(w.buf, b...) }

// Simple appends a simple string (+OK). CR and LF are replaced by spaces: a simple string
// cannot carry them, and Redis does the same.
func (w *Writer) Simple(s string) {
	w.buf = append(w.buf, '+')
	w.buf = appendLine(w.buf, s)
}

// Error appends an error reply. msg starts with the error code ("ERR ...", "NOAUTH ...").
func (w *Writer) Error(msg string) {
	w.buf = append(w.buf, '-')
	w.buf = appendLine(w.buf, msg)
}

// Int appends an integer.
func (w *Writer) Int(n int64) {
	w.buf = append(w.buf, ':')
	w.buf = strconv.AppendInt(w.buf, n, 10)
	w.buf = append(w.buf, '\r', '\n')
}

// Bulk appends a bulk string.
func (w *Writer) Bulk(b []byte) {
	w.buf = append(w.buf, '$')
	w.buf = strconv.AppendInt(w.buf, int64(len(b)), 10)
	w.buf = append(w.buf, '\r', '\n')
	w.buf = append(w.buf, b...)
	w.buf = append(w.buf, '\r', '\n')
}

// BulkString appends a bulk string.
func (w *Writer) BulkString(s string) {
	w.buf = append(w.buf, '$')
	w.buf = strconv.AppendInt(w.buf, int64(len(s)), 10)
	w.buf = append(w.buf, '\r', '\n')
	w.buf = append(w.buf, s...)
	w.buf = append(w.buf, '\r', '\n')
}

// BulkInt appends an integer rendered as a bulk string, the way Redis reports numeric fields
// of its info maps (SENTINEL MASTER's "port", say).
func (w *Writer) BulkInt(n int64) {
	var tmp [20]byte
	w.Bulk(strconv.AppendInt(tmp[:0], n, 10))
}

// Null appends the null reply: "_" in RESP3, a null bulk string in RESP2.
func (w *Writer) Null() {
	if w.resp3() {
		w.buf = append(w.buf, '_', '\r', '\n')
		return
	}
	w.buf = append(w.buf, "$-1\r\n"...)
}

// NullArray appends the null used where an array was expected (EXEC after a WATCH failure):
// "_" in RESP3, "*-1" in RESP2.
func (w *Writer) NullArray() {
	if w.resp3() {
		w.buf = append(w.buf, '_', '\r', '\n')
		return
	}
	w.buf = append(w.buf, "*-1\r\n"...)
}

// Array starts an array of n elements; the caller appends them next.
func (w *Writer) Array(n int) { w.header('*', n) }

// Map starts a map of n key/value pairs: "%" in RESP3, an array of 2n elements in RESP2.
func (w *Writer) Map(n int) {
	if w.resp3() {
		w.header('%', n)
		return
	}
	w.header('*', 2*n)
}

// Set starts a set of n elements: "~" in RESP3, an array in RESP2.
func (w *Writer) Set(n int) {
	if w.resp3() {
		w.header('~', n)
		return
	}
	w.header('*', n)
}

// Push starts an out-of-band push (Pub/Sub messages): ">" in RESP3, an array in RESP2.
func (w *Writer) Push(n int) {
	if w.resp3() {
		w.header('>', n)
		return
	}
	w.header('*', n)
}

// Bool appends a boolean: "#t"/"#f" in RESP3, the integers 1 and 0 in RESP2.
func (w *Writer) Bool(v bool) {
	if w.resp3() {
		if v {
			w.buf = append(w.buf, "#t\r\n"...)
		} else {
			w.buf = append(w.buf, "#f\r\n"...)
		}
		return
	}
	if v {
		w.Int(1)
	} else {
		w.Int(0)
	}
}

// Double appends a floating point number: "," in RESP3, a bulk string in RESP2.
func (w *Writer) Double(f float64) {
	var s string
	switch {
	case math.IsInf(f, 1):
		s = "inf"
	case math.IsInf(f, -1):
		s = "-inf"
	default:
		s = strconv.FormatFloat(f, 'g', 17, 64)
	}
	if w.resp3() {
		w.buf = append(w.buf, ',')
		w.buf = append(w.buf, s...)
		w.buf = append(w.buf, '\r', '\n')
		return
	}
	w.BulkString(s)
}

// Verbatim appends a verbatim string of the given three-letter format ("txt"): "=" in RESP3,
// a bulk string in RESP2. INFO and CLIENT LIST reply this way.
func (w *Writer) Verbatim(format, s string) {
	if !w.resp3() {
		w.BulkString(s)
		return
	}
	w.buf = append(w.buf, '=')
	w.buf = strconv.AppendInt(w.buf, int64(len(s)+4), 10)
	w.buf = append(w.buf, '\r', '\n')
	w.buf = append(w.buf, format...)
	w.buf = append(w.buf, ':')
	w.buf = append(w.buf, s...)
	w.buf = append(w.buf, '\r', '\n')
}

// Strings appends an array of bulk strings.
func (w *Writer) Strings(ss []string) {
	w.Array(len(ss))
	for _, s := range ss {
		w.BulkString(s)
	}
}

func (w *Writer) header(kind byte, n int) {
	w.buf = append(w.buf, kind)
	w.buf = strconv.AppendInt(w.buf, int64(n), 10)
	w.buf = append(w.buf, '\r', '\n')
}

func appendLine(b []byte, s string) []byte {
	// Two byte searches: strings.ContainsAny's general set was a visible share of a
	// pipelined PING.
	if strings.IndexByte(s, '\r') >= 0 || strings.IndexByte(s, '\n') >= 0 {
		s = strings.NewReplacer("\r", " ", "\n", " ").Replace(s)
	}
	b = append(b, s...)
	return append(b, '\r', '\n')
}

// AppendCommand appends args as a RESP array of bulk strings: the form in which commands
// travel to a server and down a replication stream.
func AppendCommand[T ~string | ~[]byte](b []byte, args ...T) []byte {
	b = append(b, '*')
	b = strconv.AppendInt(b, int64(len(args)), 10)
	b = append(b, '\r', '\n')
	for _, a := range args {
		b = append(b, '$')
		b = strconv.AppendInt(b, int64(len(a)), 10)
		b = append(b, '\r', '\n')
		b = append(b, a...)
		b = append(b, '\r', '\n')
	}
	return b
}
