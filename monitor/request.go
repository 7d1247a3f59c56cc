package monitor

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/sentinel-go/sentinel/config"
	"github.com/sentinel-go/sentinel/election"
	"github.com/sentinel-go/sentinel/internal/glob"
	"github.com/sentinel-go/sentinel/internal/resp"
)

// Redis's replies, word for word: clients and the upstream tests match on them.
const (
	errNoSuchMaster = "ERR No such master with that name"
	errNotInteger   = "ERR value is not an integer or out of range"
	errSaveFailed   = "ERR Failed to save config file. Check server logs."
	errConfigShape  = "ERR Only SENTINEL CONFIG GET <option> / SET <option> <value> are supported."
)

// Request runs a SENTINEL subcommand that reads or changes the sentinel's state, appending
// the reply to w. args[0] is the subcommand, already checked for arity by the caller.
func (c *Core) Request(now time.Time, w *resp.Writer, args []string) {
	c.now = now
	// Requests are rare and may change anything: every master's view is rebuilt.
	for _, m := range c.order {
		c.touch(m)
	}
	c.viewIndex = nil
	c.changed = true
	c.durable = false
	switch strings.ToLower(args[0]) {
	case "is-master-down-by-addr", "is-primary-down-by-addr":
		c.isMasterDownByAddr(w, args[1:])
	case "monitor":
		c.monitorCmd(w, args[1:])
	case "remove":
		c.removeCmd(w, args[1])
	case "set":
		c.setCmd(w, args[1:])
	case "reset":
		c.resetCmd(w, args[1])
	case "flushconfig":
		c.saveAndReply(w)
	case "config":
		c.configCmd(w, args[1:])
	case "debug":
		c.debugCmd(w, args[1:])
	case "simulate-failure":
		c.simulateFailureCmd(w, args[1:])
	case "failover":
		c.failoverCmd(w, args[1:])
	default:
		w.Error(fmt.Sprintf("ERR unknown subcommand '%s'. Try SENTINEL HELP.", args[0]))
	}
}

// saveAndReply answers OK to a change that must be saved first: the driver answers Redis's
// error instead if saving the Ready's State fails (sentinelFlushConfigAndReply).
func (c *Core) saveAndReply(w *resp.Writer) {
	c.needSave = true
	c.durable = true
	w.Simple("OK")
}

// isMasterDownByAddr answers a peer: do we see the master at that address down, and, when
// the peer asks for a vote (run ID not "*"), whom we vote for in that epoch.
func (c *Core) isMasterDownByAddr(w *resp.Writer, args []string) {
	port, err1 := strconv.ParseInt(args[1], 10, 64)
	epoch, err2 := strconv.ParseInt(args[2], 10, 64)
	if err1 != nil || err2 != nil {
		w.Error(errNotInteger)
		return
	}
	m := c.masterAt(config.Addr{Host: args[0], Port: int(port)})
	down := 0
	if m != nil && m.flags&flagSDown != 0 && !c.tilt {
		down = 1
	}
	vote := election.Vote{}
	if m != nil && args[3] != "*" {
		c.voteForSelfBefore(m, uint64(epoch), args[3])
		vote = c.voteLeader(m, uint64(epoch), args[3])
	}
	if vote.Leader == "" {
		vote.Leader = "*" // never voted, or the vote was forgotten by a reset (its epoch was not)
	}
	w.Array(3)
	w.Int(int64(down))
	w.BulkString(vote.Leader)
	w.Int(int64(vote.Epoch))
	// A vote granted may be the one a candidate needed; our own attempt may have just
	// been held back. Either way nothing here waits for the tick.
	if m != nil {
		c.runFailover(m)
	}
}

func (c *Core) masterAt(a config.Addr) *master {
	for _, m := range c.order {
		if c.sameAddr(m.addr, a) {
			return m
		}
	}
	return nil
}

