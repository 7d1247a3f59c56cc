package config

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// normalize makes two loads of the same state comparable: user lines are compared by the
// ACL users they define (a rewrite hashes passwords), and Path by file.
func normalize(c *Config) *Config {
	n := c.Clone()
	var users [][]string
	for _, l := range n.userLines() {
		// Like redis-sentinel, a reload of the default user's rewritten line starts
		// from a reset, which adds sanitize-payload.
		if strings.HasPrefix(l, "user default ") {
			l = strings.Replace(l, " sanitize-payload", "", 1)
		}
		users = append(users, []string{l})
	}
	n.Users = users
	n.Path = ""
	return n
}

func roundTrip(t *testing.T, text string) (*Config, *Config, string) {
	t.Helper()
	dir := t.TempDir()
	p := writeFile(t, dir, "s.conf", text)
	c1 := mustLoad(t, p)
	if err := c1.Rewrite(); err != nil {
		t.Fatal(err)
	}
	out := read(t, p)
	c2, err := Load(p, nil)
	if err != nil {
		t.Fatalf("reload: %v\nfile:\n%s", err, out)
	}
	return c1, c2, out
}

func TestRoundTrip(t *testing.T) {
	text := `sentinel monitor "a b" 127.0.0.1 6379 2
sentinel auth-pass "a b" "pa ss \"quoted\" 'single'"
sentinel auth-user "a b" "us er"
sentinel rename-command "a b" CONFIG ""
sentinel rename-command "a b" slaveof "my slaveof"
sentinel known-replica "a b" 127.0.0.1 7001
sentinel known-sentinel "a b" ::1 26390 "run id with spaces"
sentinel monitor m 1.2.3 6379 1
sentinel down-after-milliseconds m 1000
sentinel failover-timeout m 2000
sentinel parallel-syncs m -3
sentinel master-reboot-down-after-period m 5
sentinel config-epoch m 18446744073709551615
sentinel leader-epoch m 9
sentinel sentinel-user "u\tx"
sentinel sentinel-pass ""
sentinel sentinel-pass "p\x00q"
sentinel announce-ip "1.2.3.4 "
sentinel announce-port 70000
sentinel deny-scripts-reconfig no
sentinel resolve-hostnames yes
sentinel announce-hostnames yes
sentinel monitor h some.host 1 1
requirepass ""
requirepass "x y"
user alice on ">p w" "~a*"
bind "" 
pidfile "/tmp/a b"
client-output-buffer-limit replica 1k 2k 3
maxmemory 10mb
shutdown-on-sigint now nosave
`
	c1, c2, out := roundTrip(t, text)
	if !reflect.DeepEqual(normalize(c1), normalize(c2)) {
		t.Errorf("round trip changed the config\nfirst  %+v\nsecond %+v\nfile:\n%s", c1, c2, out)
	}
	for _, want := range []string{`sentinel auth-pass "a b" "pa ss \"quoted\" 'single'"`, `sentinel rename-command "a b" CONFIG ""`,
		`sentinel monitor m 1.2.3 6379 1`, "sentinel config-epoch m 18446744073709551615", `sentinel announce-ip "1.2.3.4 "`} {
		if !strings.Contains(out, want+"\n") {
			t.Errorf("file lacks %q:\n%s", want, out)
		}
	}
}

func TestSecondRewriteIsStable(t *testing.T) {
	// Redis's rewrite is not idempotent for client-output-buffer-limit and the default
	// user (see above); for the rest a second rewrite changes nothing.
	_, c2, _ := roundTrip(t, "port 1\nsentinel monitor m 127.0.0.1 6379 2\nsentinel known-replica m 127.0.0.1 2\nsentinel auth-pass m \"a b\"\nmaxmemory 1mb\n")
	if err := c2.Rewrite(); err != nil {
		t.Fatal(err)
	}
	out := read(t, c2.Path)
	c3 := mustLoad(t, c2.Path)
	if err := c3.Rewrite(); err != nil {
		t.Fatal(err)
	}
	if again := read(t, c2.Path); again != out {
		t.Errorf("second rewrite differs:\n%s\nthen\n%s", out, again)
	}
}

func TestRewriteKeepsModeAndIsAtomic(t *testing.T) {
	dir := t.TempDir()
	p := writeFile(t, dir, "s.conf", "sentinel monitor m 127.0.0.1 6379 2\n")
	if err := os.Chmod(p, 0o600); err != nil {
		t.Fatal(err)
	}
	c := mustLoad(t, p)
	c.MyID = strings.Repeat("a", 40)
	if err := c.Rewrite(); err != nil {
		t.Fatal(err)
	}
	if st, _ := os.Stat(p); st.Mode().Perm() != 0o600 {
		t.Errorf("mode %v, want 0600", st.Mode().Perm())
	}
	before := read(t, p)
	if err := os.Chmod(dir, 0o500); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.Chmod(dir, 0o700) })
	if os.Geteuid() == 0 {
		t.Skip("root ignores directory permissions")
	}
	c.CurrentEpoch = 5
	err := c.Rewrite()
	if err == nil || !strings.Contains(err.Error(), p) || !strings.Contains(err.Error(), "permission denied") {
		t.Errorf("rewrite into a read-only directory: %v", err)
	}
	if read(t, p) != before {
		t.Error("the old file changed")
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("temporary files left: %v", entries)
	}
}

