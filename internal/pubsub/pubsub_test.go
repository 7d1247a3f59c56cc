package pubsub

import (
	"testing"

	"github.com/sentinel-go/sentinel/internal/resp"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// The wanted bytes are what redis-server 7.0.15 sends for the same frames.
func TestFrames(t *testing.T) {
	tests := []struct {
		name       string
		write      func(w *resp.Writer)
		resp2, rs3 string
	}{
		{"message", func(w *resp.Writer) { Message(w, "ch", "hi") },
			"*3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$2\r\nhi\r\n",
			">3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$2\r\nhi\r\n"},
		{"pmessage", func(w *resp.Writer) { PMessage(w, "c*", "ch", "") },
			"*4\r\n$8\r\npmessage\r\n$2\r\nc*\r\n$2\r\nch\r\n$0\r\n\r\n",
			">4\r\n$8\r\npmessage\r\n$2\r\nc*\r\n$2\r\nch\r\n$0\r\n\r\n"},
		{"confirm", func(w *resp.Writer) { Confirm(w, "subscribe", "ch", 2) },
			"*3\r\n$9\r\nsubscribe\r\n$2\r\nch\r\n:2\r\n",
			">3\r\n$9\r\nsubscribe\r\n$2\r\nch\r\n:2\r\n"},
		{"confirm none", func(w *resp.Writer) { ConfirmNone(w, "punsubscribe", 0) },
			"*3\r\n$12\r\npunsubscribe\r\n$-1\r\n:0\r\n",
			">3\r\n$12\r\npunsubscribe\r\n_\r\n:0\r\n"},
		{"ping", func(w *resp.Writer) { Pong(w, false, nil) }, "+PONG\r\n", "+PONG\r\n"},
		{"ping msg", func(w *resp.Writer) { Pong(w, false, [][]byte{[]byte("x")}) }, "$1\r\nx\r\n", "$1\r\nx\r\n"},
		{"ping subscribed", func(w *resp.Writer) { Pong(w, true, nil) },
			"*2\r\n$4\r\npong\r\n$0\r\n\r\n", "+PONG\r\n"},
		{"ping subscribed msg", func(w *resp.Writer) { Pong(w, true, [][]byte{[]byte("x")}) },
			"*2\r\n$4\r\npong\r\n$1\r\nx\r\n", "$1\r\nx\r\n"},
	}
	for _, tt := range tests {
		for proto, want := range map[int]string{2: tt.resp2, 3: tt.rs3} {
			w := resp.Writer{Proto: proto}
			tt.write(&w)
			if got := string(w.Bytes()); got != want {
				t.Errorf("%s, RESP%d: got %q, want %q", tt.name, proto, got, want)
			}
		}
	}
}
