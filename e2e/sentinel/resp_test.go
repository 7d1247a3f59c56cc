package sentinel_test

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"
)

// value is one RESP2/RESP3 reply as it came off the wire: its type byte, its text (simple,
// error, bulk, verbatim, number, double, big number), and its elements (arrays, sets, pushes;
// maps alternate keys and values).
type value struct {
	Type  byte
	Str   string
	Null  bool
	Elems []value
	Raw   []byte // the exact bytes of this reply
}

func (v value) String() string { return strconv.Quote(string(v.Raw)) }

// pairs returns a map reply (RESP3 map, or RESP2 flat array of keys and values) as ordered
// key/value pairs.
func (v value) pairs() ([][2]value, error) {
	if (v.Type != '%' && v.Type != '*') || len(v.Elems)%2 != 0 {
		return nil, fmt.Errorf("not a map: %s", v)
	}
	var p [][2]value
	for i := 0; i < len(v.Elems); i += 2 {
		p = append(p, [2]value{v.Elems[i], v.Elems[i+1]})
	}
	return p, nil
}

// rawConn is a bare TCP connection that sends commands and reads replies without
// interpreting them, so replies of two servers can be compared byte for byte.
type rawConn struct {
	nc net.Conn
	br *bufio.Reader
}

func dialRaw(t testing.TB, addr string) *rawConn {
	t.Helper()
	nc, err := net.DialTimeout("tcp", addr, 2*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { nc.Close() })
	return &rawConn{nc: nc, br: bufio.NewReader(nc)}
}

// do sends one command as a RESP array and reads one reply.
func (c *rawConn) do(t testing.TB, args ...string) value {
	t.Helper()
	v, err := c.tryDo(args...)
	if err != nil {
		t.Fatalf("%s: %v", strings.Join(args, " "), err)
	}
	return v
}

func (c *rawConn) tryDo(args ...string) (value, error) {
	var b bytes.Buffer
	fmt.Fprintf(&b, "*%d\r\n", len(args))
	for _, a := range args {
		fmt.Fprintf(&b, "$%d\r\n%s\r\n", len(a), a)
	}
	c.nc.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := c.nc.Write(b.Bytes()); err != nil {
		return value{}, err
	}
	return readValue(c.br)
}

func readValue(br *bufio.Reader) (value, error) {
	var raw bytes.Buffer
	v, err := readInto(br, &raw)
	return v, err
}

// readInto reads one reply, appending its bytes to raw; v.Raw is its own slice of them.
func readInto(br *bufio.Reader, raw *bytes.Buffer) (value, error) {
	start := raw.Len()
	line, err := br.ReadString('\n')
	if err != nil {
		return value{}, err
	}
	raw.WriteString(line)
	if len(line) < 3 || !strings.HasSuffix(line, "\r\n") {
		return value{}, fmt.Errorf("bad RESP line %q", line)
	}
	v := value{Type: line[0], Str: line[1 : len(line)-2]}
	finish := func() (value, error) {
		v.Raw = bytes.Clone(raw.Bytes()[start:])
		return v, nil
	}
	switch v.Type {
	case '+', '-', ':', ',', '#', '(':
		return finish()
	case '_':
		v.Null, v.Str = true, ""
		return finish()
	case '$', '=', '!':
		n, err := strconv.Atoi(v.Str)
		if err != nil {
			return value{}, fmt.Errorf("bad length %q", line)
		}
		if n < 0 {
			v.Null, v.Str = true, ""
			return finish()
		}
		buf := make([]byte, n+2)
		if _, err := io.ReadFull(br, buf); err != nil {
			return value{}, err
		}
		raw.Write(buf)
		v.Str = string(buf[:n])
		return finish()
	case '*', '%', '~', '>', '|':
		n, err := strconv.Atoi(v.Str)
		if err != nil {
			return value{}, fmt.Errorf("bad length %q", line)
		}
		v.Str = ""
		if n < 0 {
			v.Null = true
			return finish()
		}
		if v.Type == '%' || v.Type == '|' {
			n *= 2
		}
		for range n {
			e, err := readInto(br, raw)
			if err != nil {
				return value{}, err
			}
			v.Elems = append(v.Elems, e)
		}
		if v.Type == '|' { // an attribute precedes the reply it annotates
			return readInto(br, raw)
		}
		return finish()
	}
	return value{}, fmt.Errorf("unknown RESP type in %q", line)
}
