package endpoint

import (
	"context"
	"errors"
	"net"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sentinel-go/sentinel/e2e/realredis"
	"github.com/sentinel-go/sentinel/internal/acl"
)

// connOf returns the server side of the client whose CLIENT ID is id.
func connOf(t *testing.T, s *Server, id string) *conn {
	t.Helper()
	n, err := strconv.ParseInt(strings.Trim(id, ":\r\n"), 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.connLocked(n)
	if c == nil {
		t.Fatalf("no client %d", n)
	}
	return c
}

func clientCount(s *Server) int {
	return s.k.Len()
}

// The error texts clients see, spot-checked without the real binary (the differential
// test compares everything against it when it is installed).
func TestReplies(t *testing.T) {
	_, addr := startServer(t, Options{})
	c := dialRaw(t, addr)
	for _, tc := range []struct{ req, want string }{
		{"PING", "+PONG\r\n"},
		{"PING hi", "$2\r\nhi\r\n"},
		{"PING a b", "-ERR wrong number of arguments for 'ping' command\r\n"},
		{"QUIT", "-ERR unknown command 'QUIT', with args beginning with: \r\n"},
		{"ECHO a b", "-ERR unknown command 'ECHO', with args beginning with: 'a' 'b' \r\n"},
		{"CLIENT foo", "-ERR unknown subcommand 'foo'. Try CLIENT HELP.\r\n"},
		{"command FOO", "-ERR unknown subcommand 'FOO'. Try COMMAND HELP.\r\n"},
		{"acl nope", "-ERR unknown subcommand 'nope'. Try ACL HELP.\r\n"},
		{"CLIENT ID x", "-ERR wrong number of arguments for 'client|id' command\r\n"},
		{"SENTINEL", "-ERR wrong number of arguments for 'sentinel' command\r\n"},
		{"SENTINEL masters x", "-ERR wrong number of arguments for 'sentinel|masters' command\r\n"},
		{"COMMAND COUNT", ":15\r\n"},
		{"ROLE", "*2\r\n$8\r\nsentinel\r\n*1\r\n$8\r\nmymaster\r\n"},
		{"INFO nosuch", "$0\r\n\r\n"},
		{"AUTH x", "-ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?\r\n"},
		{"AUTH u p", "-WRONGPASS invalid username-password pair or user is disabled.\r\n"},
		{"HELLO 4", "-NOPROTO unsupported protocol version\r\n"},
		{"HELLO x", "-ERR Protocol version is not an integer or out of range\r\n"},
		{"PUBLISH a b", "-ERR Only HELLO messages are accepted by Sentinel instances.\r\n"},
		{"PUBLISH __sentinel__:hello x", ":1\r\n"},
		{"CLIENT SETINFO lib-name x", "-ERR unknown subcommand 'SETINFO'. Try CLIENT HELP.\r\n"},
		{"CLIENT SETNAME a\x01", "-ERR Client names cannot contain spaces, newlines or special characters.\r\n"},
		{"SHUTDOWN ABORT", "-ERR No shutdown in progress.\r\n"},
		{"SENTINEL GET-MASTER-ADDR-BY-NAME mymaster", "*2\r\n$9\r\n127.0.0.1\r\n$4\r\n6379\r\n"},
	} {
		if got := c.do(tc.req); got != tc.want {
			t.Errorf("%q = %q, want %q", tc.req, got, tc.want)
		}
	}
	if got := c.do("HELLO 3"); !strings.HasPrefix(got, "%6\r\n$6\r\nserver\r\n$5\r\nredis\r\n$7\r\nversion\r\n$6\r\n7.0.15\r\n$5\r\nproto\r\n:3\r\n$2\r\nid\r\n:") ||
		!strings.HasSuffix(got, "$4\r\nmode\r\n$8\r\nsentinel\r\n$7\r\nmodules\r\n*0\r\n") {
		t.Errorf("HELLO 3 = %q", got)
	}
	if got := c.do("SENTINEL GET-MASTER-ADDR-BY-NAME nosuch"); got != "_\r\n" {
		t.Errorf("RESP3 null array = %q", got)
	}
}

func TestHelloForwardsToSentinel(t *testing.T) {
	f := &fakeSentinel{}
	_, addr := startServer(t, Options{Sentinel: f})
	c := dialRaw(t, addr)
	c.cmd("PUBLISH", "__sentinel__:hello", "127.0.0.1,26379,runid,0,mymaster,127.0.0.1,6379,0")
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.hellos) != 1 || !strings.HasPrefix(f.hellos[0], "127.0.0.1,26379") {
		t.Fatalf("hellos = %q", f.hellos)
	}
}

