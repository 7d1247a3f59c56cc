package daemon

import (
	"os"
	"strconv"
)

// writePidfile writes "<pid>\n" to path the way Redis's createPidFile does: fopen(path, "w"),
// so an existing file is truncated in place (keeping its owner and mode) and a new one gets
// 0666 less the umask. Redis treats a failure as a warning ("Failed to write PID file: ..."),
// not a reason to stop; the caller decides.
func writePidfile(path string) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o666)
	if err != nil {
		return err
	}
	_, err = f.Write(strconv.AppendInt(nil, int64(os.Getpid()), 10))
	if err == nil {
		_, err = f.Write([]byte{'\n'})
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// removePidfile deletes the pidfile at shutdown. Redis ignores a failure here (the file may
// already be gone), so callers may too.
func removePidfile(path string) error {
	return os.Remove(path)
}
