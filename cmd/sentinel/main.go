// Command sentinel is a Redis Sentinel replacement, meant to run from the same sentinel.conf
// as redis-sentinel.
//
// `sentinel <config> [--name value ...]` runs the daemon, taking the same file and the same
// extra arguments as redis-sentinel. --demo runs a live topology on embedded instances.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime"
	"runtime/debug"
	"strings"
	"syscall"
)

// version is set at link time (-ldflags "-X main.version=v1.2.3"); otherwise the module
// version from the build info is shown.
var version = ""

const usage = `Usage:
  sentinel /path/to/sentinel.conf [--name value ...]
                                        run as a sentinel; extra arguments are config lines
  sentinel --demo [--tls] [--demo-duration D]
                                        three sentinels over a master and two replicas: kill the master, watch the failover
  sentinel --version                    print the version
  sentinel --help                       print this help

Flags:
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run is the command without the process around it; it returns the exit code.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	// redis-sentinel's form: the config file first, then "--name value..." config lines,
	// which the flag package cannot parse. A leading "--sentinel" only selects the mode.
	if len(args) > 0 && args[0] == "--sentinel" {
		args = args[1:]
	}
	if len(args) == 0 {
		// redis-sentinel's answer to a missing config file, word for word.
		early(stdout).Warn("Sentinel needs config file on disk to save state. Exiting...")
		return 1
	}
	if !strings.HasPrefix(args[0], "-") {
		return runSentinel(ctx, args[0], args[1:], stdout, stderr)
	}
	fs := flag.NewFlagSet("sentinel", flag.ContinueOnError)
	fs.SetOutput(stderr)
	demo := fs.Bool("demo", false, "run the failover demo on embedded instances")
	demoDuration := fs.Duration("demo-duration", 0, "stop the demo after this long at most (0: when the story is told)")
	demoTLS := fs.Bool("tls", false, "with --demo: everything over TLS only, with a CA and certificate made at start")
	showVersion := fs.Bool("version", false, "print the version and exit")
	help := fs.Bool("help", false, "print this help and exit")
	fs.BoolVar(help, "h", false, "print this help and exit")
	printUsage := func(w io.Writer) {
		fmt.Fprint(w, usage)
		fs.SetOutput(w)
		fs.PrintDefaults()
		fs.SetOutput(stderr)
	}
	fs.Usage = func() { printUsage(stderr) }
	if err := fs.Parse(args); err != nil {
		return 2
	}
	switch {
	case *help:
		printUsage(stdout)
		return 0
	case *showVersion:
		fmt.Fprintln(stdout, versionLine())
		return 0
	case *demo:
		if fs.NArg() > 0 {
			fmt.Fprintln(stderr, "sentinel: --demo takes no config file")
			return 1
		}
		if *demoDuration > 0 {
			var cancel context.CancelFunc
			ctx, cancel = context.WithTimeout(ctx, *demoDuration)
			defer cancel()
		}
		if err := runDemo(ctx, stdout, demoOptions{Logger: demoLogger(stderr), TLS: *demoTLS}); err != nil {
			fmt.Fprintln(stderr, "sentinel: demo:", err)
			return 1
		}
		return 0
	default:
		printUsage(stderr)
		return 1
	}
}

func versionLine() string {
	v := version
	if v == "" {
		v = "(devel)"
		if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" {
			v = bi.Main.Version
		}
	}
	return fmt.Sprintf("sentinel %s %s %s/%s", v, runtime.Version(), runtime.GOOS, runtime.GOARCH)
}
