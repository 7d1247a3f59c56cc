package config

import (
	"strings"
	"testing"
)

// TestProtectEmptyRestart: the directive loads from sentinel.conf (before or after the
// monitors) and YAML, is written back only when on, and takes only yes or no.
func TestProtectEmptyRestart(t *testing.T) {
	dir := t.TempDir()
	on := mustLoad(t, writeFile(t, dir, "on.conf", "sentinel monitor m 127.0.0.1 6379 2\nsentinel protect-empty-restart yes\n"))
	if !on.ProtectEmptyRestart {
		t.Fatal("protect-empty-restart yes did not load")
	}
	y := mustLoad(t, writeFile(t, dir, "on.yaml", "sentinel:\n  protect-empty-restart: yes\n  masters:\n    - name: m\n      host: 127.0.0.1\n      port: 6379\n      quorum: 2\n"))
	if !y.ProtectEmptyRestart {
		t.Fatal("protect-empty-restart: yes did not load from YAML")
	}
	if c := mustLoad(t, writeFile(t, dir, "off.conf", "sentinel monitor m 127.0.0.1 6379 2\n")); c.ProtectEmptyRestart {
		t.Fatal("protect-empty-restart is on by default")
	}

	_, _, out := roundTrip(t, "sentinel monitor m 127.0.0.1 6379 2\nsentinel protect-empty-restart yes\n")
	if strings.Count(out, "sentinel protect-empty-restart yes\n") != 1 {
		t.Errorf("rewrite of an enabled guard:\n%s", out)
	}
	if _, _, out := roundTrip(t, "sentinel monitor m 127.0.0.1 6379 2\n"); strings.Contains(out, "protect-empty-restart") {
		t.Errorf("the default is written:\n%s", out)
	}
	// A line already in the file is kept with the current value, as rewriteConfigRewriteLine
	// does for the other yes/no options.
	_, _, out = roundTrip(t, "sentinel monitor m 127.0.0.1 6379 2\nsentinel protect-empty-restart no\n")
	if strings.Count(out, "protect-empty-restart") != 1 || !strings.Contains(out, "sentinel protect-empty-restart no\n") {
		t.Errorf("an explicit no:\n%s", out)
	}

	_, err := Load(writeFile(t, dir, "bad.conf", "sentinel protect-empty-restart maybe\n"), nil)
	if err == nil || !strings.Contains(err.Error(), "Please specify yes or no for the protect-empty-restart option.") {
		t.Errorf("bad value: %v", err)
	}
}
