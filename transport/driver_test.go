package transport_test

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sentinel-go/sentinel/config"
	"github.com/sentinel-go/sentinel/driver"
	"github.com/sentinel-go/sentinel/e2e/redistest"
	"github.com/sentinel-go/sentinel/monitor"
	"github.com/sentinel-go/sentinel/transport"
)

type memStore struct{}

func (memStore) Save(*config.Config) error { return nil }

// events records a driver's events with their times.
type events struct {
	mu  sync.Mutex
	evs []string
	at  map[string]time.Time
}

func (e *events) add(ev monitor.Event) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.evs = append(e.evs, ev.String())
	if _, seen := e.at[ev.String()]; !seen {
		e.at[ev.String()] = time.Now()
	}
}

func (e *events) await(t *testing.T, within time.Duration, want string) time.Time {
	t.Helper()
	deadline := time.Now().Add(within)
	for time.Now().Before(deadline) {
		e.mu.Lock()
		at, ok := e.at[want]
		e.mu.Unlock()
		if ok {
			return at
		}
		time.Sleep(10 * time.Millisecond)
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	t.Fatalf("no %q within %v; events: %q", want, within, e.evs)
	return time.Time{}
}

// TestDriverOverRealLinks runs the monitoring core with the go-redis transport against
// redistest instances and makes their faults happen: a paused master goes down and comes
// back, a restarted replica is a +reboot, a killed one goes down.
func TestDriverOverRealLinks(t *testing.T) {
	master := redistest.RunT(t)
	replica := redistest.RunT(t, redistest.Options{ReplicaOf: master.Addr()})
	cfg := config.Default()
	// Quorum 2 with no peer: the master can go subjectively down but never objectively, so
	// no failover moves it while this test watches it come and go.
	mc := config.NewMaster("mymaster", "127.0.0.1", master.Port(), 2)
	mc.DownAfter = time.Second
	cfg.Masters = []*config.Master{mc}

	rec := &events{at: map[string]time.Time{}}
	var d *driver.Driver
	tr := transport.New(transport.Options{Observe: func(o monitor.Observation) { d.Observe(o) }})
	d, err := driver.New(driver.Options{Config: cfg, Store: memStore{}, Transport: tr, Events: rec.add})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- d.Run(ctx) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
		tr.Shutdown()
	}()

	slave := "slave 127.0.0.1:" + strconv.Itoa(replica.Port()) + " 127.0.0.1 " + strconv.Itoa(replica.Port()) + " @ mymaster 127.0.0.1 " + strconv.Itoa(master.Port())
	rec.await(t, 5*time.Second, "+slave "+slave)

	master.Pause()
	paused := time.Now()
	down := rec.await(t, 5*time.Second, "+sdown master mymaster 127.0.0.1 "+strconv.Itoa(master.Port()))
	if lag := down.Sub(paused); lag < time.Second {
		t.Errorf("+sdown %v after the pause, before down-after", lag)
	}
	master.Resume()
	rec.await(t, 5*time.Second, "-sdown master mymaster 127.0.0.1 "+strconv.Itoa(master.Port()))

	if err := replica.Restart(redistest.RestartOptions{KeepData: true}); err != nil {
		t.Fatal(err)
	}
	// The run ID changes with the restart; the next INFO (1 s while its link to the
	// master is down, else 10 s) tells.
	rec.await(t, 15*time.Second, "+reboot "+slave)

	replica.Kill()
	rec.await(t, 5*time.Second, "+sdown "+slave)

	rec.mu.Lock()
	defer rec.mu.Unlock()
	if slices.ContainsFunc(rec.evs, func(e string) bool { return strings.HasPrefix(e, "+tilt") }) {
		t.Errorf("unexpected TILT: %q", rec.evs)
	}
}
