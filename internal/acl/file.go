package acl

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
)

// FileError is ACLLoadFromFile's error: every problem found, in Redis's words, on one line.
type FileError string

func (e FileError) Error() string { return string(e) }

// ParseFile is ACLLoadFromFile on the text of the file named name: a new table, with t's
// commands and acl-pubsub-default, or every problem found. Each line is blank or
// `user <name> <rules...>`, split on single spaces (not sdssplitargs); a file without a
// default user gets Redis's initial one.
func (t *Users) ParseFile(name, text string) (*Users, error) {
	cmds := t.cmds
	t = &Users{cmds: cmds, pubsubAll: t.pubsubAll, users: map[string]*User{}}
	var errs strings.Builder
	for i, line := range strings.Split(text, "\n") {
		num := i + 1
		line = strings.Trim(line, " \t\r\n")
		if line == "" {
			continue
		}
		argv := strings.Split(line, " ")
		if argv[0] != "user" || len(argv) < 2 {
			fmt.Fprintf(&errs, "%s:%d should start with user keyword followed by the username. ", name, num)
			continue
		}
		if !ValidName(argv[1]) {
			// The leading quote is Redis's.
			fmt.Fprintf(&errs, "'%s:%d: username '%s' contains invalid characters. ", name, num, argv[1])
			continue
		}
		if t.users[argv[1]] != nil {
			fmt.Fprintf(&errs, "WARNING: Duplicate user '%s' found on line %d. ", argv[1], num)
			continue
		}
		u := t.newUser(argv[1])
		t.users[argv[1]] = u
		rules, open := MergeSelectors(argv[2:])
		if open >= 0 {
			fmt.Fprintf(&errs, "%s:%d: Unmatched parenthesis in selector definition.", name, num)
			continue
		}
		// Unknown names are all reported; of the other errors only the first, since it
		// may cause the next ones.
		syntaxErr := false
		for _, r := range rules {
			r = strings.Trim(r, "\t\r\n")
			err := u.Set(r)
			switch {
			case err == nil:
			case err == ErrUnknown:
				fmt.Fprintf(&errs, "%s:%d: Error in applying operation '%s': %s. ", name, num, r, err)
			case !syntaxErr:
				fmt.Fprintf(&errs, "%s:%d: %s. ", name, num, err)
				syntaxErr = true
			}
		}
	}
	if errs.Len() > 0 {
		errs.WriteString("WARNING: ACL errors detected, no change to the previously active ACL rules was performed")
		return nil, FileError(errs.String())
	}
	if t.users["default"] == nil {
		t.users["default"] = NewDefaultUser(cmds)
	}
	return t, nil
}

// ReadFile reads and parses an aclfile, as ParseFile. Only opening can fail: like
// Redis's fgets loop, a read error ends the text (a directory reads as empty).
func (t *Users) ReadFile(path string) (*Users, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, FileError(fmt.Sprintf("Error loading ACLs, opening file '%s': %s", path, strerror(err)))
	}
	defer f.Close()
	b, _ := io.ReadAll(f)
	return t.ParseFile(path, cText(b))
}

// cText is the file as Redis holds it after reading it with fgets into a 1024-byte buffer
// and appending each piece with sdscat: every piece (a line, or 1023 bytes of a longer
// one) ends at its first NUL.
func cText(b []byte) string {
	var out strings.Builder
	for len(b) > 0 {
		n := bytes.IndexByte(b, '\n') + 1
		if n == 0 || n > 1023 {
			n = min(len(b), 1023)
		}
		piece := b[:n]
		if i := bytes.IndexByte(piece, 0); i >= 0 {
			piece = piece[:i]
		}
		out.Write(piece)
		b = b[n:]
	}
	return out.String()
}

// strerror is the C library's text for an open error, as Redis prints it: Go's errno
// texts are strerror's with a lower-case first letter.
func strerror(err error) string {
	var pe *os.PathError
	var le *os.LinkError
	switch {
	case errors.As(err, &pe):
		err = pe.Err
	case errors.As(err, &le):
		err = le.Err
	}
	s := err.Error()
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// WriteFile is ACLSaveToFile: the lines to a temporary file beside path, synced, renamed
// over path, the directory synced, so a crash leaves the old file or the new one. The
// error is the line Redis logs for the step that failed.
func WriteFile(path string, lines []string) error {
	var b strings.Builder
	for _, l := range lines {
		b.WriteString(l + "\n")
	}
	step := func(what string, err error) error {
		return fmt.Errorf("%s for ACL SAVE: %s", what, strerror(err))
	}
	tmp := fmt.Sprintf("%s.tmp-%d", path, os.Getpid())
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return step("Opening temp ACL file", err)
	}
	defer os.Remove(tmp) // fails harmlessly after the rename
	if _, err := f.WriteString(b.String()); err != nil {
		f.Close()
		return step("Writing ACL file", err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return step("Syncing ACL file", err)
	}
	if err := f.Close(); err != nil {
		return step("Writing ACL file", err)
	}
	// rename(2) itself: os.Rename refuses a directory target before asking the kernel,
	// with another errno than Redis reports.
	if err := syscall.Rename(tmp, path); err != nil {
		return step("Renaming ACL file", err)
	}
	d, err := os.Open(filepath.Dir(path))
	if err == nil {
		err = d.Sync()
		d.Close()
	}
	if err != nil {
		return step("Syncing ACL directory", err)
	}
	return nil
}
