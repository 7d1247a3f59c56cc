package endpoint

import (
	"errors"
	"io"
	"net"
	"os"
	"testing"
	"time"
)

// FuzzServe writes arbitrary bytes to a live Server as a client would. The server must
// neither panic nor hang on them, must close or answer the connection, and must still
// answer PING on a new connection afterwards. State a fuzzed client may leave behind for
// others (a CLIENT PAUSE, changed ACL users) is reset between inputs.
func FuzzServe(f *testing.F) {
	for _, seed := range []string{
		"PING\r\n",
		"*2\r\n$4\r\nPING\r\n$3\r\nabc\r\n",
		"HELLO 3 AUTH default x SETNAME n\r\nCLIENT INFO\r\nINFO\r\nROLE\r\nCOMMAND DOCS client\r\n",
		"SUBSCRIBE a b\r\nPSUBSCRIBE *\r\nPING\r\nUNSUBSCRIBE\r\nPUNSUBSCRIBE x\r\n",
		"ACL SETUSER u on >p +@all (+ping ~x) &ch\r\nAUTH u p\r\nACL LIST\r\nACL GETUSER u\r\nACL LOG\r\nACL DELUSER u\r\n",
		"CLIENT TRACKING on bcast prefix a\r\nCLIENT TRACKINGINFO\r\nCLIENT REPLY SKIP\r\nPING\r\nCLIENT LIST\r\n",
		"CLIENT PAUSE 100000 ALL\r\nPING\r\n",
		"SENTINEL GET-MASTER-ADDR-BY-NAME mymaster\r\nSENTINEL\r\nPUBLISH __sentinel__:hello x\r\n",
		"*2000000000\r\n$00000000000",
		"*1\r\n$536870912\r\n",
		"PING \"unbalanced\r\n",
		"*-1\r\n*0\r\n\r\n",
		"SHUTDOWN NOSAVE\r\n",
		"CLIENT KILL TYPE normal SKIPME no\r\n",
	} {
		f.Add([]byte(seed))
	}
	s, addr := startServer(f, Options{})
	f.Fuzz(func(t *testing.T, input []byte) {
		nc, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer nc.Close()
		go func() {
			// The server may stop reading (a paused client), so write on the side.
			nc.SetWriteDeadline(time.Now().Add(wait))
			nc.Write(input)
			nc.(*net.TCPConn).CloseWrite()
		}()
		// The server must end the connection once our side is closed; a pause may hold
		// it, so lift any pause while waiting.
		deadline := time.Now().Add(wait)
		for {
			nc.SetReadDeadline(time.Now().Add(50 * time.Millisecond))
			_, err := io.Copy(io.Discard, nc)
			if err == nil || !errors.Is(err, os.ErrDeadlineExceeded) {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("the server neither closed nor answered input %q", input)
			}
			s.mu.Lock()
			s.pause.wake()
			s.mu.Unlock()
		}
		s.mu.Lock()
		s.pause.wake()
		s.acl = newACLState("")
		s.mu.Unlock()
		probe := dialRaw(t, addr)
		if got := probe.do("PING"); got != "+PONG\r\n" {
			t.Fatalf("PING after input %q = %q", input, got)
		}
		probe.nc.Close()
	})
}