func TestInfo(t *testing.T) {
	_, addr := startServer(t, Options{Port: 26379, ConfigFile: "/etc/sentinel.conf", Executable: "/usr/bin/sentinel", RunID: strings.Repeat("ab", 20)})
	c := dialRaw(t, addr)
	v := mustParse(t, c.do("INFO"))
	var headers []string
	for _, line := range strings.Split(v.str, "\r\n") {
		if strings.HasPrefix(line, "# ") {
			headers = append(headers, line)
		}
	}
	if strings.Join(headers, ",") != "# Server,# Clients,# Stats,# CPU,# Sentinel" {
		t.Fatalf("sections %q", headers)
	}
	for _, want := range []string{"redis_mode:sentinel\r\n", "tcp_port:26379\r\n", "config_file:/etc/sentinel.conf\r\n",
		"executable:/usr/bin/sentinel\r\n", "run_id:" + strings.Repeat("ab", 20) + "\r\n", "connected_clients:1\r\n",
		"total_connections_received:1\r\n", "configured_hz:10\r\n", "sentinel_masters:1\r\n"} {
		if !strings.Contains(v.str, want) {
			t.Errorf("INFO lacks %q", want)
		}
	}
	if v := mustParse(t, c.do("INFO cpu")); !strings.HasPrefix(v.str, "# CPU\r\nused_cpu_sys:") || strings.Contains(v.str, "\r\n\r\n") {
		t.Errorf("INFO cpu = %q", v.str)
	}
	c.do("HELLO 3")
	if got := c.do("INFO sentinel"); !strings.HasPrefix(got, "$") {
		t.Errorf("INFO in RESP3 must stay a bulk string, as redis-sentinel sends it: %q", got)
	}
}

func TestPublishBothProtocols(t *testing.T) {
	s, addr := startServer(t, Options{})
	r2, r3 := dialRaw(t, addr), dialRaw(t, addr)
	r3.do("HELLO 3")
	for _, c := range []*rawClient{r2, r3} {
		c.do("SUBSCRIBE +sdown")
		c.do("PSUBSCRIBE +*")
	}
	if n := s.Publish("+sdown", "master m 127.0.0.1 6379"); n != 4 {
		t.Fatalf("Publish reached %d, want 4", n)
	}
	msg := "$7\r\nmessage\r\n$6\r\n+sdown\r\n$23\r\nmaster m 127.0.0.1 6379\r\n"
	pmsg := "$8\r\npmessage\r\n$2\r\n+*\r\n$6\r\n+sdown\r\n$23\r\nmaster m 127.0.0.1 6379\r\n"
	for _, tc := range []struct {
		c      *rawClient
		m, pm  string
		header string
	}{{r2, "*3\r\n" + msg, "*4\r\n" + pmsg, "*"}, {r3, ">3\r\n" + msg, ">4\r\n" + pmsg, ">"}} {
		if got := tc.c.read(); got != tc.m {
			t.Errorf("message = %q, want %q", got, tc.m)
		}
		if got := tc.c.read(); got != tc.pm {
			t.Errorf("pmessage = %q, want %q", got, tc.pm)
		}
	}
	// RESP3 clients run commands while subscribed; RESP2 clients may not.
	if got := r3.do("ROLE"); !strings.HasPrefix(got, "*2\r\n$8\r\nsentinel") {
		t.Errorf("RESP3 ROLE while subscribed = %q", got)
	}
	if got := r2.do("ROLE"); got != "-ERR Can't execute 'role': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context\r\n" {
		t.Errorf("RESP2 ROLE while subscribed = %q", got)
	}
	if got := r2.do("PING"); got != "*2\r\n$4\r\npong\r\n$0\r\n\r\n" {
		t.Errorf("RESP2 PING while subscribed = %q", got)
	}
	// PUBLISH from a client never reaches local subscribers.
	r2.do("PSUBSCRIBE *")
	if got := dialRaw(t, addr).do("PUBLISH __sentinel__:hello x"); got != ":1\r\n" {
		t.Fatal(got)
	}
	if n := s.Publish("nobody", "x"); n != 1 {
		t.Errorf("Publish to a channel only a pattern matches reached %d, want 1", n)
	}
	if got := r2.read(); !strings.Contains(got, "nobody") {
		t.Errorf("expected the pattern message, got %q", got)
	}
}

