package config

import (
	"os"
	"strings"
	"testing"
	"time"
)

func TestForgetAfter(t *testing.T) {
	for _, tc := range []struct {
		value string
		want  time.Duration
		err   string
	}{
		{"0", 0, ""},
		{"5000", 5 * time.Second, ""},
		{"4999", 0, "forget-after must be 0 (off) or at least 5000 milliseconds."},
		{"-1", 0, "forget-after must be 0 (off) or at least 5000 milliseconds."},
	} {
		dir := t.TempDir()
		p := writeFile(t, dir, "s.conf", "sentinel forget-after m "+tc.value+"\nsentinel monitor m 127.0.0.1 6379 2\n")
		c, err := Load(p, nil)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%s: err %v, want %q", tc.value, err, tc.err)
			}
			continue
		}
		if err != nil {
			t.Fatalf("%s: %v", tc.value, err)
		}
		if got := c.Masters[0].ForgetAfter; got != tc.want {
			t.Errorf("%s: ForgetAfter %v, want %v", tc.value, got, tc.want)
		}
		if err := c.Rewrite(); err != nil {
			t.Fatal(err)
		}
		text, _ := os.ReadFile(p)
		line := "sentinel forget-after m " + tc.value + "\n"
		if has := strings.Contains(string(text), line); has != (tc.want != 0) {
			t.Errorf("%s: rewritten file has %q: %v\n%s", tc.value, line, has, text)
		}
	}
}

// TestPeakSentinels: the peak forget-after keeps (monitor/forget.go) loads, is refused
// when it is no count, and is written back to the main file or, with one, the state file,
// so that a restart keeps the majority it protects.
func TestPeakSentinels(t *testing.T) {
	for _, bad := range []string{"-1", "x", "1.5"} {
		p := writeFile(t, t.TempDir(), "s.conf", "sentinel monitor m 127.0.0.1 6379 2\nsentinel peak-sentinels m "+bad+"\n")
		if _, err := Load(p, nil); err == nil || !strings.Contains(err.Error(), "peak-sentinels must be a count of sentinels.") {
			t.Errorf("peak-sentinels %s: err %v", bad, err)
		}
	}
	for _, state := range []bool{false, true} {
		dir := t.TempDir()
		text := "sentinel monitor m 127.0.0.1 6379 2\nsentinel forget-after m 5000\nsentinel peak-sentinels m 5\n"
		if state {
			text = "sentinel state-config-file st.conf\n" + text
		}
		p := writeFile(t, dir, "s.conf", text)
		c := mustLoad(t, p)
		if got := c.Master("m").PeakSentinels; got != 5 {
			t.Fatalf("state file %v: PeakSentinels %d, want 5", state, got)
		}
		c.Master("m").PeakSentinels = 4
		if err := c.Rewrite(); err != nil {
			t.Fatal(err)
		}
		written := p
		if state {
			written = c.StateFile()
		}
		if s := read(t, written); !strings.Contains(s, "sentinel peak-sentinels m 4\n") {
			t.Errorf("state file %v: %s lacks the peak:\n%s", state, written, s)
		}
		if got := mustLoad(t, p).Master("m").PeakSentinels; got != 4 {
			t.Errorf("state file %v: reloaded PeakSentinels %d, want 4", state, got)
		}
		// Cleared (SENTINEL RESET): the main file's 5 does not come back.
		c.Master("m").PeakSentinels = 0
		if err := c.Rewrite(); err != nil {
			t.Fatal(err)
		}
		if got := mustLoad(t, p).Master("m").PeakSentinels; got != 0 {
			t.Errorf("state file %v: reloaded PeakSentinels %d after clearing, want 0", state, got)
		}
	}
}
