package monitor

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/sentinel-go/sentinel/config"
	"github.com/sentinel-go/sentinel/election"
	"github.com/sentinel-go/sentinel/internal/glob"
)

// Redis's replies, word for word: clients and the upstream tests match on them.
const (
	errNoSuchMaster = "ERR No such master with that name"
	errNotInteger   = "ERR value is not an integer or out of range"
	errSaveFailed   = "ERR Failed to save config file. Check server logs."
	errConfigShape  = "ERR Only SENTINEL CONFIG GET <option> / SET <option> <value> are supported."
)

// Request runs a SENTINEL subcommand that changes the sentinel's state (or must ask the
// core, as is-master-down-by-addr does) and answers it in Ready.Responses under id. args[0]
// is the subcommand, already checked for arity by the caller.
func (c *Core) Request(now time.Time, id RequestID, args []string) {
	c.now = now
	defer c.wakeAll() // a request may change anything: settings, timing, masters
	if c.park(id, args) {
		return // answered when its lookups are (lookup.go)
	}
	c.answerRequest(id, args)
}

// answerRequest runs a request and puts its answer in the Ready.
func (c *Core) answerRequest(id RequestID, args []string) {
	// Requests are rare and may change anything: every master's view is rebuilt.
	for _, m := range c.order {
		c.touch(m)
	}
	c.viewIndex = nil
	c.changed = true
	v, durable := c.request(args)
	c.ready.Responses = append(c.ready.Responses, Response{ID: id, Value: v, Durable: durable})
}

func (c *Core) request(args []string) (reply Value, durable bool) {
	switch strings.ToLower(args[0]) {
	case "is-master-down-by-addr", "is-primary-down-by-addr":
		return c.isMasterDownByAddr(args[1:]), false
	case "monitor":
		return c.monitorCmd(args[1:])
	case "remove":
		return c.removeCmd(args[1])
	case "set":
		return c.setCmd(args[1:])
	case "reset":
		return c.resetCmd(args[1]), false
	case "flushconfig":
		return c.flushConfig()
	case "config":
		return c.configCmd(args[1:])
	case "debug":
		return c.debugCmd(args[1:]), false
	case "simulate-failure":
		return c.simulateFailureCmd(args[1:]), false
	case "failover":
		return c.failoverCmd(args[1:]), false
	}
	return errorReply(fmt.Sprintf("ERR unknown subcommand '%s'. Try SENTINEL HELP.", args[0])), false
}

// flushConfig is sentinelFlushConfigAndReply: OK once the state is saved, which happens
// before anything of this step leaves (Ready). The answer is durable: if the save fails,
// the client is told so instead (Response.Reply).
func (c *Core) flushConfig() (Value, bool) {
	c.needSave = true
	return simple("OK"), true
}

// Reply is what the client is told: a Durable answer becomes Redis's "Failed to save"
// error when saving the state it reports failed (saveErr), as in
// sentinelFlushConfigAndReply.
func (r Response) Reply(saveErr error) Value {
	if r.Durable && saveErr != nil {
		return errorReply(errSaveFailed)
	}
	return r.Value
}

