// Package failover holds redis-sentinel's failover rules as pure code: the states a failover
// goes through and their names, which replica gets promoted, which replicas are told to follow
// it next, and the timeouts that bound every step. The monitor drives the machine with its
// clock and observations and carries out what it decides.
//
// Invariants:
//   - a failover can be aborted only before the promotion (Abortable); after it, it always
//     ends in a switch to the promoted replica;
//   - the promoted replica is the first of the eligible ones in Compare's total order, so
//     every sentinel seeing the same replicas picks the same one;
//   - a replica that has not completed a sync with the master since it last became a
//     replica is never promoted (Eligible), whatever its priority and offset;
//   - at most ParallelSyncs replicas are resynchronising at any time.
package failover
