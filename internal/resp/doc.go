// Package resp reads requests and encodes replies in the Redis serialization protocol,
// version 2 or 3.
//
// Reader parses what clients send: multibulk arrays and inline commands, with Redis 7.0's
// limits and protocol error texts. It trusts no declared size, so a hostile header costs
// nothing until its bytes arrive, and it keeps each request's exact bytes, which a replica
// needs to count its replication offset.
//
// Both our RESP endpoints (the sentinel's and the embedded test server's) speak to clients
// that choose their protocol with HELLO. A handler writes one logical reply shape — a map, a
// set, a null, a push — and the Writer renders it the way Redis renders it for that
// connection's protocol: a RESP3 map becomes a flat RESP2 array, a RESP3 null becomes a null
// bulk string, a push becomes a plain array. Keeping the translation here, not in handlers,
// is what keeps RESP2 and RESP3 replies identical in content.
//
// The Writer only appends to a byte slice; who flushes it, and when, is the caller's concern.
//
// Invariants:
//   - Memory follows the bytes received, never a declared size: every pass of the parser
//     consumes buffered bytes, so a header such as "*2000000000" or "$2000000000" costs
//     nothing until its payload arrives, and Redis's limits (the inline and header length,
//     proto-max-bulk-len's default, SetUnauthLimits) are enforced at the header.
//   - A Command's Raw bytes are exactly the bytes the client sent for it, so concatenating
//     them reproduces the stream.
//   - A protocol error poisons the Reader: it is returned by every later call, as Redis
//     closes the connection after replying with it; a read error does not, so a caller may
//     go on after a deadline.
//   - A reply shape renders for RESP2 and RESP3 from one call, so the two protocols
//     carry the same content.
//
// We parse requests ourselves rather than with tidwall/redcon's reader: for a header such as
// "*2000000000" it loops over the declared count on every read, burning seconds of CPU per
// malformed request, and it bounds no bulk length.
package resp
