package driver

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/sentinel-go/sentinel/config"
	"github.com/sentinel-go/sentinel/internal/resp"
	"github.com/sentinel-go/sentinel/monitor"
)

const myID = "1111111111111111111111111111111111111111"

// memStore keeps saved configs in memory.
type memStore struct {
	mu    sync.Mutex
	saved []*config.Config
	fail  bool // every save fails from now on
}

func (s *memStore) Save(c *config.Config) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.fail {
		return errors.New("disk full")
	}
	s.saved = append(s.saved, c)
	return nil
}

func (s *memStore) failing() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.fail = true
}

// fakeNet is an in-memory transport: every address answers like a healthy master with
// one replica, unless it is marked dead.
type fakeNet struct {
	mu   sync.Mutex
	d    *Driver
	dead map[string]bool
	wg   sync.WaitGroup
}

func (f *fakeNet) deliver(o monitor.Observation) {
	f.wg.Add(1)
	go func() {
		defer f.wg.Done()
		f.d.Observe(o)
	}()
}

func (f *fakeNet) Open(spec monitor.LinkSpec) {
	f.mu.Lock()
	dead := f.dead[spec.Addr]
	f.mu.Unlock()
	if dead {
		return
	}
	f.deliver(monitor.LinkUp{Addr: spec.Addr, Kind: monitor.CmdLink, Gen: 1, LocalIP: "127.0.0.1"})
	if !spec.Sentinel {
		f.deliver(monitor.LinkUp{Addr: spec.Addr, Kind: monitor.PubSubLink, Gen: 1})
	}
}

func (f *fakeNet) Close(string)                       {}
func (f *fakeNet) Reconnect(string, monitor.LinkKind) {}

func (f *fakeNet) Send(s monitor.Send) {
	f.mu.Lock()
	dead := f.dead[s.Addr]
	f.mu.Unlock()
	if dead {
		return // a stopped process: the command is never answered
	}
	r := monitor.Reply{Addr: s.Addr, Gen: s.Gen, Tag: s.Tag}
	switch s.Tag.Kind {
	case monitor.TagPing:
		r.Value = "PONG"
	case monitor.TagInfo:
		r.Value = "# Replication\r\nrole:master\r\nslave0:ip=127.0.0.1,port=6380,state=online,offset=1,lag=0\r\n"
	default:
		r.Value = int64(1)
	}
	f.deliver(r)
}

func (f *fakeNet) kill(addr string) {
	f.mu.Lock()
	f.dead[addr] = true
	f.mu.Unlock()
}

// runDriver runs d on net until the returned function stops it, waits for it and for the
// observations net still delivers, and fails t if the run failed.
func runDriver(t *testing.T, net *fakeNet, d *Driver) (stop func()) {
	net.d = d
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- d.Run(ctx) }()
	return func() {
		t.Helper()
		cancel()
		if err := <-done; err != nil {
			t.Fatal(err)
		}
		net.wg.Wait()
	}
}

// TestDriverDetectsDownInVirtualTime runs the whole driver loop on a fake network under
// synctest: discovery, then +sdown within down-after plus a ping period of the master
// going silent, all in virtual time.
func TestDriverDetectsDownInVirtualTime(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cfg := config.Default()
		cfg.MyID = myID
		m := config.NewMaster("mymaster", "127.0.0.1", 6379, 1)
		m.DownAfter = 2 * time.Second
		cfg.Masters = []*config.Master{m}
		net := &fakeNet{dead: map[string]bool{"127.0.0.1:6380": true}}
		var mu sync.Mutex
		var events []string
		eventAt := map[string]time.Time{}
		d, err := New(Options{
			Config: cfg, Store: &memStore{}, Transport: net,
			Events: func(e monitor.Event) {
				mu.Lock()
				defer mu.Unlock()
				events = append(events, e.String())
				eventAt[e.String()] = time.Now()
			},
		})
		if err != nil {
			t.Fatal(err)
		}
		stop := runDriver(t, net, d)

		time.Sleep(3 * time.Second) // virtual: the INFO of the first tick discovered the replica
		synctest.Wait()
		var w resp.Writer
		d.Endpoint().Command(&w, [][]byte{[]byte("replicas"), []byte("mymaster")})
		if !strings.Contains(string(w.Bytes()), "127.0.0.1:6380") {
			t.Fatalf("replica not listed: %q", w.Bytes())
		}
		killed := time.Now()
		net.kill("127.0.0.1:6379")
		time.Sleep(5 * time.Second)
		synctest.Wait()
		mu.Lock()
		at, ok := eventAt["+sdown master mymaster 127.0.0.1 6379"]
		mu.Unlock()
		if !ok {
			t.Fatalf("no +sdown; events %q", events)
		}
		// Down-after counts from the first unanswered PING, sent at most a ping period
		// after the last reply.
		if lag := at.Sub(killed); lag < 2*time.Second || lag > 3200*time.Millisecond {
			t.Fatalf("+sdown %v after the master went silent, want within [2s, 3.2s]", lag)
		}
		stop()
	})
}

