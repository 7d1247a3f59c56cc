package partition

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/redis/go-redis/v9"
	"go.uber.org/goleak"
)

// oursBin is our sentinel binary, built once for the test binary; buildErr says why not.
var (
	oursBin  string
	buildErr error
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
		oursBin, buildErr = build(dir)
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
	goleak.IgnoreTopFunction("internal/poll.runtime_pollWait"),
}

// build compiles ./cmd/sentinel into dir, as e2e/sentinel does.
func build(dir string) (string, error) {
	bin := filepath.Join(dir, "sentinel")
	args := []string{"build", "-o", bin}
	if os.Getenv("SENTINEL_E2E_RACE") == "1" {
		args = append(args, "-race")
	}
	args = append(args, "github.com/sentinel-go/sentinel/cmd/sentinel")
	out, err := exec.Command("go", args...).CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("go %v: %v\n%s", args, err, out)
	}
	return bin, nil
}

type quiet struct{}

func (quiet) Printf(context.Context, string, ...any) {}
