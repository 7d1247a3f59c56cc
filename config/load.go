package config

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/sentinel-go/sentinel/internal/cstrconv"
	"github.com/sentinel-go/sentinel/internal/splitargs"
)

// maxIncludeDepth stops include cycles; redis-server recurses until its stack overflows.
const maxIncludeDepth = 16

// Load reads a sentinel configuration the way redis-sentinel does: the file at path (YAML
// when it ends in .yaml or .yml), then the command-line options extra as redis-sentinel
// turns them into lines ("--port 26380" becomes `port "26380"`), then the sentinel
// directives in three passes. A state file named by `sentinel state-config-file` is read
// last and overrides the dynamic state. A line that redis-sentinel would refuse returns a
// *LineError with its message.
func Load(path string, extra []string) (*Config, error) {
	if path == "" {
		return nil, ErrNoFile
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	if isYAML(abs) {
		return loadYAML(abs, extra)
	}
	data, err := os.ReadFile(abs)
	if err != nil {
		return nil, &OpenError{Path: abs, Err: errors.Unwrap(err)}
	}
	text := string(data)
	text += "\n" + optionsText(extra)

	l, err := newLoader(abs)
	if err != nil {
		return nil, err
	}
	if err := l.loadText(text, ""); err != nil {
		return nil, err
	}
	return l.complete()
}

// complete runs the queued sentinel directives, then reads the state file.
func (l *loader) complete() (*Config, error) {
	if err := l.finish(); err != nil {
		return nil, err
	}
	if err := l.loadState(); err != nil {
		return nil, err
	}
	return l.c, nil
}

func isYAML(path string) bool {
	ext := strings.ToLower(filepath.Ext(path))
	return ext == ".yaml" || ext == ".yml"
}

// optionsText is redis-server's main(): "--name" starts a line, every other argument is
// added to it quoted. A name alone in its argument makes the next argument its value even
// when that starts with "--", except after --save and --sentinel, which take none.
func optionsText(args []string) string {
	var b strings.Builder
	handled := true
	for j, a := range args {
		last := j == len(args)-1
		nextIsName := !last && strings.HasPrefix(args[j+1], "--")
		if handled && strings.HasPrefix(a, "--") {
			if b.Len() > 0 {
				b.WriteByte('\n')
			}
			b.WriteString(a[2:])
			b.WriteByte(' ')
			if words, ok := splitargs.Split(a); ok && len(words) == 1 {
				handled = false
				switch {
				case strings.EqualFold(a, "--save") && (last || nextIsName):
					b.WriteString(`""`)
					handled = true
				case strings.EqualFold(a, "--sentinel") && nextIsName:
					handled = true
				}
			} else {
				handled = true
			}
			continue
		}
		b.WriteString(Quote(a))
		b.WriteByte(' ')
		handled = true
	}
	return b.String()
}

// queued is a sentinel directive waiting for its pass, with the line it came from.
type queued struct {
	args []string // without the word "sentinel"
	line int
	text string
	file string
}

// loader is the state of one load: the config being built and what Redis keeps on the
// side while reading (its working directory, its command table, the queued sentinel lines).
type loader struct {
	c        *Config
	cwd      string
	depth    int
	queue    [3][]queued
	commands map[string]string // sentinel command table: current name -> original name
	users    map[string]bool
	masters  map[string]*Master
	// unresolved is the last hostname address() could not accept, for the error report.
	unresolved string
	// stateLines is set while loading a state file: its directives may name masters
	// that the main file no longer has, and those are dropped instead of refused.
	stateLines bool
	stateSeen  map[string]bool
	// skipLogCheck is set by Validate, which must not create the log file.
	skipLogCheck bool
}

func newLoader(path string) (*loader, error) {
	cwd, err := os.Getwd()
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	if real, err := filepath.EvalSymlinks(cwd); err == nil {
		cwd = real
	}
	c := Default()
	c.Path = path
	c.Dir = cwd
	l := &loader{c: c, cwd: cwd, users: map[string]bool{}, masters: map[string]*Master{},
		commands: map[string]string{}}
	for _, name := range sentinelCommands {
		l.commands[name] = name
	}
	return l, nil
}

// sentinelCommands is redis-sentinel 7.0's command table (COMMAND COUNT is 15).
var sentinelCommands = []string{"acl", "auth", "client", "command", "hello", "info", "ping",
	"psubscribe", "publish", "punsubscribe", "role", "sentinel", "shutdown", "subscribe", "unsubscribe"}

// loadText is loadServerConfigFromString: file is "" for the main text.
func (l *loader) loadText(text, file string) error {
	for i, line := range splitLines(text) {
		if line == "" || line[0] == '#' {
			continue
		}
		args, ok := splitargs.Split(line)
		if !ok {
			return &LineError{Line: i + 1, Text: line, Reason: "Unbalanced quotes in configuration line", File: file}
		}
		if len(args) == 0 {
			continue
		}
		if err := l.directive(args, i+1, line, file); err != nil {
			return err
		}
	}
	return l.checkLogfile(file)
}

// directive applies one line's words; sentinel directives are queued for finish.
func (l *loader) directive(args []string, lineNum int, line, file string) error {
	fail := func(reason string) error {
		return &LineError{Line: lineNum, Text: line, Reason: reason, File: file}
	}
	name := strings.ToLower(args[0])
	if o := lookupOption(name); o != nil {
		if !o.multi && len(args) != 2 {
			return fail("wrong number of arguments")
		}
		if r := l.setOption(o, name, args[1:]); r != "" {
			return fail(r)
		}
		return nil
	}
	if deprecatedOptions[name] && len(args) == 2 {
		return nil
	}
	// Only what directiveClasses classifies is accepted, so no directive can be
	// handled below without having been classified.
	key := name
	if strings.Contains(name, ".") {
		key = moduleOption
	}
	c, classified := classOf(key)
	if classified && c.class == Refused {
		return fail(notSupported(args))
	}
	var reason string
	switch {
	case !classified:
		reason = "Bad directive or wrong number of arguments"
	case name == "include" && len(args) == 2:
		return l.include(args[1])
	case name == "rename-command" && len(args) == 3:
		reason = l.renameCommand(args[1], args[2])
	case name == "user" && len(args) >= 2:
		reason = l.user(args)
	case name == "loadmodule" && len(args) >= 2:
		l.c.Modules = append(l.c.Modules, args[1:])
	case name == "logformat" && len(args) == 2:
		reason = l.logFormat(args[1])
	case strings.Contains(name, "."):
		// A module's option: redis-sentinel accepts it and drops it from rewrites.
		if len(args) != 2 {
			reason = "Module config specified without value"
		}
	case name == "sentinel":
		// A bare "sentinel" (what --sentinel adds) selects sentinel mode: nothing to do.
		if len(args) > 1 {
			l.queueSentinel(queued{args: args[1:], line: lineNum, text: line, file: file})
		}
	default:
		reason = "Bad directive or wrong number of arguments"
	}
	if reason != "" {
		return fail(reason)
	}
	return nil
}

// checkLogfile is the check Redis makes after reading a config text: it opens the log file
// for appending, creating it, and fails without a line number.
func (l *loader) checkLogfile(file string) error {
	if l.c.Logfile == "" || l.skipLogCheck {
		return nil
	}
	f, err := os.OpenFile(l.abs(l.c.Logfile), os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o666)
	if err != nil {
		return &LineError{Reason: "Can't open the log file: " + strerror(err), File: file}
	}
	return f.Close()
}

// abs resolves p against the working directory the dir directives have set so far.
func (l *loader) abs(p string) string {
	if filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(l.cwd, p)
}

func (l *loader) include(path string) error {
	if l.depth >= maxIncludeDepth {
		return fmt.Errorf("config: include nesting deeper than %d at '%s'", maxIncludeDepth, path)
	}
	files := []string{l.abs(path)}
	if strings.ContainsAny(path, "*?[") {
		// Redis globs, and an include matching nothing is not an error.
		matches, err := filepath.Glob(l.abs(path))
		if err != nil {
			return fmt.Errorf("config: include '%s': %w", path, err)
		}
		files = matches
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			return &OpenError{Path: f, Err: errors.Unwrap(err)}
		}
		l.depth++
		err = l.loadText(string(data), f)
		l.depth--
		if err != nil {
			return err
		}
	}
	return nil
}

