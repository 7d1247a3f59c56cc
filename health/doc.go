// Package health answers the HTTP health checks of a running sentinel: /healthz (the
// process works and its monitoring loop is not stalled) and /readyz (every monitored master
// can be failed over: SENTINEL CKQUORUM is OK, and the sentinel is not in TILT). Each
// answers a JSON body a person can read, with 200 when healthy or ready and 503 otherwise.
//
// Invariants:
//   - It reads only what any goroutine may read: the driver's published view and its
//     last-tick time. It never waits for the loop, so a stalled loop is reported, not
//     shared.
//   - Readiness is CKQUORUM's own verdict (query.CKQuorum), never recomputed here, so the
//     probe and an operator's redis-cli agree.
//   - A sentinel in TILT is not ready: like redis-sentinel, it neither judges nor fails
//     over while in TILT, so it cannot vouch for anything. No masters monitored is ready
//     (nothing to fail over, nothing wrong), with an empty list.
//   - Only GET and HEAD are answered (405 otherwise); time comes from an injected clock.
package health
