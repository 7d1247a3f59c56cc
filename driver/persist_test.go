package driver

import (
	"context"
	"errors"
	"sync"
	"testing"
	"testing/synctest"

	"github.com/sentinel-go/sentinel/config"
	"github.com/sentinel-go/sentinel/internal/resp"
	"github.com/sentinel-go/sentinel/monitor"
)

// failStore fails every save once failing is set, and records the order of saves among
// the other things the driver does (see order).
type failStore struct {
	mu      sync.Mutex
	failing bool
	saved   []*config.Config
	order   *[]string
}

func (s *failStore) Save(c *config.Config) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.order != nil {
		*s.order = append(*s.order, "save")
	}
	if s.failing {
		return errors.New("disk full")
	}
	s.saved = append(s.saved, c)
	return nil
}

// A generated myid is saved by New before anything runs; a store that cannot keep it stops
// the sentinel from starting, as redis-sentinel exits when it cannot flush its config.
func TestNewSavesGeneratedMyID(t *testing.T) {
	cfg := config.Default()
	cfg.Masters = []*config.Master{config.NewMaster("mymaster", "127.0.0.1", 6379, 1)}
	st := &failStore{}
	d, err := New(Options{Config: cfg, Store: st, Transport: &fakeNet{dead: map[string]bool{}}})
	if err != nil {
		t.Fatal(err)
	}
	if len(st.saved) != 1 || st.saved[0].MyID != d.MyID() || len(d.MyID()) != 40 {
		t.Fatalf("saved %d configs, myid %q", len(st.saved), d.MyID())
	}

	cfg = config.Default()
	if _, err := New(Options{Config: cfg, Store: &failStore{failing: true}, Transport: &fakeNet{}}); !errors.Is(err, ErrSave) {
		t.Fatalf("New with a failing store: %v, want ErrSave", err)
	}
}

// A change the client is told OK about is saved first; when the save fails the client hears
// Redis's error instead (sentinelFlushConfigAndReply), and a reply that saves nothing is
// untouched. The save comes before the event of the same step.
func TestSaveFailureAnswersRedisError(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cfg := config.Default()
		cfg.MyID = myID
		cfg.Masters = []*config.Master{config.NewMaster("mymaster", "127.0.0.1", 6379, 1)}
		net := &fakeNet{dead: map[string]bool{"127.0.0.1:6379": true, "127.0.0.1:6380": true}}
		var mu sync.Mutex
		var order []string
		st := &failStore{order: &order}
		d, err := New(Options{
			Config: cfg, Store: st, Transport: net,
			Events: func(e monitor.Event) {
				mu.Lock()
				defer mu.Unlock()
				if e.Type == "+set" {
					order = append(order, e.Type)
				}
			},
		})
		if err != nil {
			t.Fatal(err)
		}
		net.d = d
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error)
		go func() { done <- d.Run(ctx) }()
		do := func(args ...string) string {
			var w resp.Writer
			d.Do(&w, args)
			return string(w.Bytes())
		}
		if got := do("set", "mymaster", "quorum", "2"); got != "+OK\r\n" {
			t.Fatalf("SET with a working store: %q", got)
		}
		mu.Lock()
		if len(order) != 2 || order[0] != "save" || order[1] != "+set" {
			t.Errorf("order %q, want the save before +set", order)
		}
		mu.Unlock()
		st.mu.Lock()
		st.failing = true
		st.mu.Unlock()
		if got := do("set", "mymaster", "quorum", "3"); got != "-ERR Failed to save config file. Check server logs.\r\n" {
			t.Errorf("SET with a failing store: %q", got)
		}
		if got := do("flushconfig"); got != "-ERR Failed to save config file. Check server logs.\r\n" {
			t.Errorf("FLUSHCONFIG with a failing store: %q", got)
		}
		if got := do("debug", "ping-period", "1000"); got != "+OK\r\n" {
			t.Errorf("DEBUG, which saves nothing: %q", got)
		}
		if got := do("set", "nosuch", "quorum", "3"); got != "-ERR No such master with that name\r\n" {
			t.Errorf("an error reply stays itself: %q", got)
		}
		cancel()
		if err := <-done; !errors.Is(err, ErrSave) {
			t.Errorf("Run's final save with a failing store: %v, want ErrSave", err)
		}
		net.wg.Wait()
	})
}
