package transport

import (
	"bytes"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/sentinel-go/sentinel/monitor"
)

// rawServer accepts one connection and hands it to the test.
func rawServer(t *testing.T) (addr string, conns <-chan net.Conn) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	ch := make(chan net.Conn, 4)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				close(ch)
				return
			}
			t.Cleanup(func() { c.Close() })
			ch <- c
		}
	}()
	return ln.Addr().String(), ch
}

// openRaw opens a link of spec to a fresh rawServer.
func openRaw(t *testing.T, spec monitor.LinkSpec) (*recorder, *Transport, string, <-chan net.Conn) {
	t.Helper()
	addr, conns := rawServer(t)
	rec := &recorder{}
	tr := New(Options{Observe: rec.observe})
	t.Cleanup(tr.Shutdown)
	spec.Addr = addr
	tr.Open(spec)
	return rec, tr, addr, conns
}

// readExactly reads len(want) bytes from c, failing after 5 s.
func readExactly(t *testing.T, c net.Conn, want string) {
	t.Helper()
	_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
	got := make([]byte, len(want))
	if _, err := io.ReadFull(c, got); err != nil || string(got) != want {
		t.Fatalf("read %q (%v)\nwant %q", got, err, want)
	}
}

// TestHandshakeBytes pins what a new connection sends first, as redis-sentinel's
// sentinelReconnectInstance does: AUTH, CLIENT SETNAME, then the core's commands (or the
// SUBSCRIBE), each with rename-command applied.
func TestHandshakeBytes(t *testing.T) {
	rec, tr, addr, conns := openRaw(t, monitor.LinkSpec{Sentinel: true, ClientName: "sentinel-abcdefgh", AuthUser: "alice", AuthPass: "s3cret",
		Rename: map[string]string{"client": "CLI2", "ping": "PONG2"}})
	c := <-conns
	up := rec.await(t, "link up", linkUp(monitor.CmdLink)).(monitor.LinkUp)
	tr.Send(monitor.Send{Addr: addr, Gen: up.Gen, Tag: monitor.Tag{Kind: monitor.TagPing}, Args: []string{"PING"}})
	readExactly(t, c, "*3\r\n$4\r\nAUTH\r\n$5\r\nalice\r\n$6\r\ns3cret\r\n"+
		"*3\r\n$4\r\nCLI2\r\n$7\r\nSETNAME\r\n$21\r\nsentinel-abcdefgh-cmd\r\n"+
		"*1\r\n$5\r\nPONG2\r\n")
	// The handshake's answers are not the core's; the PING's is.
	if _, err := c.Write([]byte("-ERR AUTH failed for a reason that is not WRONGPASS\r\n+OK\r\n+PONG\r\n")); err != nil {
		t.Fatal(err)
	}
	r := rec.await(t, "PONG", func(o monitor.Observation) bool { _, ok := o.(monitor.Reply); return ok }).(monitor.Reply)
	if r.Value != "PONG" || r.Err != "" || r.Tag.Kind != monitor.TagPing {
		t.Fatalf("reply %+v", r)
	}
}

func TestHandshakeBytesPubSub(t *testing.T) {
	rec, _, _, conns := openRaw(t, monitor.LinkSpec{ClientName: "sentinel-abcdefgh", AuthPass: "pw"})
	var pubsub net.Conn
	for range 2 {
		c := <-conns
		_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
		b := make([]byte, 256)
		n, _ := io.ReadAtLeast(c, b, 20)
		if bytes.Contains(b[:n], []byte("-pubsub")) {
			pubsub = c
			for !bytes.Contains(b[:n], []byte("hello\r\n")) {
				m, err := c.Read(b[n:])
				if err != nil {
					t.Fatal(err)
				}
				n += m
			}
			want := "*2\r\n$4\r\nAUTH\r\n$2\r\npw\r\n" +
				"*3\r\n$6\r\nCLIENT\r\n$7\r\nSETNAME\r\n$24\r\nsentinel-abcdefgh-pubsub\r\n" +
				"*2\r\n$9\r\nSUBSCRIBE\r\n$18\r\n__sentinel__:hello\r\n"
			if string(b[:n]) != want {
				t.Fatalf("pubsub handshake %q\nwant %q", b[:n], want)
			}
		}
	}
	if pubsub == nil {
		t.Fatal("no Pub/Sub connection")
	}
	up := rec.await(t, "pubsub up", linkUp(monitor.PubSubLink)).(monitor.LinkUp)
	_, _ = pubsub.Write([]byte("+OK\r\n+OK\r\n*3\r\n$9\r\nsubscribe\r\n$18\r\n__sentinel__:hello\r\n:1\r\n" +
		"*3\r\n$7\r\nmessage\r\n$18\r\n__sentinel__:hello\r\n$2\r\nhi\r\n"))
	rec.await(t, "subscribe confirmation", func(o monitor.Observation) bool {
		a, ok := o.(monitor.PubSubActivity)
		return ok && a.Gen == up.Gen
	})
	rec.await(t, "hello", func(o monitor.Observation) bool {
		m, ok := o.(monitor.Message)
		return ok && m.Gen == up.Gen && m.Payload == "hi" && m.Channel == "__sentinel__:hello"
	})
	// An error frame (a SUBSCRIBE refused) ends the connection: it will never hear a hello.
	_, _ = pubsub.Write([]byte("-NOAUTH Authentication required.\r\n"))
	down := rec.await(t, "pubsub down", func(o monitor.Observation) bool {
		d, ok := o.(monitor.LinkDown)
		return ok && d.Kind == monitor.PubSubLink && d.Gen == up.Gen
	}).(monitor.LinkDown)
	if down.Err != "NOAUTH Authentication required." {
		t.Errorf("LinkDown %+v", down)
	}
}

// TestSendDoesNotBlock: a peer that stops reading stalls the connection's writer, never
// Send, so the driver's loop goes on.
func TestSendDoesNotBlock(t *testing.T) {
	rec, tr, addr, conns := openRaw(t, monitor.LinkSpec{Sentinel: true, ClientName: "s"})
	<-conns // accepted, and never read
	up := rec.await(t, "link up", linkUp(monitor.CmdLink)).(monitor.LinkUp)
	big := strings.Repeat("x", 1<<20)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for range 16 { // 16 MiB: far beyond the socket buffers
			tr.Send(monitor.Send{Addr: addr, Gen: up.Gen, Args: []string{"PUBLISH", "ch", big}})
		}
	}()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("Send blocked on a peer that does not read")
	}
	tr.Reconnect(addr, monitor.CmdLink)
	rec.await(t, "link down", cmdDown(up.Gen))
}
