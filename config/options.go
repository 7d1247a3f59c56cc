package config

import (
	"math"
	"strconv"
	"strings"
)

// This file is the model of redis-server 7.0.15's standard directives (the ones CONFIG GET
// lists, their aliases, and the hidden ones): their types, bounds and defaults, whose table
// is directives.txt. A sentinel.conf may carry any of them; redis-sentinel validates them
// with these rules and rewrites them in the canonical form of their type (`maxmemory
// 1048576` comes back as `maxmemory 1mb`, `slave-priority` as `replica-priority`). Keeping
// the table lets us accept, reject and rewrite them exactly as it does, even though a
// sentinel uses few; the same table says which it carries out, which are inert in sentinel
// mode, and which it refuses.

type optKind uint8

const (
	optBool optKind = iota
	optString
	optEnum
	optFlags // a multi-argument enum of flags (shutdown-on-sigint)
	optNum
	optSpecial
)

type numFlag uint8

const (
	numMem numFlag = 1 << iota
	numPct
	numOct
)

type enumValue struct {
	name string
	val  int
}

type option struct {
	name, alias string
	kind        optKind
	multi       bool // takes any number of arguments (no "wrong number of arguments" check)

	// Strings: def is the default; null means the default is NULL, so the option is absent
	// from a rewritten file while unset; emptyNull stores an empty value as NULL.
	def       string
	null      bool
	emptyNull bool

	enum []enumValue
	// Numbers.
	lo, hi   int64
	unsigned bool
	flags    numFlag
	defNum   int64

	check func(string) string // extra validation, returning Redis's message
}

const (
	intMax   = math.MaxInt32
	intMin   = math.MinInt32
	uintMax  = math.MaxUint32
	longMax  = math.MaxInt64
	ullongUp = -1 // marks ULLONG_MAX as upper bound of an unsigned option
)

// deprecatedOptions are accepted and ignored by the 7.0 loader (with exactly one argument),
// and not known to its rewrite, which comments them out.
var deprecatedOptions = map[string]bool{
	"list-max-ziplist-entries": true,
	"list-max-ziplist-value":   true,
	"lua-replicate-commands":   true,
}

// optionIndex maps every name and alias to its option; the bool tells an alias.
var optionIndex = func() map[string]*option {
	m := make(map[string]*option, 2*len(standardOptions))
	for i := range standardOptions {
		o := &standardOptions[i]
		m[o.name] = o
		if o.alias != "" {
			m[o.alias] = o
		}
	}
	return m
}()

func lookupOption(name string) *option { return optionIndex[name] }

