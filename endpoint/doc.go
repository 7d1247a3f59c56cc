// Package endpoint is the sentinel's RESP endpoint: the port clients and peer sentinels
// talk to. It owns connections, authentication (AUTH, HELLO, ACL users, protected mode),
// Pub/Sub, and the generic commands (PING, INFO, ROLE, CLIENT, COMMAND, ACL, SHUTDOWN);
// SENTINEL subcommands, hello messages, the Sentinel INFO section and ROLE's master list
// come from the Sentinel it is given.
//
// What it answers is redis-sentinel 7.0.15's, byte for byte where a client could tell:
// the command table (COMMAND COUNT 15), every error text, the order in which a request is
// checked (lookup, arity, NOAUTH, ACL, RESP2 subscribed context, CLIENT PAUSE), RESP2 and
// RESP3 reply shapes. The command metadata is Redis's own, captured from the real binary
// (commands_info.resp3, commands_docs.resp3), and the arity, flags and ACL categories
// that checks use are read from it.
//
// Invariants:
//   - Every connection has exactly two goroutines: one reads, runs and replies to its
//     requests in order, the other writes what Publish queues for it. Both end when the
//     connection closes; Shutdown waits for all of them.
//   - A connection's output leaves in the order it was produced: replies and Pub/Sub
//     messages share one queue, and a subscription and its confirmation enter it under
//     the same hold of Server.mu as Publish, so no message precedes the confirmation of
//     the subscription it arrived by.
//   - Publish never waits for a client. A subscriber whose queue outgrows Redis's pubsub
//     output buffer limits (32 MiB, or 8 MiB for 60 s) is disconnected. Replies to a
//     client's own requests are written by its reading goroutine, so a client that does
//     not read stops being read, and costs no memory beyond its socket buffers.
//   - No lock is held while calling the Sentinel, so the sentinel core may call Publish
//     at any time, even while a SENTINEL command waits for it.
//   - A pipeline is run as one batch: every request already received is answered before
//     the replies are written, in one write. Consecutive SENTINEL subcommands that change
//     state are all handed to the Sentinel before the first reply is awaited (so its loop
//     may save once for all); any other request first waits for them, so a pipeline
//     reads its own changes, and the replies keep request order.
//   - Users are copied on change and swapped whole, so a request checks its permissions
//     against one consistent version of its user.
//   - A request holds Server.mu twice, once before the command (the checks' inputs) and
//     once after (CLIENT REPLY), allocates nothing, and borrows the reader's memory:
//     whatever outlives the request is converted to a string.
//
// Lock order: Server.mu, then the kernel's locks (internal/respserver); no lock is held
// while a connection writes to its socket.
//
// A connection running a SENTINEL command waits for the Sentinel to return, so Shutdown
// returns only after every Sentinel.Command in progress has: stop the core after the
// endpoint, or make it answer pending commands when it stops.
//
// Known differences from redis-sentinel 7.0.15, none visible to a client that works
// against Redis:
//   - Orders Redis takes from its hash tables, which change with every start (COMMAND,
//     COMMAND LIST/INFO/DOCS, ACL CAT <category>, the single-command rules of ACL LIST,
//     UNSUBSCRIBE without arguments), are sorted here.
//   - CLIENT LIST reports fixed values for Redis's internal buffers (qbuf, qbuf-free, rbs,
//     rbp, obl, oll, multi-mem); fd, omem, argv-mem and the rest are real. INFO reports 0
//     for figures with no counterpart (instantaneous_*, client_recent_max_*, expiry and
//     defrag counters), gcc_version 0.0.0, our VCS revision as redis_build_id, the
//     process's CPU time as the main thread's, and a new random hz on each call rather
//     than on each timer tick.
//   - The pubsub output buffer limits are checked when a message is queued, against
//     what has not yet reached the socket. Normal clients have no limit in Redis, and
//     none here either, but a client that stops reading its replies stops being read
//     instead of growing an unbounded buffer.
//   - CLIENT TRACKING keeps its state and errors but never sends invalidations (there
//     are no keys); CLIENT UNBLOCK validates its arguments and unblocks nothing (no
//     command blocks, and clients held by CLIENT PAUSE stay held).
//   - ACL key patterns are kept and described but never checked (no sentinel command
//     has keys); acllog-max-len is 128. The ACL engine is internal/acl, whose doc.go
//     lists its own differences; an aclfile (Options.ACLFile) is loaded at New, and by
//     ACL LOAD, all or nothing, as ACLLoadFromFile does.
//   - Connections are the RESP kernel's (internal/respserver), which carries Redis's
//     connection limits: maxclients, timeout, tcp-keepalive, and the unauthenticated
//     request limits; Serve takes TCP, unix (ListenUnix) and TLS listeners. A TLS
//     handshake must finish within Options.TLSHandshakeTimeout (Redis has no bound of its
//     own). maxclients is not lowered to fit RLIMIT_NOFILE here: the daemon does that at
//     start, with Redis's log lines (respserver.FitOpenFiles).
package endpoint
