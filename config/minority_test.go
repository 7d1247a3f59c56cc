package config

import (
	"strings"
	"testing"
)

// TestMinorityRefuses: the directive loads from sentinel.conf and YAML, is rejected with
// Redis's yes-or-no text otherwise, and a rewrite keeps it only when it is on.
func TestMinorityRefuses(t *testing.T) {
	dir := t.TempDir()
	on := mustLoad(t, writeFile(t, dir, "on.conf", "sentinel minority-refuses yes\nsentinel monitor m 127.0.0.1 6379 2\n"))
	if !on.MinorityRefuses {
		t.Error("sentinel minority-refuses yes: MinorityRefuses is false")
	}
	y := mustLoad(t, writeFile(t, dir, "on.yaml", "sentinel:\n  minority-refuses: yes\n"))
	if !y.MinorityRefuses {
		t.Error("YAML minority-refuses: yes: MinorityRefuses is false")
	}
	if Default().MinorityRefuses {
		t.Error("MinorityRefuses is on by default")
	}
	_, err := Load(writeFile(t, dir, "bad.conf", "sentinel minority-refuses maybe\n"), nil)
	if err == nil || !strings.Contains(err.Error(), "Please specify yes or no for the minority-refuses option.") {
		t.Errorf("minority-refuses maybe: %v", err)
	}

	c1, c2, out := roundTrip(t, "sentinel minority-refuses yes\nsentinel monitor m 127.0.0.1 6379 2\n")
	if !c1.MinorityRefuses || !c2.MinorityRefuses || !strings.Contains("\n"+out, "\nsentinel minority-refuses yes\n") {
		t.Errorf("rewrite with the option on lost it:\n%s", out)
	}
	// As redis-sentinel's rewrite does, a line already in the file stays (with its value);
	// a default value adds none.
	_, c2, out = roundTrip(t, "sentinel monitor m 127.0.0.1 6379 2\n")
	if c2.MinorityRefuses || strings.Contains(out, "minority-refuses") {
		t.Errorf("rewrite with the option at its default kept a line:\n%s", out)
	}
}
