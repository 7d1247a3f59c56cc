package monitor

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/sentinel-go/sentinel/config"
	"github.com/sentinel-go/sentinel/election"
)

// The failover (redis-sentinel's sentinelFailoverStateMachine and its helpers): redis-sentinel's state machine, with the rules kept and the
// waits between steps removed. Where redis-sentinel moves one state per timer tick and
// learns of a promotion from the next periodic INFO, this core moves on as soon as a step
// is done and asks for INFO right after each reconfiguration, so the same sequence of
// events happens in milliseconds instead of seconds.

// currentAddr is where clients should find the master: the promoted replica once the
// failover got past the promotion (sentinelGetCurrentMasterAddress), else the master.
// GET-MASTER-ADDR-BY-NAME and our hellos both use it, so peers switch early too.
func (m *master) currentAddr() config.Addr {
	if m.flags&flagFailoverInProgress != 0 && m.promoted != nil && m.failoverState >= stateReconfSlaves {
		return m.promoted.addr
	}
	return m.addr
}

// actOnMaster is the per-master half of the timer: ODOWN, starting a failover, and moving
// it on. Replies that may change the outcome (a peer's vote, a promoted replica's INFO) run
// it too, rather than waiting up to a tick.
func (c *Core) actOnMaster(m *master) {
	c.checkObjectivelyDown(m)
	c.startFailoverIfNeeded(m)
	c.requestVotes(m)
	c.failoverStateMachine(m)
}

// requestVotes sends the attempt's vote requests once, when its stagger is over (see
// selfVoteDelay): a candidate with connected peers of smaller run IDs asks after them, so
// that sentinels which have not started yet hear the smallest candidate first and vote for
// it, as the candidates themselves do. The driver is asked to tick right then.
func (c *Core) requestVotes(m *master) {
	if m.failoverState != stateWaitStart || m.votesRequested == m.failoverEpoch {
		return
	}
	if m.flags&flagForceFailover == 0 {
		if at := m.failoverStateChange.Add(c.selfVoteDelay(m)); c.now.Before(at) {
			c.wakeBy(at)
			return
		}
	}
	m.votesRequested = m.failoverEpoch
	c.askMasterState(m, true)
}

// startFailoverIfNeeded starts an attempt for an ODOWN master, unless one is running or the
// last attempt (or our vote for another sentinel) is too recent: that leader must be given
// the time to finish.
func (c *Core) startFailoverIfNeeded(m *master) bool {
	if m.flags&flagODown == 0 || m.flags&flagFailoverInProgress != 0 || c.crashed {
		return false
	}
	retry := retryDelay(m.cfg.FailoverTimeout)
	if c.cfg.FastRetry && c.noPromotionSeen(m) {
		retry = min(retry, c.fastRetryDelay(m))
	}
	if c.now.Sub(m.failoverStartTime) < retry {
		if !m.failoverDelayLogged.Equal(m.failoverStartTime) {
			m.failoverDelayLogged = m.failoverStartTime
			c.logf(Verbose, "Next failover delay: I will not start a failover before %s",
				m.failoverStartTime.Add(retry).Format("Mon Jan _2 15:04:05 2006"))
		}
		return false
	}
	c.startFailover(m)
	return true
}

// The opt-in fast retry (sentinel fast-retry yes). redis-sentinel waits twice the failover
// timeout (6 minutes by default) after an attempt or after voting for another sentinel, so
// that whoever won has the time to finish. When nobody won (a split vote), or the winner
// died before promoting anything, that wait is pure downtime. A leader promotes within a
// tick of winning, and a down master's replicas are polled every second, so once the
// election timeout (plus the desync) is over, an attempt that won would already show as a
// replica reporting role:master. If none does, we try again then.
//
// It is as safe as the rules it keeps: a retry is a new epoch with a new vote (one leader
// per epoch holds whatever the timing), and should a slow winner promote after all, the
// higher config epoch wins everywhere and the other promotion is converted back, as after
// any concurrent failovers. The simulation checks both with fast retry on.
func (c *Core) fastRetryDelay(m *master) time.Duration {
	return electionTimeout(c.timing.ElectionTimeout, m.cfg.FailoverTimeout) +
		maxDesync + c.timing.FastRetryMargin
}

