package config

import (
	_ "embed"
	"fmt"
	"strconv"
	"strings"
)

// directivesText is the directive table: for every directive redis-sentinel 7.0.15 accepts,
// its type and default (for redis-server's standard options), its class and the reason,
// one line a directive; its header gives the format.
//
//go:embed directives.txt
var directivesText string

// standardOptions lists redis-server 7.0.15's configs in the order of its source table;
// directiveClasses classifies every directive: standard options by primary name (aliases
// share it), the other top-level directives, and the sentinel ones as "sentinel <name>".
var standardOptions, directiveClasses = parseDirectives(directivesText)

// reasons are the reasons shared by many directives, "@key" in the table.
var reasons = map[string]string{
	"data":    "sentinel mode loads and writes no dataset: main() skips loadDataFromDisk and the AOF, and no sentinel command writes, so no save point is ever reached",
	"keys":    "tunes keys, their encodings, expiry or eviction: a sentinel has no keys",
	"repl":    "replication: a sentinel replicates from nobody (replicaof is refused) and has no replicas",
	"cluster": "Redis Cluster: read only with cluster-enabled yes, which is refused",
	"nocmd":   "configures commands a sentinel does not have (its table is the 15 commands of sentinelcmds)",
	"hz":      "sentinelTimer sets server.hz to a random 10-19 on every tick, which paces the timer whatever hz and dynamic-hz say; within a tick they only change how often serverCron's housekeeping runs, a matter of timing precision",
	"ours":    "ours (not in redis-sentinel)",
	"tls":     "TLS, as redis-sentinel uses it for its listener and its links",
}

// optionChecks are the standard options' checks beyond their type, returning Redis's
// message.
var optionChecks = map[string]func(string) string{
	"activedefrag": func(v string) string {
		// Debian's redis links the system jemalloc, which cannot defragment.
		if v == "yes" {
			return "Active defragmentation cannot be enabled: it requires a Redis server compiled with a modified Jemalloc like the one shipped by default with the Redis source distribution"
		}
		return ""
	},
	"cluster-announce-hostname": checkHostname,
	"dbfilename": func(v string) string {
		if !isBaseName(v) {
			return "dbfilename can't be a path, just a filename"
		}
		return ""
	},
	"appendfilename": func(v string) string {
		switch {
		case v == "":
			return "appendfilename can't be empty"
		case !isBaseName(v):
			return "appendfilename can't be a path, just a filename"
		}
		return ""
	},
	"appenddirname": func(v string) string {
		switch {
		case v == "":
			return "appenddirname can't be empty"
		case !isBaseName(v):
			return "appenddirname can't be a path, just a dirname"
		}
		return ""
	},
	"proc-title-template": checkProcTitle,
}

// refusals are the Refused directives whose refused values are not simply "any but the
// default".
var refusals = map[string]func(args, canon []string) bool{
	"replicaof": func(_, canon []string) bool { return canon != nil }, // "no one" is the default
	"save":      saveEveryTime,
	"client-output-buffer-limit": func(_, canon []string) bool {
		got := strings.Join(canon, " ")
		return !strings.HasPrefix(got, "normal 0 0 0 ") || !strings.HasSuffix(got, " pubsub 33554432 8388608 60")
	},
}

