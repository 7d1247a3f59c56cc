package monitor_test

import (
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cockroachdb/datadriven"

	"github.com/sentinel-go/sentinel/monitor"
)

// TestInteraction runs the scripts of testdata/interaction in the style of etcd-io/raft's
// interaction tests (github.com/cockroachdb/datadriven; go test -run TestInteraction
// -rewrite rewrites the expected output, to be read as a diff before it is committed).
//
// A script drives sentinels (monitor.Core each), the simulation's fake Redis instances
// (sim.Fleet) and the network between them, on one clock that moves only when a command
// moves it. Names: sentinels s1..sN at 127.0.0.1:26379.., run ID 40 times their number;
// the master "mymaster" is instance m at 127.0.0.1:6379, replicas r1, r2, ... at 6380, ...
// Unless a command says it prints, it prints nothing.
//
//	sentinels 3 quorum=2 [replicas=2] [down-after=1000] [failover-timeout=180000] [known-peers]
//	        [parallel-syncs=1] [fast-retry] [protect-empty-restart] [minority-refuses]
//	        the world: N sentinels monitoring mymaster (times in ms); known-peers puts
//	        every peer in each one's config, as sentinel.conf's known-sentinel lines do;
//	        fast-retry, protect-empty-restart and minority-refuses are those sentinel
//	        options, on.
//	        Each sentinel's first Ready (+monitor, the links) is left pending.
//	tick [s1 ...] [1s]
//	        move the clock by the duration (100ms when none) and tick the sentinels named
//	        (all when none); links that are down are dialled again once a second. Nothing
//	        is delivered.
//	run 5s [trace]
//	        let time pass in 100 ms steps: instances replicate, all sentinels tick, and
//	        everything is delivered (stabilize) at every step. With trace, print every
//	        command sent (s1 -> m PING; one cut off by a partition arrives later),
//	        observation observed (s1 <- m PONG) and event carried out (s1: +sdown ...),
//	        stamped with the time since the start; traced events are not printed again
//	        by "events".
//	deliver [s1]
//	        one round: every pending Ready is carried out, then the observations and
//	        sends queued (of s1 only, when named) are delivered once.
//	stabilize
//	        deliver until nothing moves.
//	ready s1
//	        print s1's pending Ready (state changes against the last persisted state,
//	        links, sends, responses, events, logs, scripts, lookups) and carry it out;
//	        its events are not printed again by "events".
//	state s1
//	        print s1's persisted state (of the Readys carried out): myid, epochs, the
//	        masters with their votes, known replicas and sentinels.
//	events [s1]
//	        carry out every pending Ready, then print the events carried out since the
//	        last "events" (every sentinel's, each line prefixed by its name, when none).
//	request s1 [SENTINEL] <subcommand> <args...>
//	        a client's request: print its response (left in the pending Ready).
//	query s1 [SENTINEL] <subcommand> <args...>
//	        a read-only subcommand answered from a fresh view: print the answer.
//	hello s1
//	<payload>
//	        a hello PUBLISHed to s1 directly (peer to peer).
//	observe s1 info|ping|message <instance> [field:value ...]
//	<INFO lines | error text | hello payload>
//	        inject what the link to the instance brings: an INFO reply (the lines are the
//	        INFO text), a PING reply (PONG, or the error text), a Pub/Sub hello. Short
//	        input may stand on the directive line instead, a word a line (no "=" in it).
//	observe s1 linkdown <instance|sentinel> [pubsub]
//	        the connection (command by default) is gone; dialled again at the next tick,
//	        at most once a second.
//	fault m ping=BUSY|LOADING|MASTERDOWN|none
//	        what the instance answers to PING from now on.
//	kill <instance|sentinel> / restart <instance|sentinel> [fresh|empty]
//	        a process dies (its connections close) or starts again: an instance with a
//	        new run ID and its role (with empty: at once, as a master without data, a
//	        restart without persistence); a sentinel from its last persisted state, or with
//	        fresh from its initial config with a new run ID (its state file lost).
//	instance r1 [priority=N] [offset=N] [master=PORT] [role=master] [link=down|never]
//	        [min-replicas=N] [ignore-slaveof] [never-syncs] [knows-failover] [no-keyspace]
//	        make an instance the server a failover path needs: its replication offset
//	        (also its key count), following another master, promoted by someone else, its
//	        link just broken or never up since it became a replica, min-replicas-to-write
//	        set; a SLAVEOF it takes and ignores, a sync that never completes, FAILOVER TO
//	        served, INFO without Keyspace (the flags take =false to undo).
//	instances
//	        print every instance's role, master and replication link.
//	logs s1
//	        print the log lines s1's Readies carried out since the last "logs" (but those
//	        "ready" printed), each after its level (debug, verbose, notice, warning).
//	commands r1
//	        print the commands the instance executed since the last "commands" of it,
//	        but PING and PUBLISH, each prefixed by the sentinel that sent it (a run of
//	        one command is one line with its count).
//	pause s1 3s
//	        stop the sentinel's process (SIGSTOP) for the duration: it is not ticked and
//	        reads and sends nothing; what is sent to it waits. Its first tick after is late
//	        by the pause.
//	partition s1 m | s2 s3 r1 ...
//	        split the nodes into sides; nodes not named are on the first side. Traffic
//	        across sides waits (TCP keeps it) until heal; connections cannot be made.
//	heal    remove the partition.
func TestInteraction(t *testing.T) {
	datadriven.Walk(t, "testdata/interaction", func(t *testing.T, path string) {
		var e *env
		datadriven.RunTest(t, path, func(t *testing.T, td *datadriven.TestData) string {
			var out string
			var err error
			switch {
			case td.Cmd == "sentinels":
				e, out, err = newScriptEnv(td)
			case e == nil:
				td.Fatalf(t, "the script must start with sentinels")
			default:
				out, err = e.handle(td)
			}
			if err != nil {
				return "error: " + err.Error() + "\n"
			}
			return out
		})
	})
}

