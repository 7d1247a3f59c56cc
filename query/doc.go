// Package query answers SENTINEL's read-only subcommands (MASTERS, MASTER, REPLICAS,
// SENTINELS, GET-MASTER-ADDR-BY-NAME, CKQUORUM, INFO-CACHE, CONFIG GET, MYID, HELP) and
// INFO's "# Sentinel" section from a published monitor.View, without the monitoring loop;
// and it writes the core's reply values (WriteValue), so that the core writes no bytes.
//
// Invariants:
//   - Answers are byte for byte redis-sentinel's (the endpoint's differential tests and
//     e2e/sentinel compare them): the field order of the instance maps is fixed, optional
//     fields appear only when they apply, and durations are Redis's whole milliseconds
//     ("ago" times are taken at the moment of the query, from the view's absolute times).
//   - A View is immutable: nothing here changes one, so any number of goroutines answer
//     from the same view at once.
//   - The rules the core also applies (the minority refusal) are read from the core's
//     exported methods, never written again here.
package query