// parseDirectives reads the directive table. The table is part of the program, so a line
// it cannot read is a bug, and panics at start-up (every test runs into it).
func parseDirectives(text string) ([]option, map[string]classified) {
	var opts []option
	classes := map[string]classified{}
	for n, line := range strings.Split(text, "\n") {
		if line == "" || line[0] == '#' {
			continue
		}
		f := strings.SplitN(line, "|", 5)
		if len(f) != 5 {
			panic(fmt.Sprintf("config: directives.txt:%d: want 5 fields", n+1))
		}
		for i := range f {
			f[i] = strings.TrimSpace(f[i])
		}
		name, alias, typ, class, why := f[0], f[1], f[2], f[3], f[4]
		if _, dup := classes[name]; dup {
			panic(fmt.Sprintf("config: directives.txt:%d: %s twice", n+1, name))
		}
		if typ != "-" {
			if alias == "-" {
				alias = ""
			}
			o, err := parseType(name, alias, typ)
			if err != nil {
				panic(fmt.Sprintf("config: directives.txt:%d: %v", n+1, err))
			}
			o.check = optionChecks[name]
			opts = append(opts, o)
		}
		c := classified{why: why, refuse: refusals[name]}
		if k, ok := strings.CutPrefix(why, "@"); ok {
			end := strings.IndexFunc(k, func(r rune) bool { return r < 'a' || r > 'z' })
			if end < 0 {
				end = len(k)
			}
			r, ok := reasons[k[:end]]
			if !ok {
				panic(fmt.Sprintf("config: directives.txt:%d: no reason @%s", n+1, k[:end]))
			}
			c.why = r + k[end:]
		}
		switch class {
		case "carried":
			c.class = Carried
		case "inert":
			c.class = Inert
		case "refused":
			c.class = Refused
		default:
			panic(fmt.Sprintf("config: directives.txt:%d: class %q", n+1, class))
		}
		classes[name] = c
	}
	for name := range optionChecks {
		if _, ok := classes[name]; !ok {
			panic("config: a check for " + name + ", which directives.txt lacks")
		}
	}
	for name := range refusals {
		if _, ok := classes[name]; !ok {
			panic("config: a refusal of " + name + ", which directives.txt lacks")
		}
	}
	return opts, classes
}

var bounds = map[string]int64{"intMin": intMin, "intMax": intMax, "uintMax": uintMax, "longMax": longMax, "ullongMax": ullongUp}

// parseType reads a standard option's type (the table's header gives the grammar).
func parseType(name, alias, typ string) (option, error) {
	o := option{name: name, alias: alias}
	w := strings.Fields(typ)
	num := func(s string) int64 {
		if b, ok := bounds[s]; ok {
			return b
		}
		v, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			panic(fmt.Sprintf("config: directives.txt: %s: %v", name, err))
		}
		return v
	}
	switch {
	case w[0] == "bool" && len(w) == 2:
		o.kind, o.def = optBool, w[1]
	case w[0] == "string":
		o.kind, o.def = optString, strings.TrimSpace(strings.TrimPrefix(typ, "string"))
	case w[0] == "null" && len(w) == 1:
		o.kind, o.null, o.emptyNull = optString, true, true
	case w[0] == "enum" && len(w) >= 3:
		o.kind, o.def = optEnum, w[1]
		for i, v := range w[2:] {
			e := enumValue{v, i}
			if n, val, ok := strings.Cut(v, "="); ok {
				e = enumValue{n, int(num(val))}
			}
			o.enum = append(o.enum, e)
		}
	case w[0] == "shutdown" && len(w) == 1:
		o.kind, o.multi, o.def = optFlags, true, "default"
		o.enum = []enumValue{{"default", 0}, {"save", 1}, {"nosave", 2}, {"now", 4}, {"force", 8}}
	case w[0] == "num" && len(w) >= 4:
		o.kind, o.lo, o.hi, o.defNum = optNum, num(w[1]), num(w[2]), num(w[3])
		for _, f := range w[4:] {
			switch f {
			case "unsigned":
				o.unsigned = true
			case "mem":
				o.flags |= numMem
			case "pct":
				o.flags |= numPct
			case "oct":
				o.flags |= numOct
			default:
				return o, fmt.Errorf("%s: num flag %q", name, f)
			}
		}
	case w[0] == "special" && len(w) <= 2:
		o.kind, o.multi = optSpecial, len(w) == 2 && w[1] == "multi"
	default:
		return o, fmt.Errorf("%s: type %q", name, typ)
	}
	return o, nil
}
