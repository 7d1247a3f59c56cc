package daemon

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"testing"
)

func TestPidfile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sentinel.pid")
	// A stale, longer pidfile with its own mode: fopen "w" truncates it and keeps the mode.
	if err := os.WriteFile(path, []byte("1234567890\nstale\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := writePidfile(path); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if want := strconv.Itoa(os.Getpid()) + "\n"; string(b) != want {
		t.Errorf("pidfile holds %q, want %q", b, want)
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("mode after rewrite: %v, %v", fi.Mode(), err)
	}
	if err := removePidfile(path); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("pidfile still there: %v", err)
	}
	if err := removePidfile(path); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("second remove: %v", err)
	}
}

func TestPidfileUnwritable(t *testing.T) {
	if err := writePidfile(filepath.Join(t.TempDir(), "no", "such", "dir.pid")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("writePidfile in a missing directory: %v", err)
	}
}
