// Package driver runs a monitor.Core: it owns the goroutine that feeds the core time,
// the transport's observations and client requests, and carries out each Ready the core
// returns; its Endpoint adapts it to the RESP endpoint. It uses only the core's exported
// API, as etcd-io/raft's node drives a RawNode.
//
// Invariants:
//   - One goroutine (Run) owns the Core; nothing else calls it. Observations, hellos and
//     requests reach it over channels.
//   - Each Ready is carried out in order: its State persisted first (through the Store),
//     then link changes and sends, then log lines, events and scripts, then the answers to
//     the requests of the step, then its Lookups started; then Advance. Nothing a peer or a
//     client is told can be forgotten by a crash. A failed save is logged by the store and
//     turns a durable answer into Redis's save error; the rest still goes out.
//   - The loop never waits for the world outside: the core's Lookups (DNS for
//     resolve-hostnames, the scripts' file check) run in goroutines of their own, at most
//     maxLookups at once, DNS within 2 s, all cancelled and waited for when Run returns;
//     their answers come back to the loop as observations.
//   - The view is published before the events of the step and before any answer: a client
//     that hears +switch-master, or is told OK, reads the state that produced it.
//   - Queries (the read-only SENTINEL subcommands, INFO, ROLE) answer from the last
//     published View and never wait for the loop; only changes go through it.
//   - Requests queued together (up to maxStepRequests) run in one step, in the order
//     they were submitted, and share its one save: a peer's pipelined vote requests for
//     many masters cost one fsync, not one each.
//   - The transport, the scripts and the event and log callbacks never block the loop:
//     their methods queue and return.
package driver
