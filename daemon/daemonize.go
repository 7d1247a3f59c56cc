package daemon

import (
	"os"
	"os/exec"
	"syscall"
)

// daemonEnv marks the re-executed copy of the process as the daemon.
const daemonEnv = "SENTINEL_DAEMONIZED"

// daemonize is `daemonize yes`. Redis forks: the parent exits 0 at once and the child calls
// setsid and points its standard streams at /dev/null, keeping its working directory. A Go
// program cannot fork safely once its runtime has started threads, so the process runs
// itself again instead: the same executable, the same arguments (os.Args[0] included, so a
// mode chosen by the program's name survives), the same environment plus daemonEnv, in a new
// session, with /dev/null for its standard streams and the same working directory.
//
// In the original process it returns child=false once the copy has started (exec succeeded),
// and the caller should exit 0. Unlike Redis's parent, which exits right after fork, it exits
// only after the exec, so an executable that cannot be run is reported by the parent rather
// than failing silently. In the copy it returns child=true at once, having removed daemonEnv
// from the environment so that programs the daemon starts (notification scripts) do not
// inherit it. Call it once, before starting anything that cannot be repeated.
func daemonize() (child bool, err error) {
	if os.Getenv(daemonEnv) == "1" {
		return true, os.Unsetenv(daemonEnv)
	}
	exe, err := os.Executable()
	if err != nil {
		return false, err
	}
	return false, reexec(exe, os.Args, append(os.Environ(), daemonEnv+"=1"))
}

// reexec starts path with args (args[0] included) and env as a detached daemon and does not
// wait for it.
func reexec(path string, args, env []string) error {
	cmd := &exec.Cmd{
		Path: path,
		Args: args,
		Env:  env,
		// Nil standard streams are /dev/null, which is what Redis's daemonize dups onto 0-2.
		Stdin: nil, Stdout: nil, Stderr: nil,
		SysProcAttr: &syscall.SysProcAttr{Setsid: true},
	}
	if err := cmd.Start(); err != nil {
		return err
	}
	// The daemon is not ours to reap: the parent is about to exit and init adopts it.
	return cmd.Process.Release()
}
