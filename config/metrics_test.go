package config

import (
	"strings"
	"testing"
)

// TestMetricsAddress: the listener's address loads from sentinel.conf and YAML in each
// accepted form (a bare port binds loopback), bad values are refused naming the line, and a
// rewrite keeps the three directives.
func TestMetricsAddress(t *testing.T) {
	dir := t.TempDir()
	for in, want := range map[string]string{
		"9355":            "127.0.0.1:9355",
		"0":               "127.0.0.1:0",
		"127.0.0.2:9355":  "127.0.0.2:9355",
		"[::1]:9355":      "[::1]:9355",
		":9355":           ":9355",
		"localhost:09355": "localhost:9355",
	} {
		c := mustLoad(t, writeFile(t, dir, "a.conf", "sentinel metrics-address "+in+"\n"))
		if c.MetricsAddress != want {
			t.Errorf("metrics-address %s: got %q, want %q", in, c.MetricsAddress, want)
		}
	}
	if Default().MetricsAddress != "" {
		t.Error("the metrics listener is on by default")
	}
	for _, bad := range []string{"x", "-1", "65536", "127.0.0.1", "127.0.0.1:x", "[::1]", "h:+5", `"a b:1"`} {
		_, err := Load(writeFile(t, dir, "bad.conf", "port 26379\nsentinel metrics-address "+bad+"\n"), nil)
		le, ok := err.(*LineError)
		if !ok || le.Line != 2 || le.Reason != "Invalid metrics-address: use host:port, [ipv6]:port or a port number." {
			t.Errorf("metrics-address %s: %v", bad, err)
		}
	}
	for _, bad := range []string{`sentinel metrics-pass ""`, `sentinel metrics-user ""`} {
		if _, err := Load(writeFile(t, dir, "bad.conf", bad+"\n"), nil); err == nil {
			t.Errorf("%s: loaded", bad)
		}
	}
	y := mustLoad(t, writeFile(t, dir, "m.yaml", "sentinel:\n  metrics-address: 9355\n  metrics-user: prom\n  metrics-pass: s3cret\n"))
	if y.MetricsAddress != "127.0.0.1:9355" || y.MetricsUser != "prom" || y.MetricsPass != "s3cret" {
		t.Errorf("YAML: %q %q %q", y.MetricsAddress, y.MetricsUser, y.MetricsPass)
	}

	_, c2, out := roundTrip(t, "sentinel metrics-address 9355\nsentinel metrics-pass \"p w\"\nsentinel monitor m 127.0.0.1 6379 2\n")
	if c2.MetricsAddress != "127.0.0.1:9355" || c2.MetricsPass != "p w" || c2.MetricsUser != "" {
		t.Errorf("rewrite lost the listener: %q %q %q\n%s", c2.MetricsAddress, c2.MetricsUser, c2.MetricsPass, out)
	}
	if strings.Count(out, "metrics-address") != 1 {
		t.Errorf("rewrite wrote metrics-address %d times:\n%s", strings.Count(out, "metrics-address"), out)
	}
}