func newScriptEnv(td *datadriven.TestData) (*env, string, error) {
	o := setup{quorum: 2, replicas: 2, downAfter: time.Second, failoverTimeout: 180 * time.Second}
	for i, a := range td.CmdArgs {
		switch {
		case i == 0 && len(a.Vals) == 0:
			n, err := strconv.Atoi(a.Key)
			if err != nil {
				return nil, "", fmt.Errorf("sentinels: count %q", a.Key)
			}
			o.sentinels = n
		case a.Key == "known-peers":
			o.knownPeers = true
		case a.Key == "fast-retry":
			o.fastRetry = true
		case a.Key == "protect-empty-restart":
			o.protectEmptyRestart = true
		case a.Key == "minority-refuses":
			o.minorityRefuses = true
		case len(a.Vals) == 1:
			n, err := strconv.Atoi(a.Vals[0])
			if err != nil {
				return nil, "", fmt.Errorf("sentinels: %s=%q", a.Key, a.Vals[0])
			}
			switch a.Key {
			case "quorum":
				o.quorum = n
			case "replicas":
				o.replicas = n
			case "down-after":
				o.downAfter = time.Duration(n) * time.Millisecond
			case "failover-timeout":
				o.failoverTimeout = time.Duration(n) * time.Millisecond
			case "parallel-syncs":
				o.parallelSyncs = n
			default:
				return nil, "", fmt.Errorf("sentinels: unknown option %s", a.Key)
			}
		default:
			return nil, "", fmt.Errorf("sentinels: unknown argument %s", a)
		}
	}
	e, err := newEnv(o)
	return e, "", err
}

// words gives the directive's arguments back as the words they were written as.
func words(td *datadriven.TestData) []string {
	out := make([]string, 0, len(td.CmdArgs))
	for _, a := range td.CmdArgs {
		out = append(out, a.String())
	}
	return out
}