// TestSubscribeConfirmationFirst publishes continuously while clients subscribe: the
// first thing each receives must be its subscription's confirmation.
func TestSubscribeConfirmationFirst(t *testing.T) {
	s, addr := startServer(t, Options{})
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			select {
			case <-stop:
				return
			default:
				s.Publish("ch", "x")
			}
		}
	}()
	defer func() { close(stop); wg.Wait() }()
	for range 50 {
		c := dialRaw(t, addr)
		if got := c.do("SUBSCRIBE ch"); got != "*3\r\n$9\r\nsubscribe\r\n$2\r\nch\r\n:1\r\n" {
			t.Fatalf("first reply %q", got)
		}
		c.nc.Close()
	}
}

// TestSlowSubscriber checks that Publish never waits for a subscriber that does not read,
// and that such a subscriber is disconnected once its queue passes the hard limit, or
// stays past the soft limit for longer than allowed.
func TestSlowSubscriber(t *testing.T) {
	var mu sync.Mutex
	now := time.Unix(1e9, 0)
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	s, addr := startServer(t, Options{}, func(s *Server) {
		s.pubsubHard, s.pubsubSoft, s.pubsubSoftTime, s.now = 64<<10, 16<<10, time.Minute, clock
	})
	msg := strings.Repeat("x", 1000)

	hard := dialRaw(t, addr)
	hc := connOf(t, s, hard.do("CLIENT ID"))
	hard.do("SUBSCRIBE ev")
	release := hc.kc.HoldWrites() // the writer is stuck as if the socket were full
	for i := 0; hc.queued() > 0 || i == 0; i++ {
		if i > 100 {
			t.Fatal("the subscriber was never disconnected")
		}
		s.Publish("ev", msg)
	}
	release()
	if !hard.closed() {
		t.Fatal("connection still open")
	}

	soft := dialRaw(t, addr)
	sc := connOf(t, s, soft.do("CLIENT ID"))
	soft.do("SUBSCRIBE ev")
	release = sc.kc.HoldWrites()
	for sc.queued() <= 16<<10 {
		s.Publish("ev", msg)
	}
	s.Publish("ev", msg)
	if sc.queued() == 0 {
		t.Fatal("disconnected before the soft limit's time ran out")
	}
	mu.Lock()
	now = now.Add(time.Minute + time.Second)
	mu.Unlock()
	s.Publish("ev", msg)
	release()
	if !soft.closed() {
		t.Fatal("connection still open after the soft limit's time")
	}
	waitFor(t, "the clients to be dropped", func() bool { return clientCount(s) == 0 })
}

func TestPipelining(t *testing.T) {
	s, addr := startServer(t, Options{})
	c := dialRaw(t, addr)
	reads, writes := s.k.Stats().Reads.Load(), s.k.Stats().Writes.Load()
	c.send(strings.Repeat("PING\r\n", 100) + strings.Repeat("*2\r\n$4\r\nPING\r\n$1\r\nx\r\n", 100))
	for i := range 200 {
		want := "+PONG\r\n"
		if i >= 100 {
			want = "$1\r\nx\r\n"
		}
		if got := c.read(); got != want {
			t.Fatalf("reply %d = %q", i, got)
		}
	}
	// A batch is answered in one write: never more writes than reads.
	if dr, dw := s.k.Stats().Reads.Load()-reads, s.k.Stats().Writes.Load()-writes; dw > dr {
		t.Errorf("%d writes for %d reads", dw, dr)
	}
}

