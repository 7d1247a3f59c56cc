package query

import (
	"testing"

	"github.com/sentinel-go/sentinel/internal/resp"
)

// GET-MASTER-ADDR-BY-NAME is what clients ask most, many thousand times a second under
// load: from a view, its answer allocates nothing.
func TestGetMasterAddrAllocatesNothing(t *testing.T) {
	h := newHarness(t, 1)
	v := h.c.View()
	args := [][]byte{[]byte("GET-MASTER-ADDR-BY-NAME"), []byte("mymaster")}
	var w resp.Writer
	n := testing.AllocsPerRun(1000, func() {
		w.Reset()
		if sub, read, ok := Check(&w, args); ok && read {
			Answer(v, h.now, &w, sub, args)
		}
	})
	if want := "*2\r\n$9\r\n127.0.0.1\r\n$4\r\n6379\r\n"; string(w.Bytes()) != want {
		t.Fatalf("answer %q, want %q", w.Bytes(), want)
	}
	if n != 0 {
		t.Errorf("%v allocations per answer, want 0", n)
	}
}
