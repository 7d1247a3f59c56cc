package resp

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"

	"github.com/sentinel-go/sentinel/internal/splitargs"
)

// Redis 7.0's request limits (networking.c, server.h).
const (
	// maxLine is PROTO_INLINE_MAX_SIZE: how long an inline request, or a multibulk or bulk
	// header, may grow before Redis gives up waiting for its end.
	maxLine = 64 << 10
	// maxBulk is proto-max-bulk-len's default.
	maxBulk = 512 << 20
	// maxArgs is INT_MAX, the largest multibulk count Redis accepts.
	maxArgs = math.MaxInt32
)

const (
	initialBuffer = 16 << 10
	// An emptied buffer larger than this, and well beyond what recent requests needed, is
	// replaced by a fresh small one: a single 512 MiB SET must not pin a 1 GiB buffer for
	// the rest of the connection's life, but a client that keeps sending big values should
	// not pay for regrowing the buffer every time either.
	maxIdleBuffer = 1 << 20
	// Above this many offsets the spans of a huge request are dropped once it is returned,
	// for the same reason.
	maxIdleSpans = 1 << 12
	// io.Reader allows empty reads without an error; like bufio, give up after this many.
	maxEmptyReads = 100
)

// ErrProtocol is wrapped by every error about a malformed request. The error texts are
// Redis's, so a server replies "-ERR " + err.Error() and closes the connection, as Redis
// does: nothing after a malformed request can be framed with confidence.
var ErrProtocol = errors.New("Protocol error") //lint:ignore ST1005 Redis's reply text

var (
	errMultibulkLen = protocolError("invalid multibulk length")
	errBulkLen      = protocolError("invalid bulk length")
	errInlineTooBig = protocolError("too big inline request")
	errMbulkTooBig  = protocolError("too big mbulk count string")
	errBulkTooBig   = protocolError("too big bulk count string")
	errUnbalanced   = protocolError("unbalanced quotes in request")
	// Redis 7.0 refuses these to a client that has not authenticated (CVE-2021-32675).
	errUnauthMultibulk = protocolError("unauthenticated multibulk length")
	errUnauthBulk      = protocolError("unauthenticated bulk length")
)

func protocolError(msg string) error { return fmt.Errorf("%w: %s", ErrProtocol, msg) }

// errExpectedDollar reports the byte found where a bulk header should start. The byte goes
// into the text raw, as Redis's %c puts it; Writer.Error turns CR and LF into spaces, as
// Redis's error replies do.
func errExpectedDollar(c byte) error {
	return fmt.Errorf("%w: expected '$', got '%s'", ErrProtocol, []byte{c})
}

// Command is one request: its arguments and its exact bytes on the wire.
//
// Raw is what a replica adds to its replication offset and passes on to its own replicas.
// Requests Redis skips as empty ("*0", "*-1", blank lines) are part of no Command. Args
// share Raw's allocation (an inline request's unescaped arguments follow its Raw there);
// both belong to the caller, and the Reader never touches them again.
type Command struct {
	Args [][]byte
	Raw  []byte
}

// Reader reads requests the way Redis 7.0 frames them: multibulk arrays of bulk strings,
// and the inline commands people type into telnet.
//
// A Reader trusts no declared size. Memory grows with the bytes received, and a request is
// parsed as its bytes arrive, with its progress kept between reads, so each read costs work
// in proportion to what it delivered: a header such as "*2000000000" or "$536870912" costs
// nothing until the arguments it announces really arrive.
type Reader struct {
	rd  io.Reader
	buf []byte
	// buf[start:end] is received and not yet returned; buf[start] begins a request.
	start, end int
	// readErr came with the last bytes read, and is returned when more are wanted.
	readErr error
	// err is the protocol error that poisoned the Reader.
	err error

	// The request at buf[start:], as far as it has been parsed.
	parsed   int   // its bytes parsed so far
	argsLeft int   // multibulk arguments not yet parsed; 0 between requests
	bulkLen  int   // length of the argument whose header was parsed, or -1
	spans    []int // start and end offset of each argument parsed so far
	inline   bool  // it is an inline request; spans then index unquoted
	complete bool  // all of its parsed bytes form one whole request
	unquoted []byte

	// peak is the size of recent requests: the largest, decaying by a quarter with each
	// request since.
	peak int

	// unauthArgs and unauthBulk, when positive, bound what a request may announce.
	unauthArgs, unauthBulk int

	// borrow makes take return views of buf and unquoted, reusing args (SetBorrow).
	borrow bool
	args   [][]byte
}

