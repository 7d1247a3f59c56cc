package acl

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// fakeTable is a five-command table: enough for categories, containers and first args.
type fakeTable []Command

var _ Commands = fakeTable(nil)

func (t fakeTable) All() []Command { return t }

func (t fakeTable) Lookup(name string) (Command, bool) {
	for _, c := range t {
		if c.Name == strings.ToLower(name) {
			return c, true
		}
	}
	return Command{}, false
}

func bits(names ...string) uint64 {
	var b uint64
	for _, n := range names {
		bit, ok := CategoryBit(n)
		if !ok {
			panic(n)
		}
		b |= bit
	}
	return b
}

var table = fakeTable{
	{ID: 0, Name: "ping", Categories: bits("fast", "connection"), Parent: -1},
	{ID: 1, Name: "publish", Categories: bits("pubsub", "fast"), Parent: -1},
	{ID: 2, Name: "client", Categories: 0, Parent: -1, Subs: []int{3, 4}},
	{ID: 3, Name: "client|id", Categories: bits("slow", "connection"), Parent: 2},
	{ID: 4, Name: "client|kill", Categories: bits("admin", "slow", "dangerous", "connection"), Parent: 2},
	{ID: 5, Name: "select", Categories: bits("fast", "connection"), Parent: -1},
}

func mustSet(t *testing.T, cmds Commands, rules string) *User {
	t.Helper()
	merged, open := MergeSelectors(strings.Fields(rules))
	if open >= 0 {
		t.Fatalf("%s: unterminated selector at %d", rules, open)
	}
	u, bad, err := Apply(NewUser("u", cmds), merged)
	if err != nil {
		t.Fatalf("%s: rule %q: %v", rules, bad, err)
	}
	return u
}

func TestDescribe(t *testing.T) {
	for _, tc := range []struct{ rules, table, text string }{
		{"", "off resetchannels -@all", "off resetchannels -@all"},
		{"on >p1 ~* &* +@all", "on #" + HashPassword("p1") + " ~* &* +@all", ""},
		{"on nopass +@connection -client|kill &news", "on nopass resetchannels &news -@all +@connection -client|kill", "on nopass resetchannels &news -@all +@connection -client|kill"},
		{"+@all -ping", "off resetchannels +@all -ping", "off resetchannels +@all -ping"},
		{"+ping +ping -publish", "off resetchannels -@all +ping", "off resetchannels -@all +ping"},
		{"reset", "off sanitize-payload resetchannels -@all", ""},
		{"+select|0 +select|1", "off resetchannels -@all +select|0 +select|1", ""},
		{"%R~a ~a %W~b %R %rw~*", "off ~* resetchannels -@all", ""},
		{"%R~a %W~b", "off %R~a %W~b resetchannels -@all", ""},
		{"(+ping ~x) (+client|id)", "off resetchannels -@all (~x resetchannels -@all +ping) (resetchannels -@all +client|id)", ""},
		{"on >a >a >b <a", "on #" + HashPassword("b") + " resetchannels -@all", ""},
	} {
		if got := mustSet(t, table, tc.rules).Describe(); got != tc.table {
			t.Errorf("%q with a table: %q, want %q", tc.rules, got, tc.table)
		}
		want := tc.text
		if want == "" {
			want = tc.table
		}
		if got := mustSet(t, nil, tc.rules).Describe(); got != want {
			t.Errorf("%q without a table: %q, want %q", tc.rules, got, want)
		}
	}
}

func TestSetErrors(t *testing.T) {
	for _, tc := range []struct {
		rule string
		want error
	}{
		{"+", ErrUnknown},
		{"+nosuch", ErrUnknown},
		{"+@nosuch", ErrUnknown},
		{"+client|nosuch", ErrUnknown},
		{"+client|id|x", ErrFirstArgSub},
		{"+ping|", ErrSyntax},
		{"bogus", ErrSyntax},
		{"%~x", ErrSyntax},
		{"%RR~x", ErrSyntax},
		{"#abc", ErrBadHash},
		{"!" + strings.Repeat("A", 64), ErrBadHash},
		{"<nope", ErrNoPass},
		{"(+nosuch)", ErrUnknown},
	} {
		if err := NewUser("u", table).Set(tc.rule); err != tc.want {
			t.Errorf("%q: %v, want %v", tc.rule, err, tc.want)
		}
	}
	u := mustSet(t, table, "~* &*")
	if err := u.Set("~a"); err != ErrKeyAfterAll {
		t.Errorf("~a after ~*: %v", err)
	}
	if err := u.Set("&a"); err != ErrChanAfterAll {
		t.Errorf("&a after &*: %v", err)
	}
}

