// Package info parses the INFO text a Redis master or replica returns, extracting what a
// sentinel uses (sentinel.c's sentinelRefreshInstanceInfo, 7.0.15).
//
// Invariants:
//   - Parse is pure and total: any input yields an Info, never a panic or an error, because
//     redis-sentinel accepts any INFO reply and simply uses what it recognises.
//   - Lines, prefixes and numbers are read exactly as redis-sentinel reads them: the text ends
//     at its first NUL byte (it is handled as a C string), lines are split on "\r\n" only,
//     fields are matched by prefix, and numbers go through the C library's atoi, strtoll and
//     strtoull, whose leniency ("12abc" is 12, "abc" is 0, overflow saturates)
//     internal/cstrconv copies.
//   - Fields that are absent keep their zero value or their Redis default, and are missing
//     from Info.Present, so the caller can keep what it knew before, as redis-sentinel does.
//   - A few fields are ours, not redis-sentinel's (the dataset's key count, loading,
//     connected_slaves, min_slaves_good_slaves): they feed monitor's empty-restart guard
//     and min-replicas warning, are read from any line, and never change what the Redis
//     fields read.
//   - Strings in an Info are substrings of the parsed text: parsing allocates only the
//     Replicas slice.
package info