func (e *env) handle(td *datadriven.TestData) (string, error) {
	args := words(td)
	switch td.Cmd {
	case "tick":
		return "", e.tickCmd(args)
	case "run":
		if len(args) > 0 && args[len(args)-1] == "trace" {
			args = args[:len(args)-1]
			e.tr = &strings.Builder{}
			defer func() { e.tr = nil }()
		}
		d, err := duration(args)
		if err != nil {
			return "", err
		}
		err = e.run(d)
		if e.tr != nil {
			return e.tr.String(), err
		}
		return "", err
	case "deliver":
		var only *sentinel
		if len(args) > 0 {
			if only = e.sentinel(args[0]); only == nil {
				return "", fmt.Errorf("no sentinel %s", args[0])
			}
		}
		e.round(only)
		return "", nil
	case "stabilize":
		return "", e.stabilize()
	case "ready":
		s, err := e.liveSentinel(args)
		if err != nil {
			return "", err
		}
		return e.readyCmd(s), nil
	case "logs":
		s, err := e.liveSentinel(args)
		if err != nil {
			return "", err
		}
		return e.logsCmd(s), nil
	case "events":
		return e.eventsCmd(args)
	case "state":
		s := e.sentinel(strings.Join(args, ""))
		if s == nil {
			return "", fmt.Errorf("name a sentinel")
		}
		return strings.Join(stateLines(s.persisted), "\n") + "\n", nil
	case "request", "query":
		s, err := e.liveSentinel(args)
		if err != nil {
			return "", err
		}
		sub := args[1:]
		if len(sub) > 0 && strings.EqualFold(sub[0], "SENTINEL") {
			sub = sub[1:]
		}
		if len(sub) == 0 {
			return "", fmt.Errorf("%s: no subcommand", td.Cmd)
		}
		if td.Cmd == "query" {
			return s.k.query(e.now, sub).String() + "\n", nil
		}
		e.nextReq++
		id := e.nextReq
		s.k.request(e.now, id, sub)
		for _, r := range s.k.ready().Responses {
			if r.ID == id {
				return r.Value.String() + "\n", nil
			}
		}
		return "(no response yet)\n", nil
	case "hello":
		s, err := e.liveSentinel(args)
		if err != nil {
			return "", err
		}
		s.k.hello(e.now, strings.TrimSpace(td.Input))
		return "", nil
	case "observe":
		return e.observeCmd(args, td.Input)
	case "fault":
		return "", e.faultCmd(args)
	case "instance":
		return "", e.instanceCmd(args)
	case "instances":
		return e.instancesCmd(), nil
	case "commands":
		return e.commandsCmd(args)
	case "kill", "restart":
		return "", e.processCmd(td.Cmd, args)
	case "pause":
		s, err := e.liveSentinel(args)
		if err != nil {
			return "", err
		}
		d, err := duration(args[1:])
		if err != nil {
			return "", err
		}
		s.pausedUntil = e.now.Add(d)
		return "", nil
	case "partition":
		e.partition(args)
		return "", nil
	case "heal":
		e.side = map[string]int{}
		e.fleet.Heal()
		return "", nil
	}
	return "", fmt.Errorf("unknown command %s", td.Cmd)
}

func duration(args []string) (time.Duration, error) {
	if len(args) != 1 {
		return 0, fmt.Errorf("want one duration, got %q", args)
	}
	return time.ParseDuration(args[0])
}

func (e *env) liveSentinel(args []string) (*sentinel, error) {
	if len(args) == 0 {
		return nil, fmt.Errorf("name a sentinel")
	}
	s := e.sentinel(args[0])
	switch {
	case s == nil:
		return nil, fmt.Errorf("no sentinel %s", args[0])
	case s.k == nil:
		return nil, fmt.Errorf("%s is dead", args[0])
	}
	return s, nil
}

