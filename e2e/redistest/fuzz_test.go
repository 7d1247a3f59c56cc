package redistest

import (
	"bytes"
	"strings"
	"testing"

	"github.com/sentinel-go/sentinel/internal/resp"
)

// FuzzCommand feeds arbitrary client input through the RESP reader and the command path of
// a live instance. The instance must never panic, and must still answer PING afterwards.
func FuzzCommand(f *testing.F) {
	for _, seed := range []string{
		"*1\r\n$4\r\nPING\r\n",
		"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n",
		"SET k v EX 10\r\nGET k\r\nINCR k\r\n",
		"MULTI\r\nSET a 1\r\nINCR a\r\nEXEC\r\n",
		"HELLO 3\r\nCLIENT LIST\r\nCLIENT SETNAME x\r\nINFO\r\nROLE\r\n",
		"SUBSCRIBE a\r\nPSUBSCRIBE *\r\nPUBLISH a b\r\nUNSUBSCRIBE\r\n",
		"CONFIG SET replica-priority 7\r\nCONFIG GET *\r\n",
		"SCAN 0 MATCH k* COUNT 2\r\nKEYS [a-\r\nEXPIRE k 10 GT LT\r\n",
		"REPLCONF listening-port 1 capa eof\r\nPSYNC ? -1\r\nREPLCONF ACK 5\r\n",
		"AUTH a b c\r\nACL SETUSER u on >p\r\nAUTH u p\r\nRESET\r\n",
		"*2\r\n$3\r\nGET\r\n$-1\r\n",
		"*-1\r\n*0\r\n$0\r\n\r\n",
	} {
		f.Add([]byte(seed))
	}
	s, err := Start(Options{})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(s.Close)
	f.Fuzz(func(t *testing.T, input []byte) {
		// A client with no connection, as the master client: its replies are dropped.
		s.mu.Lock()
		c := &client{s: s, id: -2, user: "default", authed: !s.cfg.authRequired(), w: resp.Writer{Proto: 2}}
		s.mu.Unlock()
		rd := resp.NewReader(bytes.NewReader(input))
		for i := 0; i < 100; i++ {
			cmd, err := rd.ReadCommand()
			if err != nil {
				break
			}
			if len(cmd.Args) > 0 && unsafeForFuzz[strings.ToLower(string(cmd.Args[0]))] {
				continue
			}
			s.mu.Lock()
			s.execute(c, cmd)
			c.flush()
			s.mu.Unlock()
		}
		s.mu.Lock()
		s.dropClient(c)
		c.closeNow()
		if s.repl.failover.state != foNone {
			s.endFailover("fuzz")
		}
		probe := &client{s: s, authed: true}
		s.cfg = defaultConfig()
		s.faults.busy = false
		s.execute(probe, resp.Command{Args: [][]byte{[]byte("PING")}})
		s.mu.Unlock()
		if got := string(probe.w.Bytes()); got != "+PONG\r\n" {
			t.Fatalf("PING after input %q = %q", input, got)
		}
	})
}

// unsafeForFuzz are commands a fuzzer must not run: they dial out, sleep, or stop the
// instance under test.
var unsafeForFuzz = map[string]bool{
	"replicaof": true, "slaveof": true, "debug": true, "shutdown": true, "failover": true,
}
