package splitargs

// Append splits line and appends each argument's bytes to dst and its start and end
// offsets in dst to spans (two ints per argument). ok is false for unbalanced quotes;
// dst and spans then hold a partial result the caller must drop. The type parameter lets
// config split its strings without copying them to a []byte first.
func Append[T string | []byte](dst []byte, spans []int, line T) (_ []byte, _ []int, ok bool) {
	n := len(line)
	for i := 0; i < n; i++ {
		if line[i] == 0 {
			n = i // sdssplitargs reads a C string
			break
		}
	}
	i := 0
	for {
		for i < n && IsSpace(line[i]) {
			i++
		}
		if i == n {
			return dst, spans, true
		}
		from := len(dst)
		var quote byte // '"' or '\'' inside a quoted argument, 0 outside
	arg:
		for {
			if quote != 0 {
				if i == n {
					return dst, spans, false
				}
				if line[i] == quote {
					// sdssplitargs: a closing quote must be followed by a blank or the end.
					if i+1 < n && !IsSpace(line[i+1]) {
						return dst, spans, false
					}
					i++
					break arg
				}
				c, size := quoted(line, i, n, quote)
				dst = append(dst, c)
				i += size
				continue
			}
			if i == n {
				break arg
			}
			c := line[i]
			i++
			switch c {
			// Not IsSpace: sdssplitargs ends an unquoted argument only at these.
			case ' ', '\n', '\r', '\t':
				break arg
			case '"', '\'':
				quote = c
			default:
				dst = append(dst, c)
			}
		}
		spans = append(spans, from, len(dst))
	}
}

// quoted reads the byte at line[i] inside a quote: an escape sequence (in double quotes \xHH
// and C's \n \r \t \b \a, any other escaped byte standing for itself; in single quotes
// only \') or the byte itself. It returns the byte and how many bytes of line it took.
func quoted[T string | []byte](line T, i, n int, quote byte) (byte, int) {
	c := line[i]
	switch {
	case c != '\\':
		return c, 1
	case quote == '\'':
		if i+1 < n && line[i+1] == '\'' {
			return '\'', 2
		}
		return c, 1
	case i+3 < n && line[i+1] == 'x' && isHex(line[i+2]) && isHex(line[i+3]):
		return fromHex(line[i+2])<<4 | fromHex(line[i+3]), 4
	case i+1 < n:
		return unescape(line[i+1]), 2
	}
	return c, 1
}

// Split returns line's arguments as strings (nil when there are none); ok is false for
// unbalanced quotes. The words share one allocation.
func Split(line string) (args []string, ok bool) {
	// Scratch buffers on the stack for the usual short line: only the words and their
	// slice are allocated.
	var buf [256]byte
	var sp [32]int
	dst, spans, ok := Append(buf[:0], sp[:0], line)
	if !ok {
		return nil, false
	}
	if len(spans) == 0 {
		return nil, true
	}
	all := string(dst)
	args = make([]string, len(spans)/2)
	for k := range args {
		args[k] = all[spans[2*k]:spans[2*k+1]]
	}
	return args, true
}

// IsSpace is C's isspace in the "C" locale, which sdssplitargs skips between arguments.
func IsSpace(c byte) bool {
	return c == ' ' || ('\t' <= c && c <= '\r')
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func fromHex(c byte) byte {
	switch {
	case c >= 'a':
		return c - 'a' + 10
	case c >= 'A':
		return c - 'A' + 10
	}
	return c - '0'
}

func unescape(c byte) byte {
	switch c {
	case 'n':
		return '\n'
	case 'r':
		return '\r'
	case 't':
		return '\t'
	case 'b':
		return '\b'
	case 'a':
		return '\a'
	}
	return c
}
