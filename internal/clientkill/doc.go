// Package clientkill is CLIENT KILL's argument parsing and client matching, as Redis 7.0
// does them, shared by our two RESP endpoints (the sentinel's endpoint and the test
// server e2e/redistest) so they cannot drift apart from each other or from Redis.
//
// Parse reads both forms of the command: the old "CLIENT KILL <addr>", which may kill the
// caller and replies +OK or "No such client", and the filter form of option/value pairs
// (ID, TYPE, ADDR, LADDR, USER, SKIPME), which skips the caller unless told otherwise and
// replies with a count. Options are checked left to right and the first bad one decides the
// error, as in Redis's clientCommand, so "ID 0 TYPE" is a client-id error, not a syntax one.
//
// The errors Parse returns carry Redis's reply text, "ERR " prefix included: both callers
// write them to the client verbatim, and the differential tests compare those texts with
// redis-server's and redis-sentinel's.
//
// Invariants:
//   - Parsing and matching are pure: the package holds no state, does no I/O and closes
//     nothing.
//   - The first bad option, left to right, decides the error, and an error's text is
//     Redis's reply, so both servers answer every malformed CLIENT KILL as Redis does.
//
// What a kill does to a matched client (close it now, or after this reply when it is the
// caller; drop a replica's master link) depends on each server's connection model and
// locking, so it stays with the servers: this package only decides who matches.
package clientkill
