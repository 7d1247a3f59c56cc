package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"
)

// The YAML form is the same model under a friendlier shape. It is turned into the
// directives a sentinel.conf would hold, each tagged with its YAML line, and those run
// through the same loader: one set of rules and messages for both forms. Every field is a
// yaml.Node so that values keep their line and booleans may be written yes/no or
// true/false alike.

type yamlFile struct {
	Port           yaml.Node            `yaml:"port"`
	Bind           yaml.Node            `yaml:"bind"`
	ProtectedMode  yaml.Node            `yaml:"protected-mode"`
	Daemonize      yaml.Node            `yaml:"daemonize"`
	Supervised     yaml.Node            `yaml:"supervised"`
	Pidfile        yaml.Node            `yaml:"pidfile"`
	Logfile        yaml.Node            `yaml:"logfile"`
	LogLevel       yaml.Node            `yaml:"loglevel"`
	LogFormat      yaml.Node            `yaml:"logformat"`
	Dir            yaml.Node            `yaml:"dir"`
	RequirePass    yaml.Node            `yaml:"requirepass"`
	BindSourceAddr yaml.Node            `yaml:"bind-source-addr"`
	Users          []yamlUser           `yaml:"users"`
	RenameCommand  map[string]yaml.Node `yaml:"rename-command"`
	Options        map[string]yaml.Node `yaml:"options"`
	Sentinel       *yamlSentinel        `yaml:"sentinel"`
}

type yamlUser struct {
	Name  yaml.Node `yaml:"name"`
	Rules yaml.Node `yaml:"rules"`
}

type yamlSentinel struct {
	MyID                yaml.Node    `yaml:"myid"`
	CurrentEpoch        yaml.Node    `yaml:"current-epoch"`
	AnnounceIP          yaml.Node    `yaml:"announce-ip"`
	AnnouncePort        yaml.Node    `yaml:"announce-port"`
	AnnounceHostnames   yaml.Node    `yaml:"announce-hostnames"`
	ResolveHostnames    yaml.Node    `yaml:"resolve-hostnames"`
	FastRetry           yaml.Node    `yaml:"fast-retry"`
	MinorityRefuses     yaml.Node    `yaml:"minority-refuses"`
	ProtectEmptyRestart yaml.Node    `yaml:"protect-empty-restart"`
	DenyScriptsReconfig yaml.Node    `yaml:"deny-scripts-reconfig"`
	SentinelUser        yaml.Node    `yaml:"sentinel-user"`
	SentinelPass        yaml.Node    `yaml:"sentinel-pass"`
	StateConfigFile     yaml.Node    `yaml:"state-config-file"`
	Masters             []yamlMaster `yaml:"masters"`
}

type yamlMaster struct {
	Name                 yaml.Node            `yaml:"name"`
	Host                 yaml.Node            `yaml:"host"`
	Port                 yaml.Node            `yaml:"port"`
	Quorum               yaml.Node            `yaml:"quorum"`
	DownAfter            yaml.Node            `yaml:"down-after-milliseconds"`
	FailoverTimeout      yaml.Node            `yaml:"failover-timeout"`
	ParallelSyncs        yaml.Node            `yaml:"parallel-syncs"`
	RebootDownAfter      yaml.Node            `yaml:"master-reboot-down-after-period"`
	NotificationScript   yaml.Node            `yaml:"notification-script"`
	ClientReconfigScript yaml.Node            `yaml:"client-reconfig-script"`
	AuthPass             yaml.Node            `yaml:"auth-pass"`
	AuthUser             yaml.Node            `yaml:"auth-user"`
	RenameCommand        map[string]yaml.Node `yaml:"rename-command"`
	ConfigEpoch          yaml.Node            `yaml:"config-epoch"`
	LeaderEpoch          yaml.Node            `yaml:"leader-epoch"`
	KnownReplicas        []yamlAddr           `yaml:"known-replicas"`
	KnownSentinels       []yamlAddr           `yaml:"known-sentinels"`
}