// voteLeader applies the vote rule (election.Grant) to a request, ours included, and
// returns the vote held afterwards. A new vote is saved before the reply leaves (Ready saves
// before anything is sent).
func (c *Core) voteLeader(m *master, reqEpoch uint64, reqRunID string) election.Vote {
	out := election.Grant(election.Ballot{
		Current: c.currentEpoch,
		Held:    election.Vote{Leader: m.cfg.Leader, Epoch: m.cfg.LeaderEpoch},
	}, reqEpoch, reqRunID)
	if out.EpochRaised {
		c.raiseEpoch(out.Current, m)
	}
	if out.Cast {
		m.cfg.Leader, m.cfg.LeaderEpoch = out.Held.Leader, out.Held.Epoch
		c.needSave = true
		c.touch(m)
		c.emitRaw(Warning, "+vote-for-leader", fmt.Sprintf("%s %d", out.Held.Leader, out.Held.Epoch), m.name)
		if !strings.EqualFold(out.Held.Leader, c.myID) {
			// Having voted for another, hold our own attempt back for the retry delay:
			// the leader we chose needs the time to finish.
			m.failoverStartTime = c.now.Add(c.desync())
		}
	}
	return out.Held
}

func (c *Core) monitorCmd(w *resp.Writer, args []string) {
	name, host := args[0], args[1]
	quorum, err := strconv.ParseInt(args[3], 10, 64)
	if err != nil {
		w.Error("ERR Invalid quorum")
		return
	}
	port, err := strconv.ParseInt(args[2], 10, 64)
	if err != nil {
		w.Error("ERR Invalid port")
		return
	}
	if quorum <= 0 {
		w.Error("ERR Quorum must be 1 or greater.")
		return
	}
	if !c.cfg.ResolveHostnames {
		// Redis checks the address as a numeric host (inet_aton's short forms included).
		ip, ok := config.NumericIP(host)
		if !ok {
			w.Error("ERR Invalid IP address or hostname specified")
			return
		}
		host = ip
	}
	if c.masters[name] != nil {
		w.Error("ERR Duplicate master name.")
		return
	}
	if port < 0 || port > 65535 {
		w.Error("ERR Invalid port number.")
		return
	}
	mc := config.NewMaster(name, host, int(port), int(quorum))
	mc.DownAfter = c.timing.DefaultDownAfter
	mc.FailoverTimeout = c.timing.DefaultFailoverTimeout
	m := c.addMaster(mc)
	c.saveAndReply(w)
	c.emit(Warning, "+monitor", &m.instance, fmt.Sprintf("quorum %d", mc.Quorum))
}

func (c *Core) removeCmd(w *resp.Writer, name string) {
	m := c.masters[name]
	if m == nil {
		w.Error(errNoSuchMaster)
		return
	}
	c.emit(Warning, "-monitor", &m.instance, "")
	for _, r := range m.replicaList() {
		c.removeInstance(r)
	}
	for _, s := range m.sentinelList() {
		c.removeInstance(s)
	}
	c.releaseLink(&m.instance)
	delete(c.masters, name)
	for i, o := range c.order {
		if o == m {
			c.order = append(c.order[:i], c.order[i+1:]...)
			break
		}
	}
	c.saveAndReply(w)
}

// setCmd is SENTINEL SET: pairs applied left to right, each announced with +set; a bad pair
// stops there, and what was applied before it stays (and is saved), as in Redis.
func (c *Core) setCmd(w *resp.Writer, args []string) {
	m := c.masters[args[0]]
	if m == nil {
		w.Error(errNoSuchMaster)
		return
	}
	mc := m.cfg
	changed := false
	fail := func(msg string) {
		if changed {
			c.needSave = true
		}
		w.Error(msg)
	}
	badArg := func(opt, val string) {
		fail(fmt.Sprintf("ERR Invalid argument '%s' for SENTINEL SET '%s'", val, opt))
	}
	for i := 1; i < len(args); i += 2 {
		opt := args[i]
		lopt := strings.ToLower(opt)
		if i+1 >= len(args) || (lopt == "rename-command" && i+2 >= len(args)) {
			fail(fmt.Sprintf("ERR Unknown option or number of arguments for SENTINEL SET '%s'", opt))
			return
		}
		val := args[i+1]
		shown := val
		if num, ok := numericOptions[lopt]; ok {
			n, err := strconv.ParseInt(val, 10, 64)
			if err != nil || n < num.min {
				badArg(opt, val)
				return
			}
			num.set(mc, n)
			changed = true
			c.emit(Warning, "+set", &m.instance, opt+" "+shown)
			continue
		}
		switch lopt {
		case "notification-script", "client-reconfig-script":
			if c.cfg.DenyScriptsReconfig {
				fail("ERR Reconfiguration of scripts path is denied for security reasons. Check the deny-scripts-reconfig configuration directive in your Sentinel configuration")
				return
			}
			if val != "" && !isExecutable(val) {
				if lopt == "notification-script" {
					fail("ERR Notification script seems non existing or non executable")
				} else {
					fail("ERR Client reconfiguration script seems non existing or non executable")
				}
				return
			}
			if lopt == "notification-script" {
				mc.NotificationScript = val
			} else {
				mc.ClientReconfigScript = val
			}
		case "auth-pass", "auth-user":
			if lopt == "auth-pass" {
				mc.AuthPass = val
				shown = "******"
			} else {
				mc.AuthUser = val
			}
			c.relinkMaster(m)
		case "rename-command":
			from, to := val, args[i+2]
			if from == "" || to == "" {
				badArg(opt, from+" "+to)
				return
			}
			key := strings.ToLower(from)
			if strings.EqualFold(from, to) {
				delete(mc.RenameCommands, key)
			} else {
				mc.RenameCommands[key] = to
			}
			shown = from + " " + to
			i++
			c.relinkMaster(m)
		default:
			fail(fmt.Sprintf("ERR Unknown option or number of arguments for SENTINEL SET '%s'", opt))
			return
		}
		changed = true
		c.emit(Warning, "+set", &m.instance, opt+" "+shown)
	}
	c.saveAndReply(w)
}

