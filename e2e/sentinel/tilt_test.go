package sentinel_test

import (
	"syscall"
	"testing"
	"time"

	"github.com/sentinel-go/sentinel/e2e/realredis"
)

// TestTiltAfterStall freezes each sentinel for 3 s (SIGSTOP, as a stalled host would): both
// redis-sentinel and ours enter TILT on the late tick, and neither declares the healthy
// master down for the time it was frozen.
func TestTiltAfterStall(t *testing.T) {
	t.Parallel()
	top := startTopology(t, nil)
	for _, kind := range []string{ours, real} {
		t.Run(kind, func(t *testing.T) {
			binary(t, kind)
			port := realredis.FreePort(t)
			s := startSentinel(t, kind, port, sentinelConf(port, top.Master.Port(), 1))
			waitDiscovery(t, top, s)
			rec := record(t, s)
			if err := s.Proc.Signal(syscall.SIGSTOP); err != nil {
				t.Fatal(err)
			}
			time.Sleep(3 * time.Second) // the stall itself is what is tested
			if err := s.Proc.Signal(syscall.SIGCONT); err != nil {
				t.Fatal(err)
			}
			rec.wait(t, 5*time.Second, "+tilt", equals("#tilt mode entered"))
			if ev, ok := rec.find("+sdown", hasPrefix("master ").f); ok {
				t.Errorf("%s declared the master down after a stall of its own: %v", s, ev)
			}
			info := infoFields(s.Client.Info(t.Context(), "sentinel").Val())
			if info["sentinel_tilt"] != "1" {
				t.Errorf("%s: INFO sentinel_tilt = %q, want 1", s, info["sentinel_tilt"])
			}
		})
	}
}
