package config

import (
	"errors"
	"go/ast"
	"go/parser"
	gotoken "go/token"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/sentinel-go/sentinel/e2e/realredis"
)

// handledNames returns the directive names a loader function compares name against
// (`name == "include"`): what its switch handles, read from the source so that a case added
// there is seen here.
func handledNames(t *testing.T, file, fn string) []string {
	t.Helper()
	f, err := parser.ParseFile(gotoken.NewFileSet(), file, nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, d := range f.Decls {
		fd, ok := d.(*ast.FuncDecl)
		if !ok || fd.Name.Name != fn {
			continue
		}
		ast.Inspect(fd, func(n ast.Node) bool {
			if be, ok := n.(*ast.BinaryExpr); ok && be.Op == gotoken.EQL {
				id, isName := be.X.(*ast.Ident)
				lit, isLit := be.Y.(*ast.BasicLit)
				if isName && id.Name == "name" && isLit && lit.Kind == gotoken.STRING {
					s, _ := strconv.Unquote(lit.Value)
					seen[s] = true
				}
			}
			return true
		})
	}
	if len(seen) == 0 {
		t.Fatalf("no `name == \"...\"` cases in %s's %s", file, fn)
	}
	names := make([]string, 0, len(seen))
	for s := range seen {
		names = append(names, s)
	}
	sort.Strings(names)
	return names
}

// TestEveryDirectiveClassified: every name and alias of the option table, every deprecated
// option, every directive the loader's switches handle and every sentinel directive has a
// class; and every class belongs to something the loader knows.
func TestEveryDirectiveClassified(t *testing.T) {
	known := map[string]bool{moduleOption: true}
	need := func(key, what string) {
		known[key] = true
		if _, ok := classOf(key); !ok {
			t.Errorf("%s %q is not classified in directiveClasses", what, key)
		}
	}
	for _, o := range standardOptions {
		need(o.name, "option")
		if o.alias != "" {
			if lookupOption(o.alias).name != o.name {
				t.Errorf("alias %q does not resolve to %q", o.alias, o.name)
			}
		}
	}
	for name := range deprecatedOptions {
		need(name, "deprecated option")
	}
	for _, name := range handledNames(t, "load.go", "directive") {
		need(name, "directive")
	}
	for _, name := range handledNames(t, "directives.go", "sentinel") {
		need("sentinel "+name, "sentinel directive")
	}
	for key, c := range directiveClasses {
		if !known[key] {
			t.Errorf("directiveClasses has %q, which the loader does not know", key)
		}
		if c.why == "" || c.class < Carried || c.class > Refused {
			t.Errorf("%q: class %v, reason %q", key, c.class, c.why)
		}
		if c.refuse != nil && c.class != Refused {
			t.Errorf("%q: a refusal rule on a %v directive", key, c.class)
		}
	}
}

// loadText loads text as a sentinel.conf in a fresh directory.
func loadText(t *testing.T, text string, extra ...string) (*Config, error) {
	t.Helper()
	return Load(writeFile(t, t.TempDir(), "s.conf", text), extra)
}

// TestRefusedValues: a Refused directive at its default loads (however it is spelled), any
// other value stops the load at its line with our reason; Redis's own checks come first.
func TestRefusedValues(t *testing.T) {
	for _, line := range []string{
		"tcp-backlog 511", "oom-score-adj no", "oom-score-adj-values 0 200 800", "set-proc-title yes",
		`proc-title-template "{title} {listen-addr} {server-mode}"`, "io-threads 1", "io-threads-do-reads no",
		"always-show-logo no", "jemalloc-bg-thread yes", "crash-log-enabled yes", "crash-memcheck-enabled yes",
		"watchdog-period 0", "socket-mark-id 0", "cluster-enabled no", "replicaof no one", "slaveof NO ONE",
		"save 3600 1 300 100 60 10000", `save ""`, "save 1 1", "server_cpulist \"\"",
		"client-output-buffer-limit normal 0 0 0", "client-output-buffer-limit pubsub 32mb 8mb 60",
		"client-output-buffer-limit replica 1 2 3", "client-query-buffer-limit 1gb", "proto-max-bulk-len 512mb",
		"maxmemory-clients 0", "acllog-max-len 128", "acl-pubsub-default resetchannels", "use-exit-on-panic no",
	} {
		if _, err := loadText(t, "port 0\n"+line+"\n"); err != nil {
			t.Errorf("%s: %v", line, err)
		}
	}
	for _, tc := range []struct{ line, reason string }{
		{"tcp-backlog 512", "'tcp-backlog 512' is not supported by this sentinel"},
		{"OOM-SCORE-ADJ relative", "'oom-score-adj relative' is not supported by this sentinel"},
		{"io-threads 4", "'io-threads 4' is not supported by this sentinel"},
		{"slaveof 127.0.0.1 6379", "'slaveof 127.0.0.1 6379' is not supported by this sentinel"},
		{"save 3600 1 60 0", "'save 3600 1 60 0' is not supported by this sentinel"},
		{`save 60 ""`, `'save 60 ""' is not supported by this sentinel`},
		{"client-output-buffer-limit pubsub 1mb 1mb 0", "'client-output-buffer-limit pubsub 1mb 1mb 0' is not supported by this sentinel"},
		{"cluster-enabled yes", "'cluster-enabled yes' is not supported by this sentinel"},
		{`proc-title-template "{title}x"`, `'proc-title-template {title}x' is not supported by this sentinel`},
		{"server_cpulist 0-1", "'server_cpulist 0-1' is not supported by this sentinel"},
		// Redis's own checks still answer first.
		{"io-threads 0", "argument must be between 1 and 128 inclusive"},
		{"save 0 1", "Invalid save parameters"},
	} {
		text := "port 0\n" + tc.line + "\n"
		_, err := loadText(t, text)
		var le *LineError
		if !errors.As(err, &le) || le.Line != 2 || le.Text != tc.line || le.Reason != tc.reason {
			t.Errorf("%s: %v; want line 2, reason %q", tc.line, err, tc.reason)
		}
	}
	// The same through the command line and YAML.
	_, err := loadText(t, "port 0\n", "--io-threads", "2")
	if le := (*LineError)(nil); !errors.As(err, &le) || le.Line != 3 || le.Reason != "'io-threads 2' is not supported by this sentinel" {
		t.Errorf("--io-threads 2: %v", err)
	}
	dir := t.TempDir()
	_, err = Load(writeFile(t, dir, "s.yaml", "port: 0\noptions:\n  maxmemory: 1mb\n  tcp-backlog: 100\n"), nil)
	if le := (*LineError)(nil); !errors.As(err, &le) || le.Line != 4 || le.Reason != "'tcp-backlog 100' is not supported by this sentinel" {
		t.Errorf("YAML tcp-backlog 100: %v", err)
	}
	c, err := Load(writeFile(t, dir, "ok.yaml", "port: 0\noptions:\n  tcp-backlog: 511\n  appendonly: yes\n"), nil)
	if err != nil || first(c.Options["appendonly"]) != "yes" {
		t.Errorf("YAML defaults and inert options: %v", err)
	}
}

// The report of a refused line is Redis's fatal block.
func TestRefusedReport(t *testing.T) {
	_, err := loadText(t, "port 0\n\noom-score-adj yes\n")
	var le *LineError
	if !errors.As(err, &le) {
		t.Fatalf("Load: %v", err)
	}
	want := "\n*** FATAL CONFIG FILE ERROR (Redis 7.0.15) ***\n" +
		"Reading the configuration file, at line 3\n" +
		">>> 'oom-score-adj yes'\n" +
		"'oom-score-adj yes' is not supported by this sentinel\n"
	if got := le.Report(); got != want {
		t.Errorf("report\n%q\nwant\n%q", got, want)
	}
}

// stockFile reads one of Debian's shipped configs, skipping when it is not installed.
func stockFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		realredis.Missing(t, "%s: %v", path, err)
	}
	return string(b)
}

