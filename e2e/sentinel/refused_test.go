package sentinel_test

import "testing"

// TestRefusedDirective: a directive redis-sentinel acts on and we do not implement, set to
// anything but its default, stops our binary with Redis's fatal block naming the line and
// exit code 1 (config's tests check that its default is accepted).
func TestRefusedDirective(t *testing.T) {
	t.Parallel()
	ours := requireOurs(t)
	for _, tc := range []struct{ name, conf, args, stderr string }{
		{name: "in the file", conf: "port 0\n\noom-score-adj yes\n", stderr: "\n*** FATAL CONFIG FILE ERROR (Redis 7.0.15) ***\n" +
			"Reading the configuration file, at line 3\n" +
			">>> 'oom-score-adj yes'\n" +
			"'oom-score-adj yes' is not supported by this sentinel\n"},
		{name: "on the command line", conf: "port 0\n", args: "--io-threads", stderr: "\n*** FATAL CONFIG FILE ERROR (Redis 7.0.15) ***\n" +
			"Reading the configuration file, at line 3\n" +
			">>> 'io-threads \"4\"'\n" +
			"'io-threads 4' is not supported by this sentinel\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var args []string
			if tc.args != "" {
				args = []string{tc.args, "4"}
			}
			r := runToExit(t, ours, fatalCase{conf: tc.conf, args: args})
			if r.code != 1 || r.stderr != tc.stderr || r.stdout != "" {
				t.Errorf("exit %d\nstderr %q\nwant   %q\nstdout %q", r.code, r.stderr, tc.stderr, r.stdout)
			}
		})
	}
}
