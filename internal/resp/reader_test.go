package resp

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math/rand"
	"runtime"
	"strings"
	"testing"
	"time"
)

// Sources that cut the same bytes at different read boundaries. Every result must be the
// same whichever of them delivers the input.
var sources = []struct {
	name string
	open func(data []byte) io.Reader
}{
	{"whole", func(data []byte) io.Reader { return bytes.NewReader(data) }},
	{"bytewise", func(data []byte) io.Reader { return &chunkReader{data: data} }},
	{"chunks-1", func(data []byte) io.Reader { return &chunkReader{data: data, rng: rand.New(rand.NewSource(1))} }},
	{"chunks-2", func(data []byte) io.Reader { return &chunkReader{data: data, rng: rand.New(rand.NewSource(2))} }},
}

// chunkReader hands out its data one byte per Read, size bytes when size is set, or random
// sizes when rng is set.
type chunkReader struct {
	data  []byte
	size  int
	rng   *rand.Rand
	reads int
}

func (c *chunkReader) Read(p []byte) (int, error) {
	c.reads++
	if len(c.data) == 0 {
		return 0, io.EOF
	}
	n := max(1, c.size)
	if c.rng != nil {
		// Mostly small pieces, sometimes large ones, so both a trickle and reads that
		// outrun the buffer are exercised.
		if c.rng.Intn(8) == 0 {
			n = 1 + c.rng.Intn(64<<10)
		} else {
			n = 1 + c.rng.Intn(40)
		}
	}
	n = copy(p, c.data[:min(n, len(c.data))])
	c.data = c.data[n:]
	return n, nil
}

// result is everything a Reader produced from one input.
type result struct {
	cmds []Command
	err  error
}

// readAll reads until an error. Each command's Raw is checked against the input as it
// comes: it must be the bytes just consumed, and whatever lies between two commands must be
// requests Redis skips. Comparing Args only after the last read also checks that a command
// shares no bytes with the Reader's buffer, which later reads overwrite.
func readAll(t testing.TB, in []byte, src io.Reader) result {
	t.Helper()
	cr := &countingReader{r: src}
	r := NewReader(cr)
	var res result
	prev := 0
	for range len(in) + 2 { // every command takes at least one byte
		cmd, err := r.ReadCommand()
		if err != nil {
			res.err = err
			return res
		}
		consumed := cr.n - (r.end - r.start)
		from := consumed - len(cmd.Raw)
		if from < prev || !bytes.Equal(in[from:consumed], cmd.Raw) {
			t.Fatalf("%.60q: Raw %.60q is not the input just consumed, %.60q", in, cmd.Raw, in[max(prev, 0):consumed])
		}
		if gap := in[prev:from]; len(gap) > 0 {
			if cmds, err := readAllPlain(gap); len(cmds) > 0 || err != io.EOF {
				t.Fatalf("%.60q: bytes %q between requests are not empty requests: %d commands, %v", in, gap, len(cmds), err)
			}
		}
		prev = consumed
		res.cmds = append(res.cmds, cmd)
	}
	t.Fatalf("%.60q: more commands than input bytes", in)
	return res
}

// readAllPlain reads every command of in, without checks.
func readAllPlain(in []byte) ([]Command, error) {
	r := NewReader(bytes.NewReader(in))
	var cmds []Command
	for range len(in) + 2 {
		cmd, err := r.ReadCommand()
		if err != nil {
			return cmds, err
		}
		cmds = append(cmds, cmd)
	}
	return cmds, errors.New("more commands than input bytes")
}

type countingReader struct {
	r io.Reader
	n int
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += n
	return n, err
}

func argStrings(cmds []Command) [][]string {
	out := [][]string{}
	for _, c := range cmds {
		args := []string{}
		for _, a := range c.Args {
			args = append(args, string(a))
		}
		out = append(out, args)
	}
	return out
}

func (res result) String() string {
	return fmt.Sprintf("%.60q, %v", argStrings(res.cmds), res.err)
}

func sameResult(a, b result) bool {
	if len(a.cmds) != len(b.cmds) || a.err != b.err && (a.err == nil || b.err == nil || a.err.Error() != b.err.Error()) {
		return false
	}
	for i := range a.cmds {
		if !bytes.Equal(a.cmds[i].Raw, b.cmds[i].Raw) || len(a.cmds[i].Args) != len(b.cmds[i].Args) {
			return false
		}
		for j := range a.cmds[i].Args {
			if !bytes.Equal(a.cmds[i].Args[j], b.cmds[i].Args[j]) {
				return false
			}
		}
	}
	return true
}

