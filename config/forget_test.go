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
