package respserver

import (
	"errors"
	"fmt"
	"syscall"

	"github.com/hashicorp/go-hclog"
)

// reservedFDs is CONFIG_MIN_RESERVED_FDS: descriptors Redis keeps for itself (listeners,
// logs, persistence, links) beyond one per client.
const reservedFDs = 32

// ErrTooFewFiles is returned when the open-files limit leaves no room for a single client.
var ErrTooFewFiles = errors.New("respserver: open files limit too low")

// Note is a line Redis logs about the open-files limit, with its level.
type Note struct {
	Warning bool
	Msg     string
}

// FitOpenFiles is Redis's adjustOpenFilesLimit, apart from the system calls: with the
// soft RLIMIT_NOFILE cur, it tries to raise the limit to what maxClients needs, stepping
// down by 16 as long as set fails, and returns the maxclients that fits and the lines
// Redis logs on the way (the OS error is the last one set returned).
func FitOpenFiles(maxClients int, cur uint64, set func(uint64) error) (clients int, notes []Note, err error) {
	need := uint64(maxClients) + reservedFDs
	if cur >= need {
		return maxClients, nil, nil
	}
	best := need
	var setErr error
	for n := 0; best > cur && n < 1<<20; n++ { // bounded: each pass lowers best by 16
		err := set(best)
		if err == nil {
			break
		}
		setErr = err
		if best < 16 {
			best = cur
			break
		}
		best -= 16
	}
	best = max(best, cur)
	if best >= need {
		return maxClients, []Note{{false, fmt.Sprintf("Increased maximum number of open files to %d (it was originally set to %d).", need, cur)}}, nil
	}
	if best <= reservedFDs {
		return 0, []Note{{true, fmt.Sprintf("Your current 'ulimit -n' of %d is not enough for the server to start. Please increase your open file limit to at least %d. Exiting.", cur, need)}}, ErrTooFewFiles
	}
	clients = int(best - reservedFDs)
	reason := "unknown error"
	if setErr != nil {
		reason = setErr.Error()
	}
	return clients, []Note{
		{true, fmt.Sprintf("You requested maxclients of %d requiring at least %d max file descriptors.", maxClients, need)},
		{true, fmt.Sprintf("Server can't set maximum open files to %d because of OS error: %s.", need, capitalized(reason))},
		{true, fmt.Sprintf("Current maximum open files is %d. maxclients has been reduced to %d to compensate for low ulimit. If you need higher maxclients increase 'ulimit -n'.", best, clients)},
	}, nil
}

// capitalized is strerror's spelling of Go's errno text ("operation not permitted").
func capitalized(s string) string {
	if s == "" || s[0] < 'a' || s[0] > 'z' {
		return s
	}
	return string(s[0]-'a'+'A') + s[1:]
}

// AdjustOpenFiles applies FitOpenFiles to the process, logging Redis's lines, and returns
// the maxclients to use. A daemon calls it once at start, as Redis does.
func AdjustOpenFiles(maxClients int, log hclog.Logger) (int, error) {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		log.Warn(fmt.Sprintf("Unable to obtain the current NOFILE limit (%s), assuming 1024 and setting the max clients configuration accordingly.", capitalized(err.Error())))
		return 1024 - reservedFDs, nil
	}
	clients, notes, err := FitOpenFiles(maxClients, lim.Cur, func(n uint64) error {
		// The hard limit is raised only as far as needed, never lowered.
		return syscall.Setrlimit(syscall.RLIMIT_NOFILE, &syscall.Rlimit{Cur: n, Max: max(lim.Max, n)})
	})
	for _, n := range notes {
		if n.Warning {
			log.Warn(n.Msg)
		} else {
			log.Info(n.Msg)
		}
	}
	return clients, err
}
