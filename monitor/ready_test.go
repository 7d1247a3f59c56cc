package monitor

import (
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/sentinel-go/sentinel/config"
)

// A generated myid is handed out in the first Ready's State, and Ready keeps returning it
// until Advance: nothing is lost if the caller looks twice.
func TestGeneratedMyIDInFirstState(t *testing.T) {
	cfg := config.Default()
	cfg.Masters = []*config.Master{config.NewMaster("mymaster", "127.0.0.1", 6379, 2)}
	c, err := New(cfg, rand.New(rand.NewPCG(1, 2)), time.Unix(1_800_000_000, 0))
	if err != nil {
		t.Fatal(err)
	}
	if !c.HasReady() {
		t.Fatal("HasReady is false with a myid to save")
	}
	rd := c.Ready()
	if rd.State == nil || rd.State.MyID != c.MyID() || len(c.MyID()) != 40 {
		t.Fatalf("first State %+v, myid %q", rd.State, c.MyID())
	}
	if again := c.Ready(); again.State != rd.State || len(again.Events) != len(rd.Events) || len(again.Links) != len(rd.Links) {
		t.Fatalf("a second Ready before Advance differs: %+v", again)
	}
	c.Advance()
	if c.HasReady() {
		t.Fatalf("HasReady after Advance: %+v", c.Ready())
	}
	if rd := c.Ready(); rd.State != nil || len(rd.Events) != 0 {
		t.Fatalf("Ready after Advance: %+v", rd)
	}
}

// A configured myid needs no save: the first Ready has no State.
func TestNoStateWithoutChange(t *testing.T) {
	h := newHarness(t, "monitor mymaster 127.0.0.1 6379 2")
	if len(h.store.saved) != 0 {
		t.Fatalf("saved at start: %d", len(h.store.saved))
	}
	h.advance(100 * time.Millisecond)
	if len(h.store.saved) != 0 {
		t.Fatalf("a tick that changed nothing durable saved")
	}
}

// A vote goes out in the same Ready as the State that holds it: the driver persists the
// State before it writes the reply (sentinelVoteLeader flushes the config first).
func TestVoteInTheReadyOfItsReply(t *testing.T) {
	h := newHarness(t, "monitor mymaster 127.0.0.1 6379 2")
	cand := strings.Repeat("a", 40)
	h.c.Request(h.now, 7, []string{"is-master-down-by-addr", "127.0.0.1", "6379", "7", cand})
	rd := h.c.Ready()
	if rd.State == nil || len(rd.Responses) != 1 {
		t.Fatalf("a vote without a State to persist, or no answer: %+v", rd)
	}
	if mc := rd.State.Master("mymaster"); rd.State.CurrentEpoch != 7 || mc.Leader != cand || mc.LeaderEpoch != 7 {
		t.Fatalf("State epoch %d vote %q@%d", rd.State.CurrentEpoch, mc.Leader, mc.LeaderEpoch)
	}
	h.c.Advance()
}

// Every durable answer comes with the State it reports, in its own Ready. A bad pair after a
// good one still saves what was applied, as in Redis, though the error answer is not
// durable.
func TestDurableAnswersCarryState(t *testing.T) {
	h := newHarness(t, "monitor mymaster 127.0.0.1 6379 2")
	for i, tc := range []struct {
		args  []string
		state bool
	}{
		{[]string{"set", "mymaster", "quorum", "3"}, true},
		{[]string{"set", "mymaster", "quorum", "1", "parallel-syncs", "x"}, true},
		{[]string{"set", "nosuch", "quorum", "1"}, false},
		{[]string{"flushconfig"}, true},
		{[]string{"config", "set", "announce-port", "1234"}, true},
		{[]string{"debug", "ping-period", "1000"}, false},
	} {
		h.c.Request(h.now, RequestID(i), tc.args)
		rd := h.c.Ready()
		h.c.Advance()
		if len(rd.Responses) != 1 {
			t.Fatalf("%q: %d answers", tc.args, len(rd.Responses))
		}
		if r := rd.Responses[0]; (rd.State != nil) != tc.state || (r.Durable && rd.State == nil) {
			t.Errorf("%q: State %v, durable %v (%v), want State %v", tc.args, rd.State != nil, r.Durable, r.Value, tc.state)
		}
	}
}
