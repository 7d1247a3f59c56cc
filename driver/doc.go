// Package driver runs a monitor.Core: it owns the goroutine that feeds the core time,
// the transport's observations and client requests, and carries out each Ready the core
// returns; its Endpoint adapts it to the RESP endpoint. It uses only the core's exported
// API, as etcd-io/raft's node drives a RawNode.
//
// Invariants:
//   - One goroutine (Run) owns the Core; nothing else calls it. Observations, hellos and
//     requests reach it over channels.
//   - Each Ready is carried out in order: what it must persist first (the core saves
//     before its Ready leaves), then link changes and sends, then log lines, events and
//     scripts, then the answers to the requests of the step. Nothing a peer or a client is
//     told can be forgotten by a crash.
//   - The view is published before the events of the step and before any answer: a client
//     that hears +switch-master, or is told OK, reads the state that produced it.
//   - Queries (the read-only SENTINEL subcommands, INFO, ROLE) answer from the last
//     published View and never wait for the loop; only changes go through it.
//   - The transport, the scripts and the event and log callbacks never block the loop:
//     their methods queue and return.
package driver