// TestPipelinedChanges: consecutive state-changing SENTINEL subcommands of a pipeline are
// all handed to the sentinel before the first reply is awaited (so its loop can take them
// in one step and one save), yet the replies keep request order, a read or any other
// command waits for the changes before it, and CLIENT REPLY SKIP still drops its reply.
func TestPipelinedChanges(t *testing.T) {
	_, addr := startServer(t, Options{})
	c := dialRaw(t, addr)
	set := func(v string) string { return "SENTINEL SET mymaster quorum " + v + "\r\n" }
	c.send(set("1") + set("2") + "SENTINEL FOO\r\n" + set("3") + "SENTINEL MYID\r\n" + set("4") +
		"PING\r\n" + "CLIENT REPLY SKIP\r\n" + set("5") + set("6"))
	for i, want := range []string{
		"+OK 3\r\n", "+OK 3\r\n", // the unknown subcommand between changes waits for nothing
		"-ERR unknown subcommand 'FOO'. Try SENTINEL HELP.\r\n", "+OK 3\r\n",
		"$40\r\n0123456789012345678901234567890123456789\r\n", // a read waits for sets 1-3
		"+OK 4\r\n", "+PONG\r\n", // PING waits for set 4
		"+OK 6\r\n", // set 5's reply skipped; set 6 handed over before it was awaited
	} {
		if got := c.read(); got != want {
			t.Fatalf("reply %d = %q, want %q", i, got, want)
		}
	}
}

func TestProtocolErrorCloses(t *testing.T) {
	_, addr := startServer(t, Options{})
	c := dialRaw(t, addr)
	c.send("PING\r\n*1\r\n$x\r\n")
	if got := c.read(); got != "+PONG\r\n" {
		t.Fatal(got)
	}
	if got := c.read(); got != "-ERR Protocol error: invalid bulk length\r\n" {
		t.Fatal(got)
	}
	if !c.closed() {
		t.Fatal("still open")
	}
}

func TestProtectedMode(t *testing.T) {
	remote := func(s *Server) { s.isLocal = func(net.Addr) bool { return false } }
	s, addr := startServer(t, Options{ProtectedMode: true}, remote)
	c := dialRaw(t, addr)
	c.nc.SetReadDeadline(time.Now().Add(wait))
	line, err := c.br.ReadString('\n')
	if err != nil || line != denied {
		t.Fatalf("got %q, %v", line, err)
	}
	if !c.closed() {
		t.Fatal("still open")
	}
	if got := s.k.Stats().Rejected.Load(); got != 1 {
		t.Errorf("rejected_connections = %d", got)
	}
	// With a password, or from loopback, clients are let in.
	_, addr = startServer(t, Options{ProtectedMode: true, RequirePass: "p"}, remote)
	if got := dialRaw(t, addr).do("PING"); got != "-NOAUTH Authentication required.\r\n" {
		t.Fatal(got)
	}
	_, addr = startServer(t, Options{ProtectedMode: true})
	if got := dialRaw(t, addr).do("PING"); got != "+PONG\r\n" {
		t.Fatal(got)
	}
	for a, want := range map[string]bool{"127.0.0.1:5": true, "127.3.2.1:5": true, "[::1]:5": true, "10.0.0.1:5": false, "[::2]:5": false} {
		ta, _ := net.ResolveTCPAddr("tcp", a)
		if isLoopback(ta) != want {
			t.Errorf("isLoopback(%s) != %v", a, want)
		}
	}
}

func TestAuth(t *testing.T) {
	s, addr := startServer(t, Options{RequirePass: "secret", Users: [][]string{
		{"alice", "on", ">apw", "+@all", "~*", "&*"},
		{"carol", "on", "nopass", "-@all", "+ping", "&news"},
	}})
	c := dialRaw(t, addr)
	for _, tc := range []struct{ req, want string }{
		{"PING", "-NOAUTH Authentication required.\r\n"},
		{"nosuch", "-ERR unknown command 'nosuch', with args beginning with: \r\n"},
		{"HELLO", "-" + errHelloNoAuth + "\r\n"},
		{"AUTH wrong", "-WRONGPASS invalid username-password pair or user is disabled.\r\n"},
		{"AUTH alice wrong", "-WRONGPASS invalid username-password pair or user is disabled.\r\n"},
		{"AUTH secret", "+OK\r\n"},
		{"ACL WHOAMI", "$7\r\ndefault\r\n"},
		{"AUTH carol x", "+OK\r\n"},
		{"PING", "+PONG\r\n"},
		{"ROLE", "-NOPERM this user has no permissions to run the 'role' command\r\n"},
		{"AUTH alice apw", "+OK\r\n"},
		{"ACL WHOAMI", "$5\r\nalice\r\n"},
	} {
		if got := c.do(tc.req); got != tc.want {
			t.Errorf("%q = %q, want %q", tc.req, got, tc.want)
		}
	}
	// SetRequirePass: new connections need the new password, old ones stay in.
	s.SetRequirePass("")
	if got := dialRaw(t, addr).do("PING"); got != "+PONG\r\n" {
		t.Errorf("after SetRequirePass(\"\"): %q", got)
	}
	s.SetRequirePass("new")
	n := dialRaw(t, addr)
	if got := n.do("PING"); got != "-NOAUTH Authentication required.\r\n" {
		t.Errorf("after SetRequirePass: %q", got)
	}
	if got := n.do("AUTH new"); got != "+OK\r\n" {
		t.Errorf("AUTH new: %q", got)
	}
	if got := c.do("PING"); got != "+PONG\r\n" {
		t.Errorf("authenticated connection: %q", got)
	}
	if err := New(Options{Users: [][]string{{"x", "bogus"}}}).ACLError(); err == nil {
		t.Error("New accepted a bad rule")
	}
}

