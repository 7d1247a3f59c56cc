package sim

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/sentinel-go/sentinel/config"
	"github.com/sentinel-go/sentinel/monitor"
)

// Checker holds the safety invariants. It reads every event of every sentinel as the step
// that produced it returns (before anything the step sent can arrive anywhere), keeps what
// must hold across restarts keyed by the sentinel's run ID, and reports the first
// violation to the Sim, which stops there.
type Checker struct {
	s *Sim

	// votes[(master, epoch)][voter] is the leader voter voted for in that epoch.
	votes map[epochKey]map[string]string
	// lastVote[(voter, master)] is the voter's newest vote.
	lastVote map[voterKey]vote
	// epochs[runID] is the highest current epoch that sentinel announced (+new-epoch).
	epochs map[string]uint64
	// leaders[(master, epoch)] is the sentinel elected in that epoch.
	leaders map[epochKey]leader
	// promotions[(master, config epoch)] is the address promoted in it.
	promotions map[epochKey]string

	views map[string]*view // per run ID: what this incarnation's events said
}

type epochKey struct {
	master string
	epoch  uint64
}

type voterKey struct{ voter, master string }

type leader struct {
	runID  string
	forced bool
}

type vote struct {
	leader string
	epoch  uint64
}

// view is one sentinel incarnation's state as its events describe it, in event order: so
// when a +selected-slave is read, the flags are those the sentinel had when it chose.
type view struct {
	epoch    uint64
	tilt     bool
	sdown    map[string]bool      // "master|instance name"
	sdownAt  map[string]time.Time // master name → since
	odown    map[string]bool
	replicas map[string]map[string]bool
	attempts map[string]*attempt
	// peerSince["master|run ID"] is when the peer was discovered (+sentinel), or for
	// "master|" when the peers' addresses were last updated: a link made then counts as
	// reached then, as SDOWN counts it.
	peerSince map[string]time.Time
	// downSince["master|instance name"] is the instance's last +sdown; held[master] the
	// last failover sign (ODOWN, an attempt, a vote, a switch): forget-after waits for both.
	downSince map[string]time.Time
	held      map[string]time.Time
}

// attempt is one failover attempt of one sentinel, from +try-failover to its end.
type attempt struct {
	epoch    uint64 // from +try-failover; from +elected-leader on, the epoch it won
	odown    bool   // the sentinel saw the master ODOWN when it started
	manual   bool   // SENTINEL FAILOVER started it
	elected  bool
	selected string
	promoted bool
}

func newChecker(s *Sim) *Checker {
	return &Checker{
		s:          s,
		votes:      map[epochKey]map[string]string{},
		lastVote:   map[voterKey]vote{},
		epochs:     map[string]uint64{},
		leaders:    map[epochKey]leader{},
		promotions: map[epochKey]string{},
		views:      map[string]*view{},
	}
}

func (k *Checker) fail(n *Sentinel, format string, args ...any) {
	k.s.fail(n.Name + " (" + short(n.RunID) + "): " + fmt.Sprintf(format, args...))
}

func short(id string) string {
	if len(id) > 8 {
		return id[:8]
	}
	return id
}

// started checks what a (re)starting sentinel comes back with against what it announced
// before: its current epoch and its votes must not have gone back.
func (k *Checker) started(n *Sentinel, cfg *config.Config) {
	id := cfg.MyID
	n.RunID = id
	if e := k.epochs[id]; cfg.CurrentEpoch < e {
		k.fail(n, "restarted with current epoch %d after announcing %d", cfg.CurrentEpoch, e)
	}
	v := &view{
		epoch: cfg.CurrentEpoch, sdown: map[string]bool{}, sdownAt: map[string]time.Time{},
		odown: map[string]bool{}, replicas: map[string]map[string]bool{}, attempts: map[string]*attempt{},
		peerSince: map[string]time.Time{}, downSince: map[string]time.Time{}, held: map[string]time.Time{},
	}
	for _, mc := range cfg.Masters {
		last := k.lastVote[voterKey{id, mc.Name}]
		if mc.LeaderEpoch < last.epoch || (mc.LeaderEpoch == last.epoch && mc.Leader != "" && mc.Leader != last.leader) {
			k.fail(n, "restarted with vote %q@%d for %s after voting %q@%d", mc.Leader, mc.LeaderEpoch, mc.Name, last.leader, last.epoch)
		}
		set := map[string]bool{}
		for _, a := range mc.KnownReplicas {
			set[joinHostPort(a.Host, a.Port)] = true
		}
		v.replicas[mc.Name] = set
	}
	k.views[id] = v
}

