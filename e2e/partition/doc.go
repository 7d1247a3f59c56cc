// Package partition runs real processes — Debian's redis-server 7.0.15 as the data nodes,
// and either our sentinel or Debian's redis-sentinel — each in a network namespace of its
// own, and does to them what networks and hosts do: partitions (symmetric and one-way),
// pauses (SIGSTOP/SIGCONT), crashes (kill -9, restarted with its data or empty) and slow
// links. A workload of go-redis clients writes unique values meanwhile and a checker looks
// every acknowledged write up on the master that survives, so each scenario reports what it
// lost, for ours and for redis-sentinel under the same seed (issue #10).
//
// The harness (netns.go, proc.go, faults.go, proxy.go, timeline.go, cluster.go) is test
// support: importable, as e2e/realredis is, but meant only for this package's tests.
//
// Invariants:
//   - The host's network is never touched. Each Net is a hub namespace holding a bridge,
//     plus one namespace per node whose eth0 is a veth into that bridge; the veth pair is
//     created inside the hub namespace and its far end moved straight into the node's, so
//     no interface ever appears on the host, and no route leads out. That is also why every
//     Net may use the same 10.77.0.0/24 and fixed ports (6379, 26379): two Nets share no
//     bridge, so parallel tests and parallel test binaries cannot collide. Namespace names
//     carry the PID and a per-process counter.
//   - Everything is cleaned up, a failed test included: processes are killed by their own
//     PID in t.Cleanup (never by name), then the namespaces are deleted. Namespaces left by
//     a test binary that died before its Cleanup (its PID gone) are swept by the next NewNet.
//   - Partitions are iptables DROP rules on the receiver's INPUT chain, so they are silent:
//     nothing is refused, packets vanish, as on a real cut (faults.go says why not OUTPUT).
//   - Every fault is logged on the test's Timeline with its monotonic offset, next to the
//     events the sentinels publish; a failed test prints the Timeline.
//   - Every wait is bounded; no test sleeps and hopes. Scenarios wait for sentinel events
//     or for the cluster to agree, each under a stated bound.
//   - Schedules are seeded: SENTINEL_PARTITION_SEED replays one; every test logs its seed.
//     SENTINEL_PARTITION_TIMELINE=1 prints the timeline of passing tests too;
//     SENTINEL_SOAK=1 (and SENTINEL_SOAK_ROUNDS) runs random fault schedules;
//     PARTITION_REPORT names a file for the table TestMain prints.
//   - Every scenario ends in Cluster.Finish, which fails it unless every sentinel and
//     instance of every group agree on one master and config-epoch, and — for ours — when a
//     sentinel declared SDOWN a data node it could reach (no drop between them, neither
//     paused nor dead, over the down-after before the event and a second more).
//   - A fault triggered by an event (Cluster.OnEvent) runs in the observer's goroutine the
//     moment the event arrives; it can only freeze a process (Proc.Freeze), because our
//     sentinel takes its next failover step within a millisecond, faster than a cut installs.
//   - Where namespaces cannot be made (not root, no `ip` or iptables, no CAP_SYS_ADMIN) the
//     tests skip with the reason, and fail under REDISTEST_REQUIRE_REAL=1 (CI, .ci/run).
//
// Sockets of the test process itself (workload clients, the event observer, the admin's
// queries) are opened from Go inside a node's namespace (Node.Dial): the goroutine locks its
// OS thread, setns(2)es into the node's namespace, makes the socket and switches back; a
// socket stays in the namespace it was created in.
package partition
