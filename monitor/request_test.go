package monitor

import (
	"errors"
	"strings"
	"testing"
)

// TestResponsesDurable: the answers that report a saved change are Durable, and only they
// (sentinelFlushConfigAndReply's callers): with the save failing, those turn into Redis's
// error, every other answer stays as it was. Each answer carries its request's ID.
func TestResponsesDurable(t *testing.T) {
	h := newHarness(t, "monitor mymaster 127.0.0.1 6379 2")
	cases := []struct {
		args    string
		durable bool
	}{
		{"monitor m2 127.0.0.1 6390 2", true},
		{"set m2 quorum 3", true},
		{"set m2 quorum 0", false},
		{"config set announce-ip 10.0.0.1", true},
		{"config set announce-port x", false},
		{"flushconfig", true},
		{"remove m2", true},
		{"remove m2", false},
		{"reset nosuch", false},
		{"debug info-period 500", false},
		{"is-master-down-by-addr 127.0.0.1 6379 0 *", false},
		{"failover mymaster", false},
		{"simulate-failure help", false},
	}
	for i, tc := range cases {
		id := RequestID(100 + i)
		h.c.Request(h.now, id, strings.Fields(tc.args))
		rd := h.collect()
		if len(rd.Responses) != 1 || rd.Responses[0].ID != id {
			t.Fatalf("%s: responses %+v, want one with ID %d", tc.args, rd.Responses, id)
		}
		r := rd.Responses[0]
		if r.Durable != tc.durable {
			t.Errorf("%s: Durable %v, want %v (%v)", tc.args, r.Durable, tc.durable, r.Value)
		}
		if got := r.Reply(nil); got.String() != r.Value.String() {
			t.Errorf("%s: saved, the answer is %v, want %v", tc.args, got, r.Value)
		}
		failed := r.Reply(errors.New("disk full"))
		if want := r.Value.String(); tc.durable {
			want = "(error) ERR Failed to save config file. Check server logs."
			if failed.String() != want {
				t.Errorf("%s: save failed, the answer is %v, want %v", tc.args, failed, want)
			}
		} else if failed.String() != want {
			t.Errorf("%s: not durable, the answer changed to %v", tc.args, failed)
		}
	}
}

// TestSaveFailureAnswers: with a store that fails, SENTINEL SET still applies the change
// (it is in memory) and answers Redis's error, as sentinelFlushConfigAndReply does.
func TestSaveFailureAnswers(t *testing.T) {
	h := newHarness(t, "monitor mymaster 127.0.0.1 6379 2")
	h.store.fail = true
	if got := h.request("set", "mymaster", "quorum", "3"); got != "-ERR Failed to save config file. Check server logs.\r\n" {
		t.Errorf("SET with the save failing: %q", got)
	}
	if q := h.c.masters["mymaster"].cfg.Quorum; q != 3 {
		t.Errorf("quorum %d, want 3 in memory", q)
	}
	if got := h.request("is-master-down-by-addr", "127.0.0.1", "6379", "0", "*"); got != "*3\r\n:0\r\n$1\r\n*\r\n:0\r\n" {
		t.Errorf("a read-only answer with the save failing: %q", got)
	}
}