func (k *Checker) crashed(n *Sentinel) { delete(k.views, n.RunID) }

// persisted checks the persist-first rule on a Ready whose State was just persisted and
// whose events are about to leave: every epoch and vote they announce is already in the
// persisted state, so a crash right after cannot take back what a peer or a client heard
// (the core must have set Ready.State in the step that changed them, or before).
func (k *Checker) persisted(n *Sentinel, evs []monitor.Event) {
	for _, e := range evs {
		switch e.Type {
		case "+new-epoch":
			k.persistedVote(n, e.Master, "", e.Message)
		case "+vote-for-leader":
			f := strings.Fields(e.Message)
			if len(f) == 2 {
				k.persistedVote(n, e.Master, f[0], f[1])
			}
		}
		if k.s.err != nil {
			return
		}
	}
}

// voteReply checks a reply to is-master-down-by-addr about master m as it leaves: the
// vote it tells the candidate is in the voter's persisted state, or a newer vote that
// replaced it in the same step (sentinelVoteLeader flushes the config before the reply is
// written; a restarted voter then never votes again in that epoch).
func (k *Checker) voteReply(n *Sentinel, m string, v any) {
	r, ok := v.([]any)
	if !ok || len(r) != 3 {
		return
	}
	leader, _ := r[1].(string)
	epoch, _ := r[2].(int64)
	if leader == "" || leader == "*" {
		return
	}
	k.persistedVote(n, m, leader, strconv.FormatInt(epoch, 10))
}

// persistedVote: the persisted current epoch is at least epoch, and with a leader, the
// persisted vote of master m is that leader's in that epoch or a newer one.
func (k *Checker) persistedVote(n *Sentinel, m, leader, epochText string) {
	epoch, err := strconv.ParseUint(epochText, 10, 64)
	if err != nil {
		k.fail(n, "unreadable epoch %q", epochText)
		return
	}
	st := n.Store.last
	if st == nil || st.CurrentEpoch < epoch {
		k.fail(n, "announced epoch %d before persisting it", epoch)
		return
	}
	if leader == "" {
		return
	}
	mc := st.Master(m)
	if mc == nil || mc.LeaderEpoch < epoch || (mc.LeaderEpoch == epoch && mc.Leader != leader) {
		k.fail(n, "announced its vote for %s in epoch %d of %s before persisting it", short(leader), epoch, m)
	}
}

// events reads one step's events in order.
func (k *Checker) events(n *Sentinel, evs []monitor.Event) {
	v := k.views[n.RunID]
	for _, e := range evs {
		if e.Level > monitor.Debug {
			if e.Type == "+vote-for-leader" || e.Type == "+new-epoch" {
				k.s.tracef("%s %s (%s)", n.Name, e, e.Master) // the message does not name it
			} else {
				k.s.tracef("%s %s", n.Name, e)
			}
		}
		k.event(n, v, e)
		if k.s.err != nil {
			return
		}
	}
}

