package sim

import (
	"flag"
	"runtime"
	"slices"
	"sync"
	"testing"
	"time"
)

var (
	seedFlag  = flag.Int64("seed", -1, "run only this simulation seed (replays a failure)")
	seedsFlag = flag.Int("seeds", 0, "how many seeds TestSimulation runs (default: 3000, 500 with -race, 50 with -short)")
	firstFlag = flag.Uint64("firstseed", 1, "the first seed of a TestSimulation run")
	maxFail   = flag.Int("maxfail", 3, "stop TestSimulation after this many failing seeds")
	replace   = flag.Bool("replace", false, "add the replace-sentinel fault (Options.ReplaceSentinels)")
)

// defaultSeeds keeps a run around a minute on two cores (measured: about 30 ms of CPU per
// seed, six to ten times that with -race); -seeds asks for more.
func defaultSeeds() int {
	switch {
	case *seedsFlag > 0:
		return *seedsFlag
	case testing.Short():
		return 50
	case raceEnabled:
		return 500
	}
	return 3000
}

// TestSimulation runs seeded simulations, each a random topology and fault schedule with
// the invariants checked after every step. A failure prints its seed, the replay command
// and the trace.
func TestSimulation(t *testing.T) {
	if *seedFlag >= 0 {
		s := New(Options{Seed: uint64(*seedFlag), ReplaceSentinels: *replace})
		err := s.Run()
		if testing.Verbose() {
			for _, l := range s.Trace() {
				t.Log(l)
			}
		}
		t.Logf("%v", s.Stats())
		if err != nil {
			t.Fatal(err)
		}
		return
	}
	n := defaultSeeds()
	start := time.Now()
	seeds := make(chan uint64)
	var (
		mu       sync.Mutex
		total    Stats
		byRetry  [2]Stats // fast-retry off, on
		byRefuse [2]Stats // minority-refuses off, on
		failures []error
		wg       sync.WaitGroup
	)
	for range runtime.GOMAXPROCS(0) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for seed := range seeds {
				s := New(Options{Seed: seed, ReplaceSentinels: *replace})
				err := s.Run()
				mu.Lock()
				total.Add(s.Stats())
				if s.FastRetry {
					byRetry[1].Add(s.Stats())
				} else {
					byRetry[0].Add(s.Stats())
				}
				if s.MinorityRefuses {
					byRefuse[1].Add(s.Stats())
				} else {
					byRefuse[0].Add(s.Stats())
				}
				if err != nil {
					failures = append(failures, err)
				}
				mu.Unlock()
			}
		}()
	}
	for i := range n {
		mu.Lock()
		stop := len(failures) >= *maxFail
		mu.Unlock()
		if stop {
			break
		}
		seeds <- *firstFlag + uint64(i)
	}
	close(seeds)
	wg.Wait()
	t.Logf("%v in %v", total, time.Since(start).Round(time.Millisecond))
	// The split-vote rate, for comparing election tweaks: attempts that ended
	// -failover-abort-not-elected with the epoch's votes spread over several candidates.
	t.Logf("split-vote rate: %d of %d failover attempts aborted not elected with the votes split (%.2f%%); %d not elected in all",
		total.SplitVotes, total.Attempts, 100*total.SplitVoteRate(), total.NotElected)
	for i, name := range []string{"off", "on"} {
		st := byRetry[i]
		t.Logf("  fast-retry %s: %d seeds, split votes %d of %d attempts (%.2f%%), %d promotions",
			name, st.Seeds, st.SplitVotes, st.Attempts, 100*st.SplitVoteRate(), st.Promotions)
	}
	for i, name := range []string{"off", "on"} {
		st := byRefuse[i]
		t.Logf("  minority-refuses %s: %d seeds, GET-MASTER-ADDR-BY-NAME answered %d, refused %d, %d promotions",
			name, st.Seeds, st.AddrAnswers, st.AddrRefusals, st.Promotions)
	}
	for _, err := range failures {
		t.Error(err)
	}
}

// TestReplayIsDeterministic: a seed is the whole run. Two runs of one seed produce the same
// trace and the same counts, which is what makes -seed=N a replay.
func TestReplayIsDeterministic(t *testing.T) {
	for _, seed := range []uint64{3, 18, 79} {
		a, b := New(Options{Seed: seed}), New(Options{Seed: seed})
		errA, errB := a.Run(), b.Run()
		if (errA == nil) != (errB == nil) || a.Stats() != b.Stats() || !slices.Equal(a.Trace(), b.Trace()) {
			t.Fatalf("seed %d ran differently twice:\n%v\n%v", seed, a.Stats(), b.Stats())
		}
	}
}
