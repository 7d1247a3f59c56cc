package redistest

import (
	"fmt"
	"net"
	"runtime"
	"strconv"
	"strings"
	"time"
)

// infoSections are INFO's sections in Redis's order, with whether INFO without arguments
// (the "default" set) includes them.
var infoSections = []struct {
	name    string
	deflt   bool
	render  func(s *Server, b *strings.Builder)
	heading string
}{
	{"server", true, (*Server).infoServer, "Server"},
	{"clients", true, (*Server).infoClients, "Clients"},
	{"memory", true, (*Server).infoMemory, "Memory"},
	{"persistence", true, (*Server).infoPersistence, "Persistence"},
	{"stats", true, (*Server).infoStats, "Stats"},
	{"replication", true, (*Server).infoReplication, "Replication"},
	{"cpu", true, (*Server).infoCPU, "CPU"},
	{"modules", true, func(*Server, *strings.Builder) {}, "Modules"},
	{"errorstats", true, func(*Server, *strings.Builder) {}, "Errorstats"},
	{"cluster", true, func(_ *Server, b *strings.Builder) { b.WriteString("cluster_enabled:0\r\n") }, "Cluster"},
	{"keyspace", true, (*Server).infoKeyspace, "Keyspace"},
}

func init() {
	register(
		&command{name: "info", arity: -1, flags: fLoading | fStale, run: cmdInfo},
		&command{name: "role", arity: 1, flags: fLoading | fStale | fNoBusy, run: cmdRole},
	)
}

func cmdInfo(s *Server, c *client, args [][]byte) {
	want := map[string]bool{}
	all := false
	for _, a := range args[1:] {
		n := strings.ToLower(string(a))
		switch n {
		case "all", "everything":
			all = true
		case "default":
			for _, sec := range infoSections {
				want[sec.name] = want[sec.name] || sec.deflt
			}
		default:
			want[n] = true
		}
	}
	if len(args) == 1 {
		for _, sec := range infoSections {
			want[sec.name] = sec.deflt
		}
	}
	c.w.Verbatim("txt", s.info(want, all))
}

// info renders the selected sections, separated by blank lines as Redis does.
func (s *Server) info(want map[string]bool, all bool) string {
	var b strings.Builder
	for _, sec := range infoSections {
		if !all && !want[sec.name] {
			continue
		}
		if b.Len() > 0 {
			b.WriteString("\r\n")
		}
		b.WriteString("# " + sec.heading + "\r\n")
		sec.render(s, &b)
	}
	return b.String()
}

// Info returns the INFO text of the named sections (all default ones when none is named),
// as a client would receive it.
func (s *Server) Info(sections ...string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	want := map[string]bool{}
	for _, sec := range sections {
		want[strings.ToLower(sec)] = true
	}
	if len(sections) == 0 {
		for _, sec := range infoSections {
			want[sec.name] = sec.deflt
		}
	}
	return s.info(want, false)
}

func kv(b *strings.Builder, key string, val any) {
	fmt.Fprintf(b, "%s:%v\r\n", key, val)
}

func (s *Server) infoServer(b *strings.Builder) {
	now := s.now()
	up := int64(now.Sub(s.started) / time.Second)
	kv(b, "redis_version", Version)
	kv(b, "redis_git_sha1", "00000000")
	kv(b, "redis_git_dirty", 0)
	kv(b, "redis_build_id", "redistest")
	kv(b, "redis_mode", "standalone")
	kv(b, "os", "Linux "+runtime.GOARCH)
	kv(b, "arch_bits", 64)
	kv(b, "monotonic_clock", "POSIX clock_gettime")
	kv(b, "multiplexing_api", "epoll")
	kv(b, "atomicvar_api", "c11-builtin")
	kv(b, "gcc_version", "0.0.0")
	kv(b, "process_id", pid())
	kv(b, "process_supervised", "no")
	kv(b, "run_id", s.runID)
	kv(b, "tcp_port", s.Port())
	kv(b, "server_time_usec", now.UnixMicro())
	kv(b, "uptime_in_seconds", up)
	kv(b, "uptime_in_days", up/86400)
	kv(b, "hz", 10)
	kv(b, "configured_hz", 10)
	kv(b, "lru_clock", (now.Unix())&(1<<24-1))
	kv(b, "executable", "redistest")
	kv(b, "config_file", s.opts.ConfigFile)
	kv(b, "io_threads_active", 0)
}