// NewReader returns a Reader reading requests from r.
func NewReader(r io.Reader) *Reader {
	return &Reader{rd: r, bulkLen: -1}
}

// SetUnauthLimits bounds the multibulk count and the bulk lengths later headers may
// announce, as Redis bounds them for a client that has not authenticated: a larger one is
// a protocol error ("unauthenticated multibulk length", "unauthenticated bulk length")
// found in the header, before any of the payload is buffered. Zero lifts a limit. A
// server sets them before each request, from the client's state at that point.
func (r *Reader) SetUnauthLimits(args, bulk int) {
	r.unauthArgs, r.unauthBulk = args, bulk
}

// SetBorrow says whether later Commands borrow the Reader's memory instead of owning a
// copy: a borrowed Command's Args and Raw stay valid only until the next call of
// ReadCommand or Buffered, and a server that reads this way allocates nothing per request.
// A caller that keeps an argument past that copies it.
func (r *Reader) SetBorrow(on bool) { r.borrow = on }

// ReadCommand returns the next request, reading until a whole one has arrived. Requests
// Redis skips as empty are skipped.
//
// The end of input is io.EOF between requests and io.ErrUnexpectedEOF inside one. Other
// read errors are returned as they come and leave the Reader intact, so a caller may carry
// on after a read deadline. A malformed request returns an error wrapping ErrProtocol,
// and so does every later call.
func (r *Reader) ReadCommand() (Command, error) {
	for {
		if r.err != nil {
			return Command{}, r.err
		}
		ok, err := r.parse()
		if err != nil {
			r.poison(err)
			return Command{}, err
		}
		if ok {
			return r.take(), nil
		}
		if err := r.fill(); err != nil {
			if err == io.EOF && r.start < r.end {
				err = io.ErrUnexpectedEOF
			}
			return Command{}, err
		}
	}
}

// Buffered reports whether ReadCommand would return without reading: a whole request, or
// a malformed one, is already buffered. A server uses it to run a pipeline as one batch
// without ever blocking halfway through the batch, as Redis runs a read's worth of
// requests in one event-loop turn.
func (r *Reader) Buffered() bool {
	if r.err != nil || r.readErr != nil {
		return true
	}
	ok, err := r.parse()
	if err != nil {
		r.poison(err)
		return true
	}
	return ok
}

// poison keeps err for every later call, and lets go of the buffers: nothing more will be
// read.
func (r *Reader) poison(err error) {
	*r = Reader{rd: r.rd, err: err, unauthArgs: r.unauthArgs, unauthBulk: r.unauthBulk, borrow: r.borrow}
}