// strerror renders an OS error as C's strerror does ("No such file or directory").
func strerror(err error) string {
	var errno syscall.Errno
	if errors.As(err, &errno) {
		s := errno.Error()
		return strings.ToUpper(s[:1]) + s[1:]
	}
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}

// setOption applies a standard directive: the ones the sentinel uses go to their fields,
// the rest to Options in canonical form.
//
// A Refused option set to what we do not implement stops here, after Redis's own checks
// (a value redis-sentinel refuses gets its message, not ours); name is as written.
func (l *loader) setOption(o *option, name string, args []string) string {
	canon, r := parseOption(o, args, l.c.Options[o.name])
	if r != "" {
		return r
	}
	if refusedValue(o, args, canon) {
		return notSupported(append([]string{name}, args...))
	}
	c := l.c
	switch o.name {
	case "port":
		c.Port = cstrconv.Atoi(canon[0])
	case "bind":
		c.Bind = append([]string{}, canon...)
	case "protected-mode":
		c.ProtectedMode = canon[0] == "yes"
	case "daemonize":
		c.Daemonize = canon[0] == "yes"
	case "supervised":
		c.Supervised = canon[0]
	case "loglevel":
		c.LogLevel = canon[0]
	case "logfile":
		c.Logfile = canon[0]
	case "pidfile":
		c.Pidfile = first(canon)
	case "requirepass":
		c.RequirePass = first(canon)
	case "bind-source-addr":
		c.BindSourceAddr = first(canon)
	case "dir":
		return l.chdir(canon[0])
	case "save":
		// redis-sentinel drops save lines from its rewrites; nothing to keep.
	default:
		// Options holds only what differs from redis-server's defaults, so that a file
		// that spells a default out and one that leaves it out load the same.
		if canon == nil || isDefault(o, canon) {
			delete(c.Options, o.name)
		} else {
			c.Options[o.name] = canon
		}
	}
	return ""
}