// noPromotionSeen: no replica of m reports itself a master.
func (c *Core) noPromotionSeen(m *master) bool {
	for _, r := range m.replicaList() {
		if r.roleReported == "master" {
			return false
		}
	}
	return true
}

// startFailover opens an attempt in a new epoch. The epoch is saved with the step (Redis
// saves it only with the vote that follows; saving here too costs nothing and keeps "epochs
// never decrease" true across a crash in between).
func (c *Core) startFailover(m *master) {
	m.failoverState = stateWaitStart
	m.flags |= flagFailoverInProgress
	c.currentEpoch++
	m.failoverEpoch = c.currentEpoch
	c.needSave = true
	c.emitRaw(Warning, "+new-epoch", strconv.FormatUint(c.currentEpoch, 10), m.name)
	c.emit(Warning, "+try-failover", &m.instance, "")
	m.failoverStartTime = c.now.Add(c.desync())
	m.failoverStateChange = c.now
	c.touch(m)
}

// desync is Redis's random start-time offset (up to a second), which spreads retries.
func (c *Core) desync() time.Duration {
	return time.Duration(c.rand.Int64N(int64(maxDesync)))
}

func (c *Core) setFailoverState(m *master, s failoverState) {
	m.failoverState = s
	m.failoverStateChange = c.now
	c.touch(m)
}

// failoverStateMachine advances a failover for as long as its steps complete at once.
func (c *Core) failoverStateMachine(m *master) {
	for m.flags&flagFailoverInProgress != 0 && !c.crashed {
		before := m.failoverState
		switch m.failoverState {
		case stateWaitStart:
			c.failoverWaitStart(m)
		case stateSelectSlave:
			c.failoverSelectSlave(m)
		case stateSendSlaveofNoOne:
			c.failoverSendSlaveofNoOne(m)
		case stateWaitPromotion:
			c.failoverWaitPromotion(m)
		case stateReconfSlaves:
			c.failoverReconfNextSlave(m)
		}
		if m.failoverState == before || m.failoverState == stateUpdateConfig {
			return
		}
	}
}

// runFailover moves a master's failover on outside the timer and finishes it when it reached
// update_config (the timer defers that to after its walk, since it rebuilds the replicas).
func (c *Core) runFailover(m *master) {
	if c.tilt {
		return
	}
	c.actOnMaster(m)
	if m.failoverState == stateUpdateConfig {
		c.switchToPromoted(m)
	}
}

// failoverWaitStart waits to be elected; a forced (manual) failover needs no election.
func (c *Core) failoverWaitStart(m *master) {
	if c.currentEpoch > m.failoverEpoch && m.flags&flagForceFailover == 0 {
		// The epoch moved on under the election (the current epoch is global: another
		// master's failover, a peer's request or hello). Peers now vote only in the newer
		// epoch, so the attempt moves there; one vote per sentinel per epoch still makes
		// its winner unique, and it is what redis-sentinel's requests (which carry the
		// current epoch) amount to, minus its counting across the two epochs.
		m.failoverEpoch = c.currentEpoch
		// The stagger starts over in the new epoch (see selfVoteDelay). When many masters
		// fail at once, every sentinel's epoch moves under every attempt, and candidates
		// that followed it without the stagger all voted for themselves in the new epoch
		// at once, a three-way split per master that only the retry, minutes later, undid.
		m.failoverStateChange = c.now
		c.touch(m)
		c.requestVotes(m) // in the new epoch, once its stagger is over
	}
	leader := c.electionWinner(m, m.failoverEpoch)
	isLeader := leader != "" && strings.EqualFold(leader, c.myID)
	if !isLeader && m.flags&flagForceFailover == 0 {
		if c.now.Sub(m.failoverStartTime) > electionTimeout(c.timing.ElectionTimeout, m.cfg.FailoverTimeout) {
			c.emit(Warning, "-failover-abort-not-elected", &m.instance, "")
			c.abortFailover(m)
		}
		return
	}
	c.emit(Warning, "+elected-leader", &m.instance, "")
	if c.simulateFailure&SimCrashAfterElection != 0 {
		c.simulateCrash()
		return
	}
	c.setFailoverState(m, stateSelectSlave)
	c.emit(Warning, "+failover-state-select-slave", &m.instance, "")
}

