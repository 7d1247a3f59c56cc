package resp

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"testing/iotest"
)

var replyCases = []struct {
	in   string
	want []any // the replies, in order, then the stream ends cleanly
}{
	{"+PONG\r\n", []any{"PONG"}},
	{"+\r\n", []any{""}},
	{"-ERR unknown command 'NOSUCHCMD', with args beginning with: \r\n", []any{ErrorReply("ERR unknown command 'NOSUCHCMD', with args beginning with: ")}},
	{"-WRONGPASS invalid username-password pair or user is disabled.\r\n", []any{ErrorReply("WRONGPASS invalid username-password pair or user is disabled.")}},
	{":0\r\n:-12\r\n:9223372036854775807\r\n", []any{int64(0), int64(-12), int64(9223372036854775807)}},
	{"$5\r\nhello\r\n$0\r\n\r\n", []any{"hello", ""}},
	{"$4\r\na\r\nb\r\n", []any{"a\r\nb"}},
	{"$-1\r\n*-1\r\n", []any{nil, nil}},
	{"*0\r\n", []any{[]any{}}},
	{"*3\r\n$9\r\nsubscribe\r\n$18\r\n__sentinel__:hello\r\n:1\r\n", []any{[]any{"subscribe", "__sentinel__:hello", int64(1)}}},
	{"*2\r\n*2\r\n+a\r\n$-1\r\n*1\r\n-ERR x\r\n", []any{[]any{[]any{"a", nil}, []any{ErrorReply("ERR x")}}}},
	{"*1\r\n*0\r\n+OK\r\n", []any{[]any{[]any{}}, "OK"}},
}

// readReplies reads every reply of in through rd; err is what ended the stream.
func readReplies(rd io.Reader) (got []any, err error) {
	r := NewReplyReader(rd)
	for {
		v, err := r.ReadReply()
		if err != nil {
			return got, err
		}
		got = append(got, v)
	}
}

func TestReadReply(t *testing.T) {
	for _, tt := range replyCases {
		for name, rd := range map[string]io.Reader{
			"whole":    strings.NewReader(tt.in),
			"bytewise": iotest.OneByteReader(strings.NewReader(tt.in)),
			"data+EOF": iotest.DataErrReader(strings.NewReader(tt.in)),
		} {
			got, err := readReplies(rd)
			if err != io.EOF {
				t.Errorf("%q %s: ended with %v", tt.in, name, err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("%q %s:\n got %#v\nwant %#v", tt.in, name, got, tt.want)
			}
		}
	}
}

func TestReadReplyMalformed(t *testing.T) {
	for _, in := range []string{
		"?x\r\n", "\r\n", ":\r\n", ":1x\r\n", ":01\r\n", "$\r\n", "$-2\r\n", "$x\r\n",
		"$536870913\r\n", "*-2\r\n", "*x\r\n", "$3\r\nabcd\r\n",
		strings.Repeat("*1\r\n", maxReplyDepth+1) + "+x\r\n",
		"+" + strings.Repeat("x", maxLine+1),
	} {
		r := NewReplyReader(strings.NewReader(in))
		v, err := r.ReadReply()
		if !errors.Is(err, ErrProtocol) {
			t.Errorf("%q: got %#v, %v; want a protocol error", in, v, err)
			continue
		}
		if _, again := r.ReadReply(); again != err {
			t.Errorf("%q: a later read returned %v, want the same %v", in, again, err)
		}
	}
}

func TestReadReplyTruncated(t *testing.T) {
	for _, in := range []string{"+PONG", "$5\r\nhel", "$1\r\nab", "*2\r\n+a\r\n"} {
		_, err := readReplies(strings.NewReader(in))
		if err != io.ErrUnexpectedEOF {
			t.Errorf("%q: %v, want io.ErrUnexpectedEOF", in, err)
		}
	}
}

// TestReplyBufferShrinks: an INFO reply grows the buffer; once it is decoded an idle link
// keeps no more than a small one.
func TestReplyBufferShrinks(t *testing.T) {
	info := strings.Repeat("x", 20<<10)
	in := "$" + strconv.Itoa(len(info)) + "\r\n" + info + "\r\n+PONG\r\n"
	r := NewReplyReader(iotest.HalfReader(strings.NewReader(in)))
	if v, err := r.ReadReply(); err != nil || v != info {
		t.Fatalf("INFO: %v", err)
	}
	if v, err := r.ReadReply(); err != nil || v != "PONG" {
		t.Fatalf("PONG: %v %v", v, err)
	}
	if cap(r.buf) > maxIdleReply {
		t.Errorf("an idle reader holds a %d-byte buffer", cap(r.buf))
	}
}

// TestReplyScanIsLinear: a reply arriving a byte at a time is scanned once, not once per
// read: a large array of small elements sent bytewise must not cost quadratic time.
func TestReplyScanIsLinear(t *testing.T) {
	var b bytes.Buffer
	const n = 200000
	fmt.Fprintf(&b, "*%d\r\n", n)
	for range n {
		b.WriteString(":1\r\n")
	}
	r := NewReplyReader(iotest.OneByteReader(&b))
	v, err := r.ReadReply()
	if err != nil || len(v.([]any)) != n {
		t.Fatalf("got %d elements, %v", len(v.([]any)), err)
	}
}

func FuzzReadReply(f *testing.F) {
	for _, tt := range replyCases {
		f.Add([]byte(tt.in))
	}
	f.Add([]byte("*2\r\n$7\r\nmessage\r\n*1\r\n:5\r\n"))
	f.Add([]byte("$10\r\nabc"))
	f.Fuzz(func(t *testing.T, in []byte) {
		whole, werr := readReplies(bytes.NewReader(in))
		switch {
		case werr == io.EOF, werr == io.ErrUnexpectedEOF, errors.Is(werr, ErrProtocol):
		default:
			t.Fatalf("unexpected error %v", werr)
		}
		// Framing does not depend on how the bytes arrive.
		split, serr := readReplies(iotest.OneByteReader(bytes.NewReader(in)))
		if !reflect.DeepEqual(whole, split) || (werr == io.EOF) != (serr == io.EOF) {
			t.Fatalf("whole %#v (%v), bytewise %#v (%v)", whole, werr, split, serr)
		}
		// What was read re-encodes to a stream that reads back the same.
		var out []byte
		for _, v := range whole {
			out = appendReply(out, v)
		}
		again, aerr := readReplies(bytes.NewReader(out))
		if aerr != io.EOF || !reflect.DeepEqual(again, whole) && len(whole) > 0 {
			t.Fatalf("read %#v, re-encoded %q, read back %#v (%v)", whole, out, again, aerr)
		}
	})
}

// appendReply encodes v back as RESP2; a null comes back as "$-1".
func appendReply(b []byte, v any) []byte {
	switch v := v.(type) {
	case nil:
		return append(b, "$-1\r\n"...)
	case string: // simple or bulk: both read as a string
		return fmt.Appendf(b, "$%d\r\n%s\r\n", len(v), v)
	case ErrorReply:
		return fmt.Appendf(b, "-%s\r\n", v)
	case int64:
		return fmt.Appendf(b, ":%d\r\n", v)
	case []any:
		b = fmt.Appendf(b, "*%d\r\n", len(v))
		for _, e := range v {
			b = appendReply(b, e)
		}
		return b
	}
	panic(fmt.Sprintf("unknown reply value %T", v))
}
