package resp

import (
	"bytes"
	"errors"
	"io"
	"math/rand"
	"reflect"
	"runtime"
	"strings"
	"testing"
	"time"
)

// readAll reads every request from r until an error, returning the requests and the error.
func readAll(r *Reader) ([]Command, error) {
	var cmds []Command
	for i := 0; i < 10000; i++ {
		cmd, err := r.ReadCommand()
		if err != nil {
			return cmds, err
		}
		cmds = append(cmds, cmd)
	}
	return cmds, errors.New("too many commands")
}

func argStrings(cmds []Command) [][]string {
	var out [][]string
	for _, c := range cmds {
		var a []string
		for _, arg := range c.Args {
			a = append(a, string(arg))
		}
		out = append(out, a)
	}
	return out
}

func TestReadCommand(t *testing.T) {
	tests := []struct {
		in   string
		want [][]string
		err  string // "" means io.EOF after the commands
	}{
		{"*1\r\n$4\r\nPING\r\n", [][]string{{"PING"}}, ""},
		{"*2\r\n$3\r\nGET\r\n$0\r\n\r\n", [][]string{{"GET", ""}}, ""},
		{"*0\r\n*-1\r\n*1\r\n$1\r\na\r\n", [][]string{{"a"}}, ""},
		{"PING\r\nset a b\n\r\n   \n", [][]string{{"PING"}, {"set", "a", "b"}}, ""},
		{`set "a b" 'c d'` + "\n", [][]string{{"set", "a b", "c d"}}, ""},
		{`x "\x41\n\"" 'it\'s'` + "\n", [][]string{{"x", "A\n\"", "it's"}}, ""},
		{`x ""` + "\n", [][]string{{"x", ""}}, ""},
		{`x "a"b` + "\n", nil, "Protocol error: unbalanced quotes in request"},
		{`x "ab` + "\n", nil, "Protocol error: unbalanced quotes in request"},
		{`x 'ab` + "\n", nil, "Protocol error: unbalanced quotes in request"},
		{"*x\r\n", nil, "Protocol error: invalid multibulk length"},
		{"*1\n", nil, "Protocol error: invalid multibulk length"},
		{"*3000000000\r\n", nil, "Protocol error: invalid multibulk length"},
		{"*1\r\n$-1\r\n", nil, "Protocol error: invalid bulk length"},
		{"*1\r\n$536870913\r\n", nil, "Protocol error: invalid bulk length"},
		{"*1\r\n$x\r\n", nil, "Protocol error: invalid bulk length"},
		{"*1\r\n:1\r\n", nil, "Protocol error: expected '$', got ':'"},
		{"*1\r\n$1\r\na\r\n*1\r\n$1\r\n", [][]string{{"a"}}, io.ErrUnexpectedEOF.Error()},
		{"*1" + strings.Repeat("1", 70000), nil, "Protocol error: too big mbulk count string"},
		{"*1\r\n$1" + strings.Repeat("1", 70000), nil, "Protocol error: too big bulk count string"},
		{strings.Repeat("a", 70000), nil, "Protocol error: too big inline request"},
	}
	for _, tt := range tests {
		for name, src := range map[string]func() io.Reader{
			"whole":    func() io.Reader { return strings.NewReader(tt.in) },
			"bytewise": func() io.Reader { return &chunkReader{data: []byte(tt.in), rng: nil} },
			"chunked":  func() io.Reader { return &chunkReader{data: []byte(tt.in), rng: rand.New(rand.NewSource(7))} },
		} {
			cmds, err := readAll(NewReader(src()))
			if got := argStrings(cmds); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("%q (%s): commands %q, want %q", tt.in, name, got, tt.want)
			}
			want := tt.err
			if want == "" {
				want = io.EOF.Error()
			}
			if err == nil || err.Error() != want {
				t.Errorf("%q (%s): error %v, want %s", tt.in, name, err, want)
			}
			if strings.HasPrefix(want, "Protocol error") && !errors.Is(err, ErrProtocol) {
				t.Errorf("%q (%s): %v does not wrap ErrProtocol", tt.in, name, err)
			}
		}
	}
}

// chunkReader returns its data in random chunks, or one byte at a time when rng is nil.
type chunkReader struct {
	data []byte
	rng  *rand.Rand
}

func (c *chunkReader) Read(p []byte) (int, error) {
	if len(c.data) == 0 {
		return 0, io.EOF
	}
	n := 1
	if c.rng != nil {
		n = 1 + c.rng.Intn(64)
	}
	n = min(n, len(p), len(c.data))
	copy(p, c.data[:n])
	c.data = c.data[n:]
	return n, nil
}

