package rdb

import (
	"bufio"
	"bytes"
	"io"
	"os"
	"strings"
	"testing"
)

// FuzzDecode: Decode must never panic or hang, must fail with an "rdb: " error, and when it
// succeeds it must have stopped right after the snapshot and what it read must survive a
// round trip through the Encoder.
func FuzzDecode(f *testing.F) {
	var buf bytes.Buffer
	if err := Encode(&buf, []Aux{{"redis-ver", "7.0.15"}, {"redis-bits", "64"}}, []Entry{
		{DB: 0, Key: "k", Value: []byte("300")},
		{DB: 0, Key: "lz", Value: []byte(strings.Repeat("abc", 30)), ExpireAt: 1700000000000},
		{DB: 3, Key: "12", Value: []byte{}},
		{DB: 3, Key: "bin", Value: []byte("\x00\xff\r\n")},
	}); err != nil {
		f.Fatal(err)
	}
	valid := buf.Bytes()
	zeroed := func(b []byte) []byte { // checksum disabled, so mutations of the body still parse
		b = bytes.Clone(b)
		clear(b[len(b)-8:])
		return b
	}
	f.Add(valid)
	f.Add(zeroed(valid))
	f.Add(valid[:len(valid)/2])
	flipped := bytes.Clone(valid)
	flipped[len(flipped)/2] ^= 0x40
	f.Add(flipped)
	f.Add(append(bytes.Clone(valid), "+trailing\r\n"...))
	for _, name := range []string{"testdata/redis-7.0.15-small.rdb", "testdata/redis-7.0.15-mixed.rdb"} {
		if b, err := os.ReadFile(name); err == nil {
			f.Add(b)
			f.Add(zeroed(b))
		}
	}
	f.Add(zeroed(snap("0010",
		cat(0xfa, 3, "foo", 0xc1, 0xfe, 0xff),
		cat(0xf5, 4, "code", 0xf4, 1, 2, 3),
		cat(0xfe, 0x80, 0, 0, 0, 5, 0xfb, 0x81, 0, 0, 0, 0, 0, 0, 0, 9, 0x40, 0x40),
		cat(0xfd, 0x10, 0x27, 0, 0, 0, 1, "s", 1, "v"),
		cat(0xfc, 0x39, 0x30, 0, 0, 0, 0, 0, 0, 0xf9, 7, 0xf8, 0x45, 0, 0xc2, 1, 2, 3, 4, 0x40, 3, "abc"),
		cat(0, 2, "lz", 0xc3, 7, 12, 2, "abc", 0xe0, 0, 2),
	)))
	f.Add(cat("REDIS0004", 0, 1, "k", 1, "v", 0xff))
	f.Add(snap("0010", cat(2, 1, "x", 1, 1, "a")))
	f.Add([]byte("REDIS0010"))
	f.Add([]byte{})

	f.Fuzz(func(t *testing.T, data []byte) {
		var entries []Entry
		r := bufio.NewReader(bytes.NewReader(data))
		aux, err := Decode(r, func(e Entry) error {
			entries = append(entries, e)
			return nil
		})
		if aux == nil {
			t.Fatal("nil aux map")
		}
		if err != nil {
			if !strings.HasPrefix(err.Error(), "rdb: ") {
				t.Fatalf("error without the package prefix: %v", err)
			}
			return
		}
		rest, _ := io.ReadAll(r)
		if !bytes.HasSuffix(data, rest) {
			t.Fatal("the reader was left somewhere other than after the snapshot")
		}

		// Re-encode in file order (a database may recur) and decode again.
		var out bytes.Buffer
		e := NewEncoder(&out)
		var pairs []Aux
		for k, v := range aux {
			pairs = append(pairs, Aux{k, v})
		}
		if err := e.WriteHeader(pairs...); err != nil {
			t.Fatal(err)
		}
		db := -1
		for _, en := range entries {
			if en.DB != db {
				db = en.DB
				if err := e.WriteDB(db, 0, 0); err != nil {
					t.Fatal(err)
				}
			}
			if err := e.WriteString(en.Key, en.Value, en.ExpireAt); err != nil {
				t.Fatal(err)
			}
		}
		if err := e.Close(); err != nil {
			t.Fatal(err)
		}
		var again []Entry
		aux2, err := Decode(bufio.NewReader(&out), func(e Entry) error {
			again = append(again, e)
			return nil
		})
		if err != nil {
			t.Fatalf("re-encoded snapshot does not decode: %v", err)
		}
		sameEntries(t, again, entries)
		if len(aux2) != len(aux) {
			t.Fatalf("aux %q became %q", aux, aux2)
		}
		for k, v := range aux {
			if aux2[k] != v {
				t.Fatalf("aux %q: %q became %q", k, v, aux2[k])
			}
		}
	})
}

// FuzzLZF: compression must round-trip, and decompressing arbitrary bytes must either fail
// or produce exactly the requested length.
func FuzzLZF(f *testing.F) {
	f.Add([]byte(strings.Repeat("abc", 30)), uint16(90))
	f.Add([]byte{0, 'a', 0xe0, 3, 0}, uint16(13))
	f.Add(randomBytes(1, 300), uint16(300))
	f.Fuzz(func(t *testing.T, data []byte, n uint16) {
		if out, err := lzfDecompress(data, int(n)); err == nil && len(out) != int(n) {
			t.Fatalf("decompressed %d bytes, asked for %d", len(out), n)
		}
		var z lzfCompressor
		limit := len(data) - 4
		c := z.compress(data, limit)
		if c == nil {
			return
		}
		if len(c) > limit {
			t.Fatalf("compressed to %d bytes, limit %d", len(c), limit)
		}
		out, err := lzfDecompress(c, len(data))
		if err != nil || !bytes.Equal(out, data) {
			t.Fatalf("round trip failed: %v", err)
		}
	})
}
