// Package election holds redis-sentinel's leader election as plain functions: the vote rule a
// sentinel applies to a vote request, and the tally a candidate runs over the votes its peers
// reported. It keeps no state and reads no clock; the caller owns the epochs and persists a
// cast vote before anyone learns of it.
//
// Invariants the rules give, whoever calls them in whatever order:
//   - a sentinel casts at most one vote per master per epoch (Grant never changes a vote
//     held for an epoch at or above the requested one);
//   - the current epoch never decreases;
//   - a winner has an absolute majority of every sentinel known for the master (not only of
//     the reachable ones) and at least the quorum, so two winners in one epoch would need
//     one sentinel to vote twice.
//
// The rules are Redis's to the letter: mixed groups of our sentinels and redis-sentinels
// elect with them.
package election