func isDefault(o *option, canon []string) bool {
	got := strings.Join(canon, " ")
	switch o.name {
	case "latency-tracking-info-percentiles":
		return got == "50 99 99.9"
	case "oom-score-adj-values":
		return got == "0 200 800"
	case "notify-keyspace-events":
		return got == ""
	case "client-output-buffer-limit":
		return got == "normal 0 0 0 replica 268435456 67108864 60 pubsub 33554432 8388608 60"
	}
	if o.kind == optSpecial {
		return false
	}
	def, ok := defaultCanon(o)
	return ok && got == def
}

func first(v []string) string {
	if len(v) == 0 {
		return ""
	}
	return v[0]
}

// chdir emulates Redis's chdir for `dir`: the directory must exist, later relative paths
// resolve against it, and the caller changes into Config.Dir before running.
func (l *loader) chdir(dir string) string {
	p := l.abs(dir)
	st, err := os.Stat(p)
	if err != nil {
		return strerror(err)
	}
	if !st.IsDir() {
		return strerror(syscall.ENOTDIR)
	}
	if err := syscall.Access(p, 1); err != nil { // X_OK: chdir needs search permission
		return strerror(err)
	}
	// The rewrite writes getcwd(), which has no symbolic links in it.
	if real, err := filepath.EvalSymlinks(p); err == nil {
		p = real
	}
	l.cwd = filepath.Clean(p)
	l.c.Dir = l.cwd
	return ""
}

// renameCommand renames one of the sentinel's own commands, as the top-level
// rename-command does on redis-sentinel's command table.
func (l *loader) renameCommand(from, to string) string {
	key := strings.ToLower(from)
	orig, ok := l.commands[key]
	if !ok || strings.Contains(from, "|") {
		return "No such command in rename-command"
	}
	delete(l.commands, key)
	if to != "" {
		if _, taken := l.commands[strings.ToLower(to)]; taken {
			return "Target command name already exists"
		}
		l.commands[strings.ToLower(to)] = orig
	}
	l.c.RenameCommands[orig] = to
	return ""
}

func (l *loader) user(args []string) string {
	if _, idx, reason := buildACLUser(args[1:], l.users); reason != "" {
		return fmt.Sprintf("Error in user declaration '%s': %s", args[idx], reason)
	}
	l.users[args[1]] = true
	l.c.Users = append(l.c.Users, append([]string{}, args[1:]...))
	return ""
}

func (l *loader) logFormat(v string) string {
	switch strings.ToLower(v) {
	case "redis", "text", "json":
		l.c.LogFormat = strings.ToLower(v)
		return ""
	}
	return "argument(s) must be one of the following: redis, text, json"
}