// numericOptions are SENTINEL SET's numeric options and the least value each accepts (0
// disables the reboot period; the others must be positive).
var numericOptions = map[string]struct {
	min int64
	set func(*config.Master, int64)
}{
	"down-after-milliseconds": {1, func(mc *config.Master, n int64) { mc.DownAfter = time.Duration(n) * time.Millisecond }},
	"failover-timeout":        {1, func(mc *config.Master, n int64) { mc.FailoverTimeout = time.Duration(n) * time.Millisecond }},
	"master-reboot-down-after-period": {0, func(mc *config.Master, n int64) {
		mc.MasterRebootDownAfter = time.Duration(n) * time.Millisecond
	}},
	"parallel-syncs": {1, func(mc *config.Master, n int64) { mc.ParallelSyncs = int(n) }},
	"quorum":         {1, func(mc *config.Master, n int64) { mc.Quorum = int(n) }},
}

func isExecutable(path string) bool {
	st, err := os.Stat(path)
	return err == nil && st.Mode().IsRegular() && st.Mode().Perm()&0o111 != 0
}

// relinkMaster drops the connections of a master and its replicas so that they reconnect
// with new credentials or command names, as Redis's dropInstanceConnections does on
// SENTINEL SET auth-pass.
func (c *Core) relinkMaster(m *master) {
	done := map[*link]bool{}
	for _, in := range append([]*instance{&m.instance}, m.replicaList()...) {
		if in.link != nil && !done[in.link] {
			done[in.link] = true
			c.relink(in)
		}
	}
}

func (c *Core) resetCmd(w *resp.Writer, pattern string) {
	n := 0
	for _, m := range append([]*master(nil), c.order...) {
		if glob.Match(pattern, m.name) {
			c.resetMaster(m, true)
			c.emit(Warning, "+reset-master", &m.instance, "")
			n++
		}
	}
	w.Int(int64(n))
}

