package transport

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/sentinel-go/sentinel/e2e/redistest"
	"github.com/sentinel-go/sentinel/monitor"
)

func cmdDown(gen uint64) func(monitor.Observation) bool {
	return func(o monitor.Observation) bool {
		d, ok := o.(monitor.LinkDown)
		return ok && d.Kind == monitor.CmdLink && d.Gen == gen
	}
}

// TestReopenedLinkNumbersAfterTheClosedOne: SENTINEL SET auth-pass closes a link and opens one
// at the same address at once. The closed link's goroutine reports its LinkDown whenever it
// gets to it, possibly after the new link's LinkUp; the core tells them apart only by
// generation, so the new link's must be new. With a counter per link both were 1, and the
// core took the old connection's end for the new one's (issue #10, Build 5).
func TestReopenedLinkNumbersAfterTheClosedOne(t *testing.T) {
	srv := redistest.RunT(t, redistest.Options{Config: map[string]string{"requirepass": "new"}})
	rec := &recorder{}
	tr := New(Options{Observe: rec.observe, ReconnectPeriod: 50 * time.Millisecond})
	defer tr.Shutdown()
	addr := srv.Addr()
	tr.Open(monitor.LinkSpec{Addr: addr, ClientName: "sentinel-abcdefgh", AuthPass: "old"})
	old := rec.await(t, "old link up", linkUp(monitor.CmdLink)).(monitor.LinkUp)
	tr.Close(addr)
	rec.await(t, "old link down", cmdDown(old.Gen))
	tr.Open(monitor.LinkSpec{Addr: addr, ClientName: "sentinel-abcdefgh", AuthPass: "new"})
	up := rec.await(t, "new link up", linkUp(monitor.CmdLink)).(monitor.LinkUp)
	if up.Gen <= old.Gen {
		t.Fatalf("the new link's connection is generation %d, the closed link's was %d", up.Gen, old.Gen)
	}
	tr.Send(monitor.Send{Addr: addr, Gen: up.Gen, Tag: monitor.Tag{Kind: monitor.TagPing}, Args: []string{"PING"}})
	r := rec.await(t, "PONG", func(o monitor.Observation) bool { _, ok := o.(monitor.Reply); return ok }).(monitor.Reply)
	if r.Value != "PONG" || r.Gen != up.Gen {
		t.Fatalf("PING on the new link: %+v", r)
	}
}

// TestFailedHandshakeIsRetried: a command connection whose AUTH failed is useless (go-redis
// answers every command on it with the handshake's error and never dials again), so it ends
// and is dialled again, as the Pub/Sub connection is; once the server takes the password,
// the next connection answers.
func TestFailedHandshakeIsRetried(t *testing.T) {
	srv := redistest.RunT(t, redistest.Options{Config: map[string]string{"requirepass": "new"}})
	rec := &recorder{}
	tr := New(Options{Observe: rec.observe, ReconnectPeriod: 50 * time.Millisecond})
	defer tr.Shutdown()
	addr := srv.Addr()
	tr.Open(monitor.LinkSpec{Addr: addr, ClientName: "sentinel-abcdefgh", AuthPass: "old"})
	up := rec.await(t, "link up", linkUp(monitor.CmdLink)).(monitor.LinkUp)
	tr.Send(monitor.Send{Addr: addr, Gen: up.Gen, Tag: monitor.Tag{Kind: monitor.TagPing}, Args: []string{"PING"}})
	down := rec.await(t, "the connection ends on the failed AUTH", cmdDown(up.Gen)).(monitor.LinkDown)
	if !strings.Contains(down.Err, "WRONGPASS") {
		t.Errorf("LinkDown error %q, want the handshake's WRONGPASS", down.Err)
	}

	admin := redis.NewClient(&redis.Options{Addr: addr, Password: "new"})
	defer admin.Close()
	if err := admin.ConfigSet(context.Background(), "requirepass", "old").Err(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		up := rec.await(t, "link up again", linkUp(monitor.CmdLink)).(monitor.LinkUp)
		tr.Send(monitor.Send{Addr: addr, Gen: up.Gen, Tag: monitor.Tag{Kind: monitor.TagPing}, Args: []string{"PING"}})
		got := rec.await(t, "the PING's fate", func(o monitor.Observation) bool {
			switch o := o.(type) {
			case monitor.Reply:
				return o.Gen == up.Gen
			case monitor.LinkDown:
				return o.Kind == monitor.CmdLink && o.Gen == up.Gen
			}
			return false
		})
		if r, ok := got.(monitor.Reply); ok {
			if r.Value != "PONG" {
				t.Fatalf("PING after the password was fixed: %+v", r)
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("no connection authenticated after the server took the password")
		}
	}
}
