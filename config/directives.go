package config

import (
	"fmt"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/sentinel-go/sentinel/internal/cstrconv"
)

// preMonitor are the sentinel directives redis-sentinel applies before any monitor line,
// whatever their place in the file; state-config-file is ours.
var preMonitor = map[string]bool{
	"announce-ip": true, "announce-port": true, "deny-scripts-reconfig": true,
	"sentinel-user": true, "sentinel-pass": true, "current-epoch": true, "myid": true,
	"resolve-hostnames": true, "announce-hostnames": true, "state-config-file": true,
	"fast-retry": true, "minority-refuses": true, "protect-empty-restart": true,
	"metrics-address": true, "metrics-user": true, "metrics-pass": true,
}

const errUnrecognized = "Unrecognized sentinel configuration statement."

func (l *loader) queueSentinel(q queued) {
	name := strings.ToLower(q.args[0])
	pass := 2
	switch {
	case name == "monitor":
		pass = 1
	case preMonitor[name]:
		pass = 0
	}
	l.queue[pass] = append(l.queue[pass], q)
}

// finish applies the queued sentinel directives: the pre-monitor ones, the monitors, then
// everything else, each group in file order. The first error stops the load.
func (l *loader) finish() error {
	for _, pass := range l.queue {
		for _, q := range pass {
			if r := l.sentinel(q.args); r != "" {
				return &LineError{Line: q.line, Text: q.text, Reason: r, File: q.file, Unresolved: l.unresolved}
			}
		}
	}
	l.queue = [3][]queued{}
	return nil
}