// parse carries the request at buf[start:] on as far as the buffered bytes allow, skipping
// empty requests, and reports whether a whole request is buffered. Every pass of its loops
// consumes buffered bytes, so its work is bounded by what has arrived, whatever a header
// declares.
func (r *Reader) parse() (bool, error) {
	for !r.complete {
		b := r.buf[r.start:r.end]
		if r.argsLeft == 0 {
			if len(b) == 0 {
				return false, nil
			}
			if b[0] != '*' {
				n, err := r.parseInline(b)
				if n == 0 || err != nil {
					return false, err
				}
				if len(r.spans) == 0 {
					r.start += n // a blank line
					continue
				}
				r.parsed, r.inline, r.complete = n, true, true
				break
			}
			line, n, err := header(b, errMbulkTooBig)
			if n == 0 || err != nil {
				return false, err
			}
			count, ok := parseInt(line[1:])
			if !ok || count > maxArgs {
				return false, errMultibulkLen
			}
			if r.unauthArgs > 0 && count > int64(r.unauthArgs) {
				return false, errUnauthMultibulk
			}
			if count <= 0 {
				r.start += n
				continue
			}
			r.parsed, r.argsLeft, r.bulkLen = n, int(count), -1
		}
		for r.argsLeft > 0 {
			rest := b[r.parsed:]
			if r.bulkLen < 0 {
				line, n, err := header(rest, errBulkTooBig)
				if n == 0 || err != nil {
					return false, err
				}
				if rest[0] != '$' {
					return false, errExpectedDollar(rest[0])
				}
				size, ok := parseInt(line[1:])
				if !ok || size < 0 || size > maxBulk {
					return false, errBulkLen
				}
				if r.unauthBulk > 0 && size > int64(r.unauthBulk) {
					return false, errUnauthBulk
				}
				r.parsed += n
				r.bulkLen = int(size)
				rest = rest[n:]
			}
			// Redis skips the two bytes after an argument without looking at them, so we do
			// too: a stream Redis accepts must frame, and count into offsets, the same here.
			if len(rest) < r.bulkLen+2 {
				return false, nil
			}
			r.spans = append(r.spans, r.parsed, r.parsed+r.bulkLen)
			r.parsed += r.bulkLen + 2
			r.bulkLen = -1
			r.argsLeft--
		}
		r.complete = true
	}
	return true, nil
}

// take returns the whole request parse found, copied out of the read buffer unless the
// Reader lends it (SetBorrow): only the next fill moves buf's bytes, and only the next
// parse rewrites unquoted, so a lent Command holds until the next call.
func (r *Reader) take() Command {
	raw := r.buf[r.start : r.start+r.parsed]
	// An inline request's unescaped arguments are in unquoted, a multibulk's in raw.
	argMem := raw
	if r.inline {
		argMem = r.unquoted
	}
	var args [][]byte
	if r.borrow {
		args = r.args[:0]
	} else {
		// One allocation for both: Raw, then an inline request's unescaped arguments.
		n := len(raw)
		if r.inline {
			n += len(r.unquoted)
		}
		mem := make([]byte, n)
		copy(mem, raw)
		if r.inline {
			copy(mem[len(raw):], r.unquoted)
			argMem = mem[len(raw):]
		} else {
			argMem = mem
		}
		raw = mem[:len(raw)]
		args = make([][]byte, 0, len(r.spans)/2)
	}
	for i := 0; i+1 < len(r.spans); i += 2 {
		from, to := r.spans[i], r.spans[i+1]
		args = append(args, argMem[from:to:to])
	}
	if r.borrow && cap(args) <= maxIdleSpans {
		r.args = args
	}
	r.start += r.parsed
	r.peak = max(r.parsed, r.peak-r.peak/4)
	r.parsed, r.inline, r.complete = 0, false, false
	if cap(r.spans) > maxIdleSpans {
		r.spans = nil
	} else {
		r.spans = r.spans[:0]
	}
	return Command{Args: args, Raw: raw[:len(raw):len(raw)]}
}

// fill reads more bytes. Consumed bytes are dropped first, and the buffer grows only when
// the request at its front fills it: memory follows the bytes received, never the sizes
// declared.
func (r *Reader) fill() error {
	if err := r.readErr; err != nil {
		r.readErr = nil
		return err
	}
	if r.start > 0 {
		r.end = copy(r.buf, r.buf[r.start:r.end])
		r.start = 0
	}
	switch {
	case len(r.buf) == 0, r.end == 0 && len(r.buf) > maxIdleBuffer && len(r.buf) > 4*r.peak:
		r.buf = make([]byte, initialBuffer)
	case r.end == len(r.buf):
		grown := make([]byte, 2*len(r.buf))
		copy(grown, r.buf[:r.end])
		r.buf = grown
	}
	for range maxEmptyReads {
		n, err := r.rd.Read(r.buf[r.end:])
		if n < 0 || n > len(r.buf)-r.end {
			panic("resp: reader returned an impossible count")
		}
		r.end += n
		if n > 0 {
			r.readErr = err
			return nil
		}
		if err != nil {
			return err
		}
	}
	return io.ErrNoProgress
}

