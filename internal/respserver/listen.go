package respserver

import (
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
)

// ListenUnix listens on a unix socket as Redis's unixsocket and unixsocketperm do: a
// stale socket file left by an earlier run is removed first, and the socket gets perm
// (0 keeps what the umask gives). The file is removed when the listener closes. Anything
// at path that is not a socket is left alone, and the listen fails.
func ListenUnix(path string, perm fs.FileMode) (net.Listener, error) {
	if fi, err := os.Lstat(path); err == nil && fi.Mode()&fs.ModeSocket != 0 {
		if err := os.Remove(path); err != nil {
			return nil, fmt.Errorf("respserver: removing stale unix socket: %w", err)
		}
	} else if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("respserver: unix socket %s: %w", path, err)
	}
	l, err := net.Listen("unix", path)
	if err != nil {
		return nil, fmt.Errorf("respserver: opening Unix socket: %w", err)
	}
	if perm != 0 {
		if err := os.Chmod(path, perm); err != nil {
			l.Close()
			return nil, fmt.Errorf("respserver: unixsocketperm: %w", err)
		}
	}
	return l, nil
}
