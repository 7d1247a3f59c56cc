package rdb

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"runtime"
	"slices"
	"strings"
	"testing"
	"testing/iotest"
)

func TestCRC64(t *testing.T) {
	if got := crcUpdate(0, []byte("123456789")); got != 0xe9c6d914c4b8d9ca {
		t.Fatalf("crc64(123456789) = %#x, want 0xe9c6d914c4b8d9ca", got)
	}
	// Incremental updates must agree with one pass: the encoder and decoder hash piecewise.
	data := []byte(strings.Repeat("incremental crc ", 300))
	crc := uint64(0)
	for _, part := range [][]byte{data[:1], data[1:100], data[100:3000], data[3000:]} {
		crc = crcUpdate(crc, part)
	}
	if want := crcUpdate(0, data); crc != want {
		t.Fatalf("piecewise crc %#x != one-pass %#x", crc, want)
	}
}

// decodeAll decodes b and fails the test on error.
func decodeAll(t *testing.T, b []byte) ([]Entry, map[string]string) {
	t.Helper()
	var got []Entry
	aux, err := Decode(bufio.NewReader(bytes.NewReader(b)), func(e Entry) error {
		got = append(got, e)
		return nil
	})
	if err != nil {
		t.Fatalf("Decode: %v", err)
	}
	return got, aux
}

func decodeErr(b []byte) error {
	_, err := Decode(bufio.NewReader(bytes.NewReader(b)), func(Entry) error { return nil })
	return err
}

func sameEntries(t *testing.T, got, want []Entry) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("got %d entries, want %d", len(got), len(want))
	}
	for i := range want {
		g, w := got[i], want[i]
		if g.DB != w.DB || g.Key != w.Key || !bytes.Equal(g.Value, w.Value) || g.ExpireAt != w.ExpireAt {
			t.Fatalf("entry %d: got {db %d key %q value %s expire %d}, want {db %d key %q value %s expire %d}",
				i, g.DB, g.Key, short(g.Value), g.ExpireAt, w.DB, w.Key, short(w.Value), w.ExpireAt)
		}
	}
}

func short(b []byte) string {
	if len(b) > 40 {
		return fmt.Sprintf("%q...(%d bytes)", b[:40], len(b))
	}
	return fmt.Sprintf("%q", b)
}

