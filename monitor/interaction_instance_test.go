package monitor_test

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/sentinel-go/sentinel/monitor"
	"github.com/sentinel-go/sentinel/sim"
)

// instanceCmd is "instance r1 key=value ...": it makes a fake instance the server a
// failover path needs (see the command list in interaction_test.go).
func (e *env) instanceCmd(args []string) error {
	if len(args) < 2 {
		return fmt.Errorf("instance <name> key=value ...")
	}
	r := e.fleet.Instance(args[0])
	if r == nil {
		return fmt.Errorf("no instance %s", args[0])
	}
	for _, a := range args[1:] {
		k, v, _ := strings.Cut(a, "=")
		on := v != "false"
		var err error
		switch k {
		case "priority":
			r.Priority, err = strconv.Atoi(v)
		case "offset":
			r.Offset, err = strconv.ParseInt(v, 10, 64)
		case "min-replicas":
			r.MinReplicasToWrite, err = strconv.Atoi(v)
		case "master":
			// It follows another master, its link up (a replica some other party moved).
			var p int
			p, err = strconv.Atoi(v)
			r.Role, r.MasterHost, r.MasterPort, r.LinkUp = "slave", "127.0.0.1", p, true
		case "role":
			// master: it reports role:master, as after a SLAVEOF NO ONE someone else sent.
			if v != "master" {
				return fmt.Errorf("instance: role=master only")
			}
			r.Role, r.MasterHost, r.MasterPort, r.LinkUp = "master", "", 0, false
		case "link":
			// down: its replication link just broke; never: it has not been connected
			// since it became a replica (master_link_down_since_seconds:-1).
			switch v {
			case "down":
				r.LinkUp, r.LinkDownAt = false, e.now
			case "never":
				r.LinkUp, r.LinkDownAt = false, time.Time{}
			default:
				return fmt.Errorf("instance: link=down|never")
			}
		case "ignore-slaveof":
			r.IgnoreSlaveOf = on
		case "never-syncs":
			r.NeverSyncs = on
		case "knows-failover":
			r.KnowsFailover = on
		case "no-keyspace":
			r.NoKeyspace = on
		default:
			return fmt.Errorf("instance: unknown key %s", k)
		}
		if err != nil {
			return fmt.Errorf("instance: %s: %w", a, err)
		}
	}
	return nil
}

// instancesCmd prints every instance's role as INFO reports it: the topology a failover
// leaves behind.
func (e *env) instancesCmd() string {
	var b strings.Builder
	for _, r := range e.instances {
		b.WriteString(r.Name + ": " + instanceLine(r) + "\n")
	}
	return b.String()
}

func instanceLine(r *sim.Instance) string {
	if !r.Alive {
		return "dead"
	}
	if r.Role == "master" {
		return "master"
	}
	link := "down"
	if r.LinkUp {
		link = "up"
	}
	return fmt.Sprintf("slave of %s:%d link %s", r.MasterHost, r.MasterPort, link)
}

// record keeps what an instance executed for "commands": all but the PINGs and PUBLISHes
// that run all the time.
func (e *env) record(s *sentinel, r *sim.Instance, args []string) {
	if c := strings.ToUpper(args[0]); c == "PING" || c == "PUBLISH" {
		return
	}
	if e.got == nil {
		e.got = map[string][]string{}
	}
	e.got[r.Name] = append(e.got[r.Name], s.name+": "+strings.Join(args, " "))
}

func (e *env) commandsCmd(args []string) (string, error) {
	if len(args) != 1 || e.fleet.Instance(args[0]) == nil {
		return "", fmt.Errorf("commands <instance>")
	}
	var b strings.Builder
	lines := e.got[args[0]]
	delete(e.got, args[0])
	for i := 0; i < len(lines); {
		// A run of one command (INFO, mostly) is one line with its count.
		n := 1
		for i+n < len(lines) && lines[i+n] == lines[i] {
			n++
		}
		b.WriteString(lines[i])
		if n > 1 {
			fmt.Fprintf(&b, " (x%d)", n)
		}
		b.WriteByte('\n')
		i += n
	}
	if b.Len() == 0 {
		return "(none)\n", nil
	}
	return b.String(), nil
}

// logLevel names each log level for "logs".
var logLevel = [...]string{monitor.Debug: "debug", monitor.Verbose: "verbose", monitor.Notice: "notice", monitor.Warning: "warning"}

func (e *env) logsCmd(s *sentinel) string {
	for _, x := range e.live() {
		if x.k.hasReady() {
			e.process(x, false)
		}
	}
	out := strings.Join(s.logs, "\n")
	s.logs = nil
	if out == "" {
		return "(none)\n"
	}
	return out + "\n"
}