func (k *Checker) event(n *Sentinel, v *view, e monitor.Event) {
	f := strings.Fields(e.Message)
	m := e.Master
	st := &k.s.stats
	switch e.Type {
	case "+odown", "-odown", "+try-failover", "+vote-for-leader", "+failover-end", "+switch-master", "+config-update-from":
		v.held[m] = k.s.now
	}
	switch e.Type {
	case "-slave-forgotten":
		k.checkForget(n, v, e, f, "slave")
	case "-sentinel-forgotten":
		// What makes it safe (no second leader in an epoch, checked at +elected-leader) is
		// the peak the majority is counted among: monitor/forget.go.
		k.checkForget(n, v, e, f, "sentinel")
	case "+sentinel":
		if len(f) > 1 {
			v.peerSince[m+"|"+f[1]] = k.s.now
		}
	case "+sentinel-address-switch", "+sentinel-address-update":
		v.peerSince[m+"|"] = k.s.now
	case "+new-epoch":
		ep, _ := strconv.ParseUint(e.Message, 10, 64)
		if ep <= v.epoch {
			k.fail(n, "current epoch went from %d to %d", v.epoch, ep)
			return
		}
		v.epoch = ep
		k.epochs[n.RunID] = max(k.epochs[n.RunID], ep)

	case "+vote-for-leader":
		leader := f[0]
		ep, _ := strconv.ParseUint(f[1], 10, 64)
		if ep > v.epoch {
			k.fail(n, "voted in epoch %d beyond its current epoch %d", ep, v.epoch)
			return
		}
		key := epochKey{m, ep}
		if k.votes[key] == nil {
			k.votes[key] = map[string]string{}
		}
		if prev, ok := k.votes[key][n.RunID]; ok && prev != leader {
			k.fail(n, "voted twice in epoch %d for %s: %s, then %s", ep, m, short(prev), short(leader))
			return
		}
		last := k.lastVote[voterKey{n.RunID, m}]
		if ep < last.epoch {
			k.fail(n, "voted in epoch %d for %s after voting in epoch %d", ep, m, last.epoch)
			return
		}
		k.votes[key][n.RunID] = leader
		k.lastVote[voterKey{n.RunID, m}] = vote{leader, ep}

	case "+sdown", "-sdown":
		name := f[1]
		v.sdown[m+"|"+name] = e.Type == "+sdown"
		if e.Type == "+sdown" {
			v.downSince[m+"|"+name] = k.s.now
		} else {
			delete(v.downSince, m+"|"+name)
		}
		if f[0] == "master" && e.Type == "+sdown" {
			v.sdownAt[m] = k.s.now
		}

	case "+odown", "-odown":
		v.odown[m] = e.Type == "+odown"

	case "+slave":
		if v.replicas[m] == nil {
			v.replicas[m] = map[string]bool{}
		}
		v.replicas[m][f[1]] = true
		// A new instance in the core: nothing learned about it yet.
		delete(n.infos, m+"|"+f[1])
		delete(v.sdown, m+"|"+f[1])

	case "+tilt", "-tilt":
		v.tilt = e.Type == "+tilt"
		if v.tilt {
			st.Tilts++
		}

	case "+try-failover":
		st.Attempts++
		if n.manual {
			st.Manual++
		}
		if v.attempts[m] != nil {
			k.fail(n, "+try-failover for %s while its attempt of epoch %d runs", m, v.attempts[m].epoch)
			return
		}
		v.attempts[m] = &attempt{epoch: v.epoch, odown: v.odown[m], manual: n.manual}

	case "+elected-leader":
		a := v.attempts[m]
		if a == nil {
			k.fail(n, "+elected-leader for %s outside an attempt", m)
			return
		}
		if !a.odown && !a.manual {
			k.fail(n, "+elected-leader for %s in epoch %d, but the attempt started without +odown", m, a.epoch)
			return
		}
		if !a.manual {
			// An election is won in the current epoch: the attempt follows the global
			// epoch when it moves on (another master's failover, a peer's request). Should
			// a core win one epoch and promote under another, the config epoch check at
			// +promoted-slave fails.
			a.epoch = v.epoch
		}
		key := epochKey{m, a.epoch}
		if prev, ok := k.leaders[key]; ok && prev.runID != n.RunID {
			// A forced failover counts too: the schedule asks for one only when nothing
			// else can take its epoch (Sim.calmFor).
			k.fail(n, "second leader for %s in epoch %d (the first was %s%s)", m, a.epoch, short(prev.runID),
				map[bool]string{true: ", forced"}[prev.forced])
			return
		}
		k.leaders[key] = leader{n.RunID, a.manual}
		if !a.manual {
			got := 0
			for _, leader := range k.votes[key] {
				if leader == n.RunID {
					got++
				}
			}
			mc := n.Core.Config().Master(m)
			voters := max(len(mc.KnownSentinels)+1, mc.PeakSentinels)
			if need := max(mc.Quorum, voters/2+1); got < need {
				k.fail(n, "+elected-leader for %s in epoch %d with %d votes cast for it; needs %d (quorum %d, %d voters)",
					m, a.epoch, got, need, mc.Quorum, voters)
				return
			}
		}
		a.elected = true
		st.Elected++

	case "+selected-slave":
		a := v.attempts[m]
		if a == nil || !a.elected {
			k.fail(n, "+selected-slave for %s without being elected", m)
			return
		}
		a.selected = f[1]
		k.checkSelection(n, v, m, f[1])

	case "+promoted-slave":
		a := v.attempts[m]
		if a == nil || a.selected == "" || a.selected != f[1] {
			k.fail(n, "+promoted-slave %s for %s, not the replica it selected", f[1], m)
			return
		}
		ce := n.Core.Config().Master(m).ConfigEpoch
		if ce != a.epoch {
			k.fail(n, "promoted %s in config epoch %d, the attempt's epoch is %d", f[1], ce, a.epoch)
			return
		}
		key := epochKey{m, ce}
		if prev, ok := k.promotions[key]; ok {
			k.fail(n, "second promotion for %s in config epoch %d: %s, then %s", m, ce, prev, f[1])
			return
		}
		k.promotions[key] = f[1]
		a.promoted = true
		st.Promotions++

	case "-failover-abort-not-elected", "-failover-abort-no-good-slave", "-failover-abort-slave-timeout":
		a := v.attempts[m]
		if a == nil {
			k.fail(n, "%s outside an attempt", e.Type)
			return
		}
		if a.promoted {
			k.fail(n, "%s after the promotion in epoch %d", e.Type, a.epoch)
			return
		}
		switch e.Type {
		case "-failover-abort-not-elected":
			st.NotElected++
			leaders := map[string]bool{}
			ep := a.epoch
			if !a.manual {
				ep = v.epoch // the epoch the election had followed to, as above
			}
			for _, l := range k.votes[epochKey{m, ep}] {
				leaders[l] = true
			}
			if len(leaders) > 1 {
				st.SplitVotes++
			}
		case "-failover-abort-no-good-slave":
			st.NoGoodSlave++
		default:
			st.SlaveTimeout++
		}
		delete(v.attempts, m)

	case "+failover-end":
		st.FailoverEnds++
		// update_config follows in this very step: the master is rebuilt at the promoted
		// address without flags.
		v.resetMaster(n, m)

	case "+config-update-from":
		// A newer config epoch from a peer: the switch that follows in this step resets
		// the master, ending any attempt of ours, even one past its promotion (and it may
		// announce no +switch-master, when clients were told of that address already).
		st.ConfigUpdates++
		v.resetMaster(n, m)

	case "+convert-to-slave":
		st.Conversions++

	case "+switch-master":
		st.Switches++
		if a := v.attempts[m]; a != nil && a.promoted {
			return // the leader announces the switch at the promotion; update_config comes later
		}
		v.resetMaster(n, m)
	}
}

