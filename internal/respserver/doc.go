// Package respserver is the RESP server kernel that the sentinel's endpoint
// (endpoint) and the embedded test server (e2e/redistest) are built on: listeners and
// their lifecycle (Serve, Shutdown, ErrServerClosed, as net/http), connections with their
// reading and writing goroutines, request batches, output queues and their limits, the
// client table and CLIENT LIST's line (ClientInfo), Redis's connection limits, the command
// table (Table: lookup, subcommands, arity, NOAUTH, with Redis's error texts), AUTH's shape
// (AuthCommand over the embedder's Authenticator), and the Pub/Sub registry. What a
// request means is the embedder's: it registers its commands and a Handler, which runs
// them and writes replies, and owns every other piece of per-client state (Conn.Value).
//
// Invariants:
//   - Every admitted connection has exactly two goroutines: the reader reads a batch,
//     hands it to Handler.Exec, and writes the replies; the writer writes what other
//     goroutines queue (Pub/Sub messages, a replication stream). Both end when the
//     connection closes; Shutdown waits for them and for every connection still being
//     admitted (a TLS handshake, say), which holds no lock and costs only its own goroutine.
//   - A connection's output leaves in the order it was queued. Replies of one batch leave
//     in one write.
//   - A batch holds only requests already received: the reader never waits for the
//     network in the middle of one, so an embedder may hold its own lock around a batch.
//     A request is parsed only after the one before it ran, so AUTH changes the limits
//     that apply to the very next request, as in Redis's processInputBuffer.
//   - The kernel never calls the Handler while holding a lock of its own, so the
//     embedder's lock comes first: embedder lock, then Server.mu, then Conn.outMu;
//     Conn.writeMu, then Conn.outMu. Nothing takes writeMu while holding Server.mu.
//   - With Options.BorrowArgs a request's arguments are the reader's own memory, valid
//     until the next Batch.Next, and reading allocates nothing per request; without it
//     each request is a copy the embedder keeps (redistest stores values).
//   - Memory per connection follows the bytes received, never a declared size, and an
//     unauthenticated client cannot announce more than Redis lets it (10 arguments,
//     16 KiB bulks) before it is refused.
//
// Redis rules it carries, by the function of Redis 7.0 that has them: maxclients
// (acceptCommonHandler), the unauthenticated request limits (processMultibulkBuffer), the
// idle timeout (clientsCronHandleTimeout), TCP keepalive (anetKeepAlive), the client
// output buffer limits (checkClientOutputBufferLimits), and the unix socket listener
// (anetUnixServer).
package respserver
