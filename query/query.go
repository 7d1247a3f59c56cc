package query

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/sentinel-go/sentinel/internal/glob"
	"github.com/sentinel-go/sentinel/internal/resp"
	"github.com/sentinel-go/sentinel/monitor"
)

// errNoSuchMaster is Redis's reply, word for word, as the core's for the subcommands that
// change a master.
const errNoSuchMaster = "ERR No such master with that name"

// kind is which of SENTINEL MASTER, REPLICAS and SENTINELS an instance is printed for.
type kind int

const (
	kindMaster kind = iota
	kindReplica
	kindSentinel
)

// subcommands lists SENTINEL's subcommands with Redis's arity (negative: at least), the
// names valkey added as aliases, and whether the answer comes from the view (read) or needs
// the monitoring loop.
var subcommands = map[string]struct {
	arity int
	read  bool
}{
	"masters": {2, true}, "primaries": {2, true},
	"master": {3, true}, "primary": {3, true},
	"replicas": {3, true}, "slaves": {3, true},
	"sentinels":               {3, true},
	"myid":                    {2, true},
	"get-master-addr-by-name": {3, true}, "get-primary-addr-by-name": {3, true},
	"is-master-down-by-addr": {6, false}, "is-primary-down-by-addr": {6, false},
	"reset":            {3, false},
	"failover":         {-3, false}, // -3: our COORDINATED option
	"ckquorum":         {3, true},
	"flushconfig":      {2, false},
	"monitor":          {6, false},
	"remove":           {3, false},
	"set":              {-5, false},
	"config":           {-3, false},
	"info-cache":       {-3, true},
	"simulate-failure": {-3, false},
	"debug":            {-2, false},
	"pending-scripts":  {2, true},
	"help":             {2, true},
}

// subcommandNames maps each subcommand to itself, so Check returns the name without
// allocating one per request.
var subcommandNames = func() map[string]string {
	m := make(map[string]string, len(subcommands))
	for name := range subcommands {
		m[name] = name
	}
	return m
}()

// Check returns the lower-case subcommand and whether a view answers it (Answer), or writes
// Redis's error for an unknown subcommand or a wrong number of arguments. Of CONFIG, GET
// is a read; SET, and any other shape, goes to the core, which answers it.
func Check(w *resp.Writer, args [][]byte) (sub string, read, ok bool) {
	var buf [32]byte // the name is folded on the stack, and sub is the table's own string
	sub, known := subcommandNames[string(resp.Lower(buf[:0], args[0]))]
	sc := subcommands[sub]
	if !known {
		w.Error(fmt.Sprintf("ERR unknown subcommand '%s'. Try SENTINEL HELP.", args[0]))
		return "", false, false
	}
	n := len(args) + 1 // Redis counts SENTINEL itself
	if (sc.arity > 0 && n != sc.arity) || (sc.arity < 0 && n < -sc.arity) {
		w.Error(fmt.Sprintf("ERR wrong number of arguments for 'sentinel|%s' command", sub))
		return "", false, false
	}
	read = sc.read || (sub == "config" && len(args) == 3 && strings.EqualFold(string(args[1]), "get"))
	return sub, read, true
}

// ms is how Redis prints a duration: whole milliseconds.
func ms(d time.Duration) string { return strconv.FormatInt(d.Milliseconds(), 10) }

// since prints "milliseconds ago" of a Redis timestamp; a never-set one is 0 in Redis's
// clock, so it prints the current Unix time in milliseconds, as redis-sentinel does.
func since(now, t time.Time) string {
	if t.IsZero() {
		return strconv.FormatInt(now.UnixMilli(), 10)
	}
	return ms(now.Sub(t))
}

// writeFields writes alternating keys and values as a map.
func writeFields(w *resp.Writer, kv []string) {
	w.Map(len(kv) / 2)
	for _, s := range kv {
		w.BulkString(s)
	}
}