func (e *env) tickCmd(args []string) error {
	d := tickStep
	var only []*sentinel
	for _, a := range args {
		if s := e.sentinel(a); s != nil {
			only = append(only, s)
			continue
		}
		var err error
		if d, err = time.ParseDuration(a); err != nil {
			return fmt.Errorf("tick: %q is neither a sentinel nor a duration", a)
		}
	}
	e.tick(d, only)
	return nil
}

func (e *env) readyCmd(s *sentinel) string {
	rd := s.k.ready()
	var b strings.Builder
	section := func(name string, lines []string) {
		if len(lines) == 0 {
			return
		}
		b.WriteString(name + ":\n")
		for _, l := range lines {
			b.WriteString("  " + l + "\n")
		}
	}
	if rd.State != nil {
		section("state", stateDiff(s.persisted, rd.State))
		if len(stateDiff(s.persisted, rd.State)) == 0 {
			b.WriteString("state: (unchanged)\n")
		}
	}
	var lines []string
	for _, lc := range rd.Links {
		op := [...]string{"open", "close", "reconnect"}[lc.Op]
		if lc.Op == monitor.LinkReconnect {
			op += " " + lc.Kind.String()
		}
		lines = append(lines, op+" "+e.nodeName(lc.Spec.Addr))
	}
	section("links", lines)
	lines = nil
	for _, snd := range rd.Sends {
		lines = append(lines, e.nodeName(snd.Addr)+" "+strings.Join(snd.Args, " "))
	}
	section("sends", lines)
	lines = nil
	for _, r := range rd.Responses {
		lines = append(lines, fmt.Sprintf("#%d %s", r.ID, r.Value))
	}
	section("responses", lines)
	lines = nil
	for _, ev := range rd.Events {
		lines = append(lines, ev.String())
	}
	section("events", lines)
	lines = nil
	for _, l := range rd.Logs {
		lines = append(lines, l.Text)
	}
	section("logs", lines)
	lines = nil
	for _, sc := range rd.Scripts {
		lines = append(lines, sc.Path+" "+strings.Join(sc.Args, " "))
	}
	section("scripts", lines)
	lines = nil
	for _, l := range rd.Lookups {
		lines = append(lines, fmt.Sprintf("%d %s", l.Kind, l.Name))
	}
	section("lookups", lines)
	if rd.Crash {
		b.WriteString("crash\n")
	}
	if b.Len() == 0 {
		b.WriteString("(empty)\n")
	}
	e.process(s, true)
	return b.String()
}

func (e *env) eventsCmd(args []string) (string, error) {
	for _, s := range e.live() {
		if s.k.hasReady() {
			e.process(s, false)
		}
	}
	list := e.sentinels
	prefix := true
	if len(args) > 0 {
		s := e.sentinel(args[0])
		if s == nil {
			return "", fmt.Errorf("no sentinel %s", args[0])
		}
		list, prefix = []*sentinel{s}, false
	}
	var b strings.Builder
	for _, s := range list {
		for _, ev := range s.events {
			if prefix {
				b.WriteString(s.name + ": ")
			}
			b.WriteString(ev + "\n")
		}
		s.events = nil
	}
	if b.Len() == 0 {
		return "(none)\n", nil
	}
	return b.String(), nil
}

// target names what the sentinel's link at an instance or peer is, for observations.
func (e *env) target(s *sentinel, name string) (addr string, tag monitor.Tag, err error) {
	if r := e.fleet.Instance(name); r != nil {
		tag = monitor.Tag{Master: e.master, Name: r.Addr}
		if name == "m" {
			tag.Name = e.master
		}
		return r.Addr, tag, nil
	}
	if p := e.sentinel(name); p != nil {
		return p.addr, monitor.Tag{Master: e.master, Name: p.id}, nil
	}
	return "", tag, fmt.Errorf("no instance or sentinel %s", name)
}