// sentinel is sentinelHandleConfiguration: one directive, Redis's message on error.
func (l *loader) sentinel(a []string) string {
	c := l.c
	name, argc := strings.ToLower(a[0]), len(a)
	if l.stateLines && argc >= 2 && !preMonitor[name] {
		if name == "monitor" && argc == 5 && l.masters[a[1]] != nil {
			return l.moveMaster(l.masters[a[1]], a[2], a[3])
		}
		if name != "monitor" && l.stateMaster(a[1]) == nil {
			return "" // state about a master the configuration no longer declares
		}
	}
	if _, ok := classOf("sentinel " + name); !ok {
		return errUnrecognized // only classified sentinel directives are handled below
	}
	master := func() (*Master, string) {
		if m := l.masters[a[1]]; m != nil {
			return m, ""
		}
		return nil, "No such master with specified name."
	}
	switch {
	case name == "monitor" && argc == 5:
		return l.monitor(a[1], a[2], a[3], a[4])
	case name == "down-after-milliseconds" && argc == 3,
		name == "failover-timeout" && argc == 3,
		name == "master-reboot-down-after-period" && argc == 3,
		name == "forget-after" && argc == 3:
		m, r := master()
		if r != "" {
			return r
		}
		ms := cstrconv.Atoi(a[2])
		d := time.Duration(ms) * time.Millisecond
		switch name {
		case "down-after-milliseconds":
			if ms <= 0 {
				return "negative or zero time parameter."
			}
			m.DownAfter = d
		case "failover-timeout":
			if ms <= 0 {
				return "negative or zero time parameter."
			}
			m.FailoverTimeout = d
		case "forget-after":
			if ms != 0 && d < MinForgetAfter {
				return fmt.Sprintf("forget-after must be 0 (off) or at least %d milliseconds.", MinForgetAfter.Milliseconds())
			}
			m.ForgetAfter = d
		default:
			if ms < 0 {
				return "negative time parameter."
			}
			m.MasterRebootDownAfter = d
		}
	case name == "parallel-syncs" && argc == 3:
		m, r := master()
		if r != "" {
			return r
		}
		m.ParallelSyncs = cstrconv.Atoi(a[2])
	case name == "notification-script" && argc == 3,
		name == "client-reconfig-script" && argc == 3:
		m, r := master()
		if r != "" {
			return r
		}
		if syscall.Access(l.abs(a[2]), 1) != nil { // X_OK
			if name == "notification-script" {
				return "Notification script seems non existing or non executable."
			}
			return "Client reconfiguration script seems non existing or non executable."
		}
		if name == "notification-script" {
			m.NotificationScript = a[2]
		} else {
			m.ClientReconfigScript = a[2]
		}
	case name == "auth-pass" && argc == 3:
		m, r := master()
		if r != "" {
			return r
		}
		m.AuthPass = a[2]
	case name == "auth-user" && argc == 3:
		m, r := master()
		if r != "" {
			return r
		}
		m.AuthUser = a[2]
	case name == "current-epoch" && argc == 2:
		if e := cstrconv.Strtoull(a[1]); e > c.CurrentEpoch {
			c.CurrentEpoch = e
		}
	case name == "myid" && argc == 2:
		if len(a[1]) != 40 {
			return "Malformed Sentinel id in myid option."
		}
		c.MyID = a[1]
	case name == "config-epoch" && argc == 3:
		m, r := master()
		if r != "" {
			return r
		}
		m.ConfigEpoch = cstrconv.Strtoull(a[2])
		if m.ConfigEpoch > c.CurrentEpoch {
			c.CurrentEpoch = m.ConfigEpoch
		}
	case name == "leader-epoch" && argc == 3:
		m, r := master()
		if r != "" {
			return r
		}
		m.LeaderEpoch = cstrconv.Strtoull(a[2])
	case name == "peak-sentinels" && argc == 3:
		m, r := master()
		if r != "" {
			return r
		}
		n, err := strconv.Atoi(a[2])
		if err != nil || n < 0 {
			return "peak-sentinels must be a count of sentinels."
		}
		m.PeakSentinels = n
	case (name == "known-replica" || name == "known-slave") && argc == 4:
		m, r := master()
		if r != "" {
			return r
		}
		return l.knownReplica(m, a[2], a[3])
	case name == "known-sentinel" && (argc == 4 || argc == 5):
		if argc == 4 {
			return "" // the old form without a run ID is ignored
		}
		m, r := master()
		if r != "" {
			return r
		}
		return l.knownSentinel(m, a[2], a[3], a[4])
	case name == "rename-command" && argc == 4:
		m, r := master()
		if r != "" {
			return r
		}
		key := strings.ToLower(a[2])
		if _, dup := m.RenameCommands[key]; dup {
			return "Same command renamed multiple times with rename-command."
		}
		m.RenameCommands[key] = a[3]
		if m.renameSpelling == nil {
			m.renameSpelling = map[string]string{}
		}
		m.renameSpelling[key] = a[2]
	case name == "announce-ip" && argc == 2:
		if a[1] != "" {
			c.AnnounceIP = a[1]
		}
	case name == "announce-port" && argc == 2:
		c.AnnouncePort = cstrconv.Atoi(a[1])
	case name == "deny-scripts-reconfig" && argc == 2:
		return setYesNo(&c.DenyScriptsReconfig, a[1], "deny-scripts-reconfig options")
	case name == "sentinel-user" && argc == 2:
		if a[1] != "" {
			c.SentinelUser = a[1]
		}
	case name == "sentinel-pass" && argc == 2:
		if a[1] != "" {
			c.SentinelPass = a[1]
		}
	case name == "resolve-hostnames" && argc == 2:
		return setYesNo(&c.ResolveHostnames, a[1], "resolve-hostnames option")
	case name == "fast-retry" && argc == 2:
		return setYesNo(&c.FastRetry, a[1], "fast-retry option")
	case name == "minority-refuses" && argc == 2:
		return setYesNo(&c.MinorityRefuses, a[1], "minority-refuses option")
	case name == "protect-empty-restart" && argc == 2:
		return setYesNo(&c.ProtectEmptyRestart, a[1], "protect-empty-restart option")
	case name == "announce-hostnames" && argc == 2:
		return setYesNo(&c.AnnounceHostnames, a[1], "announce-hostnames option")
	case name == "metrics-address" && argc == 2:
		addr, ok := metricsAddress(a[1])
		if !ok {
			return "Invalid metrics-address: use host:port, [ipv6]:port or a port number."
		}
		c.MetricsAddress = addr
	case name == "metrics-user" && argc == 2:
		if a[1] == "" {
			return "metrics-user needs a name."
		}
		c.MetricsUser = a[1]
	case name == "metrics-pass" && argc == 2:
		if a[1] == "" {
			return "metrics-pass needs a password."
		}
		c.MetricsPass = a[1]
	case name == "state-config-file" && argc == 2:
		if a[1] == "" {
			return "state-config-file needs a path."
		}
		c.StatePath = a[1]
	case name == "leader" && argc == 3 && (l.stateLines || l.skipLogCheck):
		m, r := master()
		if r != "" {
			return r
		}
		m.Leader = a[2]
	default:
		return errUnrecognized
	}
	return ""
}