// configCmd is SENTINEL CONFIG SET; GET is answered from the view.
func (c *Core) configCmd(w *resp.Writer, args []string) {
	if len(args) != 3 || !strings.EqualFold(args[0], "set") {
		w.Error(errConfigShape)
		return
	}
	param, val := args[1], args[2]
	badVal := func() {
		w.Error(fmt.Sprintf("ERR Invalid value '%s' to SENTINEL CONFIG SET '%s'", val, param))
	}
	yesNo := func(dst *bool) bool {
		switch strings.ToLower(val) {
		case "yes":
			*dst = true
		case "no":
			*dst = false
		default:
			badVal()
			return false
		}
		return true
	}
	relinkSentinels, relinkMasters := false, false
	switch strings.ToLower(param) {
	case "resolve-hostnames":
		if !yesNo(&c.cfg.ResolveHostnames) {
			return
		}
	case "announce-hostnames":
		if !yesNo(&c.cfg.AnnounceHostnames) {
			return
		}
	case "minority-refuses":
		if !yesNo(&c.cfg.MinorityRefuses) {
			return
		}
		c.changed = true
		for _, m := range c.order {
			c.checkMinority(m) // on: refuse now if cut off; off: -minority
		}
	case "protect-empty-restart":
		before := c.cfg.ProtectEmptyRestart
		if !yesNo(&c.cfg.ProtectEmptyRestart) {
			return
		}
		// The masters' links are opened again with the fast reconnection on or off
		// (LinkSpec.FastReconnect), which the transport reads at Open.
		relinkMasters = before != c.cfg.ProtectEmptyRestart
	case "announce-ip":
		c.cfg.AnnounceIP = val
	case "announce-port":
		n, err := strconv.ParseInt(val, 10, 64)
		if err != nil || n < 0 || n > 65535 {
			badVal()
			return
		}
		c.cfg.AnnouncePort = int(n)
	case "sentinel-user":
		c.cfg.SentinelUser = val
		relinkSentinels = true
	case "sentinel-pass":
		c.cfg.SentinelPass = val
		relinkSentinels = true
	default:
		w.Error(fmt.Sprintf("ERR Invalid argument '%s' to SENTINEL CONFIG SET", param))
		return
	}
	c.saveAndReply(w)
	if relinkMasters {
		// relink keeps each link's timers (see relink): turning the guard on must not
		// reset a down master's down-after clock.
		for _, m := range c.order {
			c.relink(&m.instance)
		}
	}
	if relinkSentinels {
		// One link per peer, shared by every master it watches: relinked once, with its
		// timers kept (see relink), as the auth-pass change relinks instances.
		done := map[*link]bool{}
		for _, m := range c.order {
			for _, s := range m.sentinelList() {
				if s.link != nil && !done[s.link] {
					done[s.link] = true
					c.relink(s)
				}
			}
		}
	}
}

func (c *Core) debugCmd(w *resp.Writer, args []string) {
	if len(args) == 0 {
		w.Map(len(debugParams))
		for _, p := range debugParams {
			w.BulkString(strings.ToUpper(p.name))
			w.BulkString(strconv.FormatInt(p.get(&c.timing).Milliseconds(), 10))
		}
		return
	}
	for i := 0; i < len(args); i += 2 {
		var dst *time.Duration
		for _, p := range debugParams {
			if strings.EqualFold(p.name, args[i]) {
				dst = p.get(&c.timing)
			}
		}
		if dst == nil || i+1 >= len(args) {
			w.Error(fmt.Sprintf("ERR Unknown option or number of arguments for SENTINEL DEBUG '%s'", args[i]))
			return
		}
		n, err := strconv.ParseInt(args[i+1], 10, 64)
		if err != nil || n <= 0 {
			w.Error(fmt.Sprintf("ERR Invalid argument '%s' for SENTINEL DEBUG '%s'", args[i+1], args[i]))
			return
		}
		*dst = time.Duration(n) * time.Millisecond
	}
	w.Simple("OK")
}

// Failure simulation flags (SENTINEL SIMULATE-FAILURE), as INFO reports them.
const (
	SimCrashAfterElection  = 1 << 0
	SimCrashAfterPromotion = 1 << 1
)

func (c *Core) simulateFailureCmd(w *resp.Writer, args []string) {
	c.simulateFailure = 0
	for _, a := range args {
		switch strings.ToLower(a) {
		case "crash-after-election":
			c.simulateFailure |= SimCrashAfterElection
			c.logf(Warning, "Failure simulation: this Sentinel will crash after being successfully elected as failover leader")
		case "crash-after-promotion":
			c.simulateFailure |= SimCrashAfterPromotion
			c.logf(Warning, "Failure simulation: this Sentinel will crash after promoting the selected replica to master")
		case "help":
			w.Array(2)
			w.BulkString("crash-after-election")
			w.BulkString("crash-after-promotion")
			return
		default:
			w.Error("ERR Unknown failure simulation specified")
			return
		}
	}
	w.Simple("OK")
}

// failoverCmd is SENTINEL FAILOVER <master> [COORDINATED].
func (c *Core) failoverCmd(w *resp.Writer, args []string) {
	coordinated := false
	if len(args) == 2 {
		if !strings.EqualFold(args[1], "coordinated") {
			w.Error("ERR syntax error")
			return
		}
		coordinated = true
	}
	c.manualFailover(w, args[0], coordinated)
}
