package config

import (
	"strings"

	"github.com/sentinel-go/sentinel/internal/cstrconv"
)

// Class is what this sentinel does with a directive redis-sentinel 7.0.15 accepts. Every
// directive the loader knows has exactly one (directiveClasses); DIRECTIVES.md is the
// same table for people, generated from it.
type Class uint8

const (
	// Carried directives work here as they do in redis-sentinel.
	Carried Class = iota + 1
	// Inert directives are accepted, checked and kept at rewrite, and do nothing, because
	// redis-sentinel does nothing with them either in sentinel mode: each entry's reason
	// says why (the code path that reads it does not run in sentinel mode).
	Inert
	// Refused directives do something observable in redis-sentinel that this sentinel does
	// not do. A line that sets one to anything but its default stops the load with a
	// LineError "'<line>' is not supported by this sentinel"; its default is accepted, so a
	// stock file that spells defaults out (tcp-backlog 511) still loads, and keeps what
	// redis-sentinel would do (nothing different from the default) honest.
	Refused
)

func (c Class) String() string {
	switch c {
	case Carried:
		return "carried out"
	case Inert:
		return "ignored, as redis-sentinel ignores it"
	case Refused:
		return "refused unless default"
	}
	return "unclassified"
}

// classified is one directive's class, the reason for it, and for Refused directives
// which values are refused when that is not simply "any but the default".
type classified struct {
	class  Class
	why    string
	refuse func(args, canon []string) bool
}

// Reasons shared by many inert directives.
const (
	whyData    = "sentinel mode loads and writes no dataset: main() skips loadDataFromDisk and the AOF, and no sentinel command writes, so no save point is ever reached"
	whyKeys    = "tunes keys, their encodings, expiry or eviction: a sentinel has no keys"
	whyRepl    = "replication: a sentinel replicates from nobody (replicaof is refused) and has no replicas"
	whyCluster = "Redis Cluster: read only with cluster-enabled yes, which is refused"
	whyNoCmd   = "configures commands a sentinel does not have (its table is the 15 commands of sentinelcmds)"
	whyHz      = "sentinelTimer sets server.hz to a random 10-19 on every tick, which paces the timer whatever hz and dynamic-hz say; within a tick they only change how often serverCron's housekeeping runs, a matter of timing precision"
	whyOurs    = "ours (not in redis-sentinel)"
	whyTLS     = "TLS, as redis-sentinel uses it for its listener and its links"
)

func carried(why string) classified { return classified{class: Carried, why: why} }
func inert(why string) classified   { return classified{class: Inert, why: why} }
func refused(why string) classified { return classified{class: Refused, why: why} }

// moduleOption stands for every "<module>.<option>" directive.
const moduleOption = "<module>.<option>"

