package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"
)

// The YAML form is the same model under a friendlier shape. It is turned into the
// directives a sentinel.conf would hold, each tagged with its YAML line, and those run
// through the same loader: one set of rules and messages for both forms. Every value is a
// yaml.Node so that values keep their line and booleans may be written yes/no or
// true/false alike.
//
// Most keys of a section are directives of the same name: they are listed once, in the
// key lists below, and held in the section's inline map (Keys). The loader turns them into
// directives in the lists' order, and rejects any other key the way yaml.v3's KnownFields
// would (keyCheck).

// yamlTopKeys are the top-level keys that are the directive of that name.
var yamlTopKeys = []string{
	"port",
	"bind",
	"protected-mode",
	"daemonize",
	"supervised",
	"pidfile",
	"dir",
	"logfile",
	"loglevel",
	"logformat",
	"requirepass",
	"bind-source-addr",
}

// yamlSentinelKeys are the keys of the sentinel section that are "sentinel <key> <value>".
var yamlSentinelKeys = []string{
	"myid",
	"current-epoch",
	"announce-ip",
	"announce-port",
	"announce-hostnames",
	"resolve-hostnames",
	"fast-retry",
	"minority-refuses",
	"protect-empty-restart",
	"deny-scripts-reconfig",
	"sentinel-user",
	"sentinel-pass",
	"state-config-file",
	"metrics-address",
	"metrics-user",
	"metrics-pass",
}

// yamlMasterKeys are the keys of a master, besides name, host, port and quorum, that are
// "sentinel <key> <master> <value>": its options, then (after its rename-command lines)
// its state.
var (
	yamlMasterKeys = []string{
		"down-after-milliseconds",
		"failover-timeout",
		"parallel-syncs",
		"master-reboot-down-after-period",
		"forget-after",
		"notification-script",
		"client-reconfig-script",
		"auth-pass",
		"auth-user",
	}
	yamlMasterStateKeys = []string{"config-epoch", "leader-epoch", "peak-sentinels"}
	yamlMonitorKeys     = []string{"name", "host", "port", "quorum"}
)

type yamlFile struct {
	Users         []yamlUser           `yaml:"users"`
	RenameCommand map[string]yaml.Node `yaml:"rename-command"`
	Options       map[string]yaml.Node `yaml:"options"`
	Sentinel      *yamlSentinel        `yaml:"sentinel"`
	Keys          map[string]yaml.Node `yaml:",inline"` // yamlTopKeys
}

type yamlUser struct {
	Name  yaml.Node `yaml:"name"`
	Rules yaml.Node `yaml:"rules"`
}

type yamlSentinel struct {
	Masters []yamlMaster         `yaml:"masters"`
	Keys    map[string]yaml.Node `yaml:",inline"` // yamlSentinelKeys
}

