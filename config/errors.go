package config

import (
	"errors"
	"fmt"
	"strings"
)

// RedisVersion is the version redis-sentinel names in its fatal config error banner; we
// print the same banner so scripts that grep for it keep working.
const RedisVersion = "7.0.15"

var (
	// ErrNoFile is returned by Load without a path: a sentinel must be able to save its state.
	ErrNoFile = errors.New("config: Sentinel needs config file on disk to save state")
	// ErrNotWritable wraps the reason the config file (or the state file) cannot be written.
	ErrNotWritable = errors.New("config: file is not writable")
	// ErrNoPath is returned by Rewrite on a Config that was not loaded from a file.
	ErrNoPath = errors.New("config: no config file to rewrite")
)

// LineError is a configuration error that redis-sentinel reports as a FATAL CONFIG FILE
// ERROR. Line counts from 1 over the file followed by the command-line options; 0 means the
// error belongs to no line (Redis's log file check). For YAML files Line is the YAML line.
type LineError struct {
	Line   int
	Text   string // the offending line, trimmed, as Redis prints it between '>>> ' quotes
	Reason string // Redis's message, verbatim
	File   string // the file being read when it is not the main config (include, state, YAML)
	// Unresolved is the hostname that could not be resolved, when that is the error: Redis
	// logs "Failed to resolve hostname '<host>'" before the fatal block.
	Unresolved string
}

// Report returns the block redis-sentinel writes to stderr before exiting with status 1.
func (e *LineError) Report() string {
	var b strings.Builder
	fmt.Fprintf(&b, "\n*** FATAL CONFIG FILE ERROR (Redis %s) ***\n", RedisVersion)
	if e.Line > 0 {
		fmt.Fprintf(&b, "Reading the configuration file, at line %d\n", e.Line)
		fmt.Fprintf(&b, ">>> '%s'\n", e.Text)
	}
	b.WriteString(e.Reason)
	b.WriteByte('\n')
	return b.String()
}

func (e *LineError) Error() string {
	where := "config: "
	if e.File != "" {
		where += e.File + ": "
	}
	if e.Line > 0 {
		return fmt.Sprintf("%sline %d: %s", where, e.Line, e.Reason)
	}
	return where + e.Reason
}

// OpenError is a config file (the main one or an include) that cannot be read. Redis logs it
// as "Fatal error, can't open config file '<path>': <strerror>" and exits with status 1.
type OpenError struct {
	Path string
	Err  error
}

func (e *OpenError) Error() string {
	return fmt.Sprintf("config: can't open config file '%s': %v", e.Path, e.Err)
}

func (e *OpenError) Unwrap() error { return e.Err }

// Strerror is the C library's text for the cause, as Redis prints it ("No such file or
// directory").
func (e *OpenError) Strerror() string { return strerror(e.Err) }
