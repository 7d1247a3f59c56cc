package main

import (
	"context"
	"os/exec"
	"strings"
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

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
		{args: []string{"-h"}, code: 0, stdout: "go run ./cmd/sentinel-demo"},
		{args: []string{"--version"}, code: 0, stdout: "sentinel "},
		{args: []string{"/nonexistent/sentinel.conf"}, code: 1, stdout: "# Fatal error, can't open config file '/nonexistent/sentinel.conf': No such file or directory"},
		{args: []string{"--no-such-flag"}, code: 2, stderr: "no-such-flag", noStdout: true},
		{args: []string{"--help"}, code: 0, stdout: "cmd/sentinel-demo [--tls]"},
		// The demo is its own command now: its former flags, in any spelling and beside a
		// config file, get one line saying where it went.
		{args: []string{"--demo"}, code: 1, stderr: demoMoved + "\n", noStdout: true},
		{args: []string{"--demo", "x.conf"}, code: 1, stderr: demoMoved + "\n", noStdout: true},
		{args: []string{"-demo=true", "--tls"}, code: 1, stderr: demoMoved + "\n", noStdout: true},
		{args: []string{"--tls", "--demo-duration", "1s"}, code: 1, stderr: demoMoved + "\n", noStdout: true},
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

// TestNoTestCodeLinked: the production binary links no test code — no test server (e2e/...),
// no package of ours or a dependency's with "test" in its path (tlstest, a fake), not the
// testing package. The demo, which needs the test server, is cmd/sentinel-demo.
func TestNoTestCodeLinked(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "-f", "{{.ImportPath}} {{.Standard}}", ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go list -deps: %v\n%s", err, out)
	}
	const module = "github.com/sentinel-go/sentinel/"
	var bad []string
	n := 0
	for line := range strings.SplitSeq(strings.TrimSpace(string(out)), "\n") {
		path, standard, _ := strings.Cut(line, " ")
		n++
		switch {
		case strings.HasPrefix(path, module+"e2e/"),
			standard == "false" && strings.Contains(path, "test"),
			path == "testing" || strings.HasPrefix(path, "testing/"):
			bad = append(bad, path)
		}
	}
	if n < 10 || !strings.Contains(string(out), module+"daemon false") {
		t.Fatalf("go list -deps listed %d packages, not the daemon's graph:\n%s", n, out)
	}
	if len(bad) > 0 {
		t.Errorf("cmd/sentinel links test code: %s", strings.Join(bad, ", "))
	}
}
