package resp

import (
	"bytes"
	"errors"
	"io"
	"math"
	"strconv"
)

// Limits from Redis 7.0 (networking.c): PROTO_INLINE_MAX_SIZE and proto-max-bulk-len.
const (
	maxInline  = 64 << 10
	maxBulkLen = 512 << 20

	initialBufferLen = 16 << 10
)

// ErrProtocol is wrapped by every error about a malformed request. The message is Redis's,
// so a server replies "-ERR " + err.Error() and closes the connection, as Redis does.
var ErrProtocol = errors.New("Protocol error") //lint:ignore ST1005 Redis's reply text

var (
	errMultibulkLen = protocolError("invalid multibulk length")
	errBulkLen      = protocolError("invalid bulk length")
	errInlineTooBig = protocolError("too big inline request")
	errMbulkTooBig  = protocolError("too big mbulk count string")
	errBulkTooBig   = protocolError("too big bulk count string")
	errUnbalanced   = protocolError("unbalanced quotes in request")
	errIncomplete   = errors.New("resp: incomplete command") // internal: wait for more bytes
	errEmptyCommand = errors.New("resp: empty command")      // internal: skip it
)

func protocolError(msg string) error { return &protoErr{msg} }

type protoErr struct{ msg string }

func (e *protoErr) Error() string        { return "Protocol error: " + e.msg }
func (e *protoErr) Is(target error) bool { return target == ErrProtocol }

// Command is one request: its arguments and its exact bytes on the wire. Raw is what a
// replica counts into its replication offset and proxies to its own replicas. Args alias
// Raw; both belong to the caller.
type Command struct {
	Args [][]byte
	Raw  []byte
}

// Reader reads requests: RESP multibulk arrays, and the inline commands redis-cli and telnet
// users type. It trusts no declared size: memory grows only with bytes actually received,
// and work per read is bounded by the bytes buffered, so a hostile header such as
// "*2000000000" costs nothing until its arguments really arrive.
type Reader struct {
	rd         io.Reader
	buf        []byte
	start, end int
	err        error // sticky: after a protocol or read error every call returns it
	// peeked is a request Buffered already parsed, so ReadCommand need not parse it again.
	peeked  Command
	peekedN int
}

// NewReader reads requests from r.
func NewReader(r io.Reader) *Reader {
	return &Reader{rd: r, buf: make([]byte, initialBufferLen)}
}

// ReadCommand returns the next request, blocking until one has fully arrived. Empty
// requests ("*0", blank lines) are skipped as Redis skips them. At a request boundary the
// end of input is io.EOF; inside one it is io.ErrUnexpectedEOF.
func (r *Reader) ReadCommand() (Command, error) {
	for {
		if r.err != nil {
			return Command{}, r.err
		}
		if r.peekedN > 0 {
			cmd := r.peeked
			r.start += r.peekedN
			r.peeked, r.peekedN = Command{}, 0
			return cmd, nil
		}
		cmd, n, err := parse(r.buf[r.start:r.end])
		switch {
		case err == nil:
			r.start += n
			return cmd, nil
		case err == errEmptyCommand:
			r.start += n
			continue
		case err != errIncomplete:
			r.err = err
			return Command{}, err
		}
		if err := r.fill(); err != nil {
			if err == io.EOF && r.start < r.end {
				err = io.ErrUnexpectedEOF
			}
			r.err = err
			return Command{}, err
		}
	}
}

// Buffered reports whether ReadCommand would return without reading: a whole request, or a
// protocol error, is already buffered. Servers use it to run a pipeline as one batch
// without ever blocking halfway through the batch.
func (r *Reader) Buffered() bool {
	if r.err != nil || r.peekedN > 0 {
		return true
	}
	for r.start < r.end {
		cmd, n, err := parse(r.buf[r.start:r.end])
		switch err {
		case nil:
			r.peeked, r.peekedN = cmd, n
			return true
		case errEmptyCommand:
			r.start += n
		case errIncomplete:
			return false
		default:
			r.err = err
			return true
		}
	}
	return false
}

// fill reads more bytes, first making room: consumed bytes are dropped, and the buffer
// doubles only when a single request does not fit.
func (r *Reader) fill() error {
	if r.start > 0 {
		r.end = copy(r.buf, r.buf[r.start:r.end])
		r.start = 0
	}
	if r.end == len(r.buf) {
		grown := make([]byte, 2*len(r.buf))
		copy(grown, r.buf[:r.end])
		r.buf = grown
	}
	// io.Reader allows empty reads without an error; bufio gives up after 100 of them.
	for range 100 {
		n, err := r.rd.Read(r.buf[r.end:])
		r.end += n
		if n > 0 {
			return nil
		}
		if err != nil {
			return err
		}
	}
	return io.ErrNoProgress
}

// parse reads one request from the front of b and returns it with the bytes it used.
// errIncomplete means b holds only the beginning of a request.
func parse(b []byte) (Command, int, error) {
	if len(b) == 0 {
		return Command{}, 0, errIncomplete
	}
	if b[0] == '*' {
		return parseMultibulk(b)
	}
	return parseInline(b)
}

