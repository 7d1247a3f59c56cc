// Command sentinel is a Redis Sentinel replacement, meant to run from the same sentinel.conf
// as redis-sentinel.
//
// `sentinel <config> [--name value ...]` runs the daemon (package daemon), taking the same
// file and the same extra arguments as redis-sentinel. The demo is its own command,
// cmd/sentinel-demo, so this binary links no test server. The version --version prints is
// daemon.Version, set at link time
// (-ldflags "-X github.com/sentinel-go/sentinel/daemon.Version=v1.2.3").
package main

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/sentinel-go/sentinel/daemon"
	"github.com/sentinel-go/sentinel/internal/cmdline"
)

const usage = `Usage:
  sentinel /path/to/sentinel.conf [--name value ...]
                                        run as a sentinel; extra arguments are config lines
  sentinel --version                    print the version
  sentinel --healthcheck <addr|url>     GET http://<addr>/healthz: exit 0 on 200, else 1
  sentinel --help                       print this help

The demo (three sentinels over a master and two replicas: kill the master, watch the
failover) is its own command: go run ./cmd/sentinel-demo [--tls]

Flags:
`

// demoMoved is the one line `sentinel --demo` gets since the demo became its own command.
const demoMoved = "sentinel: --demo moved to its own command: go run ./cmd/sentinel-demo [--tls]"

func main() { cmdline.Main(run) }

// run is the command without the process around it; it returns the exit code.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	// redis-sentinel's form: the config file first, then "--name value..." config lines,
	// which the flag package cannot parse. A leading "--sentinel" only selects the mode.
	if len(args) > 0 && args[0] == "--sentinel" {
		args = args[1:]
	}
	if len(args) == 0 {
		return daemon.Run(ctx, "", nil, stdout, stderr) // redis-sentinel's missing-config answer
	}
	if !strings.HasPrefix(args[0], "-") {
		return daemon.Run(ctx, args[0], args[1:], stdout, stderr)
	}
	if demoFlag(args) {
		fmt.Fprintln(stderr, demoMoved)
		return 1
	}
	fs := cmdline.NewFlags("sentinel", usage, stdout, stderr)
	showVersion := fs.Bool("version", false, "print the version and exit")
	health := fs.String("healthcheck", "", "probe `addr` (the metrics-address) or a URL and exit: 0 on 200, 1 otherwise")
	if code, exit := fs.Parse(args); exit {
		return code
	}
	if *showVersion {
		fmt.Fprintln(stdout, daemon.VersionLine())
		return 0
	}
	if *health != "" {
		return healthcheck(ctx, *health, stdout, stderr)
	}
	fs.PrintUsage(stderr)
	return 1
}

// demoFlag reports whether args name one of the demo's former flags (--demo, --tls,
// --demo-duration, in any of the flag package's spellings), which would otherwise be
// reported as undefined with no hint where they went.
func demoFlag(args []string) bool {
	for _, a := range args {
		if a == "--" || !strings.HasPrefix(a, "-") {
			return false // the flag package stops here too
		}
		name, _, _ := strings.Cut(strings.TrimLeft(a, "-"), "=")
		if name == "demo" || name == "demo-duration" || name == "tls" {
			return true
		}
	}
	return false
}