// hostPaths points a stock file's paths into dir, so that loading it touches only dir.
func hostPaths(text, dir string) string {
	var out []string
	for _, line := range strings.Split(text, "\n") {
		w := strings.Fields(line)
		if len(w) > 0 {
			switch strings.ToLower(w[0]) {
			case "dir":
				line = "dir " + dir
			case "logfile", "pidfile":
				line = w[0] + " " + filepath.Join(dir, filepath.Base(w[len(w)-1]))
			}
		}
		out = append(out, line)
	}
	return strings.Join(out, "\n")
}

// TestStockFilesLoad: Debian's sentinel.conf, and every directive of Debian's redis.conf
// (which spells out defaults), load without a refusal.
func TestStockFilesLoad(t *testing.T) {
	dir := t.TempDir()
	sentinel := hostPaths(stockFile(t, "/etc/redis/sentinel.conf"), dir)
	if _, err := Load(writeFile(t, dir, "sentinel.conf", sentinel), nil); err != nil {
		t.Errorf("sentinel.conf: %v", err)
	}
	// redis.conf's directives with their default values, and the save line it leaves
	// commented out, into a sentinel's file.
	server := hostPaths(stockFile(t, "/etc/redis/redis.conf"), dir)
	server += "\nsave 3600 1 300 100 60 10000\nport 0\nsentinel monitor m 127.0.0.1 6379 1\n"
	c, err := Load(writeFile(t, dir, "redis.conf", server), nil)
	if err != nil {
		t.Fatalf("redis.conf: %v", err)
	}
	if len(c.Options) != 0 {
		t.Errorf("redis.conf's directives are not all defaults: %v", c.Options)
	}
}