func TestRewriteFailureLeavesFile(t *testing.T) {
	// Works as root too: the directory is replaced by a file, so the temporary file
	// cannot be created.
	dir := t.TempDir()
	p := writeFile(t, dir, "s.conf", "port 1\n")
	c := mustLoad(t, p)
	c.Path = filepath.Join(dir, "s.conf", "inner.conf")
	if err := c.Rewrite(); err == nil || !strings.Contains(err.Error(), c.Path) {
		t.Errorf("rewrite under a file: %v", err)
	}
	if read(t, p) != "port 1\n" {
		t.Error("file changed")
	}
	if err := (&Config{}).Rewrite(); err != ErrNoPath {
		t.Errorf("no path: %v", err)
	}
}

func TestRewriteLayout(t *testing.T) {
	dir := t.TempDir()
	p := writeFile(t, dir, "s.conf", "# keep me   \nsentinel monitor m 127.0.0.1 6379 2\nsentinel parallel-syncs m 1\n\n\n\nfoo.bar 1\nsentinel known-slave m 127.0.0.1 7000\n")
	c := mustLoad(t, p)
	c.MyID = strings.Repeat("b", 40)
	c.Dir = "/d"
	if err := c.Rewrite(); err != nil {
		t.Fatal(err)
	}
	want := "# keep me\nsentinel monitor m 127.0.0.1 6379 2\n\n# ??? foo.bar 1\nsentinel known-replica m 127.0.0.1 7000\n\n" + signature + "\n" +
		"protected-mode no\nport 26379\ndir \"/d\"\nlatency-tracking-info-percentiles 50 99 99.9\nuser default on nopass ~* &* +@all\n" +
		"sentinel myid bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb\nsentinel config-epoch m 0\nsentinel leader-epoch m 0\nsentinel current-epoch 0\n"
	if got := read(t, p); got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
}

func TestCloneIsDeep(t *testing.T) {
	dir := t.TempDir()
	c := mustLoad(t, writeFile(t, dir, "s.conf", "sentinel monitor m 127.0.0.1 6379 2\nsentinel known-replica m 127.0.0.1 1\nsentinel rename-command m a b\nmaxmemory 1\nuser x on\n"))
	n := c.Clone()
	if !reflect.DeepEqual(c, n) {
		t.Fatal("clone differs")
	}
	n.Masters[0].KnownReplicas[0].Port = 2
	n.Masters[0].RenameCommands["a"] = "c"
	n.Options["maxmemory"][0] = "2"
	n.Users[0][0] = "y"
	n.Masters[0].Name = "z"
	if c.Masters[0].KnownReplicas[0].Port != 1 || c.Masters[0].RenameCommands["a"] != "b" ||
		c.Options["maxmemory"][0] != "1" || c.Users[0][0] != "x" || c.Masters[0].Name != "m" {
		t.Error("clone shares memory with the original")
	}
}

func TestValidate(t *testing.T) {
	dir := t.TempDir()
	c := mustLoad(t, writeFile(t, dir, "s.conf", "sentinel monitor m 127.0.0.1 6379 2\n"))
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	c.Masters[0].Quorum = 0
	if err := c.Validate(); err == nil || !strings.Contains(err.Error(), "Quorum must be 1 or greater.") {
		t.Errorf("quorum 0: %v", err)
	}
	c.Masters[0].Quorum = 1
	c.Masters[0].NotificationScript = "/nonexistent"
	if err := c.Validate(); err == nil || !strings.Contains(err.Error(), "Notification script") {
		t.Errorf("script: %v", err)
	}
}

func TestCheckWritable(t *testing.T) {
	dir := t.TempDir()
	p := writeFile(t, dir, "s.conf", "port 1\n")
	c := mustLoad(t, p)
	if err := c.CheckWritable(); err != nil {
		t.Fatal(err)
	}
	if os.Geteuid() == 0 {
		t.Skip("root can write anything")
	}
	if err := os.Chmod(p, 0o444); err != nil {
		t.Fatal(err)
	}
	if err := c.CheckWritable(); !errors.Is(err, ErrNotWritable) || !strings.Contains(err.Error(), "Permission denied") {
		t.Errorf("read-only file: %v", err)
	}
}