type yamlAddr struct {
	Host  yaml.Node `yaml:"host"`
	Port  yaml.Node `yaml:"port"`
	RunID yaml.Node `yaml:"runid"`
}

// yamlDirective is one directive built from the YAML, with the YAML line it comes from.
type yamlDirective struct {
	line int
	args []string
}

func loadYAML(path string, extra []string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, &OpenError{Path: path, Err: errors.Unwrap(err)}
	}
	var f yamlFile
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&f); err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("config: %s: %w", path, err)
	}
	dirs, err := f.directives()
	if err != nil {
		return nil, fmt.Errorf("config: %s: %w", path, err)
	}
	l, err := newLoader(path)
	if err != nil {
		return nil, err
	}
	for _, d := range dirs {
		if err := l.directive(d.args, d.line, joinTokens(d.args...), path); err != nil {
			return nil, err
		}
	}
	if err := l.checkLogfile(path); err != nil {
		return nil, err
	}
	// Command-line options count after the YAML's lines, as they do after a file's.
	lines := strings.Count(string(data), "\n") + 1
	if err := l.loadText(strings.Repeat("\n", lines)+optionsText(extra), ""); err != nil {
		return nil, err
	}
	return l.complete()
}

// scalar reads a YAML scalar as a directive word; booleans in any YAML spelling become
// yes/no, which is what the directives take.
func scalar(n *yaml.Node) (string, error) {
	if n.Kind != yaml.ScalarNode {
		return "", fmt.Errorf("line %d: expected a single value", n.Line)
	}
	if n.Tag == "!!null" {
		return "", nil
	}
	if n.Tag == "!!bool" {
		switch strings.ToLower(n.Value) {
		case "true", "yes", "on", "y":
			return "yes", nil
		default:
			return "no", nil
		}
	}
	return n.Value, nil
}

// words reads a scalar or a list of scalars.
func words(n *yaml.Node) ([]string, error) {
	if n.Kind == yaml.SequenceNode {
		out := make([]string, 0, len(n.Content))
		for _, c := range n.Content {
			w, err := scalar(c)
			if err != nil {
				return nil, err
			}
			out = append(out, w)
		}
		return out, nil
	}
	w, err := scalar(n)
	return []string{w}, err
}

type dirBuilder struct {
	out []yamlDirective
	err error
}

// add appends a directive whose last word is the node's value (or values, for lists).
func (b *dirBuilder) add(n *yaml.Node, lead ...string) {
	if n == nil || n.Kind == 0 || b.err != nil {
		return
	}
	ws, err := words(n)
	if err != nil {
		b.err = err
		return
	}
	b.out = append(b.out, yamlDirective{line: n.Line, args: append(append([]string{}, lead...), ws...)})
}

