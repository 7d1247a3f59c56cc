package monitor

import (
	"strconv"
	"strings"
)

// Level is an event's importance, in Redis's terms. The driver maps it to a log level;
// Debug events are never published, as in redis-sentinel.
type Level int

const (
	Debug   Level = iota // "." in Redis's log
	Verbose              // "-"; published but not logged at the default loglevel
	Notice               // "*"
	Warning              // "#"; also queued for the notification script
)

// Event is one thing a sentinel tells the world: logged as "<Type> <Message>" and published
// on the Pub/Sub channel named Type with Message as payload, byte for byte as
// redis-sentinel does, so that alerting built on either keeps working.
type Event struct {
	Level   Level
	Type    string // "+sdown", "+switch-master", ...
	Message string
	// Master names the master the event concerns ("" for global events such as +tilt);
	// the notification script of that master runs for Warning events.
	Master string
}

func (e Event) String() string { return e.Type + " " + e.Message }

// instancePrefix is Redis's "%@" event prefix: "master <name> <ip> <port>", or for a replica
// or a sentinel "<kind> <name> <ip> <port> @ <master> <ip> <port>".
func (c *Core) instancePrefix(in *instance) string {
	var b strings.Builder
	b.WriteString(in.kind.String())
	b.WriteByte(' ')
	b.WriteString(in.name)
	b.WriteByte(' ')
	b.WriteString(c.announceHost(in.addr))
	b.WriteByte(' ')
	b.WriteString(strconv.Itoa(in.addr.Port))
	if in.kind != kindMaster {
		m := in.master
		b.WriteString(" @ ")
		b.WriteString(m.name)
		b.WriteByte(' ')
		b.WriteString(c.announceHost(m.addr))
		b.WriteByte(' ')
		b.WriteString(strconv.Itoa(m.addr.Port))
	}
	return b.String()
}

// emit records an event about an instance; extra, when not empty, follows the prefix after a
// space.
func (c *Core) emit(level Level, typ string, in *instance, extra string) {
	msg := c.instancePrefix(in)
	if extra != "" {
		msg += " " + extra
	}
	c.emitRaw(level, typ, msg, in.master.name)
}

// emitRaw records an event whose message has no instance prefix (+new-epoch, +tilt, ...).
// Warning events about a master, its replicas or its sentinels also queue the master's
// notification script, with the event's type and message as arguments.
func (c *Core) emitRaw(level Level, typ, msg, master string) {
	c.ready.Events = append(c.ready.Events, Event{Level: level, Type: typ, Message: msg, Master: master})
	if level != Warning || master == "" {
		return
	}
	if m := c.masters[master]; m != nil && m.cfg.NotificationScript != "" {
		c.ready.Scripts = append(c.ready.Scripts, Script{Path: m.cfg.NotificationScript, Args: []string{typ, msg}})
	}
}
