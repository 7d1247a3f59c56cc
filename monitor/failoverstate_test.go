package monitor

import "testing"

func TestFailoverStateNames(t *testing.T) {
	want := []string{"none", "wait_start", "select_slave", "send_slaveof_noone", "wait_promotion", "reconf_slaves", "update_config"}
	for s := stateNone; s <= stateUpdateConfig; s++ {
		if s.String() != want[s] {
			t.Errorf("state %d is %q, want %q", s, s, want[s])
		}
	}
	if !stateWaitPromotion.abortable() || stateReconfSlaves.abortable() || stateNone.abortable() {
		t.Error("only attempts before the promotion can be aborted")
	}
}