// electionWinner is sentinelGetLeader: tally the peers' votes, cast our own (for the leading
// peer, else for ourselves), and return the winner if there is one.
//
// One deliberate difference: redis-sentinel counts the peers' votes of its *current* epoch
// but its own vote of the *failover* epoch. The current epoch is global, so when another
// master's failover (or a peer's hello) raised it during this attempt, peers' votes from a
// newer epoch were added to our vote from the older one, and two sentinels could both win
// "epoch 3" of one master, then promote two replicas under the same config epoch, which no
// hello can ever reconcile (the simulation found it). Counting only votes of the failover
// epoch makes a win mean a majority in one epoch, which one vote per sentinel per epoch
// makes unique. It only ever refuses wins Redis would grant; the votes we give are Redis's.
func (c *Core) electionWinner(m *master, epoch uint64) string {
	peers := make([]election.Vote, 0, len(m.sentinels))
	for _, s := range m.sentinelList() {
		peers = append(peers, election.Vote{Leader: s.leader, Epoch: s.leaderEpoch})
	}
	tally := election.Count(peers, epoch)
	voters := m.voters()
	candidate := tally.Candidate(c.myID)
	if candidate == c.myID && m.flags&flagForceFailover == 0 && m.cfg.LeaderEpoch < epoch &&
		m.votesRequested != epoch {
		// Not yet: see selfVoteDelay.
		return tally.Winner(election.Vote{}, epoch, voters, m.cfg.Quorum)
	}
	own := c.voteLeader(m, epoch, candidate)
	return tally.Winner(own, epoch, voters, m.cfg.Quorum)
}

// selfVoteDelay makes split votes rarer without touching the vote rule. Sentinels that see
// the master down together start together, each votes for itself first, and the votes
// split; sentinels that have not started vote for whichever request reaches them first.
// Here a candidate waits SelfVoteStagger for every connected peer with a smaller run ID
// before it votes for itself and asks for votes; if such a peer started too, its requests
// arrive first, everywhere, and get the votes by the ordinary rule (first requester in an
// epoch), so simultaneous candidates converge on the smallest run ID. The cost is the
// stagger, paid only by a candidate whose smaller peers did not start.
func (c *Core) selfVoteDelay(m *master) time.Duration {
	rank := 0
	for _, s := range m.sentinelList() {
		if !s.disconnected() && strings.ToLower(s.runID) < strings.ToLower(c.myID) {
			rank++
		}
	}
	return time.Duration(rank) * c.timing.SelfVoteStagger
}

// voteForSelfBefore completes the stagger (selfVoteDelay) for requests that cross. Two
// candidates that both hold their own vote back would each grant the other's request, the
// first to arrive, and split the votes. So a candidate still holding back its vote in the
// epoch of a request from a peer with a larger run ID casts it for itself first: the vote
// rule then refuses that request, as it refuses any second request in an epoch. Votes only
// ever go to the candidate itself or to a smaller run ID, so among candidates that start
// together the smaller run IDs collect the votes instead of spreading them.
func (c *Core) voteForSelfBefore(m *master, epoch uint64, requester string) {
	if m.failoverState == stateWaitStart && m.flags&flagForceFailover == 0 &&
		epoch == m.failoverEpoch && m.cfg.LeaderEpoch < epoch &&
		strings.ToLower(requester) > strings.ToLower(c.myID) {
		c.voteLeader(m, epoch, c.myID)
	}
}

func (c *Core) failoverSelectSlave(m *master) {
	if !c.replicaInfoFresh(m) {
		return
	}
	r := c.selectSlave(m)
	if r == nil {
		c.emit(Warning, "-failover-abort-no-good-slave", &m.instance, "")
		c.abortFailover(m)
		return
	}
	c.emit(Warning, "+selected-slave", r, "")
	c.holdEmptyMaster(m)
	r.flags |= flagPromoted
	m.promoted = r
	c.setFailoverState(m, stateSendSlaveofNoOne)
	c.emit(Notice, "+failover-state-send-slaveof-noone", r, "")
}

