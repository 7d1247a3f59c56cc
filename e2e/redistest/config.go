package redistest

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/sentinel-go/sentinel/internal/respserver"
)

// config holds the parameters CONFIG GET and CONFIG SET know, with Redis's names and defaults
// except where noted.
type config struct {
	requirePass           string
	masterAuth            string
	masterUser            string
	replicaPriority       int
	replicaAnnounced      bool
	replicaAnnounceIP     string
	replicaAnnouncePort   int
	replicaReadOnly       bool
	replicaServeStaleData bool
	disklessSync          bool
	// disklessSyncDelay defaults to 0, not Redis's 5 s: a test server should not make every
	// replica wait five seconds for company before its first sync.
	disklessSyncDelay  int
	minReplicasToWrite int
	minReplicasMaxLag  int
	backlogSize        int64
	replTimeout        int
	replPingPeriod     int
	maxClients         int // maxclients
	idleTimeout        int // timeout, in seconds
	tcpKeepAlive       int // tcp-keepalive, in seconds
	users              map[string]*user
	// extra keeps parameters we accept and echo but do not act on (save, appendonly, ...),
	// so clients that set them get Redis's answers.
	extra map[string]string
}

type user struct {
	name     string
	password string // "" with nopass
	nopass   bool
	enabled  bool
}

func defaultConfig() config {
	return config{
		replicaPriority:       100,
		replicaAnnounced:      true,
		replicaReadOnly:       true,
		replicaServeStaleData: true,
		disklessSync:          true,
		minReplicasMaxLag:     10,
		backlogSize:           1 << 20,
		replTimeout:           60,
		replPingPeriod:        10,
		maxClients:            10000,
		tcpKeepAlive:          300,
		users:                 map[string]*user{"default": {name: "default", nopass: true, enabled: true}},
		extra: map[string]string{
			"save": "", "appendonly": "no", "maxmemory": "0",
			"protected-mode": "no", "bind": "127.0.0.1", "databases": "16",
			"repl-diskless-load": "disabled", "maxmemory-policy": "noeviction",
			"lazyfree-lazy-expire": "no", "rdbcompression": "yes", "dir": "/tmp",
			"dbfilename": "dump.rdb", "loglevel": "notice", "hz": "10",
		},
	}
}

// param is one CONFIG parameter: how to read it and how to set it.
type param struct {
	names []string // the name and its aliases (slave-priority for replica-priority, ...)
	get   func(*config) string
	set   func(*config, string) error
}

var params = []param{
	{[]string{"requirepass"}, func(c *config) string { return c.requirePass },
		func(c *config, v string) error {
			c.requirePass = v
			d := c.users["default"]
			d.password, d.nopass = v, v == ""
			return nil
		}},
	{[]string{"masterauth"}, func(c *config) string { return c.masterAuth },
		func(c *config, v string) error { c.masterAuth = v; return nil }},
	{[]string{"masteruser"}, func(c *config) string { return c.masterUser },
		func(c *config, v string) error { c.masterUser = v; return nil }},
	{[]string{"replica-priority", "slave-priority"}, intGet(func(c *config) *int { return &c.replicaPriority }),
		intSet(func(c *config) *int { return &c.replicaPriority }, 0, 1<<31-1)},
	{[]string{"replica-announced"}, boolGet(func(c *config) *bool { return &c.replicaAnnounced }),
		boolSet(func(c *config) *bool { return &c.replicaAnnounced })},
	{[]string{"replica-announce-ip", "slave-announce-ip"}, func(c *config) string { return c.replicaAnnounceIP },
		func(c *config, v string) error { c.replicaAnnounceIP = v; return nil }},
	{[]string{"replica-announce-port", "slave-announce-port"}, intGet(func(c *config) *int { return &c.replicaAnnouncePort }),
		intSet(func(c *config) *int { return &c.replicaAnnouncePort }, 0, 65535)},
	{[]string{"replica-read-only", "slave-read-only"}, boolGet(func(c *config) *bool { return &c.replicaReadOnly }),
		boolSet(func(c *config) *bool { return &c.replicaReadOnly })},
	{[]string{"replica-serve-stale-data", "slave-serve-stale-data"}, boolGet(func(c *config) *bool { return &c.replicaServeStaleData }),
		boolSet(func(c *config) *bool { return &c.replicaServeStaleData })},
	{[]string{"repl-diskless-sync"}, boolGet(func(c *config) *bool { return &c.disklessSync }),
		boolSet(func(c *config) *bool { return &c.disklessSync })},
	{[]string{"repl-diskless-sync-delay"}, intGet(func(c *config) *int { return &c.disklessSyncDelay }),
		intSet(func(c *config) *int { return &c.disklessSyncDelay }, 0, 1<<31-1)},
	{[]string{"min-replicas-to-write", "min-slaves-to-write"}, intGet(func(c *config) *int { return &c.minReplicasToWrite }),
		intSet(func(c *config) *int { return &c.minReplicasToWrite }, 0, 1<<31-1)},
	{[]string{"min-replicas-max-lag", "min-slaves-max-lag"}, intGet(func(c *config) *int { return &c.minReplicasMaxLag }),
		intSet(func(c *config) *int { return &c.minReplicasMaxLag }, 0, 1<<31-1)},
	{[]string{"repl-backlog-size"}, func(c *config) string { return strconv.FormatInt(c.backlogSize, 10) },
		func(c *config, v string) error {
			n, err := parseMemory(v)
			if err != nil || n < 16*1024 {
				return errors.New("argument must be a memory value of at least 16kb")
			}
			c.backlogSize = n
			return nil
		}},
	{[]string{"repl-timeout"}, intGet(func(c *config) *int { return &c.replTimeout }),
		intSet(func(c *config) *int { return &c.replTimeout }, 1, 1<<31-1)},
	{[]string{"maxclients"}, intGet(func(c *config) *int { return &c.maxClients }),
		intSet(func(c *config) *int { return &c.maxClients }, 1, 1<<32-1)},
	{[]string{"timeout"}, intGet(func(c *config) *int { return &c.idleTimeout }),
		intSet(func(c *config) *int { return &c.idleTimeout }, 0, 1<<31-1)},
	{[]string{"tcp-keepalive"}, intGet(func(c *config) *int { return &c.tcpKeepAlive }),
		intSet(func(c *config) *int { return &c.tcpKeepAlive }, 0, 1<<31-1)},
	{[]string{"repl-ping-replica-period", "repl-ping-slave-period"}, intGet(func(c *config) *int { return &c.replPingPeriod }),
		intSet(func(c *config) *int { return &c.replPingPeriod }, 1, 1<<31-1)},
}