// TestDriverViewBeforeEvents: when an event is published, queries already answer from the
// state it reports, so a client that follows the event reads what it announced. +slave
// comes from an INFO reply, between ticks.
func TestDriverViewBeforeEvents(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cfg := config.Default()
		cfg.MyID = myID
		cfg.Masters = []*config.Master{config.NewMaster("mymaster", "127.0.0.1", 6379, 1)}
		net := &fakeNet{dead: map[string]bool{"127.0.0.1:6380": true}}
		var mu sync.Mutex
		var d *Driver
		var seen []string // what the view said at each +slave
		d, err := New(Options{
			Config: cfg, Store: &memStore{}, Transport: net,
			Events: func(e monitor.Event) {
				if e.Type != "+slave" {
					return
				}
				var names []string
				if mv := d.View().Master("mymaster"); mv != nil {
					for _, r := range mv.Replicas {
						names = append(names, r.Name)
					}
				}
				mu.Lock()
				seen = append(seen, strings.Join(names, ","))
				mu.Unlock()
			},
		})
		if err != nil {
			t.Fatal(err)
		}
		stop := runDriver(t, net, d)
		time.Sleep(3 * time.Second) // virtual: the first tick's INFO discovered the replica
		synctest.Wait()
		stop()
		mu.Lock()
		defer mu.Unlock()
		if len(seen) != 1 || seen[0] != "127.0.0.1:6380" {
			t.Fatalf("at each +slave the view listed replicas %q, want one +slave with 127.0.0.1:6380 listed", seen)
		}
	})
}

// command runs SENTINEL args... through d's endpoint in RESP2 and returns the reply.
func command(d *Driver, args ...string) string {
	var w resp.Writer
	b := make([][]byte, len(args))
	for i, a := range args {
		b[i] = []byte(a)
	}
	if wait := d.Endpoint().Command(&w, b); wait != nil {
		wait(&w)
	}
	return string(w.Bytes())
}

// TestDriverAnswersThroughTheLoop: a change is answered once the loop ran it and saved,
// and the view already shows it; when the save fails, the answer is Redis's error (the
// change stays in memory, as in redis-sentinel); answers that report no saved change are
// unaffected by the failing store.
func TestDriverAnswersThroughTheLoop(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cfg := config.Default()
		cfg.MyID = myID
		cfg.Masters = []*config.Master{config.NewMaster("mymaster", "127.0.0.1", 6379, 1)}
		net := &fakeNet{dead: map[string]bool{}}
		store := &memStore{}
		d, err := New(Options{Config: cfg, Store: store, Transport: net})
		if err != nil {
			t.Fatal(err)
		}
		stop := runDriver(t, net, d)
		if got := command(d, "monitor", "m2", "127.0.0.1", "6390", "2"); got != "+OK\r\n" {
			t.Fatalf("MONITOR: %q", got)
		}
		if d.View().Master("m2") == nil {
			t.Fatal("told OK, the view does not list m2 yet")
		}
		store.failing()
		if got := command(d, "set", "m2", "quorum", "1"); got != "-ERR Failed to save config file. Check server logs.\r\n" {
			t.Errorf("SET with the save failing: %q", got)
		}
		if q := d.View().Master("m2").Config.Quorum; q != 1 {
			t.Errorf("quorum %d after the SET, want 1 (in memory)", q)
		}
		if got := command(d, "reset", "nosuch"); got != ":0\r\n" {
			t.Errorf("RESET with the save failing: %q", got)
		}
		if got := command(d, "get-master-addr-by-name", "m2"); got != "*2\r\n$9\r\n127.0.0.1\r\n$4\r\n6390\r\n" {
			t.Errorf("GET-MASTER-ADDR-BY-NAME: %q", got)
		}
		store.mu.Lock()
		store.fail = false // the last save at shutdown succeeds: Run returns no error
		store.mu.Unlock()
		stop()
		if got := command(d, "flushconfig"); got != "-ERR sentinel is shutting down\r\n" {
			t.Errorf("after Run returned: %q", got)
		}
	})
}