const (
	eof           = "EOF"
	unexpectedEOF = "unexpected EOF"
	mbulkLen      = "Protocol error: invalid multibulk length"
	bulkLen       = "Protocol error: invalid bulk length"
	inlineTooBig  = "Protocol error: too big inline request"
	mbulkTooBig   = "Protocol error: too big mbulk count string"
	bulkTooBig    = "Protocol error: too big bulk count string"
	unbalanced    = "Protocol error: unbalanced quotes in request"
)

// The cases were checked against redis-server 7.0.15 where the wire shows a difference:
// Redis runs what parses, answers the protocol error, and waits where we report an
// unexpected EOF.
var readCases = []struct {
	name string
	in   string
	want [][]string
	err  string
}{
	{"ping", "*1\r\n$4\r\nPING\r\n", [][]string{{"PING"}}, eof},
	{"set", "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$5\r\nhello\r\n", [][]string{{"SET", "k", "hello"}}, eof},
	{"empty bulk", "*2\r\n$3\r\nGET\r\n$0\r\n\r\n", [][]string{{"GET", ""}}, eof},
	{"binary bulk", "*1\r\n$6\r\na\r\nb\x00\xff\r\n", [][]string{{"a\r\nb\x00\xff"}}, eof},
	{"pipeline", "*1\r\n$1\r\na\r\n*2\r\n$1\r\nb\r\n$1\r\nc\r\n", [][]string{{"a"}, {"b", "c"}}, eof},
	{"empty multibulks skipped", "*0\r\n*-1\r\n*-9223372036854775808\r\n*1\r\n$1\r\na\r\n*0\r\n", [][]string{{"a"}}, eof},
	// Redis skips the two bytes after a bulk, and the byte after a header's CR, unchecked.
	{"bulk trailer unchecked", "*1\r\n$4\r\nPINGxy*1\r\n$1\r\na\r\n", [][]string{{"PING"}, {"a"}}, eof},
	{"header LF unchecked", "*1\rX$4\rYPING\r\n", [][]string{{"PING"}}, eof},
	{"largest bulk header", "*1\r\n$536870912\r\n" + "abc", nil, unexpectedEOF},
	{"largest count", "*2147483647\r\n$1\r\na\r\n", nil, unexpectedEOF},

	{"count not a number", "*x\r\n", nil, mbulkLen},
	{"count empty", "*\r\n", nil, mbulkLen},
	{"count plus", "*+1\r\n$4\r\nPING\r\n", nil, mbulkLen},
	{"count leading zero", "*01\r\n$4\r\nPING\r\n", nil, mbulkLen},
	{"count minus zero", "*-0\r\n", nil, mbulkLen},
	{"count space", "*1 \r\n", nil, mbulkLen},
	{"count over INT_MAX", "*2147483648\r\n", nil, mbulkLen},
	{"count overflows", "*99999999999999999999\r\n", nil, mbulkLen},
	{"count ends at LF only", "*1\n$4\r\nPING\r\n", nil, mbulkLen},
	{"count after a command", "*1\r\n$1\r\na\r\n*x\r\n", [][]string{{"a"}}, mbulkLen},
	{"count NUL stalls", "*1\x00\r\n", nil, unexpectedEOF},

	{"bulk negative", "*1\r\n$-1\r\n", nil, bulkLen},
	{"bulk minus zero", "*1\r\n$-0\r\n", nil, bulkLen},
	{"bulk plus", "*1\r\n$+1\r\na\r\n", nil, bulkLen},
	{"bulk leading zero", "*1\r\n$01\r\na\r\n", nil, bulkLen},
	{"bulk not a number", "*1\r\n$x\r\n", nil, bulkLen},
	{"bulk empty", "*1\r\n$\r\n", nil, bulkLen},
	{"bulk over proto-max-bulk-len", "*1\r\n$536870913\r\n", nil, bulkLen},
	{"bulk huge", "*1\r\n$600000000\r\n", nil, bulkLen},
	{"second bulk bad", "*2\r\n$1\r\na\r\n$x\r\n", nil, bulkLen},

	{"expected dollar", "*1\r\n:1\r\n", nil, "Protocol error: expected '$', got ':'"},
	{"expected dollar star", "*1\r\n*1\r\n", nil, "Protocol error: expected '$', got '*'"},
	{"expected dollar CR", "*1\r\n\r\n", nil, "Protocol error: expected '$', got '\r'"},
	{"expected dollar high byte", "*1\r\n\xff\r\n", nil, "Protocol error: expected '$', got '\xff'"},
	{"expected dollar later", "*2\r\n$1\r\na\r\nb\r\n", nil, "Protocol error: expected '$', got 'b'"},
	// Redis judges the byte only once the header line is whole.
	{"expected dollar waits for the line", "*1\r\n:1", nil, unexpectedEOF},

	{"mbulk count too big", "*" + strings.Repeat("1", maxLine), nil, mbulkTooBig},
	{"mbulk count at the limit", "*" + strings.Repeat("1", maxLine-1) + "\r\n", nil, mbulkLen},
	{"mbulk count past the limit", "*" + strings.Repeat("1", maxLine) + "\r\n", nil, mbulkTooBig},
	{"bulk count too big", "*1\r\n$" + strings.Repeat("1", maxLine), nil, bulkTooBig},
	{"bulk count too big not dollar", "*1\r\n:" + strings.Repeat("1", maxLine), nil, bulkTooBig},
	{"bulk count at the limit", "*1\r\n$" + strings.Repeat("1", maxLine-1) + "\r\n", nil, bulkLen},
	{"inline too big", strings.Repeat("a", maxLine+1), nil, inlineTooBig},
	{"inline at the limit", strings.Repeat("a", maxLine) + "\n", [][]string{{strings.Repeat("a", maxLine)}}, eof},
	{"inline past the limit", strings.Repeat("a", maxLine+1) + "\n", nil, inlineTooBig},
	{"inline NUL stalls", "ECHO a\x00b\r\nPING\r\n", nil, unexpectedEOF},
	{"inline NUL until too big", "ECHO a\x00b\r\n" + strings.Repeat("a", maxLine), nil, inlineTooBig},

	{"inline", "PING\r\n", [][]string{{"PING"}}, eof},
	{"inline LF", "set a b\n", [][]string{{"set", "a", "b"}}, eof},
	{"inline blank lines", "\r\n  \r\n\n\t\v\f\r\nPING\n", [][]string{{"PING"}}, eof},
	{"inline CR CR LF", "PING\r\r\n", [][]string{{"PING"}}, eof},
	{"inline CR separates", "a\rb\n", [][]string{{"a", "b"}}, eof},
	{"inline then multibulk", "PING\n*1\r\n$1\r\na\r\n", [][]string{{"PING"}, {"a"}}, eof},
	{"inline star later", "a *1\n", [][]string{{"a", "*1"}}, eof},
	{"quotes", `set "a b" 'c d'` + "\n", [][]string{{"set", "a b", "c d"}}, eof},
	{"hex", `"\x41"` + "\n", [][]string{{"A"}}, eof},
	{"hex upper and lower", `"\xfF\x0a"` + "\n", [][]string{{"\xff\n"}}, eof},
	{"hex short", `"\x4"` + "\n", [][]string{{"x4"}}, eof},
	{"hex not hex", `"\xzz"` + "\n", [][]string{{"xzz"}}, eof},
	{"escapes", `"\n\r\t\b\a\\\"\z"` + "\n", [][]string{{"\n\r\t\b\a\\\"z"}}, eof},
	{"single quote escapes", `'it\'s' 'a\nb'` + "\n", [][]string{{"it's", `a\nb`}}, eof},
	{"empty quotes", `x "" ''` + "\n", [][]string{{"x", "", ""}}, eof},
	{"quote inside argument", `a"b c"` + "\n", [][]string{{"ab c"}}, eof},
	{"quote then tab", "\"a\"\tb\n", [][]string{{"a", "b"}}, eof},
	{"quote then vertical tab", "\"a\"\vb\n", [][]string{{"a", "b"}}, eof},
	{"vertical tab inside argument", "a\vb \fc\n", [][]string{{"a\vb", "c"}}, eof},
	{"quoted newline escapes only", "\"a\rb\"\n", [][]string{{"a\rb"}}, eof},
	{"unbalanced after quote", `"a"b` + "\n", nil, unbalanced},
	{"unbalanced after single quote", `'a'b` + "\n", nil, unbalanced},
	{"unterminated double", `x "ab` + "\n", nil, unbalanced},
	{"unterminated single", `x 'ab` + "\n", nil, unbalanced},
	{"unterminated open quote", `a"b` + "\n", nil, unbalanced},
	{"escaped closing quote", `"ab\"` + "\n", nil, unbalanced},
	{"trailing backslash", `"ab\` + "\r\n", nil, unbalanced},
	{"unbalanced after a command", "PING\n'x\n", [][]string{{"PING"}}, unbalanced},

	{"nothing", "", nil, eof},
	{"partial header", "*1\r", nil, unexpectedEOF},
	{"partial bulk", "*1\r\n$4\r\nPI", nil, unexpectedEOF},
	{"partial trailer", "*1\r\n$4\r\nPING\r", nil, unexpectedEOF},
	{"partial inline", "PING", nil, unexpectedEOF},
	{"partial after a command", "*1\r\n$1\r\na\r\n*1\r\n$1\r\n", [][]string{{"a"}}, unexpectedEOF},
}

func TestReadCommand(t *testing.T) {
	for _, tt := range readCases {
		t.Run(tt.name, func(t *testing.T) {
			want := tt.want
			if want == nil {
				want = [][]string{}
			}
			var first result
			for i, src := range sources {
				res := readAll(t, []byte(tt.in), src.open([]byte(tt.in)))
				if got := argStrings(res.cmds); fmt.Sprint(got) != fmt.Sprint(want) {
					t.Errorf("%s: commands %.60q, want %.60q", src.name, got, want)
				}
				if res.err == nil || res.err.Error() != tt.err {
					t.Errorf("%s: error %v, want %s", src.name, res.err, tt.err)
				}
				if strings.HasPrefix(tt.err, "Protocol error") != errors.Is(res.err, ErrProtocol) {
					t.Errorf("%s: errors.Is(%v, ErrProtocol) = %v", src.name, res.err, !strings.HasPrefix(tt.err, "Protocol error"))
				}
				if i == 0 {
					first = res
				} else if !sameResult(first, res) {
					t.Errorf("%s: %v, but read whole %v", src.name, res, first)
				}
			}
		})
	}
}

// TestArgsCapacity: appending to one argument must not write over the next, or over Raw.
func TestArgsCapacity(t *testing.T) {
	for _, in := range []string{"*2\r\n$1\r\na\r\n$1\r\nb\r\n", "a b\n"} {
		cmd, err := NewReader(strings.NewReader(in)).ReadCommand()
		if err != nil {
			t.Fatal(err)
		}
		_ = append(cmd.Args[0], 'X')
		_ = append(cmd.Raw, 'X')
		if string(cmd.Args[1]) != "b" || string(cmd.Raw) != in {
			t.Errorf("%q: append clobbered the command: %q %q", in, cmd.Args, cmd.Raw)
		}
	}
}

// randomStream returns n random requests: multibulk ones with binary arguments from empty
// to past the initial buffer size, and, when inline is set, inline ones too.
func randomStream(rng *rand.Rand, n int, inline bool) ([]byte, [][]string) {
	var stream []byte
	var want [][]string
	for range n {
		if inline && rng.Intn(4) == 0 {
			stream = append(stream, "SET  k\t\"v \\x41\" 'it\\'s'\r\n"...)
			want = append(want, []string{"SET", "k", "v A", "it's"})
			continue
		}
		args := make([][]byte, 1+rng.Intn(5))
		var strs []string
		for j := range args {
			size := rng.Intn(20)
			if rng.Intn(20) == 0 {
				size = rng.Intn(100 << 10)
			}
			args[j] = make([]byte, size)
			rng.Read(args[j])
			strs = append(strs, string(args[j]))
		}
		stream = AppendCommand(stream, args...)
		want = append(want, strs)
	}
	return stream, want
}

// TestReadBoundaries: a stream cut anywhere reads as the same commands.
func TestReadBoundaries(t *testing.T) {
	stream, want := randomStream(rand.New(rand.NewSource(3)), 400, true)
	var first result
	for i, src := range sources {
		res := readAll(t, stream, src.open(stream))
		if res.err != io.EOF {
			t.Fatalf("%s: %v", src.name, res.err)
		}
		if got := argStrings(res.cmds); fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("%s: commands differ from those written", src.name)
		}
		if i == 0 {
			first = res
		} else if !sameResult(first, res) {
			t.Fatalf("%s: read differently than whole", src.name)
		}
	}
}

// TestRawReproducesStream checks what replication offsets rely on: the Raw bytes of a
// multibulk stream's commands, end to end, are the stream.
func TestRawReproducesStream(t *testing.T) {
	stream, _ := randomStream(rand.New(rand.NewSource(4)), 300, false)
	for _, src := range sources {
		res := readAll(t, stream, src.open(stream))
		if res.err != io.EOF || len(res.cmds) != 300 {
			t.Fatalf("%s: %d commands, %v", src.name, len(res.cmds), res.err)
		}
		var raw []byte
		for _, c := range res.cmds {
			raw = append(raw, c.Raw...)
			if again := AppendCommand(nil, c.Args...); !bytes.Equal(again, c.Raw) {
				t.Fatalf("%s: Args re-encode to %.60q, Raw is %.60q", src.name, again, c.Raw)
			}
		}
		if !bytes.Equal(raw, stream) {
			t.Fatalf("%s: the Raws end to end differ from the stream", src.name)
		}
	}
}

// scriptReader plays a script of reads; past its end it fails the test. Each step gives
// data, an error, or both.
type scriptReader struct {
	t     *testing.T
	steps []step
}

type step struct {
	data string
	err  error
}

func (s *scriptReader) Read(p []byte) (int, error) {
	if len(s.steps) == 0 {
		s.t.Fatal("read past the script")
	}
	st := s.steps[0]
	n := copy(p, st.data)
	if n < len(st.data) {
		s.steps[0].data = st.data[n:]
		return n, nil
	}
	s.steps = s.steps[1:]
	return n, st.err
}

func TestBuffered(t *testing.T) {
	src := &scriptReader{t: t, steps: []step{
		{data: "*1\r\n$1\r\na\r\n*0\r\n\r\n*1\r\n$1\r\nb\r\nc\r\n*1\r\n$1\r\n"},
		{data: "d\r\n*x\r\n"},
	}}
	r := NewReader(src)
	if r.Buffered() {
		t.Fatal("Buffered before any read")
	}
	for i, want := range []struct {
		arg      string
		buffered bool
	}{
		{"a", true}, // "b" follows, after an empty multibulk and a blank line
		{"b", true},
		{"c", false}, // "d" is still arriving
		{"d", true},  // the protocol error is buffered
	} {
		cmd, err := r.ReadCommand()
		if err != nil || string(cmd.Args[0]) != want.arg {
			t.Fatalf("command %d: %q %v, want %s", i, cmd.Args, err, want.arg)
		}
		// Asking twice changes nothing; Buffered never reads (the script would fail).
		for range 2 {
			if got := r.Buffered(); got != want.buffered {
				t.Fatalf("after %s: Buffered %v", want.arg, got)
			}
		}
	}
	_, err := r.ReadCommand()
	if err == nil || err.Error() != mbulkLen {
		t.Fatalf("got %v, want %s", err, mbulkLen)
	}
	if !r.Buffered() {
		t.Fatal("a poisoned Reader has its error buffered")
	}
}

// TestBufferedSkipsEmpty: empty requests alone do not make a command buffered.
func TestBufferedSkipsEmpty(t *testing.T) {
	r := NewReader(&scriptReader{t: t, steps: []step{
		{data: "*1\r\n$1\r\na\r\n*0\r\n  \r\n*-1\r\n"},
		{err: io.EOF},
	}})
	if _, err := r.ReadCommand(); err != nil {
		t.Fatal(err)
	}
	if r.Buffered() {
		t.Fatal("only empty requests are buffered")
	}
	if _, err := r.ReadCommand(); err != io.EOF {
		t.Fatalf("got %v, want io.EOF: empty requests end at a request boundary", err)
	}
}

// TestPoisoned: after a protocol error the same error comes back, without reading again.
func TestPoisoned(t *testing.T) {
	r := NewReader(&scriptReader{t: t, steps: []step{{data: "*1\r\n$1\r\na\r\n'x\n*1\r\n$1\r\nb\r\n"}}})
	if _, err := r.ReadCommand(); err != nil {
		t.Fatal(err)
	}
	_, first := r.ReadCommand()
	if !errors.Is(first, ErrProtocol) || first.Error() != unbalanced {
		t.Fatalf("got %v, want %s", first, unbalanced)
	}
	for range 3 {
		if _, err := r.ReadCommand(); err != first {
			t.Fatalf("after the error: %v", err)
		}
	}
}

var errTimeout = errors.New("i/o timeout")

// TestReadErrors: a read error other than the end of input interrupts a request without
// losing it, so a caller may read on after a deadline; data delivered together with an
// error is used first.
func TestReadErrors(t *testing.T) {
	r := NewReader(&scriptReader{t: t, steps: []step{
		{data: "*1\r\n$4\r\nPI", err: errTimeout},
		{data: "NG\r\nECHO x\n", err: io.EOF},
		{err: io.EOF},
	}})
	if _, err := r.ReadCommand(); err != errTimeout {
		t.Fatalf("got %v, want the timeout", err)
	}
	for _, want := range []string{"PING", "ECHO"} {
		if cmd, err := r.ReadCommand(); err != nil || string(cmd.Args[0]) != want {
			t.Fatalf("got %q %v, want %s", cmd.Args, err, want)
		}
	}
	if _, err := r.ReadCommand(); err != io.EOF {
		t.Fatalf("got %v, want io.EOF", err)
	}
	if _, err := r.ReadCommand(); err != io.EOF {
		t.Fatalf("again: got %v, want io.EOF", err)
	}
}

type emptyReader struct{}

func (emptyReader) Read([]byte) (int, error) { return 0, nil }

func TestNoProgress(t *testing.T) {
	if _, err := NewReader(emptyReader{}).ReadCommand(); err != io.ErrNoProgress {
		t.Fatalf("got %v, want io.ErrNoProgress", err)
	}
}

// stallReader hands out its data, then reports that it was asked for more and blocks until
// released, when it returns io.EOF: a client that declared more than it sent.
type stallReader struct {
	data    []byte
	stalled chan struct{}
	release chan struct{}
}

func newStallReader(data string) *stallReader {
	return &stallReader{data: []byte(data), stalled: make(chan struct{}), release: make(chan struct{})}
}

func (s *stallReader) Read(p []byte) (int, error) {
	if len(s.data) > 0 {
		n := copy(p, s.data)
		s.data = s.data[n:]
		return n, nil
	}
	close(s.stalled)
	<-s.release
	return 0, io.EOF
}

// within fails the test unless ch is ready before d passes.
func within[T any](t *testing.T, d time.Duration, ch <-chan T, what string) T {
	t.Helper()
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case v := <-ch:
		return v
	case <-timer.C:
		t.Fatalf("%s took over %v", what, d)
		panic("unreachable")
	}
}

// TestHostileCount: a count of two billion costs nothing while its arguments do not
// arrive. redcon's reader spent seconds of CPU here on every read.
func TestHostileCount(t *testing.T) {
	for _, in := range []string{
		"*2000000000\r\n$0",
		"*2000000000\r\n" + strings.Repeat("$0\r\n\r\n", 10000),
		"*2147483647\r\n$536870912\r\n",
	} {
		src := newStallReader(in)
		r := NewReader(src)
		done := make(chan error, 1)
		go func() {
			_, err := r.ReadCommand()
			done <- err
		}()
		// Waiting for more bytes means the buffered ones are parsed.
		within(t, time.Second, src.stalled, fmt.Sprintf("%.20q: parsing what arrived", in))
		close(src.release)
		if err := within(t, time.Second, done, fmt.Sprintf("%.20q: returning at EOF", in)); err != io.ErrUnexpectedEOF {
			t.Fatalf("%.20q: %v, want io.ErrUnexpectedEOF", in, err)
		}
	}
}

// TestHostileBulkLength: a length past proto-max-bulk-len is refused from its header,
// without waiting for data that will not come.
func TestHostileBulkLength(t *testing.T) {
	src := newStallReader("*1\r\n$600000000\r\n")
	r := NewReader(src)
	done := make(chan error, 1)
	go func() {
		_, err := r.ReadCommand()
		done <- err
	}()
	defer close(src.release)
	if err := within(t, time.Second, done, "refusing the length"); err == nil || err.Error() != bulkLen {
		t.Fatalf("got %v, want %s", err, bulkLen)
	}
}

// TestDeclaredSizeCostsNothing: a client that declares 512 MiB and sends 100 bytes gets a
// read buffer of the initial size, not one of the size it declared.
func TestDeclaredSizeCostsNothing(t *testing.T) {
	in := "*3\r\n$536870912\r\n" + strings.Repeat("x", 100)
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	r := NewReader(strings.NewReader(in))
	_, err := r.ReadCommand()
	runtime.ReadMemStats(&after)
	if err != io.ErrUnexpectedEOF {
		t.Fatalf("got %v, want io.ErrUnexpectedEOF", err)
	}
	if grown := after.TotalAlloc - before.TotalAlloc; grown > 10<<20 {
		t.Fatalf("allocated %d bytes", grown)
	}
	if len(r.buf) != initialBuffer {
		t.Fatalf("buffer of %d bytes", len(r.buf))
	}
}

// TestResumeIsCheap: a request of many arguments arriving a few bytes at a time is parsed
// once, not once per read. Parsing from the start on every read costs time quadratic in
// the request: some minutes here.
func TestResumeIsCheap(t *testing.T) {
	const args = 200000
	in := []byte(fmt.Sprintf("*%d\r\n", args) + strings.Repeat("$0\r\n\r\n", args) +
		"*1\r\n$8000000\r\n" + strings.Repeat("x", 8000000) + "\r\n")
	src := &chunkReader{data: in, size: 32}
	done := make(chan result, 1)
	go func() {
		r := NewReader(src)
		var res result
		for {
			cmd, err := r.ReadCommand()
			if err != nil {
				res.err = err
				break
			}
			res.cmds = append(res.cmds, cmd)
		}
		done <- res
	}()
	res := within(t, 20*time.Second, done, "reading a trickled request")
	if res.err != io.EOF || len(res.cmds) != 2 || len(res.cmds[0].Args) != args || len(res.cmds[1].Args[0]) != 8000000 {
		t.Fatalf("read %d commands, %v", len(res.cmds), res.err)
	}
	t.Logf("%d reads", src.reads)
}

// TestBufferShrinks: the buffer of a huge request is let go once requests are small again,
// but kept while big ones keep coming.
func TestBufferShrinks(t *testing.T) {
	big := string(AppendCommand(nil, "SET", "k", strings.Repeat("v", 4<<20)))
	src := &scriptReader{t: t}
	r := NewReader(src)
	for i, tt := range []struct {
		req    string
		shrunk bool
	}{
		{big, false}, {big, false}, {"PING\r\n", false}, {big, false},
		{"PING\r\n", false}, {"PING\r\n", false}, {"PING\r\n", false},
		{"PING\r\n", true}, {"PING\r\n", true},
	} {
		src.steps = []step{{data: tt.req}}
		if cmd, err := r.ReadCommand(); err != nil || len(cmd.Raw) != len(tt.req) {
			t.Fatalf("request %d: %d bytes, %v", i, len(cmd.Raw), err)
		}
		if shrunk := len(r.buf) == initialBuffer; shrunk != tt.shrunk {
			t.Fatalf("request %d: buffer of %d bytes", i, len(r.buf))
		}
	}
}

func TestParseInt(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want int64
		ok   bool
	}{
		{"0", 0, true}, {"7", 7, true}, {"-7", -7, true},
		{"9223372036854775807", 9223372036854775807, true},
		{"-9223372036854775808", -9223372036854775808, true},
		{"9223372036854775808", 0, false}, {"-9223372036854775809", 0, false},
		{"18446744073709551616", 0, false}, {"99999999999999999999", 0, false},
		{"", 0, false}, {"-", 0, false}, {"+1", 0, false}, {"01", 0, false}, {"-0", 0, false},
		{"00", 0, false}, {"1a", 0, false}, {" 1", 0, false}, {"1 ", 0, false},
		{"000000000000000000001", 0, false},
	} {
		got, ok := parseInt([]byte(tt.in))
		if got != tt.want || ok != tt.ok {
			t.Errorf("parseInt(%q) = %d, %v; want %d, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

// probeReader reports whether Read was called.
type probeReader struct {
	r    io.Reader
	read bool
}

func (p *probeReader) Read(b []byte) (int, error) {
	p.read = true
	return p.r.Read(b)
}

var fuzzSeeds = []string{
	"*1\r\n$4\r\nPING\r\n",
	"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\nGET k\r\n",
	"*0\r\n*-1\r\n\r\n  \n*1\r\n$0\r\n\r\n",
	"*1\rX$4\rYPINGxy",
	`set "a\x41 b" 'c\'d' "\n\z" a"b c"` + "\n",
	"\"a\"\vb a\vb\n",
	"*2000000000\r\n$0\r\n\r\n$0",
	"*1\r\n$536870913\r\n",
	"*1\r\n:1\r\n",
	"*+1\r\n$1\r\na\r\n",
	"*1\r\n$01\r\na\r\n",
	"ECHO a\x00b\r\nPING\r\n",
	`"unbalanced` + "\n",
	`"a"b` + "\n",
}

// FuzzReadCommand: any input reads without panicking or hanging, each Raw is the bytes
// just consumed, the commands re-encode to themselves, read boundaries change nothing, and
// Buffered tells the truth about whether ReadCommand will read.
func FuzzReadCommand(f *testing.F) {
	for _, tt := range readCases {
		if len(tt.in) < 1000 {
			f.Add([]byte(tt.in))
		}
	}
	for _, s := range fuzzSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		whole := readAll(t, in, bytes.NewReader(in))
		switch err := whole.err; {
		case err == io.EOF:
		case err == io.ErrUnexpectedEOF:
		case errors.Is(err, ErrProtocol):
		default:
			t.Fatalf("unexpected error %v", err)
		}
		for _, cmd := range whole.cmds {
			if len(cmd.Args) == 0 {
				t.Fatalf("a command without arguments: %q", cmd.Raw)
			}
			enc := AppendCommand(nil, cmd.Args...)
			again, err := readAllPlain(enc)
			if err != io.EOF || !sameResult(result{cmds: again}, result{cmds: []Command{{Args: cmd.Args, Raw: enc}}}) {
				t.Fatalf("%q re-encoded reads as %q, %v", cmd.Args, argStrings(again), err)
			}
		}
		if bytewise := readAll(t, in, &chunkReader{data: in}); !sameResult(whole, bytewise) {
			t.Fatalf("whole %v, bytewise %v", whole, bytewise)
		}
		if borrowed := readAllBorrowed(in, &chunkReader{data: in}); !sameResult(whole, borrowed) {
			t.Fatalf("whole %v, borrowed (SetBorrow) %v", whole, borrowed)
		}
		// Buffered, asked before every read, must be right about whether it reads.
		pr := &probeReader{r: &chunkReader{data: in, rng: rand.New(rand.NewSource(int64(len(in))))}}
		r := NewReader(pr)
		var probed result
		for range len(in) + 2 {
			buffered := r.Buffered()
			pr.read = false
			cmd, err := r.ReadCommand()
			if buffered && pr.read {
				t.Fatalf("Buffered, yet ReadCommand read (%q, %v)", cmd.Args, err)
			}
			if !buffered && !pr.read {
				t.Fatalf("not Buffered, yet ReadCommand did not read (%q, %v)", cmd.Args, err)
			}
			if err != nil {
				probed.err = err
				break
			}
			probed.cmds = append(probed.cmds, cmd)
		}
		if !sameResult(whole, probed) {
			t.Fatalf("whole %v, with Buffered %v", whole, probed)
		}
	})
}

// cycleReader repeats its data forever.
type cycleReader struct {
	data []byte
	off  int
}

func (c *cycleReader) Read(p []byte) (int, error) {
	n := copy(p, c.data[c.off:])
	c.off = (c.off + n) % len(c.data)
	return n, nil
}

// BenchmarkReadCommand reads an endless pipeline; an op is one command.
func BenchmarkReadCommand(b *testing.B) {
	for _, bc := range []struct {
		name string
		cmd  []byte
	}{
		{"set", AppendCommand(nil, "SET", "key:000042", "xxx")},
		{"set-1KiB", AppendCommand(nil, "SET", "key:000042", strings.Repeat("x", 1<<10))},
		{"set-1MiB", AppendCommand(nil, "SET", "key:000042", strings.Repeat("x", 1<<20))},
		{"inline", []byte("SET key:000042 \"x y\"\r\n")},
	} {
		b.Run(bc.name, func(b *testing.B) {
			r := NewReader(&cycleReader{data: bytes.Repeat(bc.cmd, max(1, (64<<10)/len(bc.cmd)))})
			b.SetBytes(int64(len(bc.cmd)))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := r.ReadCommand(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