func TestACLDescribe(t *testing.T) {
	a := newACLState("")
	for _, tc := range []struct{ rules, want string }{
		{"on nopass -@all +ping +auth +hello &news", "on nopass resetchannels &news -@all +@fast -publish -role"},
		{"on >p1 ~* &* +@all", "on #" + acl.HashPassword("p1") + " ~* &* +@all"},
		{"+@pubsub -ping +client|id ~k* %R~r* resetkeys ~z &ch", "off ~z resetchannels &ch -@all +@pubsub +client|id"},
		{"allcommands -ping", "off resetchannels +@all -ping"},
		{"reset", "off sanitize-payload resetchannels -@all"},
		{"+ping|x", "off resetchannels -@all +ping|x"},
		{"(+ping ~x) (+info)", "off resetchannels -@all (~x resetchannels -@all +ping) (resetchannels -@all +info)"},
	} {
		u, _, err := a.setUser("u"+strconv.Itoa(len(tc.rules)), strings.Fields(strings.NewReplacer("(+ping ~x)", "(+ping~x)").Replace(tc.rules)))
		if strings.Contains(tc.rules, "(") {
			rules, _ := acl.MergeSelectors(strings.Fields(tc.rules))
			u, _, err = a.setUser("sel", rules)
		}
		if err != nil {
			t.Fatalf("%s: %v", tc.rules, err)
		}
		if got := u.a.Describe(); got != tc.want {
			t.Errorf("%s: %q, want %q", tc.rules, got, tc.want)
		}
	}
}

func TestACLChangesDisconnect(t *testing.T) {
	s, addr := startServer(t, Options{Users: [][]string{{"dave", "on", "nopass", "+@all", "&news*"}, {"erin", "on", "nopass", "+@all"}}})
	sub := dialRaw(t, addr)
	sub.do("AUTH dave x")
	if got := sub.do("SUBSCRIBE news1"); !strings.Contains(got, "news1") {
		t.Fatal(got)
	}
	if got := sub.do("SUBSCRIBE other"); got != "-NOPERM this user has no permissions to access one of the channels used as arguments\r\n" {
		t.Fatal(got)
	}
	erin := dialRaw(t, addr)
	erin.do("AUTH erin x")
	admin := dialRaw(t, addr)
	if got := admin.do("ACL SETUSER dave resetchannels"); got != "+OK\r\n" {
		t.Fatal(got)
	}
	if !sub.closed() {
		t.Fatal("a subscriber to a channel no longer allowed must be disconnected")
	}
	if got := admin.do("ACL DELUSER erin"); got != ":1\r\n" {
		t.Fatal(got)
	}
	if !erin.closed() {
		t.Fatal("the deleted user's connection must be closed")
	}
	waitFor(t, "both to be gone", func() bool { return clientCount(s) == 1 })
}

func TestShutdownCommand(t *testing.T) {
	called := make(chan struct{}, 1)
	_, addr := startServer(t, Options{Shutdown: func() { called <- struct{}{} }})
	c := dialRaw(t, addr)
	c.send("SHUTDOWN NOSAVE\r\nPING\r\n")
	if !c.closed() {
		t.Fatal("SHUTDOWN must close the connection without a reply")
	}
	select {
	case <-called:
	case <-time.After(wait):
		t.Fatal("Options.Shutdown was not called")
	}
}

