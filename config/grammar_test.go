package config

import (
	"reflect"
	"testing"

	"github.com/sentinel-go/sentinel/internal/splitargs"
)

func TestQuoteReadsBack(t *testing.T) {
	for _, s := range []string{"", "a b", `"'\`, "\x00\x01\xff\n", "#x", "plain"} {
		got, ok := splitargs.Split(Quote(s))
		if !ok || len(got) != 1 || got[0] != s {
			t.Errorf("Quote(%q) = %s reads back as %q %v", s, Quote(s), got, ok)
		}
		got, ok = splitargs.Split("x " + token(s))
		if !ok || len(got) != 2 || got[1] != s {
			t.Errorf("token(%q) = %s reads back as %q %v", s, token(s), got, ok)
		}
	}
	if Quote("a\"b\\\n\x7f") != `"a\"b\\\n\x7f"` {
		t.Errorf("Quote = %s", Quote("a\"b\\\n\x7f"))
	}
	if token("pa ss") != `"pa ss"` || token("secret") != "secret" {
		t.Error("token quotes only what needs it")
	}
}

func TestSplitLines(t *testing.T) {
	got := splitLines(" a \r\n\tb\n#c  \nd\x00e\n")
	want := []string{"a", "b", "#c", "d", ""}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("splitLines = %q, want %q", got, want)
	}
}

func TestOptionsText(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{nil, ""},
		{[]string{"--port", "26380"}, `port "26380" `},
		{[]string{"--sentinel"}, "sentinel "},
		{[]string{"--sentinel", "--port", "1"}, "sentinel \nport \"1\" "},
		{[]string{"--sentinel", "announce-ip", "1.2.3.4"}, `sentinel "announce-ip" "1.2.3.4" `},
		{[]string{"--port", "--bind", "x"}, `port "--bind" "x" `},
		{[]string{"--save", "--port", "1"}, "save \"\"\nport \"1\" "},
		{[]string{"--save"}, `save ""`},
		{[]string{"--port 1", "--bind", "a b"}, "port 1 \nbind \"a b\" "},
	} {
		if got := optionsText(tc.args); got != tc.want {
			t.Errorf("optionsText(%q) = %q, want %q", tc.args, got, tc.want)
		}
	}
}

// TestCConversions covers the conversions only the config loader uses; atoi, strtoll and
// strtoull are package cstrconv's, and tested there.
func TestCConversions(t *testing.T) {
	for s, ok := range map[string]bool{"0": true, "-0": false, "007": false, "+5": false, "-5": true,
		"9223372036854775807": true, "9223372036854775808": false, "-9223372036854775808": true} {
		if _, got := string2ll(s); got != ok {
			t.Errorf("string2ll(%q) ok = %v", s, got)
		}
	}
	for s, want := range map[string]string{"1.2.3": "1.2.0.3", "0x7f.1": "127.0.0.1", "010.0.0.1": "8.0.0.1",
		"1": "0.0.0.1", "0:0::1": "::1", "::ffff:1.2.3.4": "::ffff:1.2.3.4"} {
		if got, ok := NumericIP(s); !ok || got != want {
			t.Errorf("NumericIP(%q) = %q %v, want %q", s, got, ok, want)
		}
	}
	for _, s := range []string{"1.2.3.256", "1..2", "localhost", "1.2.3.4.5", "08.1.1.1", "0x", "1.2.3.4 "} {
		if _, ok := NumericIP(s); ok {
			t.Errorf("NumericIP(%q) accepted", s)
		}
	}
}
