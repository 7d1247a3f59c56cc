package monitor

import (
	"slices"
	"strings"
	"testing"

	"github.com/sentinel-go/sentinel/internal/resp"
)

// The guard's scenarios (empty_restart_*.txt, no_min_replicas.txt) are interaction
// scripts; what stays here reads the core's fields.

// TestProtectEmptyRestartConfig: SENTINEL CONFIG SET takes yes or no; GET answers to the
// exact name, and to a pattern only when on, so GET * with the defaults stays what
// redis-sentinel lists.
func TestProtectEmptyRestartConfig(t *testing.T) {
	h := newHarness(t, "monitor mymaster 127.0.0.1 6379 2")
	if got := h.request("config", "set", "protect-empty-restart", "maybe"); got != "-ERR Invalid value 'maybe' to SENTINEL CONFIG SET 'protect-empty-restart'\r\n" {
		t.Fatalf("bad value: %q", got)
	}
	if got := h.request("config", "set", "PROTECT-EMPTY-RESTART", "yes"); got != "+OK\r\n" || !h.c.cfg.ProtectEmptyRestart {
		t.Fatalf("set: %q", got)
	}
	if !h.store.saved[len(h.store.saved)-1].ProtectEmptyRestart {
		t.Fatal("not saved")
	}
	// The master's link is opened again, now with the fast reconnection.
	if l := h.c.links["127.0.0.1:6379"]; l == nil || !l.spec.FastReconnect {
		t.Fatalf("master link after SET yes: %+v", l)
	}
	if !slices.ContainsFunc(h.links, func(lc LinkChange) bool { return lc.Op == LinkOpen && lc.Spec.FastReconnect }) {
		t.Fatalf("no fast link opened: %+v", h.links)
	}
	var w resp.Writer
	configGet(h.c.View(), &w, "protect-empty-restart")
	if got := string(w.Bytes()); got != "*2\r\n$21\r\nprotect-empty-restart\r\n$3\r\nyes\r\n" {
		t.Errorf("GET protect-empty-restart: %q", got)
	}
	// On, a pattern lists it (as minority-refuses); off, only its exact name does, so
	// with the defaults GET * is what redis-sentinel lists.
	for _, on := range []bool{true, false} {
		h.request("config", "set", "protect-empty-restart", map[bool]string{true: "yes", false: "no"}[on])
		for _, p := range []string{"*", "protect-*"} {
			w.Reset()
			configGet(h.c.View(), &w, p)
			if listed := strings.Contains(string(w.Bytes()), "protect"); listed != on {
				t.Errorf("on %v: GET %s lists it %v: %q", on, p, listed, w.Bytes())
			}
		}
	}
}
