package config

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

func writeFile(t *testing.T, dir, name, text string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func mustLoad(t *testing.T, path string, extra ...string) *Config {
	t.Helper()
	c, err := Load(path, extra)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	return c
}

func TestLoadModel(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "inc.conf", "sentinel known-replica m 127.0.0.1 7001\n")
	p := writeFile(t, dir, "s.conf", strings.ReplaceAll(`
# the down-after line names a master declared later: the monitor pass runs first
SENTINEL DOWN-AFTER-MILLISECONDS m 5000
sentinel monitor m 127.0.0.1 6379 2
Port 26380
bind 127.0.0.1 ::1
protected-mode YES
loglevel Warning
requirepass 'se cret'
include $DIR/inc.conf
sentinel auth-pass m "pa ss"
sentinel rename-command m CONFIG ""
sentinel known-sentinel m 127.0.0.1 26390 aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa
sentinel config-epoch m 7
sentinel current-epoch 3
sentinel myid 0123456789012345678901234567890123456789
slave-priority 5
maxmemory 1048576
rename-command ping PONG
user alice on >x ~* +@all
logformat JSON
`, "$DIR", dir))
	c := mustLoad(t, p, "--sentinel", "announce-ip", "10.0.0.9", "--loglevel", "debug")
	m := c.Master("m")
	if m == nil {
		t.Fatal("no master m")
	}
	want := NewMaster("m", "127.0.0.1", 6379, 2)
	want.DownAfter = 5 * time.Second
	want.AuthPass = "pa ss"
	want.RenameCommands = map[string]string{"config": ""}
	want.renameSpelling = map[string]string{"config": "CONFIG"}
	want.KnownReplicas = []Addr{{"127.0.0.1", 7001}}
	want.KnownSentinels = []KnownSentinel{{Addr{"127.0.0.1", 26390}, strings.Repeat("a", 40)}}
	want.ConfigEpoch = 7
	if !reflect.DeepEqual(m, want) {
		t.Errorf("master\n got %+v\nwant %+v", m, want)
	}
	if c.Port != 26380 || !reflect.DeepEqual(c.Bind, []string{"127.0.0.1", "::1"}) || !c.ProtectedMode ||
		c.LogLevel != "debug" || c.RequirePass != "se cret" || c.CurrentEpoch != 7 ||
		c.AnnounceIP != "10.0.0.9" || c.LogFormat != "json" || c.MyID != strings.Repeat("0123456789", 4) {
		t.Errorf("globals: %+v", c)
	}
	if !reflect.DeepEqual(c.Options["replica-priority"], []string{"5"}) || !reflect.DeepEqual(c.Options["maxmemory"], []string{"1mb"}) {
		t.Errorf("options: %v", c.Options)
	}
	if c.RenameCommands["ping"] != "PONG" || len(c.Users) != 1 || c.Path != p {
		t.Errorf("rename %v users %v path %s", c.RenameCommands, c.Users, c.Path)
	}
}

func TestLoadDefaults(t *testing.T) {
	dir := t.TempDir()
	c := mustLoad(t, writeFile(t, dir, "s.conf", ""))
	want := Default()
	want.Path = c.Path
	want.Dir = c.Dir
	want.declared = map[string]Addr{}
	if !reflect.DeepEqual(c, want) {
		t.Errorf("empty file\n got %+v\nwant %+v", c, want)
	}
}

func TestLoadErrors(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		conf   string
		extra  []string
		line   int
		text   string
		reason string
	}{
		{"a\nsentinel monitor m 127.0.0.1 6379 0\n", nil, 1, "a", "Bad directive or wrong number of arguments"},
		// The pre-monitor pass reports the myid line although it comes later.
		{"sentinel monitor m 127.0.0.1 6379 0\nsentinel myid x\n", nil, 2, "sentinel myid x", "Malformed Sentinel id in myid option."},
		{"port 1\n", []string{"--port", "x"}, 3, `port "x"`, "argument couldn't be parsed into an integer"},
		{"  Sentinel  Monitor  m  h  1  1  ", nil, 1, "Sentinel  Monitor  m  h  1  1", "Can't resolve instance hostname."},
		{"include missing.conf\n", nil, 0, "", ""},
	} {
		_, err := Load(writeFile(t, dir, "e.conf", tc.conf), tc.extra)
		var le *LineError
		if tc.reason == "" {
			if err == nil || errors.As(err, &le) {
				t.Errorf("%q: want a plain error, got %v", tc.conf, err)
			}
			continue
		}
		if !errors.As(err, &le) || le.Line != tc.line || le.Text != tc.text || le.Reason != tc.reason {
			t.Errorf("%q: got %#v", tc.conf, err)
			continue
		}
		if !strings.HasPrefix(le.Error(), "config: line ") {
			t.Errorf("Error() = %q", le.Error())
		}
	}
	if _, err := Load("", nil); !errors.Is(err, ErrNoFile) {
		t.Errorf("no file: %v", err)
	}
	if _, err := Load(filepath.Join(dir, "none.conf"), nil); err == nil || !strings.Contains(err.Error(), "none.conf") {
		t.Errorf("missing file: %v", err)
	}
}

func TestIncludeCycle(t *testing.T) {
	dir := t.TempDir()
	p := writeFile(t, dir, "a.conf", "include a.conf\n")
	t.Chdir(dir)
	if _, err := Load(p, nil); err == nil || !strings.Contains(err.Error(), "include nesting") {
		t.Errorf("include cycle: %v", err)
	}
}

func TestLogfileCheckHasNoLine(t *testing.T) {
	dir := t.TempDir()
	_, err := Load(writeFile(t, dir, "s.conf", "logfile "+dir+"/no/such/dir/log\n"), nil)
	var le *LineError
	if !errors.As(err, &le) || le.Line != 0 || !strings.Contains(le.Report(), "\nCan't open the log file: No such file or directory\n") ||
		strings.Contains(le.Report(), "Reading the configuration") {
		t.Errorf("got %#v", err)
	}
}

func TestSyslog(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		text          string
		enabled       bool
		ident, facity string
	}{
		{"", false, "redis", "local0"},
		{"syslog-enabled YES\nsyslog-ident sentinel-a\nsyslog-facility USER\n", true, "sentinel-a", "user"},
		{"syslog-enabled no\nsyslog-ident redis\nsyslog-facility local0\n", false, "redis", "local0"},
	} {
		c := mustLoad(t, writeFile(t, dir, "s.conf", tc.text))
		enabled, ident, facility := c.Syslog()
		if enabled != tc.enabled || ident != tc.ident || facility != tc.facity {
			t.Errorf("%q: Syslog() = %v, %q, %q; want %v, %q, %q", tc.text, enabled, ident, facility, tc.enabled, tc.ident, tc.facity)
		}
	}
}