func TestCheck(t *testing.T) {
	u := mustSet(t, table, "on -@all +ping +select|0 &news* (+publish &other)")
	for _, tc := range []struct {
		id       int
		args     []string
		channels []Channel
		want     Result
		pos      int
	}{
		{0, []string{"ping"}, nil, OK, 0},
		{5, []string{"select", "0"}, nil, OK, 0},
		{5, []string{"select", "1"}, nil, DeniedCmd, 0},
		{3, []string{"client", "id"}, nil, DeniedCmd, 0},
		{1, []string{"publish", "other", "m"}, []Channel{{Pos: 1}}, OK, 0},
		// The root selector refuses the command, the other the channel: the more
		// specific refusal is reported.
		{1, []string{"publish", "news1", "m"}, []Channel{{Pos: 1}}, DeniedChannel, 1},
	} {
		args := make([][]byte, len(tc.args))
		for i, a := range tc.args {
			args[i] = []byte(a)
		}
		if r, pos := u.Check(tc.id, args, tc.channels); r != tc.want || pos != tc.pos {
			t.Errorf("%v: %v at %d, want %v at %d", tc.args, r, pos, tc.want, tc.pos)
		}
	}
	sub := mustSet(t, table, "+publish &news*")
	if r, pos := sub.Check(1, [][]byte{[]byte("publish"), []byte("x"), []byte("m")}, []Channel{{Pos: 1}}); r != DeniedChannel || pos != 1 {
		t.Errorf("publish x: %v at %d", r, pos)
	}
	if !sub.ChannelAllowed("news1", false) || sub.ChannelAllowed("news1", true) || !sub.ChannelAllowed("news*", true) {
		t.Error("ChannelAllowed: a pattern must equal, a channel must match")
	}
}

func TestUsersTable(t *testing.T) {
	tab := NewUsers(table)
	tab.SetRequirePass("s")
	before := tab.Default()
	if _, _, err := tab.Set("a b", nil); err != ErrBadName {
		t.Errorf("name with a space: %v", err)
	}
	if _, bad, err := tab.Set("x", []string{"on", "+nosuch"}); err != ErrUnknown || bad != "+nosuch" || tab.Get("x") != nil {
		t.Errorf("a failing SETUSER must change nothing: %q %v %v", bad, err, tab.Get("x"))
	}
	if err := tab.LoadConfigured([][]string{{"default", "on", "nopass", "+@all"}, {"bob", "on", "(+ping", "~k)"}}); err != nil {
		t.Fatal(err)
	}
	if before.CheckPassword("other") || !before.CheckPassword("s") {
		t.Error("a user in the table changed")
	}
	want := []string{
		"user bob on resetchannels -@all (~k resetchannels -@all +ping)",
		"user default on nopass sanitize-payload resetchannels +@all",
	}
	if got := tab.Lines(); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("lines %q, want %q", got, want)
	}
	err := NewUsers(table).LoadConfigured([][]string{{"bob", "on", "+nosuch"}})
	if err == nil || err.Error() != "Error loading ACL rule '+nosuch' for the user named 'bob': Unknown command or category name in ACL" {
		t.Errorf("LoadConfigured: %v", err)
	}
	if !tab.Delete("bob") || tab.Delete("bob") || tab.Delete("default") {
		t.Error("Delete")
	}
}