// replicaInfoFresh holds the selection until every connected replica has answered an INFO
// asked after the election, or for at most a second. Offsets are what the choice turns on,
// and without waiting they could be up to an INFO period old: redis-sentinel gets fresh ones
// by being slower (it selects a tick or two after the election, having polled the replicas
// every second since the master went down); we ask for them and wait only for the replies.
func (c *Core) replicaInfoFresh(m *master) bool {
	if c.now.Sub(m.failoverStateChange) > freshInfoWait {
		return true
	}
	fresh := true
	for _, r := range m.replicaList() {
		if r.disconnected() || r.flags&flagSDown != 0 || !r.infoRefresh.Before(m.failoverStateChange) {
			continue
		}
		fresh = false
		if r.infoAsked.Before(m.failoverStateChange) {
			c.send(r.link, Tag{Kind: TagInfo, Master: m.name, Name: r.name}, infoArgs...)
			r.infoAsked = c.now
		}
	}
	return fresh
}

// freshInfoWait bounds the wait for fresh replica INFO before the selection.
const freshInfoWait = time.Second

// selectSlave ranks the master's replicas with bestCandidate.
func (c *Core) selectSlave(m *master) *instance {
	limits := selectLimits{
		PingPeriod: c.timing.PingPeriod, InfoPeriod: c.timing.InfoPeriod,
		DownAfter: m.downAfter(), MasterSDown: m.flags&flagSDown != 0,
	}
	if limits.MasterSDown {
		limits.MasterDownFor = c.now.Sub(m.sDownSince)
	}
	list := m.replicaList()
	cands := make([]candidate, len(list))
	for i, r := range list {
		cands[i] = candidate{
			Name: r.name, RunID: r.runID,
			Down:           r.flags&(flagSDown|flagODown) != 0,
			Disconnected:   r.disconnected(),
			SinceAvail:     c.now.Sub(r.link.lastAvailTime),
			SinceInfo:      c.now.Sub(r.infoRefresh),
			MasterLinkDown: r.masterLinkDownTime,
			Priority:       r.priority,
			Offset:         r.replOffset,
			Unsynced:       r.unsynced(m),
		}
	}
	if i := bestCandidate(cands, limits); i >= 0 {
		return list[i]
	}
	return nil
}

// failoverSendSlaveofNoOne promotes the chosen replica: classically with SLAVEOF NO ONE, or,
// for a coordinated manual failover, by asking the live master to hand over with FAILOVER TO.
func (c *Core) failoverSendSlaveofNoOne(m *master) {
	r := m.promoted
	if r.disconnected() {
		if c.now.Sub(m.failoverStateChange) > m.cfg.FailoverTimeout {
			c.emit(Warning, "-failover-abort-slave-timeout", &m.instance, "")
			c.abortFailover(m)
		}
		return
	}
	if m.coordinated && !m.disconnected() && m.flags&flagSDown == 0 {
		c.send(m.link, Tag{Kind: TagFailoverTo, Master: m.name, Name: m.name},
			"FAILOVER", "TO", c.announceHost(r.addr), strconv.Itoa(r.addr.Port),
			"TIMEOUT", strconv.FormatInt(m.cfg.FailoverTimeout.Milliseconds(), 10))
	} else {
		m.coordinated = false
		c.sendSlaveOf(r, nil)
	}
	c.setFailoverState(m, stateWaitPromotion)
	c.emit(Notice, "+failover-state-wait-promotion", r, "")
}

// failoverToReply is the old master's answer to FAILOVER TO. A server without the command
// (or refusing it) gets the classic promotion instead.
func (c *Core) failoverToReply(m *master, o Reply) {
	if o.Err == "" || !m.coordinated || m.failoverState != stateWaitPromotion || m.promoted == nil {
		return
	}
	c.logf(Warning, "FAILOVER TO refused by %s (%s): promoting with SLAVEOF NO ONE", addrKey(m.addr), o.Err)
	m.coordinated = false
	c.sendSlaveOf(m.promoted, nil)
}