func TestClientPause(t *testing.T) {
	s, addr := startServer(t, Options{})
	a, b := dialRaw(t, addr), dialRaw(t, addr)
	bid := strings.Trim(b.do("CLIENT ID"), ":\r\n")
	if got := a.do("CLIENT PAUSE 100000 WRITE"); got != "+OK\r\n" {
		t.Fatal(got)
	}
	if got := b.do("PING"); got != "+PONG\r\n" {
		t.Fatalf("PING is no write: %q", got)
	}
	b.send("PUBLISH __sentinel__:hello x\r\n")
	waitFor(t, "PUBLISH to be held back", func() bool {
		return strings.Contains(a.do("CLIENT LIST ID "+bid), "flags=b")
	})
	if got := a.do("CLIENT UNPAUSE"); got != "+OK\r\n" {
		t.Fatal(got)
	}
	if got := b.read(); got != ":1\r\n" {
		t.Fatal(got)
	}
	// A pause ALL holds everything, and ends by itself.
	start := time.Now()
	a.do("CLIENT PAUSE 30 ALL")
	if got := b.do("PING"); got != "+PONG\r\n" || time.Since(start) < 30*time.Millisecond {
		t.Fatalf("PING = %q after %v", got, time.Since(start))
	}
	// A held client whose connection is killed lets go.
	a.do("CLIENT PAUSE 100000 ALL")
	b.send("PING\r\n")
	waitFor(t, "PING to be held back", func() bool {
		s.mu.Lock()
		defer s.mu.Unlock()
		return connOfLocked(s, bid).blocked
	})
	connOf(t, s, bid).closeNow()
	waitFor(t, "the killed client to go", func() bool { return clientCount(s) == 1 })
	s.mu.Lock()
	s.pause.wake()
	s.mu.Unlock()
}

func connOfLocked(s *Server, id string) *conn {
	n, _ := strconv.ParseInt(id, 10, 64)
	return s.connLocked(n)
}

func TestClientKill(t *testing.T) {
	s, addr := startServer(t, Options{Users: [][]string{{"bob", "on", "nopass", "+@all"}}})
	admin := dialRaw(t, addr)
	v1, v2, v3 := dialRaw(t, addr), dialRaw(t, addr), dialRaw(t, addr)
	id1 := strings.Trim(v1.do("CLIENT ID"), ":\r\n")
	if got := admin.do("CLIENT KILL ID " + id1); got != ":1\r\n" {
		t.Fatal(got)
	}
	if !v1.closed() {
		t.Fatal("v1 open")
	}
	if got := admin.do("CLIENT KILL " + v2.nc.LocalAddr().String()); got != "+OK\r\n" {
		t.Fatal(got)
	}
	if !v2.closed() {
		t.Fatal("v2 open")
	}
	v3.do("AUTH bob x")
	if got := admin.do("CLIENT KILL USER bob"); got != ":1\r\n" {
		t.Fatal(got)
	}
	if !v3.closed() {
		t.Fatal("v3 open")
	}
	if got := admin.do("CLIENT KILL TYPE normal"); got != ":0\r\n" {
		t.Fatal(got)
	}
	// SKIPME no kills the caller too, after its reply.
	if got := admin.do("CLIENT KILL TYPE normal SKIPME no"); got != ":1\r\n" {
		t.Fatal(got)
	}
	if !admin.closed() {
		t.Fatal("admin open")
	}
	waitFor(t, "all gone", func() bool { return clientCount(s) == 0 })
}

func TestClientReply(t *testing.T) {
	s, addr := startServer(t, Options{})
	c := dialRaw(t, addr)
	sc := connOf(t, s, c.do("CLIENT ID"))
	c.do("SUBSCRIBE ev")
	if got := c.do("CLIENT REPLY OFF"); !strings.HasPrefix(got, "-ERR Can't execute 'client|reply'") {
		t.Fatalf("RESP2 subscribed context: %q", got)
	}
	c.do("UNSUBSCRIBE")
	c.do("HELLO 3")
	c.do("SUBSCRIBE ev")
	c.send("CLIENT REPLY OFF\r\n")
	waitFor(t, "replies to be off", func() bool {
		s.mu.Lock()
		defer s.mu.Unlock()
		return sc.replyOff
	})
	s.Publish("ev", "dropped") // Redis 7.0 silences pushes too while replies are off
	c.send("SUBSCRIBE x\r\nPING\r\n")
	if got := c.do("CLIENT REPLY ON"); got != "+OK\r\n" {
		t.Fatalf("first reply after REPLY ON = %q", got)
	}
}

