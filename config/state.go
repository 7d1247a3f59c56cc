package config

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// The state file holds what a sentinel learns at run time (its ID, the epochs, its votes,
// the replicas and sentinels it discovered, the addresses masters moved to) apart from the
// configuration a person writes. With one, Rewrite never touches the main file, so that
// file may be read-only (a Kubernetes ConfigMap) or YAML. It uses the sentinel.conf
// grammar and is always written whole.

const stateHeader = "# Sentinel state, rewritten as a whole by the sentinel: do not edit.\n" +
	"# The configuration is in %s; what is here overrides it.\n"

// statePath is where the state goes: state-config-file (relative to the main file's
// directory), else <path>.state for a YAML config, else nowhere (the main file is
// rewritten in place).
func (c *Config) statePath() string {
	switch {
	case c.StatePath != "":
		if filepath.IsAbs(c.StatePath) {
			return c.StatePath
		}
		return filepath.Join(filepath.Dir(c.Path), c.StatePath)
	case isYAML(c.Path):
		return c.Path + ".state"
	}
	return ""
}

// StateFile returns the path of the state file Rewrite writes, or "" when Rewrite
// rewrites the main file in place.
func (c *Config) StateFile() string { return c.statePath() }

// writeState writes the state file. A master the main file does not declare (added with
// SENTINEL MONITOR) is written in full; for the others only what changes at run time.
func (c *Config) writeState(path string) error {
	var lines []string
	line := func(key string, _ bool, words ...string) {
		lines = append(lines, "sentinel "+key+" "+joinTokens(words...))
	}
	if c.MyID != "" {
		line("myid", true, c.MyID)
	}
	line("current-epoch", true, strconv.FormatUint(c.CurrentEpoch, 10))
	for _, m := range c.Masters {
		base, declared := c.declared[m.Name]
		if !declared {
			c.rewriteMaster(m, line, true)
			continue
		}
		if base.Host != m.Host || base.Port != m.Port {
			line("monitor", true, m.Name, m.Host, strconv.Itoa(m.Port), strconv.Itoa(m.Quorum))
		}
		line("config-epoch", true, m.Name, strconv.FormatUint(m.ConfigEpoch, 10))
		line("leader-epoch", true, m.Name, strconv.FormatUint(m.LeaderEpoch, 10))
		if m.Leader != "" {
			line("leader", true, m.Name, m.Leader)
		}
		// Even 0 (cleared by SENTINEL RESET): a peak the main file declares must not come
		// back at the next start.
		if m.PeakSentinels != 0 || m.ForgetAfter != 0 {
			line("peak-sentinels", true, m.Name, strconv.Itoa(m.PeakSentinels))
		}
		for _, r := range m.KnownReplicas {
			line("known-replica", true, m.Name, r.Host, strconv.Itoa(r.Port))
		}
		for _, s := range m.KnownSentinels {
			line("known-sentinel", true, m.Name, s.Host, strconv.Itoa(s.Port), s.RunID)
		}
	}
	text := fmt.Sprintf(stateHeader, c.Path) + strings.Join(lines, "\n") + "\n"
	return writeAtomic(path, []byte(text))
}

// snapshotDeclared remembers the masters of the main configuration, which the state file
// is written against.
func (c *Config) snapshotDeclared() {
	c.declared = make(map[string]Addr, len(c.Masters))
	for _, m := range c.Masters {
		c.declared[m.Name] = Addr{Host: m.Host, Port: m.Port}
	}
}

// loadState reads the state file over the loaded configuration, if there is one.
func (l *loader) loadState() error {
	l.c.snapshotDeclared()
	path := l.c.statePath()
	if path == "" {
		return nil
	}
	if filepath.Clean(path) == filepath.Clean(l.c.Path) {
		return fmt.Errorf("config: state-config-file %s is the config file itself", path)
	}
	st, err := os.Stat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err == nil && !st.Mode().IsRegular() {
		// Never read a device or a FIFO: /dev/zero would never end.
		err = fmt.Errorf("%s is not a regular file", path)
	}
	if err != nil {
		return fmt.Errorf("config: state file: %w", err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("config: state file: %w", err)
	}
	l.stateLines = true
	l.stateSeen = map[string]bool{}
	if err := l.loadText(string(data), path); err != nil {
		return err
	}
	return l.finish()
}

// stateMaster resolves a master named by a state file line: a master the main file no
// longer declares is skipped (nil, no error), and the first line about a master drops the
// replicas and sentinels the main file listed, since the state has the current lists.
func (l *loader) stateMaster(name string) *Master {
	m := l.masters[name]
	if m != nil && !l.stateSeen[name] {
		l.stateSeen[name] = true
		m.KnownReplicas, m.KnownSentinels = nil, nil
	}
	return m
}
