package transport

import (
	"bytes"
	"runtime"
	"testing"
	"time"

	"github.com/sentinel-go/sentinel/e2e/redistest"
	"github.com/sentinel-go/sentinel/monitor"
)

// TestGoroutinesPerLink: an idle link costs one goroutine per connection (its reader) and
// none per command. The servers run in this process, so the transport's goroutines are
// counted from the stacks.
func TestGoroutinesPerLink(t *testing.T) {
	const n = 100
	srvs := make([]*redistest.Server, n)
	for i := range srvs {
		srvs[i] = redistest.RunT(t)
	}
	rec := &recorder{}
	tr := New(Options{Observe: rec.observe})
	defer tr.Shutdown()
	for _, s := range srvs {
		tr.Open(monitor.LinkSpec{Addr: s.Addr(), ClientName: "sentinel-12345678"})
	}
	ups := map[monitor.LinkKind][]monitor.LinkUp{}
	for range 2 * n {
		u := rec.await(t, "link up", func(o monitor.Observation) bool { _, ok := o.(monitor.LinkUp); return ok }).(monitor.LinkUp)
		ups[u.Kind] = append(ups[u.Kind], u)
	}
	for _, u := range ups[monitor.CmdLink] {
		tr.Send(monitor.Send{Addr: u.Addr, Gen: u.Gen, Tag: monitor.Tag{Kind: monitor.TagInfo}, Args: []string{"INFO"}})
	}
	for range n {
		rec.await(t, "INFO", func(o monitor.Observation) bool {
			r, ok := o.(monitor.Reply)
			return ok && r.Tag.Kind == monitor.TagInfo
		})
	}
	for range n { // the subscribe confirmations: every handshake has been answered
		rec.await(t, "subscribed", func(o monitor.Observation) bool { _, ok := o.(monitor.PubSubActivity); return ok })
	}
	// A writer that has just written the handshake may still be on its way out.
	g := transportGoroutines()
	for deadline := time.Now().Add(5 * time.Second); g != 2*n && time.Now().Before(deadline); g = transportGoroutines() {
		time.Sleep(10 * time.Millisecond)
	}
	t.Logf("%d links of 2 connections each, after an INFO: %d goroutines of the transport", n, g)
	if g != 2*n {
		t.Errorf("%d goroutines for %d links of two connections", g, n)
	}
}

// transportGoroutines counts the goroutines running this package's code.
func transportGoroutines() int {
	buf := make([]byte, 16<<20)
	buf = buf[:runtime.Stack(buf, true)]
	n := 0
	for _, g := range bytes.Split(buf, []byte("\n\n")) {
		if bytes.Contains(g, []byte("sentinel/transport.(*connLoop)")) {
			n++
		}
	}
	return n
}
