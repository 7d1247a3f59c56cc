package health

import (
	"encoding/json"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/sentinel-go/sentinel/config"
	"github.com/sentinel-go/sentinel/monitor"
)

const (
	myID   = "1111111111111111111111111111111111111111"
	peerID = "2222222222222222222222222222222222222222"
)

// core is a Core monitoring mymaster (quorum 2, down-after 1 s) with one peer sentinel,
// moved by hand. The master always answers PING; the peer while ping is set.
type core struct {
	t    *testing.T
	c    *monitor.Core
	now  time.Time
	ping bool
}

func newCore(t *testing.T, masters int) *core {
	t.Helper()
	cfg := config.Default()
	cfg.MyID = myID
	if masters > 0 {
		m := config.NewMaster("mymaster", "127.0.0.1", 6379, 2)
		m.DownAfter = time.Second
		cfg.Masters = []*config.Master{m}
	}
	k := &core{t: t, now: time.Unix(1_800_000_000, 0), ping: true}
	c, err := monitor.New(cfg, rand.New(rand.NewPCG(1, 2)), k.now)
	if err != nil {
		t.Fatal(err)
	}
	k.c = c
	if masters > 0 {
		c.Hello(k.now, "127.0.0.1,26380,"+peerID+",0,mymaster,127.0.0.1,6379,0")
	}
	k.step(0)
	return k
}

// step moves the clock by d, ticks, and answers what was sent to the peer if it is up.
func (k *core) step(d time.Duration) {
	k.now = k.now.Add(d)
	k.c.Tick(k.now)
	up := func(addr string) bool { return addr != "127.0.0.1:26380" || k.ping }
	// What the answers make the core send is answered in the same step, boundedly.
	for range 4 {
		rd := k.c.Ready()
		k.c.Advance()
		for _, lc := range rd.Links {
			if lc.Op == monitor.LinkOpen && up(lc.Spec.Addr) {
				k.c.Observe(k.now, monitor.LinkUp{Addr: lc.Spec.Addr, Kind: monitor.CmdLink, Gen: 1, LocalIP: "127.0.0.1"})
				if !lc.Spec.Sentinel {
					k.c.Observe(k.now, monitor.LinkUp{Addr: lc.Spec.Addr, Kind: monitor.PubSubLink, Gen: 1})
				}
			}
		}
		for _, s := range rd.Sends {
			if up(s.Addr) && s.Tag.Kind == monitor.TagPing {
				k.c.Observe(k.now, monitor.Reply{Addr: s.Addr, Gen: s.Gen, Tag: s.Tag, Value: "PONG"})
			}
		}
	}
}

func (k *core) checker(lastTick time.Time) *Checker {
	return New(Options{View: k.c.View, LastTick: func() time.Time { return lastTick }, Now: func() time.Time { return k.now }})
}

// get serves one request and decodes its JSON body into body.
func get(t *testing.T, h http.Handler, method string, body any) *httptest.ResponseRecorder {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(method, "/", nil))
	if body != nil {
		if err := json.Unmarshal(rec.Body.Bytes(), body); err != nil {
			t.Fatalf("%s: body %q: %v", method, rec.Body.String(), err)
		}
	}
	return rec
}

func TestHealthzFollowsTheLoop(t *testing.T) {
	k := newCore(t, 1)
	for _, tc := range []struct {
		age    time.Duration
		code   int
		status string
	}{
		{0, 200, "ok"},
		{DefaultStallAfter, 200, "ok"},
		{DefaultStallAfter + time.Millisecond, 503, "stalled"},
	} {
		var l Liveness
		rec := get(t, k.checker(k.now.Add(-tc.age)).Healthz(), http.MethodGet, &l)
		if rec.Code != tc.code || l.Status != tc.status || l.Loop.AgeMS != tc.age.Milliseconds() ||
			l.Loop.StallAfterMS != 5000 || !l.Loop.LastTick.Equal(k.now.Add(-tc.age)) {
			t.Errorf("tick %v old: %d %+v", tc.age, rec.Code, l)
		}
		if ct := rec.Header().Get("Content-Type"); ct != "application/json" {
			t.Errorf("Content-Type %q", ct)
		}
	}
}

func TestReadyzIsCKQuorum(t *testing.T) {
	k := newCore(t, 1)
	h := k.checker(k.now).Readyz()
	for range 5 {
		k.step(100 * time.Millisecond)
	}
	var r Readiness
	rec := get(t, h, http.MethodGet, &r)
	want := MasterReady{Name: "mymaster", Address: "127.0.0.1:6379", Status: "ok", Quorum: 2,
		KnownSentinels: 2, Voters: 2, UsableSentinels: 2, Ready: true,
		CKQuorum: "OK 2 usable Sentinels. Quorum and failover authorization can be reached"}
	if rec.Code != 200 || r.Status != "ready" || r.Tilt || len(r.Masters) != 1 || r.Masters[0] != want {
		t.Fatalf("peer up: %d %+v", rec.Code, r)
	}

	// The peer stops answering: down after down-after, and with it the quorum.
	k.ping = false
	for range 30 {
		k.step(100 * time.Millisecond)
	}
	rec = get(t, h, http.MethodGet, &r)
	want.UsableSentinels, want.Ready = 1, false
	want.CKQuorum = "NOQUORUM 1 usable Sentinels. Not enough available Sentinels to reach the specified quorum for this master. Not enough available Sentinels to reach the majority and authorize a failover"
	if rec.Code != 503 || r.Status != "not ready" || r.Masters[0] != want {
		t.Fatalf("peer down: %d %+v", rec.Code, r)
	}
}

func TestReadyzNotInTilt(t *testing.T) {
	k := newCore(t, 0)
	var r Readiness
	if rec := get(t, k.checker(k.now).Readyz(), http.MethodGet, &r); rec.Code != 200 || r.Status != "ready" || r.Masters == nil || len(r.Masters) != 0 {
		t.Fatalf("no masters: %d %+v", rec.Code, r)
	}
	k.step(3 * time.Second) // a clock jump past 2 s: TILT
	if rec := get(t, k.checker(k.now).Readyz(), http.MethodGet, &r); rec.Code != 503 || !r.Tilt || r.Status != "not ready" {
		t.Fatalf("in TILT: %d %+v", rec.Code, r)
	}
}

func TestOnlyGetAndHead(t *testing.T) {
	k := newCore(t, 0)
	h := k.checker(k.now).Healthz()
	if rec := get(t, h, http.MethodHead, nil); rec.Code != 200 || rec.Body.Len() != 0 {
		t.Errorf("HEAD: %d %q", rec.Code, rec.Body.String())
	}
	rec := get(t, h, http.MethodPost, nil)
	if rec.Code != 405 || rec.Header().Get("Allow") != "GET, HEAD" || !strings.Contains(rec.Body.String(), "method not allowed") {
		t.Errorf("POST: %d %v %q", rec.Code, rec.Header(), rec.Body.String())
	}
}
