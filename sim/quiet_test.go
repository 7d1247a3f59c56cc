package sim

import (
	"strings"
	"testing"
)

// TestQuietTicksSameTrace runs seeds twice, once with the cores skipping quiet masters at
// their ticks and once visiting every master at every tick as redis-sentinel's timer does
// (monitor.WithFullTicks), and wants the same run: every event of every sentinel at the
// same virtual instant in the same order, every fault, the same outcome. The skip is meant
// to be exact (monitor/quiet.go); any visit it wrongly saved would show up here as a
// PING, an INFO or a judgement late, hence an event moved or missing.
func TestQuietTicksSameTrace(t *testing.T) {
	seeds := 300
	if testing.Short() || raceEnabled {
		seeds = 40
	}
	for seed := uint64(1); seed <= uint64(seeds); seed++ {
		run := func(full bool) ([]string, Stats, error) {
			s := New(Options{Seed: seed, FullTicks: full, TraceLines: 1 << 20})
			err := s.Run()
			return s.Trace(), s.Stats(), err
		}
		quietTrace, quietStats, quietErr := run(false)
		fullTrace, fullStats, fullErr := run(true)
		if (quietErr == nil) != (fullErr == nil) || quietStats != fullStats {
			t.Fatalf("seed %d: quiet ticks: %v, %+v; full ticks: %v, %+v", seed, quietErr, quietStats, fullErr, fullStats)
		}
		if i := firstDiff(quietTrace, fullTrace); i >= 0 {
			from := max(0, i-5)
			t.Fatalf("seed %d: traces differ at line %d:\nquiet ticks:\n%s\nfull ticks:\n%s", seed, i,
				lines(quietTrace[from:min(len(quietTrace), i+5)]), lines(fullTrace[from:min(len(fullTrace), i+5)]))
		}
	}
}

func firstDiff(a, b []string) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	if len(a) != len(b) {
		return min(len(a), len(b))
	}
	return -1
}

func lines(l []string) string { return "  " + strings.Join(l, "\n  ") + "\n" }
