package sentinelbin

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// Build compiles ./cmd/sentinel into dir and returns the binary's path. Build tags, if any,
// are passed to go build (-tags pprof builds the profiling server of daemon/pprof.go in).
func Build(dir string, tags ...string) (string, error) {
	bin := filepath.Join(dir, "sentinel")
	// auto, not the environment's GOFLAGS, decides the VCS stamp: --version names the
	// revision it was built from, and a test checks that it does.
	args := []string{"build", "-buildvcs=auto", "-o", bin}
	if os.Getenv("SENTINEL_E2E_RACE") == "1" {
		args = append(args, "-race")
	}
	if len(tags) > 0 {
		args = append(args, "-tags", strings.Join(tags, ","))
	}
	args = append(args, "github.com/sentinel-go/sentinel/cmd/sentinel")
	out, err := exec.Command("go", args...).CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("go %v: %v\n%s", args, err, out)
	}
	return bin, nil
}
