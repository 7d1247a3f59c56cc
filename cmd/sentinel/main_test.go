package main

import (
	"context"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// replicaRow is a status row of a replica: address, role, offset, link, counter.
var replicaRow = regexp.MustCompile(`^\s+(127\.0\.0\.1:\d+)\s+slave\s+(\d+)\s+(\S+)\s+(\S+)\s*$`)

func TestDemoShowsReplicasFollowing(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	var out strings.Builder
	// Reports every 500 ms, not the default 2 s, so a slow first sync under -race still
	// leaves time for a periodic table before the final one.
	if err := runDemo(ctx, &out, demoOptions{ReportEvery: 500 * time.Millisecond}); err != nil {
		t.Fatalf("demo: %v\n%s", err, out.String())
	}
	// The demo prints periodic tables and a final one; all must show the two replicas up
	// and holding the counter the writer set.
	tables := strings.Split(out.String(), "\n[")[1:]
	if len(tables) < 2 {
		t.Fatalf("want a periodic and a final status table, got:\n%s", out.String())
	}
	for _, table := range tables {
		replicas := map[string]bool{}
		for line := range strings.SplitSeq(table, "\n") {
			m := replicaRow.FindStringSubmatch(line)
			if m == nil {
				continue
			}
			replicas[m[1]] = true
			if m[3] != "up" {
				t.Errorf("replica %s link %q, want up:\n%s", m[1], m[3], table)
			}
			if n, err := strconv.Atoi(m[4]); err != nil || n < 1 {
				t.Errorf("replica %s shows counter %q, want a positive count:\n%s", m[1], m[4], table)
			}
		}
		if len(replicas) != 2 {
			t.Errorf("want rows for two replicas, got %d:\n%s", len(replicas), table)
		}
	}
	// After the writer stops, the final table shows the replicas caught up: each holds
	// exactly the number of writes the master acknowledged.
	final := tables[len(tables)-1]
	writes := regexp.MustCompile(`\] (\d+) writes to the master`).FindStringSubmatch(final)
	if writes == nil {
		t.Fatalf("final table lacks the write count:\n%s", final)
	}
	for line := range strings.SplitSeq(final, "\n") {
		if m := replicaRow.FindStringSubmatch(line); m != nil && m[4] != writes[1] {
			t.Errorf("replica %s holds %s after %s writes:\n%s", m[1], m[4], writes[1], final)
		}
	}
}

func TestRunModes(t *testing.T) {
	for _, tc := range []struct {
		args     []string
		code     int
		stdout   string // a substring expected on stdout
		stderr   string // a substring expected on stderr
		noStdout bool
	}{
		{args: nil, code: 1, stdout: "Sentinel needs config file on disk to save state. Exiting..."},
		{args: []string{"--help"}, code: 0, stdout: "Usage:"},
		{args: []string{"-h"}, code: 0, stdout: "--demo"},
		{args: []string{"--version"}, code: 0, stdout: "sentinel "},
		{args: []string{"/nonexistent/sentinel.conf"}, code: 1, stdout: "# Fatal error, can't open config file '/nonexistent/sentinel.conf': No such file or directory"},
		{args: []string{"--demo", "x.conf"}, code: 1, stderr: "no config file", noStdout: true},
		{args: []string{"--no-such-flag"}, code: 2, stderr: "no-such-flag", noStdout: true},
	} {
		var stdout, stderr strings.Builder
		code := run(context.Background(), tc.args, &stdout, &stderr)
		if code != tc.code {
			t.Errorf("%q: exit %d, want %d (stderr %q)", tc.args, code, tc.code, stderr.String())
		}
		if !strings.Contains(stdout.String(), tc.stdout) || !strings.Contains(stderr.String(), tc.stderr) {
			t.Errorf("%q: stdout %q, stderr %q; want them to contain %q, %q", tc.args, stdout.String(), stderr.String(), tc.stdout, tc.stderr)
		}
		if tc.noStdout && stdout.Len() > 0 {
			t.Errorf("%q: unexpected stdout %q", tc.args, stdout.String())
		}
	}
}

func TestRunDemoForDuration(t *testing.T) {
	var stdout, stderr strings.Builder
	code := run(context.Background(), []string{"--demo", "--demo-duration", "300ms"}, &stdout, &stderr)
	if code != 0 {
		t.Fatalf("exit %d, stderr:\n%s", code, stderr.String())
	}
	if !strings.Contains(stdout.String(), "final status") {
		t.Errorf("no final status in:\n%s", stdout.String())
	}
}
