package sentinel_test

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/sentinel-go/sentinel/e2e/realredis"
)

// The ACL tests run one real redis-sentinel and one of ours on the same files, send both
// the same commands and compare the replies byte for byte, and the files they write line
// for line. No instance needs to answer: the users and the config are all that matter.

const (
	// aliceHash is SHA-256("pw"), topsecretHash SHA-256("topsecret"), carolHash
	// SHA-256("c"): the rewrite and ACL SAVE write hashes, never passwords.
	aliceHash     = "30c952fab122c3f9759f02a6d95c3758b246b4fee239957b2d4fee46e26170c4"
	topsecretHash = "53336a676c64c1396553b2b7c92f38126768827c93b64d9142069c10eda7a721"
	carolHash     = "2e7d2c03a9507ae265ecf5b5356885a53393a2029d241394997265a1a25aefc6"
	// carolLine is the user that ACL SETUSER carol on >c ~k* &ch +sentinel|masters
	// "(+ping ~x)" makes, as both sentinels describe it.
	carolLine = "user carol on #" + carolHash + " ~k* resetchannels &ch -@all +sentinel|masters (~x resetchannels -@all +ping)"
)

var carolRules = []string{"ACL", "SETUSER", "carol", "on", ">c", "~k*", "&ch", "+sentinel|masters", "(+ping", "~x)"}

// aclConf is the config of both sentinels: a master nobody serves, and extra lines.
func aclConf(port, masterPort int, extra ...string) string {
	return fmt.Sprintf("port %d\nbind 127.0.0.1\nsentinel monitor %s 127.0.0.1 %d 2\n%s",
		port, masterName, masterPort, strings.Join(append(extra, ""), "\n"))
}

// startACLPair starts both sentinels, each in its own directory holding files (the
// aclfile, by a relative name, so that both configs and their messages are the same).
func startACLPair(t *testing.T, files map[string]string, extra ...string) *pair {
	t.Helper()
	requireReal(t)
	requireOurs(t)
	master := realredis.FreePort(t)
	p := &pair{}
	for _, kind := range []string{real, ours} {
		dir := t.TempDir()
		for name, text := range files {
			if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		port := realredis.FreePort(t)
		s := startSentinelIn(t, kind, dir, port, aclConf(port, master, extra...))
		if kind == real {
			p.real = s
		} else {
			p.ours = s
		}
	}
	return p
}

// session is one connection to each sentinel of a pair, for commands whose effect lasts
// (AUTH).
type session [2]*rawConn

func (p *pair) session(t *testing.T) session {
	return session{dialRaw(t, p.real.Addr), dialRaw(t, p.ours.Addr)}
}

// expect sends the command on both connections and checks that both replies are want.
func (s session) expect(t *testing.T, want string, args ...string) {
	t.Helper()
	r, o := s[0].do(t, args...), s[1].do(t, args...)
	if string(r.Raw) != want {
		t.Errorf("%s: real redis-sentinel %s, want %q (the test is wrong)", strings.Join(args, " "), r, want)
	}
	if string(o.Raw) != string(r.Raw) {
		t.Errorf("%s: ours %s, real %s", strings.Join(args, " "), o, r)
	}
}

// same sends the command on both connections and checks that the replies are equal.
func (s session) same(t *testing.T, args ...string) value {
	t.Helper()
	r, o := s[0].do(t, args...), s[1].do(t, args...)
	if string(o.Raw) != string(r.Raw) {
		t.Errorf("%s: ours %s, real %s", strings.Join(args, " "), o, r)
	}
	return r
}

// closed checks that both sentinels closed the connection.
func (s session) closed(t *testing.T) {
	t.Helper()
	for i, c := range s {
		if v, err := c.tryDo("PING"); err == nil {
			t.Errorf("%s: the connection stayed open: PING = %s", []string{real, ours}[i], v)
		}
	}
}

func bulks(items ...string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "*%d\r\n", len(items))
	for _, s := range items {
		fmt.Fprintf(&b, "$%d\r\n%s\r\n", len(s), s)
	}
	return b.String()
}