// setYesNo sets a sentinel yes/no option; what names it in Redis's message ("the
// deny-scripts-reconfig options", sic) differs per option.
func setYesNo(dst *bool, s, what string) string {
	v, ok := yesNo(s)
	if !ok {
		return "Please specify yes or no for the " + what + "."
	}
	*dst = v
	return ""
}

func yesNo(s string) (bool, bool) {
	switch strings.ToLower(s) {
	case "yes":
		return true, true
	case "no":
		return false, true
	}
	return false, false
}

// address checks an instance address as createSentinelAddr does and returns the host to
// keep (the IP as inet_ntop prints it, or the name as written when hostnames are announced
// or cannot be resolved here) and the key instances are compared by.
func (l *loader) address(host, portStr string) (keep, key string, port int, reason string) {
	port = cstrconv.Atoi(portStr)
	if port < 0 || port > 65535 {
		return "", "", 0, "Invalid port number."
	}
	ip, numeric := NumericIP(host)
	if !numeric && !l.c.ResolveHostnames {
		l.unresolved = host
		return "", "", 0, "Can't resolve instance hostname."
	}
	key = host
	if numeric {
		key = ip
	}
	keep = key
	if l.c.AnnounceHostnames {
		keep = host
	}
	return keep, strings.ToLower(key) + ":" + strconv.Itoa(port), port, ""
}

func (l *loader) monitor(name, host, port, quorum string) string {
	q := cstrconv.Atoi(quorum)
	if q <= 0 {
		return "Quorum must be 1 or greater."
	}
	keep, _, p, r := l.address(host, port)
	if r != "" {
		return r
	}
	if l.masters[name] != nil {
		return "Duplicate master name."
	}
	m := NewMaster(name, keep, p, q)
	l.masters[name] = m
	l.c.Masters = append(l.c.Masters, m)
	return ""
}

// moveMaster applies a state file's monitor line to a declared master: the address it
// moved to; the quorum stays the configured one.
func (l *loader) moveMaster(m *Master, host, port string) string {
	keep, _, p, r := l.address(host, port)
	if r != "" {
		return r
	}
	l.stateMaster(m.Name)
	m.Host, m.Port = keep, p
	return ""
}

func (l *loader) knownReplica(m *Master, host, port string) string {
	keep, key, p, r := l.address(host, port)
	if r != "" {
		return r
	}
	for _, rep := range m.KnownReplicas {
		if addrKey(rep) == key {
			return "Duplicate hostname and port for replica."
		}
	}
	m.KnownReplicas = append(m.KnownReplicas, Addr{Host: keep, Port: p})
	return ""
}

func (l *loader) knownSentinel(m *Master, host, port, runID string) string {
	keep, _, p, r := l.address(host, port)
	if r != "" {
		return r
	}
	for _, s := range m.KnownSentinels {
		if s.RunID == runID {
			return "Duplicate runid for sentinel."
		}
	}
	m.KnownSentinels = append(m.KnownSentinels, KnownSentinel{Addr: Addr{Host: keep, Port: p}, RunID: runID})
	return ""
}

// addrKey is the identity of an address: its IP when numeric, else its name.
func addrKey(a Addr) string {
	key := a.Host
	if ip, ok := NumericIP(a.Host); ok {
		key = ip
	}
	return strings.ToLower(key) + ":" + strconv.Itoa(a.Port)
}

// metricsAddress reads a metrics-address value: host:port or [v6]:port as net.Listen takes
// it (an empty host is every interface, written on purpose), or a bare port, which means
// loopback. Port 0 asks the kernel for a free port, which the daemon logs. (Split by hand:
// the core links this package and must not link net.)
func metricsAddress(s string) (string, bool) {
	if p, err := strconv.Atoi(s); err == nil && !strings.ContainsAny(s, "+-") {
		return "127.0.0.1:" + strconv.Itoa(p), p >= 0 && p <= 65535
	}
	i := strings.LastIndexByte(s, ':')
	if i < 0 {
		return "", false
	}
	host, port := s[:i], s[i+1:]
	if strings.HasPrefix(host, "[") {
		if !strings.HasSuffix(host, "]") || !strings.Contains(host, ":") {
			return "", false
		}
	} else if strings.ContainsAny(host, ":[]") {
		return "", false
	}
	p, err := strconv.Atoi(port)
	if err != nil || p < 0 || p > 65535 || strings.ContainsAny(port, "+-") || strings.ContainsAny(host, " \t") {
		return "", false
	}
	return host + ":" + strconv.Itoa(p), true
}