func TestRenameCommands(t *testing.T) {
	_, addr := startServer(t, Options{RenameCommands: map[string]string{"ping": "pong2", "INFO": "", "nosuch": "x"}})
	c := dialRaw(t, addr)
	for _, tc := range []struct{ req, want string }{
		{"PING", "-ERR unknown command 'PING', with args beginning with: \r\n"},
		{"PONG2", "+PONG\r\n"},
		{"PONG2 a b", "-ERR wrong number of arguments for 'ping' command\r\n"},
		{"INFO", "-ERR unknown command 'INFO', with args beginning with: \r\n"},
		{"COMMAND COUNT", ":14\r\n"},
		{"COMMAND INFO ping", "*1\r\n$-1\r\n"},
	} {
		if got := c.do(tc.req); got != tc.want {
			t.Errorf("%q = %q, want %q", tc.req, got, tc.want)
		}
	}
	if got := c.do("COMMAND INFO pong2"); !strings.HasPrefix(got, "*1\r\n*10\r\n$4\r\nping\r\n") {
		t.Errorf("COMMAND INFO pong2 = %q", got)
	}
}

// TestSentinelMayBlock checks that a SENTINEL command waiting for the core blocks only
// its own connection: others are served and Publish goes on.
func TestSentinelMayBlock(t *testing.T) {
	f := &fakeSentinel{release: make(chan struct{})}
	s, addr := startServer(t, Options{Sentinel: f})
	blocked, sub, other := dialRaw(t, addr), dialRaw(t, addr), dialRaw(t, addr)
	sub.do("SUBSCRIBE ev")
	blocked.send("SENTINEL DEBUG\r\n")
	if got := other.do("PING"); got != "+PONG\r\n" {
		t.Fatal(got)
	}
	if n := s.Publish("ev", "x"); n != 1 {
		t.Fatal(n)
	}
	if got := sub.read(); !strings.Contains(got, "message") {
		t.Fatal(got)
	}
	close(f.release)
	if got := blocked.read(); got != "+OK\r\n" {
		t.Fatal(got)
	}
}

func TestLifecycle(t *testing.T) {
	s := New(Options{Sentinel: &fakeSentinel{}})
	l, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- s.Serve(l) }()
	c := dialRaw(t, l.Addr().String())
	c.do("SUBSCRIBE a")
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	if err := s.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	if err := <-served; !errors.Is(err, ErrServerClosed) {
		t.Fatalf("Serve = %v", err)
	}
	if !c.closed() {
		t.Fatal("connection open after Shutdown")
	}
	l2, _ := net.Listen("tcp4", "127.0.0.1:0")
	if err := s.Serve(l2); !errors.Is(err, ErrServerClosed) {
		t.Fatalf("Serve after Shutdown = %v", err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if n := s.Publish("a", "b"); n != 0 {
		t.Fatalf("Publish after Shutdown reached %d", n)
	}
}

func TestListen(t *testing.T) {
	if ls, err := Listen(nil, 0); ls != nil || err != nil {
		t.Fatalf("port 0: %v %v", ls, err)
	}
	port := realredis.FreePort(t)
	ls, err := Listen([]string{"-10.255.255.1", "127.0.0.1", "-::1"}, port)
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range ls {
		l.Close()
	}
	if len(ls) == 0 || ls[0].Addr().String() != "127.0.0.1:"+strconv.Itoa(port) {
		t.Fatalf("listeners %v", ls)
	}
	if _, err := Listen([]string{"127.0.0.1", "10.255.255.1"}, port); err == nil {
		t.Fatal("a missing address that is not optional must fail")
	}
	if _, err := Listen([]string{"-10.255.255.1"}, port); err == nil {
		t.Fatal("no listener at all must fail")
	}
	// The first listener was closed when the second failed: the port is free again.
	ls, err = Listen([]string{"127.0.0.1"}, port)
	if err != nil {
		t.Fatal(err)
	}
	ls[0].Close()
}
