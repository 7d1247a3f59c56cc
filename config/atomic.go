package config

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
)

// writeAtomic replaces path with data so that a reader (or a crash) sees either the old
// file or the new one, never a mix: a temporary file in the same directory, written and
// fsynced, renamed over path, then the directory fsynced so the rename itself is durable.
// Redis does the same but then chmods the file to 0644 &^ umask; we keep the mode of the
// file being replaced (a 0600 file full of passwords stays 0600) and use Redis's mode
// only for a new file.
func writeAtomic(path string, data []byte) (err error) {
	fail := func(e error) error { return fmt.Errorf("config: write %s: %w", path, e) }
	dir := filepath.Dir(path)
	var suffix [6]byte
	if _, err := rand.Read(suffix[:]); err != nil {
		return fail(err)
	}
	tmp := path + "." + hex.EncodeToString(suffix[:])
	// 0644 before the umask: the kernel applies it, as Redis's fchmod(0644 & ~umask) does.
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return fail(err)
	}
	defer func() {
		if err != nil {
			_ = f.Close()
			_ = os.Remove(tmp)
		}
	}()
	if _, err = f.Write(data); err != nil {
		return fail(err)
	}
	if st, statErr := os.Stat(path); statErr == nil {
		if err = f.Chmod(st.Mode().Perm()); err != nil {
			return fail(err)
		}
	}
	if err = f.Sync(); err != nil {
		return fail(err)
	}
	if err = f.Close(); err != nil {
		return fail(err)
	}
	if err = os.Rename(tmp, path); err != nil {
		return fail(err)
	}
	d, err := os.Open(dir)
	if err != nil {
		return fail(err)
	}
	defer d.Close()
	if err = d.Sync(); err != nil {
		return fail(err)
	}
	return nil
}

// CheckWritable is redis-sentinel's start-up check that it will be able to save its
// state: the file Rewrite writes must be writable (with a state file that does not exist
// yet, its directory). The error wraps ErrNotWritable and reads like Redis's log line.
func (c *Config) CheckWritable() error {
	target := c.Path
	if sp := c.statePath(); sp != "" {
		target = sp
		if _, err := os.Stat(sp); os.IsNotExist(err) {
			target = filepath.Dir(sp)
		}
	}
	if err := syscall.Access(target, 2); err != nil { // W_OK
		return fmt.Errorf("%w: Sentinel config file %s is not writable: %s", ErrNotWritable, target, strerror(err))
	}
	return nil
}