func isBaseName(p string) bool { return !strings.ContainsAny(p, `/\`) }

// checkHostname is isValidAnnouncedHostname.
func checkHostname(v string) string {
	if len(v) >= 256 {
		return "Hostnames must be less than 256 characters"
	}
	for i := 0; i < len(v); i++ {
		c := v[i]
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '.') {
			return "Hostnames may only contain alphanumeric characters, hyphens or dots"
		}
	}
	return ""
}

// checkProcTitle accepts templates made of the variables Redis knows. Redis also rejects a
// template that expands to nothing but spaces; a bare "{title}" is rejected there because
// the title must be followed by something, which we do not try to mimic.
func checkProcTitle(v string) string {
	known := []string{"{title}", "{listen-addr}", "{server-mode}", "{port}", "{tls-port}", "{unixsocket}", "{config-file}"}
	rest := v
	for {
		i := strings.IndexAny(rest, "{}")
		if i < 0 {
			break
		}
		ok := false
		for _, k := range known {
			if strings.HasPrefix(rest[i:], k) {
				rest = rest[i+len(k):]
				ok = true
				break
			}
		}
		if !ok {
			return "template format is invalid or contains unknown variables"
		}
	}
	if strings.TrimSpace(v) == "" || v == "{title}" {
		return "template format is invalid or contains unknown variables"
	}
	return ""
}

func itoa(v int64) string { return strconv.FormatInt(v, 10) }

func enumNames(o *option) string {
	names := make([]string, len(o.enum))
	for i, e := range o.enum {
		names[i] = e.name
	}
	return strings.Join(names, ", ")
}

// enumCanonical returns the first name with the value of s (Redis writes names back by
// value, so `oom-score-adj relative` comes back as `yes`).
func enumCanonical(o *option, s string) (string, bool) {
	for _, e := range o.enum {
		if strings.EqualFold(e.name, s) {
			for _, f := range o.enum {
				if f.val == e.val {
					return f.name, true
				}
			}
		}
	}
	return "", false
}

// parseOption validates the arguments of a standard option as Redis's loader does and
// returns them in canonical form: the words the rewrite writes for that value, which load
// back to the same value. prev is the option's current canonical value (client output
// buffer limits accumulate over lines). An empty reason means success; a nil value with
// success means "unset" (NULL strings, replicaof no one).
func parseOption(o *option, args, prev []string) (canon []string, reason string) {
	if !o.multi && len(args) != 1 {
		return nil, "wrong number of arguments"
	}
	switch o.kind {
	case optBool:
		switch strings.ToLower(args[0]) {
		case "yes":
			canon = []string{"yes"}
		case "no":
			canon = []string{"no"}
		default:
			return nil, "argument must be 'yes' or 'no'"
		}
	case optString:
		if o.emptyNull && args[0] == "" {
			return nil, checkString(o, args[0])
		}
		canon = []string{args[0]}
	case optEnum:
		name, ok := enumCanonical(o, args[0])
		if !ok {
			return nil, "argument(s) must be one of the following: " + enumNames(o)
		}
		canon = []string{name}
	case optFlags:
		return parseFlags(o, args)
	case optNum:
		v, r := parseNumber(o, args[0])
		if r != "" {
			return nil, r
		}
		canon = []string{formatNumber(o, v)}
	case optSpecial:
		return parseSpecial(o, args, prev)
	}
	if r := checkString(o, canon[0]); r != "" {
		return nil, r
	}
	return canon, ""
}

func checkString(o *option, v string) string {
	if o.check == nil {
		return ""
	}
	return o.check(v)
}

func parseFlags(o *option, args []string) ([]string, string) {
	v := 0
	for _, a := range args {
		found := false
		for _, e := range o.enum {
			if strings.EqualFold(e.name, a) {
				v |= e.val
				found = true
				break
			}
		}
		if !found {
			return nil, "argument(s) must be one of the following: " + enumNames(o)
		}
	}
	if v&1 != 0 && v&2 != 0 {
		return nil, "shutdown options SAVE and NOSAVE can't be used simultaneously"
	}
	if v == 0 {
		return []string{"default"}, ""
	}
	var names []string
	for _, e := range o.enum {
		if e.val != 0 && v&e.val != 0 {
			names = append(names, e.name)
		}
	}
	return names, ""
}

func parseNumber(o *option, s string) (int64, string) {
	var v int64
	ok := false
	if o.flags&numMem != 0 {
		if u, good := memtoull(s); good {
			v, ok = int64(u), true
		}
	}
	if !ok && o.flags&numPct != 0 && len(s) > 1 && s[len(s)-1] == '%' {
		if p, good := string2ll(s[:len(s)-1]); good && p >= 0 {
			v, ok = -p, true
		}
	}
	if !ok && o.flags&numOct != 0 {
		v, ok = parseOctal(s)
	}
	if !ok && o.flags == 0 {
		v, ok = string2ll(s)
	}
	if !ok {
		switch {
		case o.flags&numMem != 0 && o.flags&numPct != 0:
			return 0, "argument must be a memory or percent value"
		case o.flags&numMem != 0:
			return 0, "argument must be a memory value"
		case o.flags&numOct != 0:
			return 0, "argument couldn't be parsed as an octal number"
		}
		return 0, "argument couldn't be parsed into an integer"
	}
	if o.unsigned {
		u, lo := uint64(v), uint64(o.lo)
		hi := uint64(o.hi)
		if o.hi == ullongUp {
			hi = math.MaxUint64
		}
		if u > hi || u < lo {
			if o.flags&numOct != 0 {
				return 0, "argument must be between " + strconv.FormatUint(lo, 8) + " and " + strconv.FormatUint(hi, 8) + " inclusive"
			}
			return 0, "argument must be between " + strconv.FormatUint(lo, 10) + " and " + strconv.FormatUint(hi, 10) + " inclusive"
		}
		return v, ""
	}
	if o.flags&numPct != 0 && v < 0 {
		if v < o.lo {
			return 0, "percentage argument must be less or equal to " + itoa(-o.lo)
		}
		return v, ""
	}
	if v > o.hi || v < o.lo {
		return 0, "argument must be between " + itoa(o.lo) + " and " + itoa(o.hi) + " inclusive"
	}
	return v, ""
}

// formatNumber is the numeric rewrite: percentages as N%, memory in the largest unit that
// divides, octal without a leading zero, integers in decimal.
func formatNumber(o *option, v int64) string {
	switch {
	case o.flags&numPct != 0 && v < 0:
		return itoa(-v) + "%"
	case o.flags&numMem != 0:
		return formatMemory(v)
	case o.flags&numOct != 0:
		return strconv.FormatUint(uint64(v), 8)
	}
	return itoa(v)
}

// defaultCanon is the canonical form of an option's default, "" with ok=false for NULL.
func defaultCanon(o *option) (string, bool) {
	switch o.kind {
	case optNum:
		return formatNumber(o, o.defNum), true
	case optString:
		return o.def, !o.null
	}
	return o.def, true
}
