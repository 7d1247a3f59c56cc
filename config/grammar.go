package config

import (
	"strings"
)

// splitLines cuts text the way Redis's loader does: on '\n' only, each line trimmed of
// spaces, tabs, CR and LF at both ends. A final newline yields a last, empty line: Redis
// counts it, so line numbers of command-line options depend on it.
func splitLines(text string) []string {
	lines := strings.Split(text, "\n")
	for i, l := range lines {
		l = strings.Trim(l, " \t\r\n")
		// Redis trims the whole line, then reads it as a C string: a NUL ends it.
		if j := strings.IndexByte(l, 0); j >= 0 {
			l = l[:j]
		}
		lines[i] = l
	}
	return lines
}

// Quote renders s the way Redis's sdscatrepr does: always in double quotes, with \\ \" \n \r
// \t \a \b escapes and \xHH for every other byte that is not printable ASCII. The result is
// always read back by the config loader as exactly s.
func Quote(s string) string {
	var b strings.Builder
	b.Grow(len(s) + 2)
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch c {
		case '\\', '"':
			b.WriteByte('\\')
			b.WriteByte(c)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		case '\t':
			b.WriteString(`\t`)
		case '\a':
			b.WriteString(`\a`)
		case '\b':
			b.WriteString(`\b`)
		default:
			if c >= 0x20 && c < 0x7f {
				b.WriteByte(c)
			} else {
				const hex = "0123456789abcdef"
				b.WriteString(`\x`)
				b.WriteByte(hex[c>>4])
				b.WriteByte(hex[c&0xf])
			}
		}
	}
	b.WriteByte('"')
	return b.String()
}

// token renders one argument of a generated line: bare when the loader reads it back as the
// same single token, quoted otherwise. Redis writes every sentinel value bare, so a password
// with a space breaks its own file; bare where safe keeps our output byte-identical to
// Redis's for every value Redis itself can read back.
func token(s string) string {
	if s == "" {
		return `""`
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c <= ' ' || c == 0x7f || c == '"' || c == '\'' {
			return Quote(s)
		}
	}
	return s
}

// joinTokens renders a generated line from its words, each through token.
func joinTokens(words ...string) string {
	var b strings.Builder
	for i, w := range words {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(token(w))
	}
	return b.String()
}
