// Package metrics serves a sentinel's Prometheus metrics from its two sources of truth:
// the published monitor.View, read when a scrape comes, and the events the core, the
// driver and the script runner emit, counted as they happen (Metrics.Event).
//
// Invariants:
//   - Two sources and only these: a gauge of the view's state equals what SENTINEL
//     MASTERS, REPLICAS, SENTINELS, CKQUORUM (query.CKQuorum) and INFO answer at the same
//     instant, read through the same fields and flag methods (SDown, ODown), never
//     computed a second way; a counter or histogram moves only on an event.
//   - Where redis_exporter names a sentinel figure, ours has its name, help text and label
//     names, so its dashboards and alerts keep working; our own figures are redis_sentinel_*
//     too, and every family is pinned in testdata/metrics.golden.
//   - Label values are bounded: event types and abort reasons come from fixed sets (any
//     other is "other"); per-master series exist only for masters the view knows when the
//     event comes, and are dropped at the first scrape after the master leaves the view
//     (or at its -monitor event).
//   - Durations come from the injected clock (Options.Now), read when Event runs on the
//     driver goroutine, so a test replays a failover with exact timings.
//   - Event never blocks on a scrape for longer than copying a few numbers: the only lock
//     it shares with a scrape guards the per-master timestamps. It is safe from any
//     goroutine (the script runner's events may come from another than the driver's).
//   - Metrics live on their own registry with Go's runtime and process collectors, never
//     the global one, so two sentinels in one process (tests) do not collide.
package metrics