func TestParseFile(t *testing.T) {
	tab, err := NewUsers(table).ParseFile("u.acl", "user alice on >pw +ping\r\n\n   \n\t user zed\n")
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"user alice on #" + HashPassword("pw") + " resetchannels -@all +ping",
		"user default on nopass ~* &* +@all", // a file without one gets the initial default user
		"user zed off resetchannels -@all",
	}
	if got := tab.Lines(); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("lines %q, want %q", got, want)
	}
	// Words are split on single spaces, as Redis does: "user  zed" is the user "" with
	// the rule "zed".
	if _, err := NewUsers(table).ParseFile("u.acl", "user  zed\n"); err == nil || !strings.HasPrefix(err.Error(), "u.acl:1: Syntax error. ") {
		t.Errorf("double space: %v", err)
	}
	_, err = NewUsers(table).ParseFile("u.acl", "junk\nuser a on +nosuch ~a #x\nuser a\nuser b on (+ping\n")
	const msg = "u.acl:1 should start with user keyword followed by the username. " +
		"u.acl:2: Error in applying operation '+nosuch': Unknown command or category name in ACL. " +
		"u.acl:2: The password hash must be exactly 64 characters and contain only lowercase hexadecimal characters. " +
		"WARNING: Duplicate user 'a' found on line 3. " +
		"u.acl:4: Unmatched parenthesis in selector definition." +
		"WARNING: ACL errors detected, no change to the previously active ACL rules was performed"
	if err == nil || err.Error() != msg {
		t.Errorf("errors:\n%v\nwant:\n%s", err, msg)
	}
	if _, err := NewUsers(table).ReadFile(filepath.Join(t.TempDir(), "missing.acl")); err == nil || !strings.HasSuffix(err.Error(), "missing.acl': No such file or directory") {
		t.Errorf("missing file: %v", err)
	}
}

func TestCText(t *testing.T) {
	long := strings.Repeat("a", 1030)
	for _, tc := range []struct{ in, want string }{
		// The NUL drops the rest of the piece, newline included: the lines join.
		{"user a\x00junk\nuser b\n", "user auser b\n"},
		{long + "\x00b\n", long}, // the NUL is in the second fgets piece
		{"x" + long[:1022] + "\x00", "x" + long[:1022]},
		{"no newline", "no newline"},
	} {
		if got := cText([]byte(tc.in)); got != tc.want {
			t.Errorf("cText(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
	// A directory opens, and reads as an empty file.
	tab, err := NewUsers(table).ReadFile(t.TempDir())
	if err != nil || strings.Join(tab.Names(), ",") != "default" {
		t.Errorf("directory: %v", err)
	}
}

func TestWriteFile(t *testing.T) {
	p := filepath.Join(t.TempDir(), "users.acl")
	if err := os.WriteFile(p, []byte("old\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tab := NewUsers(table)
	if err := WriteFile(p, tab.Lines()); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	if string(b) != "user default on nopass ~* &* +@all\n" {
		t.Errorf("file %q", b)
	}
	left, _ := filepath.Glob(p + ".tmp*")
	if len(left) > 0 {
		t.Errorf("left %v", left)
	}
	dir := filepath.Join(filepath.Dir(p), "d")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := WriteFile(dir, nil); err == nil || err.Error() != "Renaming ACL file for ACL SAVE: Is a directory" {
		t.Errorf("saving over a directory: %v", err)
	}
	back, err := NewUsers(table).ReadFile(p)
	if err != nil || strings.Join(back.Lines(), "\n") != strings.Join(tab.Lines(), "\n") {
		t.Errorf("read back: %v %q", err, back.Lines())
	}
}

func TestPubsubDefault(t *testing.T) {
	tab := NewUsers(table)
	tab.SetPubsubDefault(true)
	if _, _, err := tab.Set("x", []string{"on", "(+ping)"}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := tab.Set("default", []string{"(+ping)"}); err != nil {
		t.Fatal(err)
	}
	want := []string{"user default on nopass ~* &* +@all (&* -@all +ping)", "user x on &* -@all (&* -@all +ping)"}
	if got := tab.Lines(); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("lines %q, want %q", got, want)
	}
	f, err := tab.ParseFile("f", "user y reset\n")
	if err != nil {
		t.Fatal(err)
	}
	if got := f.Get("y").Describe(); got != "off sanitize-payload &* -@all" {
		t.Errorf("reset under allchannels: %q", got)
	}
}
