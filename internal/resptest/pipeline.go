package resptest

import (
	"bytes"
	"io"
	"net"
	"testing"
	"time"
)

// Pipeline runs b.N requests req over one TCP connection to addr, depth of them written
// at once before their replies are read, and fails b unless each reply is exactly want.
// An op is one request.
func Pipeline(b *testing.B, addr string, req, want []byte, depth int) {
	b.Helper()
	nc, err := net.DialTimeout("tcp", addr, 10*time.Second)
	if err != nil {
		b.Fatal(err)
	}
	defer nc.Close()
	reqs := bytes.Repeat(req, depth)
	wants := bytes.Repeat(want, depth)
	got := make([]byte, len(wants))
	round := func(n int) {
		if _, err := nc.Write(reqs[:n*len(req)]); err != nil {
			b.Fatal(err)
		}
		if _, err := io.ReadFull(nc, got[:n*len(want)]); err != nil {
			b.Fatal(err)
		}
	}
	// One round before the timer, checked, so the benchmark measures the right answer.
	nc.SetDeadline(time.Now().Add(10 * time.Second))
	round(depth)
	if !bytes.Equal(got, wants) {
		b.Fatalf("replies %q, want %q", got, wants)
	}
	nc.SetDeadline(time.Time{})
	b.ReportAllocs()
	b.ResetTimer()
	for left := b.N; left > 0; left -= depth {
		round(min(left, depth))
	}
	b.StopTimer()
	if !bytes.Equal(got[:len(want)], want) {
		b.Fatalf("a reply of the last round: %q, want %q", got[:len(want)], want)
	}
}
