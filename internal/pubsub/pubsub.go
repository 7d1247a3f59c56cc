package pubsub

import "github.com/sentinel-go/sentinel/internal/resp"

// Message writes the delivery to a client subscribed to channel:
// ["message", channel, payload].
func Message(w *resp.Writer, channel, payload string) {
	w.Push(3)
	w.BulkString("message")
	w.BulkString(channel)
	w.BulkString(payload)
}

// PMessage writes the delivery to a client subscribed to a pattern that matched channel:
// ["pmessage", pattern, channel, payload].
func PMessage(w *resp.Writer, pattern, channel, payload string) {
	w.Push(4)
	w.BulkString("pmessage")
	w.BulkString(pattern)
	w.BulkString(channel)
	w.BulkString(payload)
}

// Confirm writes the reply for one channel or pattern of SUBSCRIBE, PSUBSCRIBE,
// UNSUBSCRIBE or PUNSUBSCRIBE: [kind, name, count], where kind is the command's name in
// lower case and count the client's subscriptions, channels and patterns together, after
// this one.
func Confirm(w *resp.Writer, kind, name string, count int) {
	w.Push(3)
	w.BulkString(kind)
	w.BulkString(name)
	w.Int(int64(count))
}

// ConfirmNone writes the one reply of an UNSUBSCRIBE or PUNSUBSCRIBE without arguments
// from a client with nothing of that kind to drop: [kind, null, count].
func ConfirmNone(w *resp.Writer, kind string, count int) {
	w.Push(3)
	w.BulkString(kind)
	w.Null()
	w.Int(int64(count))
}

// Pong writes PING's reply; args are PING's arguments, none or one. A RESP2 client with
// subscriptions gets ["pong", message] (message "" when absent), because in RESP2 a
// subscribed connection must tell replies from deliveries by shape, as Redis's pingCommand
// arranges; anyone else gets +PONG, or the message as a bulk string.
func Pong(w *resp.Writer, subscribed bool, args [][]byte) {
	if subscribed && w.Proto == 2 {
		w.Array(2)
		w.BulkString("pong")
		if len(args) == 1 {
			w.Bulk(args[0])
		} else {
			w.BulkString("")
		}
		return
	}
	if len(args) == 1 {
		w.Bulk(args[0])
		return
	}
	w.Simple("PONG")
}
