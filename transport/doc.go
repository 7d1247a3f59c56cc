// Package transport is the sentinel's real transport: the command and Pub/Sub connections to
// monitored instances and peer sentinels, spoken in RESP2 directly over one socket each
// (internal/resp writes the commands and reads the replies). It implements
// driver.Transport and feeds what it sees back as the core's observations; it holds no
// core state.
//
// Each link (one address) has one goroutine per connection kind: it dials at most once a
// second, numbers each connection (its generation), and then reads that connection's
// replies until it ends. It reports LinkUp with the local address, every reply tagged with
// the generation it was asked on, and LinkDown when the connection ends. Sends are appended
// to the connection's buffer and written by a short-lived writer goroutine, one at a time
// per connection: commands sent while a write is in flight go out together in one write.
//
// A new connection first sends what redis-sentinel's sentinelReconnectInstance sends,
// pipelined, not awaited, and with rename-command applied: AUTH (user and password, or the
// password alone) when a password is set, CLIENT SETNAME <name>-cmd or <name>-pubsub, and
// on the Pub/Sub connection SUBSCRIBE __sentinel__:hello.
//
// Invariants:
//   - Replies are matched to sends in order (FIFO), the handshake's first; the writer is
//     one per connection, so bytes go out in the order the replies will come back.
//   - Sends meant for an older generation are dropped, so the core never takes a reply
//     from a dead connection for the answer to a question asked on a new one.
//   - Generations are unique in the transport: they come from one counter for the whole
//     transport and none is handed out once a link is closed, so a link opened again at an
//     address (SENTINEL SET auth-pass) numbers its connections after every one of the
//     closed link, whose goroutine may report after it, and a closed link's last LinkDown
//     never matches a new link's connection.
//   - A connection whose handshake shows it unauthenticated (WRONGPASS to AUTH, NOAUTH to
//     CLIENT SETNAME) ends (LinkDown) and is dialled again a second later, on both kinds;
//     kept, it would stay unauthenticated for good. Other handshake errors are discarded,
//     as redis-sentinel's sentinelDiscardReplyCallback does.
//   - Send never waits on the network: a peer that stops reading stalls only that
//     connection's writer goroutine.
//   - There are no read timeouts, as in redis-sentinel: a command that never gets an
//     answer (the instance is stopped, not closed) blocks its connection until the core
//     judges it unhealthy and asks for a reconnect, which closes the socket.
package transport
