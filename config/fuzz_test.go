package config

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// FuzzParse loads arbitrary text; whatever loads must survive a rewrite: the rewritten
// file loads again, to the same configuration.
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"port 26379\nsentinel monitor m 127.0.0.1 6379 2\n",
		rewriteCase,
		"sentinel monitor \"a b\" 1.2.3 0x10 2\nsentinel auth-pass \"a b\" 'p\\'w'\n",
		"user alice on >x ~a* &c +@all -ping (~b +info)\nrequirepass \"\"\n",
		"client-output-buffer-limit replica 1k 2k 3 REPLICA 1 2 3\nshutdown-on-sigterm now\nnotify-keyspace-events AKE\n",
		"sentinel state-config-file st.conf\nsentinel monitor m ::1 1 1\nsentinel known-sentinel m ::1 2 \"\"\n",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		lower := strings.ToLower(text)
		// include reads other files (/dev/zero never ends) and logfile creates one: both
		// reach outside the test's directory.
		if strings.Contains(lower, "include") || strings.Contains(lower, "logfile") {
			t.Skip()
		}
		dir := t.TempDir()
		p := filepath.Join(dir, "s.conf")
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		c1, err := Load(p, nil)
		if err != nil {
			return
		}
		if sp := c1.StateFile(); sp != "" && filepath.Dir(sp) != dir {
			t.Skip() // a state file elsewhere: the test must not write outside its directory
		}
		if err := c1.Rewrite(); err != nil {
			if c1.StatePath != "" {
				return // a state file somewhere unwritable
			}
			t.Fatalf("rewrite: %v", err)
		}
		c2, err := Load(p, nil)
		if err != nil {
			out, _ := os.ReadFile(p)
			t.Fatalf("reload: %v\ninput:\n%q\nrewritten:\n%s", err, text, out)
		}
		if n1, n2 := normalize(c1), normalize(c2); !reflect.DeepEqual(n1, n2) {
			out, _ := os.ReadFile(p)
			t.Fatalf("reload differs\nfirst  %#v\nsecond %#v\ninput:\n%q\nrewritten:\n%s", n1, n2, text, out)
		}
	})
}