// logs checks the fast conversion of a stray master (the core's settledAgainst): the
// converting sentinel must hold the newest config of that master, so the instance it
// converts is never the one promoted in the newest config epoch. Redis's wait gives no
// such promise (a leader that crashed right after its promotion, say, leaves the others
// converting its promoted replica back), so only the fast path, which claims certainty,
// is held to it.
func (k *Checker) logs(n *Sentinel, lines []monitor.LogLine) {
	for _, l := range lines {
		rest, ok := strings.CutPrefix(l.Text, "Converting stray master ")
		if !ok {
			continue
		}
		f := strings.Fields(rest) // name, "at", "once:", master, "at", addr, ...
		if len(f) < 4 {
			k.fail(n, "unreadable log line %q", l.Text)
			return
		}
		k.s.stats.FastConversions++
		name, m := f[0], f[3]
		newest, at := uint64(0), ""
		for key, addr := range k.promotions {
			if key.master == m && key.epoch >= newest {
				newest, at = key.epoch, addr
			}
		}
		own := n.Core.Config().Master(m).ConfigEpoch
		switch {
		case at == name:
			k.fail(n, "converted %s at once, the master promoted in the newest config epoch %d of %s (its own is %d)",
				name, newest, m, own)
			return
		case own < newest:
			k.fail(n, "converted %s at once while holding config epoch %d of %s, and %s was promoted in epoch %d",
				name, own, m, at, newest)
			return
		}
	}
}

// resetMaster follows the core's switchMaster: flags, replicas and the attempt are gone.
func (v *view) resetMaster(n *Sentinel, m string) {
	v.odown[m] = false
	delete(v.sdownAt, m)
	for key := range v.sdown {
		if strings.HasPrefix(key, m+"|") {
			delete(v.sdown, key)
		}
	}
	for key := range n.infos {
		if strings.HasPrefix(key, m+"|") {
			delete(n.infos, key)
		}
	}
	v.replicas[m] = map[string]bool{}
	delete(v.attempts, m)
}

