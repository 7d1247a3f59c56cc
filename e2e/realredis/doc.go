// Package realredis finds and starts Debian's redis-server and redis-sentinel for tests: it
// skips when they are missing unless REDISTEST_REQUIRE_REAL=1, hands out free loopback
// ports, and stops the processes it started by PID in t.Cleanup.
//
// Invariants:
//   - A missing program (or one a test cannot use) skips the test, and fails it instead
//     under REDISTEST_REQUIRE_REAL=1, as CI sets it: there the real Redis is the judge of
//     the differential tests, and a skipped judge proves nothing.
//   - Every process started here is killed by its own PID (SIGKILL), never by name, and
//     reaped, in the t.Cleanup of the test that started it; a test that failed logs the
//     tail of the process's output.
//   - Every wait is bounded: the caller gives the bound for start-up, because the tests
//     differ in what they wait for; reaping a killed process is bounded by reapWait.
//   - A process counts as up once it answers PING with +PONG, or with -NOAUTH (it is up and
//     wants a password). Any other error reply (-LOADING) means not yet.
//
// It imports nothing of ours, so every package's tests may use it, config's and
// monitor/info's included.
package realredis