func (s *Server) infoClients(b *strings.Builder) {
	kv(b, "connected_clients", len(s.clients())-len(s.repl.replicas))
	kv(b, "cluster_connections", 0)
	kv(b, "maxclients", s.cfg.maxClients)
	kv(b, "client_recent_max_input_buffer", 0)
	kv(b, "client_recent_max_output_buffer", 0)
	kv(b, "blocked_clients", 0)
	kv(b, "tracking_clients", 0)
	kv(b, "clients_in_timeout_table", 0)
}

func (s *Server) infoMemory(b *strings.Builder) {
	var used int64
	for _, d := range s.dbs {
		for k, e := range d.keys {
			used += int64(len(k) + len(e.val) + 64)
		}
	}
	kv(b, "used_memory", used)
	kv(b, "used_memory_human", humanBytes(used))
	kv(b, "maxmemory", 0)
	kv(b, "maxmemory_human", "0B")
	kv(b, "maxmemory_policy", "noeviction")
	if s.repl.backlog != nil {
		kv(b, "mem_replication_backlog", len(s.repl.backlog.buf))
	} else {
		kv(b, "mem_replication_backlog", 0)
	}
	kv(b, "mem_allocator", "go")
}

func humanBytes(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.2fG", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.2fM", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.2fK", float64(n)/(1<<10))
	default:
		return fmt.Sprintf("%dB", n)
	}
}

func (s *Server) infoPersistence(b *strings.Builder) {
	loading := 0
	if s.faults.loading {
		loading = 1
	}
	kv(b, "loading", loading)
	kv(b, "async_loading", 0)
	kv(b, "rdb_changes_since_last_save", 0)
	kv(b, "rdb_bgsave_in_progress", 0)
	kv(b, "rdb_last_save_time", s.started.Unix())
	kv(b, "rdb_last_bgsave_status", "ok")
	kv(b, "aof_enabled", 0)
	kv(b, "aof_rewrite_in_progress", 0)
	kv(b, "aof_last_write_status", "ok")
}

func (s *Server) infoStats(b *strings.Builder) {
	st := s.stats
	kv(b, "total_connections_received", st.connectionsReceived)
	kv(b, "total_commands_processed", st.commandsProcessed)
	kv(b, "instantaneous_ops_per_sec", 0)
	kv(b, "rejected_connections", 0)
	kv(b, "sync_full", st.syncFull)
	kv(b, "sync_partial_ok", st.syncPartialOK)
	kv(b, "sync_partial_err", st.syncPartialErr)
	kv(b, "expired_keys", st.expiredKeys)
	kv(b, "evicted_keys", 0)
	kv(b, "keyspace_hits", st.keyspaceHits)
	kv(b, "keyspace_misses", st.keyspaceMisses)
	kv(b, "pubsub_channels", len(s.pubsub.Channels("")))
	kv(b, "pubsub_patterns", s.pubsub.NumPat())
}

func (s *Server) infoCPU(b *strings.Builder) {
	kv(b, "used_cpu_sys", "0.000000")
	kv(b, "used_cpu_user", "0.000000")
}

func (s *Server) infoKeyspace(b *strings.Builder) {
	now := s.nowMs()
	for i, d := range s.dbs {
		keys, expires := 0, 0
		for _, e := range d.keys {
			if e.expireAt != 0 && e.expireAt <= now {
				continue
			}
			keys++
			if e.expireAt != 0 {
				expires++
			}
		}
		if keys > 0 {
			fmt.Fprintf(b, "db%d:keys=%d,expires=%d,avg_ttl=0\r\n", i, keys, expires)
		}
	}
}

