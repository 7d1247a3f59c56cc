// Package resptest drives a RESP server from tests and benchmarks: Pipeline sends one
// request over and over on one connection, a fixed number at a time, and reads the
// replies back, so that a benchmark's allocations and time are the server's, not the
// client's.
//
// Invariants: the client side allocates nothing per request (one buffer of requests, one
// of replies, built before the timer starts), and every reply is checked against the
// expected bytes, so a benchmark never measures a server that answers something else.
package resptest
