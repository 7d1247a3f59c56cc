// Package sentinelbin builds this module's sentinel daemon (./cmd/sentinel) for the
// end-to-end tests that run it as a process beside Debian's redis-sentinel.
//
// Invariants:
//   - It builds with the go command `go test` runs under (first in PATH), from the module
//     the tests belong to, so the binary is the code under test.
//   - SENTINEL_E2E_RACE=1 builds it with the race detector; SENTINEL_E2E_BIN, read by the
//     callers' TestMain, names a binary to use instead (a replay against another build).
//   - It stamps the VCS revision as a plain `go build` in a checkout would (-buildvcs=auto,
//     whatever GOFLAGS says); the go command stamps nothing in a linked git worktree.
//   - It writes only the one file, into the directory the caller owns.
package sentinelbin
