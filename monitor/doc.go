// Package monitor is the sentinel's core: per master, the view of the master, its replicas
// and its peer sentinels; subjective and objective down detection; discovery from INFO and
// hello messages; TILT; the election (with package election's vote and tally rules) and the
// failover, whose whole logic lives here: the state machine on the core's state
// (failover.go), its states and timeouts (failoverstate.go), replica selection (select.go)
// and the reconfiguration of the other replicas (reconf.go); the SENTINEL subcommands that
// change state or ask the core (their answers are Values in Ready.Responses; the read-only
// ones are answered from a View by package query); and the events that report all of it.
//
// Core holds the state and the rules and does no I/O: the driver (package driver) gives it
// the time (Tick, Observe, Request all take now), the transport's observations
// (connections up and down, replies, Pub/Sub messages, lookup results) and client
// requests, and carries out the Ready it returns — the state to persist, link changes,
// commands to send, answers, events to log and publish, lookups to run off its loop — then
// acknowledges it with Advance (etcd-io/raft's RawNode contract: Ready does not clear, no
// step runs between Ready and Advance). The core imports nothing that writes RESP or
// reaches the network (imports_test.go). Whatever a step changed that must survive a
// restart (myid, epochs, votes, discovered instances) sets Ready.State, the whole state,
// which the caller makes durable before anything else of that Ready leaves, so nothing a
// peer or client is told can be forgotten.
//
// Invariants:
//   - Only the driver goroutine touches a Core. Queries read a View, an immutable copy the
//     driver publishes, so clients never wait for monitoring work.
//   - Every loop that sends, emits or chooses goes over a stable order (declaration order of
//     masters, sorted replica and sentinel names), never map order: a run replays exactly.
//   - The core never waits for the world outside (lookup.go): a hostname it has no answer
//     for stands unresolved until the LookupResult comes (each name asked once while out,
//     again at a new connection to it, the old answer kept meanwhile); a request that
//     needs a lookup (SENTINEL SET's script check, MONITOR by hostname) is parked, nothing
//     of it applied, and runs whole once its answers are in.
//   - A reply is applied only if it came on the connection generation it was asked on;
//     LinkDown resets the pending count, so late answers from dead connections are ignored.
//   - Rules follow redis-sentinel 7.0 (sentinel.c: monitoring, SDOWN/ODOWN, elections and
//     failover); where a comment names a Redis rule, the code mirrors it, and Timing holds
//     Redis's constants (changeable by SENTINEL DEBUG).
//     Where the code deviates (a failover moves on as soon as a step completes instead of
//     at the next tick or INFO, +switch-master at the promotion, staggered self-votes, the
//     opt-in fast retry, the opt-in minority refusal, the opt-in empty-restart guard of
//     guard.go, a stray master converted at once when this sentinel is certain of its
//     config: settledAgainst), the comment says why it is still as safe. With the options
//     at their defaults the events are redis-sentinel's, plus the notice +no-min-replicas /
//     -no-min-replicas (guard.go).
//   - With minority-refuses, an address is answered only by a sentinel that, at that
//     moment, had reached a majority of the master's sentinels within down-after: the
//     query judges by the view's deadline (MasterView.VouchUntil), which a stale view can
//     only make earlier, and the core republishes it before it runs out.
//   - A replica that has not completed a sync since it became one (the old master back
//     after a failover) is never promoted: eligible, instance.unsynced.
//   - The promoted replica is the first eligible one in compareCandidates' total order, so
//     every sentinel seeing the same replicas picks the same one.
//   - At most parallel-syncs replicas are resynchronising with the promoted one at any time
//     (nextFollowers).
//   - One vote per master per epoch, in the State of the Ready that carries the reply
//     (or an earlier one), so it is persisted before any reply; the current epoch never
//     decreases; a failover is aborted only before the promotion, and after it always ends
//     in a switch.
//   - A tick passes a master by only while visiting it would do nothing (quiet.go): the
//     events, sends and their order are those of a tick that visits every master
//     (WithFullTicks), which sim's TestQuietTicksSameTrace checks seed by seed.
//
// Links are shared by address: every master that sees an instance or a peer at an address
// uses the same connections and the same PING timers, as redis-sentinel shares sentinel
// links.
package monitor
