// Package pubsub writes the frames of Redis's Pub/Sub as Redis 7.0 sends them, shared by our
// two RESP endpoints (the sentinel's endpoint and the test server e2e/redistest):
// "message" and "pmessage" deliveries, the per-channel confirmations of SUBSCRIBE and its
// kin, and the reply PING gives a subscribed client.
//
// Invariants:
//   - Each frame is a RESP3 push, which resp.Writer renders as a plain array for a RESP2
//     connection; so one call is right for both protocols, and a client that subscribes
//     through HELLO 3 gets the same content as one that never upgraded.
//   - The frames are Redis 7.0's byte for byte (the endpoints' differential tests compare
//     them with redis-server's and redis-sentinel's).
//
// Only the wire shape lives here. Who is subscribed to what, and how a frame reaches a
// client, stay with each server: the sentinel encodes a message once per protocol and
// queues it for a connection's writer goroutine, never blocking on a slow subscriber, while
// the test server writes and flushes under its one lock. Those are different connection
// models, not copies of one rule.
package pubsub
