package sentinel_test

import (
	"fmt"
	"os"
	"testing"

	"github.com/sentinel-go/sentinel/e2e/sentinelbin"
	"go.uber.org/goleak"
)

// oursBin is the sentinel binary under test; buildErr says why there is none.
var (
	oursBin  string
	buildErr error
)

func TestMain(m *testing.M) {
	os.Exit(runTests(m))
}

func runTests(m *testing.M) int {
	dir, err := os.MkdirTemp("", "sentinel-e2e-")
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
	goleak.IgnoreTopFunction("internal/poll.runtime_pollWait"),
}
