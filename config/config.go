package config

import "time"

// Redis's defaults for a sentinel, named so that rewrites can tell a default from a choice.
const (
	DefaultPort      = 26379
	DefaultDownAfter = 30 * time.Second
	// MinForgetAfter is the least forget-after accepted: more than two hello periods (2 s)
	// so a peer that misses one hello, or one slow PING, is never forgotten for it.
	MinForgetAfter         = 5 * time.Second
	DefaultFailoverTimeout = 180 * time.Second
	DefaultParallelSyncs   = 1
)

// Config is everything a sentinel reads at start-up and writes back when its state changes.
// sentinel.conf and the YAML form both load into it; Rewrite writes it back.
type Config struct {
	// Path is the absolute path of the main config file ("" when none: Rewrite then fails).
	Path string
	// StatePath, from `sentinel state-config-file <path>` (as written; relative to Path's
	// directory), receives the generated state (myid, epochs, votes, known-*) instead of
	// Path, so that Path may be read-only. StateFile returns the path actually used.
	StatePath string

	Port          int      // default 26379; 0 means no TCP listener
	Bind          []string // default ["*", "-::*"]
	ProtectedMode bool     // sentinel default: no
	Daemonize     bool
	Supervised    string // no, upstart, systemd, auto
	Pidfile       string
	Logfile       string // "" logs to stdout
	LogLevel      string // debug, verbose, notice (default), warning
	// LogFormat is ours: "redis" (Redis's own line format, default), "text" (hclog) or "json".
	LogFormat string
	// Dir is the working directory: the last `dir`, else the one Load ran in; absolute,
	// without symbolic links (as getcwd returns it, which the rewrite writes). The
	// caller changes into it; relative paths in the file are relative to it.
	Dir string
	// RequirePass is the default user's password: clients must AUTH with it, and it is the
	// outgoing password to other sentinels when SentinelPass is unset.
	RequirePass string
	// Users are ACL `user` lines, each the name followed by its rules, as written. A
	// `default` user line replaces the default user (from a reset) and wins over
	// requirepass, as in Redis.
	Users [][]string
	// LiveUsers, when set, returns the running ACL users as `user` lines (ACL LIST's
	// form); a rewrite writes them instead of Users, as redis-sentinel writes its live
	// users (rewriteConfigUserOption). The daemon sets it to the endpoint's table; nil
	// from it (no endpoint yet) writes Users. Clone copies it; it is not part of the file.
	LiveUsers func() []string
	// RenameCommands renames the sentinel's own commands (top-level rename-command);
	// an empty new name disables the command. Keys are lower case.
	RenameCommands map[string]string
	BindSourceAddr string

	// Options holds the standard redis-server directives without a field of their own
	// that differ from redis-server's defaults, keyed by primary name (replica-priority,
	// not slave-priority), each in the canonical form redis-sentinel's rewrite writes: the
	// inert ones (maxmemory, appendonly, ...) and carried ones read through accessors or
	// by their users (syslog-*, tls-*, aclfile, ...). They are validated at load and
	// written back, so a file keeps them. directives.txt says what each one does here.
	Options map[string][]string
	// Modules are loadmodule lines (path, then arguments). We cannot load Redis modules;
	// they are kept so the file still works with redis-sentinel.
	Modules [][]string

	// Sentinel block.
	MyID                string // 40 characters; generated at start-up when empty
	CurrentEpoch        uint64
	AnnounceIP          string
	AnnouncePort        int
	AnnounceHostnames   bool
	ResolveHostnames    bool
	DenyScriptsReconfig bool // default yes
	// FastRetry (`sentinel fast-retry yes`, ours, default no) lets a sentinel try again
	// soon after an election nobody won, instead of waiting twice the failover timeout,
	// when no promotion has been seen since: see monitor's retry rule.
	FastRetry bool
	// MinorityRefuses (`sentinel minority-refuses yes`, ours, default no): a sentinel that
	// has not reached a majority of a master's sentinels within down-after-milliseconds
	// answers GET-MASTER-ADDR-BY-NAME for it with a NOQUORUM error rather than an address
	// it cannot vouch for, so clients ask another sentinel. Off, as in redis-sentinel,
	// a sentinel cut off with the old master keeps sending clients there.
	MinorityRefuses bool
	// ProtectEmptyRestart (`sentinel protect-empty-restart yes`, ours, default no as in
	// Redis) treats a master that comes back with a new run ID and an empty dataset while
	// its replicas hold keys as subjectively down, so the group fails over to the replica
	// with the data instead of letting the replicas resync from the empty master and wipe
	// themselves (Redis's "master with persistence turned off" hazard). See monitor's
	// empty-restart rule for what it does and does not protect.
	ProtectEmptyRestart bool
	SentinelUser        string
	SentinelPass        string

	// MetricsAddress (`sentinel metrics-address`, ours, default off) is where the HTTP
	// listener for /metrics, /healthz and /readyz binds, as host:port; a bare port in the
	// file binds loopback (127.0.0.1), so turning metrics on exposes nothing by accident.
	MetricsAddress string
	// MetricsPass (`sentinel metrics-pass`, ours) turns on HTTP basic auth for every path
	// of that listener; the user is MetricsUser (`sentinel metrics-user`), "default" when
	// unset, as a Redis password alone is the default user's.
	MetricsUser string
	MetricsPass string

	// Masters in the order they were declared.
	Masters []*Master

	// declared is the address of each master as the main file (not the state file)
	// declares it: the state file records only how the running state differs.
	declared map[string]Addr
}

