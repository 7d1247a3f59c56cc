package resp

import (
	"strings"
	"testing"
)

func TestLower(t *testing.T) {
	for _, name := range []string{"", "ping", "PING", "Get-Master-Addr-By-Name", "sentinel|x", "ÄBC", strings.Repeat("AB", 40)} {
		var buf [32]byte
		if got, want := string(Lower(buf[:0], []byte(name))), asciiLower(name); got != want {
			t.Errorf("Lower(%q) = %q, want %q", name, got, want)
		}
	}
	name := []byte("GET-MASTER-ADDR-BY-NAME")
	var buf [32]byte
	if n := testing.AllocsPerRun(100, func() { Lower(buf[:0], name) }); n != 0 {
		t.Errorf("Lower allocates %v times for a name that fits", n)
	}
}

// asciiLower folds ASCII letters only, as Redis's strcasecmp-based lookups do.
func asciiLower(s string) string {
	return strings.Map(func(r rune) rune {
		if 'A' <= r && r <= 'Z' {
			return r + 'a' - 'A'
		}
		return r
	}, s)
}
