package redislog

import (
	"fmt"
	"io"
	"os"
)

// Open returns the writer for Redis's logfile directive: "" is standard output; any other
// path is a file appended to, which must be openable now (Redis refuses to start otherwise).
//
// Like Redis, the writer opens the file for every line and closes it after, rather than
// holding it open and reopening on SIGHUP: a rotated or deleted log is recreated at the next
// line with no signal to send, so logrotate setups made for redis-sentinel (which use no
// copytruncate and no postrotate signal) keep working. Sentinels log a few lines a second
// at most, so the cost of an open per line does not matter. Each line is one append-mode
// write, which the kernel does not interleave with other appenders.
func Open(path string) (io.Writer, error) {
	if path == "" {
		return os.Stdout, nil
	}
	w := fileWriter(path)
	f, err := w.open()
	if err != nil {
		return nil, fmt.Errorf("redislog: can't open the log file: %w", err)
	}
	if err := f.Close(); err != nil {
		return nil, fmt.Errorf("redislog: %w", err)
	}
	return w, nil
}

type fileWriter string

// open uses fopen(path, "a")'s flags and mode, so the file gets the permissions Redis's
// would under the same umask.
func (w fileWriter) open() (*os.File, error) {
	return os.OpenFile(string(w), os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o666)
}

func (w fileWriter) Write(p []byte) (int, error) {
	f, err := w.open()
	if err != nil {
		return 0, err
	}
	n, err := f.Write(p)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return n, err
}
