package glob

import (
	"strings"
	"testing"
)

// The expectations were checked against redis-server 7.0.15 (KEYS with one key set), so
// each row is Redis's answer, quirks included.
func TestMatch(t *testing.T) {
	for _, c := range []struct {
		p, s string
		want bool
	}{
		{"*", "anything", true},
		{"*", "", false},
		{"", "", true},
		{"", "a", false},
		{"a*", "a", true},
		{"a**", "a", true},
		{"*a", "a", true},
		{"a*b", "axxb", true},
		{"a*b", "axxbc", false},
		{"a*b*c", "abbbc", true},
		{"?", "a", true},
		{"?", "ab", false},
		{"h?llo", "hello", true},
		{"h[ae]llo", "hallo", true},
		{"h[ae]llo", "hillo", false},
		{"h[^e]llo", "hallo", true},
		{"h[^e]llo", "hello", false},
		{"h[a-b]llo", "hbllo", true},
		{"h[b-a]llo", "hbllo", true},
		{"[a-]", "]", true},
		{"[a-]", "-", false},
		{"[ab", "b", true},
		{"[]", "]", false},
		{"[\\]]", "]", true},
		{"\\*", "*", true},
		{"\\*", "a", false},
		{"a\\", "a\\", true},
		{"+*", "+switch-master", true},
		{"__sentinel__:*", "__sentinel__:hello", true},
	} {
		if got := Match(c.p, c.s); got != c.want {
			t.Errorf("Match(%q, %q) = %v, want %v", c.p, c.s, got, c.want)
		}
	}
}

func TestMatchFold(t *testing.T) {
	if !MatchFold("CLIENT|*", "client|id") || Match("CLIENT|*", "client|id") {
		t.Error("case folding")
	}
	if !MatchFold("[A-C]x", "bX") {
		t.Error("folded range")
	}
	if MatchFold("[\\A]", "a") {
		t.Error("an escape inside a class compares exactly, as in Redis")
	}
}

func TestNestingLimit(t *testing.T) {
	s := strings.Repeat("a", 1100)
	if !Match(strings.Repeat("*a", 1000), s) {
		t.Error("1000 nested stars must match")
	}
	if Match(strings.Repeat("*a", 1001), s) {
		t.Error("1001 nested stars must not match, as in Redis")
	}
	if !Match(strings.Repeat("a*", 1001), s) {
		t.Error("a trailing star costs no nesting")
	}
}

// reference follows the structure of Redis's recursive stringmatchlen, to check the
// backtracking matcher against on arbitrary input.
func reference(p, s string, fold bool, nesting int, skip *bool) bool {
	if nesting > maxNesting {
		return false
	}
	at := func(str string, i int) byte { // C strings end in NUL
		if i < len(str) {
			return str[i]
		}
		return 0
	}
	for len(p) > 0 && len(s) > 0 {
		switch p[0] {
		case '*':
			for len(p) > 1 && p[1] == '*' {
				p = p[1:]
			}
			if len(p) == 1 {
				return true
			}
			for len(s) > 0 {
				if reference(p[1:], s, fold, nesting+1, skip) {
					return true
				}
				if *skip {
					return false
				}
				s = s[1:]
			}
			*skip = true
			return false
		case '?':
			s = s[1:]
		case '[':
			p = p[1:]
			not := at(p, 0) == '^'
			if not {
				p = p[1:]
			}
			match := false
			for {
				if at(p, 0) == '\\' && len(p) >= 2 {
					p = p[1:]
					if p[0] == s[0] {
						match = true
					}
				} else if at(p, 0) == ']' {
					break
				} else if len(p) == 0 {
					p = "x" // stands for the pattern's last byte, consumed below
					break
				} else if len(p) >= 3 && p[1] == '-' {
					lo, hi, c := p[0], p[2], s[0]
					if lo > hi {
						lo, hi = hi, lo
					}
					if fold {
						lo, hi, c = lower(lo), lower(hi), lower(c)
					}
					p = p[2:]
					if lo <= c && c <= hi {
						match = true
					}
				} else if equal(p[0], s[0], fold) {
					match = true
				}
				p = p[1:]
			}
			if not {
				match = !match
			}
			if !match {
				return false
			}
			s = s[1:]
		case '\\':
			if len(p) >= 2 {
				p = p[1:]
			}
			fallthrough
		default:
			if !equal(p[0], s[0], fold) {
				return false
			}
			s = s[1:]
		}
		p = p[1:]
		if len(s) == 0 {
			for len(p) > 0 && p[0] == '*' {
				p = p[1:]
			}
			break
		}
	}
	return len(p) == 0 && len(s) == 0
}

func FuzzMatch(f *testing.F) {
	for _, seed := range [][2]string{{"a*[b-", "ab"}, {"*[^a-]x", "qx"}, {"\\", "\\"}, {"[ab", "b"}} {
		f.Add(seed[0], seed[1])
	}
	f.Fuzz(func(t *testing.T, p, s string) {
		for _, fold := range []bool{false, true} {
			skip := false
			want := reference(p, s, fold, 0, &skip)
			if got := match(p, s, fold); got != want {
				t.Fatalf("match(%q, %q, fold=%v) = %v, Redis's algorithm says %v", p, s, fold, got, want)
			}
		}
	})
}
