package transport

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/sentinel-go/sentinel/e2e/redistest"
	"github.com/sentinel-go/sentinel/monitor"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// recorder collects observations and lets a test wait for one.
type recorder struct {
	mu  sync.Mutex
	obs []monitor.Observation
}

func (r *recorder) observe(o monitor.Observation) {
	r.mu.Lock()
	r.obs = append(r.obs, o)
	r.mu.Unlock()
}

// await returns the first observation (after index from) that matches, failing after 5 s.
func (r *recorder) await(t *testing.T, what string, match func(monitor.Observation) bool) monitor.Observation {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		r.mu.Lock()
		for i, o := range r.obs {
			if match(o) {
				r.obs = append(r.obs[:i:i], r.obs[i+1:]...)
				r.mu.Unlock()
				return o
			}
		}
		r.mu.Unlock()
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatalf("timed out waiting for %s", what)
	return nil
}

func linkUp(kind monitor.LinkKind) func(monitor.Observation) bool {
	return func(o monitor.Observation) bool { u, ok := o.(monitor.LinkUp); return ok && u.Kind == kind }
}

func TestLinkLifecycle(t *testing.T) {
	srv := redistest.RunT(t)
	rec := &recorder{}
	tr := New(Options{Observe: rec.observe, ReconnectPeriod: 50 * time.Millisecond})
	defer tr.Shutdown()
	addr := srv.Addr()
	tr.Open(monitor.LinkSpec{Addr: addr, ClientName: "sentinel-12345678", Rename: map[string]string{"info": "INFO"}})

	up := rec.await(t, "command link up", linkUp(monitor.CmdLink)).(monitor.LinkUp)
	if up.LocalIP != "127.0.0.1" {
		t.Errorf("local IP %q", up.LocalIP)
	}
	rec.await(t, "pubsub link up", linkUp(monitor.PubSubLink))

	tr.Send(monitor.Send{Addr: addr, Gen: up.Gen, Tag: monitor.Tag{Kind: monitor.TagPing}, Args: []string{"PING"}})
	tr.Send(monitor.Send{Addr: addr, Gen: up.Gen, Tag: monitor.Tag{Kind: monitor.TagIgnore}, Args: []string{"NOSUCHCMD"}})
	tr.Send(monitor.Send{Addr: addr, Gen: up.Gen + 7, Tag: monitor.Tag{Kind: monitor.TagInfo}, Args: []string{"INFO"}})
	ping := rec.await(t, "PONG", func(o monitor.Observation) bool {
		r, ok := o.(monitor.Reply)
		return ok && r.Tag.Kind == monitor.TagPing
	}).(monitor.Reply)
	if ping.Value != "PONG" || ping.Gen != up.Gen {
		t.Errorf("ping reply %+v", ping)
	}
	bad := rec.await(t, "error reply", func(o monitor.Observation) bool {
		r, ok := o.(monitor.Reply)
		return ok && r.Tag.Kind == monitor.TagIgnore
	}).(monitor.Reply)
	if bad.Err == "" {
		t.Errorf("an unknown command must come back as an error reply: %+v", bad)
	}

	// Our own PUBLISH comes back on the Pub/Sub connection, as hellos do.
	tr.Send(monitor.Send{Addr: addr, Gen: up.Gen, Tag: monitor.Tag{Kind: monitor.TagPublish}, Args: []string{"PUBLISH", "__sentinel__:hello", "x"}})
	rec.await(t, "hello message", func(o monitor.Observation) bool {
		m, ok := o.(monitor.Message)
		return ok && m.Channel == "__sentinel__:hello" && m.Payload == "x"
	})

	// A reconnect ends the connection (LinkDown, same generation) and makes a new one.
	tr.Reconnect(addr, monitor.CmdLink)
	if d := rec.await(t, "link down", func(o monitor.Observation) bool {
		d, ok := o.(monitor.LinkDown)
		return ok && d.Gen == up.Gen && d.Kind == monitor.CmdLink
	}).(monitor.LinkDown); d.PeerClosed {
		t.Errorf("our own reconnect reported as the server's close: %+v", d)
	}
	up2 := rec.await(t, "link up again", linkUp(monitor.CmdLink)).(monitor.LinkUp)
	if up2.Gen <= up.Gen {
		t.Errorf("generation %d after %d", up2.Gen, up.Gen)
	}

	// The server dies: the Pub/Sub connection, always reading, notices at once; the idle
	// command connection at its next command (the core PINGs every second).
	srv.Kill()
	tr.Send(monitor.Send{Addr: addr, Gen: up2.Gen, Tag: monitor.Tag{Kind: monitor.TagPing}, Args: []string{"PING"}})
	// A process that exits closes its connections: what forget-after's peak reads as gone.
	for _, k := range []monitor.LinkKind{monitor.CmdLink, monitor.PubSubLink} {
		if d := rec.await(t, fmt.Sprintf("link %v down on kill", k), func(o monitor.Observation) bool {
			d, ok := o.(monitor.LinkDown)
			return ok && d.Kind == k
		}).(monitor.LinkDown); !d.PeerClosed {
			t.Errorf("the server's death not reported as closed by the peer: %+v", d)
		}
	}
	rec.mu.Lock()
	for _, o := range rec.obs {
		if r, ok := o.(monitor.Reply); ok && r.Tag.Kind == monitor.TagInfo {
			t.Errorf("a send for another generation was answered: %+v", r)
		}
	}
	rec.mu.Unlock()
}

