package monitor

import "github.com/sentinel-go/sentinel/config"

// The core's inputs (observations from the transport) and outputs (Ready): plain values, so
// tests can drive a Core without sockets.

// TagKind says what a command was sent for, so its reply can be handled.
type TagKind int

const (
	TagIgnore     TagKind = iota // fire and forget (CLIENT KILL, SCRIPT KILL, ...)
	TagPing                      // PING
	TagInfo                      // INFO
	TagPublish                   // PUBLISH __sentinel__:hello
	TagAskDown                   // SENTINEL is-master-down-by-addr
	TagFailoverTo                // FAILOVER TO, a coordinated manual failover
)

// Tag travels with a command and comes back with its reply.
type Tag struct {
	Kind TagKind
	// Master is the master a hello or a down-state question was about; the reply updates
	// the instance of that master at the link's address.
	Master string
	// Name is the instance's name within that master: the master's own name, "ip:port"
	// for a replica, the run ID for a sentinel.
	Name string
}

// Send is a command for the command connection of the link at Addr. Gen is the connection
// generation it was meant for: the transport drops it if that connection is gone, so a
// reply is never taken for the answer to a question asked on an older connection. Args is
// read-only: the core shares one slice among all the Sends of a PING or an INFO.
type Send struct {
	Addr string
	Gen  uint64
	Tag  Tag
	Args []string
}

// LinkOp is what to do with a link.
type LinkOp int

const (
	LinkOpen      LinkOp = iota // start connecting, and keep reconnecting at most once a second
	LinkClose                   // close for good
	LinkReconnect               // drop the current connection of Kind and connect again
)

// LinkChange asks the transport to open, close or recycle a link.
type LinkChange struct {
	Op   LinkOp
	Kind LinkKind // for LinkReconnect
	Spec LinkSpec
}

// Ready is what the steps since the last Advance produced, to be carried out in this order:
// State first, then links and sends, then logs, events and scripts, then responses (a
// client told OK hears it after the events the change produced, as from redis-sentinel,
// whose command handlers publish before their reply is written), then lookups.
type Ready struct {
	// State, when not nil, is the whole state to persist (the config file with its
	// generated lines), and it must be durable before anything else of this Ready leaves:
	// a vote or an epoch a peer is told survives a crash (etcd-io/raft's HardState rule;
	// redis-sentinel flushes its config before it replies).
	State *config.Config
	Links []LinkChange
	Sends []Send
	// Responses answer requests (Core.Request), each by its RequestID, in the order the
	// answers were made; a request may be answered in a later Ready than its own, once the
	// lookups it waits for came back.
	Responses []Response
	Events    []Event
	Logs      []LogLine
	// Scripts are notification and client-reconfig script runs to queue, after the events.
	Scripts []Script
	// Crash: SENTINEL SIMULATE-FAILURE asked to crash at this point. The driver stops
	// after carrying out the rest of this Ready.
	Crash bool
	// Lookups is I/O the core wants done off its loop (DNS, a file check); each answer
	// comes back as a LookupResult observation. The core never waits for one.
	Lookups []Lookup
}

// RequestID names a request so that its Response finds the way back to the client that
// asked; the driver picks them, unique among the requests not yet answered.
type RequestID uint64

// Response is the answer to one request.
type Response struct {
	ID    RequestID
	Value Value
	// Durable: the answer reports a change of the saved state (SENTINEL MONITOR, REMOVE,
	// SET, CONFIG SET, FLUSHCONFIG). If saving this Ready's State fails, the client gets
	// Redis's "ERR Failed to save config file. Check server logs." instead.
	Durable bool
}

// LookupKind says what a Lookup asks.
type LookupKind uint8

const (
	LookupHost       LookupKind = iota // resolve a hostname (resolve-hostnames)
	LookupExecutable                   // is the path a regular file with an execute bit (scripts)
)

// Lookup is one question for the world outside the core.
type Lookup struct {
	Kind LookupKind
	Name string // the hostname, or the script's path
}

// LookupResult answers a Lookup.
type LookupResult struct {
	Lookup
	OK  bool   // resolved, or executable
	IP  string // LookupHost: the first address, when OK
	Err string // why not, for the log
}

// Script is one run of a user script: the path and its arguments.
type Script struct {
	Path string
	Args []string
}

// LogLine is a plain log line that is not an event (never published), such as Redis's
// "<runid> voted for <runid> <epoch>".
type LogLine struct {
	Level Level
	Text  string
}

// Observation is something the transport saw.
type Observation interface{ observation() }

// LinkUp: a connection of the link at Addr is established (AUTH and CLIENT SETNAME sent).
// A transport numbers connections (Gen) in increasing order over its whole life, across the
// links it opens and closes at one address: a link opened after another was closed gets
// higher generations than every connection of the closed one, whose news may still arrive.
type LinkUp struct {
	Addr    string
	Kind    LinkKind
	Gen     uint64
	LocalIP string // our side of the command connection, announced in hellos
}

// LinkDown: that connection is gone; commands still pending on it are lost.
type LinkDown struct {
	Addr string
	Kind LinkKind
	Gen  uint64
	Err  string
	// PeerClosed: the other end closed or reset the connection (EOF, ECONNRESET), as a
	// process that exits does; not a timeout, a partition's silence or our own close.
	PeerClosed bool
}

// Reply answers a Send. Err is the Redis error text when the server replied with an error.
// Value is a string for status and bulk replies, int64 for integers, []any for arrays, nil
// for null replies.
type Reply struct {
	Addr  string
	Gen   uint64
	Tag   Tag
	Value any
	Err   string
}

// Message is a Pub/Sub message received on the link's Pub/Sub connection.
type Message struct {
	Addr    string
	Gen     uint64
	Channel string
	Payload string
}

// PubSubActivity is any other Pub/Sub frame (subscribe confirmations, pings): it shows the
// connection is alive.
type PubSubActivity struct {
	Addr string
	Gen  uint64
}

func (LinkUp) observation()         {}
func (LinkDown) observation()       {}
func (Reply) observation()          {}
func (Message) observation()        {}
func (PubSubActivity) observation() {}
func (LookupResult) observation()   {}