// userLines are a config file's `user` lines, in file order.
func userLines(t *testing.T, path string) []string {
	t.Helper()
	var out []string
	for _, l := range readLines(t, path) {
		if strings.HasPrefix(l, "user ") {
			out = append(out, l)
		}
	}
	return out
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// aliceFile's alice may run one command: with two single commands, redis-sentinel's
// description lists them in its hash table's order, which changes with every start.
const aliceFile = "user default on >topsecret ~* &* +@all\n" +
	"user alice on >pw ~* &* -@all +sentinel|get-master-addr-by-name\n"
const aliceLine = "user alice on #" + aliceHash + " ~* &* -@all +sentinel|get-master-addr-by-name"

// TestACLFile: users from an aclfile, ACL SAVE and ACL LOAD, as redis-sentinel has them.
func TestACLFile(t *testing.T) {
	t.Parallel()
	p := startACLPair(t, map[string]string{"users.acl": aliceFile}, "aclfile users.acl")

	anon := p.session(t)
	anon.expect(t, "-NOAUTH Authentication required.\r\n", "SENTINEL", "GET-MASTER-ADDR-BY-NAME", masterName)
	anon.expect(t, "-WRONGPASS invalid username-password pair or user is disabled.\r\n", "AUTH", "alice", "nope")

	alice := p.session(t)
	alice.expect(t, "+OK\r\n", "AUTH", "alice", "pw")
	alice.same(t, "SENTINEL", "GET-MASTER-ADDR-BY-NAME", masterName)
	alice.expect(t, "-NOPERM this user has no permissions to run the 'sentinel|masters' command\r\n", "SENTINEL", "MASTERS")
	alice.expect(t, "-NOPERM this user has no permissions to run the 'acl|whoami' command\r\n", "ACL", "WHOAMI")

	admin := p.session(t)
	admin.expect(t, "+OK\r\n", "AUTH", "topsecret")
	admin.expect(t, bulks(aliceLine, "user default on #"+topsecretHash+" ~* &* +@all"), "ACL", "LIST")

	// ACL SAVE writes the live users, sorted by name, to the aclfile.
	admin.expect(t, "+OK\r\n", carolRules...)
	admin.same(t, "ACL", "GETUSER", "alice")
	admin.same(t, "ACL", "GETUSER", "carol")
	admin.same(t, "ACL", "DRYRUN", "carol", "SENTINEL", "MASTERS")
	admin.same(t, "ACL", "DRYRUN", "carol", "SENTINEL", "MYID")
	carol := p.session(t)
	carol.expect(t, "+OK\r\n", "AUTH", "carol", "c")
	carol.expect(t, "+PONG\r\n", "PING") // by the selector
	carol.expect(t, "-NOPERM this user has no permissions to run the 'publish' command\r\n", "PUBLISH", "ch", "m")
	admin.expect(t, "+OK\r\n", "ACL", "SAVE")
	want := aliceLine + "\n" + carolLine + "\n" + "user default on #" + topsecretHash + " ~* &* +@all\n"
	for _, s := range p.both() {
		if got := readFile(t, filepath.Join(s.Dir, "users.acl")); got != want {
			t.Errorf("%s: users.acl after ACL SAVE:\n%s\nwant:\n%s", s, got, want)
		}
		if left, _ := filepath.Glob(filepath.Join(s.Dir, "users.acl.tmp*")); len(left) > 0 {
			t.Errorf("%s: ACL SAVE left %v", s, left)
		}
	}

	// A file with errors changes nothing, and says why.
	for _, s := range p.both() {
		if err := os.WriteFile(filepath.Join(s.Dir, "users.acl"), []byte("junk\nuser a on +nosuch ~a ~a #x\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	admin.expect(t, "-ERR users.acl:1 should start with user keyword followed by the username. "+
		"users.acl:2: Error in applying operation '+nosuch': Unknown command or category name in ACL. "+
		"users.acl:2: The password hash must be exactly 64 characters and contain only lowercase hexadecimal characters. "+
		"WARNING: ACL errors detected, no change to the previously active ACL rules was performed\r\n", "ACL", "LOAD")
	admin.same(t, "ACL", "LIST")
	alice.same(t, "SENTINEL", "GET-MASTER-ADDR-BY-NAME", masterName)

	// ACL LOAD replaces every user; the connections of all but the default user close.
	for _, s := range p.both() {
		if err := os.WriteFile(filepath.Join(s.Dir, "users.acl"), []byte("user default on >topsecret ~* &* +@all\r\n\n  user zed\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	admin.expect(t, "+OK\r\n", "ACL", "LOAD")
	admin.expect(t, bulks("user default on #"+topsecretHash+" ~* &* +@all", "user zed off resetchannels -@all"), "ACL", "LIST")
	alice.closed(t)
	admin.expect(t, "-ERR wrong number of arguments for 'acl|load' command\r\n", "ACL", "LOAD", "x")
	admin.expect(t, "-ERR wrong number of arguments for 'acl|save' command\r\n", "ACL", "SAVE", "x")

	// With an aclfile, a config rewrite writes no users.
	admin.expect(t, "+OK\r\n", "SENTINEL", "FLUSHCONFIG")
	for _, s := range p.both() {
		if u := userLines(t, s.Conf); len(u) > 0 {
			t.Errorf("%s: the rewrite wrote %q with an aclfile", s, u)
		}
	}

	// A restart reads the rewritten config (aclfile "users.acl") and the file again.
	for _, sp := range p.both() {
		sp.terminate(t, downAfter)
		sp.restart(t)
	}
	admin = p.session(t)
	admin.expect(t, "+OK\r\n", "AUTH", "topsecret")
	admin.expect(t, bulks("user default on #"+topsecretHash+" ~* &* +@all", "user zed off resetchannels -@all"), "ACL", "LIST")

	// A save that cannot replace the file fails, and leaves no temporary file.
	for _, s := range p.both() {
		acl := filepath.Join(s.Dir, "users.acl")
		if err := os.Remove(acl); err != nil {
			t.Fatal(err)
		}
		if err := os.Mkdir(acl, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	admin.expect(t, "-ERR There was an error trying to save the ACLs. Please check the server logs for more information\r\n", "ACL", "SAVE")
	for _, s := range p.both() {
		if left, _ := filepath.Glob(filepath.Join(s.Dir, "users.acl.tmp*")); len(left) > 0 {
			t.Errorf("%s: a failed ACL SAVE left %v", s, left)
		}
	}
}

// TestACLRewrite: without an aclfile, ACL LOAD and SAVE refuse, and ACL SETUSER and
// DELUSER reach sentinel.conf at the next flush, as redis-sentinel writes them, and
// survive a restart.
func TestACLRewrite(t *testing.T) {
	t.Parallel()
	p := startACLPair(t, nil, "user bob on >b ~* +ping")
	s := p.session(t)
	noFile := "-ERR This Redis instance is not configured to use an ACL file. You may want to specify users via the ACL SETUSER command and then issue a CONFIG REWRITE (assuming you have a Redis configuration file set) in order to store users in the Redis configuration.\r\n"
	s.expect(t, noFile, "ACL", "LOAD")
	s.expect(t, noFile, "ACL", "SAVE")
	s.expect(t, "+OK\r\n", carolRules...)
	s.expect(t, ":1\r\n", "ACL", "DELUSER", "bob")
	s.expect(t, "+OK\r\n", "SENTINEL", "FLUSHCONFIG")
	r, o := userLines(t, p.real.Conf), userLines(t, p.ours.Conf)
	if want := []string{carolLine, "user default on nopass ~* &* +@all"}; !slices.Equal(r, want) {
		t.Errorf("real redis-sentinel wrote %q, want %q (the test is wrong)", r, want)
	}
	if !slices.Equal(o, r) {
		t.Errorf("user lines after SENTINEL FLUSHCONFIG\nours: %q\nreal: %q", o, r)
	}
	if rl, ol := readLines(t, p.real.Conf), readLines(t, p.ours.Conf); slices.Index(rl, carolLine) != slices.Index(ol, carolLine) {
		t.Errorf("carol's line is at %d in ours, %d in the real one's", slices.Index(ol, carolLine), slices.Index(rl, carolLine))
	}

	for _, sp := range p.both() {
		sp.terminate(t, downAfter)
		sp.restart(t)
	}
	after := p.session(t)
	after.expect(t, "+OK\r\n", "AUTH", "carol", "c")
	after.expect(t, "-NOPERM this user has no permissions to run the 'sentinel|myid' command\r\n", "SENTINEL", "MYID")
	p.session(t).expect(t, bulks("user carol on #"+carolHash+" ~k* resetchannels &ch -@all +sentinel|masters (~x resetchannels -@all +ping)",
		"user default on nopass sanitize-payload ~* &* +@all"), "ACL", "LIST")
}

// aclFatalCases are ACL set-ups both binaries refuse after they start listening (so they
// need a real port, unlike fatalCases): exit 1 and the same last log lines.
type aclFatalCase struct {
	fatalCase
	want string // the end of the log, when the case states it
}

func aclFatalCases(port int) []aclFatalCase {
	conf := fmt.Sprintf("port %d\nbind 127.0.0.1\n", port)
	var many strings.Builder
	for i := range 20 {
		fmt.Fprintf(&many, "user u%d on +nosuch%d\n", i, i)
	}
	return []aclFatalCase{
		{fatalCase{name: "aclfile missing", conf: conf + "aclfile missing.acl\n"},
			"# Aborting Redis startup because of ACL errors: Error loading ACLs, opening file 'missing.acl': No such file or directory\n"},
		{fatalCase{name: "aclfile errors", conf: conf + "aclfile users.acl\n", files: map[string]string{
			"users.acl": "user default on >x\nfoo bar\nuser a on +nosuch\nuser a\n\nuser c on #abc\n" +
				"user d on +@nosuch -nosuch2 ~a ~* ~b\nuser e xyz\n   \nuser\n\"user\" x\nuser f on >a\tb\n"}}, ""},
		// A NUL ends what Redis's fgets loop keeps of the line, newline included.
		{fatalCase{name: "aclfile with a NUL", conf: conf + "aclfile users.acl\n",
			files: map[string]string{"users.acl": "user default on >x\x00junk\nuser b on\n"}},
			"# Aborting Redis startup because of ACL errors: users.acl:1: Syntax error. WARNING: ACL errors detected, no change to the previously active ACL rules was performed\n"},
		{fatalCase{name: "aclfile errors cut at 1023 bytes", conf: conf + "aclfile users.acl\n",
			files: map[string]string{"users.acl": many.String()}}, ""},
		{fatalCase{name: "users and aclfile", conf: conf + "aclfile users.acl\nuser bob on\n", files: map[string]string{"users.acl": ""}},
			"# Configuring Redis with users defined in redis.conf and at the same setting an ACL file path is invalid. This setup is very likely to lead to configuration errors and security holes, please define either an ACL file or declare users directly in your redis.conf, but not both.\n"},
		{fatalCase{name: "user with an unknown command", conf: conf + "user bob on +nosuch\n"},
			"# Error loading ACL rule '+nosuch' for the user named 'bob': Unknown command or category name in ACL\n# Critical error while loading ACLs. Exiting.\n"},
		{fatalCase{name: "user with an unknown category", conf: conf + "user bob on ~* -@nosuch\n"}, ""},
	}
}

// TestFatalACL: ACL errors at start-up stop both binaries with exit code 1, the same
// stderr, and the same log lines from "Running mode" on (the banners before differ).
func TestFatalACL(t *testing.T) {
	t.Parallel()
	realBin := requireReal(t)
	ourBin := requireOurs(t)
	for _, c := range aclFatalCases(realredis.FreePort(t)) {
		t.Run(c.name, func(t *testing.T) {
			// Not parallel: every case listens on the same port for a moment.
			r, o := bothExit1(t, realBin, ourBin, c.fatalCase)
			if c.want != "" && !strings.HasSuffix(fromRunning(r.stdout), c.want) {
				t.Errorf("the real redis-sentinel logged %q, want it to end with %q (the test is wrong)", fromRunning(r.stdout), c.want)
			}
			if rt, ot := fromRunning(r.stdout), fromRunning(o.stdout); rt != ot || rt == "" {
				t.Errorf("log from \"Running mode\" on differs\nreal: %q\nours: %q", rt, ot)
			}
		})
	}
}

// fromRunning is the log from the "Running mode" line on.
func fromRunning(log string) string {
	if i := strings.Index(log, "* Running mode="); i >= 0 {
		return log[i:]
	}
	return ""
}

// TestACLPubsubDefault: acl-pubsub-default allchannels gives new users and selectors, and
// a reset, every channel.
func TestACLPubsubDefault(t *testing.T) {
	t.Parallel()
	p := startACLPair(t, nil, "acl-pubsub-default allchannels", "user bob on")
	s := p.session(t)
	s.expect(t, "+OK\r\n", "ACL", "SETUSER", "x", "on", "(+ping)")
	s.expect(t, "+OK\r\n", "ACL", "SETUSER", "y", "reset")
	s.expect(t, bulks("user bob on &* -@all", "user default on nopass ~* &* +@all",
		"user x on &* -@all (&* -@all +ping)", "user y off sanitize-payload &* -@all"), "ACL", "LIST")
}
