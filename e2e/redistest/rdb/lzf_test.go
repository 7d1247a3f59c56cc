package rdb

import (
	"bytes"
	"strings"
	"testing"
)

func TestLZFRoundTrip(t *testing.T) {
	var z lzfCompressor
	for i, tc := range []struct {
		in           []byte
		compressible bool
	}{
		{[]byte("abcabcabcabcabcabcabcabc"), true},
		{[]byte(strings.Repeat("a", 10000)), true}, // overlapping references, longest matches
		{[]byte(strings.Repeat("0123456789", 2000)), true},
		{randomBytes(11, 5000), false},                                   // must give up, not grow
		{append(randomBytes(12, 8000), randomBytes(12, 8000)...), true},  // repeat inside the 8 KiB window
		{append(randomBytes(12, 8300), randomBytes(12, 8300)...), false}, // and just beyond it
		{bytes.Repeat(append(randomBytes(13, 100), "pad"...), 50), true},
	} {
		c := z.compress(tc.in, len(tc.in)-4)
		if c == nil {
			if tc.compressible {
				t.Errorf("input %d (%d bytes) did not compress", i, len(tc.in))
			}
			continue
		}
		if !tc.compressible {
			t.Errorf("input %d: incompressible data compressed to %d of %d bytes", i, len(c), len(tc.in))
		}
		out, err := lzfDecompress(c, len(tc.in))
		if err != nil || !bytes.Equal(out, tc.in) {
			t.Errorf("input %d: round trip failed: %v", i, err)
		}
	}
}

func TestLZFLimit(t *testing.T) {
	var z lzfCompressor
	in := []byte(strings.Repeat("abcd", 100))
	c := z.compress(in, len(in))
	if c == nil {
		t.Fatal("did not compress")
	}
	if z.compress(in, len(c)) == nil {
		t.Errorf("limit %d equal to the output size refused", len(c))
	}
	if got := z.compress(in, len(c)-1); got != nil {
		t.Errorf("limit %d exceeded: got %d bytes", len(c)-1, len(got))
	}
}

func TestLZFDecompressErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   []byte
		n    int
	}{
		{"literal past input", []byte{5, 'a'}, 6},
		{"literal past output", []byte{2, 'a', 'b', 'c'}, 2},
		{"backref before start", []byte{0, 'a', 0x20, 1}, 4},
		{"backref without offset", []byte{0, 'a', 0x20}, 4},
		{"long backref without length", []byte{0, 'a', 0xe0}, 12},
		{"backref past output", []byte{0, 'a', 0x20, 0}, 3},
		{"short output", []byte{0, 'a'}, 2},
		{"empty input, nonzero output", nil, 1},
	} {
		if out, err := lzfDecompress(tc.in, tc.n); err == nil {
			t.Errorf("%s: got %q, want an error", tc.name, out)
		}
	}
	// A reference of distance 1 repeats the last byte: the overlapping case.
	out, err := lzfDecompress([]byte{0, 'a', 0xe0, 3, 0}, 13)
	if err != nil || string(out) != strings.Repeat("a", 13) {
		t.Errorf("overlapping reference: %q, %v", out, err)
	}
}