func (c *Core) failoverWaitPromotion(m *master) {
	if c.now.Sub(m.failoverStateChange) > m.cfg.FailoverTimeout {
		c.emit(Warning, "-failover-abort-slave-timeout", &m.instance, "")
		c.abortFailover(m)
	}
}

// promotionConfirmed runs when the promoted replica's INFO says role:master: the master now
// carries the failover epoch as its config epoch, saved before anyone hears of it.
//
// Faster than redis-sentinel, equally safe: it announces +switch-master here rather than
// after every replica resynced. From this point redis-sentinel already gives the promoted
// address to GET-MASTER-ADDR-BY-NAME and in its hellos (so its peers switch now), and the
// failover can no longer be aborted; only the leader's own event came late.
func (c *Core) promotionConfirmed(m *master, r *instance) {
	m.cfg.ConfigEpoch = m.failoverEpoch
	c.setFailoverState(m, stateReconfSlaves)
	c.needSave = true
	c.emit(Warning, "+promoted-slave", r, "")
	if c.simulateFailure&SimCrashAfterPromotion != 0 {
		c.simulateCrash()
		return
	}
	c.emit(Warning, "+failover-state-reconf-slaves", &m.instance, "")
	c.clientReconfigScript(m, "leader", m.addr, r.addr)
	c.emitSwitch(m, m.addr, r.addr)
	m.switchAnnounced = true
	c.forceHellos(m)
}

// forceHellos sends our hello about m everywhere now: it carries the new config epoch and
// address, which is how the other sentinels learn of the switch.
func (c *Core) forceHellos(m *master) {
	c.sendHelloIfConnected(&m.instance)
	for _, r := range m.replicaList() {
		c.sendHelloIfConnected(r)
	}
	for _, s := range m.sentinelList() {
		c.sendHelloIfConnected(s)
	}
}

func (c *Core) sendHelloIfConnected(in *instance) {
	if !in.disconnected() && in.addr.Port != 0 {
		c.sendHello(in)
	}
}

// followers are the replicas to reconfigure: all but the promoted one.
func (m *master) followers() []*instance {
	var out []*instance
	for _, r := range m.replicaList() {
		if r != m.promoted {
			out = append(out, r)
		}
	}
	return out
}

func (c *Core) followerStates(list []*instance) []follower {
	fs := make([]follower, len(list))
	for i, r := range list {
		st := reconfNone
		switch {
		case r.flags&flagReconfDone != 0:
			st = reconfDone
		case r.flags&flagReconfInprog != 0:
			st = reconfInProgress
		case r.flags&flagReconfSent != 0:
			st = reconfSent
		}
		fs[i] = follower{Reconf: st, SentAt: r.reconfSentTime,
			Disconnected: r.disconnected(), Down: r.flags&flagSDown != 0}
	}
	return fs
}

// failoverReconfNextSlave points the other replicas at the promoted one, parallel-syncs at
// a time, then detects the end.
func (c *Core) failoverReconfNextSlave(m *master) {
	list := m.followers()
	plan := nextFollowers(c.followerStates(list), m.cfg.ParallelSyncs, c.timing.SlaveReconfTimeout, c.now)
	for _, i := range plan.TimedOut {
		r := list[i]
		c.emit(Notice, "-slave-reconf-sent-timeout", r, "")
		r.flags = r.flags&^flagReconfSent | flagReconfDone
	}
	for _, i := range plan.Send {
		r := list[i]
		c.sendSlaveOf(r, &m.promoted.addr)
		r.flags |= flagReconfSent
		r.reconfSentTime = c.now
		c.emit(Notice, "+slave-reconf-sent", r, "")
	}
	if len(plan.TimedOut)+len(plan.Send) > 0 {
		c.touch(m)
	}
	c.failoverDetectEnd(m)
}

