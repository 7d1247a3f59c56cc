package transport

import (
	"net"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sentinel-go/sentinel/monitor"
)

// TestFastReconnect: a link with FastReconnect redials a lost connection every 100 ms
// instead of once a ReconnectPeriod. The server accepts and closes every connection at
// once, so each attempt is one lost connection; attempts are counted for 1.2 s. Both
// connections are always reading, as hiredis's are in redis-sentinel, so each notices every
// close at once and redials on its own: two connections per attempt.
func TestFastReconnect(t *testing.T) {
	for _, tc := range []struct {
		fast     bool
		min, max int64
	}{{true, 18, 32}, {false, 4, 8}} {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		var accepted atomic.Int64
		done := make(chan struct{})
		go func() {
			defer close(done)
			for {
				c, err := ln.Accept()
				if err != nil {
					return
				}
				accepted.Add(1)
				c.Close()
			}
		}()
		tr := New(Options{Observe: func(monitor.Observation) {}, ReconnectPeriod: time.Second})
		tr.Open(monitor.LinkSpec{Addr: ln.Addr().String(), ClientName: "sentinel-12345678", FastReconnect: tc.fast})
		time.Sleep(1200 * time.Millisecond) // the measured interval itself, not a wait for a condition
		n := accepted.Load()
		tr.Shutdown()
		ln.Close()
		<-done
		if n < tc.min || n > tc.max {
			t.Errorf("fast %v: %d connections in 1.2 s, want %d to %d", tc.fast, n, tc.min, tc.max)
		}
	}
}
