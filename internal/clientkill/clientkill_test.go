package clientkill

import (
	"testing"

	"github.com/sentinel-go/sentinel/internal/resp"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func args(ss ...string) [][]byte {
	out := make([][]byte, len(ss))
	for i, s := range ss {
		out[i] = []byte(s)
	}
	return out
}

func knownUsers(name string) bool { return name == "default" || name == "bob" }

// The error texts are redis-server 7.0.15's replies to the same arguments.
func TestParseErrors(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{nil, "ERR syntax error"},
		{[]string{"ID", "0"}, "ERR client-id should be greater than 0"},
		{[]string{"ID", "-3"}, "ERR client-id should be greater than 0"},
		{[]string{"ID", "x"}, "ERR client-id should be greater than 0"},
		{[]string{"ID", "+5"}, "ERR client-id should be greater than 0"},
		{[]string{"ID", "05"}, "ERR client-id should be greater than 0"},
		{[]string{"ID", " 5"}, "ERR client-id should be greater than 0"},
		{[]string{"ID", "9223372036854775808"}, "ERR client-id should be greater than 0"},
		{[]string{"TYPE", "foo"}, "ERR Unknown client type 'foo'"},
		{[]string{"USER", "nosuch"}, "ERR No such user 'nosuch'"},
		{[]string{"SKIPME", "maybe"}, "ERR syntax error"},
		{[]string{"foo", "bar", "baz"}, "ERR syntax error"},
		{[]string{"ID", "1", "ID"}, "ERR syntax error"},
		{[]string{"ADDR", "1.2.3.4:5", "SKIPME"}, "ERR syntax error"},
		// Left to right, the first bad option decides.
		{[]string{"ID", "0", "TYPE"}, "ERR client-id should be greater than 0"},
		{[]string{"TYPE", "foo", "ID", "0"}, "ERR Unknown client type 'foo'"},
		{[]string{"USER", "nosuch", "SKIPME", "maybe"}, "ERR No such user 'nosuch'"},
		{[]string{"NOPE", "x", "ID", "0"}, "ERR syntax error"},
	}
	for _, tt := range tests {
		_, err := Parse(args(tt.args...), knownUsers)
		if err == nil || err.Error() != tt.want {
			t.Errorf("Parse(%q) = %v, want %q", tt.args, err, tt.want)
		}
	}
}

func TestParse(t *testing.T) {
	tests := []struct {
		args []string
		want Filter
	}{
		{[]string{"1.2.3.4:5"}, Filter{Old: true, Addr: "1.2.3.4:5"}},
		{[]string{"ID", "7"}, Filter{ID: 7, SkipMe: true}},
		{[]string{"id", "9223372036854775807"}, Filter{ID: 9223372036854775807, SkipMe: true}},
		{[]string{"TYPE", "slave"}, Filter{Type: "replica", SkipMe: true}},
		{[]string{"type", "PubSub", "skipme", "NO"}, Filter{Type: "pubsub"}},
		{[]string{"ADDR", "a:1", "LADDR", "b:2", "USER", "bob", "SKIPME", "yes"},
			Filter{Addr: "a:1", LAddr: "b:2", User: "bob", SkipMe: true}},
		{[]string{"TYPE", "normal", "TYPE", "master"}, Filter{Type: "master", SkipMe: true}},
	}
	for _, tt := range tests {
		got, err := Parse(args(tt.args...), knownUsers)
		if err != nil || got != tt.want {
			t.Errorf("Parse(%q) = %+v, %v, want %+v", tt.args, got, err, tt.want)
		}
	}
	if _, err := Parse(args("USER", "anyone"), nil); err != nil {
		t.Errorf("Parse with no user check: %v", err)
	}
}

func TestMatch(t *testing.T) {
	c := Client{ID: 3, Type: "pubsub", Addr: "a:1", LAddr: "b:2", User: "bob"}
	tests := []struct {
		f    Filter
		self bool
		want bool
	}{
		{Filter{}, false, true},
		{Filter{ID: 3}, false, true},
		{Filter{ID: 4}, false, false},
		{Filter{Type: "pubsub"}, false, true},
		{Filter{Type: "normal"}, false, false},
		{Filter{Addr: "a:1", LAddr: "b:2", User: "bob"}, false, true},
		{Filter{Addr: "a:2"}, false, false},
		{Filter{LAddr: "b:3"}, false, false},
		{Filter{User: "alice"}, false, false},
		{Filter{SkipMe: true}, true, false},
		{Filter{SkipMe: true}, false, true},
		{Filter{Old: true, Addr: "a:1"}, true, true},
	}
	for _, tt := range tests {
		if got := tt.f.Match(c, tt.self); got != tt.want {
			t.Errorf("%+v.Match(self=%v) = %v, want %v", tt.f, tt.self, got, tt.want)
		}
	}
}

func TestReply(t *testing.T) {
	tests := []struct {
		f      Filter
		killed int
		want   string
	}{
		{Filter{Old: true}, 0, "-ERR No such client\r\n"},
		{Filter{Old: true}, 1, "+OK\r\n"},
		{Filter{}, 0, ":0\r\n"},
		{Filter{}, 2, ":2\r\n"},
	}
	for _, tt := range tests {
		w := resp.Writer{Proto: 2}
		tt.f.Reply(&w, tt.killed)
		if got := string(w.Bytes()); got != tt.want {
			t.Errorf("%+v.Reply(%d) = %q, want %q", tt.f, tt.killed, got, tt.want)
		}
	}
}