func TestClientNameAndAuth(t *testing.T) {
	srv := redistest.RunT(t, redistest.Options{Config: map[string]string{"requirepass": "s3cret"}})
	rec := &recorder{}
	tr := New(Options{Observe: rec.observe, ReconnectPeriod: 50 * time.Millisecond})
	defer tr.Shutdown()
	tr.Open(monitor.LinkSpec{Addr: srv.Addr(), Sentinel: true, ClientName: "sentinel-abcdefgh", AuthPass: "s3cret"})
	up := rec.await(t, "link up", linkUp(monitor.CmdLink)).(monitor.LinkUp)
	tr.Send(monitor.Send{Addr: srv.Addr(), Gen: up.Gen, Args: []string{"CLIENT", "GETNAME"}})
	r := rec.await(t, "reply", func(o monitor.Observation) bool { _, ok := o.(monitor.Reply); return ok }).(monitor.Reply)
	if r.Value != "sentinel-abcdefgh-cmd" {
		t.Errorf("client name %v (err %q)", r.Value, r.Err)
	}
}

// TestReopenedLinkHasNewGenerations: the core closes a link and opens one to the same
// address in one step (switchMaster, when a replica becomes the master). The old loop's
// LinkDown comes after the new loop's LinkUp; with generations counted per link both were
// 1, and the core marked the new, healthy connection down for good: the new master was
// then judged subjectively down after down-after and failed over again.
func TestReopenedLinkHasNewGenerations(t *testing.T) {
	srv := redistest.RunT(t)
	rec := &recorder{}
	tr := New(Options{Observe: rec.observe, ReconnectPeriod: 50 * time.Millisecond})
	defer tr.Shutdown()
	addr := srv.Addr()
	spec := monitor.LinkSpec{Addr: addr, ClientName: "sentinel-12345678"}
	tr.Open(spec)
	first := rec.await(t, "command link up", linkUp(monitor.CmdLink)).(monitor.LinkUp)
	rec.await(t, "pubsub link up", linkUp(monitor.PubSubLink))
	tr.Close(addr)
	tr.Open(spec)
	second := rec.await(t, "command link up again", linkUp(monitor.CmdLink)).(monitor.LinkUp)
	down := rec.await(t, "the old command link down", func(o monitor.Observation) bool {
		d, ok := o.(monitor.LinkDown)
		return ok && d.Kind == monitor.CmdLink
	}).(monitor.LinkDown)
	if down.Gen != first.Gen || down.Gen == second.Gen {
		t.Fatalf("old connection %d went down as generation %d; the new one is %d", first.Gen, down.Gen, second.Gen)
	}
}
