package redislog

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
)

func TestOpenReopensEveryLine(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "sentinel.log")
	if err := os.WriteFile(path, []byte("old\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	w, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	l := New(Options{Output: w, Pid: 1, Now: clock})
	l.Info("first")
	// logrotate's default: rename the file away; the next line must start a new one.
	if err := os.Rename(path, path+".1"); err != nil {
		t.Fatal(err)
	}
	l.Info("second")
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	l.Info("third")

	read := func(p string) string {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	if got, want := read(path+".1"), "old\n1:X 26 Nov 2026 18:33:01.834 * first\n"; got != want {
		t.Errorf("rotated file %q, want %q", got, want)
	}
	if got, want := read(path), "1:X 26 Nov 2026 18:33:01.834 * third\n"; got != want {
		t.Errorf("current file %q, want %q", got, want)
	}
}

func TestOpenErrors(t *testing.T) {
	dir := t.TempDir()
	if _, err := Open(filepath.Join(dir, "missing", "x.log")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Open in a missing directory: %v", err)
	}
	path := filepath.Join(dir, "x.log")
	w, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path); err != nil {
		t.Errorf("Open did not create the file: %v", err)
	}
	// The directory goes away: the line is lost and Write says why, as fopen would fail.
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write([]byte("x\n")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Write after the directory vanished: %v", err)
	}
}

func TestOpenStdout(t *testing.T) {
	w, err := Open("")
	if err != nil || w != os.Stdout {
		t.Errorf("Open(\"\") = %v, %v; want os.Stdout", w, err)
	}
}
