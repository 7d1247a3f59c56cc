package endpoint

import (
	"fmt"
	"math/rand/v2"
	"os"
	"runtime/debug"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// infoSections are the sections redis-sentinel serves, in its output order; INFO with no
// argument, "default", "all" and "everything" all mean every one of them.
var infoSections = []string{"server", "clients", "stats", "cpu", "sentinel"}

func cmdInfo(c *conn, args [][]byte) {
	want := map[string]bool{}
	all := len(args) == 1
	for _, a := range args[1:] {
		switch n := strings.ToLower(string(a)); n {
		case "all", "everything", "default":
			all = true
		default:
			want[n] = true
		}
	}
	s := c.s
	var b []byte
	for _, sec := range infoSections {
		if !all && !want[sec] {
			continue
		}
		if len(b) > 0 {
			b = append(b, "\r\n"...)
		}
		switch sec {
		case "server":
			b = s.infoServer(b)
		case "clients":
			b = s.infoClients(b)
		case "stats":
			b = s.infoStats(b)
		case "cpu":
			b = infoCPU(b)
		case "sentinel":
			b = s.sentinel.AppendInfo(b)
		}
	}
	// A plain bulk string even in RESP3: redis-sentinel does not send INFO as verbatim.
	c.w.Bulk(b)
}

// field appends "key:value\r\n".
func field(b []byte, key string, v any) []byte {
	return fmt.Appendf(b, "%s:%v\r\n", key, v)
}

func (s *Server) infoServer(b []byte) []byte {
	now := time.Now()
	up := int64(now.Sub(s.started) / time.Second)
	b = append(b, "# Server\r\n"...)
	b = field(b, "redis_version", Version)
	b = field(b, "redis_git_sha1", "00000000")
	b = field(b, "redis_git_dirty", 0)
	b = field(b, "redis_build_id", buildID)
	b = field(b, "redis_mode", "sentinel")
	b = field(b, "os", osName)
	b = field(b, "arch_bits", strconv.IntSize)
	b = field(b, "monotonic_clock", "POSIX clock_gettime")
	b = field(b, "multiplexing_api", "epoll")
	b = field(b, "atomicvar_api", "c11-builtin")
	b = field(b, "gcc_version", "0.0.0") // what Redis prints when not built by GCC
	b = field(b, "process_id", os.Getpid())
	b = field(b, "process_supervised", "no")
	b = field(b, "run_id", s.runID)
	b = field(b, "tcp_port", s.o.Port)
	b = field(b, "server_time_usec", now.UnixMicro())
	b = field(b, "uptime_in_seconds", up)
	b = field(b, "uptime_in_days", up/86400)
	// A sentinel re-randomizes hz on every timer tick so that sentinels desynchronize.
	b = field(b, "hz", 10+rand.IntN(10))
	b = field(b, "configured_hz", 10)
	b = field(b, "lru_clock", now.UnixMilli()/1000&(1<<24-1))
	b = field(b, "executable", s.o.Executable)
	b = field(b, "config_file", s.o.ConfigFile)
	b = field(b, "io_threads_active", 0)
	return b
}

func (s *Server) infoClients(b []byte) []byte {
	s.mu.Lock()
	conns := s.connsLocked()
	clients, tracking := len(conns), 0
	for _, c := range conns {
		if c.tracking.on {
			tracking++
		}
	}
	s.mu.Unlock()
	b = append(b, "# Clients\r\n"...)
	b = field(b, "connected_clients", clients)
	b = field(b, "cluster_connections", 0)
	b = field(b, "maxclients", s.k.MaxClients())
	b = field(b, "client_recent_max_input_buffer", 0)
	b = field(b, "client_recent_max_output_buffer", 0)
	b = field(b, "blocked_clients", 0) // clients held by CLIENT PAUSE are not counted, as in Redis
	b = field(b, "tracking_clients", tracking)
	b = field(b, "clients_in_timeout_table", 0)
	return b
}

func (s *Server) infoStats(b []byte) []byte {
	s.mu.Lock()
	channels, patterns := len(s.pubsub.Channels("")), s.pubsub.NumPat()
	s.mu.Unlock()
	st, kst := &s.st, s.k.Stats()
	b = append(b, "# Stats\r\n"...)
	for _, f := range []struct {
		k string
		v any
	}{
		{"total_connections_received", kst.Connections.Load()},
		{"total_commands_processed", st.commands.Load()},
		{"instantaneous_ops_per_sec", 0},
		{"total_net_input_bytes", kst.NetIn.Load()},
		{"total_net_output_bytes", kst.NetOut.Load()},
		{"total_net_repl_input_bytes", 0},
		{"total_net_repl_output_bytes", 0},
		{"instantaneous_input_kbps", "0.00"},
		{"instantaneous_output_kbps", "0.00"},
		{"instantaneous_input_repl_kbps", "0.00"},
		{"instantaneous_output_repl_kbps", "0.00"},
		{"rejected_connections", kst.Rejected.Load()},
		{"sync_full", 0},
		{"sync_partial_ok", 0},
		{"sync_partial_err", 0},
		{"expired_keys", 0},
		{"expired_stale_perc", "0.00"},
		{"expired_time_cap_reached_count", 0},
		{"expire_cycle_cpu_milliseconds", 0},
		{"evicted_keys", 0},
		{"evicted_clients", 0},
		{"total_eviction_exceeded_time", 0},
		{"current_eviction_exceeded_time", 0},
		{"keyspace_hits", 0},
		{"keyspace_misses", 0},
		{"pubsub_channels", channels},
		{"pubsub_patterns", patterns},
		{"pubsubshard_channels", 0},
		{"latest_fork_usec", 0},
		{"total_forks", 0},
		{"migrate_cached_sockets", 0},
		{"slave_expires_tracked_keys", 0},
		{"active_defrag_hits", 0},
		{"active_defrag_misses", 0},
		{"active_defrag_key_hits", 0},
		{"active_defrag_key_misses", 0},
		{"total_active_defrag_time", 0},
		{"current_active_defrag_time", 0},
		{"tracking_total_keys", 0},
		{"tracking_total_items", 0},
		{"tracking_total_prefixes", 0},
		{"unexpected_error_replies", 0},
		{"total_error_replies", st.errorReplies.Load()},
		{"dump_payload_sanitizations", 0},
		{"total_reads_processed", kst.Reads.Load()},
		{"total_writes_processed", kst.Writes.Load()},
		{"io_threaded_reads_processed", 0},
		{"io_threaded_writes_processed", 0},
		{"reply_buffer_shrinks", 0},
		{"reply_buffer_expands", 0},
	} {
		b = field(b, f.k, f.v)
	}
	return b
}

func infoCPU(b []byte) []byte {
	var self, children syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &self)
	syscall.Getrusage(syscall.RUSAGE_CHILDREN, &children)
	tv := func(t syscall.Timeval) string { return fmt.Sprintf("%d.%06d", t.Sec, t.Usec) }
	b = append(b, "# CPU\r\n"...)
	b = field(b, "used_cpu_sys", tv(self.Stime))
	b = field(b, "used_cpu_user", tv(self.Utime))
	b = field(b, "used_cpu_sys_children", tv(children.Stime))
	b = field(b, "used_cpu_user_children", tv(children.Utime))
	// Go has no main thread doing the work; the process's figures are the honest ones.
	b = field(b, "used_cpu_sys_main_thread", tv(self.Stime))
	b = field(b, "used_cpu_user_main_thread", tv(self.Utime))
	return b
}

// osName is uname's "sysname release machine", as Redis prints it.
var osName = func() string {
	var u syscall.Utsname
	if syscall.Uname(&u) != nil {
		return "Linux"
	}
	return cString(u.Sysname[:]) + " " + cString(u.Release[:]) + " " + cString(u.Machine[:])
}()

// cString converts a NUL-terminated utsname field, whose element type varies by
// architecture.
func cString[T int8 | uint8](f []T) string {
	b := make([]byte, 0, len(f))
	for _, c := range f {
		if c == 0 {
			break
		}
		b = append(b, byte(c))
	}
	return string(b)
}

// buildID stands in for Redis's build ID: our VCS revision, when the binary has one.
var buildID = func() string {
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" {
				return s.Value[:min(len(s.Value), 16)]
			}
		}
	}
	return "0"
}()
