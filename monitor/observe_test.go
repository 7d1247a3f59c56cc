package monitor

import (
	"slices"
	"testing"
	"time"
)

func TestRebootAndRoleChange(t *testing.T) {
	h := newHarness(t, "monitor mymaster 127.0.0.1 6379 2")
	h.c.masters["mymaster"].cfg.MasterRebootDownAfter = 500 * time.Millisecond
	h.up("127.0.0.1:6379")
	h.advance(100 * time.Millisecond)
	h.answer("127.0.0.1:6379", pong)
	h.events()
	// The master restarts with a new run ID and keeps loading: +reboot, then down once
	// master-reboot-down-after-period passed, although it answers PING with -LOADING.
	h.advance(10 * time.Second)
	loading := func(s Send) Reply {
		switch s.Tag.Kind {
		case TagPing:
			return Reply{Err: "LOADING Redis is loading the dataset in memory"}
		case TagInfo:
			return Reply{Value: "run_id:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb\r\nrole:slave\r\nmaster_host:127.0.0.1\r\nmaster_port:6390\r\n"}
		}
		return Reply{Value: int64(1)}
	}
	h.answer("127.0.0.1:6379", loading)
	for range 8 {
		h.advance(100 * time.Millisecond)
		h.answer("127.0.0.1:6379", loading)
	}
	got := h.events()
	want := []string{
		"+tilt #tilt mode entered", // the 10 s jump
		"+reboot master mymaster 127.0.0.1 6379",
		"-role-change master mymaster 127.0.0.1 6379 new reported role is slave",
	}
	if !slices.Equal(got, want) {
		t.Fatalf("events\n got %q\nwant %q", got, want)
	}
	h.c.tilt = false // leave TILT to see the judgement
	h.advance(100 * time.Millisecond)
	if got := h.events(); !slices.Contains(got, "+sdown master mymaster 127.0.0.1 6379") {
		t.Fatalf("a rebooted master still loading after the period must be down: %q", got)
	}
}
