package partition

import (
	"context"
	"fmt"
	"os"
	"testing"

	"github.com/redis/go-redis/v9"
	"github.com/sentinel-go/sentinel/e2e/sentinelbin"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { os.Exit(runTests(m)) }

func runTests(m *testing.M) int {
	// go-redis logs every failed dial; in a partition that is thousands of lines of what the
	// scenario is doing on purpose. The workload records the errors it cares about.
	redis.SetLogger(quiet{})
	dir, err := os.MkdirTemp("", "sentinel-partition-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	if p := os.Getenv("SENTINEL_E2E_BIN"); p != "" {
		oursBin = p
	} else {
		oursBin, buildErr = sentinelbin.Build(dir)
	}
	code := m.Run()
	if rs := Results(); len(rs) > 0 {
		table := Table(rs)
		fmt.Println(table)
		if path := os.Getenv("PARTITION_REPORT"); path != "" {
			if err := os.WriteFile(path, []byte(table), 0o644); err != nil {
				fmt.Fprintln(os.Stderr, err)
				code = 1
			}
		}
	}
	if code == 0 {
		if err := goleak.Find(leakOptions...); err != nil {
			fmt.Fprintln(os.Stderr, "goleak:", err)
			code = 1
		}
	}
	return code
}

var leakOptions = []goleak.Option{
	// go-redis pools close their reaper goroutines asynchronously.
	goleak.IgnoreTopFunction("github.com/redis/go-redis/v9/internal/pool.(*ConnPool).reaper"),
	// After a failed dial a pool probes in the background, sleeping 1 s between tries, and
	// notices only after that sleep that it was closed.
	goleak.IgnoreAnyFunction("github.com/redis/go-redis/v9/internal/pool.(*ConnPool).tryDial"),
	goleak.IgnoreTopFunction("internal/poll.runtime_pollWait"),
}

type quiet struct{}

func (quiet) Printf(context.Context, string, ...any) {}
