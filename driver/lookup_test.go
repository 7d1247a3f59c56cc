package driver

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/sentinel-go/sentinel/config"
	"github.com/sentinel-go/sentinel/internal/resp"
	"github.com/sentinel-go/sentinel/monitor"
)

// timedNet is fakeNet with every send recorded at its virtual time, and a master at
// 127.0.0.1:6379 whose INFO lists a replica by hostname (slow.example), the name the test's
// resolver is slow for.
type timedNet struct {
	*fakeNet
	start time.Time
	mu    sync.Mutex
	sends []string
}

func (n *timedNet) Send(s monitor.Send) {
	n.mu.Lock()
	n.sends = append(n.sends, fmt.Sprintf("%v %s %s", time.Since(n.start), s.Addr, strings.Join(s.Args, " ")))
	n.mu.Unlock()
	if s.Tag.Kind == monitor.TagInfo && s.Addr == "127.0.0.1:6379" {
		n.deliver(monitor.Reply{Addr: s.Addr, Gen: s.Gen, Tag: s.Tag,
			Value: "# Replication\r\nrole:master\r\nslave0:ip=slow.example,port=6380,state=online,offset=1,lag=0\r\n"})
		return
	}
	n.fakeNet.Send(s)
}

// slowRun is one run of two masters for 12 s of virtual time. slow makes the resolver take
// 5 s for slow.example (it gives up at the driver's 2 s timeout); otherwise it answers at
// once. It returns every send with its virtual time, when the resolver was first asked and
// when that returned, and the replica's address as the view shows it at the end.
type slowRun struct {
	sends           []string
	asked, answered time.Duration
	shown           string
}

func runSlowResolver(t *testing.T, slow bool) slowRun {
	var out slowRun
	synctest.Test(t, func(t *testing.T) {
		cfg := config.Default()
		cfg.MyID = myID
		cfg.ResolveHostnames = true
		cfg.Masters = []*config.Master{
			config.NewMaster("m1", "127.0.0.1", 6379, 1),
			config.NewMaster("m2", "127.0.0.1", 7000, 1),
		}
		start := time.Now()
		net := &timedNet{fakeNet: &fakeNet{dead: map[string]bool{"127.0.0.1:6380": true, "slow.example:6380": true}}, start: start}
		var mu sync.Mutex
		resolve := func(ctx context.Context, host string) (string, error) {
			if host != "slow.example" {
				return "", fmt.Errorf("no such host %s", host)
			}
			// The first question only: the core asks again every few seconds (recheck).
			mu.Lock()
			first := out.asked == 0
			if first {
				out.asked = time.Since(start)
			}
			mu.Unlock()
			defer func() {
				mu.Lock()
				if first {
					out.answered = time.Since(start)
				}
				mu.Unlock()
			}()
			if !slow {
				return "10.0.0.7", nil
			}
			select {
			case <-time.After(5 * time.Second):
				return "10.0.0.7", nil
			case <-ctx.Done():
				return "", ctx.Err()
			}
		}
		d, err := New(Options{
			Config: cfg, Store: &memStore{}, Transport: net, Resolve: resolve,
			Rand: rand.New(rand.NewPCG(1, 2)),
		})
		if err != nil {
			t.Fatal(err)
		}
		stop := runDriver(t, net.fakeNet, d)

		// While the slow question is out, a change and a query are answered at once.
		time.Sleep(time.Second)
		synctest.Wait()
		before := time.Now()
		var w resp.Writer
		d.Do(&w, []string{"set", "m2", "quorum", "1"})
		if string(w.Bytes()) != "+OK\r\n" || time.Since(before) != 0 {
			t.Errorf("SET answered %q after %v", w.Bytes(), time.Since(before))
		}
		w.Reset()
		d.Endpoint().Command(&w, [][]byte{[]byte("get-master-addr-by-name"), []byte("m2")})
		if string(w.Bytes()) != "*2\r\n$9\r\n127.0.0.1\r\n$4\r\n7000\r\n" || time.Since(before) != 0 {
			t.Errorf("GET-MASTER-ADDR-BY-NAME answered %q after %v", w.Bytes(), time.Since(before))
		}

		time.Sleep(11 * time.Second)
		synctest.Wait()
		if mv := d.View().Master("m1"); mv != nil && len(mv.Replicas) == 1 {
			out.shown = mv.Replicas[0].IP
		}
		stop()
		net.mu.Lock()
		out.sends = slices.Clone(net.sends)
		net.mu.Unlock()
	})
	return out
}