// failoverDetectEnd ends the failover when every reachable replica follows the promoted one,
// or at the failover timeout, telling the stragglers once more on the way out. While the
// promoted replica is down nothing ends: a higher config epoch from a peer may still switch
// this master elsewhere.
func (c *Core) failoverDetectEnd(m *master) {
	p := m.promoted
	if p == nil || p.flags&flagSDown != 0 {
		return
	}
	list := m.followers()
	done := reconfFinished(c.followerStates(list))
	timeout := c.now.Sub(m.failoverStateChange) > m.cfg.FailoverTimeout
	if timeout {
		done = true
		c.emit(Warning, "+failover-end-for-timeout", &m.instance, "")
	}
	if done {
		c.emit(Warning, "+failover-end", &m.instance, "")
		c.setFailoverState(m, stateUpdateConfig)
	}
	if timeout {
		for _, r := range list {
			if r.flags&(flagReconfDone|flagReconfSent) != 0 || r.disconnected() {
				continue
			}
			c.sendSlaveOf(r, &p.addr)
			c.emit(Notice, "+slave-reconf-sent-be", r, "")
			r.flags |= flagReconfSent
		}
	}
}

// switchToPromoted is update_config: the master becomes the promoted replica for good.
func (c *Core) switchToPromoted(m *master) {
	to := m.addr
	if m.promoted != nil {
		to = m.promoted.addr
	}
	c.switchMaster(m, to, !m.switchAnnounced)
}

// abortFailover gives an attempt up (only possible before the promotion). The master keeps
// its down state; the next attempt waits for the retry delay from this one's start.
func (c *Core) abortFailover(m *master) {
	if !m.failoverState.abortable() {
		return // past the promotion a failover only ends in a switch
	}
	m.flags &^= flagFailoverInProgress | flagForceFailover
	m.failoverState = stateNone
	m.failoverStateChange = c.now
	if m.promoted != nil {
		m.promoted.flags &^= flagPromoted
		m.promoted = nil
	}
	m.coordinated = false
	c.touch(m)
}

// sendSlaveOf is redis-sentinel's reconfiguration transaction (sentinelSendSlaveOf), then an INFO on
// the same connection: its reply shows the result at once instead of at the next periodic
// INFO. to == nil promotes. The transport applies rename-command to each word.
func (c *Core) sendSlaveOf(in *instance, to *config.Addr) {
	host, port := "NO", "ONE"
	if to != nil {
		host, port = c.announceHost(*to), strconv.Itoa(to.Port)
	}
	l := in.link
	c.send(l, Tag{}, "MULTI")
	c.send(l, Tag{}, "SLAVEOF", host, port)
	c.send(l, Tag{}, "CONFIG", "REWRITE")
	c.send(l, Tag{}, "CLIENT", "KILL", "TYPE", "normal")
	c.send(l, Tag{}, "CLIENT", "KILL", "TYPE", "pubsub")
	c.send(l, Tag{}, "EXEC")
	c.send(l, Tag{Kind: TagInfo, Master: in.master.name, Name: in.name}, infoArgs...)
}

// actOnReplicaInfo is the acting half of a replica's INFO (sentinelRefreshInstanceInfo):
// notice the promotion, convert or fix replicas that point elsewhere, follow a
// reconfiguration's progress. Never in TILT.
func (c *Core) actOnReplicaInfo(r *instance, role string) {
	m := r.master
	switch role {
	case "master":
		if r.flags&flagPromoted != 0 && m.flags&flagFailoverInProgress != 0 && m.failoverState == stateWaitPromotion {
			c.promotionConfirmed(m, r)
			c.runFailover(m)
			return
		}
		// A replica that became a master on its own (or the old master back from the
		// dead): make it follow ours, after waiting long enough to hear of a newer config,
		// or at once when nothing newer can exist (settledAgainst).
		wait := 4 * c.timing.PublishPeriod
		if r.flags&flagPromoted == 0 && c.masterLooksSane(m) && c.noDownFor(r, wait) &&
			c.now.Sub(r.roleReportedTime) > wait {
			c.sendSlaveOf(r, &m.addr)
			c.emit(Notice, "+convert-to-slave", r, "")
		} else if c.settledAgainst(m, r) {
			c.convertStray(r)
		}
	case "slave":
		if r.masterPort != m.addr.Port || !c.sameAddr(m.addr, config.Addr{Host: r.masterHost, Port: m.addr.Port}) {
			wait := m.cfg.FailoverTimeout
			if c.masterLooksSane(m) && c.noDownFor(r, wait) && c.now.Sub(r.confChangeTime) > wait {
				c.sendSlaveOf(r, &m.addr)
				c.emit(Notice, "+fix-slave-config", r, "")
			}
		}
		if r.flags&(flagReconfSent|flagReconfInprog) == 0 || m.promoted == nil {
			return
		}
		if r.flags&flagReconfSent != 0 && r.masterHost != "" &&
			c.sameAddr(m.promoted.addr, config.Addr{Host: r.masterHost, Port: r.masterPort}) {
			r.flags = r.flags&^flagReconfSent | flagReconfInprog
			c.emit(Notice, "+slave-reconf-inprog", r, "")
		}
		if r.flags&flagReconfInprog != 0 && r.masterLinkUp {
			r.flags = r.flags&^flagReconfInprog | flagReconfDone
			c.emit(Notice, "+slave-reconf-done", r, "")
		}
		c.runFailover(m)
	}
}

