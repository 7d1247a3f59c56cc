// Package sentinel holds the end-to-end acceptance tests of the sentinel daemon: our binary
// (built once by TestMain from ./cmd/sentinel) runs as a separate process beside Debian's
// redis-sentinel 7.0.15, both watching the same redistest master and replicas, and the tests
// compare what the two say: SENTINEL replies byte for byte where they are not times or
// counters, the rewritten config files, the fatal config errors on stderr, the +sdown and
// +odown events and how soon they come after a master dies, and what real clients (go-redis,
// redis-cli) see. The failover scenarios also run over TLS only (TestFailoverTLS,
// TestFailoverMixedTLS): every instance and sentinel on a tls-port with port 0,
// tls-replication yes and tls-auth-clients yes, with certificates from internal/tlstest.
//
// Events are compared by waiting for the channels a test names, never as whole streams: ours
// also publishes +no-min-replicas / -no-min-replicas by default (monitor/guard.go), which
// redis-sentinel does not, and with protect-empty-restart yes +empty-restart; none of the
// differential comparisons waits for them.
//
// It holds only tests. Every process they start is their own, on a free 127.0.0.1 port, and
// is killed by PID when its test ends; every wait polls a condition under a deadline.
// Parts that need /usr/bin/redis-sentinel (or redis-cli) skip when it is missing, unless
// REDISTEST_REQUIRE_REAL=1, which turns the skip into a failure. SENTINEL_E2E_BIN=<path>
// tests a prebuilt binary instead of building one (pointing it at /usr/bin/redis-sentinel
// checks the tests themselves: real against real must pass); SENTINEL_E2E_RACE=1 builds
// ours with the race detector.
package sentinel
