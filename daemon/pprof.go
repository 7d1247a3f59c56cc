//go:build pprof

package daemon

import (
	"fmt"
	"net"
	"net/http"
	_ "net/http/pprof" // registers /debug/pprof/ on http.DefaultServeMux
	"os"
)

// PprofAddrEnv names the environment variable a binary built with `-tags pprof` reads: the
// address (host:port) to serve net/http/pprof on. The production binary has no such server
// (this file is not in it), so profiling the real daemon never changes what ships.
const PprofAddrEnv = "SENTINEL_PPROF_ADDR"

// The server starts in init, before Run, so that start-up (config load, discovery) is
// profiled too; it belongs to the process, not to one Run, and lives until the process
// exits, which is why it is outside Run's leave-nothing-behind invariant. A listen failure
// ends the process: a profiling run that silently profiles nothing wastes the run.
func init() {
	addr := os.Getenv(PprofAddrEnv)
	if addr == "" {
		return
	}
	l, err := net.Listen("tcp", addr)
	if err != nil {
		fmt.Fprintf(os.Stderr, "sentinel: %s=%s: %v\n", PprofAddrEnv, addr, err)
		os.Exit(1)
	}
	go http.Serve(l, nil) // serves until the process exits; its error has no one to go to
}
