package redistest

import (
	"bytes"
	"math/rand"
	"testing"
)

// TestBacklogMatchesStream writes a random stream through a small ring and checks, after
// every write, that every offset the backlog claims to hold returns exactly the stream's
// bytes from there on, and that older offsets are refused.
func TestBacklogMatchesStream(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	const size = 64
	start := int64(1000)
	b := newBacklog(size, start)
	var stream []byte // every byte written; stream[i] has offset start+1+i
	for step := 0; step < 500; step++ {
		p := make([]byte, rng.Intn(3*size/2))
		rng.Read(p)
		b.write(p)
		stream = append(stream, p...)
		end := start + int64(len(stream))
		if b.end != end {
			t.Fatalf("step %d: end = %d, want %d", step, b.end, end)
		}
		if want := min(int64(len(stream)), size); b.histlen != want {
			t.Fatalf("step %d: histlen = %d, want %d", step, b.histlen, want)
		}
		for off := b.first(); off <= end+1; off++ {
			got, ok := b.since(off)
			if !ok || !bytes.Equal(got, stream[off-start-1:]) {
				t.Fatalf("step %d: since(%d) = %v, %v", step, off, ok, got)
			}
		}
		if _, ok := b.since(b.first() - 1); ok && b.first() > start+1 {
			t.Fatalf("step %d: an offset older than the backlog was served", step)
		}
		if _, ok := b.since(end + 2); ok {
			t.Fatalf("step %d: a future offset was served", step)
		}
	}
	b.resize(16)
	got, ok := b.since(b.first())
	if !ok || b.first() != start+int64(len(stream))-15 || !bytes.Equal(got, stream[len(stream)-16:]) {
		t.Fatalf("after resize: first=%d ok=%v", b.first(), ok)
	}
}