func sortedNodeKeys(m map[string]yaml.Node) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func (f *yamlFile) directives() ([]yamlDirective, error) {
	b := &dirBuilder{}
	b.add(&f.Port, "port")
	b.add(&f.Bind, "bind")
	b.add(&f.ProtectedMode, "protected-mode")
	b.add(&f.Daemonize, "daemonize")
	b.add(&f.Supervised, "supervised")
	b.add(&f.Pidfile, "pidfile")
	b.add(&f.Dir, "dir")
	b.add(&f.Logfile, "logfile")
	b.add(&f.LogLevel, "loglevel")
	b.add(&f.LogFormat, "logformat")
	b.add(&f.RequirePass, "requirepass")
	b.add(&f.BindSourceAddr, "bind-source-addr")
	for _, k := range sortedNodeKeys(f.Options) {
		opt := f.Options[k]
		b.add(&opt, k)
	}
	for _, k := range sortedNodeKeys(f.RenameCommand) {
		rn := f.RenameCommand[k]
		b.add(&rn, "rename-command", k)
	}
	for _, u := range f.Users {
		if u.Name.Kind == 0 {
			return nil, errors.New("a user needs a name")
		}
		name, err := scalar(&u.Name)
		if err != nil {
			return nil, err
		}
		if u.Rules.Kind == 0 {
			b.out = append(b.out, yamlDirective{line: u.Name.Line, args: []string{"user", name}})
			continue
		}
		b.add(&u.Rules, "user", name)
	}
	if s := f.Sentinel; s != nil {
		b.add(&s.MyID, "sentinel", "myid")
		b.add(&s.CurrentEpoch, "sentinel", "current-epoch")
		b.add(&s.AnnounceIP, "sentinel", "announce-ip")
		b.add(&s.AnnouncePort, "sentinel", "announce-port")
		b.add(&s.AnnounceHostnames, "sentinel", "announce-hostnames")
		b.add(&s.ResolveHostnames, "sentinel", "resolve-hostnames")
		b.add(&s.FastRetry, "sentinel", "fast-retry")
		b.add(&s.MinorityRefuses, "sentinel", "minority-refuses")
		b.add(&s.ProtectEmptyRestart, "sentinel", "protect-empty-restart")
		b.add(&s.DenyScriptsReconfig, "sentinel", "deny-scripts-reconfig")
		b.add(&s.SentinelUser, "sentinel", "sentinel-user")
		b.add(&s.SentinelPass, "sentinel", "sentinel-pass")
		b.add(&s.StateConfigFile, "sentinel", "state-config-file")
		for i := range s.Masters {
			if err := s.Masters[i].directives(b); err != nil {
				return nil, err
			}
		}
	}
	return b.out, b.err
}

func (m *yamlMaster) directives(b *dirBuilder) error {
	for _, req := range []struct {
		n    *yaml.Node
		name string
	}{{&m.Name, "name"}, {&m.Host, "host"}, {&m.Port, "port"}, {&m.Quorum, "quorum"}} {
		if req.n.Kind == 0 {
			return fmt.Errorf("a master needs %s (every master has name, host, port and quorum)", req.name)
		}
	}
	words := make([]string, 0, 4)
	for _, n := range []*yaml.Node{&m.Name, &m.Host, &m.Port, &m.Quorum} {
		w, err := scalar(n)
		if err != nil {
			return err
		}
		words = append(words, w)
	}
	name := words[0]
	b.out = append(b.out, yamlDirective{line: m.Name.Line, args: append([]string{"sentinel", "monitor"}, words...)})
	b.add(&m.DownAfter, "sentinel", "down-after-milliseconds", name)
	b.add(&m.FailoverTimeout, "sentinel", "failover-timeout", name)
	b.add(&m.ParallelSyncs, "sentinel", "parallel-syncs", name)
	b.add(&m.RebootDownAfter, "sentinel", "master-reboot-down-after-period", name)
	b.add(&m.NotificationScript, "sentinel", "notification-script", name)
	b.add(&m.ClientReconfigScript, "sentinel", "client-reconfig-script", name)
	b.add(&m.AuthPass, "sentinel", "auth-pass", name)
	b.add(&m.AuthUser, "sentinel", "auth-user", name)
	for _, k := range sortedNodeKeys(m.RenameCommand) {
		rn := m.RenameCommand[k]
		b.add(&rn, "sentinel", "rename-command", name, k)
	}
	b.add(&m.ConfigEpoch, "sentinel", "config-epoch", name)
	b.add(&m.LeaderEpoch, "sentinel", "leader-epoch", name)
	for _, r := range m.KnownReplicas {
		if r.Host.Kind == 0 || r.Port.Kind == 0 {
			return fmt.Errorf("master %s: a known replica needs host and port", name)
		}
		b.add(&r.Port, "sentinel", "known-replica", name, r.Host.Value)
	}
	for _, s := range m.KnownSentinels {
		if s.Host.Kind == 0 || s.Port.Kind == 0 || s.RunID.Kind == 0 {
			return fmt.Errorf("master %s: a known sentinel needs host, port and runid", name)
		}
		b.add(&s.RunID, "sentinel", "known-sentinel", name, s.Host.Value, s.Port.Value)
	}
	return b.err
}