// Master returns the master with the given name (names are case-sensitive), or nil.
func (c *Config) Master(name string) *Master {
	for _, m := range c.Masters {
		if m.Name == name {
			return m
		}
	}
	return nil
}

// Master is one `sentinel monitor` and the per-master directives that follow it.
type Master struct {
	Name string
	// Host is an IP as inet_ntop prints it (`1.2.3` in the file is 1.2.0.3), a hostname
	// with resolve-hostnames, and as written with announce-hostnames.
	Host   string
	Port   int
	Quorum int

	DownAfter             time.Duration // default 30 s
	FailoverTimeout       time.Duration // default 180 s
	ParallelSyncs         int           // default 1
	MasterRebootDownAfter time.Duration // 0 disables
	// ForgetAfter (ours, 0 disables) drops a replica or sentinel unseen for that long; see
	// monitor/forget.go for what "seen" means and when it never happens.
	ForgetAfter          time.Duration
	NotificationScript   string
	ClientReconfigScript string
	AuthPass             string
	AuthUser             string
	// RenameCommands maps a command name (lower case) to the name the monitored servers
	// know it by; it applies to everything sent for this master, its replicas and sentinels.
	RenameCommands map[string]string
	// renameSpelling remembers how a renamed command was spelled in the file (CONFIG),
	// which redis-sentinel writes back as is.
	renameSpelling map[string]string

	ConfigEpoch uint64
	LeaderEpoch uint64
	// Leader is the run ID we voted for in LeaderEpoch. redis-sentinel does not persist it;
	// we do, in the state file only (see doc.go), so a restarted sentinel keeps its vote.
	Leader string
	// PeakSentinels (ours, with forget-after) is the most sentinels of this master, us
	// included, heard alive together: majorities are counted among at least that many, so
	// that forgetting peers cut off by a partition never shrinks them (monitor/forget.go).
	PeakSentinels int

	KnownReplicas  []Addr
	KnownSentinels []KnownSentinel
}

// Addr is a host (IP, or hostname with resolve-hostnames) and a port.
type Addr struct {
	Host string
	Port int
}

// KnownSentinel is a peer sentinel remembered in the config.
type KnownSentinel struct {
	Addr
	RunID string
}

// Default returns the settings of a sentinel.conf with no directives.
func Default() *Config {
	return &Config{
		Port:                DefaultPort,
		Bind:                []string{"*", "-::*"},
		Supervised:          "no",
		LogLevel:            "notice",
		LogFormat:           "redis",
		DenyScriptsReconfig: true,
		RenameCommands:      map[string]string{},
		Options:             map[string][]string{},
	}
}

// NewMaster returns a master with redis-sentinel's defaults.
func NewMaster(name, host string, port, quorum int) *Master {
	return &Master{
		Name: name, Host: host, Port: port, Quorum: quorum,
		DownAfter:       DefaultDownAfter,
		FailoverTimeout: DefaultFailoverTimeout,
		ParallelSyncs:   DefaultParallelSyncs,
		RenameCommands:  map[string]string{},
	}
}

// Syslog returns the syslog-enabled, syslog-ident and syslog-facility directives, with
// Redis's defaults (no, "redis", local0). They stay in Options, where the rewrite writes
// them back from, so a file keeps them as written.
func (c *Config) Syslog() (enabled bool, ident, facility string) {
	enabled = first(c.Options["syslog-enabled"]) == "yes"
	ident, facility = "redis", "local0"
	if v, ok := c.Options["syslog-ident"]; ok {
		ident = first(v)
	}
	if v, ok := c.Options["syslog-facility"]; ok {
		facility = first(v)
	}
	return enabled, ident, facility
}
