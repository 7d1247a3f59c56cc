package query

import (
	"testing"

	"github.com/sentinel-go/sentinel/internal/resp"
	"github.com/sentinel-go/sentinel/monitor"
)

// TestWriteValue: every shape of the core's answers, in both protocols, as the writer's
// own calls would put it.
func TestWriteValue(t *testing.T) {
	bulk := func(s string) monitor.Value { return monitor.Value{Kind: monitor.BulkValue, Str: s} }
	for _, tc := range []struct {
		v            monitor.Value
		resp2, resp3 string
	}{
		{monitor.Value{Kind: monitor.SimpleValue, Str: "OK"}, "+OK\r\n", "+OK\r\n"},
		{monitor.Value{Kind: monitor.ErrorValue, Str: "ERR x"}, "-ERR x\r\n", "-ERR x\r\n"},
		{monitor.Value{Kind: monitor.IntValue, Int: -3}, ":-3\r\n", ":-3\r\n"},
		{bulk("ab"), "$2\r\nab\r\n", "$2\r\nab\r\n"},
		{monitor.Value{Kind: monitor.NullValue}, "$-1\r\n", "_\r\n"},
		{monitor.Value{Kind: monitor.NullArrayValue}, "*-1\r\n", "_\r\n"},
		{monitor.Value{Kind: monitor.ArrayValue, Elem: []monitor.Value{
			{Kind: monitor.IntValue, Int: 0}, bulk("*"), {Kind: monitor.ArrayValue}}},
			"*3\r\n:0\r\n$1\r\n*\r\n*0\r\n", "*3\r\n:0\r\n$1\r\n*\r\n*0\r\n"},
		{monitor.Value{Kind: monitor.MapValue, Elem: []monitor.Value{bulk("k"), bulk("v")}},
			"*2\r\n$1\r\nk\r\n$1\r\nv\r\n", "%1\r\n$1\r\nk\r\n$1\r\nv\r\n"},
	} {
		for proto, want := range map[int]string{2: tc.resp2, 3: tc.resp3} {
			w := resp.Writer{Proto: proto}
			WriteValue(&w, tc.v)
			if got := string(w.Bytes()); got != want {
				t.Errorf("%v in RESP%d: %q, want %q", tc.v, proto, got, want)
			}
		}
	}
}