func randomBytes(seed uint64, n int) []byte {
	r := rand.New(rand.NewPCG(seed, seed))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

// testEntries covers every string encoding the encoder can choose, in several databases.
func testEntries() []Entry {
	var es []Entry
	add := func(db int, key string, val []byte, exp int64) {
		es = append(es, Entry{DB: db, Key: key, Value: val, ExpireAt: exp})
	}
	for i, v := range []string{"0", "1", "-1", "127", "-128", "128", "-129", "32767", "-32768", "32768",
		"-32769", "2147483647", "-2147483648", "2147483648", "-2147483649", "9223372036854775807",
		"-9223372036854775808", "007", "+1", "-0", " 1", "1 ", "0x10", "1e3", "99999999999"} {
		add(0, fmt.Sprintf("int:%d", i), []byte(v), 0)
	}
	add(0, "empty", []byte{}, 0)
	add(0, "", []byte("empty key"), 0)
	add(0, "12345", []byte("integer-looking key"), 0)
	add(0, "-7", []byte("negative integer key"), 1700000000123)
	add(0, "binary", []byte("\x00\xff\r\n\x00 nul and crlf \xc0\xc3"), 0)
	add(0, "exactly20bytes......", []byte("value of 20 bytes...."), 0)
	add(0, strings.Repeat("long-compressible-key/", 20), []byte("v"), 0)
	add(1, "compressible", []byte(strings.Repeat("abcdefgh", 1000)), 1<<40)
	add(1, "random-1k", randomBytes(1, 1000), 0)
	add(1, "expired-long-ago", []byte("still written"), 1)
	add(1, "negative-expire", []byte("odd but representable"), -5)
	add(3, "size63", bytes.Repeat([]byte{1, 2, 3}, 21), 0)
	add(3, "size64", randomBytes(2, 64), 0)
	add(3, "size16383", randomBytes(3, 16383), 0)
	add(3, "size16384", randomBytes(4, 16384), 0)
	var big bytes.Buffer
	for i := 0; big.Len() < 1<<20; i++ {
		fmt.Fprintf(&big, "line %d of a large mostly compressible value\n", i)
	}
	add(15, "big-compressible", big.Bytes(), 0)
	add(15, "big-random", randomBytes(5, 300<<10), 1893456000000)
	add(1000, "high db", []byte("x"), 0)
	return es
}

func TestRoundTrip(t *testing.T) {
	want := testEntries()
	aux := []Aux{{"redis-ver", "7.0.15"}, {"redis-bits", "64"}, {"ctime", "1700000000"},
		{"used-mem", "1048576"}, {"repl-stream-db", "0"}, {"repl-id", strings.Repeat("ab", 20)},
		{"repl-offset", "123456789012"}, {"aof-base", "0"}, {"odd", "-0"}, {"", ""}}
	var buf bytes.Buffer
	if err := Encode(&buf, aux, want); err != nil {
		t.Fatal(err)
	}
	got, gotAux := decodeAll(t, buf.Bytes())
	sameEntries(t, got, want) // testEntries is already in database order
	if len(gotAux) != len(aux) {
		t.Errorf("got %d aux fields, want %d: %v", len(gotAux), len(aux), gotAux)
	}
	for _, a := range aux {
		if gotAux[a.Key] != a.Value {
			t.Errorf("aux %q = %q, want %q", a.Key, gotAux[a.Key], a.Value)
		}
	}
	// Compression must have paid off on the repetitive values.
	if buf.Len() > 700<<10 {
		t.Errorf("snapshot is %d bytes; LZF does not seem to compress", buf.Len())
	}
}

func TestEncodeGroupsByDB(t *testing.T) {
	in := []Entry{
		{DB: 2, Key: "a", Value: []byte("1")},
		{DB: 0, Key: "b", Value: []byte("2"), ExpireAt: 5},
		{DB: 2, Key: "c", Value: []byte("3"), ExpireAt: 6},
		{DB: 0, Key: "d", Value: []byte("4")},
	}
	orig := slices.Clone(in)
	var buf bytes.Buffer
	if err := Encode(&buf, nil, in); err != nil {
		t.Fatal(err)
	}
	sameEntries(t, in, orig) // Encode must not reorder the caller's slice
	got, _ := decodeAll(t, buf.Bytes())
	sameEntries(t, got, []Entry{in[1], in[3], in[0], in[2]})
	// SELECTDB 0, RESIZEDB 2 1; SELECTDB 2, RESIZEDB 2 1.
	for _, db := range []byte{0, 2} {
		if !bytes.Contains(buf.Bytes(), []byte{opSelectDB, db, opResizeDB, 2, 1}) {
			t.Errorf("no SELECTDB %d / RESIZEDB 2 1 in %x", db, buf.Bytes())
		}
	}
}

// TestEncoderBytes pins the exact encoding of a small snapshot, worked out by hand from the
// format description, so the encoder cannot drift while the decoder drifts along with it.
func TestEncoderBytes(t *testing.T) {
	var buf bytes.Buffer
	e := NewEncoder(&buf)
	must(t, e.WriteHeader(Aux{"redis-ver", "7.0.15"}, Aux{"redis-bits", "64"}, Aux{"used-mem", "870000"}))
	must(t, e.WriteDB(3, 2, 1))
	must(t, e.WriteString("k", []byte("300"), 0))
	must(t, e.WriteString("e", []byte("v"), 0x0102030405060708))
	must(t, e.Close())
	body := []byte("REDIS0010")
	body = append(body, 0xfa, 9)
	body = append(body, "redis-ver"...)
	body = append(body, 6)
	body = append(body, "7.0.15"...)
	body = append(body, 0xfa, 10)
	body = append(body, "redis-bits"...)
	body = append(body, 0xc0, 64)
	body = append(body, 0xfa, 8)
	body = append(body, "used-mem"...)
	body = append(body, 0xc2, 0x70, 0x46, 0x0d, 0x00) // 870000 = 0x0d4670, little-endian
	body = append(body, 0xfe, 3, 0xfb, 2, 1)
	body = append(body, 0, 1, 'k', 0xc1, 0x2c, 0x01) // 300 as int16
	body = append(body, 0xfc, 8, 7, 6, 5, 4, 3, 2, 1, 0, 1, 'e', 1, 'v')
	body = append(body, 0xff)
	want := binary.LittleEndian.AppendUint64(body, crcUpdate(0, body))
	if !bytes.Equal(buf.Bytes(), want) {
		t.Fatalf("encoder wrote\n%x\nwant\n%x", buf.Bytes(), want)
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func TestStringEncodingChoice(t *testing.T) {
	lzfHead := []byte{0xc3}
	for _, tc := range []struct {
		in   string
		want []byte // prefix of the encoding
	}{
		{"0", []byte{0xc0, 0}},
		{"-128", []byte{0xc0, 0x80}},
		{"128", []byte{0xc1, 0x80, 0}},
		{"-32768", []byte{0xc1, 0x00, 0x80}},
		{"32768", []byte{0xc2, 0x00, 0x80, 0, 0}},
		{"-2147483648", []byte{0xc2, 0, 0, 0, 0x80}},
		{"2147483648", []byte{10, '2'}},
		{"007", []byte{3, '0'}},
		{"+1", []byte{2, '+'}},
		{"-0", []byte{2, '-'}},
		{strings.Repeat("a", 20), []byte{20, 'a'}}, // Redis only compresses above 20 bytes
		{strings.Repeat("a", 21), lzfHead},
		{string(randomBytes(9, 64)), []byte{0x40, 64}},
		{strings.Repeat("z", 16384), lzfHead},
		{string(randomBytes(9, 16384)), []byte{0x80, 0, 0, 0x40, 0}},
	} {
		var e Encoder
		got := e.appendString(nil, []byte(tc.in))
		if !bytes.HasPrefix(got, tc.want) {
			t.Errorf("appendString(%s) = %x..., want prefix %x", short([]byte(tc.in)), got[:min(len(got), 8)], tc.want)
		}
	}
	if got := appendLen(nil, 1<<32); !bytes.Equal(got, []byte{0x81, 0, 0, 0, 1, 0, 0, 0, 0}) {
		t.Errorf("appendLen(1<<32) = %x", got)
	}
	if got := appendLen(nil, 1<<32-1); !bytes.Equal(got, []byte{0x80, 0xff, 0xff, 0xff, 0xff}) {
		t.Errorf("appendLen(1<<32-1) = %x", got)
	}
}

// snap wraps hand-made records in a version header, EOF opcode and correct checksum.
func snap(version string, records ...[]byte) []byte {
	b := []byte("REDIS" + version)
	for _, r := range records {
		b = append(b, r...)
	}
	b = append(b, opEOF)
	return binary.LittleEndian.AppendUint64(b, crcUpdate(0, b))
}

func cat(parts ...any) []byte {
	var b []byte
	for _, p := range parts {
		switch p := p.(type) {
		case int:
			b = append(b, byte(p))
		case string:
			b = append(b, p...)
		case []byte:
			b = append(b, p...)
		default:
			panic(fmt.Sprintf("cat: %T", p))
		}
	}
	return b
}

func TestDecodeHandMade(t *testing.T) {
	v300 := strings.Repeat("x", 300)
	b := snap("0010",
		cat(0xfa, 3, "foo", 0xc0, 0xfe), // aux foo = "-2" (int8)
		cat(0xfa, 3, "bar", 0xc3, 7, 12, 2, "abc", 0xe0, 0, 2),
		cat(0xf5, 0x0a, "#!lua code"),                                      // FUNCTION2: skipped
		cat(0xf4, 1, 2, 3),                                                 // SLOT_INFO: skipped
		cat(0xfe, 0x80, 0, 0, 0, 5),                                        // SELECTDB 5, 32-bit length
		cat(0xfb, 0x81, 0, 0, 0, 0, 0, 0, 0, 9, 0x40, 0x40),                // RESIZEDB 9 64
		cat(0, 1, "a", 0xc0, 0x85),                                         // "-123"
		cat(0, 0x41, 0x2c, v300, 0xc1, 0x39, 0x30),                         // 14-bit key length, 12345
		cat(0, 0xc2, 0x15, 0xcd, 0x5b, 0x07, 0xc2, 0xff, 0xff, 0xff, 0xff), // key 123456789, value -1
		cat(0xfd, 0x10, 0x27, 0, 0, 0, 1, "s", 1, "v"),                     // EXPIRETIME 10000 s
		cat(0, 1, "n", 1, "v"),                                             // expiry must not carry over
		cat(0xfc, 0x39, 0x30, 0, 0, 0, 0, 0, 0, 0xf9, 7, 0xf8, 0x45, 0, 0, 2, "ms", 0x80, 0, 0, 0, 2, "vv"),
		cat(0xfe, 0x81, 0, 0, 0, 0, 0, 0, 0, 2),                                 // SELECTDB 2, 64-bit length
		cat(0, 1, "z", 0x81, 0, 0, 0, 0, 0, 0, 0, 3, "xyz"),                     // 64-bit string length
		cat(0, 2, "lz", 0xc3, 0x80, 0, 0, 0, 7, 0x40, 12, 2, "abc", 0xe0, 0, 2), // LZF, odd lengths
	)
	got, aux := decodeAll(t, b)
	want := []Entry{
		{DB: 5, Key: "a", Value: []byte("-123")},
		{DB: 5, Key: v300, Value: []byte("12345")},
		{DB: 5, Key: "123456789", Value: []byte("-1")},
		{DB: 5, Key: "s", Value: []byte("v"), ExpireAt: 10000 * 1000},
		{DB: 5, Key: "n", Value: []byte("v")},
		{DB: 5, Key: "ms", Value: []byte("vv"), ExpireAt: 12345},
		{DB: 2, Key: "z", Value: []byte("xyz")},
		{DB: 2, Key: "lz", Value: []byte("abcabcabcabc")},
	}
	sameEntries(t, got, want)
	if aux["foo"] != "-2" || aux["bar"] != "abcabcabcabc" || len(aux) != 2 {
		t.Errorf("aux = %q", aux)
	}
}

func TestDecodeVersions(t *testing.T) {
	rec := cat(0, 1, "k", 1, "v")
	for _, v := range []string{"0001", "0004", "0005", "0009", "0010", "0011", "0012"} {
		got, _ := decodeAll(t, snap(v, rec))
		sameEntries(t, got, []Entry{{Key: "k", Value: []byte("v")}})
	}
	// Before version 5 there is no checksum: the snapshot ends at the EOF opcode.
	old := append(cat("REDIS0004", rec, 0xff), "NEXT"...)
	r := bufio.NewReader(bytes.NewReader(old))
	if _, err := Decode(r, func(Entry) error { return nil }); err != nil {
		t.Fatal(err)
	}
	if rest, _ := io.ReadAll(r); string(rest) != "NEXT" {
		t.Errorf("after a version 4 snapshot, %q is left, want \"NEXT\"", rest)
	}
	for _, tc := range []struct {
		header string
		want   error
		text   string
	}{
		{"REDIS0000", ErrUnsupported, "RDB version 0"},
		{"REDIS0013", ErrUnsupported, "RDB version 13"},
		{"REDIS9999", ErrUnsupported, "RDB version 9999"},
		{"REDIS00a1", ErrCorrupt, "not a number"},
		{"REDIS-001", ErrCorrupt, "not a number"},
		{"REDIX0010", ErrCorrupt, `"REDIX"`},
		{"VALKEY080", ErrCorrupt, `"VALKE"`},
	} {
		err := decodeErr(append([]byte(tc.header), 0xff, 0, 0, 0, 0, 0, 0, 0, 0))
		if !errors.Is(err, tc.want) || !strings.Contains(err.Error(), tc.text) {
			t.Errorf("%s: err = %v, want %v mentioning %s", tc.header, err, tc.want, tc.text)
		}
	}
}

func TestDecodeErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   []byte
		want error
		text string
	}{
		{"set", snap("0010", cat(2, 1, "x", 1, 1, "a")), ErrUnsupported, `rdb: unsupported value type 2 (set) for key "x"`},
		{"stream", snap("0010", cat(0xfe, 4, 21, 0xc0, 7)), ErrUnsupported, `value type 21 (stream_listpacks_3) for key "7"`},
		{"module aux", snap("0010", cat(0xf7, 0, 0)), ErrUnsupported, "module aux"},
		{"function pre-GA", snap("0010", cat(0xf6, 1, "f")), ErrUnsupported, "release candidate"},
		{"type 8", snap("0010", cat(8, 1, "k")), ErrCorrupt, "unknown opcode or value type 8 at offset 9"},
		{"type 200", snap("0010", cat(200)), ErrCorrupt, "unknown opcode or value type 200"},
		{"length 0x82", snap("0010", cat(0, 0x82, "kkkk")), ErrCorrupt, "unknown length encoding 0x82"},
		{"string enc 4", snap("0010", cat(0, 0xc4, 1, "v")), ErrCorrupt, "unknown string encoding 4"},
		{"encoded db number", snap("0010", cat(0xfe, 0xc0, 1)), ErrCorrupt, "string encoding marker"},
		{"huge db number", snap("0010", cat(0xfe, 0x81, 0, 0, 0, 1, 0, 0, 0, 0)), ErrCorrupt, "database number 4294967296"},
		{"string over limit", snap("0010", cat(0, 0x81, 0, 0, 0, 1, 0, 0, 0, 0)), ErrCorrupt, "exceeds the"},
		{"lzf ratio", snap("0010", cat(0, 1, "k", 0xc3, 1, 0x80, 0x10, 0, 0, 0, 0)), ErrCorrupt, "cannot expand"},
		{"lzf short output", snap("0010", cat(0, 1, "k", 0xc3, 4, 4, 2, "abc")), ErrCorrupt, "corrupt LZF"},
		{"lzf bad backref", snap("0010", cat(0, 1, "k", 0xc3, 4, 9, 0, "a", 0x20, 5)), ErrCorrupt, "corrupt LZF"},
		{"checksum", func() []byte {
			b := snap("0010", cat(0, 1, "k", 1, "v"))
			b[len(b)-1] ^= 1
			return b
		}(), ErrChecksum, "checksum mismatch"},
		{"content changed", func() []byte {
			b := snap("0010", cat(0, 1, "k", 1, "v"))
			b[len(b)-10] = 'w'
			return b
		}(), ErrChecksum, "checksum mismatch"},
	} {
		err := decodeErr(tc.in)
		if !errors.Is(err, tc.want) || !strings.Contains(err.Error(), tc.text) {
			t.Errorf("%s: err = %v, want %v containing %q", tc.name, err, tc.want, tc.text)
		}
	}
}

func TestZeroChecksumAccepted(t *testing.T) {
	b := snap("0010", cat(0, 1, "k", 1, "v"))
	clear(b[len(b)-8:])
	got, _ := decodeAll(t, b)
	sameEntries(t, got, []Entry{{Key: "k", Value: []byte("v")}})
}

// TestTruncated cuts a snapshot at every length: each cut must report io.ErrUnexpectedEOF,
// never success, a panic or another error.
func TestTruncated(t *testing.T) {
	var buf bytes.Buffer
	es := []Entry{
		{DB: 1, Key: "k", Value: []byte("300"), ExpireAt: 99},
		{DB: 1, Key: "lz", Value: []byte(strings.Repeat("compress me ", 10))},
		{DB: 2, Key: "big", Value: randomBytes(7, 20000)},
	}
	must(t, Encode(&buf, []Aux{{"redis-ver", "7.0.15"}, {"redis-bits", "64"}}, es))
	full := buf.Bytes()
	for n := 0; n < len(full); n++ {
		if n > 200 && n < len(full)-200 && n%97 != 0 {
			continue // the middle of the raw value is all alike
		}
		err := decodeErr(full[:n])
		if !errors.Is(err, io.ErrUnexpectedEOF) {
			t.Fatalf("cut at %d of %d: err = %v, want io.ErrUnexpectedEOF", n, len(full), err)
		}
	}
}

// TestStopsAfterChecksum is the property the replication client relies on: whatever follows
// the snapshot in the stream is still unread, even when the reader delivers a byte at a time.
func TestStopsAfterChecksum(t *testing.T) {
	var buf bytes.Buffer
	must(t, Encode(&buf, nil, testEntries()[:5]))
	stream := append(buf.Bytes(), "*1\r\n$4\r\nPING\r\n"...)
	for name, src := range map[string]io.Reader{
		"whole":    bytes.NewReader(stream),
		"one byte": iotest.OneByteReader(bytes.NewReader(stream)),
		"half":     iotest.HalfReader(bytes.NewReader(stream)),
	} {
		r := bufio.NewReaderSize(src, 16)
		if _, err := Decode(r, nil); err != nil { // nil: validate only
			t.Fatalf("%s: %v", name, err)
		}
		if rest, _ := io.ReadAll(r); string(rest) != "*1\r\n$4\r\nPING\r\n" {
			t.Errorf("%s: left %q after the snapshot", name, rest)
		}
	}
}

func TestCallbackError(t *testing.T) {
	stop := errors.New("stop")
	var buf bytes.Buffer
	must(t, Encode(&buf, []Aux{{"a", "b"}}, testEntries()))
	n := 0
	aux, err := Decode(bufio.NewReader(&buf), func(Entry) error {
		if n++; n == 3 {
			return stop
		}
		return nil
	})
	if err != stop || n != 3 || aux["a"] != "b" {
		t.Fatalf("err = %v after %d entries, aux %v; want the callback's error as is after 3", err, n, aux)
	}
}

func TestReadError(t *testing.T) {
	var buf bytes.Buffer
	must(t, Encode(&buf, nil, testEntries()[:3]))
	boom := errors.New("connection reset")
	r := io.MultiReader(bytes.NewReader(buf.Bytes()[:20]), iotest.ErrReader(boom))
	_, err := Decode(bufio.NewReader(r), func(Entry) error { return nil })
	if !errors.Is(err, boom) {
		t.Fatalf("err = %v, want it to wrap %v", err, boom)
	}
}

// TestHugeLengthsAllocateLittle feeds lengths that promise hundreds of megabytes backed by a
// few bytes: the decoder must fail without allocating what was promised.
func TestHugeLengthsAllocateLittle(t *testing.T) {
	for name, in := range map[string][]byte{
		"raw 500MB":     cat("REDIS0010", 0, 1, "k", 0x80, 0x1f, 0x40, 0, 0, "tiny"),
		"lzf 500MB out": cat("REDIS0010", 0, 1, "k", 0xc3, 0x80, 0x00, 0x80, 0, 0, 0x80, 0x1f, 0x40, 0, 0, 0, "a"),
		"lzf 500MB in":  cat("REDIS0010", 0, 1, "k", 0xc3, 0x80, 0x1f, 0x40, 0, 0, 0x80, 0x1f, 0x40, 0, 0, 0, "a"),
	} {
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		err := decodeErr(in)
		runtime.ReadMemStats(&after)
		if !errors.Is(err, io.ErrUnexpectedEOF) {
			t.Errorf("%s: err = %v, want io.ErrUnexpectedEOF", name, err)
		}
		if d := after.TotalAlloc - before.TotalAlloc; d > 4<<20 {
			t.Errorf("%s: decoding allocated %d bytes", name, d)
		}
	}
}

func TestEncoderMisuse(t *testing.T) {
	var buf bytes.Buffer
	e := NewEncoder(&buf)
	if err := e.WriteString("k", nil, 0); err == nil || !strings.Contains(err.Error(), "before WriteHeader") {
		t.Errorf("WriteString before header: %v", err)
	}
	if err := e.Close(); err == nil {
		t.Error("Close before header succeeded")
	}
	must(t, e.WriteHeader())
	if err := e.WriteHeader(); err == nil {
		t.Error("second WriteHeader succeeded")
	}
	if err := e.WriteDB(-1, 0, 0); err == nil {
		t.Error("WriteDB(-1) succeeded")
	}
	// A failed call poisons the encoder: no checksum may seal a snapshot with a gap.
	if err := e.Close(); err == nil {
		t.Error("Close after a failed WriteDB succeeded")
	}

	buf.Reset()
	e = NewEncoder(&buf)
	must(t, e.WriteHeader())
	must(t, e.WriteString("k", []byte("v"), 0)) // no WriteDB: database 0, as in Redis
	must(t, e.Close())
	if err := e.WriteString("k", nil, 0); err == nil || !strings.Contains(err.Error(), "after Close") {
		t.Errorf("WriteString after Close: %v", err)
	}
	got, _ := decodeAll(t, buf.Bytes())
	sameEntries(t, got, []Entry{{Key: "k", Value: []byte("v")}})
}

type failWriter struct{ n int }

func (w *failWriter) Write(p []byte) (int, error) {
	if w.n--; w.n < 0 {
		return 0, errors.New("disk full")
	}
	return len(p), nil
}

func TestEncoderWriteErrorSticks(t *testing.T) {
	e := NewEncoder(&failWriter{n: 2})
	must(t, e.WriteHeader(Aux{"a", "b"}))
	must(t, e.WriteDB(0, 2, 0))
	if err := e.WriteString("k", []byte("v"), 0); err == nil {
		t.Fatal("write error not reported")
	}
	if err := e.Close(); err == nil || err.Error() != "disk full" {
		t.Fatalf("Close after a write error: %v, want the write error", err)
	}
}