type yamlMaster struct {
	RenameCommand  map[string]yaml.Node `yaml:"rename-command"`
	KnownReplicas  []yamlAddr           `yaml:"known-replicas"`
	KnownSentinels []yamlAddr           `yaml:"known-sentinels"`
	// yamlMonitorKeys, yamlMasterKeys and yamlMasterStateKeys.
	Keys map[string]yaml.Node `yaml:",inline"`
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
	if err := decodeYAML(data, &f); err != nil {
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

// decodeYAML decodes data into f as yaml.v3 with KnownFields does, and rejects the keys of
// the sections' inline maps that KnownFields would have: the errors are yaml.v3's, in its
// words, merged into its own by line. Only errors on one line of a flow collection (an
// unknown key and a type error in `[{bogus: 1}, 5]`) may come in another order than
// yaml.v3 gave them when every key was a struct field.
func decodeYAML(data []byte, f *yamlFile) error {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	err := dec.Decode(f)
	if errors.Is(err, io.EOF) {
		return nil
	}
	var te *yaml.TypeError
	if err != nil && !errors.As(err, &te) {
		return err
	}
	var doc yaml.Node
	if err := yaml.NewDecoder(bytes.NewReader(data)).Decode(&doc); err != nil {
		return err
	}
	var k keyCheck
	if len(doc.Content) > 0 {
		k.section(doc.Content[0], &yamlFileKeys)
	}
	if te == nil && len(k.errs) == 0 {
		return nil
	}
	var theirs []string
	if te != nil {
		theirs = te.Errors
	}
	return &yaml.TypeError{Errors: mergeByLine(theirs, k.errs)}
}

// yamlKeys is what checking keys needs to know of a section's struct type.
type yamlKeys struct {
	typ    string               // as yaml.v3 names it in errors
	keys   [][]string           // the keys its inline map takes
	fields []string             // its struct fields' keys, which yaml.v3 checks itself
	nested map[string]*yamlKeys // the fields holding a section, or a list of them (list)
	list   bool                 // it comes as a list in its parent
}

var (
	yamlMasterSection = yamlKeys{typ: fmt.Sprintf("%T", yamlMaster{}), list: true,
		keys:   [][]string{yamlMonitorKeys, yamlMasterKeys, yamlMasterStateKeys},
		fields: []string{"rename-command", "known-replicas", "known-sentinels"}}
	yamlSentinelSection = yamlKeys{typ: fmt.Sprintf("%T", yamlSentinel{}),
		keys: [][]string{yamlSentinelKeys}, fields: []string{"masters"},
		nested: map[string]*yamlKeys{"masters": &yamlMasterSection}}
	yamlFileKeys = yamlKeys{typ: fmt.Sprintf("%T", yamlFile{}),
		keys: [][]string{yamlTopKeys}, fields: []string{"users", "rename-command", "options", "sentinel"},
		nested: map[string]*yamlKeys{"sentinel": &yamlSentinelSection}}
)

// keyCheck walks a document as yaml.v3's decoder (mappingStruct, merge) walks it into our
// sections, to report what KnownFields would of the keys that land in an inline map: a key
// the section does not take.
type keyCheck struct {
	errs   []string
	merged map[string]bool // yaml.v3's mergedFields: the keys a merge may no longer set
}

func resolveAlias(n *yaml.Node) *yaml.Node {
	for n != nil && n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	return n
}

func (k *keyCheck) section(n *yaml.Node, s *yamlKeys) {
	n = resolveAlias(n)
	if n == nil || n.Kind != yaml.MappingNode || repeatsKey(n) {
		return // yaml.v3 reports a mapping that is none, or repeats a key, and skips it
	}
	merged := k.merged
	k.merged = nil
	var mergeNode *yaml.Node
	for i := 0; i+1 < len(n.Content); i += 2 {
		ni, v := n.Content[i], n.Content[i+1]
		if ni.Kind == yaml.ScalarNode && ni.Value == "<<" && (ni.Tag == "" || ni.Tag == "!" || ni.Tag == "!!merge") {
			mergeNode = v
			continue
		}
		key := resolveAlias(ni)
		if key == nil || key.Kind != yaml.ScalarNode || key.Tag == "!!null" {
			continue // no string: yaml.v3 reports the key, or skips it
		}
		name := key.Value
		if merged != nil {
			if merged[name] {
				continue
			}
			merged[name] = true
		}
		switch {
		case slices.Contains(s.fields, name):
			if sub := s.nested[name]; sub != nil && !sub.list {
				k.section(v, sub)
			} else if sub != nil {
				k.sections(v, sub)
			}
		case !slices.ContainsFunc(s.keys, func(ks []string) bool { return slices.Contains(ks, name) }):
			k.errs = append(k.errs, fmt.Sprintf("line %d: field %s not found in type %s", ni.Line, name, s.typ))
		}
	}
	k.merged = merged
	if mergeNode != nil {
		k.merge(n, mergeNode, s)
	}
}

// repeatsKey is yaml.v3's unique-keys check of a mapping.
func repeatsKey(n *yaml.Node) bool {
	for i := 0; i < len(n.Content); i += 2 {
		for j := i + 2; j < len(n.Content); j += 2 {
			if n.Content[i].Kind == n.Content[j].Kind && n.Content[i].Value == n.Content[j].Value {
				return true
			}
		}
	}
	return false
}

// sections checks a list of sections.
func (k *keyCheck) sections(v *yaml.Node, s *yamlKeys) {
	if v = resolveAlias(v); v != nil && v.Kind == yaml.SequenceNode {
		for _, e := range v.Content {
			k.section(e, s)
		}
	}
}

// merge is yaml.v3's merge: the merged mappings set only the keys the parent does not.
func (k *keyCheck) merge(parent, m *yaml.Node, s *yamlKeys) {
	saved := k.merged
	if k.merged == nil {
		k.merged = map[string]bool{}
		for i := 0; i < len(parent.Content); i += 2 {
			k.merged[parent.Content[i].Value] = true
		}
	}
	if m = resolveAlias(m); m != nil && m.Kind == yaml.SequenceNode {
		k.sections(m, s) // a list of mappings to merge
	} else {
		k.section(m, s)
	}
	k.merged = saved
}

// mergeByLine merges two lists of yaml.v3 errors, each in document order, by the line they
// start with ("line 12: ...").
func mergeByLine(a, b []string) []string {
	line := func(e string) int {
		var n int
		fmt.Sscanf(e, "line %d:", &n)
		return n
	}
	out := make([]string, 0, len(a)+len(b))
	for len(a) > 0 && len(b) > 0 {
		if line(b[0]) < line(a[0]) {
			out, b = append(out, b[0]), b[1:]
		} else {
			out, a = append(out, a[0]), a[1:]
		}
	}
	return append(append(out, a...), b...)
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

// addKeys adds, for each of keys present in m in keys' order, the directive lead, key,
// tail..., value.
func (b *dirBuilder) addKeys(m map[string]yaml.Node, keys, lead []string, tail ...string) {
	for _, k := range keys {
		if n, ok := m[k]; ok {
			b.add(&n, append(append(append([]string{}, lead...), k), tail...)...)
		}
	}
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
	b.addKeys(f.Keys, yamlTopKeys, nil)
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
		b.addKeys(s.Keys, yamlSentinelKeys, []string{"sentinel"})
		for i := range s.Masters {
			if err := s.Masters[i].directives(b); err != nil {
				return nil, err
			}
		}
	}
	return b.out, b.err
}

func (m *yamlMaster) directives(b *dirBuilder) error {
	for _, k := range yamlMonitorKeys {
		if m.Keys[k].Kind == 0 {
			return fmt.Errorf("a master needs %s (every master has name, host, port and quorum)", k)
		}
	}
	words := make([]string, 0, len(yamlMonitorKeys))
	for _, k := range yamlMonitorKeys {
		n := m.Keys[k]
		w, err := scalar(&n)
		if err != nil {
			return err
		}
		words = append(words, w)
	}
	name := words[0]
	b.out = append(b.out, yamlDirective{line: m.Keys["name"].Line, args: append([]string{"sentinel", "monitor"}, words...)})
	b.addKeys(m.Keys, yamlMasterKeys, []string{"sentinel"}, name)
	for _, k := range sortedNodeKeys(m.RenameCommand) {
		rn := m.RenameCommand[k]
		b.add(&rn, "sentinel", "rename-command", name, k)
	}
	b.addKeys(m.Keys, yamlMasterStateKeys, []string{"sentinel"}, name)
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
