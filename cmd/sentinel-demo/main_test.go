package main

import (
	"context"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// statusRow is a row of the demo's final table: address, role, offset, link, counter.
var statusRow = regexp.MustCompile(`^\s+(127\.0\.0\.1:\d+)\s+(master|slave)\s+(\d+)\s+(\S+)\s+(\S+)\s*$`)

// TestDemoFailsOver runs the README's demo: three sentinels elect one of them, which
// promotes a replica; every sentinel announces the switch; writes resume on the new master;
// the old master comes back as its replica.
func TestDemoFailsOver(t *testing.T) {
	checkDemo(t, demoOptions{KillAfter: 500 * time.Millisecond})
}

// TestDemoTLS runs the demo with --tls: the same story, everything over TLS only.
func TestDemoTLS(t *testing.T) {
	text := checkDemo(t, demoOptions{KillAfter: 500 * time.Millisecond, TLS: true})
	if !strings.Contains(text, "(embedded redistest instances, TLS only, certificates in ") {
		t.Errorf("the demo does not say it runs on TLS:\n%s", text)
	}
}

// checkDemo runs the demo with o and checks the story it tells; it returns the output.
func checkDemo(t *testing.T, o demoOptions) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	var out syncBuilder
	if err := runDemo(ctx, &out, o); err != nil {
		t.Fatalf("demo: %v\n%s", err, out.String())
	}
	text := out.String()
	for _, want := range []string{
		"sentinel-1 +switch-master mymaster", "sentinel-2 +switch-master mymaster", "sentinel-3 +switch-master mymaster",
		"+elected-leader master mymaster", "+promoted-slave slave", "all three sentinels switched to",
		"+convert-to-slave slave", "now replicates from",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("no %q in the demo's output:\n%s", want, text)
		}
	}
	if n := strings.Count(text, "+switch-master mymaster"); n != 3 {
		t.Errorf("%d +switch-master events, want one per sentinel:\n%s", n, text)
	}
	roles := map[string]int{}
	for line := range strings.SplitSeq(text, "\n") {
		m := statusRow.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		roles[m[2]]++
		if n, err := strconv.Atoi(m[5]); err != nil || n < 1 {
			t.Errorf("%s shows counter %q, want a positive count", m[1], m[5])
		}
		if m[2] == "slave" && m[4] != "up" {
			t.Errorf("replica %s link %q, want up", m[1], m[4])
		}
	}
	if roles["master"] != 1 || roles["slave"] != 2 {
		t.Errorf("final table roles %v, want 1 master and 2 replicas:\n%s", roles, text)
	}
	return text
}

// syncBuilder is a strings.Builder the demo's goroutines may write to concurrently.
type syncBuilder struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuilder) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuilder) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestRunDemoForDuration(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--duration", "300ms"}, "(embedded redistest instances)"},
		{[]string{"--tls", "--duration", "300ms"}, "(embedded redistest instances, TLS only, certificates in "},
	} {
		var stdout, stderr strings.Builder
		code := run(context.Background(), tc.args, &stdout, &stderr)
		if code != 0 {
			t.Fatalf("%q: exit %d, stderr:\n%s", tc.args, code, stderr.String())
		}
		if !strings.Contains(stdout.String(), tc.want) {
			t.Errorf("%q: the demo did not start with %q:\n%s", tc.args, tc.want, stdout.String())
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
		{args: []string{"--help"}, code: 0, stdout: "Usage:"},
		{args: []string{"-h"}, code: 0, stdout: "sentinel-demo [--tls]"},
		{args: []string{"x.conf"}, code: 1, stderr: "no config file", noStdout: true},
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
