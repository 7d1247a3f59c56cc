package monitor

import (
	"time"

	"github.com/sentinel-go/sentinel/internal/resp"
)

// The core's answers are rendered by package query, which imports monitor, so the core's
// own tests reach it through these two, which render_ext_test.go (package monitor_test)
// sets before any test runs: the bytes asserted here are the ones a client gets.
var (
	WriteValue  func(w *resp.Writer, v Value)
	AnswerQuery func(v *View, now time.Time, w *resp.Writer, args [][]byte)
)

// query answers SENTINEL args... from the core's view at h.now, as the endpoint would.
func query(h *harness, args ...string) string {
	var w resp.Writer
	AnswerQuery(h.c.View(), h.now, &w, bytesArgs(args))
	return string(w.Bytes())
}

// configGet is SENTINEL CONFIG GET pattern from v, in w's protocol.
func configGet(v *View, w *resp.Writer, pattern string) {
	AnswerQuery(v, v.Taken, w, bytesArgs([]string{"config", "get", pattern}))
}

func bytesArgs(args []string) [][]byte {
	b := make([][]byte, len(args))
	for i, a := range args {
		b[i] = []byte(a)
	}
	return b
}

// answer1 renders the one response of rd in RESP2, as the driver hands it to the client.
func (h *harness) answer1(rd Ready) string {
	h.t.Helper()
	if len(rd.Responses) != 1 {
		h.t.Fatalf("%d responses, want 1: %v", len(rd.Responses), rd.Responses)
	}
	var w resp.Writer
	WriteValue(&w, rd.Responses[0].Reply(h.saveErr))
	return string(w.Bytes())
}
