package config

import (
	"flag"
	"os"
	"sort"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite DIRECTIVES.md from directiveClasses")

// renderDirectives is DIRECTIVES.md: directiveClasses for people, one table per class.
func renderDirectives() string {
	aliases := map[string][]string{}
	for _, o := range standardOptions {
		if o.alias != "" {
			aliases[o.name] = append(aliases[o.name], o.alias)
		}
	}
	var b strings.Builder
	b.WriteString(`# Directives

Generated from ` + "`directives.txt`" + ` by ` + "`go test ./config -run TestDirectivesDoc -update`" + `;
that table is the source of truth, and a test fails when this file is out of date.

Every directive redis-sentinel 7.0.15 accepts is in exactly one class:

- **carried out**: it works here as in redis-sentinel.
- **ignored, as redis-sentinel ignores it**: accepted, checked with Redis's rules and kept
  at rewrite, and without effect, because the code that reads it in redis-server does not
  run in sentinel mode (the reason names it). A test gives redis-sentinel every one of them
  at a value other than its default and checks that it starts and rewrites them as we do.
- **refused unless default**: redis-sentinel does something observable with it that this
  sentinel does not. A line setting it to anything but its default stops the start with
  Redis's fatal config error block and the reason ` + "`'<line>' is not supported by this sentinel`" + `.
  The default is accepted because it is what a stock file spells out (` + "`tcp-backlog 511`" + `
  in Debian's redis.conf) and refusing it would refuse files that ask for nothing we lack;
  where even the default does something we do not (set-proc-title yes renames the process),
  the reason says so.

`)
	for _, class := range []Class{Carried, Inert, Refused} {
		var keys []string
		for k, c := range directiveClasses {
			if c.class == class {
				keys = append(keys, k)
			}
		}
		sort.Strings(keys)
		b.WriteString("## " + strings.ToUpper(class.String()[:1]) + class.String()[1:] + " (" + itoa(int64(len(keys))) + ")\n\n")
		b.WriteString("| directive | why |\n| --- | --- |\n")
		for _, k := range keys {
			name := "`" + k + "`"
			if a := aliases[k]; len(a) > 0 {
				name += " (alias `" + strings.Join(a, "`, `") + "`)"
			}
			b.WriteString("| " + name + " | " + strings.ReplaceAll(directiveClasses[k].why, "|", `\|`) + " |\n")
		}
		b.WriteString("\n")
	}
	return strings.TrimSuffix(b.String(), "\n")
}

func TestDirectivesDoc(t *testing.T) {
	want := renderDirectives()
	if *update {
		if err := os.WriteFile("DIRECTIVES.md", []byte(want), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := os.ReadFile("DIRECTIVES.md")
	if err != nil || string(got) != want {
		t.Errorf("DIRECTIVES.md is out of date (%v): go test ./config -run TestDirectivesDoc -update", err)
	}
}
