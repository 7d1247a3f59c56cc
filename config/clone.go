package config

import "maps"

// Clone returns a deep copy: the daemon hands snapshots of its state to the goroutine
// that writes the file, and neither may see the other's later changes.
func (c *Config) Clone() *Config {
	if c == nil {
		return nil
	}
	n := *c
	n.Bind = cloneSlice(c.Bind)
	n.Users = cloneWords(c.Users)
	n.Modules = cloneWords(c.Modules)
	n.RenameCommands = maps.Clone(c.RenameCommands)
	n.Options = make(map[string][]string, len(c.Options))
	for k, v := range c.Options {
		n.Options[k] = cloneSlice(v)
	}
	n.declared = maps.Clone(c.declared)
	n.Masters = make([]*Master, len(c.Masters))
	for i, m := range c.Masters {
		n.Masters[i] = m.Clone()
	}
	if c.Masters == nil {
		n.Masters = nil
	}
	return &n
}

// Clone returns a deep copy of m.
func (m *Master) Clone() *Master {
	if m == nil {
		return nil
	}
	n := *m
	n.RenameCommands = maps.Clone(m.RenameCommands)
	n.renameSpelling = maps.Clone(m.renameSpelling)
	n.KnownReplicas = cloneSlice(m.KnownReplicas)
	n.KnownSentinels = cloneSlice(m.KnownSentinels)
	return &n
}

func cloneSlice[T any](s []T) []T {
	if s == nil {
		return nil
	}
	return append(make([]T, 0, len(s)), s...)
}

func cloneWords(w [][]string) [][]string {
	if w == nil {
		return nil
	}
	out := make([][]string, len(w))
	for i, l := range w {
		out[i] = cloneSlice(l)
	}
	return out
}