// Margins on the selection's freshness bounds: a replica counts as surely eligible only
// well inside them, so the check never depends on a tie at a boundary.
const freshMargin = 100 * time.Millisecond

// Redis's default periods (the simulation does not change them with SENTINEL DEBUG).
var defaultTiming = monitor.DefaultTiming()

// checkSelection: the chosen replica was eligible, and no replica that was surely eligible
// ranks before it by (priority asc, offset desc, run ID asc) in what the sentinel had been
// told. "Told" is recorded by the network as the replies reach the core (sentinel.record):
// the last INFO of each replica and the last PONG, with the flags from the events.
func (k *Checker) checkSelection(n *Sentinel, v *view, m, chosen string) {
	s := k.s
	now := s.now
	g := s.group(m)
	p := s.instanceAt(chosen)
	switch {
	case p == nil || p.Group != g.Index:
		k.fail(n, "selected %s, which is no instance of %s", chosen, m)
		return
	case !p.Alive && now.Sub(p.DeadSince) > 5*defaultTiming.PingPeriod+time.Second:
		// It may have died after its last PONG; selection allows 5 ping periods.
		k.fail(n, "selected %s, dead for %v", chosen, now.Sub(p.DeadSince))
		return
	case !v.replicas[m][chosen]:
		k.fail(n, "selected %s, not a replica it knows for %s", chosen, m)
		return
	case v.sdown[m+"|"+chosen]:
		k.fail(n, "selected %s while it sees it down", chosen)
		return
	}
	if ls := n.links[chosen]; !ls.up(monitor.CmdLink) || !ls.up(monitor.PubSubLink) {
		k.fail(n, "selected %s while disconnected from it", chosen)
		return
	}
	pi := n.infos[m+"|"+chosen]
	if pi == nil {
		k.fail(n, "selected %s without an INFO from it", chosen)
		return
	}
	if pi.priority == 0 {
		k.fail(n, "selected %s, whose INFO said slave_priority 0", chosen)
		return
	}
	// redis/redis #12570: a node that has not synced with the master since it became a
	// replica holds another history; promoting it loses the master's writes.
	if unsynced(n, m, pi) {
		k.fail(n, "selected %s, not synced since it became a replica (role %s, syncing %v, link down %v, stale %v)",
			chosen, pi.role, pi.syncing, pi.linkDown, pi.stale)
		return
	}
	validity, downFor := 3*defaultTiming.InfoPeriod, time.Duration(0)
	if v.sdown[m+"|"+m] {
		validity, downFor = 5*defaultTiming.PingPeriod, now.Sub(v.sdownAt[m])
	}
	names := make([]string, 0, len(v.replicas[m]))
	for r := range v.replicas[m] {
		names = append(names, r)
	}
	slices.Sort(names)
	for _, r := range names {
		if r == chosen || v.sdown[m+"|"+r] {
			continue
		}
		if ls := n.links[r]; !ls.up(monitor.CmdLink) || !ls.up(monitor.PubSubLink) {
			continue
		}
		pong, ok := n.pongAt[r]
		if !ok || now.Sub(pong) > 5*defaultTiming.PingPeriod-freshMargin {
			continue
		}
		ri := n.infos[m+"|"+r]
		if ri == nil || now.Sub(ri.at) > validity-freshMargin || ri.priority == 0 ||
			unsynced(n, m, ri) ||
			ri.linkDown > downFor+10*g.DownAfter-freshMargin {
			continue
		}
		if ranksBefore(ri, pi) {
			k.fail(n, "selected %s (priority %d, offset %d, run ID %s) but %s (priority %d, offset %d, run ID %s) ranks first",
				chosen, pi.priority, pi.offset, short(pi.runID), r, ri.priority, ri.offset, short(ri.runID))
			return
		}
	}
}

// unsynced: the replica's dataset is not known to be its master's (redis/redis #12570): a
// second master while the sentinel's master reported that role too, a sync not completed
// since it was converted or moved, or no link since it became a replica
// (master_link_down_since_seconds:-1). A full sync running is not one by itself: the replica
// keeps the dataset it had until the transfer ends (monitor's instance.unsynced says why).
func unsynced(n *Sentinel, m string, ri *seenInfo) bool {
	if ri.role == "master" {
		mi := n.infos[m+"|"+m]
		return mi == nil || mi.role == "master" // the core assumes role:master until told
	}
	return ri.stale || ri.linkDown < 0
}

