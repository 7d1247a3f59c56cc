package glob

// maxNesting is how many '*' Redis's matcher descends through before it gives up.
const maxNesting = 1000

// Match reports whether s matches pattern, comparing bytes exactly.
func Match(pattern, s string) bool { return match(pattern, s, false) }

// MatchFold reports whether s matches pattern, ignoring ASCII case.
func MatchFold(pattern, s string) bool { return match(pattern, s, true) }

func match(p, s string, fold bool) bool {
	if s == "" {
		// Redis's loop never starts on an empty string, so only an empty pattern matches.
		return p == ""
	}
	if tooNested(p) {
		return false
	}
	i, j := 0, 0
	// star is the pattern index after the last '*' run, and starJ where in s the text it
	// swallows ends; -1 while no '*' was seen.
	star, starJ := -1, 0
	for j < len(s) {
		if i < len(p) && p[i] == '*' {
			for i < len(p) && p[i] == '*' {
				i++
			}
			if i == len(p) {
				return true
			}
			star, starJ = i, j
			continue
		}
		if i < len(p) {
			if next, ok := matchToken(p, i, s[j], fold); ok {
				i, j = next, j+1
				continue
			}
		}
		if star < 0 {
			return false
		}
		starJ++
		i, j = star, starJ
	}
	for i < len(p) && p[i] == '*' {
		i++
	}
	return i == len(p)
}

// matchToken matches the single-byte token at p[i] ('?', a class, an escape or a literal)
// against c, returning the index after the token.
func matchToken(p string, i int, c byte, fold bool) (int, bool) {
	switch p[i] {
	case '?':
		return i + 1, true
	case '[':
		return matchClass(p, i+1, c, fold)
	case '\\':
		if i+1 < len(p) {
			i++
		}
	}
	return i + 1, equal(p[i], c, fold)
}

// matchClass matches c against the class whose body starts at p[i], just after '['.
func matchClass(p string, i int, c byte, fold bool) (int, bool) {
	not := i < len(p) && p[i] == '^'
	if not {
		i++
	}
	matched := false
	for {
		switch {
		case i < len(p) && p[i] == '\\' && i+1 < len(p):
			i++
			if p[i] == c {
				matched = true
			}
		case i < len(p) && p[i] == ']':
			return i + 1, matched != not
		case i >= len(p):
			// Unterminated: the class took the rest of the pattern.
			return len(p), matched != not
		case i+2 < len(p) && p[i+1] == '-':
			lo, hi, x := p[i], p[i+2], c
			if lo > hi {
				lo, hi = hi, lo
			}
			if fold {
				lo, hi, x = lower(lo), lower(hi), lower(x)
			}
			if lo <= x && x <= hi {
				matched = true
			}
			i += 2
		default:
			if equal(p[i], c, fold) {
				matched = true
			}
		}
		i++
	}
}

// tooNested reports whether reaching the end of p needs Redis's matcher to nest deeper
// than it allows: every run of '*' but a final one costs a level.
func tooNested(p string) bool {
	runs := 0
	for i := 0; i < len(p); i++ {
		switch p[i] {
		case '\\':
			i++
		case '[':
			i = classEnd(p, i+1) - 1
		case '*':
			for i+1 < len(p) && p[i+1] == '*' {
				i++
			}
			if i+1 < len(p) {
				runs++
			}
		}
	}
	return runs > maxNesting
}

// classEnd returns the index just after the class whose body starts at p[i], parsed as
// matchClass parses it.
func classEnd(p string, i int) int {
	if i < len(p) && p[i] == '^' {
		i++
	}
	for {
		switch {
		case i < len(p) && p[i] == '\\' && i+1 < len(p):
			i++
		case i < len(p) && p[i] == ']':
			return i + 1
		case i >= len(p):
			return len(p)
		case i+2 < len(p) && p[i+1] == '-':
			i += 2
		}
		i++
	}
}

func equal(a, b byte, fold bool) bool {
	if fold {
		return lower(a) == lower(b)
	}
	return a == b
}

func lower(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}
