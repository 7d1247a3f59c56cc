package sentinel_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestVersionNamesRevision: the binary the harness builds from this checkout says which
// commit it is, so two sentinels in the field can be compared by --version alone.
func TestVersionNamesRevision(t *testing.T) {
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	head, err := exec.Command("git", "rev-parse", "HEAD").Output()
	if err != nil {
		t.Skipf("not a git checkout: %v", err)
	}
	// The go command looks for a .git directory; a linked worktree has a .git file and
	// gets no stamp (the binary then says (devel) with no commit).
	top, err := exec.Command("git", "rev-parse", "--show-toplevel").Output()
	if err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(filepath.Join(strings.TrimSpace(string(top)), ".git")); err != nil || !fi.IsDir() {
		t.Skip("a linked git worktree: the go command stamps no VCS revision there")
	}
	out, err := exec.Command(oursBin, "--version").Output()
	if err != nil {
		t.Fatalf("--version: %v", err)
	}
	line := strings.TrimSpace(string(out))
	if !strings.HasPrefix(line, "sentinel ") || !strings.Contains(line, " commit="+strings.TrimSpace(string(head))+" modified=") {
		t.Errorf("--version printed %q; want it to name commit=%s", line, strings.TrimSpace(string(head)))
	}
}