// infoReplication prints the Replication section field for field as Redis 7.0 does; a
// sentinel parses it to discover replicas and judge them.
func (s *Server) infoReplication(b *strings.Builder) {
	r := &s.repl
	now := s.now()
	if r.isMaster() {
		kv(b, "role", "master")
	} else {
		kv(b, "role", "slave")
		kv(b, "master_host", r.masterHost)
		kv(b, "master_port", r.masterPort)
		up := r.linkState == linkConnected
		if up {
			kv(b, "master_link_status", "up")
			kv(b, "master_last_io_seconds_ago", int64(now.Sub(r.lastIO)/time.Second))
		} else {
			kv(b, "master_link_status", "down")
			kv(b, "master_last_io_seconds_ago", -1)
		}
		kv(b, "master_sync_in_progress", boolInt(r.syncInProgress))
		kv(b, "slave_read_repl_offset", r.offset)
		kv(b, "slave_repl_offset", r.offset)
		if !up {
			if r.downSince.IsZero() {
				kv(b, "master_link_down_since_seconds", -1)
			} else {
				kv(b, "master_link_down_since_seconds", int64(now.Sub(r.downSince)/time.Second))
			}
		}
		kv(b, "slave_priority", s.cfg.replicaPriority)
		kv(b, "slave_read_only", boolInt(s.cfg.replicaReadOnly))
		kv(b, "replica_announced", boolInt(s.cfg.replicaAnnounced))
	}
	kv(b, "connected_slaves", len(r.replicas))
	if s.cfg.minReplicasToWrite > 0 && s.cfg.minReplicasMaxLag > 0 {
		kv(b, "min_slaves_good_slaves", s.goodReplicas())
	}
	for i, c := range r.replicas {
		ip := c.replIP
		if ip == "" {
			ip, _, _ = net.SplitHostPort(c.addr)
		}
		fmt.Fprintf(b, "slave%d:ip=%s,port=%d,state=%s,offset=%d,lag=%d\r\n",
			i, ip, c.replPort, c.replica.state, c.replica.ackOffset, int64(now.Sub(c.replica.ackTime)/time.Second))
	}
	kv(b, "master_failover_state", r.failover.state.String())
	kv(b, "master_replid", r.replid)
	kv(b, "master_replid2", r.replid2)
	kv(b, "master_repl_offset", r.offset)
	kv(b, "second_repl_offset", r.secondOffset)
	if r.backlog != nil {
		kv(b, "repl_backlog_active", 1)
		kv(b, "repl_backlog_size", s.cfg.backlogSize)
		kv(b, "repl_backlog_first_byte_offset", r.backlog.first())
		kv(b, "repl_backlog_histlen", r.backlog.histlen)
	} else {
		kv(b, "repl_backlog_active", 0)
		kv(b, "repl_backlog_size", s.cfg.backlogSize)
		kv(b, "repl_backlog_first_byte_offset", 0)
		kv(b, "repl_backlog_histlen", 0)
	}
}

func boolInt(v bool) int {
	if v {
		return 1
	}
	return 0
}

// cmdRole answers ROLE as Redis 7.0 does: for a master its offset and each replica's ip,
// port and acked offset (as strings); for a replica its master, link state and offset.
func cmdRole(s *Server, c *client, args [][]byte) {
	r := &s.repl
	if r.isMaster() {
		c.w.Array(3)
		c.w.BulkString("master")
		c.w.Int(r.offset)
		online := 0
		for _, rc := range r.replicas {
			if rc.replica.state == "online" {
				online++
			}
		}
		c.w.Array(online)
		for _, rc := range r.replicas {
			if rc.replica.state != "online" {
				continue
			}
			ip := rc.replIP
			if ip == "" {
				ip, _, _ = net.SplitHostPort(rc.addr)
			}
			c.w.Array(3)
			c.w.BulkString(ip)
			c.w.BulkString(strconv.Itoa(rc.replPort))
			c.w.BulkString(strconv.FormatInt(rc.replica.ackOffset, 10))
		}
		return
	}
	c.w.Array(5)
	c.w.BulkString("slave")
	c.w.BulkString(r.masterHost)
	c.w.Int(int64(r.masterPort))
	c.w.BulkString(r.linkState.roleName())
	if r.linkState == linkConnected {
		c.w.Int(r.offset)
	} else {
		c.w.Int(-1)
	}
}

// roleName is the link state word ROLE reports.
func (l linkState) roleName() string {
	switch l {
	case linkHandshake:
		return "handshake"
	case linkTransfer:
		return "sync"
	case linkConnected:
		return "connected"
	default:
		return "connect"
	}
}
