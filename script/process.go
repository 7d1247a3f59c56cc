package script

import (
	"errors"
	"fmt"
	"os"
	"syscall"
)

// Exit is how a process ended, as Redis reads it from waitpid: Code is WEXITSTATUS (0 when
// killed), Signal is WTERMSIG (0 when it exited).
type Exit struct {
	Code   int
	Signal int
}

// Process is a started script.
type Process interface {
	Pid() int
	// Done delivers the process's Exit once it has terminated. It must deliver even if
	// nobody ever receives (a buffer of one), so a waiter never outlives the process.
	Done() <-chan Exit
	// Kill sends SIGKILL. Killing a process that already ended is harmless.
	Kill() error
}

// ErrFork marks a start error as "no process was created" (Redis's fork failure), which
// Redis reports as "-script-error <path> 99 0" and retries at the next round. Any other
// start error is taken as a failed exec, which in Redis is a child exiting with code 2.
var ErrFork = errors.New("script: fork failed")

// Exec starts argv[0] with argv as its arguments, without a shell and without a PATH
// lookup, with the sentinel's environment and standard streams: what Redis's fork + execve
// gives a script.
func Exec(argv []string) (Process, error) {
	p, err := os.StartProcess(argv[0], argv, &os.ProcAttr{
		Files: []*os.File{os.Stdin, os.Stdout, os.Stderr},
	})
	if err != nil {
		// Go forks and execs in one call; only these errnos mean the child never existed.
		// ENOMEM may also come from execve, but both mean "try again later".
		if errors.Is(err, syscall.EAGAIN) || errors.Is(err, syscall.ENOMEM) {
			return nil, fmt.Errorf("%w: %w", ErrFork, err)
		}
		return nil, err
	}
	op := &osProcess{p: p, done: make(chan Exit, 1)}
	go op.wait()
	return op, nil
}

type osProcess struct {
	p    *os.Process
	done chan Exit
}

func (o *osProcess) Pid() int          { return o.p.Pid }
func (o *osProcess) Done() <-chan Exit { return o.done }

func (o *osProcess) Kill() error {
	if err := o.p.Kill(); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return err
	}
	return nil
}

func (o *osProcess) wait() {
	st, err := o.p.Wait()
	if err != nil {
		// Only possible if someone else reaped our child; report it as a final failure
		// rather than retrying a script whose outcome is unknown.
		o.done <- Exit{Code: 2}
		return
	}
	o.done <- exitOf(st)
}

func exitOf(st *os.ProcessState) Exit {
	ws, ok := st.Sys().(syscall.WaitStatus)
	if !ok {
		return Exit{Code: st.ExitCode()}
	}
	if ws.Signaled() {
		return Exit{Signal: int(ws.Signal())}
	}
	return Exit{Code: ws.ExitStatus()}
}
