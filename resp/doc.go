// Package resp encodes replies in the Redis serialization protocol, version 2 or 3.
//
// Both our RESP endpoints (the sentinel's and the embedded test server's) speak to clients
// that choose their protocol with HELLO. A handler writes one logical reply shape — a map, a
// set, a null, a push — and the Writer renders it the way Redis renders it for that
// connection's protocol: a RESP3 map becomes a flat RESP2 array, a RESP3 null becomes a null
// bulk string, a push becomes a plain array. Keeping the translation here, not in handlers,
// is what keeps RESP2 and RESP3 replies identical in content.
//
// The Writer only appends to a byte slice; who flushes it, and when, is the caller's concern.
package resp
