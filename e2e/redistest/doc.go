// Package redistest is a small Redis-protocol server with real master/replica replication,
// built so that tests, the demo and the benchmarks need no Redis installed.
//
// An instance speaks RESP2 and RESP3, keeps string keys in sixteen databases, and replicates
// the way Redis 7.0 does: the replica handshake (PING, AUTH, REPLCONF, PSYNC), a full resync
// with a real RDB snapshot, the live command stream, a backlog for partial resyncs, and the
// replication ID pair (replid, replid2) that lets the siblings of a promoted replica continue
// without a full sync. A real redis-server can replicate from it and it from a real
// redis-server. Its INFO, ROLE and error texts are Redis 7.0.15's, because a sentinel reads
// them.
//
// Many instances live in one process. Each has fault hooks (Kill, Restart, Pause, delays,
// dropped replication links, PING errors) so a test can make a failure happen on demand.
//
// Concurrency: one mutex per instance guards all of its state; a command runs whole under it,
// as Redis runs commands one at a time. Every connection has a reader goroutine that executes
// commands and a writer goroutine that drains the connection's output, so a slow or paused
// peer never holds the lock. Lock order: Server.mu, then client.outMu.
package redistest
