package metrics

import (
	"strconv"
	"strings"

	"github.com/sentinel-go/sentinel/monitor"
)

// subject is what an event's message says it is about: the instance of Redis's "%@"
// prefix ("<kind> <name> <ip> <port>", then "@ <master> <ip> <port>" for a replica or a
// sentinel), or for +switch-master and +vote-for-leader their own fields.
type subject struct {
	Role   string // "master", "slave" or "sentinel"; "" when the message has no prefix
	Master string // the master's name; "" for global events
	Epoch  uint64 // +vote-for-leader's epoch; 0 otherwise
}

// parseSubject reads an event's subject. The core already names the master in e.Master;
// the message is read only for what that field lacks, and a message of unexpected shape
// yields a partial subject, never an error: metrics must not fail on an event.
func parseSubject(e monitor.Event) subject {
	f := strings.Fields(e.Message)
	s := subject{Master: e.Master}
	switch e.Type {
	case "+switch-master": // "<master> <old ip> <old port> <new ip> <new port>"
		if s.Master == "" && len(f) == 5 {
			s.Master = f[0]
		}
		return s
	case "+vote-for-leader": // "<leader run ID> <epoch>"
		if len(f) == 2 {
			s.Epoch, _ = strconv.ParseUint(f[1], 10, 64)
		}
		return s
	}
	if len(f) < 4 {
		return s
	}
	switch f[0] {
	case "master":
		s.Role = f[0]
		if s.Master == "" {
			s.Master = f[1]
		}
	case "slave", "sentinel":
		if len(f) < 8 || f[4] != "@" {
			return s
		}
		s.Role = f[0]
		if s.Master == "" {
			s.Master = f[5]
		}
	}
	return s
}
