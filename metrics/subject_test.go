package metrics

import (
	"strings"
	"testing"

	"github.com/sentinel-go/sentinel/monitor"
)

func TestParseSubject(t *testing.T) {
	for _, tc := range []struct {
		e    monitor.Event
		want subject
	}{
		{monitor.Event{Type: "+sdown", Message: "master mymaster 127.0.0.1 6379", Master: "mymaster"},
			subject{Role: "master", Master: "mymaster"}},
		{monitor.Event{Type: "+sdown", Message: "master mymaster 127.0.0.1 6379"},
			subject{Role: "master", Master: "mymaster"}},
		{monitor.Event{Type: "+sdown", Message: "slave 127.0.0.1:6380 127.0.0.1 6380 @ mymaster 127.0.0.1 6379"},
			subject{Role: "slave", Master: "mymaster"}},
		{monitor.Event{Type: "+sdown", Message: "sentinel 2222 127.0.0.1 26380 @ other 127.0.0.1 6379", Master: "other"},
			subject{Role: "sentinel", Master: "other"}},
		{monitor.Event{Type: "+odown", Message: "master mymaster 127.0.0.1 6379 #quorum 2/2"},
			subject{Role: "master", Master: "mymaster"}},
		{monitor.Event{Type: "+switch-master", Message: "mymaster 127.0.0.1 6379 127.0.0.1 6380"},
			subject{Master: "mymaster"}},
		{monitor.Event{Type: "+vote-for-leader", Message: "2222222222222222222222222222222222222222 7", Master: "mymaster"},
			subject{Master: "mymaster", Epoch: 7}},
		{monitor.Event{Type: "+vote-for-leader", Message: "x notanumber", Master: "m"}, subject{Master: "m"}},
		{monitor.Event{Type: "+tilt", Message: "#tilt mode entered"}, subject{}},
		{monitor.Event{Type: "-script-error", Message: "/bin/notify.sh 0 2"}, subject{}},
		{monitor.Event{Type: "+sdown", Message: "slave a b c"}, subject{}},           // too short
		{monitor.Event{Type: "+sdown", Message: "slave a b c d e f g h"}, subject{}}, // no "@"
	} {
		if got := parseSubject(tc.e); got != tc.want {
			t.Errorf("parseSubject(%q %q) = %+v, want %+v", tc.e.Type, tc.e.Message, got, tc.want)
		}
	}
}

// FuzzParseSubject: any message parses without panicking, and a well-formed "%@" prefix
// always yields the master it names.
func FuzzParseSubject(f *testing.F) {
	for _, s := range []struct{ typ, msg string }{
		{"+sdown", "master mymaster 127.0.0.1 6379"},
		{"+sdown", "slave 127.0.0.1:6380 127.0.0.1 6380 @ mymaster 127.0.0.1 6379"},
		{"+sentinel", "sentinel 2222 ::1 26380 @ m ::1 6379"},
		{"+switch-master", "mymaster 127.0.0.1 6379 127.0.0.1 6380"},
		{"+vote-for-leader", "2222222222222222222222222222222222222222 18446744073709551615"},
		{"+tilt", "#tilt mode entered"},
		{"+odown", "master m 1 2 #quorum 1/1"},
		{"", ""},
		{"+sdown", "  @ @ @ @ @ @ @ @"},
	} {
		f.Add(s.typ, s.msg)
	}
	f.Fuzz(func(t *testing.T, typ, msg string) {
		s := parseSubject(monitor.Event{Type: typ, Message: msg})
		if s.Role != "" && s.Master == "" {
			t.Fatalf("%q: role %q without a master", msg, s.Role)
		}
		if s.Master != "" && !strings.Contains(msg, s.Master) {
			t.Fatalf("%q: master %q is not in the message", msg, s.Master)
		}
		name := strings.Fields(msg + " x")[0]
		prefixed := "master " + name + " 127.0.0.1 6379"
		if typ != "+switch-master" && typ != "+vote-for-leader" && name != "" {
			if got := parseSubject(monitor.Event{Type: typ, Message: prefixed}); got.Master != name || got.Role != "master" {
				t.Fatalf("%q: got %+v, want master %q", prefixed, got, name)
			}
		}
	})
}