// instanceFields renders an instance the way SENTINEL MASTER, REPLICAS and SENTINELS do: the
// field order is fixed (clients index into it), optional fields only when they apply.
func instanceFields(now time.Time, iv *monitor.InstanceView, mv *monitor.MasterView, k kind) []string {
	kv := make([]string, 0, 48)
	add := func(pairs ...string) { kv = append(kv, pairs...) }
	add("name", iv.Name, "ip", iv.IP, "port", strconv.Itoa(iv.Port), "runid", iv.RunID,
		"flags", iv.Flags.String(),
		"link-pending-commands", strconv.Itoa(iv.PendingCommands),
		"link-refcount", strconv.Itoa(iv.Refcount))
	if iv.FailoverState != "" {
		add("failover-state", iv.FailoverState)
	}
	lastPingSent := "0"
	if !iv.ActPing.IsZero() {
		lastPingSent = ms(now.Sub(iv.ActPing))
	}
	add("last-ping-sent", lastPingSent,
		"last-ok-ping-reply", since(now, iv.LastAvail),
		"last-ping-reply", since(now, iv.LastPong))
	if iv.Flags.SDown() {
		add("s-down-time", ms(now.Sub(iv.SDownSince)))
	}
	if iv.Flags.ODown() {
		add("o-down-time", ms(now.Sub(iv.ODownSince)))
	}
	add("down-after-milliseconds", ms(iv.DownAfter))
	if k != kindSentinel {
		infoRefresh := "0"
		if !iv.InfoRefresh.IsZero() {
			infoRefresh = ms(now.Sub(iv.InfoRefresh))
		}
		add("info-refresh", infoRefresh, "role-reported", iv.RoleReported,
			"role-reported-time", since(now, iv.RoleReportedTime))
	}
	switch k {
	case kindMaster:
		mc := &mv.Config
		add("config-epoch", strconv.FormatUint(mc.ConfigEpoch, 10),
			"num-slaves", strconv.Itoa(len(mv.Replicas)),
			"num-other-sentinels", strconv.Itoa(len(mv.Sentinels)),
			"quorum", strconv.Itoa(mc.Quorum),
			"failover-timeout", ms(mc.FailoverTimeout),
			"parallel-syncs", strconv.Itoa(mc.ParallelSyncs))
		if mc.NotificationScript != "" {
			add("notification-script", mc.NotificationScript)
		}
		if mc.ClientReconfigScript != "" {
			add("client-reconfig-script", mc.ClientReconfigScript)
		}
	case kindReplica:
		status, host := "err", iv.MasterHost
		if iv.MasterLinkUp {
			status = "ok"
		}
		if host == "" {
			host = "?"
		}
		announced := "0"
		if iv.Announced {
			announced = "1"
		}
		add("master-link-down-time", ms(iv.MasterLinkDown), "master-link-status", status,
			"master-host", host, "master-port", strconv.Itoa(iv.MasterPort),
			"slave-priority", strconv.Itoa(iv.Priority),
			"slave-repl-offset", strconv.FormatInt(iv.ReplOffset, 10),
			"replica-announced", announced)
	case kindSentinel:
		leader := iv.Leader
		if leader == "" {
			leader = "?"
		}
		add("last-hello-message", since(now, iv.LastHello), "voted-leader", leader,
			"voted-leader-epoch", strconv.FormatUint(iv.LeaderEpoch, 10))
	}
	return kv
}

// Answer answers a read-only subcommand (one Check calls a read) from v at now, as
// redis-sentinel would have at that moment.
func Answer(v *monitor.View, now time.Time, w *resp.Writer, sub string, args [][]byte) {
	byName := func() *monitor.MasterView {
		mv := v.Master(string(args[1]))
		if mv == nil {
			w.Error(errNoSuchMaster)
		}
		return mv
	}
	switch sub {
	case "masters", "primaries":
		w.Array(len(v.Masters))
		for _, mv := range v.Masters {
			writeFields(w, instanceFields(now, &mv.InstanceView, mv, kindMaster))
		}
	case "master", "primary":
		if mv := byName(); mv != nil {
			writeFields(w, instanceFields(now, &mv.InstanceView, mv, kindMaster))
		}
	case "replicas", "slaves":
		if mv := byName(); mv != nil {
			n := 0
			for _, r := range mv.Replicas {
				if r.Announced {
					n++
				}
			}
			w.Array(n)
			for _, r := range mv.Replicas {
				if r.Announced { // replica-announced no hides it here, as in Redis
					writeFields(w, instanceFields(now, r, mv, kindReplica))
				}
			}
		}
	case "sentinels":
		if mv := byName(); mv != nil {
			w.Array(len(mv.Sentinels))
			for _, s := range mv.Sentinels {
				writeFields(w, instanceFields(now, s, mv, kindSentinel))
			}
		}
	case "myid":
		w.BulkString(v.MyID)
	case "get-master-addr-by-name", "get-primary-addr-by-name":
		mv := v.Master(string(args[1]))
		if mv == nil {
			w.NullArray()
			return
		}
		if msg, refused := v.MinorityRefusal(mv, now); refused {
			w.Error(msg)
			return
		}
		w.Array(2)
		w.BulkString(mv.CurrentIP)
		w.BulkInt(int64(mv.CurrentPort))
	case "ckquorum":
		if mv := byName(); mv != nil {
			ckquorum(w, mv)
		}
	case "info-cache":
		infoCache(v, now, w, args[1:])
	case "config":
		configGet(v, w, string(args[2]))
	case "pending-scripts":
		w.Array(0) // the driver answers from its script runner; a bare view has none
	case "help":
		w.Array(len(helpLines))
		for _, l := range helpLines {
			w.Simple(l)
		}
	}
}

