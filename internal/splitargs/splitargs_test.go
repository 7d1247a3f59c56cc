package splitargs

import (
	"reflect"
	"strconv"
	"strings"
	"testing"
)

var cases = []struct {
	in   string
	want []string // nil with ok=false for unbalanced quotes
	ok   bool
}{
	{"", nil, true},
	{" \t\v\f\r\n", nil, true},
	{"  a  b\tc ", []string{"a", "b", "c"}, true},
	{`"a b" c`, []string{"a b", "c"}, true},
	{`"\n\r\t\b\a\\\"\x41\xZZ\q"`, []string{"\n\r\t\b\a\\\"A" + `xZZ` + "q"}, true},
	{`"\x4"`, []string{"x4"}, true},
	{`'a\'b' 'c"d'`, []string{"a'b", `c"d`}, true},
	{`'a\nb'`, []string{`a\nb`}, true},
	{`ab"cd"`, []string{"abcd"}, true},
	{`ab'c d'`, []string{"abc d"}, true},
	{`"" ''`, []string{"", ""}, true},
	{`"a"b`, nil, false},
	{`'a'b`, nil, false},
	{`"abc`, nil, false},
	{`'abc`, nil, false},
	{`"abc\`, nil, false},
	{`'abc\`, nil, false},
	{"a\vb", []string{"a\vb"}, true},
	{`"a"` + "\v" + `b`, []string{"a", "b"}, true},
	{"a\x00b c", []string{"a"}, true},
	{"\"a\x00b\"", nil, false},
	{`set "a\x41 b" 'c\'d' "\n\z" a"b c"`, []string{"set", "aA b", "c'd", "\nz", "ab c"}, true},
}

// TestSplit checks Split, and the transliteration of sds.c the fuzz target trusts, on the
// same cases.
func TestSplit(t *testing.T) {
	for name, split := range map[string]func(string) ([]string, bool){"Split": Split, "reference": reference} {
		for _, tc := range cases {
			got, ok := split(tc.in)
			if ok != tc.ok || !reflect.DeepEqual(got, tc.want) {
				t.Errorf("%s(%q) = %q, %v; want %q, %v", name, tc.in, got, ok, tc.want, tc.ok)
			}
		}
	}
}

// TestAppendKeepsPrefix: Append adds to what dst and spans already hold, which is how
// the resp reader reuses its buffers.
func TestAppendKeepsPrefix(t *testing.T) {
	dst, spans, ok := Append([]byte("xy"), []int{0, 2}, []byte(`a "b c"`))
	if !ok || string(dst) != "xyab c" || !reflect.DeepEqual(spans, []int{0, 2, 2, 3, 3, 6}) {
		t.Fatalf("Append = %q, %v, %v", dst, spans, ok)
	}
}

func TestAppendDoesNotAllocate(t *testing.T) {
	line := []byte(`SET key:000042 "x y" 'z\'' "\x41"`)
	dst, spans := make([]byte, 0, 64), make([]int, 0, 16)
	if n := testing.AllocsPerRun(100, func() {
		dst, spans, _ = Append(dst[:0], spans[:0], line)
	}); n != 0 {
		t.Fatalf("Append allocates %v times per call", n)
	}
}

// reference is sdssplitargs transliterated from sds.c, pointer arithmetic over a
// NUL-terminated copy, to check the structured version against.
func reference(line string) ([]string, bool) {
	s := append([]byte(line), 0)
	p := 0
	var out []string
	for {
		for s[p] != 0 && isCSpace(s[p]) {
			p++
		}
		if s[p] == 0 {
			return out, true
		}
		inq, insq, done := false, false, false
		var cur []byte
		for !done {
			if inq {
				if s[p] == '\\' && s[p+1] == 'x' && isHex(s[p+2]) && isHex(s[p+3]) {
					cur = append(cur, fromHex(s[p+2])*16+fromHex(s[p+3]))
					p += 3
				} else if s[p] == '\\' && s[p+1] != 0 {
					p++
					cur = append(cur, unescape(s[p]))
				} else if s[p] == '"' {
					if s[p+1] != 0 && !isCSpace(s[p+1]) {
						return nil, false
					}
					done = true
				} else if s[p] == 0 {
					return nil, false
				} else {
					cur = append(cur, s[p])
				}
			} else if insq {
				if s[p] == '\\' && s[p+1] == '\'' {
					p++
					cur = append(cur, '\'')
				} else if s[p] == '\'' {
					if s[p+1] != 0 && !isCSpace(s[p+1]) {
						return nil, false
					}
					done = true
				} else if s[p] == 0 {
					return nil, false
				} else {
					cur = append(cur, s[p])
				}
			} else {
				switch s[p] {
				case ' ', '\n', '\r', '\t', 0:
					done = true
				case '"':
					inq = true
				case '\'':
					insq = true
				default:
					cur = append(cur, s[p])
				}
			}
			if s[p] != 0 {
				p++
			}
		}
		out = append(out, string(cur))
	}
}

func isCSpace(c byte) bool { return strings.IndexByte(" \t\n\v\f\r", c) >= 0 }

// FuzzSplit: Split agrees with the transliteration of sds.c, Append over bytes agrees
// with Split, and the words, quoted as Redis's sdscatrepr quotes them, split back to
// themselves.
func FuzzSplit(f *testing.F) {
	for _, tc := range cases {
		f.Add(tc.in)
	}
	f.Fuzz(func(t *testing.T, line string) {
		got, ok := Split(line)
		want, wantOK := reference(line)
		if ok != wantOK || !reflect.DeepEqual(got, want) {
			t.Fatalf("Split(%q) = %q, %v; sds.c gives %q, %v", line, got, ok, want, wantOK)
		}
		dst, spans, bok := Append([]byte{}, nil, []byte(line))
		if bok != ok {
			t.Fatalf("Append over bytes: ok %v, Split: %v", bok, ok)
		}
		if !ok {
			return
		}
		if len(spans) != 2*len(got) {
			t.Fatalf("Append gives %d spans for %d words", len(spans), len(got))
		}
		quoted := make([]string, len(got))
		for k, w := range got {
			if b := string(dst[spans[2*k]:spans[2*k+1]]); b != w {
				t.Fatalf("Append word %d = %q, Split %q", k, b, w)
			}
			quoted[k] = strconv.Quote(w)
		}
		// strconv.Quote's escapes other than \n \r \t \a \b \\ \" \xHH would differ from
		// sdscatrepr's; restrict the round trip to words it renders with those only.
		joined := strings.Join(quoted, " ")
		if strings.ContainsAny(joined, "\x00") || strings.Contains(joined, `\u`) || strings.Contains(joined, `\U`) ||
			strings.Contains(joined, `\f`) || strings.Contains(joined, `\v`) {
			return
		}
		back, ok := Split(joined)
		if !ok || !reflect.DeepEqual(back, got) && len(got) > 0 {
			t.Fatalf("%q quoted as %s splits back as %q, %v", got, joined, back, ok)
		}
	})
}

// The inline request of resp's benchmark, and a sentinel.conf line with quoting.
var benchLines = []struct{ name, line string }{
	{"inline", `SET key:000042 "x y"`},
	{"config", `sentinel auth-pass mymaster "pa ss\x41" 'it\'s'`},
}

// BenchmarkAppend is the resp path: buffers reused, no allocation.
func BenchmarkAppend(b *testing.B) {
	for _, bl := range benchLines {
		b.Run(bl.name, func(b *testing.B) {
			line := []byte(bl.line)
			dst, spans := make([]byte, 0, 64), make([]int, 0, 16)
			b.SetBytes(int64(len(line)))
			b.ReportAllocs()
			for b.Loop() {
				dst, spans, _ = Append(dst[:0], spans[:0], line)
			}
		})
	}
}

// BenchmarkSplit is the config path: strings out.
func BenchmarkSplit(b *testing.B) {
	for _, bl := range benchLines {
		b.Run(bl.name, func(b *testing.B) {
			b.SetBytes(int64(len(bl.line)))
			b.ReportAllocs()
			for b.Loop() {
				Split(bl.line)
			}
		})
	}
}