// directiveClasses classifies every directive: standard options by primary name (aliases
// share it), the other top-level directives, and the sentinel ones as "sentinel <name>".
var directiveClasses = map[string]classified{
	// What a sentinel is made of.
	"port":                      carried("listening port"),
	"bind":                      carried("listening addresses"),
	"bind-source-addr":          carried("source address of outgoing links"),
	"protected-mode":            carried("refuses non-loopback clients while the default user has no password"),
	"dir":                       carried("working directory"),
	"daemonize":                 carried("forks into the background"),
	"supervised":                carried("systemd notification"),
	"pidfile":                   carried("pid file"),
	"logfile":                   carried("log file"),
	"loglevel":                  carried("log level"),
	"syslog-enabled":            carried("also logs to syslog"),
	"syslog-ident":              carried("syslog ident"),
	"syslog-facility":           carried("syslog facility"),
	"requirepass":               carried("default user's password"),
	"aclfile":                   carried("ACL users file"),
	"maxclients":                carried("client limit"),
	"timeout":                   carried("idle client timeout"),
	"tcp-keepalive":             carried("TCP keepalive of client connections"),
	"unixsocket":                carried("Unix socket listener"),
	"unixsocketperm":            carried("Unix socket permissions"),
	"include":                   carried("includes other files"),
	"rename-command":            carried("renames the sentinel's own commands"),
	"user":                      carried("ACL users"),
	"sentinel":                  carried("selects sentinel mode; see the sentinel directives"),
	"logformat":                 carried(whyOurs + ": redis, text or json log lines"),
	"tls-port":                  carried(whyTLS),
	"tls-cert-file":             carried(whyTLS),
	"tls-key-file":              carried(whyTLS),
	"tls-key-file-pass":         carried(whyTLS),
	"tls-client-cert-file":      carried(whyTLS),
	"tls-client-key-file":       carried(whyTLS),
	"tls-client-key-file-pass":  carried(whyTLS),
	"tls-ca-cert-file":          carried(whyTLS),
	"tls-ca-cert-dir":           carried(whyTLS),
	"tls-auth-clients":          carried(whyTLS),
	"tls-protocols":             carried(whyTLS),
	"tls-ciphers":               carried(whyTLS),
	"tls-ciphersuites":          carried(whyTLS),
	"tls-prefer-server-ciphers": carried(whyTLS),
	"tls-session-caching":       carried(whyTLS),
	"tls-session-cache-size":    carried(whyTLS),
	"tls-session-cache-timeout": carried(whyTLS),
	"tls-dh-params-file":        carried(whyTLS),
	"tls-replication":           carried(whyTLS + ": links to masters, replicas and sentinels use TLS"),

	// What redis-sentinel acts on and we do not.
	"always-show-logo":       refused("redis-sentinel prints its ASCII-art logo to the log"),
	"set-proc-title":         refused("redis-sentinel sets its process title (set-proc-title yes is the default, which we accept and do not do)"),
	"proc-title-template":    refused("the process title redis-sentinel sets"),
	"tcp-backlog":            refused("the listen(2) backlog of redis-sentinel's sockets; ours is the kernel's somaxconn"),
	"io-threads":             refused("redis-sentinel starts I/O threads"),
	"io-threads-do-reads":    refused("redis-sentinel's I/O threads also read"),
	"oom-score-adj":          refused("redis-sentinel writes /proc/self/oom_score_adj"),
	"oom-score-adj-values":   refused("the OOM scores redis-sentinel writes"),
	"server_cpulist":         refused("redis-sentinel pins its main thread to these CPUs"),
	"bio_cpulist":            refused("redis-sentinel pins its background threads to these CPUs"),
	"jemalloc-bg-thread":     refused("jemalloc's background purge thread; Go's runtime has its own allocator"),
	"crash-log-enabled":      refused("redis-sentinel's crash report and its fatal-signal handlers"),
	"crash-memcheck-enabled": refused("the memory test redis-sentinel runs after a crash"),
	"use-exit-on-panic":      refused("how redis-sentinel exits on a panic"),
	"watchdog-period":        refused("redis-sentinel's software watchdog logs a stack trace when the event loop stalls"),
	"socket-mark-id":         refused("redis-sentinel sets SO_MARK on its sockets"),
	"cluster-enabled":        refused("redis-sentinel also runs Redis Cluster: it writes nodes.conf and listens on the cluster bus"),
	"replicaof": {class: Refused, why: "redis-sentinel connects to that master and tries to SYNC from it",
		refuse: func(_, canon []string) bool { return canon != nil }}, // "no one" is the default
	"save": {class: Refused, why: "with a changes count of 0 redis-sentinel writes dump.rdb every <seconds>; any other save line is inert (nothing is ever changed)",
		refuse: saveEveryTime},
	"client-output-buffer-limit": {class: Refused, why: "the normal and pubsub limits apply to sentinel clients; only Redis's defaults are implemented (the replica class is inert: a sentinel has no replicas)",
		refuse: func(_, canon []string) bool {
			got := strings.Join(canon, " ")
			return !strings.HasPrefix(got, "normal 0 0 0 ") || !strings.HasSuffix(got, " pubsub 33554432 8388608 60")
		}},
	"client-query-buffer-limit": refused("redis-sentinel closes a client whose query buffer grows past it; only the default is accepted"),
	"proto-max-bulk-len":        refused("the longest bulk a request may carry; resp's limit is the default (512mb)"),
	"maxmemory-clients":         refused("redis-sentinel evicts clients above it"),
	"acllog-max-len":            refused("length of ACL LOG; only the default (128) is implemented"),
	"acl-pubsub-default":        carried("channel permissions of new ACL users and selectors"),

	// What redis-sentinel accepts and does nothing with.
	"loadmodule":                            inert("main() calls moduleLoadFromQueue only outside sentinel mode: no module is loaded"),
	moduleOption:                            inert("module options wait for a module that sentinel mode never loads"),
	"cluster-require-full-coverage":         inert(whyCluster),
	"cluster-replica-no-failover":           inert(whyCluster),
	"cluster-allow-reads-when-down":         inert(whyCluster),
	"cluster-allow-pubsubshard-when-down":   inert(whyCluster),
	"cluster-allow-replica-migration":       inert(whyCluster),
	"cluster-announce-ip":                   inert(whyCluster),
	"cluster-config-file":                   inert(whyCluster),
	"cluster-announce-hostname":             inert(whyCluster),
	"cluster-preferred-endpoint-type":       inert(whyCluster),
	"cluster-replica-validity-factor":       inert(whyCluster),
	"cluster-migration-barrier":             inert(whyCluster),
	"cluster-port":                          inert(whyCluster),
	"cluster-announce-bus-port":             inert(whyCluster),
	"cluster-announce-port":                 inert(whyCluster),
	"cluster-announce-tls-port":             inert(whyCluster),
	"cluster-node-timeout":                  inert(whyCluster),
	"cluster-link-sendbuf-limit":            inert(whyCluster),
	"tls-cluster":                           inert(whyCluster + " (with yes, redis-sentinel also loads the TLS files at start, as for tls-port)"),
	"rdbchecksum":                           inert(whyData),
	"rdbcompression":                        inert(whyData),
	"rdb-del-sync-files":                    inert(whyData),
	"stop-writes-on-bgsave-error":           inert(whyData),
	"rdb-save-incremental-fsync":            inert(whyData),
	"dbfilename":                            inert(whyData),
	"rdb-key-save-delay":                    inert(whyData),
	"key-load-delay":                        inert(whyData),
	"loading-process-events-interval-bytes": inert(whyData),
	"bgsave_cpulist":                        inert(whyData),
	"appendonly":                            inert(whyData),
	"appendfilename":                        inert(whyData),
	"appenddirname":                         inert(whyData),
	"appendfsync":                           inert(whyData),
	"aof-rewrite-incremental-fsync":         inert(whyData),
	"no-appendfsync-on-rewrite":             inert(whyData),
	"aof-load-truncated":                    inert(whyData),
	"aof-use-rdb-preamble":                  inert(whyData),
	"aof-timestamp-enabled":                 inert(whyData),
	"aof-disable-auto-gc":                   inert(whyData),
	"auto-aof-rewrite-percentage":           inert(whyData),
	"auto-aof-rewrite-min-size":             inert(whyData),
	"aof_rewrite_cpulist":                   inert(whyData),
	"shutdown-on-sigint":                    inert("prepareForShutdown forces NOSAVE in sentinel mode; now and force concern replicas and the save"),
	"shutdown-on-sigterm":                   inert("prepareForShutdown forces NOSAVE in sentinel mode; now and force concern replicas and the save"),
	"shutdown-timeout":                      inert("how long shutdown waits for lagging replicas: a sentinel has none"),
	"activerehashing":                       inert(whyKeys),
	"lazyfree-lazy-eviction":                inert(whyKeys),
	"lazyfree-lazy-expire":                  inert(whyKeys),
	"lazyfree-lazy-server-del":              inert(whyKeys),
	"lazyfree-lazy-user-del":                inert(whyKeys),
	"lazyfree-lazy-user-flush":              inert(whyKeys),
	"activedefrag":                          inert(whyKeys + " (and Debian's jemalloc refuses yes)"),
	"active-defrag-cycle-min":               inert(whyKeys),
	"active-defrag-cycle-max":               inert(whyKeys),
	"active-defrag-threshold-lower":         inert(whyKeys),
	"active-defrag-threshold-upper":         inert(whyKeys),
	"active-defrag-max-scan-fields":         inert(whyKeys),
	"active-defrag-ignore-bytes":            inert(whyKeys),
	"active-expire-effort":                  inert(whyKeys),
	"databases":                             inert(whyKeys + " (and no SELECT)"),
	"maxmemory":                             inert(whyKeys + ": performEvictions finds nothing to evict and no sentinel command is denyoom (redis-sentinel also logs a warning below 1mb, which we do not)"),
	"maxmemory-policy":                      inert(whyKeys),
	"maxmemory-samples":                     inert(whyKeys),
	"maxmemory-eviction-tenacity":           inert(whyKeys),
	"lfu-log-factor":                        inert(whyKeys),
	"lfu-decay-time":                        inert(whyKeys),
	"list-max-listpack-size":                inert(whyKeys),
	"list-compress-depth":                   inert(whyKeys),
	"hash-max-listpack-entries":             inert(whyKeys),
	"hash-max-listpack-value":               inert(whyKeys),
	"set-max-intset-entries":                inert(whyKeys),
	"zset-max-listpack-entries":             inert(whyKeys),
	"zset-max-listpack-value":               inert(whyKeys),
	"stream-node-max-entries":               inert(whyKeys),
	"stream-node-max-bytes":                 inert(whyKeys),
	"hll-sparse-max-bytes":                  inert(whyKeys),
	"notify-keyspace-events":                inert(whyKeys),
	"tracking-table-max-keys":               inert(whyKeys + ": CLIENT TRACKING has nothing to track"),
	"list-max-ziplist-entries":              inert("deprecated: redis-server 7.0 itself ignores it"),
	"list-max-ziplist-value":                inert("deprecated: redis-server 7.0 itself ignores it"),
	"lua-replicate-commands":                inert("deprecated: redis-server 7.0 itself ignores it"),
	"replica-lazy-flush":                    inert(whyRepl),
	"replica-serve-stale-data":              inert(whyRepl),
	"replica-read-only":                     inert(whyRepl),
	"replica-ignore-maxmemory":              inert(whyRepl),
	"replica-announced":                     inert(whyRepl),
	"replica-ignore-disk-write-errors":      inert(whyRepl),
	"replica-announce-ip":                   inert(whyRepl),
	"replica-announce-port":                 inert(whyRepl),
	"replica-priority":                      inert(whyRepl),
	"masteruser":                            inert(whyRepl),
	"masterauth":                            inert(whyRepl),
	"repl-disable-tcp-nodelay":              inert(whyRepl),
	"repl-diskless-sync":                    inert(whyRepl),
	"repl-diskless-sync-delay":              inert(whyRepl),
	"repl-diskless-sync-max-replicas":       inert(whyRepl),
	"repl-diskless-load":                    inert(whyRepl),
	"repl-timeout":                          inert(whyRepl),
	"repl-ping-replica-period":              inert(whyRepl),
	"repl-backlog-size":                     inert(whyRepl),
	"repl-backlog-ttl":                      inert(whyRepl),
	"min-replicas-to-write":                 inert(whyRepl),
	"min-replicas-max-lag":                  inert(whyRepl),
	"propagation-error-behavior":            inert(whyRepl),
	"enable-protected-configs":              inert(whyNoCmd + ": no CONFIG SET"),
	"enable-debug-command":                  inert(whyNoCmd + ": no DEBUG"),
	"enable-module-command":                 inert(whyNoCmd + ": no MODULE"),
	"sanitize-dump-payload":                 inert(whyNoCmd + ": no RESTORE"),
	"busy-reply-threshold":                  inert(whyNoCmd + ": no scripts or functions"),
	"slowlog-max-len":                       inert(whyNoCmd + ": no SLOWLOG"),
	"slowlog-log-slower-than":               inert(whyNoCmd + ": no SLOWLOG"),
	"latency-monitor-threshold":             inert(whyNoCmd + ": no LATENCY"),
	"latency-tracking":                      inert("its figures are shown only by INFO latencystats, which sentinel's INFO does not have"),
	"latency-tracking-info-percentiles":     inert("its figures are shown only by INFO latencystats, which sentinel's INFO does not have"),
	"hz":                                    inert(whyHz),
	"dynamic-hz":                            inert(whyHz),
	"disable-thp":                           inert("applied by linuxMemoryWarnings, which main() runs only outside sentinel mode"),
	"ignore-warnings":                       inert("the ARM64 copy-on-write check it silences runs only outside sentinel mode"),

	// The sentinel directives.
	"sentinel monitor":                         carried("a monitored master"),
	"sentinel down-after-milliseconds":         carried("SDOWN time"),
	"sentinel failover-timeout":                carried("failover timeout"),
	"sentinel master-reboot-down-after-period": carried("reboot detection"),
	"sentinel parallel-syncs":                  carried("replicas reconfigured at once"),
	"sentinel notification-script":             carried("notification script"),
	"sentinel client-reconfig-script":          carried("client reconfiguration script"),
	"sentinel auth-pass":                       carried("password for the master and its replicas"),
	"sentinel auth-user":                       carried("user for the master and its replicas"),
	"sentinel current-epoch":                   carried("state: current epoch"),
	"sentinel myid":                            carried("state: run ID"),
	"sentinel config-epoch":                    carried("state: a master's config epoch"),
	"sentinel leader-epoch":                    carried("state: a master's leader epoch"),
	"sentinel known-replica":                   carried("state: a known replica"),
	"sentinel known-slave":                     carried("state: a known replica (old name)"),
	"sentinel known-sentinel":                  carried("state: a known sentinel"),
	"sentinel rename-command":                  carried("command names of a master's servers"),
	"sentinel announce-ip":                     carried("address announced in hellos"),
	"sentinel announce-port":                   carried("port announced in hellos"),
	"sentinel announce-hostnames":              carried("hostnames announced instead of IPs"),
	"sentinel resolve-hostnames":               carried("hostnames accepted"),
	"sentinel deny-scripts-reconfig":           carried("refuses SENTINEL SET of scripts"),
	"sentinel sentinel-user":                   carried("user for other sentinels"),
	"sentinel sentinel-pass":                   carried("password for other sentinels"),
	"sentinel fast-retry":                      carried(whyOurs + ": early retry after an election nobody won"),
	"sentinel minority-refuses":                carried(whyOurs + ": no master address from a sentinel cut off from the majority"),
	"sentinel protect-empty-restart":           carried(whyOurs + ": fail over a master restarted empty"),
	"sentinel state-config-file":               carried(whyOurs + ": the state file"),
	"sentinel leader":                          carried(whyOurs + ": our vote, in the state file only"),
}

// saveEveryTime tells a save line with a changes count of 0: redis-sentinel's serverCron
// then finds dirty (always 0) >= changes and saves every <seconds>.
func saveEveryTime(args, _ []string) bool {
	for j := 1; j < len(args); j += 2 {
		if cstrconv.Strtoll(args[j]) == 0 {
			return true
		}
	}
	return false
}

// classOf returns the class of a directive by its key in directiveClasses.
func classOf(key string) (classified, bool) {
	c, ok := directiveClasses[key]
	return c, ok
}

// notSupported is the refusal of a Refused directive set to a value we do not implement
// (or of one missing from the table: a directive nobody classified is not carried out).
func notSupported(words []string) string {
	return "'" + joinTokens(words...) + "' is not supported by this sentinel"
}

// refusedValue tells whether a standard option's value must be refused.
func refusedValue(o *option, args, canon []string) bool {
	c, ok := classOf(o.name)
	switch {
	case !ok:
		return true
	case c.class != Refused:
		return false
	case c.refuse != nil:
		return c.refuse(args, canon)
	}
	return canon != nil && !isDefault(o, canon)
}
