// Package transport is the sentinel's real transport: the command and Pub/Sub connections to
// monitored instances and peer sentinels, made with go-redis. It implements
// driver.Transport and feeds what it sees back as monitor observations.
//
// Each link (one address) has a goroutine per connection kind. A goroutine dials at most
// once a second, numbers each connection (its generation, unique in the transport, so that
// a closed link's last LinkDown never matches a new link's connection to the same address),
// and reports LinkUp with the local address, every reply tagged with the generation it was
// asked on, and LinkDown when the connection ends. Sends meant for an older generation are dropped, so the core never
// takes a reply from a dead connection for the answer to a question asked on a new one.
// Generations come from one counter for the whole transport and none is handed out once a
// link is closed, so a link opened again at an address (SENTINEL SET auth-pass) numbers its
// connections after every one of the closed link, whose goroutine may report after it.
//
// A connection whose AUTH failed ends (LinkDown) and is dialled again a second later, on
// both kinds: go-redis answers every later command on it with the handshake's error and
// never dials again, so kept, it would stay unauthenticated for good.
//
// Commands queued while a batch is in flight go out together as one pipeline. A command
// that never gets an answer (the instance is stopped, not closed) blocks its connection
// until the core judges it unhealthy and asks for a reconnect, which closes the socket; as
// in redis-sentinel, there are no read timeouts.
//
// Differences from redis-sentinel's hiredis links, and why they are harmless: go-redis opens
// a connection with HELLO 2 (a server that refuses it is then sent AUTH), and sends the
// client name with it and CLIENT SETNAME; rename-command applies to every command the
// sentinel sends but not to that handshake.
package transport
