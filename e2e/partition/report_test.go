package partition

import (
	"testing"
	"time"
)

func TestTable(t *testing.T) {
	got := Table([]Result{
		{Scenario: "a-jepsen", Kind: ResultRedis, Acked: 1180, Lost: 350, DualWrite: 9500 * time.Millisecond, Converge: 2 * time.Second, Failovers: 1, Agree: true, Notes: "56% lost"},
		{Scenario: "a-jepsen", Kind: ResultOurs, Acked: 1200, Lost: 0, Converge: 1500 * time.Millisecond, Failovers: 1, Agree: true},
		{Scenario: "c-sentinels", Kind: ResultOurs, Acked: 900, Agree: false},
	})
	want := "" +
		"| scenario (ours / redis-sentinel) | acked       | lost    | dual-write  | stale-write | converge    | failovers | agree     |\n" +
		"|----------------------------------|-------------|---------|-------------|-------------|-------------|-----------|-----------|\n" +
		"| a-jepsen                         | 1200 / 1180 | 0 / 350 | 0.0s / 9.5s | 0.0s / 0.0s | 1.5s / 2.0s | 1 / 1     | yes / yes |\n" +
		"| c-sentinels                      | 900 / -     | 0 / -   | 0.0s / -    | 0.0s / -    | 0.0s / -    | 0 / -     | NO / -    |\n" +
		"\n" +
		"- a-jepsen (redis-sentinel): 56% lost\n"
	if got != want {
		t.Errorf("Table:\n%s\nwant:\n%s", got, want)
	}
}
