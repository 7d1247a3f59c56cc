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

// isSpace is C's isspace in the C locale.
func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r'
}

func isHex(c byte) bool {
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')
}

func hexVal(c byte) byte {
	switch {
	case c >= '0' && c <= '9':
		return c - '0'
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10
	default:
		return c - 'A' + 10
	}
}

// splitArgs tokenizes one line exactly like Redis's sdssplitargs: double quotes with C
// escapes, single quotes with only \' special, quotes that may start mid-token, and a closing
// quote that must be followed by a space or the end. ok is false for unbalanced quotes.
func splitArgs(line string) (args []string, ok bool) {
	p, n := 0, len(line)
	for {
		for p < n && isSpace(line[p]) {
			p++
		}
		if p >= n {
			return args, true
		}
		var cur []byte
		inq, insq, done := false, false, false
		for !done {
			switch {
			case inq:
				if p >= n {
					return nil, false
				}
				c := line[p]
				switch {
				case c == '\\' && p+3 < n && line[p+1] == 'x' && isHex(line[p+2]) && isHex(line[p+3]):
					cur = append(cur, hexVal(line[p+2])<<4|hexVal(line[p+3]))
					p += 3
				case c == '\\' && p+1 < n:
					p++
					switch line[p] {
					case 'n':
						cur = append(cur, '\n')
					case 'r':
						cur = append(cur, '\r')
					case 't':
						cur = append(cur, '\t')
					case 'b':
						cur = append(cur, '\b')
					case 'a':
						cur = append(cur, '\a')
					default:
						cur = append(cur, line[p])
					}
				case c == '"':
					// The closing quote must be followed by a space or nothing.
					if p+1 < n && !isSpace(line[p+1]) {
						return nil, false
					}
					done = true
				default:
					cur = append(cur, c)
				}
			case insq:
				if p >= n {
					return nil, false
				}
				c := line[p]
				switch {
				case c == '\\' && p+1 < n && line[p+1] == '\'':
					p++
					cur = append(cur, '\'')
				case c == '\'':
					if p+1 < n && !isSpace(line[p+1]) {
						return nil, false
					}
					done = true
				default:
					cur = append(cur, c)
				}
			default:
				if p >= n {
					done = true
					break
				}
				switch c := line[p]; c {
				case ' ', '\n', '\r', '\t', 0:
					done = true
				case '"':
					inq = true
				case '\'':
					insq = true
				default:
					cur = append(cur, c)
				}
			}
			if p < n {
				p++
			}
		}
		args = append(args, string(cur))
	}
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
