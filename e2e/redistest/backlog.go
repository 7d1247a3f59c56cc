package redistest

// backlog is the replication backlog: the last size bytes of the replication stream, kept
// so a replica that lost its link can continue from its offset instead of a full resync.
// It is a ring; end is the replication offset of the last byte written.
type backlog struct {
	buf     []byte
	next    int   // ring index of the next byte to write
	histlen int64 // bytes held, at most len(buf)
	end     int64 // offset of the last byte held
}

// newBacklog starts an empty backlog whose first byte will carry offset end+1.
func newBacklog(size int64, end int64) *backlog {
	return &backlog{buf: make([]byte, size), end: end}
}

func (b *backlog) write(p []byte) {
	b.end += int64(len(p))
	if len(p) >= len(b.buf) {
		p = p[len(p)-len(b.buf):]
		copy(b.buf, p)
		b.next = 0
		b.histlen = int64(len(b.buf))
		return
	}
	n := copy(b.buf[b.next:], p)
	copy(b.buf, p[n:])
	b.next = (b.next + len(p)) % len(b.buf)
	b.histlen = min(b.histlen+int64(len(p)), int64(len(b.buf)))
}

// first is the offset of the oldest byte held (repl_backlog_first_byte_offset).
func (b *backlog) first() int64 { return b.end - b.histlen + 1 }

// since returns the bytes from offset on, and whether the backlog still holds them.
// offset end+1 is valid and yields nothing: the replica is fully caught up.
func (b *backlog) since(offset int64) ([]byte, bool) {
	if offset < b.first() || offset > b.end+1 {
		return nil, false
	}
	n := int(b.end - offset + 1)
	out := make([]byte, n)
	start := (b.next - n + len(b.buf)) % len(b.buf)
	k := copy(out, b.buf[start:min(start+n, len(b.buf))])
	copy(out[k:], b.buf[:n-k])
	return out, true
}

// resize keeps the newest bytes that fit in size.
func (b *backlog) resize(size int64) {
	if size == int64(len(b.buf)) {
		return
	}
	keep, _ := b.since(b.first())
	nb := newBacklog(size, b.end-int64(len(keep)))
	nb.write(keep)
	*b = *nb
}
