package sentinel_test

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// fatalCases are configs that both binaries must refuse at startup, with the same bytes on
// stderr and exit code 1. Each starts with "port 0" (no listener), so a binary that wrongly
// accepts one binds nothing before the test kills it.
var fatalCases = []fatalCase{
	{name: "unknown directive", conf: "port 0\nfoo bar\n"},
	{name: "monitor quorum 0", conf: "port 0\nsentinel monitor m 127.0.0.1 6379 0\n"},
	{name: "monitor quorum not a number", conf: "port 0\nsentinel monitor m 127.0.0.1 6379 abc\n"},
	{name: "monitor port out of range", conf: "port 0\nsentinel monitor m 127.0.0.1 70000 2\n"},
	{name: "monitor arity", conf: "port 0\nsentinel monitor m 127.0.0.1 6379\n"},
	{name: "unbalanced quotes", conf: "port 0\nsentinel monitor \"m 127.0.0.1 6379 2\n"},
	{name: "quote followed by text", conf: "port 0\n  sentinel monitor \"m\"x 127.0.0.1 6379 2\n"},
	{name: "duplicate master", conf: "port 0\nsentinel monitor m 127.0.0.1 6379 2\nsentinel monitor m 127.0.0.1 6380 2\n"},
	{name: "down-after for unknown master", conf: "port 0\nsentinel down-after-milliseconds nosuch 2000\n"},
	{name: "negative down-after", conf: "port 0\nsentinel monitor m 127.0.0.1 6379 2\nsentinel down-after-milliseconds m -5\n"},
	{name: "zero failover-timeout before monitor", conf: "port 0\nsentinel down-after-milliseconds m 1000\nsentinel failover-timeout m 0\nsentinel monitor m 127.0.0.1 6379 2\n"},
	{name: "negative master-reboot-down-after-period", conf: "port 0\nsentinel monitor m 127.0.0.1 6379 2\nsentinel master-reboot-down-after-period m -1\n"},
	{name: "myid wrong length", conf: "port 0\nsentinel myid abc\n"},
	{name: "unknown sentinel directive", conf: "port 0\nsentinel foo\n"},
	{name: "unknown sentinel directive upper case", conf: "port 0\nSENTINEL FOO bar\n"},
	{name: "announce-hostnames maybe", conf: "port 0\nsentinel announce-hostnames maybe\n"},
	{name: "resolve-hostnames maybe", conf: "port 0\nsentinel resolve-hostnames maybe\n"},
	{name: "deny-scripts-reconfig maybe", conf: "port 0\nsentinel deny-scripts-reconfig maybe\n"},
	{name: "duplicate known-replica", conf: "port 0\nsentinel monitor m 127.0.0.1 6379 2\nsentinel known-replica m 127.0.0.1 6380\nsentinel known-replica m 127.0.0.1 6380\n"},
	{name: "duplicate known-sentinel", conf: "port 0\nsentinel monitor m 127.0.0.1 6379 2\n" +
		"sentinel known-sentinel m 127.0.0.1 26380 0123456789012345678901234567890123456789\n" +
		"sentinel known-sentinel m 127.0.0.1 26381 0123456789012345678901234567890123456789\n"},
	{name: "hostname without resolve-hostnames", conf: "port 0\nsentinel monitor m localhost 6379 2\n"},
	{name: "notification-script missing", conf: "port 0\nsentinel monitor m 127.0.0.1 6379 2\nsentinel notification-script m /nonexistent/notify.sh\n"},
	{name: "rename-command twice", conf: "port 0\nsentinel monitor m 127.0.0.1 6379 2\nsentinel rename-command m CONFIG X\nsentinel rename-command m config Y\n"},
	{name: "port out of range", conf: "port 99999\n"},
	{name: "port arity", conf: "port\n"},
	{name: "loglevel", conf: "port 0\nloglevel foo\n"},
	{name: "daemonize maybe", conf: "port 0\ndaemonize maybe\n"},
	{name: "maxmemory", conf: "port 0\nmaxmemory abc\n"},
	{name: "command-line port", conf: "port 0\n", args: []string{"--port", "abc"}},
	{name: "command-line sentinel monitor", conf: "port 0\n", args: []string{"--sentinel", "monitor", "m", "127.0.0.1", "6379", "0"}},
	{name: "include missing", conf: "port 0\ninclude /nonexistent/file.conf\n"},
	{name: "config file missing", noFile: true},
	{name: "no config file", noConf: true},
}