func (e *env) observeCmd(args []string, input string) (string, error) {
	s, err := e.liveSentinel(args)
	if err != nil {
		return "", err
	}
	if len(args) < 3 {
		return "", fmt.Errorf("observe s1 info|ping|message|linkdown <name>")
	}
	addr, tag, err := e.target(s, args[2])
	if err != nil {
		return "", err
	}
	l := s.links[addr]
	if l == nil {
		return "", fmt.Errorf("%s has no link to %s", s.name, args[2])
	}
	input = strings.TrimSpace(input)
	if input == "" && len(args) > 3 && args[1] != "linkdown" {
		input = strings.Join(args[3:], "\n") // fields on the directive line
	}
	gen := l.gen[monitor.CmdLink]
	var o monitor.Observation
	switch args[1] {
	case "info":
		tag.Kind = monitor.TagInfo
		o = monitor.Reply{Addr: addr, Gen: gen, Tag: tag, Value: strings.ReplaceAll(input, "\n", "\r\n") + "\r\n"}
	case "ping":
		r := monitor.Reply{Addr: addr, Gen: gen, Tag: monitor.Tag{Kind: monitor.TagPing}, Value: "PONG"}
		if input != "" && input != "PONG" {
			r.Value, r.Err = nil, input
		}
		o = r
	case "message":
		o = monitor.Message{Addr: addr, Gen: l.gen[monitor.PubSubLink], Channel: "__sentinel__:hello", Payload: input}
	case "linkdown":
		k := monitor.CmdLink
		if len(args) > 3 && args[3] == "pubsub" {
			k = monitor.PubSubLink
		}
		o = monitor.LinkDown{Addr: addr, Kind: k, Gen: l.gen[k], Err: "connection reset", PeerClosed: true}
		l.gen[k] = 0
	default:
		return "", fmt.Errorf("observe: unknown kind %s", args[1])
	}
	s.k.observe(e.now, o)
	return "", nil
}

var pingErrors = map[string]string{
	"BUSY":       "BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.",
	"LOADING":    "LOADING Redis is loading the dataset in memory",
	"MASTERDOWN": "MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to 'no'.",
	"none":       "",
}

func (e *env) faultCmd(args []string) error {
	if len(args) != 2 {
		return fmt.Errorf("fault <instance> ping=<error>")
	}
	r := e.fleet.Instance(args[0])
	if r == nil {
		return fmt.Errorf("no instance %s", args[0])
	}
	k, v, _ := strings.Cut(args[1], "=")
	text, ok := pingErrors[v]
	if k != "ping" || !ok {
		return fmt.Errorf("fault: want ping=BUSY|LOADING|MASTERDOWN|none, got %s", args[1])
	}
	r.PingError = text
	return nil
}

func (e *env) processCmd(cmd string, args []string) error {
	if len(args) == 0 {
		return fmt.Errorf("%s what", cmd)
	}
	if r := e.fleet.Instance(args[0]); r != nil {
		switch {
		case cmd == "kill":
			e.fleet.Kill(r)
			e.dropAll(r.Addr)
		case len(args) > 1 && args[1] == "empty":
			e.fleet.RestartEmpty(r)
			e.dropAll(r.Addr)
		default:
			e.fleet.Restart(r)
		}
		return nil
	}
	s := e.sentinel(args[0])
	if s == nil {
		return fmt.Errorf("no instance or sentinel %s", args[0])
	}
	if cmd == "kill" {
		if s.k != nil {
			e.kill(s)
		}
		return nil
	}
	if s.k != nil {
		return fmt.Errorf("%s is running", s.name)
	}
	cfg := s.persisted.Clone()
	if len(args) > 1 && args[1] == "fresh" {
		cfg = s.initial.Clone()
		s.id = runID(e.nextID)
		e.nextID++
		cfg.MyID = s.id
	}
	return e.start(s, cfg)
}

func (e *env) partition(args []string) {
	e.side = map[string]int{}
	sides := map[string]int{}
	side := 0
	for _, a := range args {
		if a == "|" {
			side++
			continue
		}
		e.side[a] = side
		if e.fleet.Instance(a) != nil {
			sides[a] = side
		}
	}
	e.fleet.Partition(sides)
}
