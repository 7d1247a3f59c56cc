package config

import (
	"math"
	"strconv"
	"strings"
)

// This file is the table of redis-server 7.0.15's standard directives (the ones CONFIG GET
// lists, their aliases, and the hidden ones), with the type, bounds and default of each.
// A sentinel.conf may carry any of them; redis-sentinel validates them with these rules and
// rewrites them in the canonical form of their type (`maxmemory 1048576` comes back as
// `maxmemory 1mb`, `slave-priority` as `replica-priority`). Keeping the table lets us
// accept, reject and rewrite them exactly as it does, even though a sentinel uses few;
// directiveClasses (support.go) says which it carries out, which are inert in sentinel
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

func boolOpt(name, alias string, def bool) option {
	d := "no"
	if def {
		d = "yes"
	}
	return option{name: name, alias: alias, kind: optBool, def: d}
}

func strOpt(name, def string) option {
	return option{name: name, kind: optString, def: def}
}

func nullStr(name, alias string) option {
	return option{name: name, alias: alias, kind: optString, null: true, emptyNull: true}
}

func enumOpt(name string, def string, values ...string) option {
	o := option{name: name, kind: optEnum, def: def}
	for i, v := range values {
		o.enum = append(o.enum, enumValue{v, i})
	}
	return o
}

func intOpt(name, alias string, lo, hi, def int64) option {
	return option{name: name, alias: alias, kind: optNum, lo: lo, hi: hi, defNum: def}
}

func uintOpt(name, alias string, lo, hi, def int64, f numFlag) option {
	return option{name: name, alias: alias, kind: optNum, lo: lo, hi: hi, defNum: def, unsigned: true, flags: f}
}

func memOpt(name, alias string, lo, hi, def int64, unsigned bool) option {
	return option{name: name, alias: alias, kind: optNum, lo: lo, hi: hi, defNum: def, unsigned: unsigned, flags: numMem}
}

func special(name, alias string, multi bool) option {
	return option{name: name, alias: alias, kind: optSpecial, multi: multi}
}

var protectedAction = []string{"no", "yes", "local"}

