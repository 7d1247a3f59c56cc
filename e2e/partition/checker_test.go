package partition

import (
	"testing"
	"time"
)

const ms = time.Millisecond

// acks builds acknowledged writes by node at the given end times (ms), each 1ms long.
func acks(node string, ends ...int) []Write {
	var ws []Write
	for _, e := range ends {
		t := time.Duration(e) * ms
		ws = append(ws, Write{Writer: "c", Key: node + ":" + t.String(), Value: "v", Node: node, Start: t - ms, End: t, Acked: true})
	}
	return ws
}

func hist(parts ...[]Write) History {
	var h History
	for _, p := range parts {
		h.Writes = append(h.Writes, p...)
	}
	return h
}

func switchEv(at int, sentinel, from, to string) Event {
	fh, fp := split(from)
	th, tp := split(to)
	return Event{At: time.Duration(at) * ms, Sentinel: sentinel, Channel: "+switch-master",
		Payload: "mymaster " + fh + " " + fp + " " + th + " " + tp}
}

func split(a string) (string, string) {
	for i := len(a) - 1; i >= 0; i-- {
		if a[i] == ':' {
			return a[:i], a[i+1:]
		}
	}
	return a, ""
}

func TestDualWrite(t *testing.T) {
	for _, tc := range []struct {
		name string
		h    History
		want time.Duration
	}{
		{"one node", hist(acks("A", 0, 100, 200, 3000, 3100)), 0},
		{"handover without overlap", hist(acks("A", 0, 100, 200), acks("B", 300, 400)), 0},
		{"overlap", hist(acks("A", 0, 500, 1000, 1500), acks("B", 800, 1200, 2000)), 700 * ms},
		// A's gap of 2 s ends its run at 500: only B's run from 400 to 500 and A's second
		// run from 2500 to 2600 overlap B (400..3000).
		{"gap splits a run", hist(acks("A", 0, 500, 2500, 2600), acks("B", 400, 1300, 2200, 3000)), 200 * ms},
		{"three nodes count once", hist(acks("A", 0, 1000), acks("B", 0, 1000), acks("C", 0, 1000)), 1000 * ms},
		{"unacked writes do not count", hist(acks("A", 0, 1000), []Write{{Node: "B", End: 500}}), 0},
		{"touching runs do not overlap", hist(acks("A", 0, 500), acks("B", 500, 900)), 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := DualWrite(tc.h); got != tc.want {
				t.Errorf("DualWrite = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestFailovers(t *testing.T) {
	a, b, c := "10.0.0.1:6379", "10.0.0.2:6379", "10.0.0.3:6379"
	for _, tc := range []struct {
		name   string
		events []Event
		want   int
	}{
		{"none", []Event{{Channel: "+sdown", Payload: "master mymaster 10.0.0.1 6379"}}, 0},
		{"every sentinel repeats one switch", []Event{
			switchEv(100, "s1", a, b), switchEv(110, "s2", a, b), switchEv(900, "s3", a, b),
		}, 1},
		{"back and forth", []Event{
			switchEv(100, "s1", a, b), switchEv(120, "s2", a, b), switchEv(5000, "s2", b, a), switchEv(5010, "s1", b, a),
		}, 2},
		{"chain", []Event{switchEv(100, "s1", a, b), switchEv(200, "s1", b, c), switchEv(210, "s2", a, c)}, 2},
		{"malformed payload ignored", []Event{{Channel: "+switch-master", Payload: "mymaster 1 2"}}, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := len(Failovers(tc.events)); got != tc.want {
				t.Errorf("Failovers = %d, want %d", got, tc.want)
			}
		})
	}
}

func TestFailoversPerGroup(t *testing.T) {
	ev := []Event{
		switchEv(100, "s1", "a:1", "b:1"),
		{At: 110 * ms, Channel: "+switch-master", Payload: "other c 1 d 1"},
		switchEv(120, "s2", "a:1", "b:1"),
	}
	if got := len(Failovers(ev)); got != 2 {
		t.Fatalf("Failovers = %d, want 2 (one per group)", got)
	}
}

func TestStaleWrite(t *testing.T) {
	a, b := "A:1", "B:1"
	for _, tc := range []struct {
		name   string
		h      History
		events []Event
		want   time.Duration
	}{
		{"no failover", hist(acks(a, 0, 100, 200)), nil, 0},
		{"clean handover", hist(acks(a, 0, 100), acks(b, 1200, 1300)), []Event{switchEv(1000, "s1", a, b)}, 0},
		// Paused through the switch at 1000, it wakes at 4000 and acknowledges until 14000.
		{"woken old master", hist(acks(a, 0, 100, 4000, 9000, 14000), acks(b, 1200, 20000)),
			[]Event{switchEv(1000, "s1", a, b), switchEv(1100, "s2", a, b)}, 10000*ms + ms},
		{"switched back is not stale", hist(acks(a, 0, 100, 6000, 7000), acks(b, 1200, 4000)),
			[]Event{switchEv(1000, "s1", a, b), switchEv(5000, "s1", b, a)}, 0},
		// A write that began before the switch and ended after counts from the switch.
		{"write across the switch", hist([]Write{{Key: "k", Value: "v", Node: a, Start: 500 * ms, End: 3000 * ms, Acked: true}}),
			[]Event{switchEv(1000, "s1", a, b)}, 2000 * ms},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := StaleWrite(tc.h, tc.events); got != tc.want {
				t.Errorf("StaleWrite = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestAnalyzeLoss(t *testing.T) {
	h := History{Writes: []Write{
		{Key: "k1", Value: "v1", Node: "A", End: 100 * ms, Acked: true},
		{Key: "k2", Value: "v2", Node: "A", End: 200 * ms, Acked: true},
		{Key: "k3", Value: "v3", Node: "A", End: 300 * ms, Acked: true},
		{Key: "k4", Value: "v4", Node: "A", End: 400 * ms, Acked: false, Err: "i/o timeout"},
		{Key: "k5", Value: "v5", Node: "B", End: 500 * ms, Acked: true},
	}}
	final := map[string]string{"k1": "v1", "k3": "other", "k5": "v5"}
	r := Analyze(h, final, nil)
	if r.Acked != 4 || r.Lost != 2 {
		t.Fatalf("Acked, Lost = %d, %d; want 4, 2", r.Acked, r.Lost)
	}
	if got := LostBefore(h, final, 250*ms); got != 1 {
		t.Fatalf("LostBefore(250ms) = %d, want 1 (k2; k3 was acked at 300ms)", got)
	}
	if got := h.AckedKeys(); len(got) != 4 || got[3] != "k5" {
		t.Fatalf("AckedKeys = %v", got)
	}
}

func TestLostByNode(t *testing.T) {
	lost := append(acks("10.0.0.3:6379", 300, 100), acks("10.0.0.2:6379", 250)...)
	want := "10.0.0.2:6379: 1 (250ms..250ms), 10.0.0.3:6379: 2 (100ms..300ms)"
	if got := LostByNode(lost); got != want {
		t.Fatalf("LostByNode = %q, want %q", got, want)
	}
	if got := LostByNode(nil); got != "" {
		t.Fatalf("LostByNode(nil) = %q", got)
	}
}