// isMasterDownByAddr answers a peer: do we see the master at that address down, and, when
// the peer asks for a vote (run ID not "*"), whom we vote for in that epoch.
func (c *Core) isMasterDownByAddr(args []string) Value {
	port, err1 := strconv.ParseInt(args[1], 10, 64)
	epoch, err2 := strconv.ParseInt(args[2], 10, 64)
	if err1 != nil || err2 != nil {
		return errorReply(errNotInteger)
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
	reply := array(integer(int64(down)), bulk(vote.Leader), integer(int64(vote.Epoch)))
	// A vote granted may be the one a candidate needed; our own attempt may have just
	// been held back. Either way nothing here waits for the tick.
	if m != nil {
		c.runFailover(m)
	}
	return reply
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

func (c *Core) monitorCmd(args []string) (Value, bool) {
	name, host := args[0], args[1]
	quorum, err := strconv.ParseInt(args[3], 10, 64)
	if err != nil {
		return errorReply("ERR Invalid quorum"), false
	}
	port, err := strconv.ParseInt(args[2], 10, 64)
	if err != nil {
		return errorReply("ERR Invalid port"), false
	}
	if quorum <= 0 {
		return errorReply("ERR Quorum must be 1 or greater."), false
	}
	if !c.cfg.ResolveHostnames {
		// Redis checks the address as a numeric host (inet_aton's short forms included).
		ip, ok := config.NumericIP(host)
		if !ok {
			return errorReply("ERR Invalid IP address or hostname specified"), false
		}
		host = ip
	} else if !c.resolves(host) {
		// createSentinelAddr's anetResolve failed: Redis refuses the name, which would
		// otherwise be monitored at an address that is no address.
		return errorReply("ERR Invalid IP address or hostname specified"), false
	}
	if c.masters[name] != nil {
		return errorReply("ERR Duplicate master name."), false
	}
	if port < 0 || port > 65535 {
		return errorReply("ERR Invalid port number."), false
	}
	mc := config.NewMaster(name, host, int(port), int(quorum))
	mc.DownAfter = c.timing.DefaultDownAfter
	mc.FailoverTimeout = c.timing.DefaultFailoverTimeout
	m := c.addMaster(mc)
	c.emit(Warning, "+monitor", &m.instance, fmt.Sprintf("quorum %d", mc.Quorum))
	return c.flushConfig()
}

func (c *Core) removeCmd(name string) (Value, bool) {
	m := c.masters[name]
	if m == nil {
		return errorReply(errNoSuchMaster), false
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
	return c.flushConfig()
}

// setCmd is SENTINEL SET: pairs applied left to right, each announced with +set; a bad pair
// stops there, and what was applied before it stays (and is saved), as in Redis.
func (c *Core) setCmd(args []string) (Value, bool) {
	m := c.masters[args[0]]
	if m == nil {
		return errorReply(errNoSuchMaster), false
	}
	mc := m.cfg
	changed := false
	fail := func(msg string) (Value, bool) {
		if changed {
			c.needSave = true
		}
		return errorReply(msg), false
	}
	badArg := func(opt, val string) (Value, bool) {
		return fail(fmt.Sprintf("ERR Invalid argument '%s' for SENTINEL SET '%s'", val, opt))
	}
	for i := 1; i < len(args); i += 2 {
		opt := args[i]
		lopt := strings.ToLower(opt)
		if i+1 >= len(args) || (lopt == "rename-command" && i+2 >= len(args)) {
			return fail(fmt.Sprintf("ERR Unknown option or number of arguments for SENTINEL SET '%s'", opt))
		}
		val := args[i+1]
		shown := val
		if num, ok := numericOptions[lopt]; ok {
			n, err := strconv.ParseInt(val, 10, 64)
			if err != nil || n < num.min {
				return badArg(opt, val)
			}
			if lopt == "forget-after" && n != 0 && n < config.MinForgetAfter.Milliseconds() {
				return fail(fmt.Sprintf("ERR forget-after must be 0 (off) or at least %d milliseconds", config.MinForgetAfter.Milliseconds()))
			}
			num.set(mc, n)
			if lopt == "forget-after" {
				c.startPeak(m)
			}
			changed = true
			c.emit(Warning, "+set", &m.instance, opt+" "+shown)
			continue
		}
		switch lopt {
		case "notification-script", "client-reconfig-script":
			if c.cfg.DenyScriptsReconfig {
				return fail("ERR Reconfiguration of scripts path is denied for security reasons. Check the deny-scripts-reconfig configuration directive in your Sentinel configuration")
			}
			if val != "" && !c.answer(Lookup{Kind: LookupExecutable, Name: val}).OK {
				if lopt == "notification-script" {
					return fail("ERR Notification script seems non existing or non executable")
				}
				return fail("ERR Client reconfiguration script seems non existing or non executable")
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
				return badArg(opt, from+" "+to)
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
			return fail(fmt.Sprintf("ERR Unknown option or number of arguments for SENTINEL SET '%s'", opt))
		}
		changed = true
		c.emit(Warning, "+set", &m.instance, opt+" "+shown)
	}
	return c.flushConfig()
}

// numericOptions are SENTINEL SET's numeric options and the least value each accepts (0
// disables the reboot period; the others must be positive).
var numericOptions = map[string]struct {
	min int64
	set func(*config.Master, int64)
}{
	"down-after-milliseconds": {1, func(mc *config.Master, n int64) { mc.DownAfter = time.Duration(n) * time.Millisecond }},
	"failover-timeout":        {1, func(mc *config.Master, n int64) { mc.FailoverTimeout = time.Duration(n) * time.Millisecond }},
	"forget-after":            {0, func(mc *config.Master, n int64) { mc.ForgetAfter = time.Duration(n) * time.Millisecond }},
	"master-reboot-down-after-period": {0, func(mc *config.Master, n int64) {
		mc.MasterRebootDownAfter = time.Duration(n) * time.Millisecond
	}},
	"parallel-syncs": {1, func(mc *config.Master, n int64) { mc.ParallelSyncs = int(n) }},
	"quorum":         {1, func(mc *config.Master, n int64) { mc.Quorum = int(n) }},
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

func (c *Core) resetCmd(pattern string) Value {
	n := 0
	for _, m := range append([]*master(nil), c.order...) {
		if glob.Match(pattern, m.name) {
			c.resetMaster(m, true)
			m.cfg.PeakSentinels = 0 // the operator shrinks the group (forget.go)
			c.emit(Warning, "+reset-master", &m.instance, "")
			n++
		}
	}
	return integer(int64(n))
}

// configCmd is SENTINEL CONFIG SET; GET is answered from the view.
func (c *Core) configCmd(args []string) (Value, bool) {
	if len(args) != 3 || !strings.EqualFold(args[0], "set") {
		return errorReply(errConfigShape), false
	}
	param, val := args[1], args[2]
	badVal := errorReply(fmt.Sprintf("ERR Invalid value '%s' to SENTINEL CONFIG SET '%s'", val, param))
	yesNo := func(dst *bool) bool {
		switch strings.ToLower(val) {
		case "yes":
			*dst = true
		case "no":
			*dst = false
		default:
			return false
		}
		return true
	}
	relinkSentinels, relinkMasters := false, false
	switch strings.ToLower(param) {
	case "resolve-hostnames":
		if !yesNo(&c.cfg.ResolveHostnames) {
			return badVal, false
		}
	case "announce-hostnames":
		if !yesNo(&c.cfg.AnnounceHostnames) {
			return badVal, false
		}
	case "minority-refuses":
		if !yesNo(&c.cfg.MinorityRefuses) {
			return badVal, false
		}
		c.changed = true
		for _, m := range c.order {
			c.checkMinority(m) // on: refuse now if cut off; off: -minority
		}
	case "protect-empty-restart":
		before := c.cfg.ProtectEmptyRestart
		if !yesNo(&c.cfg.ProtectEmptyRestart) {
			return badVal, false
		}
		// The masters' links are opened again with the fast reconnection on or off
		// (LinkSpec.FastReconnect), which the transport reads at Open.
		relinkMasters = before != c.cfg.ProtectEmptyRestart
	case "announce-ip":
		c.cfg.AnnounceIP = val
	case "announce-port":
		n, err := strconv.ParseInt(val, 10, 64)
		if err != nil || n < 0 || n > 65535 {
			return badVal, false
		}
		c.cfg.AnnouncePort = int(n)
	case "sentinel-user":
		c.cfg.SentinelUser = val
		relinkSentinels = true
	case "sentinel-pass":
		c.cfg.SentinelPass = val
		relinkSentinels = true
	default:
		return errorReply(fmt.Sprintf("ERR Invalid argument '%s' to SENTINEL CONFIG SET", param)), false
	}
	reply, durable := c.flushConfig()
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
	return reply, durable
}

func (c *Core) debugCmd(args []string) Value {
	if len(args) == 0 {
		kv := make([]Value, 0, 2*len(debugParams))
		for _, p := range debugParams {
			kv = appendBulks(kv, strings.ToUpper(p.name), strconv.FormatInt(p.get(&c.timing).Milliseconds(), 10))
		}
		return mapOf(kv...)
	}
	for i := 0; i < len(args); i += 2 {
		var dst *time.Duration
		for _, p := range debugParams {
			if strings.EqualFold(p.name, args[i]) {
				dst = p.get(&c.timing)
			}
		}
		if dst == nil || i+1 >= len(args) {
			return errorReply(fmt.Sprintf("ERR Unknown option or number of arguments for SENTINEL DEBUG '%s'", args[i]))
		}
		n, err := strconv.ParseInt(args[i+1], 10, 64)
		if err != nil || n <= 0 {
			return errorReply(fmt.Sprintf("ERR Invalid argument '%s' for SENTINEL DEBUG '%s'", args[i+1], args[i]))
		}
		*dst = time.Duration(n) * time.Millisecond
	}
	return simple("OK")
}

// Failure simulation flags (SENTINEL SIMULATE-FAILURE), as INFO reports them.
const (
	SimCrashAfterElection  = 1 << 0
	SimCrashAfterPromotion = 1 << 1
)

func (c *Core) simulateFailureCmd(args []string) Value {
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
			return array(bulks("crash-after-election", "crash-after-promotion")...)
		default:
			return errorReply("ERR Unknown failure simulation specified")
		}
	}
	return simple("OK")
}

// failoverCmd is SENTINEL FAILOVER <master> [COORDINATED].
func (c *Core) failoverCmd(args []string) Value {
	coordinated := false
	if len(args) == 2 {
		if !strings.EqualFold(args[1], "coordinated") {
			return errorReply("ERR syntax error")
		}
		coordinated = true
	}
	return c.manualFailover(args[0], coordinated)
}
