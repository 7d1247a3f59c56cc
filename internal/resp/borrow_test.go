package resp

import (
	"bytes"
	"io"
	"strings"
	"testing"
)

// readAllBorrowed reads in as readAll does, but with the Reader lending its memory
// (SetBorrow). Each command is copied before the next call, the one thing a borrower
// must do, and checked again after a Buffered call, which must not disturb it either.
func readAllBorrowed(in []byte, src io.Reader) result {
	r := NewReader(src)
	r.SetBorrow(true)
	var res result
	for range len(in) + 2 {
		cmd, err := r.ReadCommand()
		if err != nil {
			res.err = err
			return res
		}
		own := Command{Raw: bytes.Clone(cmd.Raw)}
		for _, a := range cmd.Args {
			own.Args = append(own.Args, bytes.Clone(a))
		}
		res.cmds = append(res.cmds, own)
	}
	return res
}

func TestBorrowedSameAsOwned(t *testing.T) {
	for _, tt := range readCases {
		in := []byte(tt.in)
		owned := readAll(t, in, bytes.NewReader(in))
		for _, src := range []io.Reader{bytes.NewReader(in), &chunkReader{data: in}} {
			if got := readAllBorrowed(in, src); !sameResult(owned, got) {
				t.Errorf("%.60q: borrowed %v, owned %v", tt.in, got, owned)
			}
		}
	}
}

// A lent command holds until the next call, across the parsing of the next request.
func TestBorrowedHoldsUntilNextCall(t *testing.T) {
	in := "SET a \"x y\"\r\n*2\r\n$3\r\nGET\r\n$1\r\nb\r\nPING 'q'\r\n"
	r := NewReader(strings.NewReader(in))
	r.SetBorrow(true)
	for _, want := range [][]string{{"SET", "a", "x y"}, {"GET", "b"}, {"PING", "q"}} {
		cmd, err := r.ReadCommand()
		if err != nil {
			t.Fatal(err)
		}
		if got := argStrings([]Command{cmd})[0]; strings.Join(got, " ") != strings.Join(want, " ") {
			t.Fatalf("args %q, want %q", got, want)
		}
	}
}

// With SetBorrow, reading a pipeline allocates nothing per request.
func TestBorrowedAllocatesNothing(t *testing.T) {
	for _, cmd := range [][]byte{AppendCommand(nil, "SENTINEL", "get-master-addr-by-name", "m1"), []byte("PING\r\n")} {
		r := NewReader(&cycleReader{data: bytes.Repeat(cmd, 64)})
		r.SetBorrow(true)
		if _, err := r.ReadCommand(); err != nil { // the first read allocates the buffer
			t.Fatal(err)
		}
		allocs := testing.AllocsPerRun(1000, func() {
			if _, err := r.ReadCommand(); err != nil {
				t.Fatal(err)
			}
			r.Buffered()
		})
		if allocs != 0 {
			t.Errorf("%q: %v allocations per request, want 0", cmd, allocs)
		}
	}
}