// settledAgainst is the fast path for a stray master r (the old master back after a
// failover, woken from a pause or restarted with its data): convert it at once instead of
// after redis-sentinel's wait, when this sentinel is certain that its own master is the
// group's newest config. Every write r acknowledges until then is lost when it resyncs, so
// the wait is a window of lost writes (about 10 s with Redis's periods).
//
// Why the wait exists: a sentinel that missed a failover (cut off during it) still holds
// the old config, and to it the real new master is the replica reporting role:master.
// Converting that one would throw the new master's writes away. redis-sentinel waits
// 4 hello periods so that a hello carrying the newer config epoch reaches it first.
//
// The fast path needs, instead, proof that no newer config exists:
//   - no failover of ours is running, our master looks sane (role master, up, INFO fresh)
//     and a replica other than r reports a live link to it;
//   - r has no replicas of its own (a master with followers is no stray to us);
//   - our current epoch is not beyond this master's config epoch: we never heard of a
//     later epoch, from any peer, hello or vote request;
//   - since r began reporting role:master, a majority of the group's sentinels (us
//     included) sent us a hello naming our master in our config epoch (helloSentAfter).
//     A newer config needs an election won by a majority before the promotion, so before
//     r could report role:master; voters' epochs never go back, and any two majorities
//     share a sentinel, whose hello would then carry the newer epoch (and raise ours,
//     failing the check above).
//
// "Sent after", not "received after": a hello carries no timestamp, and TCP delivers what a
// partition held back when it heals, so a hello received after r's INFO may have been
// written before the vote it knows nothing of (the simulation found exactly that: a peer
// cut off during the failover, healed just after the stray came back, its buffered hello
// vouching for the config the majority had replaced). helloSentAfter therefore counts only
// hellos a peer published to us directly (not relayed by an instance, whose own path to
// the peer we cannot see, and so never the ones r itself relays after a pause), from a peer
// that answered our PINGs with no gap longer than helloDelayBound from before r's INFO
// until now, received more than helloDelayBound after r's INFO. The assumption left: over
// a path that carries a PONG at least every helloDelayBound, no hello waits longer than
// that. Redis's is that the newer hello arrives within its wait.
//
// Otherwise Redis's wait applies unchanged. It is done once per master-role episode of r;
// should the transaction be lost, the wait's conversion follows as before.
func (c *Core) settledAgainst(m *master, r *instance) bool {
	if c.tilt || r.flags&flagPromoted != 0 || m.flags&flagFailoverInProgress != 0 ||
		!c.masterLooksSane(m) || r.replicasListed > 0 || c.currentEpoch > m.cfg.ConfigEpoch ||
		!r.fastConvertSent.Before(r.roleReportedTime) || r.disconnected() {
		return false
	}
	attached := false
	for _, o := range m.replicaList() {
		if o != r && o.roleReported == "slave" && o.masterLinkUp && !o.disconnected() &&
			c.sameAddr(m.addr, config.Addr{Host: o.masterHost, Port: o.masterPort}) {
			attached = true
			break
		}
	}
	if !attached {
		return false
	}
	agreeing := 1 // ourselves
	for _, s := range m.sentinelList() {
		if c.helloSentAfter(s, r.roleReportedTime) {
			agreeing++
		}
	}
	return agreeing >= m.voters()/2+1
}

