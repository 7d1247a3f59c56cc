package resp

import (
	"bytes"
	"strings"
	"testing"
)

// TestUnauthLimits: Redis 7.0's limits for a client that has not authenticated, with its
// exact texts (checked against redis-sentinel 7.0.15 in endpoint's limits test), the
// limit itself allowed, and the order of checks: a count or length invalid for anybody
// gets the general error first.
func TestUnauthLimits(t *testing.T) {
	for _, tc := range []struct{ in, err string }{
		{"*11\r\n", "Protocol error: unauthenticated multibulk length"},
		{"*100000\r\n", "Protocol error: unauthenticated multibulk length"},
		{"*-1\r\n*0\r\n*11\r\n", "Protocol error: unauthenticated multibulk length"},
		{"*3000000000\r\n", "Protocol error: invalid multibulk length"},
		{"*10\r\n$16385\r\n", "Protocol error: unauthenticated bulk length"},
		{"*1\r\n$600000000\r\n", "Protocol error: invalid bulk length"},
		{"*1\r\n$16384\r\n", "unexpected EOF"},
		{"*10\r\n", "unexpected EOF"},
	} {
		r := NewReader(strings.NewReader(tc.in))
		r.SetUnauthLimits(10, 16384)
		_, err := r.ReadCommand()
		if err == nil || err.Error() != tc.err {
			t.Errorf("%q: got %v, want %s", tc.in, err, tc.err)
		}
	}
	// Lifted, the same requests are merely incomplete.
	r := NewReader(strings.NewReader("*100000\r\n"))
	r.SetUnauthLimits(10, 16384)
	r.SetUnauthLimits(0, 0)
	if _, err := r.ReadCommand(); err == nil || err.Error() != "unexpected EOF" {
		t.Errorf("lifted: got %v", err)
	}
}

// TestUnauthBulkNotBuffered: a 3 MiB bulk from an unauthenticated client is refused from
// its header; the reader takes no more from the connection than one initial buffer.
func TestUnauthBulkNotBuffered(t *testing.T) {
	in := append([]byte("*1\r\n$3145728\r\n"), bytes.Repeat([]byte("x"), 3<<20)...)
	src := &countingReader{r: bytes.NewReader(in)}
	r := NewReader(src)
	r.SetUnauthLimits(10, 16384)
	if _, err := r.ReadCommand(); err == nil || err.Error() != "Protocol error: unauthenticated bulk length" {
		t.Fatalf("got %v", err)
	}
	if src.n > initialBuffer {
		t.Fatalf("read %d bytes of the payload's %d", src.n, len(in))
	}
	if r.buf != nil {
		t.Fatalf("the poisoned reader keeps a %d-byte buffer", len(r.buf))
	}
}
