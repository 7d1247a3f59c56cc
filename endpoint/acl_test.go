package endpoint

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/sentinel-go/sentinel/internal/acl"
)

func TestACLFileLoadAndSave(t *testing.T) {
	file := filepath.Join(t.TempDir(), "users.acl")
	write := func(text string) {
		if err := os.WriteFile(file, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("user default on >top ~* &* +@all\nuser alice on >pw -@all +ping\n")
	s, addr := startServer(t, Options{ACLFile: file})
	if err := s.ACLError(); err != nil {
		t.Fatal(err)
	}
	if got := dialRaw(t, addr).do("PING"); got != "-NOAUTH Authentication required.\r\n" {
		t.Errorf("PING without AUTH: %q", got)
	}
	alice := dialRaw(t, addr)
	if got := alice.do("AUTH alice pw"); got != "+OK\r\n" {
		t.Fatal(got)
	}
	admin := dialRaw(t, addr)
	admin.do("AUTH top")
	if got := admin.cmd("ACL", "SETUSER", "bob", "on", "nopass", "+@all"); got != "+OK\r\n" {
		t.Fatal(got)
	}
	if got := admin.do("ACL SAVE"); got != "+OK\r\n" {
		t.Fatal(got)
	}
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	want := "user alice on #" + acl.HashPassword("pw") + " resetchannels -@all +ping\n" +
		"user bob on nopass resetchannels +@all\n" +
		"user default on #" + acl.HashPassword("top") + " ~* &* +@all\n"
	if string(b) != want {
		t.Errorf("saved:\n%s\nwant:\n%s", b, want)
	}

	write("user zed on\n#comment\n")
	if got := admin.do("ACL LOAD"); got != "-ERR "+file+":2 should start with user keyword followed by the username. WARNING: ACL errors detected, no change to the previously active ACL rules was performed\r\n" {
		t.Errorf("ACL LOAD of a bad file: %q", got)
	}
	if got := alice.do("PING"); got != "+PONG\r\n" {
		t.Errorf("after a failed ACL LOAD: %q", got)
	}
	write("user zed on nopass +@all\n")
	if got := admin.do("ACL LOAD"); got != "+OK\r\n" {
		t.Fatal(got)
	}
	if !alice.closed() {
		t.Error("alice's connection stayed open after ACL LOAD")
	}
	// The file has no default user: it becomes Redis's initial one, nopass.
	if got := admin.do("ACL USERS"); got != "*2\r\n$7\r\ndefault\r\n$3\r\nzed\r\n" {
		t.Errorf("ACL USERS: %q", got)
	}
	if got := dialRaw(t, addr).do("PING"); got != "+PONG\r\n" {
		t.Errorf("PING with the initial default user: %q", got)
	}
}

func TestACLLoadErrors(t *testing.T) {
	for _, tc := range []struct {
		o    Options
		want string
	}{
		{Options{ACLFile: "x.acl", Users: [][]string{{"bob", "on"}}}, errACLBoth.Error()},
		{Options{Users: [][]string{{"bob", "on", "+nosuch"}}}, "Error loading ACL rule '+nosuch' for the user named 'bob': Unknown command or category name in ACL\nCritical error while loading ACLs. Exiting."},
		{Options{Users: [][]string{{"b b", "on"}}}, "Spaces not allowed in ACL usernames\nCritical error while loading ACLs. Exiting."},
		{Options{ACLFile: "/nonexistent/x.acl"}, "Aborting Redis startup because of ACL errors: Error loading ACLs, opening file '/nonexistent/x.acl': No such file or directory"},
	} {
		tc.o.Sentinel = &fakeSentinel{}
		s, addr := startServer(t, tc.o)
		if err := s.ACLError(); err == nil || err.Error() != tc.want {
			t.Errorf("%+v: %v\nwant %s", tc.o, err, tc.want)
		}
		// It fails closed.
		if got := dialRaw(t, addr).do("PING"); got != "-NOAUTH Authentication required.\r\n" {
			t.Errorf("%+v: PING = %q", tc.o, got)
		}
	}
	s := New(Options{})
	if got := s.UserLines(); len(got) != 1 || got[0] != "user default on nopass ~* &* +@all" {
		t.Errorf("UserLines: %q", got)
	}
}
