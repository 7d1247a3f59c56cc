// Command sentinel-demo tells the story the sentinel exists for, on embedded instances and
// free loopback ports: a master with two replicas (e2e/redistest), three of our sentinels
// watching it (each a full daemon.Run in this process, with its own config file), and a
// go-redis FailoverClient writing through them; it kills the master, prints the failover as
// the sentinels publish it, and shows the old master rejoin as a replica.
//
// It is a command of its own so that the production binary, cmd/sentinel, links no test
// server.
//
//	go run ./cmd/sentinel-demo [--tls] [--duration D]
package main

import (
	"context"
	"fmt"
	"io"

	"github.com/sentinel-go/sentinel/internal/cmdline"
)

const usage = `Usage:
  sentinel-demo [--tls] [--duration D]
                  three sentinels over a master and two replicas: kill the master, watch the failover

Flags:
`

func main() { cmdline.Main(run) }

// run is the command without the process around it; it returns the exit code.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := cmdline.NewFlags("sentinel-demo", usage, stdout, stderr)
	duration := fs.Duration("duration", 0, "stop the demo after this long at most (0: when the story is told)")
	useTLS := fs.Bool("tls", false, "everything over TLS only, with a CA and certificate made at start")
	if code, exit := fs.Parse(args); exit {
		return code
	}
	if fs.NArg() > 0 {
		fmt.Fprintln(stderr, "sentinel-demo: takes no config file: each sentinel gets its own, made for the run")
		return 1
	}
	if *duration > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, *duration)
		defer cancel()
	}
	if err := runDemo(ctx, stdout, demoOptions{Logger: demoLogger(stderr), TLS: *useTLS}); err != nil {
		fmt.Fprintln(stderr, "sentinel-demo:", err)
		return 1
	}
	return 0
}
