package config

import (
	"errors"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/sentinel-go/sentinel/e2e/realredis"
)

// differentialCases are configs redis-sentinel refuses (or accepts: then Load must too).
// $DIR is the test's directory, which holds an executable ok.sh and a non-executable
// noexec.sh. Each case runs after a first line "port 0", so an accepted config makes
// redis-sentinel exit without listening.
var differentialCases = []struct {
	name  string
	conf  string
	extra []string
}{
	{"unknown directive", "foo bar\n", nil},
	{"unknown directive upper", "FOO\n", nil},
	{"unbalanced quotes", "  sentinel   monitor \"m\n", nil},
	{"quote not followed by space", "sentinel monitor \"m\"x 1 2 3\n", nil},
	{"single quote not followed by space", "sentinel monitor m 127.0.0.1 6379 2\nsentinel auth-pass m 'a'b\n", nil},
	{"standard wrong arity", "maxmemory\n", nil},
	{"standard bad memory", "maxmemory abc\n", nil},
	{"quorum zero", "sentinel monitor m 127.0.0.1 6379 0\n", nil},
	{"quorum garbage", "SENTINEL MONITOR m 127.0.0.1 6379 abc\n", nil},
	{"bad port", "sentinel monitor m 127.0.0.1 70000 2\n", nil},
	{"negative port", "sentinel monitor m 127.0.0.1 -1 2\n", nil},
	{"garbage port accepted", "sentinel monitor m 127.0.0.1 abc 2\n", nil},
	{"duplicate master", "sentinel monitor m 127.0.0.1 6379 2\nsentinel monitor m 127.0.0.1 6380 2\n", nil},
	{"hostname without resolve", "sentinel monitor m localhost 6379 2\n", nil},
	{"inet_aton forms accepted", "sentinel monitor m 1.2.3 6379 2\nsentinel monitor n 0x7f.1 6379 2\nsentinel monitor o ::1 6379 2\n", nil},
	{"unknown master", "sentinel down-after-milliseconds m 100\n", nil},
	{"unknown master before monitor ok", "sentinel down-after-milliseconds m 100\nsentinel monitor m 127.0.0.1 6379 2\n", nil},
	{"zero down-after", "sentinel monitor m 127.0.0.1 6379 2\nsentinel down-after-milliseconds m 0\n", nil},
	{"negative failover-timeout", "sentinel monitor m 127.0.0.1 6379 2\nsentinel failover-timeout m -5\n", nil},
	{"negative reboot period", "sentinel monitor m 127.0.0.1 6379 2\nsentinel master-reboot-down-after-period m -1\n", nil},
	{"short myid", "sentinel myid abc\n", nil},
	{"pass order: myid before monitor error", "sentinel monitor m 127.0.0.1 6379 0\nsentinel myid abc\n", nil},
	{"deny-scripts-reconfig", "sentinel deny-scripts-reconfig maybe\n", nil},
	{"resolve-hostnames", "sentinel resolve-hostnames 1\n", nil},
	{"announce-hostnames", "sentinel announce-hostnames 1\n", nil},
	{"missing script", "sentinel monitor m 127.0.0.1 6379 2\nsentinel notification-script m $DIR/nonexistent\n", nil},
	{"non-executable script", "sentinel monitor m 127.0.0.1 6379 2\nsentinel client-reconfig-script m $DIR/noexec.sh\n", nil},
	{"executable script", "sentinel monitor m 127.0.0.1 6379 2\nsentinel client-reconfig-script m $DIR/ok.sh\n", nil},
	{"duplicate replica", "sentinel monitor m 127.0.0.1 6379 2\nsentinel known-replica m 127.0.0.1 6380\nsentinel known-slave m 127.0.0.01 6380\n", nil},
	{"duplicate sentinel runid", "sentinel monitor m 127.0.0.1 6379 2\nsentinel known-sentinel m 127.0.0.1 26380 aaaa\nsentinel known-sentinel m 127.0.0.1 26381 aaaa\n", nil},
	{"old known-sentinel ignored", "sentinel monitor m 127.0.0.1 6379 2\nsentinel known-sentinel m 127.0.0.1 26380\n", nil},
	{"rename twice", "sentinel monitor m 127.0.0.1 6379 2\nsentinel rename-command m config c1\nsentinel rename-command m CONFIG c2\n", nil},
	{"unrecognized sentinel", "sentinel bogus\n", nil},
	{"monitor arity", "sentinel monitor m 127.0.0.1 6379\n", nil},
	{"replica hostname", "sentinel monitor m 127.0.0.1 6379 2\nsentinel known-replica m host.invalid 6380\n", nil},
	{"replica port", "sentinel monitor m 127.0.0.1 6379 2\nsentinel known-replica m 127.0.0.1 99999\n", nil},
	{"protected-mode", "protected-mode maybe\n", nil},
	{"loglevel", "loglevel loud\n", nil},
	{"supervised", "supervised nah\n", nil},
	{"daemonize", "daemonize 1\n", nil},
	{"dir missing", "dir /nonexistent\n", nil},
	{"rename unknown command", "rename-command get foo\n", nil},
	{"rename target exists", "rename-command sentinel foo\nrename-command ping foo\n", nil},
	{"user bad rule", "user alice on >pw badrule\n", nil},
	{"user first rule", "user alice badrule\n", nil},
	{"user bad hash", "user alice on #abc\n", nil},
	{"user duplicate", "user a on\nuser a off\n", nil},
	{"user allkeys then pattern", "user alice on ~a* allkeys %X~x\n", nil},
	{"user unknown command accepted here", "user alice on +nosuch\n", nil},
	{"requirepass arity", "requirepass\n", nil},
	{"log file", "logfile /nonexistent/x.log\n", nil},
	{"bare sentinel", "sentinel\nSENTINEL MONITOR m 127.0.0.1 6379 0\n", nil},
	{"numbers", "hz 007\n", nil},
	{"unsigned bound", "maxclients 0\n", nil},
	{"octal", "unixsocketperm 999\n", nil},
	{"percent", "maxmemory-clients 101%\n", nil},
	{"obuf", "client-output-buffer-limit master 1 2 3\n", nil},
	{"keyspace", "notify-keyspace-events Q\n", nil},
	{"save", "save 0 1\n", nil},
	{"shutdown flags", "shutdown-on-sigint save nosave\n", nil},
	{"enum", "syslog-facility local9\n", nil},
	{"replicaof port", "replicaof a 99999\n", nil},
	{"percentiles", "latency-tracking-info-percentiles 101\n", nil},
	{"dbfilename", "dbfilename a/b\n", nil},
	{"module option accepted", "foo.bar 1\n", nil},
	{"module option arity", "foo.bar\n", nil},
	{"extra args line numbers", "", []string{"--sentinel", "--port", "99999"}},
	{"extra args quoting", "", []string{"--port", "0", "--sentinel", "announce-ip", "1.2.3.4", "--bogus", "a b"}},
	{"extra args name as value", "", []string{"--port", "--bind", "127.0.0.1"}},
	{"extra sentinel line", "", []string{"--sentinel", "myid", "x"}},
}