// TestSlowResolverDelaysNothing: a resolver that takes 5 s for one name holds up nothing
// else. The run with it sends every PING, INFO and hello, to both masters, at exactly the
// virtual times of the run whose resolver answers at once; the slow question ends at the
// 2 s timeout with the name left unresolved.
func TestSlowResolverDelaysNothing(t *testing.T) {
	fast := runSlowResolver(t, false)
	slow := runSlowResolver(t, true)

	if fast.shown != "10.0.0.7" || slow.shown != "slow.example" {
		t.Errorf("replica shown as %q (fast resolver), %q (slow one)", fast.shown, slow.shown)
	}
	if slow.asked == 0 || slow.answered-slow.asked != hostTimeout {
		t.Errorf("slow lookup asked at %v, given up at %v: want the %v timeout", slow.asked, slow.answered, hostTimeout)
	}
	if fast.asked != slow.asked {
		t.Errorf("the question went out at %v, and at %v with the slow resolver", fast.asked, slow.asked)
	}
	count := func(sends []string, what string) int {
		n := 0
		for _, s := range sends {
			if strings.Contains(s, what) {
				n++
			}
		}
		return n
	}
	// A sanity floor on what is compared: a PING a second to each master, a hello every
	// 2 s, INFO every 10 s.
	for _, addr := range []string{"127.0.0.1:6379", "127.0.0.1:7000"} {
		if p, h, i := count(slow.sends, addr+" PING"), count(slow.sends, addr+" PUBLISH"), count(slow.sends, addr+" INFO"); p < 11 || h < 5 || i < 2 {
			t.Errorf("%s: %d PINGs, %d hellos, %d INFOs in 12 s", addr, p, h, i)
		}
	}
	// Sends of one instant may go in either order (the fake network delivers from
	// goroutines); their times may not differ.
	slices.Sort(fast.sends)
	slices.Sort(slow.sends)
	if !slices.Equal(fast.sends, slow.sends) {
		for i := range max(len(fast.sends), len(slow.sends)) {
			var f, s string
			if i < len(fast.sends) {
				f = fast.sends[i]
			}
			if i < len(slow.sends) {
				s = slow.sends[i]
			}
			if f != s {
				t.Fatalf("send %d: %q with a fast resolver, %q with the slow one", i, f, s)
			}
		}
	}
}

// Run's end cancels the lookups still out and waits for them: nothing outlives the driver.
func TestShutdownCancelsLookups(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cfg := config.Default()
		cfg.MyID = myID
		cfg.ResolveHostnames = true
		cfg.Masters = []*config.Master{config.NewMaster("m1", "127.0.0.1", 6379, 1)}
		start := time.Now()
		net := &timedNet{fakeNet: &fakeNet{dead: map[string]bool{"127.0.0.1:6380": true, "slow.example:6380": true}}, start: start}
		var mu sync.Mutex
		var cancelled time.Duration
		resolve := func(ctx context.Context, host string) (string, error) {
			<-ctx.Done()
			mu.Lock()
			cancelled = time.Since(start)
			mu.Unlock()
			return "", ctx.Err()
		}
		d, err := New(Options{Config: cfg, Store: &memStore{}, Transport: net, Resolve: resolve})
		if err != nil {
			t.Fatal(err)
		}
		stop := runDriver(t, net.fakeNet, d)
		time.Sleep(500 * time.Millisecond)
		synctest.Wait()
		stop()
		mu.Lock()
		defer mu.Unlock()
		if cancelled != 500*time.Millisecond {
			t.Errorf("the lookup out at shutdown ended at %v, want at the shutdown (500ms)", cancelled)
		}
	})
}

// SENTINEL SET's script check runs off the loop against the real file system, and the
// answer is Redis's, as when the core checked inline.
func TestSetScriptChecksFile(t *testing.T) {
	dir := t.TempDir()
	exe, plain := dir+"/notify.sh", dir+"/plain.sh"
	if err := os.WriteFile(exe, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(plain, []byte("#!/bin/sh\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	synctest.Test(t, func(t *testing.T) {
		cfg := config.Default()
		cfg.MyID = myID
		cfg.DenyScriptsReconfig = false
		cfg.Masters = []*config.Master{config.NewMaster("m1", "127.0.0.1", 6379, 1)}
		net := &fakeNet{dead: map[string]bool{"127.0.0.1:6379": true}}
		st := &memStore{}
		d, err := New(Options{Config: cfg, Store: st, Transport: net})
		if err != nil {
			t.Fatal(err)
		}
		stop := runDriver(t, net, d)
		for _, tc := range []struct{ path, want string }{
			{exe, "+OK\r\n"},
			{plain, "-ERR Notification script seems non existing or non executable\r\n"},
			{dir + "/missing.sh", "-ERR Notification script seems non existing or non executable\r\n"},
			{dir, "-ERR Notification script seems non existing or non executable\r\n"},
		} {
			var w resp.Writer
			d.Do(&w, []string{"set", "m1", "notification-script", tc.path})
			if got := string(w.Bytes()); got != tc.want {
				t.Errorf("%s: %q, want %q", tc.path, got, tc.want)
			}
		}
		stop()
		st.mu.Lock()
		defer st.mu.Unlock()
		if got := st.saved[len(st.saved)-1].Master("m1").NotificationScript; got != exe {
			t.Errorf("saved notification-script %q", got)
		}
	})
}