// Quorum is what SENTINEL CKQUORUM says about a master: the sentinels usable for a
// failover and whether they reach both the quorum and a majority. Message is the reply's
// text (OK ... or NOQUORUM ...), which health checks and metrics show as it is.
type Quorum struct {
	Usable  int
	OK      bool
	Message string
}

// CKQuorum counts ourselves plus every known peer not judged down; a failover needs the
// quorum to agree on ODOWN and a majority of all known sentinels to elect a leader (of
// the voters, with forget-after: see MasterView.Voters).
func CKQuorum(mv *monitor.MasterView) Quorum {
	usable := 1
	for _, s := range mv.Sentinels {
		if !s.Flags.SDown() && !s.Flags.ODown() {
			usable++
		}
	}
	voters := mv.Voters()
	var problems []string
	if usable < mv.Config.Quorum {
		problems = append(problems, "Not enough available Sentinels to reach the specified quorum for this master")
	}
	if usable < voters/2+1 {
		problems = append(problems, "Not enough available Sentinels to reach the majority and authorize a failover")
	}
	if problems == nil {
		return Quorum{Usable: usable, OK: true,
			Message: fmt.Sprintf("OK %d usable Sentinels. Quorum and failover authorization can be reached", usable)}
	}
	return Quorum{Usable: usable, Message: fmt.Sprintf("NOQUORUM %d usable Sentinels. %s", usable, strings.Join(problems, ". "))}
}

func ckquorum(w *resp.Writer, mv *monitor.MasterView) {
	if q := CKQuorum(mv); q.OK {
		w.Simple(q.Message)
	} else {
		w.Error(q.Message)
	}
}

// infoCache replies [name, [[age, info], ...], ...] for the named masters that exist.
func infoCache(v *monitor.View, now time.Time, w *resp.Writer, names [][]byte) {
	var found []*monitor.MasterView
	for _, n := range names {
		if mv := v.Master(string(n)); mv != nil {
			found = append(found, mv)
		}
	}
	w.Array(2 * len(found))
	for _, mv := range found {
		w.BulkString(mv.Name)
		w.Array(1 + len(mv.Replicas))
		// Redis decides "never refreshed" by the master's timestamp for every entry.
		entry := func(iv *monitor.InstanceView) {
			w.Array(2)
			if mv.InfoRefresh.IsZero() {
				w.Int(0)
			} else if iv.InfoRefresh.IsZero() {
				w.Int(now.UnixMilli())
			} else {
				w.Int(now.Sub(iv.InfoRefresh).Milliseconds())
			}
			if iv.Info == "" {
				w.Null()
			} else {
				w.BulkString(iv.Info)
			}
		}
		entry(&mv.InstanceView)
		for _, r := range mv.Replicas {
			entry(r)
		}
	}
}

// configGet is SENTINEL CONFIG GET over the six global parameters, in Redis's order, then
// ours. One of ours is listed when named exactly or when it is not at its default, so that
// CONFIG GET * of a sentinel configured as redis-sentinel can be is byte for byte
// redis-sentinel's.
func configGet(v *monitor.View, w *resp.Writer, pattern string) {
	g := &v.Global
	yesNo := func(b bool) string {
		if b {
			return "yes"
		}
		return "no"
	}
	all := []string{
		"resolve-hostnames", yesNo(g.ResolveHostnames),
		"announce-hostnames", yesNo(g.AnnounceHostnames),
		"announce-ip", g.AnnounceIP,
		"announce-port", strconv.Itoa(g.AnnouncePort),
		"sentinel-user", g.SentinelUser,
		"sentinel-pass", g.SentinelPass,
	}
	var kv []string
	for i := 0; i < len(all); i += 2 {
		if glob.MatchFold(pattern, all[i]) {
			kv = append(kv, all[i], all[i+1])
		}
	}
	// Our own options: asked by name they always answer; a pattern lists them only when
	// on, so with the defaults GET * is redis-sentinel's byte for byte (tools that diff the
	// two, and our differential tests, see no difference).
	for _, o := range []struct {
		name string
		on   bool
	}{{"minority-refuses", g.MinorityRefuses}, {"protect-empty-restart", g.ProtectEmptyRestart}} {
		if strings.EqualFold(pattern, o.name) || (o.on && glob.MatchFold(pattern, o.name)) {
			kv = append(kv, o.name, yesNo(o.on))
		}
	}
	writeFields(w, kv)
}

