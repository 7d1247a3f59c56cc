package config

import (
	"strings"
)

// Validate checks c with the loader's own rules, as if c had been read from a file: a
// Config built or changed in code (SENTINEL SET, SENTINEL MONITOR, the YAML form) is held
// to exactly the rules and messages of sentinel.conf. Relative script paths resolve
// against Dir. The log file is not opened.
func (c *Config) Validate() error {
	l, err := newLoader(c.Path)
	if err != nil {
		return err
	}
	l.skipLogCheck = true
	if c.Dir != "" {
		l.cwd = c.Dir
	}
	if err := l.loadText(c.render(), ""); err != nil {
		return err
	}
	return l.finish()
}

// render writes c as a complete sentinel.conf, with nothing of an old file kept.
func (c *Config) render() string {
	st := &rewriteState{where: map[string][]int{}, processed: map[string]bool{}}
	c.rewriteOptions(st)
	for _, k := range sortedKeys(c.RenameCommands) {
		st.lines = append(st.lines, joinTokens("rename-command", k, c.RenameCommands[k]))
	}
	for _, u := range c.Users {
		st.lines = append(st.lines, joinTokens(append([]string{"user"}, u...)...))
	}
	for _, m := range c.Modules {
		st.lines = append(st.lines, joinTokens(append([]string{"loadmodule"}, m...)...))
	}
	if c.StatePath != "" {
		st.lines = append(st.lines, joinTokens("sentinel", "state-config-file", c.StatePath))
	}
	sentinel := &rewriteState{where: map[string][]int{}, processed: map[string]bool{}}
	c.rewriteSentinel(sentinel, true)
	return strings.Join(append(st.lines, sentinel.lines...), "\n") + "\n"
}
