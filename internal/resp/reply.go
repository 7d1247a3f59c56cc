package resp

import "io"

// Limits on the replies a ReplyReader accepts. The servers a sentinel talks to are Redis
// instances and peer sentinels; their largest reply is an INFO of a few KiB, so these only
// keep a broken or hostile peer from costing more than the bytes it sends.
const (
	// maxReplyDepth bounds array nesting (a sentinel's deepest reply, SENTINEL REPLICAS'
	// flat maps inside an array, is 2).
	maxReplyDepth = 32
	// replyBuffer is a fresh buffer's size: a PONG, an +OK or a hello message fits.
	replyBuffer = 512
	// maxIdleReply is the largest buffer kept once emptied: an INFO reply grows the buffer
	// for itself, and the memory goes back as soon as it is decoded, so an idle link holds
	// no more than a small read buffer.
	maxIdleReply = 2 << 10
)

// ErrorReply is an error reply's text, without the leading '-' ("ERR unknown command ...",
// "WRONGPASS ..."), as go-redis's proto.RedisError carries it. Inside an array it stands
// for the element.
type ErrorReply string

func (e ErrorReply) Error() string { return string(e) }

var (
	errReplyDepth   = protocolError("reply nested too deep")
	errReplyType    = protocolError("invalid reply type")
	errReplyLen     = protocolError("invalid reply length")
	errReplyInteger = protocolError("invalid integer reply")
	errReplyLine    = protocolError("too big reply line")
	errReplyBulk    = protocolError("invalid bulk reply terminator")
)

// ReplyReader reads RESP2 replies, as a client of a Redis server does: simple strings,
// errors, integers, bulk strings, nulls and arrays of them, nested.
//
// Like Reader it trusts no declared size: a reply is framed as its bytes arrive, the scan
// resuming where the last read left it, so each read costs work in proportion to what it
// delivered, and it is decoded only once whole, into values at most a few times the size
// of its bytes. Its buffer starts small, grows for a large reply and is let go of once the
// reply is decoded.
type ReplyReader struct {
	rd  io.Reader
	buf []byte
	// buf[start:end] is received and not yet returned; buf[start] begins a reply.
	start, end int
	err        error // a protocol error or the read error that ended the stream
	readErr    error // came with the last bytes read; returned when more are wanted

	// The framing of the reply at buf[start:], as far as it has been scanned.
	scanned int   // bytes of it known to form whole elements or headers
	open    []int // elements still due in each array opened and not yet whole
	lineAt  int   // where the search for the current line's end resumes
}

// NewReplyReader returns a ReplyReader reading from r.
func NewReplyReader(r io.Reader) *ReplyReader { return &ReplyReader{rd: r} }

// ReadReply returns the next reply: string for simple and bulk strings, int64 for integers,
// []any for arrays, nil for a null bulk string or array, ErrorReply for an error reply (also
// inside arrays). These are the values go-redis's Cmd.Result gives, the error reply being
// its error. A malformed reply returns an error wrapping ErrProtocol and the end of input
// io.EOF (io.ErrUnexpectedEOF inside a reply); either ends the stream, and every later call
// returns it again.
func (r *ReplyReader) ReadReply() (any, error) {
	for {
		if r.err != nil {
			return nil, r.err
		}
		ok, err := r.scan()
		if err != nil {
			r.fail(err)
			return nil, err
		}
		if ok {
			return r.take(), nil
		}
		if err := r.fill(); err != nil {
			if err == io.EOF && r.start < r.end {
				err = io.ErrUnexpectedEOF
			}
			r.fail(err)
			return nil, err
		}
	}
}

func (r *ReplyReader) fail(err error) {
	*r = ReplyReader{rd: r.rd, err: err}
}