// gatedStore is a memStore whose saves wait for a gate while it is closed.
type gatedStore struct {
	memStore
	gate chan struct{} // a save waits for a receive... until closed
	held chan struct{} // a save is waiting at the gate
}

func (s *gatedStore) Save(c *config.Config) error {
	select {
	case s.held <- struct{}{}:
	default:
	}
	<-s.gate
	return s.memStore.Save(c)
}

// TestDriverPipelinedRequestsShareASave: requests submitted while the loop is busy saving
// are taken in its next step together and answered after one save, in order. A peer
// failing many masters over pipelines a vote request per master; a save per request would
// make the last votes wait for all the others' fsyncs.
func TestDriverPipelinedRequestsShareASave(t *testing.T) {
	cfg := config.Default()
	cfg.MyID = myID
	cfg.Masters = []*config.Master{config.NewMaster("mymaster", "127.0.0.1", 6379, 1)}
	net := &fakeNet{dead: map[string]bool{"127.0.0.1:6379": true}} // no discovery, no saves of its own
	store := &gatedStore{gate: make(chan struct{}), held: make(chan struct{}, 1)}
	close(store.gate)
	d, err := New(Options{Config: cfg, Store: store, Transport: net})
	if err != nil {
		t.Fatal(err)
	}
	store.gate = make(chan struct{})
	stop := runDriver(t, net, d)
	defer stop()
	defer close(store.gate)

	first := d.Submit([]string{"set", "mymaster", "quorum", "2"})
	select {
	case <-store.held: // the loop is in the first request's save
	case <-time.After(10 * time.Second):
		t.Fatal("the first SET was never saved")
	}
	const n = 20
	var waits []func(*resp.Writer)
	for i := range n {
		waits = append(waits, d.Submit([]string{"set", "mymaster", "down-after-milliseconds", strconv.Itoa(1000 + i)}))
	}
	store.mu.Lock()
	before := len(store.saved)
	store.mu.Unlock()
	store.gate <- struct{}{} // the first save completes
	var w resp.Writer
	first(&w)
	store.gate <- struct{}{} // and the next step's one save
	for _, wait := range waits {
		wait(&w)
	}
	if want := strings.Repeat("+OK\r\n", n+1); string(w.Bytes()) != want {
		t.Fatalf("replies %q, want %d OKs", w.Bytes(), n+1)
	}
	store.mu.Lock()
	saves, last := len(store.saved)-before, store.saved[len(store.saved)-1]
	store.mu.Unlock()
	if saves != 2 {
		t.Errorf("%d saves for 1 + %d requests, want 2", saves, n)
	}
	if got := last.Masters[0].DownAfter; got != (1000+n-1)*time.Millisecond {
		t.Errorf("saved down-after %v, want the last SET's", got)
	}
}

// TestDriverLastTickFollowsTheLoop: the liveness signal moves with every tick of a running
// loop, however quiet, and stops when the loop does.
func TestDriverLastTickFollowsTheLoop(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cfg := config.Default()
		cfg.MyID = myID
		cfg.Masters = []*config.Master{config.NewMaster("mymaster", "127.0.0.1", 6379, 1)}
		net := &fakeNet{dead: map[string]bool{}}
		d, err := New(Options{Config: cfg, Store: &memStore{}, Transport: net})
		if err != nil {
			t.Fatal(err)
		}
		if !d.LastTick().Equal(time.Now()) {
			t.Fatalf("LastTick after New = %v, want now %v", d.LastTick(), time.Now())
		}
		stop := runDriver(t, net, d)
		for range 5 {
			time.Sleep(time.Second)
			synctest.Wait()
			// Ticks come 10 to 19 times a second: the last one is at most 100 ms old.
			if age := time.Since(d.LastTick()); age > 100*time.Millisecond {
				t.Fatalf("last tick %v ago while the loop runs", age)
			}
		}
		stop()
		last := d.LastTick()
		time.Sleep(time.Second)
		if !d.LastTick().Equal(last) {
			t.Fatal("LastTick moved after the loop stopped")
		}
	})
}
