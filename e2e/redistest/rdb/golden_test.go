package rdb

import (
	"bytes"
	"os"
	"strings"
	"testing"
)

// The files in testdata were written by Debian's redis-server 7.0.15 (SAVE), so these tests
// check compatibility even where redis-server is not installed.

// TestGoldenSmall: for the same keys and AUX values, the encoder must reproduce Redis's file
// byte for byte, checksum included.
func TestGoldenSmall(t *testing.T) {
	raw, err := os.ReadFile("testdata/redis-7.0.15-small.rdb")
	if err != nil {
		t.Fatal(err)
	}
	want := []Entry{
		{DB: 0, Key: "a", Value: []byte("1")},
		{DB: 0, Key: "k", Value: []byte("hello"), ExpireAt: 1795739910397},
	}
	aux := []Aux{{"redis-ver", "7.0.15"}, {"redis-bits", "64"}, {"ctime", "1795739810"},
		{"used-mem", "964136"}, {"aof-base", "0"}}
	got, gotAux := decodeAll(t, raw)
	sameEntries(t, got, want)
	for _, a := range aux {
		if gotAux[a.Key] != a.Value {
			t.Errorf("aux %q = %q, want %q", a.Key, gotAux[a.Key], a.Value)
		}
	}
	var buf bytes.Buffer
	must(t, Encode(&buf, aux, want))
	if !bytes.Equal(buf.Bytes(), raw) {
		t.Errorf("encoder wrote\n%x\nredis-server wrote\n%x", buf.Bytes(), raw)
	}
}

// TestGoldenMixed decodes liblzf output (which differs from our compressor's), integer
// encodings of a key and a value, and a second database.
func TestGoldenMixed(t *testing.T) {
	raw, err := os.ReadFile("testdata/redis-7.0.15-mixed.rdb")
	if err != nil {
		t.Fatal(err)
	}
	got, aux := decodeAll(t, raw)
	sameEntries(t, got, []Entry{
		{DB: 0, Key: "greeting", Value: []byte("hello world"), ExpireAt: 4102444800000},
		{DB: 0, Key: "counter", Value: []byte("1234567")},
		{DB: 2, Key: "lzf", Value: []byte(strings.Repeat("abc", 20))},
		{DB: 2, Key: "300", Value: []byte{}},
	})
	if aux["redis-ver"] != "7.0.15" || aux["aof-base"] != "0" || len(aux) != 5 {
		t.Errorf("aux = %q", aux)
	}
}
