// Package redistest is a small Redis-protocol server with real master/replica replication,
// built so that tests, the demo (cmd/sentinel-demo) and the benchmarks need no Redis installed.
//
// An instance speaks RESP2 and RESP3, keeps string keys in sixteen databases, and replicates
// the way Redis 7.0 does: the replica handshake (PING, AUTH, REPLCONF, PSYNC), a full resync
// with a real RDB snapshot, the live command stream, a backlog for partial resyncs, and the
// replication ID pair (replid, replid2) that lets the siblings of a promoted replica continue
// without a full sync. A real redis-server can replicate from it and it from a real
// redis-server. Its INFO, ROLE and error texts are Redis 7.0.15's, because a sentinel reads
// them.
//
// With Options.TLS an instance speaks TLS only (a redis-server's port 0 with tls-port), and
// with Options.ReplicationTLS its link to its master does (tls-replication yes); REPLICAOF
// and FAILOVER take the same links, so they work over TLS unchanged.
//
// Many instances live in one process. Each has fault hooks (Kill, Restart, Pause, delays,
// dropped replication links, PING errors) so a test can make a failure happen on demand.
//
// Where it knowingly differs from Redis, and why that is safe for its purpose:
//   - Only strings: no lists, sets, hashes, streams or scripts. Sentinels and the scenarios
//     here need data that replicates, not data types.
//   - repl-diskless-sync-delay defaults to 0, not 5 s, so tests do not wait for company
//     before the first sync; setting it restores Redis's behaviour.
//   - WATCH is accepted but never aborts EXEC, and ACL rules other than passwords and on/off
//     are accepted but not enforced.
//   - No client output-buffer limits: a replica or subscriber that stops reading makes its
//     queue grow until the test ends. A connection that ends drops what was still queued for
//     it, as Redis's freeClient does.
//   - CONFIG REWRITE writes only non-default parameters and the replication role, not a
//     redis.conf merged with comments.
//
// Concurrency: one mutex per instance guards all of its state; a command runs whole under it,
// as Redis runs commands one at a time. Connections are the RESP kernel's
// (internal/respserver): each life of the instance is one kernel Server, whose reader
// goroutine per connection runs a batch under Server.mu and writes its replies, and whose
// writer goroutine sends what others queue (Pub/Sub messages, the replication stream), so a
// slow or paused peer never holds the lock. Lock order: Server.mu before the kernel's locks.
package redistest