// ScriptStats are the script counts INFO reports.
type ScriptStats struct{ Running, Queued int }

// AppendInfo appends INFO's "# Sentinel" section.
func AppendInfo(v *monitor.View, now time.Time, scripts ScriptStats, b []byte) []byte {
	tilt, tiltSince := 0, int64(-1)
	if v.Tilt {
		tilt, tiltSince = 1, int64(now.Sub(v.TiltSince)/time.Second)
	}
	b = fmt.Appendf(b, "# Sentinel\r\nsentinel_masters:%d\r\nsentinel_tilt:%d\r\nsentinel_tilt_since_seconds:%d\r\n"+
		"sentinel_running_scripts:%d\r\nsentinel_scripts_queue_length:%d\r\nsentinel_simulate_failure_flags:%d\r\n",
		len(v.Masters), tilt, tiltSince, scripts.Running, scripts.Queued, v.SimFlags)
	for i, mv := range v.Masters {
		b = fmt.Appendf(b, "master%d:name=%s,status=%s,address=%s:%d,slaves=%d,sentinels=%d\r\n",
			i, mv.Name, MasterStatus(mv), mv.IP, mv.Port, len(mv.Replicas), len(mv.Sentinels)+1)
	}
	return b
}

// MasterStatus is a master's status word in INFO: odown, sdown or ok.
func MasterStatus(mv *monitor.MasterView) string {
	switch {
	case mv.Flags.ODown():
		return "odown"
	case mv.Flags.SDown():
		return "sdown"
	}
	return "ok"
}

var helpLines = []string{
	"SENTINEL <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
	"CKQUORUM <master-name>",
	"    Check if the current Sentinel configuration is able to reach the quorum",
	"    needed to failover a master and the majority needed to authorize the",
	"    failover.",
	"CONFIG SET <param> <value>",
	"    Set a global Sentinel configuration parameter.",
	"CONFIG GET <param>",
	"    Get global Sentinel configuration parameter.",
	"DEBUG [<param> <value> ...]",
	"    Show a list of configurable time parameters and their values (milliseconds).",
	"    Or update current configurable parameters values (one or more).",
	"GET-MASTER-ADDR-BY-NAME <master-name>",
	"    Return the ip and port number of the master with that name.",
	"FAILOVER <master-name>",
	"    Manually failover a master node without asking for agreement from other",
	"    Sentinels",
	"FLUSHCONFIG",
	"    Force Sentinel to rewrite its configuration on disk, including the current",
	"    Sentinel state.",
	"INFO-CACHE <master-name>",
	"    Return last cached INFO output from masters and all its replicas.",
	"IS-MASTER-DOWN-BY-ADDR <ip> <port> <current-epoch> <runid>",
	"    Check if the master specified by ip:port is down from current Sentinel's",
	"    point of view.",
	"MASTER <master-name>",
	"    Show the state and info of the specified master.",
	"MASTERS",
	"    Show a list of monitored masters and their state.",
	"MONITOR <name> <ip> <port> <quorum>",
	"    Start monitoring a new master with the specified name, ip, port and quorum.",
	"MYID",
	"    Return the ID of the Sentinel instance.",
	"PENDING-SCRIPTS",
	"    Get pending scripts information.",
	"REMOVE <master-name>",
	"    Remove master from Sentinel's monitor list.",
	"REPLICAS <master-name>",
	"    Show a list of replicas for this master and their state.",
	"RESET <pattern>",
	"    Reset masters for specific master name matching this pattern.",
	"SENTINELS <master-name>",
	"    Show a list of Sentinel instances for this master and their state.",
	"SET <master-name> <option> <value> [<option> <value> ...]",
	"    Set configuration parameters for certain masters.",
	"SIMULATE-FAILURE [CRASH-AFTER-ELECTION] [CRASH-AFTER-PROMOTION] [HELP]",
	"    Simulate a Sentinel crash.",
	"HELP",
	"    Prints this help.",
}