// standardOptions lists redis-server 7.0.15's configs in the order of its source table.
var standardOptions = []option{
	boolOpt("rdbchecksum", "", true),
	boolOpt("daemonize", "", false),
	boolOpt("io-threads-do-reads", "", false),
	boolOpt("always-show-logo", "", false),
	boolOpt("protected-mode", "", true),
	boolOpt("rdbcompression", "", true),
	boolOpt("rdb-del-sync-files", "", false),
	boolOpt("activerehashing", "", true),
	boolOpt("stop-writes-on-bgsave-error", "", true),
	boolOpt("set-proc-title", "", true),
	boolOpt("dynamic-hz", "", true),
	boolOpt("lazyfree-lazy-eviction", "", false),
	boolOpt("lazyfree-lazy-expire", "", false),
	boolOpt("lazyfree-lazy-server-del", "", false),
	boolOpt("lazyfree-lazy-user-del", "", false),
	boolOpt("lazyfree-lazy-user-flush", "", false),
	boolOpt("repl-disable-tcp-nodelay", "", false),
	boolOpt("repl-diskless-sync", "", true),
	boolOpt("aof-rewrite-incremental-fsync", "", true),
	boolOpt("no-appendfsync-on-rewrite", "", false),
	boolOpt("cluster-require-full-coverage", "", true),
	boolOpt("rdb-save-incremental-fsync", "", true),
	boolOpt("aof-load-truncated", "", true),
	boolOpt("aof-use-rdb-preamble", "", true),
	boolOpt("aof-timestamp-enabled", "", false),
	boolOpt("cluster-replica-no-failover", "cluster-slave-no-failover", false),
	boolOpt("replica-lazy-flush", "slave-lazy-flush", false),
	boolOpt("replica-serve-stale-data", "slave-serve-stale-data", true),
	boolOpt("replica-read-only", "slave-read-only", true),
	boolOpt("replica-ignore-maxmemory", "slave-ignore-maxmemory", true),
	boolOpt("jemalloc-bg-thread", "", true),
	withCheck(boolOpt("activedefrag", "", false), func(v string) string {
		// Debian's redis links the system jemalloc, which cannot defragment.
		if v == "yes" {
			return "Active defragmentation cannot be enabled: it requires a Redis server compiled with a modified Jemalloc like the one shipped by default with the Redis source distribution"
		}
		return ""
	}),
	boolOpt("syslog-enabled", "", false),
	boolOpt("cluster-enabled", "", false),
	boolOpt("appendonly", "", false),
	boolOpt("cluster-allow-reads-when-down", "", false),
	boolOpt("cluster-allow-pubsubshard-when-down", "", true),
	boolOpt("crash-log-enabled", "", true),
	boolOpt("crash-memcheck-enabled", "", true),
	boolOpt("use-exit-on-panic", "", false),
	boolOpt("disable-thp", "", true),
	boolOpt("cluster-allow-replica-migration", "", true),
	boolOpt("replica-announced", "", true),
	boolOpt("latency-tracking", "", true),
	boolOpt("aof-disable-auto-gc", "", false),
	boolOpt("replica-ignore-disk-write-errors", "", false),

	strOpt("aclfile", ""),
	nullStr("unixsocket", ""),
	nullStr("pidfile", ""),
	nullStr("replica-announce-ip", "slave-announce-ip"),
	nullStr("masteruser", ""),
	nullStr("cluster-announce-ip", ""),
	strOpt("cluster-config-file", "nodes.conf"),
	withCheck(nullStr("cluster-announce-hostname", ""), checkHostname),
	strOpt("syslog-ident", "redis"),
	withCheck(strOpt("dbfilename", "dump.rdb"), func(v string) string {
		if !isBaseName(v) {
			return "dbfilename can't be a path, just a filename"
		}
		return ""
	}),
	withCheck(strOpt("appendfilename", "appendonly.aof"), func(v string) string {
		switch {
		case v == "":
			return "appendfilename can't be empty"
		case !isBaseName(v):
			return "appendfilename can't be a path, just a filename"
		}
		return ""
	}),
	withCheck(strOpt("appenddirname", "appendonlydir"), func(v string) string {
		switch {
		case v == "":
			return "appenddirname can't be empty"
		case !isBaseName(v):
			return "appenddirname can't be a path, just a dirname"
		}
		return ""
	}),
	nullStr("server_cpulist", ""),
	nullStr("bio_cpulist", ""),
	nullStr("aof_rewrite_cpulist", ""),
	nullStr("bgsave_cpulist", ""),
	strOpt("ignore-warnings", ""),
	withCheck(strOpt("proc-title-template", "{title} {listen-addr} {server-mode}"), checkProcTitle),
	nullStr("bind-source-addr", ""),
	strOpt("logfile", ""),
	nullStr("masterauth", ""),
	nullStr("requirepass", ""),

	enumOpt("supervised", "no", "upstart", "systemd", "auto", "no"),
	enumOpt("syslog-facility", "local0", "user", "local0", "local1", "local2", "local3", "local4", "local5", "local6", "local7"),
	enumOpt("repl-diskless-load", "disabled", "disabled", "on-empty-db", "swapdb"),
	enumOpt("loglevel", "notice", "debug", "verbose", "notice", "warning"),
	enumOpt("maxmemory-policy", "noeviction", "volatile-lru", "volatile-lfu", "volatile-random", "volatile-ttl", "allkeys-lru", "allkeys-lfu", "allkeys-random", "noeviction"),
	enumOpt("appendfsync", "everysec", "everysec", "always", "no"),
	{name: "oom-score-adj", kind: optEnum, def: "no", enum: []enumValue{{"no", 0}, {"yes", 1}, {"relative", 1}, {"absolute", 2}}},
	enumOpt("acl-pubsub-default", "resetchannels", "allchannels", "resetchannels"),
	enumOpt("sanitize-dump-payload", "no", "no", "yes", "clients"),
	enumOpt("enable-protected-configs", "no", protectedAction...),
	enumOpt("enable-debug-command", "no", protectedAction...),
	enumOpt("enable-module-command", "no", protectedAction...),
	enumOpt("cluster-preferred-endpoint-type", "ip", "ip", "hostname", "unknown-endpoint"),
	enumOpt("propagation-error-behavior", "ignore", "ignore", "panic", "panic-on-replicas"),
	shutdownOpt("shutdown-on-sigint"),
	shutdownOpt("shutdown-on-sigterm"),

	intOpt("databases", "", 1, intMax, 16),
	intOpt("port", "", 0, 65535, 6379),
	intOpt("io-threads", "", 1, 128, 1),
	intOpt("auto-aof-rewrite-percentage", "", 0, intMax, 100),
	intOpt("cluster-replica-validity-factor", "cluster-slave-validity-factor", 0, intMax, 10),
	intOpt("list-max-listpack-size", "list-max-ziplist-size", intMin, intMax, -2),
	intOpt("tcp-keepalive", "", 0, intMax, 300),
	intOpt("cluster-migration-barrier", "", 0, intMax, 1),
	intOpt("active-defrag-cycle-min", "", 1, 99, 1),
	intOpt("active-defrag-cycle-max", "", 1, 99, 25),
	intOpt("active-defrag-threshold-lower", "", 0, 1000, 10),
	intOpt("active-defrag-threshold-upper", "", 0, 1000, 100),
	intOpt("lfu-log-factor", "", 0, intMax, 10),
	intOpt("lfu-decay-time", "", 0, intMax, 1),
	intOpt("replica-priority", "slave-priority", 0, intMax, 100),
	intOpt("repl-diskless-sync-delay", "", 0, intMax, 5),
	intOpt("maxmemory-samples", "", 1, intMax, 5),
	intOpt("maxmemory-eviction-tenacity", "", 0, 100, 10),
	intOpt("timeout", "", 0, intMax, 0),
	intOpt("replica-announce-port", "slave-announce-port", 0, 65535, 0),
	intOpt("tcp-backlog", "", 0, intMax, 511),
	intOpt("cluster-port", "", 0, 65535, 0),
	intOpt("cluster-announce-bus-port", "", 0, 65535, 0),
	intOpt("cluster-announce-port", "", 0, 65535, 0),
	intOpt("cluster-announce-tls-port", "", 0, 65535, 0),
	intOpt("repl-timeout", "", 1, intMax, 60),
	intOpt("repl-ping-replica-period", "repl-ping-slave-period", 1, intMax, 10),
	intOpt("list-compress-depth", "", 0, intMax, 0),
	intOpt("rdb-key-save-delay", "", intMin, intMax, 0),
	intOpt("key-load-delay", "", intMin, intMax, 0),
	intOpt("active-expire-effort", "", 1, 10, 1),
	intOpt("hz", "", 0, intMax, 10),
	intOpt("min-replicas-to-write", "min-slaves-to-write", 0, intMax, 0),
	intOpt("min-replicas-max-lag", "min-slaves-max-lag", 0, intMax, 10),
	intOpt("watchdog-period", "", 0, intMax, 0),
	intOpt("shutdown-timeout", "", 0, intMax, 10),
	intOpt("repl-diskless-sync-max-replicas", "", 0, intMax, 0),
	uintOpt("maxclients", "", 1, uintMax, 10000, 0),
	uintOpt("unixsocketperm", "", 0, 0o777, 0, numOct),
	uintOpt("socket-mark-id", "", 0, uintMax, 0, 0),
	intOpt("active-defrag-max-scan-fields", "", 1, longMax, 1000),
	intOpt("slowlog-max-len", "", 0, longMax, 128),
	intOpt("acllog-max-len", "", 0, longMax, 128),
	intOpt("busy-reply-threshold", "lua-time-limit", 0, longMax, 5000),
	intOpt("cluster-node-timeout", "", 0, longMax, 15000),
	intOpt("slowlog-log-slower-than", "", -1, longMax, 10000),
	intOpt("latency-monitor-threshold", "", 0, longMax, 0),
	memOpt("proto-max-bulk-len", "", 1024*1024, longMax, 512*1024*1024, false),
	intOpt("stream-node-max-entries", "", 0, longMax, 100),
	memOpt("repl-backlog-size", "", 1, longMax, 1024*1024, false),
	memOpt("maxmemory", "", 0, ullongUp, 0, true),
	memOpt("cluster-link-sendbuf-limit", "", 0, ullongUp, 0, true),
	uintOpt("hash-max-listpack-entries", "hash-max-ziplist-entries", 0, longMax, 512, 0),
	uintOpt("set-max-intset-entries", "", 0, longMax, 512, 0),
	uintOpt("zset-max-listpack-entries", "zset-max-ziplist-entries", 0, longMax, 128, 0),
	memOpt("active-defrag-ignore-bytes", "", 1, longMax, 100<<20, true),
	memOpt("hash-max-listpack-value", "hash-max-ziplist-value", 0, longMax, 64, true),
	memOpt("stream-node-max-bytes", "", 0, longMax, 4096, true),
	memOpt("zset-max-listpack-value", "zset-max-ziplist-value", 0, longMax, 64, true),
	memOpt("hll-sparse-max-bytes", "", 0, longMax, 3000, true),
	uintOpt("tracking-table-max-keys", "", 0, longMax, 1000000, 0),
	memOpt("client-query-buffer-limit", "", 1024*1024, longMax, 1024*1024*1024, true),
	{name: "maxmemory-clients", kind: optNum, lo: -100, hi: longMax, flags: numMem | numPct},
	intOpt("repl-backlog-ttl", "", 0, longMax, 3600),
	memOpt("auto-aof-rewrite-min-size", "", 0, longMax, 64*1024*1024, false),
	intOpt("loading-process-events-interval-bytes", "", 1024, intMax, 2*1024*1024),

	intOpt("tls-port", "", 0, 65535, 0),
	intOpt("tls-session-cache-size", "", 0, intMax, 20*1024),
	intOpt("tls-session-cache-timeout", "", 0, intMax, 300),
	boolOpt("tls-cluster", "", false),
	boolOpt("tls-replication", "", false),
	enumOpt("tls-auth-clients", "yes", "no", "yes", "optional"),
	boolOpt("tls-prefer-server-ciphers", "", false),
	boolOpt("tls-session-caching", "", true),
	nullStr("tls-cert-file", ""),
	nullStr("tls-key-file", ""),
	nullStr("tls-key-file-pass", ""),
	nullStr("tls-client-cert-file", ""),
	nullStr("tls-client-key-file", ""),
	nullStr("tls-client-key-file-pass", ""),
	nullStr("tls-dh-params-file", ""),
	nullStr("tls-ca-cert-file", ""),
	nullStr("tls-ca-cert-dir", ""),
	nullStr("tls-protocols", ""),
	nullStr("tls-ciphers", ""),
	nullStr("tls-ciphersuites", ""),

	special("dir", "", false),
	special("save", "", true),
	special("client-output-buffer-limit", "", true),
	special("oom-score-adj-values", "", true),
	special("notify-keyspace-events", "", false),
	special("bind", "", true),
	special("replicaof", "slaveof", true),
	special("latency-tracking-info-percentiles", "", true),
}

// deprecatedOptions are accepted and ignored by the 7.0 loader (with exactly one argument),
// and not known to its rewrite, which comments them out.
var deprecatedOptions = map[string]bool{
	"list-max-ziplist-entries": true,
	"list-max-ziplist-value":   true,
	"lua-replicate-commands":   true,
}

func withCheck(o option, f func(string) string) option {
	o.check = f
	return o
}

func shutdownOpt(name string) option {
	return option{name: name, kind: optFlags, multi: true, def: "default",
		enum: []enumValue{{"default", 0}, {"save", 1}, {"nosave", 2}, {"now", 4}, {"force", 8}}}
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
