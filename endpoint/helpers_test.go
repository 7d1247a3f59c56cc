package endpoint

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/sentinel-go/sentinel/internal/resp"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// wait bounds every wait in these tests; it matters only when something is broken.
const wait = 10 * time.Second

// fakeSentinel answers what the endpoint asks of the sentinel core with fixed data.
type fakeSentinel struct {
	mu     sync.Mutex
	hellos []string
	// release, when set, holds SENTINEL DEBUG-BLOCK until closed.
	release chan struct{}
	// sets counts the SENTINEL SETs handed over, which answer only when awaited, as the
	// driver's state-changing subcommands do.
	sets int
}

var _ Sentinel = (*fakeSentinel)(nil)

// Waits: SENTINEL SET goes to the loop (see Command).
func (f *fakeSentinel) Waits(args [][]byte) bool { return strings.EqualFold(string(args[0]), "set") }

func (f *fakeSentinel) Command(w *resp.Writer, args [][]byte) func(*resp.Writer) {
	switch strings.ToLower(string(args[0])) {
	case "set":
		f.mu.Lock()
		f.sets++
		f.mu.Unlock()
		// The reply says how many SETs had been handed over when it was awaited.
		return func(w *resp.Writer) {
			f.mu.Lock()
			defer f.mu.Unlock()
			w.Simple(fmt.Sprintf("OK %d", f.sets))
		}
	case "get-master-addr-by-name":
		if string(args[1]) != "mymaster" {
			w.NullArray()
			return nil
		}
		w.Array(2)
		w.BulkString("127.0.0.1")
		w.BulkString("6379")
	case "masters":
		w.Array(1)
		w.Map(4)
		for _, kv := range [][2]string{{"name", "mymaster"}, {"ip", "127.0.0.1"}, {"port", "6379"}, {"flags", "master"}} {
			w.BulkString(kv[0])
			w.BulkString(kv[1])
		}
	case "replicas", "slaves", "sentinels":
		w.Array(0)
	case "myid":
		w.BulkString("0123456789012345678901234567890123456789")
	case "debug":
		f.mu.Lock()
		ch := f.release
		f.mu.Unlock()
		if ch != nil {
			<-ch
		}
		w.Simple("OK")
	default:
		w.Error(fmt.Sprintf("ERR unknown subcommand '%s'. Try SENTINEL HELP.", args[0]))
	}
	return nil
}

func (f *fakeSentinel) Hello(payload []byte) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.hellos = append(f.hellos, string(payload))
}

func (f *fakeSentinel) AppendInfo(b []byte) []byte {
	return append(b, "# Sentinel\r\nsentinel_masters:1\r\nsentinel_tilt:0\r\nsentinel_tilt_since_seconds:-1\r\nsentinel_running_scripts:0\r\nsentinel_scripts_queue_length:0\r\nsentinel_simulate_failure_flags:0\r\nmaster0:name=mymaster,status=ok,address=127.0.0.1:6379,slaves=0,sentinels=1\r\n"...)
}

func (f *fakeSentinel) MasterNames() []string { return []string{"mymaster"} }

// startServer runs a Server on a loopback port until the test ends.
func startServer(t testing.TB, o Options, tweak ...func(*Server)) (*Server, string) {
	t.Helper()
	if o.Sentinel == nil {
		o.Sentinel = &fakeSentinel{}
	}
	s := New(o)
	for _, f := range tweak {
		f(s)
	}
	l, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- s.Serve(l) }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), wait)
		defer cancel()
		if err := s.Shutdown(ctx); err != nil {
			t.Errorf("Shutdown: %v", err)
		}
		if err := <-served; !errors.Is(err, ErrServerClosed) {
			t.Errorf("Serve returned %v", err)
		}
	})
	return s, l.Addr().String()
}

// rawClient speaks raw RESP to a server.
type rawClient struct {
	t  testing.TB
	nc net.Conn
	br *bufio.Reader
}

func dialRaw(t testing.TB, addr string) *rawClient {
	t.Helper()
	nc, err := net.DialTimeout("tcp", addr, wait)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { nc.Close() })
	return &rawClient{t: t, nc: nc, br: bufio.NewReader(nc)}
}

func (c *rawClient) send(raw string) {
	c.t.Helper()
	c.nc.SetWriteDeadline(time.Now().Add(wait))
	if _, err := c.nc.Write([]byte(raw)); err != nil {
		c.t.Fatal(err)
	}
}

// read returns the next reply, exactly as sent.
func (c *rawClient) read() string {
	c.t.Helper()
	c.nc.SetReadDeadline(time.Now().Add(wait))
	r, err := readReply(c.br)
	if err != nil {
		c.t.Fatalf("reading a reply: %v", err)
	}
	return r
}

// do sends a request (an inline command, or raw RESP ending in CRLF) and reads one reply.
func (c *rawClient) do(req string) string {
	c.t.Helper()
	if !strings.HasSuffix(req, "\r\n") {
		req += "\r\n"
	}
	c.send(req)
	return c.read()
}

// cmd sends args as a RESP array and reads one reply.
func (c *rawClient) cmd(args ...string) string {
	c.t.Helper()
	c.send(string(resp.AppendCommand(nil, args...)))
	return c.read()
}

// closed reports whether the server closed the connection, waiting for it if need be.
func (c *rawClient) closed() bool {
	c.nc.SetReadDeadline(time.Now().Add(wait))
	_, err := c.br.ReadByte()
	return err != nil
}

// readReply reads one RESP2 or RESP3 value and returns its bytes.
func readReply(br *bufio.Reader) (string, error) {
	line, err := br.ReadString('\n')
	if err != nil {
		return "", err
	}
	if len(line) < 3 || !strings.HasSuffix(line, "\r\n") {
		return "", fmt.Errorf("bad line %q", line)
	}
	out := line
	body := line[1 : len(line)-2]
	switch line[0] {
	case '+', '-', ':', '_', ',', '#', '(':
		return out, nil
	case '$', '=', '!':
		n, err := strconv.Atoi(body)
		if err != nil {
			return "", err
		}
		if n < 0 {
			return out, nil
		}
		buf := make([]byte, n+2)
		if _, err := ioReadFull(br, buf); err != nil {
			return "", err
		}
		return out + string(buf), nil
	case '*', '%', '~', '>', '|':
		n, err := strconv.Atoi(body)
		if err != nil {
			return "", err
		}
		if line[0] == '%' || line[0] == '|' {
			n *= 2
		}
		for range max(n, 0) {
			e, err := readReply(br)
			if err != nil {
				return "", err
			}
			out += e
		}
		return out, nil
	}
	return "", fmt.Errorf("unknown type in %q", line)
}

func ioReadFull(br *bufio.Reader, b []byte) (int, error) {
	n := 0
	for n < len(b) {
		m, err := br.Read(b[n:])
		n += m
		if err != nil {
			return n, err
		}
	}
	return n, nil
}

// waitFor polls cond until it holds, failing the test after the bound.
func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(wait)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

func respWriter(proto int) *resp.Writer { return &resp.Writer{Proto: proto} }