type fatalCase struct {
	name   string
	conf   string
	args   []string          // after the config path
	noConf bool              // run without any argument
	noFile bool              // name a config file that does not exist
	files  map[string]string // more files to write beside the config, by name
}

// logPrefix is a log line's "<pid>:X <date time> " prefix; the level mark and text remain.
var logPrefix = regexp.MustCompile(`(?m)^\d+:X \d{2} \w{3} \d{4} \d{2}:\d{2}:\d{2}\.\d{3} `)

type runResult struct {
	code           int
	stdout, stderr string
}

// runToExit runs bin with the case's config in a fresh directory and waits for it to exit;
// a process still running after 5 s has accepted the config, and is killed.
func runToExit(t *testing.T, bin string, c fatalCase) runResult {
	t.Helper()
	dir := t.TempDir()
	path := filepath.Join(dir, "sentinel.conf")
	for name, text := range c.files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	var argv []string
	switch {
	case c.noConf:
	case c.noFile:
		argv = []string{filepath.Join(dir, "missing.conf")}
	default:
		if err := os.WriteFile(path, []byte(c.conf), 0o644); err != nil {
			t.Fatal(err)
		}
		argv = append([]string{path}, c.args...)
	}
	var stdout, stderr bytes.Buffer
	cmd := exec.Command(bin, argv...)
	cmd.Dir = dir
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	var err error
	select {
	case err = <-done:
	case <-time.After(5 * time.Second):
		cmd.Process.Kill()
		<-done
		t.Errorf("%s started on a broken config (killed after 5 s)\nstdout:\n%s", bin, stdout.String())
		return runResult{code: -1, stdout: stdout.String(), stderr: stderr.String()}
	}
	code := 0
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	norm := func(s string) string { return strings.ReplaceAll(logPrefix.ReplaceAllString(s, ""), dir, "<dir>") }
	return runResult{code: code, stdout: norm(stdout.String()), stderr: norm(stderr.String())}
}

// bothExit1 runs the case through both binaries and checks that both exit 1 with the same
// stderr; the caller compares the logs.
func bothExit1(t *testing.T, realBin, ourBin string, c fatalCase) (r, o runResult) {
	t.Helper()
	r = runToExit(t, realBin, c)
	o = runToExit(t, ourBin, c)
	if r.code != 1 {
		t.Fatalf("the real redis-sentinel exited %d, so this case tests nothing\nstdout: %q\nstderr: %q", r.code, r.stdout, r.stderr)
	}
	if o.code != 1 {
		t.Errorf("exit code %d, want 1", o.code)
	}
	if o.stderr != r.stderr {
		t.Errorf("stderr differs\nreal: %q\nours: %q", r.stderr, o.stderr)
	}
	return r, o
}

// TestFatalConfig runs broken configs through both binaries: the same stderr byte for byte,
// the same log lines (without pid and time), exit code 1.
func TestFatalConfig(t *testing.T) {
	t.Parallel()
	realBin := requireReal(t)
	ourBin := requireOurs(t)
	for _, c := range fatalCases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			r, o := bothExit1(t, realBin, ourBin, c)
			if o.stdout != r.stdout {
				t.Errorf("log (stdout, without pid and time) differs\nreal: %q\nours: %q", r.stdout, o.stdout)
			}
		})
	}
}
