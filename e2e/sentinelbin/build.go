package sentinelbin

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
)

// Build compiles ./cmd/sentinel into dir and returns the binary's path.
func Build(dir string) (string, error) {
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
