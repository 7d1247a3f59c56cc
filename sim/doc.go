// Package sim is a deterministic simulation of sentinels (monitor.Core) watching fake
// Redis instances over an in-memory network with faults, and the checker of what must hold.
//
// Everything runs on one goroutine from one seed (math/rand/v2 PCG): a virtual clock, an
// agenda of timed actions, every delay and every fault drawn from the seed. A run is
// replayed exactly by its seed (go test ./sim -run TestSimulation -seed=N
// -v), which is what makes a failure worth printing.
//
// What is simulated:
//   - Sentinels: a monitor.Core each, ticked at redis-sentinel's randomized 10-19 Hz, their
//     Ready carried out as the driver does (its State persisted first; then links, sends,
//     events; then Advance). A crash loses the core and its connections; a restart builds a
//     new core from a clone of the last persisted State, exactly what was persisted. A crash
//     may also fall between a step's persisting and its sends, and SENTINEL SIMULATE-FAILURE
//     crashes after an election or a promotion. With -replace (Options.ReplaceSentinels, off
//     by default) a crashed sentinel may instead be replaced by a successor without its
//     state, at a new address: an exploration, not an invariant the default runs hold. A
//     sentinel without its state breaks election safety by itself (it votes and runs in
//     epochs its old identity used): 3000 seeds find a second leader in an epoch at seeds
//     62, 93, 121 and 170, all with forget-after off: under redis-sentinel's own rules.
//   - Fake Redis instances (Instance): PING, INFO (the replication fields a sentinel reads,
//     laid out as Redis 7.0 does), PUBLISH on __sentinel__:hello (relayed to the subscribers
//     of connected replicas, as replication propagates it), the MULTI/SLAVEOF/CONFIG
//     REWRITE/CLIENT KILL/EXEC transaction applied at EXEC, replication with offsets (a
//     promoted replica keeps its offset, a redirected one syncs after a delay), priorities
//     (some 0), kills, restarts with a new run ID and the persisted role, SIGSTOP pauses.
//     The offset doubles as the dataset (INFO's Keyspace shows it as the key count): a
//     restart without persistence (RestartInstanceEmpty, scripted only) comes back with
//     none, and a replica that resyncs from it is wiped, as in Redis; CLIENT PAUSE ALL holds
//     replicas' syncs (other clients' commands are still answered). TestScriptedEmptyRestart
//     runs that hazard over 100 seeds with and without protect-empty-restart. Scripted tests
//     may also make an instance a server a failover must cope with (Instance's knobs: a lost
//     SLAVEOF, a sync that never completes, FAILOVER TO served, min-replicas-to-write, no
//     Keyspace section); the random runs never do.
//   - The network: TCP-like connections from a sentinel to an instance or a peer, one FIFO
//     per direction with random delays; link generations as the real transport numbers
//     them (one counter per process, across links closed and opened again at an address);
//     a closed link's LinkDown reported a delay after the close, as the real transport's
//     goroutine does; connection attempts once a second; partitions that blackhole traffic (queued
//     traffic flows again on heal, unless a side gave up on the connection); message loss as
//     a connection reset, since TCP loses a stream, never one message of it; slow periods.
//     A peer's SENTINEL is-master-down-by-addr goes through that core's Request, its RESP
//     reply parsed into the shape the transport hands over; a PUBLISH to a peer is its Hello.
//     SENTINEL SET auth-pass as a fault: it drops a master's connections and opens them again.
//
// What is checked (Checker, after every step, from the events of every core as each step
// returns; and Sim's periodic checks):
//   - one vote per sentinel per master per epoch, across restarts (by run ID), and vote
//     epochs that only grow; a restarted sentinel comes back with its last vote and an
//     epoch no lower than any it announced;
//   - the current epoch of a sentinel strictly increases with every +new-epoch;
//   - persist first: when a Ready's events leave, every +new-epoch and +vote-for-leader
//     among them is in the State persisted by then, and a reply to is-master-down-by-addr
//     leaves only with its vote (or a newer one) persisted;
//   - one leader per master per epoch (a forced SENTINEL FAILOVER included: the schedule asks
//     for one only in conditions where no other attempt can take its epoch, see calmFor);
//   - +elected-leader only in an attempt that began with the master ODOWN (or a forced
//     one), and for an elected one, votes actually cast for it in the attempt's epoch
//     reaching the quorum and the majority of the sentinels it knows;
//   - +selected-slave only when elected, +promoted-slave only of the selected replica, in
//     the attempt's epoch, and at most one promotion per master per config epoch; no abort
//     after the promotion;
//   - the selected replica is eligible and ranked first (see below);
//   - liveness: a master all live sentinels name, dead for down-after + 6 s while the world
//     was calm (no partition, no bad network, no crash, restart or pause; the quorum of
//     sentinels up and known to each other; no attempt in flight, no TILT), is SDOWN for
//     every live sentinel and ODOWN for at least one;
//   - minority-refuses (on in half the seeds, drawn apart from the rest): clients ask
//     random sentinels GET-MASTER-ADDR-BY-NAME from the view each last published, as the
//     driver answers; an address may come only from a sentinel that had reached a majority
//     of the master's sentinels it knows within down-after at that moment, judged on what
//     the network delivered to it (PONGs, hellos), a peer counting as reached when
//     discovered or at the sentinel's start; and 10 s into agreement none refuses;
//   - the views the clients read carry PING round trips (the metrics' latency) that are
//     never negative, none before a reply, and none longer than the run before the reply;
//   - convergence: after the fault phase everything heals and restarts; within Settle every
//     sentinel names the same address and config epoch for each master, for 10 s in a row,
//     that is the address of the newest promotion, and the instances agree with it (it is a
//     master, every other instance its replica with the link up), and every sentinel has its
//     links to the master and to every live replica it lists up (a core that took a closed
//     link's late news for its new link's would hold a live link down for good).
//
// The ranking check is an approximation of "best as seen at selection time": it is judged on
// what the network delivered to that sentinel's core (the last INFO of each replica on the
// live connection, the last PONG, the link state before the step's link changes, the SDOWN
// flags from its own events up to the +selected-slave), not on the instances' true state,
// whose offsets move on while INFO is up to a second (or, for a live master, ten) old. The
// chosen replica must be connected, not SDOWN, have an INFO, not report priority 0, and be
// alive or dead for at most the five ping periods selection tolerates. A rival counts only
// when surely eligible with 100 ms to spare on every freshness bound; if it then ranks before
// the chosen one by (priority asc, offset desc, run ID asc, unknown run ID last), the check
// fails. The order is written out here, not taken from the core's compareCandidates, so the check
// does not share the code it checks.
//
// Fleet is the fake instances alone, without sentinels, network or agenda: monitor's
// interaction tests (monitor/testdata/interaction) step their cores by hand and carry
// commands to a Fleet's instances themselves, so core-level tests share this one fake Redis.
//
// Stats count what happened, including the split-vote rate: the attempts that ended
// -failover-abort-not-elected while the votes of their epoch went to more than one
// candidate, over all attempts.
package sim