func TestDifferentialErrors(t *testing.T) {
	bin := realSentinel(t)
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "ok.sh"), []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "noexec.sh"), []byte("#!/bin/sh\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	refused := 0
	for i, tc := range differentialCases {
		t.Run(tc.name, func(t *testing.T) {
			file := filepath.Join(dir, "case"+itoa(int64(i))+".conf")
			text := "port 0\n" + strings.ReplaceAll(tc.conf, "$DIR", dir)
			if err := os.WriteFile(file, []byte(text), 0o644); err != nil {
				t.Fatal(err)
			}
			want := runRealConfig(t, bin, dir, file, tc.extra)
			_, err := Load(file, tc.extra)
			if want == "" {
				if err != nil {
					t.Fatalf("redis-sentinel accepts it, Load says: %v", err)
				}
				return
			}
			refused++
			var le *LineError
			if !errors.As(err, &le) {
				t.Fatalf("redis-sentinel refuses it with\n%s\nLoad: %v", want, err)
			}
			if got := le.Report(); got != want {
				t.Fatalf("report differs\nredis-sentinel: %q\nours:           %q", want, got)
			}
		})
	}
	if refused < 12 {
		t.Fatalf("only %d cases are refused by redis-sentinel; the test wants at least 12", refused)
	}
}