// helloDelayBound is how long a hello from a peer whose PINGs keep being answered may have
// waited on the way (see settledAgainst): two ping periods, the longest gap between PONGs
// on a path that works.
func (c *Core) helloDelayBound() time.Duration { return 2 * c.timing.PingPeriod }

// helloSentAfter: peer s's last direct hello agreeing with our config was written after t.
// Its path to us was up throughout (PONGs no further apart than the bound since before t,
// and one within the bound now), so the hello waited at most the bound, and it arrived more
// than the bound after t.
func (c *Core) helloSentAfter(s *instance, t time.Time) bool {
	bound := c.helloDelayBound()
	l := s.link
	return l != nil && !l.availSince.IsZero() && l.availSince.Before(t) &&
		c.now.Sub(l.lastAvailTime) <= bound && s.lastHelloAgreeing.After(t.Add(bound))
}

// convertStray is the fast path's +convert-to-slave (see settledAgainst).
func (c *Core) convertStray(r *instance) {
	m := r.master
	c.logf(Notice, "Converting stray master %s at once: %s at %s is settled in config epoch %d",
		r.name, m.name, addrKey(m.addr), m.cfg.ConfigEpoch)
	r.fastConvertSent = c.now
	c.sendSlaveOf(r, &r.master.addr)
	c.emit(Notice, "+convert-to-slave", r, "")
}

// masterLooksSane: we may only bring strays in line behind a master we are sure of.
func (c *Core) masterLooksSane(m *master) bool {
	return m.flags&flagMaster != 0 && m.roleReported == "master" &&
		m.flags&(flagSDown|flagODown) == 0 && c.now.Sub(m.infoRefresh) < 2*c.timing.InfoPeriod
}

// noDownFor: the instance was not down (subjectively or objectively) within d.
func (c *Core) noDownFor(in *instance, d time.Duration) bool {
	last := in.sDownSince
	if in.oDownSince.After(last) {
		last = in.oDownSince
	}
	return last.IsZero() || c.now.Sub(last) > d
}

// emitSwitch is +switch-master: the event clients follow.
func (c *Core) emitSwitch(m *master, from, to config.Addr) {
	c.emitRaw(Warning, "+switch-master",
		fmt.Sprintf("%s %s %d %s %d", m.name, c.announceHost(from), from.Port, c.announceHost(to), to.Port), m.name)
}

// simulateCrash is SENTINEL SIMULATE-FAILURE's crash: the driver stops the process (exit
// code 99, as redis-sentinel) once this step's state is saved.
func (c *Core) simulateCrash() {
	c.crashed = true
	c.ready.Crash = true
}

// manualFailover is SENTINEL FAILOVER: no agreement needed, the attempt is forced through
// the election. coordinated asks the old master to hand over itself (FAILOVER TO).
func (c *Core) manualFailover(name string, coordinated bool) Value {
	m := c.masters[name]
	switch {
	case m == nil:
		return errorReply(errNoSuchMaster)
	case m.flags&flagFailoverInProgress != 0:
		return errorReply("INPROG Failover already in progress")
	case c.selectSlave(m) == nil:
		return errorReply("NOGOODSLAVE No suitable replica to promote")
	}
	c.logf(Warning, "Executing user requested FAILOVER of '%s'", m.name)
	c.startFailover(m)
	m.flags |= flagForceFailover
	m.coordinated = coordinated
	c.runFailover(m)
	return simple("OK")
}

// clientReconfigScript queues the master's client-reconfig-script, if any, with
// redis-sentinel's arguments: <master> <role> start <from-ip> <from-port> <to-ip> <to-port>.
func (c *Core) clientReconfigScript(m *master, role string, from, to config.Addr) {
	if m.cfg.ClientReconfigScript == "" {
		return
	}
	c.ready.Scripts = append(c.ready.Scripts, Script{Path: m.cfg.ClientReconfigScript, Args: []string{
		m.name, role, "start", c.announceHost(from), strconv.Itoa(from.Port), c.announceHost(to), strconv.Itoa(to.Port),
	}})
}