// findEOL returns the index of the first eol in b, or -1 while the line is still arriving.
//
// Redis looks for the end of a line with strchr, which also stops at a NUL byte: a line
// holding a NUL never ends, and Redis waits until it is too long. We do the same, so that a
// request Redis would stall on stalls here too rather than being answered.
//
// Only the first maxLine+1 bytes are searched. Redis decides "too long" at whatever read
// boundary it happens to be, so a long line may pass or fail depending on how it was cut;
// searching a fixed window makes the answer depend on the bytes alone.
func findEOL(b []byte, eol byte, tooBig error) (int, error) {
	window := b[:min(len(b), maxLine+1)]
	i := bytes.IndexByte(window, eol)
	if i >= 0 && bytes.IndexByte(window[:i], 0) >= 0 {
		i = -1
	}
	if i < 0 && len(b) > maxLine {
		return -1, tooBig
	}
	return i, nil
}

// header returns the multibulk or bulk header line at the front of b, without its
// terminator, and the bytes it takes; n is 0 while the line is incomplete. Redis ends a
// header at its first CR and skips one more byte unchecked, expecting LF; so do we.
func header(b []byte, tooBig error) (line []byte, n int, err error) {
	i, err := findEOL(b, '\r', tooBig)
	if i < 0 || err != nil || i+1 == len(b) {
		return nil, 0, err
	}
	return b[:i], i + 2, nil
}

// parseInline splits the inline request at the front of b into unquoted and spans. It
// returns the bytes the request takes, terminator included; n is 0 while the line is
// incomplete. A blank line leaves spans empty.
func (r *Reader) parseInline(b []byte) (n int, err error) {
	i, err := findEOL(b, '\n', errInlineTooBig)
	if i < 0 || err != nil {
		return 0, err
	}
	line := b[:i]
	if i > 0 && line[i-1] == '\r' {
		line = line[:i-1]
	}
	r.unquoted, r.spans, err = splitArgs(line, r.unquoted[:0], r.spans[:0])
	if err != nil {
		return 0, err
	}
	return i + 1, nil
}

// splitArgs splits an inline request as Redis's sdssplitargs does (package splitargs),
// appending the arguments' bytes to dst and their start and end offsets in dst to spans.
func splitArgs(line, dst []byte, spans []int) ([]byte, []int, error) {
	dst, spans, ok := splitargs.Append(dst, spans, line)
	if !ok {
		return dst, spans, errUnbalanced
	}
	return dst, spans, nil
}

// parseInt parses a count or length as Redis's string2ll does. strconv.ParseInt is laxer:
// it takes "+1", "01" and "-0", which Redis refuses.
func parseInt(b []byte) (int64, bool) {
	// LONG_STR_SIZE is 21: a longer string cannot be a long long.
	if len(b) == 0 || len(b) >= 21 {
		return 0, false
	}
	if len(b) == 1 && b[0] == '0' {
		return 0, true
	}
	neg := b[0] == '-'
	if neg {
		b = b[1:]
	}
	if len(b) == 0 || b[0] < '1' || b[0] > '9' {
		return 0, false
	}
	var v uint64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		d := uint64(c - '0')
		if v > (math.MaxUint64-d)/10 {
			return 0, false
		}
		v = v*10 + d
	}
	if neg {
		if v > 1<<63 {
			return 0, false
		}
		return int64(-v), true
	}
	if v > math.MaxInt64 {
		return 0, false
	}
	return int64(v), true
}