// TestRawReproducesStream checks the property replication offsets rely on: the Raw bytes of
// consecutive requests are exactly the stream.
func TestRawReproducesStream(t *testing.T) {
	var stream []byte
	rng := rand.New(rand.NewSource(1))
	for i := 0; i < 300; i++ {
		args := make([][]byte, 1+rng.Intn(4))
		for j := range args {
			args[j] = make([]byte, rng.Intn(100))
			rng.Read(args[j])
		}
		stream = AppendCommand(stream, args...)
	}
	cmds, err := readAll(NewReader(&chunkReader{data: stream, rng: rng}))
	if err != io.EOF || len(cmds) != 300 {
		t.Fatalf("read %d commands, err %v", len(cmds), err)
	}
	var raw []byte
	for _, c := range cmds {
		raw = append(raw, c.Raw...)
		if again := AppendCommand(nil, c.Args...); !bytes.Equal(again, c.Raw) {
			t.Fatalf("Args do not re-encode to Raw: %q vs %q", again, c.Raw)
		}
	}
	if !bytes.Equal(raw, stream) {
		t.Fatal("concatenated Raw differs from the stream")
	}
}

func TestBuffered(t *testing.T) {
	r := NewReader(strings.NewReader("*1\r\n$1\r\na\r\n*0\r\n*1\r\n$1\r\nb\r\n*1\r\n$1\r\n"))
	if r.Buffered() {
		t.Fatal("Buffered before any read")
	}
	if cmd, err := r.ReadCommand(); err != nil || string(cmd.Args[0]) != "a" {
		t.Fatalf("first: %v %v", cmd, err)
	}
	if !r.Buffered() {
		t.Fatal("the second request is buffered")
	}
	if cmd, err := r.ReadCommand(); err != nil || string(cmd.Args[0]) != "b" {
		t.Fatalf("second: %v %v", cmd, err)
	}
	if r.Buffered() {
		t.Fatal("a partial request is not a buffered one")
	}
	bad := NewReader(strings.NewReader("*1\r\n$1\r\na\r\n*x\r\n"))
	bad.ReadCommand()
	if !bad.Buffered() {
		t.Fatal("a buffered protocol error should report Buffered")
	}
}

// blockingReader hands out its data, then blocks until closed: a client that declared more
// than it sent.
type blockingReader struct {
	data []byte
	done chan struct{}
}

func (b *blockingReader) Read(p []byte) (int, error) {
	if len(b.data) > 0 {
		n := copy(p, b.data)
		b.data = b.data[n:]
		return n, nil
	}
	<-b.done
	return 0, io.EOF
}

// TestHostileHeaders: declared sizes cost nothing until the bytes arrive.
func TestHostileHeaders(t *testing.T) {
	for _, in := range []string{"*2000000000\r\n$0\r\n\r\n", "*3\r\n$536870912\r\n" + strings.Repeat("x", 100)} {
		src := &blockingReader{data: []byte(in), done: make(chan struct{})}
		r := NewReader(src)
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		result := make(chan error, 1)
		go func() {
			_, err := r.ReadCommand()
			result <- err
		}()
		// The reader must be waiting for bytes, not burning CPU or memory: Buffered on the
		// same state answers at once.
		probe := NewReader(strings.NewReader(in))
		start := time.Now()
		if probe.Buffered() {
			t.Fatalf("%.20q: Buffered true for an incomplete request", in)
		}
		if d := time.Since(start); d > 100*time.Millisecond {
			t.Fatalf("%.20q: parsing the buffered part took %v", in, d)
		}
		close(src.done)
		select {
		case err := <-result:
			if err != io.ErrUnexpectedEOF {
				t.Fatalf("%.20q: %v, want io.ErrUnexpectedEOF", in, err)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("%.20q: ReadCommand did not return after EOF", in)
		}
		runtime.ReadMemStats(&after)
		if grown := after.TotalAlloc - before.TotalAlloc; grown > 10<<20 {
			t.Fatalf("%.20q: allocated %d bytes", in, grown)
		}
	}
}

func FuzzReadCommand(f *testing.F) {
	for _, seed := range []string{
		"*1\r\n$4\r\nPING\r\n",
		"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\nGET k\r\n",
		`set "a\x41 b" 'c\'d'` + "\n",
		"*2000000000\r\n$0\r\n",
		"*1\r\n$536870913\r\n",
		"*0\r\n\r\n*-5\r\n",
		"*1\r\n:1\r\n",
		`"unbalanced` + "\n",
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		r := NewReader(bytes.NewReader(in))
		consumed := 0
		for i := 0; i < 1000; i++ {
			cmd, err := r.ReadCommand()
			if err != nil {
				break
			}
			consumed += len(cmd.Raw)
			if consumed > len(in) {
				t.Fatalf("Raw lengths exceed the input: %d > %d", consumed, len(in))
			}
			again, err := NewReader(bytes.NewReader(AppendCommand(nil, cmd.Args...))).ReadCommand()
			if err != nil || !reflect.DeepEqual(argStrings([]Command{again}), argStrings([]Command{cmd})) {
				t.Fatalf("re-encoded %q parsed as %q, %v", cmd.Args, again.Args, err)
			}
		}
	})
}

func BenchmarkReadCommand(b *testing.B) {
	var stream []byte
	for i := 0; i < 100; i++ {
		stream = AppendCommand(stream, "SET", "key:000042", "xxx")
	}
	b.ReportAllocs()
	b.SetBytes(int64(len(stream)))
	for i := 0; i < b.N; i++ {
		r := NewReader(bytes.NewReader(stream))
		for j := 0; j < 100; j++ {
			if _, err := r.ReadCommand(); err != nil {
				b.Fatal(err)
			}
		}
	}
}
