package monitor

import (
	"os/exec"
	"slices"
	"strings"
	"testing"
)

// TestCoreDoesNoIO: the core is a pure state machine (see doc.go). Its own code imports
// nothing that reaches the network or the file system, and nothing it links, however
// indirectly, can talk to a socket or write RESP: replies leave it as Values, sends as
// Send, and the driver and package query turn them into bytes. (os itself is in every
// build through fmt and config, so for it only the core's own imports count.)
func TestCoreDoesNoIO(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the go command")
	}
	imports := goList(t, "-f", "{{join .Imports \"\\n\"}}", ".")
	deps := goList(t, "-deps", ".")
	// The script check and DNS are Lookups the driver runs (lookup.go).
	for _, p := range imports {
		if p == "os" || p == "net" || p == "syscall" || strings.HasPrefix(p, "os/") || p == "io/fs" {
			t.Errorf("the core imports %s", p)
		}
	}
	for _, p := range deps {
		switch {
		case p == "net", p == "net/http", p == "os/exec", p == "crypto/tls",
			strings.HasSuffix(p, "/internal/resp"), strings.HasSuffix(p, "/internal/respserver"),
			strings.Contains(p, "redcon"), strings.Contains(p, "go-redis"),
			strings.HasPrefix(p, "github.com/sentinel-go/sentinel/") && slices.Contains(
				[]string{"driver", "query", "endpoint", "transport", "script", "sim"},
				strings.TrimPrefix(p, "github.com/sentinel-go/sentinel/")):
			t.Errorf("the core links %s", p)
		}
	}
}

// goList runs go list with args (never -test: the tests may use what the core may not).
func goList(t *testing.T, args ...string) []string {
	t.Helper()
	out, err := exec.Command("go", append([]string{"list"}, args...)...).Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	return strings.Fields(string(out))
}