// scan frames the reply at buf[start:] on from where it stopped and reports whether it is
// whole. Each pass consumes scanned bytes, so the work of all scans of one reply is linear
// in its size whatever the reads' sizes.
func (r *ReplyReader) scan() (bool, error) {
	b := r.buf[r.start:r.end]
	for {
		line, n, err := r.line(b[r.scanned:])
		if n == 0 || err != nil {
			return false, err
		}
		if len(line) == 0 {
			return false, errReplyType
		}
		done := true // the line is a whole element
		switch line[0] {
		case '+', '-':
		case ':':
			if _, ok := parseInt(line[1:]); !ok {
				return false, errReplyInteger
			}
		case '$':
			size, ok := parseInt(line[1:])
			if !ok || size < -1 || size > maxBulk {
				return false, errReplyLen
			}
			if size >= 0 {
				if int64(len(b)-r.scanned-n) < size+2 {
					return false, nil // the header is scanned again with the payload: cheap
				}
				end := r.scanned + n + int(size)
				if b[end] != '\r' || b[end+1] != '\n' {
					return false, errReplyBulk
				}
				n += int(size) + 2
			}
		case '*':
			count, ok := parseInt(line[1:])
			if !ok || count < -1 || count > maxArgs {
				return false, errReplyLen
			}
			if count > 0 {
				if len(r.open) == maxReplyDepth {
					return false, errReplyDepth
				}
				r.open = append(r.open, int(count))
				done = false
			}
		default:
			return false, errReplyType
		}
		r.scanned += n
		r.lineAt = 0
		for done && len(r.open) > 0 {
			top := len(r.open) - 1
			r.open[top]--
			if done = r.open[top] == 0; done {
				r.open = r.open[:top]
			}
		}
		if done {
			return true, nil
		}
	}
}

// line returns the line b starts with, without its CRLF, and its length with it; n is 0
// while the line is not whole. The search resumes where the last one stopped.
func (r *ReplyReader) line(b []byte) (line []byte, n int, err error) {
	for i := max(r.lineAt, 1); i < len(b); i++ {
		if b[i] == '\n' && b[i-1] == '\r' {
			return b[:i-1], i + 1, nil
		}
	}
	if len(b) > maxLine {
		return nil, 0, errReplyLine
	}
	if len(b) > 0 {
		r.lineAt = len(b)
	}
	return nil, 0, nil
}

// take decodes the whole reply at buf[start:start+scanned] and moves past it.
func (r *ReplyReader) take() any {
	b := r.buf[r.start : r.start+r.scanned]
	v, rest := decodeReply(b)
	if len(rest) != 0 {
		panic("resp: a scanned reply decoded short")
	}
	r.start += r.scanned
	r.scanned, r.lineAt = 0, 0
	if r.start == r.end {
		r.start, r.end = 0, 0
		if cap(r.buf) > maxIdleReply {
			r.buf = nil
		}
	}
	return v
}

// decodeReply decodes one reply that scan found whole and well formed.
func decodeReply(b []byte) (any, []byte) {
	i := 1 // the line ends at its first CRLF, as scan found it
	for b[i] != '\r' || b[i+1] != '\n' {
		i++
	}
	body, rest := b[1:i], b[i+2:]
	switch b[0] {
	case '+':
		return string(body), rest
	case '-':
		return ErrorReply(body), rest
	case ':':
		n, _ := parseInt(body)
		return n, rest
	case '$':
		n, _ := parseInt(body)
		if n < 0 {
			return nil, rest
		}
		return string(rest[:n]), rest[n+2:]
	}
	n, _ := parseInt(body)
	if n < 0 {
		return nil, rest
	}
	arr := make([]any, n)
	for j := range arr {
		arr[j], rest = decodeReply(rest)
	}
	return arr, rest
}

// fill reads more bytes, making room first: the unread part moves to the front, and the
// buffer doubles only when a reply outgrows it.
func (r *ReplyReader) fill() error {
	if r.readErr != nil {
		return r.readErr
	}
	switch {
	case r.buf == nil:
		r.buf = make([]byte, replyBuffer)
	case r.end < len(r.buf):
	case r.start > 0:
		r.end = copy(r.buf, r.buf[r.start:r.end])
		r.start = 0
	default:
		r.buf = append(r.buf, make([]byte, len(r.buf))...)
	}
	// io.Reader allows empty reads without an error; give up after a few, as bufio does.
	for tries := 0; tries < maxEmptyReads; tries++ {
		n, err := r.rd.Read(r.buf[r.end:])
		r.end += n
		r.readErr = err
		if n > 0 {
			return nil
		}
		if err != nil {
			return err
		}
	}
	return io.ErrNoProgress
}