// ranksBefore is the promotion order, written out here rather than taken from the core's
// compareCandidates so that the check does not share the code it checks.
func ranksBefore(a, b *seenInfo) bool {
	if a.priority != b.priority {
		return a.priority < b.priority
	}
	if a.offset != b.offset {
		return a.offset > b.offset
	}
	switch {
	case a.runID == "":
		return false
	case b.runID == "":
		return true
	}
	return strings.ToLower(a.runID) < strings.ToLower(b.runID)
}

// addrAnswered checks an address a sentinel with minority-refuses gave a client: it must
// have reached a majority of the master's sentinels it knows within down-after, judged on
// what the network delivered to it (PONGs from a peer's address, hellos naming the peer and
// the master), with a peer counted as reached when it was discovered or this incarnation
// started.
func (k *Checker) addrAnswered(n *Sentinel, mv *monitor.MasterView, addr any) {
	v := k.views[n.RunID]
	if v == nil || mv == nil {
		return
	}
	got := 1
	for _, p := range mv.Sentinels {
		for _, t := range []time.Time{n.startedAt, n.pongAt[joinHostPort(p.IP, p.Port)],
			n.helloAt[mv.Name+"|"+p.RunID], v.peerSince[mv.Name+"|"+p.RunID], v.peerSince[mv.Name+"|"]} {
			if k.s.now.Sub(t) <= mv.DownAfter {
				got++
				break
			}
		}
	}
	if all := mv.Voters(); got < all/2+1 {
		k.fail(n, "answered %v for %s having reached %d of %d sentinels within down-after %v", addr, mv.Name, got, all, mv.DownAfter)
	}
}

// checkForget holds forget-after to its rules (monitor/forget.go): a replica or a
// sentinel (want), never the master; only one judged SDOWN and, as this incarnation was
// told, silent for forget-after (no PONG from its address, for a sentinel no hello, and not
// just started); never in TILT, while the master is ODOWN or failing over, nor within the
// failover timeout of the last sign of a failover.
func (k *Checker) checkForget(n *Sentinel, v *view, e monitor.Event, f []string, want string) {
	m := e.Master
	g := k.s.group(m)
	var addr string
	if len(f) == 8 {
		port, _ := strconv.Atoi(f[3])
		addr = joinHostPort(f[2], port)
	}
	switch {
	case g == nil || g.ForgetAfter == 0:
		k.fail(n, "%s with forget-after off", e)
	case len(f) != 8 || f[0] != want || f[5] != m:
		k.fail(n, "%s: not a %s of %s", e, want, m)
	case f[2] == f[6] && f[3] == f[7]:
		k.fail(n, "forgot its master: %s", e)
	case v.tilt:
		k.fail(n, "forgot in TILT: %s", e)
	case v.odown[m] || v.attempts[m] != nil:
		k.fail(n, "forgot during a failover of %s: %s", m, e)
	case v.downSince[m+"|"+f[1]].IsZero():
		k.fail(n, "forgot an instance not SDOWN: %s", e)
	case k.s.now.Sub(n.startedAt) < g.ForgetAfter:
		k.fail(n, "forgot %s %v after starting, forget-after %v", f[1], k.s.now.Sub(n.startedAt), g.ForgetAfter)
	case k.s.now.Sub(n.pongAt[addr]) < g.ForgetAfter:
		k.fail(n, "forgot %s, which answered PING at %v, forget-after %v", f[1], n.pongAt[addr], g.ForgetAfter)
	case want == "sentinel" && k.s.now.Sub(n.helloAt[m+"|"+f[1]]) < g.ForgetAfter:
		k.fail(n, "forgot %s, whose hello came at %v, forget-after %v", f[1], n.helloAt[m+"|"+f[1]], g.ForgetAfter)
	case !v.held[m].IsZero() && k.s.now.Sub(v.held[m]) < g.FailoverTimeout:
		k.fail(n, "forgot %s at %v, within failover-timeout of a failover sign at %v", f[1], k.s.now, v.held[m])
	}
	delete(v.sdown, m+"|"+f[1])
	delete(v.downSince, m+"|"+f[1])
	if v.replicas[m] != nil {
		delete(v.replicas[m], f[1])
	}
}