// nonDefault returns a value of o other than its default that redis-server's checks
// accept, or nil when the test has none to offer.
func nonDefault(o *option) []string {
	var cands [][]string
	switch o.kind {
	case optBool:
		cands = [][]string{{"yes"}, {"no"}}
	case optEnum, optFlags:
		for _, e := range o.enum {
			cands = append(cands, []string{e.name})
		}
	case optNum:
		cands = [][]string{{itoa(o.defNum + 1)}, {itoa(o.defNum - 1)}}
	case optString:
		cands = [][]string{{"0"}, {"x"}}
	case optSpecial:
		switch o.name {
		case "notify-keyspace-events":
			cands = [][]string{{"Ex"}}
		case "latency-tracking-info-percentiles":
			cands = [][]string{{"50", "99"}}
		}
	}
	for _, c := range cands {
		canon, r := parseOption(o, c, nil)
		if r == "" && canon != nil && !isDefault(o, canon) {
			return c
		}
	}
	return nil
}

// TestDifferentialInert gives redis-sentinel every inert option at a value other than its
// default: it must start (it accepts them), and its rewrite must keep them as ours does.
func TestDifferentialInert(t *testing.T) {
	bin := realSentinel(t)
	dir, port := realDir(t), realredis.FreePort(t)
	var b strings.Builder
	b.WriteString("port " + itoa(int64(port)) + "\nbind 127.0.0.1\ndir \"" + dir + "\"\n")
	n := 0
	for i := range standardOptions {
		o := &standardOptions[i]
		c, _ := classOf(o.name)
		// tls-cluster yes makes redis-sentinel load TLS files; activedefrag yes is refused
		// by Debian's jemalloc (nonDefault finds no other value).
		if c.class != Inert || o.name == "tls-cluster" {
			continue
		}
		v := nonDefault(o)
		if v == nil {
			continue
		}
		b.WriteString(joinTokens(append([]string{o.name}, v...)...) + "\n")
		n++
	}
	// Inert directives outside the option table, which both rewrites comment out: a
	// module's option and a deprecated option. (loadmodule is inert too, but redis-sentinel
	// drops it from its rewrite and we keep it: a deliberate difference, see doc.go.)
	b.WriteString("mymodule.option value\nlist-max-ziplist-value 1\n")
	b.WriteString("sentinel monitor m 127.0.0.1 6379 2\nsentinel myid " + strings.Repeat("ab", 20) + "\n")
	if n < 100 {
		t.Fatalf("only %d inert options have a test value", n)
	}
	differentialRewrite(t, bin, dir, port, b.String(), "")
}

// A Config changed in code is held to the same classes by Validate.
func TestValidateRefuses(t *testing.T) {
	c := Default()
	c.Options["io-threads"] = []string{"4"}
	var le *LineError
	if err := c.Validate(); !errors.As(err, &le) || le.Reason != "'io-threads 4' is not supported by this sentinel" {
		t.Errorf("Validate: %v", err)
	}
	c.Options["io-threads"] = []string{"1"}
	c.Options["appendonly"] = []string{"yes"}
	if err := c.Validate(); err != nil {
		t.Errorf("Validate with a default and an inert option: %v", err)
	}
}

// TestRealAcceptsRefused: each refused directive, at a value other than its default, is
// one redis-sentinel accepts (it loads the file, then exits for want of a listener with
// port 0) and we refuse, so what we refuse is exactly what it would act on.
func TestRealAcceptsRefused(t *testing.T) {
	bin := realSentinel(t)
	special := map[string]string{
		"save": "save 1 0", "client-output-buffer-limit": "client-output-buffer-limit pubsub 1mb 1mb 0",
		"oom-score-adj-values": "oom-score-adj-values 0 100 800", "replicaof": "replicaof 127.0.0.1 1",
	}
	n := 0
	for i := range standardOptions {
		o := &standardOptions[i]
		// cluster-enabled yes would open the cluster bus on every address (checked by hand:
		// redis-sentinel then writes nodes.conf and runs in cluster mode).
		if c, _ := classOf(o.name); c.class != Refused || o.name == "cluster-enabled" {
			continue
		}
		line, ok := special[o.name]
		if !ok {
			v := nonDefault(o)
			if v == nil {
				t.Errorf("%s: no value other than the default to try", o.name)
				continue
			}
			line = joinTokens(append([]string{o.name}, v...)...)
		}
		n++
		dir := t.TempDir()
		file := writeFile(t, dir, "s.conf", "port 0\n"+line+"\n")
		if stderr := runRealConfig(t, bin, dir, file, nil); stderr != "" {
			t.Errorf("%s: redis-sentinel refuses it:\n%s", line, stderr)
		}
		var le *LineError
		if _, err := Load(file, nil); !errors.As(err, &le) || le.Line != 2 || !strings.HasSuffix(le.Reason, " is not supported by this sentinel") {
			t.Errorf("%s: we load it: %v", line, err)
		}
	}
	if n < 20 {
		t.Errorf("only %d refused directives tried", n)
	}
}