// rewriteCase is a config with comments, users, upper-case SENTINEL lines, default-valued
// lines, generic options and several masters, flushed by both implementations.
const rewriteCase = `# Sentinel configuration   
# with comments that must stay where they are
port $PORT
bind 127.0.0.1
dir "$DIR"
daemonize no
loglevel NOTICE
logfile ""
MAXMEMORY 1048576
maxmemory 2mb
hz 10
slave-priority 50
appendonly YES
save 900 1
notify-keyspace-events Ex
requirepass "foo bar"
user alice on >secret ~* +@all
user bob off
rename-command shutdown STOPNOW

SENTINEL monitor mymaster 127.0.0.1 6379 2
sentinel DOWN-AFTER-MILLISECONDS mymaster 30000
Sentinel parallel-syncs mymaster 1
sentinel failover-timeout mymaster 180000
SENTINEL master-reboot-down-after-period mymaster 0
sentinel myid 0123456789abcdef0123456789abcdef01234567

sentinel monitor other 127.0.0.1 6380 3
sentinel down-after-milliseconds other 5000
sentinel auth-pass other s3cret
sentinel auth-user other alice
sentinel rename-command other CONFIG MYCONFIG
sentinel rename-command other slaveof MYSLAVEOF
sentinel known-replica other 127.0.0.1 7001
sentinel known-replica other 127.0.0.1 7002
sentinel known-sentinel other 127.0.0.1 26390 aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa
sentinel known-sentinel other 127.0.0.1 26391
sentinel config-epoch other 3
sentinel leader-epoch other 4
sentinel monitor third 010.0.0.1 6381 1
sentinel current-epoch 2
sentinel announce-ip "10.1.2.3"
sentinel deny-scripts-reconfig yes
`

func TestDifferentialRewrite(t *testing.T) {
	bin := realSentinel(t)
	dir, port := realDir(t), realredis.FreePort(t)
	text := strings.NewReplacer("$PORT", itoa(int64(port)), "$DIR", dir).Replace(rewriteCase)
	differentialRewrite(t, bin, dir, port, text, "foo bar")
}

// realDir is a fresh directory as getcwd names it (no symbolic links), which is what both
// rewrites write for dir.
func realDir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	if real, err := filepath.EvalSymlinks(dir); err == nil {
		dir = real
	}
	return dir
}

// differentialRewrite has redis-sentinel (listening on port, with password if set) and
// us rewrite the same text in dir, and compares the two files.
func differentialRewrite(t *testing.T, bin, dir string, port int, text, password string) {
	t.Helper()
	theirs := filepath.Join(dir, "theirs.conf")
	ours := filepath.Join(dir, "ours.conf")
	for _, f := range []string{theirs, ours} {
		if err := os.WriteFile(f, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	flushReal(t, bin, dir, theirs, port, password)
	c, err := Load(ours, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Rewrite(); err != nil {
		t.Fatal(err)
	}
	compareRewrites(t, read(t, theirs), read(t, ours))
}

func read(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// compareRewrites checks two rewrites of the same file. Masters and generic options come
// in hash-table order in redis-sentinel, so: the file must have the same number of lines;
// at every line above the "# Generated by CONFIG REWRITE" marker both files hold the same
// line, or two lines of the same option (the same "sentinel <name>" key); the appended
// block and the sentinel lines must be equal as multisets.
func compareRewrites(t *testing.T, theirs, ours string) {
	t.Helper()
	tl, ol := strings.Split(theirs, "\n"), strings.Split(ours, "\n")
	if len(tl) != len(ol) {
		t.Fatalf("line counts differ: %d vs %d\nredis-sentinel:\n%s\nours:\n%s", len(tl), len(ol), theirs, ours)
	}
	inPlace := true
	var tBlock, oBlock []string
	for i := range tl {
		if tl[i] == signature {
			inPlace = false
		}
		if inPlace {
			if tl[i] != ol[i] && optionKey(tl[i]) != optionKey(ol[i]) {
				t.Errorf("line %d: redis-sentinel %q, ours %q", i+1, tl[i], ol[i])
			}
			if strings.HasPrefix(tl[i], "sentinel ") {
				tBlock, oBlock = append(tBlock, tl[i]), append(oBlock, ol[i])
			}
			continue
		}
		tBlock, oBlock = append(tBlock, tl[i]), append(oBlock, ol[i])
	}
	sort.Strings(tBlock)
	sort.Strings(oBlock)
	if strings.Join(tBlock, "\n") != strings.Join(oBlock, "\n") {
		t.Errorf("sentinel and appended lines differ\nredis-sentinel:\n%s\nours:\n%s", strings.Join(tBlock, "\n"), strings.Join(oBlock, "\n"))
	}
	if t.Failed() || testing.Verbose() {
		t.Logf("redis-sentinel:\n%s\nours:\n%s", theirs, ours)
	}
}

func optionKey(line string) string {
	w := strings.Fields(line)
	switch {
	case len(w) == 0:
		return ""
	case w[0] == "sentinel" && len(w) > 1:
		return "sentinel " + w[1]
	}
	return w[0]
}