func intGet(f func(*config) *int) func(*config) string {
	return func(c *config) string { return strconv.Itoa(*f(c)) }
}

func intSet(f func(*config) *int, lo, hi int) func(*config, string) error {
	return func(c *config, v string) error {
		n, err := strconv.Atoi(v)
		if err != nil {
			return errors.New("argument couldn't be parsed into an integer")
		}
		if n < lo || n > hi {
			return fmt.Errorf("argument must be between %d and %d inclusive", lo, hi)
		}
		*f(c) = n
		return nil
	}
}

func boolGet(f func(*config) *bool) func(*config) string {
	return func(c *config) string {
		if *f(c) {
			return "yes"
		}
		return "no"
	}
}

func boolSet(f func(*config) *bool) func(*config, string) error {
	return func(c *config, v string) error {
		switch strings.ToLower(v) {
		case "yes":
			*f(c) = true
		case "no":
			*f(c) = false
		default:
			return errors.New("argument must be 'yes' or 'no'")
		}
		return nil
	}
}

func parseMemory(v string) (int64, error) {
	v = strings.ToLower(v)
	mult := int64(1)
	for _, u := range []struct {
		suffix string
		mult   int64
	}{{"gb", 1 << 30}, {"mb", 1 << 20}, {"kb", 1 << 10}, {"g", 1e9}, {"m", 1e6}, {"k", 1e3}, {"b", 1}} {
		if strings.HasSuffix(v, u.suffix) {
			v, mult = strings.TrimSuffix(v, u.suffix), u.mult
			break
		}
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 0 {
		return 0, errors.New("argument must be a memory value")
	}
	return n * mult, nil
}

func findParam(name string) *param {
	name = strings.ToLower(name)
	for i := range params {
		for _, n := range params[i].names {
			if n == name {
				return &params[i]
			}
		}
	}
	return nil
}

func (c *config) set(name, value string) error {
	if p := findParam(name); p != nil {
		return p.set(c, value)
	}
	if _, ok := c.extra[strings.ToLower(name)]; ok {
		c.extra[strings.ToLower(name)] = value
		return nil
	}
	return fmt.Errorf("%w - '%s'", errUnknownOption, name)
}

// errUnknownOption's text is the start of Redis's reply, which is why it is capitalized.
var errUnknownOption = errors.New("Unknown option or number of arguments for CONFIG SET") //lint:ignore ST1005 Redis's reply text

// get returns the parameters whose name matches the glob pattern, name then value, in the
// order of the parameter table.
func (c *config) get(pattern string) []string {
	pattern = strings.ToLower(pattern)
	var out []string
	for _, p := range params {
		for _, n := range p.names {
			if globMatch(pattern, n) {
				out = append(out, n, p.get(c))
			}
		}
	}
	for _, n := range sortedKeys(c.extra) {
		if globMatch(pattern, n) {
			out = append(out, n, c.extra[n])
		}
	}
	return out
}

func (c *config) authRequired() bool {
	d := c.users["default"]
	return d == nil || !d.nopass || !d.enabled
}

func init() {
	register(&command{name: "config", arity: -2, flags: fLoading | fStale | fNoBusy, run: cmdConfig})
}

func cmdConfig(s *Server, c *client, args [][]byte) {
	sub := strings.ToUpper(string(args[1]))
	switch {
	case sub == "GET" && len(args) >= 3:
		var out []string
		seen := map[string]bool{}
		for _, pat := range args[2:] {
			kv := s.cfg.get(string(pat))
			for i := 0; i < len(kv); i += 2 {
				if !seen[kv[i]] {
					seen[kv[i]] = true
					out = append(out, kv[i], kv[i+1])
				}
			}
		}
		c.w.Map(len(out) / 2)
		for _, v := range out {
			c.w.BulkString(v)
		}
	case sub == "SET" && len(args) >= 4 && len(args)%2 == 0:
		// CONFIG SET is atomic in Redis 7: all parameters change or none.
		next := s.cfg
		next.users = cloneUsers(s.cfg.users)
		next.extra = cloneStrings(s.cfg.extra)
		for i := 2; i < len(args); i += 2 {
			if err := next.set(string(args[i]), string(args[i+1])); err != nil {
				if errors.Is(err, errUnknownOption) {
					c.w.Error("ERR " + err.Error())
				} else {
					c.w.Error(fmt.Sprintf("ERR CONFIG SET failed (possibly related to argument '%s') - %s", args[i], err))
				}
				return
			}
		}
		s.cfg = next
		s.applyConnLimits()
		c.w.Simple("OK")
	case sub == "REWRITE" && len(args) == 2:
		if err := s.rewriteConfig(); errors.Is(err, errNoConfigFile) {
			c.w.Error("ERR " + err.Error())
			return
		} else if err != nil {
			c.w.Error("ERR Rewriting config file: " + errors.Unwrap(err).Error())
			return
		}
		c.w.Simple("OK")
	case sub == "RESETSTAT" && len(args) == 2:
		s.stats = stats{}
		c.w.Simple("OK")
	case sub == "HELP":
		c.w.Strings([]string{"CONFIG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
			"GET <pattern>", "SET <directive> <value>", "RESETSTAT", "REWRITE", "HELP"})
	case sub == "GET" || sub == "SET" || sub == "REWRITE" || sub == "RESETSTAT":
		c.w.Error(fmt.Sprintf("ERR wrong number of arguments for 'config|%s' command", strings.ToLower(sub)))
	default:
		c.w.Error(respserver.UnknownSubcommand("config", args[1]))
	}
}

// errNoConfigFile is Redis's reply to CONFIG REWRITE on a server started without a file.
var errNoConfigFile = errors.New("The server is running without a config file") //lint:ignore ST1005 Redis's reply text

// rewriteConfig writes the parameters that differ from the defaults, and the replication
// role, to the config file, so a Restart-like reload would come back in the same role.
func (s *Server) rewriteConfig() error {
	if s.opts.ConfigFile == "" {
		return errNoConfigFile
	}
	var b strings.Builder
	b.WriteString("# Generated by CONFIG REWRITE\n")
	def := defaultConfig()
	for _, p := range params {
		if v := p.get(&s.cfg); v != p.get(&def) {
			fmt.Fprintf(&b, "%s %q\n", p.names[0], v)
		}
	}
	if s.repl.isReplica() {
		fmt.Fprintf(&b, "replicaof %s %d\n", s.repl.masterHost, s.repl.masterPort)
	}
	tmp := s.opts.ConfigFile + ".tmp"
	f, err := os.Create(tmp)
	if err != nil {
		return fmt.Errorf("rewriting config file: %w", err)
	}
	if _, err := f.WriteString(b.String()); err != nil {
		f.Close()
		return fmt.Errorf("rewriting config file: %w", err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("rewriting config file: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("rewriting config file: %w", err)
	}
	return os.Rename(tmp, s.opts.ConfigFile)
}

func cloneUsers(m map[string]*user) map[string]*user {
	out := make(map[string]*user, len(m))
	for k, u := range m {
		cp := *u
		out[k] = &cp
	}
	return out
}

func cloneStrings(m map[string]string) map[string]string {
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}