func parseMultibulk(b []byte) (Command, int, error) {
	count, pos, err := parseHeader(b, 0, errMultibulkLen, errMbulkTooBig)
	if err != nil {
		return Command{}, 0, err
	}
	if count > math.MaxInt32 {
		return Command{}, 0, errMultibulkLen
	}
	if count <= 0 {
		return Command{}, pos, errEmptyCommand
	}
	// Offsets of each argument, collected before anything is copied: the loop runs once per
	// argument actually present in b, however large the declared count.
	var stack [16]int
	marks := stack[:0]
	for i := int64(0); i < count; i++ {
		if pos >= len(b) {
			return Command{}, 0, errIncomplete
		}
		if b[pos] != '$' {
			return Command{}, 0, protocolError("expected '$', got '" + string(b[pos]) + "'")
		}
		size, next, err := parseHeader(b, pos, errBulkLen, errBulkTooBig)
		if err != nil {
			return Command{}, 0, err
		}
		if size < 0 || size > maxBulkLen {
			return Command{}, 0, errBulkLen
		}
		// Redis skips the two bytes after the payload without checking they are CRLF.
		if int64(len(b)-next) < size+2 {
			return Command{}, 0, errIncomplete
		}
		marks = append(marks, next, next+int(size))
		pos = next + int(size) + 2
	}
	raw := append([]byte(nil), b[:pos]...)
	args := make([][]byte, len(marks)/2)
	for i := range args {
		args[i] = raw[marks[2*i]:marks[2*i+1]:marks[2*i+1]]
	}
	return Command{Args: args, Raw: raw}, pos, nil
}

// parseHeader reads "<prefix><integer>\r\n" at b[at:], returning the integer and the offset
// after the line.
func parseHeader(b []byte, at int, invalid, tooBig error) (int64, int, error) {
	nl := bytes.IndexByte(b[at:], '\n')
	if nl < 0 {
		if len(b)-at > maxInline {
			return 0, 0, tooBig
		}
		return 0, 0, errIncomplete
	}
	line := b[at+1 : at+nl]
	if len(line) == 0 || line[len(line)-1] != '\r' {
		return 0, 0, invalid
	}
	n, err := strconv.ParseInt(string(line[:len(line)-1]), 10, 64)
	if err != nil {
		return 0, 0, invalid
	}
	return n, at + nl + 1, nil
}

func parseInline(b []byte) (Command, int, error) {
	nl := bytes.IndexByte(b, '\n')
	if nl < 0 {
		if len(b) > maxInline {
			return Command{}, 0, errInlineTooBig
		}
		return Command{}, 0, errIncomplete
	}
	line := b[:nl]
	if len(line) > 0 && line[len(line)-1] == '\r' {
		line = line[:len(line)-1]
	}
	args, err := splitArgs(line)
	if err != nil {
		return Command{}, 0, err
	}
	if len(args) == 0 {
		return Command{}, nl + 1, errEmptyCommand
	}
	return Command{Args: args, Raw: append([]byte(nil), b[:nl+1]...)}, nl + 1, nil
}

// splitArgs splits an inline request as Redis's sdssplitargs does: blanks separate
// arguments; "double quotes" understand \n \r \t \b \a \\ \" and \xHH; 'single quotes'
// understand \'; a closing quote must end the argument.
func splitArgs(line []byte) ([][]byte, error) {
	var args [][]byte
	i := 0
	for {
		for i < len(line) && isBlank(line[i]) {
			i++
		}
		if i == len(line) {
			return args, nil
		}
		var arg []byte
		inDouble, inSingle := false, false
		for done := false; !done; {
			switch {
			case inDouble:
				if i == len(line) {
					return nil, errUnbalanced
				}
				c := line[i]
				switch {
				case c == '\\' && i+3 < len(line) && line[i+1] == 'x' && isHex(line[i+2]) && isHex(line[i+3]):
					arg = append(arg, unhex(line[i+2])<<4|unhex(line[i+3]))
					i += 3
				case c == '\\' && i+1 < len(line):
					i++
					arg = append(arg, unescape(line[i]))
				case c == '"':
					if i+1 < len(line) && !isBlank(line[i+1]) {
						return nil, errUnbalanced
					}
					done = true
				default:
					arg = append(arg, c)
				}
				i++
			case inSingle:
				if i == len(line) {
					return nil, errUnbalanced
				}
				c := line[i]
				switch {
				case c == '\\' && i+1 < len(line) && line[i+1] == '\'':
					i++
					arg = append(arg, '\'')
				case c == '\'':
					if i+1 < len(line) && !isBlank(line[i+1]) {
						return nil, errUnbalanced
					}
					done = true
				default:
					arg = append(arg, c)
				}
				i++
			default:
				if i == len(line) {
					done = true
					break
				}
				switch c := line[i]; {
				case isBlank(c):
					done = true
				case c == '"':
					inDouble = true
				case c == '\'':
					inSingle = true
				default:
					arg = append(arg, c)
				}
				i++
			}
		}
		if arg == nil {
			arg = []byte{}
		}
		args = append(args, arg)
	}
}

// isBlank is isspace() of the C locale, which sdssplitargs uses.
func isBlank(c byte) bool {
	return c == ' ' || c == '\n' || c == '\r' || c == '\t' || c == '\v' || c == '\f' || c == 0
}

func isHex(c byte) bool {
	return ('0' <= c && c <= '9') || ('a' <= c && c <= 'f') || ('A' <= c && c <= 'F')
}

func unhex(c byte) byte {
	switch {
	case c >= 'a':
		return c - 'a' + 10
	case c >= 'A':
		return c - 'A' + 10
	default:
		return c - '0'
	}
}

func unescape(c byte) byte {
	switch c {
	case 'n':
		return '\n'
	case 'r':
		return '\r'
	case 't':
		return '\t'
	case 'b':
		return '\b'
	case 'a':
		return '\a'
	default:
		return c
	}
}
