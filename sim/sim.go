package sim

import (
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/sentinel-go/sentinel/config"
	"github.com/sentinel-go/sentinel/internal/resp"
	"github.com/sentinel-go/sentinel/monitor"
	"github.com/sentinel-go/sentinel/query"
)

// Options shape one simulation. Zero values are drawn from the seed, so one seed alone
// names a whole run: topology, timings, faults and every delay.
type Options struct {
	Seed uint64

	Sentinels int // 1 to 5 when zero
	Masters   int // master groups; 1 or 2 when zero
	Replicas  int // replicas per master; 1 to 3 when zero
	Quorum    int // per master; drawn from 1 to Sentinels when zero

	// FaultPhase is how long faults are injected (60 to 100 s when zero); then everything
	// heals and the run waits up to Settle (180 s when zero) for the sentinels and the
	// instances to agree.
	FaultPhase time.Duration
	Settle     time.Duration

	// TraceLines is how many of the last trace lines a failure shows (300 when zero).
	TraceLines int

	// ProtectEmptyRestart turns on every sentinel's protect-empty-restart (scripted runs
	// only: the random runs never draw it, so their seeds replay as before).
	ProtectEmptyRestart bool

	// ReplaceSentinels adds the fault "replace-sentinel": a crashed sentinel is retired for
	// good and a successor without its state (a new run ID, a new address, no known peers)
	// takes its place, as a pod restarted without its volume. Off by default: the random
	// runs' schedules stay as they were, and its ghosts are what forget-after's hazard
	// (monitor/forget.go) is about.
	ReplaceSentinels bool

	// FullTicks makes every core visit every master at every tick (monitor.WithFullTicks),
	// the reference TestQuietTicksSameTrace compares the cores' skipping ticks with.
	FullTicks bool

	// Events, when set, is handed every event of every sentinel as the driver would
	// publish it, at the simulated time (Now): what a test counts from them, the daemon
	// counts from its own.
	Events func(n *Sentinel, e monitor.Event)
}

// Group is one monitored master name with its instances.
type Group struct {
	Index           int
	Name            string
	Quorum          int
	DownAfter       time.Duration
	FailoverTimeout time.Duration
	ParallelSyncs   int
	ForgetAfter     time.Duration // 0 on most seeds
	Instances       []*Instance
}

// node is anything with an address on the network.
type node struct {
	name     string
	addr     string
	sentinel *Sentinel
	redis    *Instance
	srvConns []*conn // connections accepted by this node, in accept order
	// pausedUntil: the process is stopped (SIGSTOP) until then. It reads and sends nothing;
	// what is sent to it waits in the pipes, as in the socket buffers.
	pausedUntil time.Time
}

func (nd *node) alive() bool {
	if nd.redis != nil {
		return nd.redis.Alive
	}
	return nd.sentinel.Alive
}

// Sim is one deterministic simulation: sentinels, fake Redis instances, the network between
// them, a virtual clock, and the checker. Everything runs on the caller's goroutine.
type Sim struct {
	opts   Options
	rng    *rand.Rand
	now    time.Time
	start  time.Time
	agenda agenda
	seq    uint64

	nodes     []*node
	byAddr    map[string]int
	replaced  int   // sentinels replaced so far (ReplaceSentinel): names and addresses of successors
	side      []int // partition side per node
	net       netParams
	normalNet netParams

	Sentinels []*Sentinel
	instances []*Instance
	Groups    []*Group
	FastRetry bool
	// MinorityRefuses is drawn from its own generator (as is the schedule of the clients'
	// GET-MASTER-ADDR-BY-NAME), so adding it left every seed's topology and faults as
	// they were.
	MinorityRefuses bool
	qrng            *rand.Rand

	check *Checker
	stats Stats
	err   error
	trace []string // ring
	tpos  int

	lastDisturb time.Time // last fault, restart or heal: liveness is judged only in calm
	netToken    int       // invalidates a pending restore of network conditions
	calmUntil   time.Time // no faults before this (a forced failover is announcing itself)
}

// Stats counts what happened in a run.
type Stats struct {
	Seeds         int
	Steps         int
	VirtualTime   time.Duration
	Faults        int
	Resets        int
	Attempts      int // +try-failover
	Manual        int // of which SENTINEL FAILOVER
	Elected       int
	NotElected    int // -failover-abort-not-elected
	SplitVotes    int // ... of which the votes of the epoch went to more than one candidate
	NoGoodSlave   int
	SlaveTimeout  int
	Promotions    int
	FailoverEnds  int
	Switches      int
	ConfigUpdates int
	Conversions   int // +convert-to-slave
	// FastConversions are the conversions the fast path made (the core's settledAgainst).
	FastConversions int
	Tilts           int           // +tilt
	AddrAnswers     int           // GET-MASTER-ADDR-BY-NAME answered with an address
	AddrRefusals    int           // ... refused (minority-refuses)
	ODownChecks     int           // times the liveness check found its conditions and checked
	SettleTime      time.Duration // longest time to agree after the heal
}

// Add accumulates b into a.
func (a *Stats) Add(b Stats) {
	settle := max(a.SettleTime, b.SettleTime)
	a.Seeds += b.Seeds
	a.Steps += b.Steps
	a.VirtualTime += b.VirtualTime
	a.Faults += b.Faults
	a.Resets += b.Resets
	a.Attempts += b.Attempts
	a.Manual += b.Manual
	a.Elected += b.Elected
	a.NotElected += b.NotElected
	a.SplitVotes += b.SplitVotes
	a.NoGoodSlave += b.NoGoodSlave
	a.SlaveTimeout += b.SlaveTimeout
	a.Promotions += b.Promotions
	a.FailoverEnds += b.FailoverEnds
	a.Switches += b.Switches
	a.ConfigUpdates += b.ConfigUpdates
	a.Conversions += b.Conversions
	a.FastConversions += b.FastConversions
	a.Tilts += b.Tilts
	a.AddrAnswers += b.AddrAnswers
	a.AddrRefusals += b.AddrRefusals
	a.ODownChecks += b.ODownChecks
	a.SettleTime = settle
}

// SplitVoteRate is the fraction of failover attempts that ended -failover-abort-not-elected
// with the epoch's votes split between candidates.
func (a Stats) SplitVoteRate() float64 {
	if a.Attempts == 0 {
		return 0
	}
	return float64(a.SplitVotes) / float64(a.Attempts)
}

func (a Stats) String() string {
	return fmt.Sprintf("seeds %d, virtual %v, steps %d, faults %d, resets %d; attempts %d (manual %d): elected %d, "+
		"not elected %d (split votes %d, rate %.4f), no good slave %d, slave timeout %d; promotions %d, "+
		"failover ends %d, switches %d, config updates %d, conversions %d (fast %d); tilts %d, odown checks %d; "+
		"addresses answered %d, refused %d; longest settle %v",
		a.Seeds, a.VirtualTime.Round(time.Second), a.Steps, a.Faults, a.Resets, a.Attempts, a.Manual, a.Elected,
		a.NotElected, a.SplitVotes, a.SplitVoteRate(), a.NoGoodSlave, a.SlaveTimeout, a.Promotions,
		a.FailoverEnds, a.Switches, a.ConfigUpdates, a.Conversions, a.FastConversions, a.Tilts, a.ODownChecks,
		a.AddrAnswers, a.AddrRefusals, a.SettleTime)
}

// Failure is a violated invariant, with what replays it.
type Failure struct {
	Seed  uint64
	At    time.Duration // virtual time since the start
	Msg   string
	Trace []string
}

func (f *Failure) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "seed %d: at %v: %s\nreplay: go test ./sim -run TestSimulation -seed=%d -v\nlast %d trace lines:\n",
		f.Seed, f.At, f.Msg, f.Seed, len(f.Trace))
	for _, l := range f.Trace {
		b.WriteString("  ")
		b.WriteString(l)
		b.WriteByte('\n')
	}
	return b.String()
}

// New builds a simulation from its options; the topology is drawn from the seed.
func New(o Options) *Sim {
	if o.TraceLines == 0 {
		o.TraceLines = 300
	}
	rng := rand.New(rand.NewPCG(o.Seed, o.Seed^0x9e3779b97f4a7c15))
	pick := func(n int, choices ...int) int {
		if n != 0 {
			return n
		}
		return choices[rng.IntN(len(choices))]
	}
	o.Sentinels = pick(o.Sentinels, 1, 2, 3, 3, 3, 3, 4, 5, 5, 5)
	o.Masters = pick(o.Masters, 1, 1, 1, 2)
	o.Replicas = pick(o.Replicas, 1, 2, 2, 3, 3)
	if o.FaultPhase == 0 {
		o.FaultPhase = 60*time.Second + time.Duration(rng.Int64N(int64(40*time.Second)))
	}
	if o.Settle == 0 {
		o.Settle = 180 * time.Second
	}
	s := &Sim{
		opts: o, rng: rng, byAddr: map[string]int{},
		now:       time.Unix(1_800_000_000, 0).UTC(),
		normalNet: netParams{minDelay: 200 * time.Microsecond, maxDelay: time.Duration(1+rng.IntN(20)) * time.Millisecond},
		FastRetry: rng.IntN(2) == 0,
		trace:     make([]string, 0, o.TraceLines),
	}
	s.qrng = rand.New(rand.NewPCG(o.Seed, 0x6d696e6f72697479))
	s.MinorityRefuses = s.qrng.IntN(2) == 0
	// A stream of its own, so that the seeds' other choices stay what they were.
	frng := rand.New(rand.NewPCG(o.Seed, 0x666f72676574))
	s.start = s.now
	s.net = s.normalNet
	s.check = newChecker(s)

	for g := range o.Masters {
		grp := &Group{
			Index: g, Name: fmt.Sprintf("m%d", g),
			Quorum:          1 + rng.IntN(o.Sentinels),
			DownAfter:       time.Duration(1000+500*rng.IntN(3)) * time.Millisecond,
			FailoverTimeout: time.Duration(2+rng.IntN(5)) * time.Second,
			ParallelSyncs:   1 + rng.IntN(2),
		}
		if frng.IntN(3) == 0 {
			grp.ForgetAfter = config.MinForgetAfter + time.Duration(frng.IntN(6))*time.Second
		}
		if rng.IntN(2) == 0 { // more often a majority quorum, as deployed
			grp.Quorum = o.Sentinels/2 + 1
		}
		if o.Quorum > 0 {
			grp.Quorum = o.Quorum
		}
		for j := range o.Replicas + 1 {
			r := &Instance{
				s: s, Name: fmt.Sprintf("r%d.%d", g, j), Group: g,
				IP: fmt.Sprintf("10.0.%d.%d", g+1, j+1), Port: 6379,
				Alive: true, RunID: s.hexID(), Priority: 100, Role: "slave",
			}
			r.Addr = joinHostPort(r.IP, r.Port)
			switch x := rng.IntN(10); {
			case x == 0:
				r.Priority = 0
			case x < 3:
				r.Priority = []int{10, 50, 150}[rng.IntN(3)]
			}
			if j == 0 {
				r.Role = "master"
			}
			grp.Instances = append(grp.Instances, r)
			s.instances = append(s.instances, r)
			r.node = s.addNode(&node{name: r.Name, addr: r.Addr, redis: r})
		}
		for _, r := range grp.Instances[1:] {
			r.MasterHost, r.MasterPort, r.LinkUp = grp.Instances[0].IP, grp.Instances[0].Port, true
		}
		s.Groups = append(s.Groups, grp)
	}

	knownPeers := rng.IntN(2) == 0
	for i := range o.Sentinels {
		n := &Sentinel{
			s: s, Name: fmt.Sprintf("s%d", i+1), IP: fmt.Sprintf("10.0.0.%d", i+1), Port: 26379,
			RunID: s.hexID(), Store: &MemStore{},
		}
		n.Addr = joinHostPort(n.IP, n.Port)
		n.node = s.addNode(&node{name: n.Name, addr: n.Addr, sentinel: n})
		s.Sentinels = append(s.Sentinels, n)
	}
	for _, n := range s.Sentinels {
		cfg := config.Default()
		cfg.MyID = n.RunID
		cfg.Port = n.Port
		cfg.FastRetry = s.FastRetry
		cfg.MinorityRefuses = s.MinorityRefuses
		cfg.ProtectEmptyRestart = o.ProtectEmptyRestart
		for _, g := range s.Groups {
			mc := config.NewMaster(g.Name, g.Instances[0].IP, g.Instances[0].Port, g.Quorum)
			mc.DownAfter, mc.FailoverTimeout, mc.ParallelSyncs = g.DownAfter, g.FailoverTimeout, g.ParallelSyncs
			mc.ForgetAfter = g.ForgetAfter
			if knownPeers {
				for _, p := range s.Sentinels {
					if p != n {
						mc.KnownSentinels = append(mc.KnownSentinels, config.KnownSentinel{
							Addr: config.Addr{Host: p.IP, Port: p.Port}, RunID: p.RunID})
					}
				}
			}
			cfg.Masters = append(cfg.Masters, mc)
		}
		n.initial = cfg.Clone()
	}
	s.tracef("topology: %d sentinels, quorum %s, %d master(s) with %d replicas, fast-retry %v, minority-refuses %v, known peers %v, delay ≤%v",
		o.Sentinels, s.quorums(), o.Masters, o.Replicas, s.FastRetry, s.MinorityRefuses, knownPeers, s.normalNet.maxDelay)
	for _, g := range s.Groups {
		var inst []string
		for _, r := range g.Instances {
			inst = append(inst, fmt.Sprintf("%s=%s/prio %d/%s", r.Name, r.Addr, r.Priority, short(r.RunID)))
		}
		s.tracef("  %s: down-after %v, failover-timeout %v, parallel-syncs %d, forget-after %v: %s",
			g.Name, g.DownAfter, g.FailoverTimeout, g.ParallelSyncs, g.ForgetAfter, strings.Join(inst, " "))
	}
	for _, n := range s.Sentinels {
		s.tracef("  %s=%s id %s", n.Name, n.Addr, short(n.RunID))
	}
	return s
}

func (s *Sim) quorums() string {
	var q []string
	for _, g := range s.Groups {
		q = append(q, fmt.Sprint(g.Quorum))
	}
	return strings.Join(q, ",")
}

// paused reports whether node i is stopped now, and until when.
func (s *Sim) paused(i int) (bool, time.Time) {
	until := s.nodes[i].pausedUntil
	return s.now.Before(until), until
}

// Pause stops a process (SIGSTOP) for d: a sentinel stopped for more than 2 s enters TILT
// when it resumes; a master stopped longer than down-after is failed over though alive.
func (s *Sim) Pause(name string, d time.Duration) {
	for _, nd := range s.nodes {
		if nd.name == name && nd.alive() {
			nd.pausedUntil = s.now.Add(d)
			s.tracef("PAUSE %s for %v", name, d)
			s.disturb()
			s.at(nd.pausedUntil, func() { s.tracef("RESUME %s", name); s.disturb() })
		}
	}
}

func (s *Sim) addNode(nd *node) int {
	s.nodes = append(s.nodes, nd)
	s.side = append(s.side, 0)
	s.byAddr[nd.addr] = len(s.nodes) - 1
	return len(s.nodes) - 1
}

func (s *Sim) hexID() string {
	var b [20]byte
	for i := range b {
		b[i] = byte(s.rng.UintN(256))
	}
	return hex.EncodeToString(b[:])
}

func (s *Sim) group(name string) *Group {
	for _, g := range s.Groups {
		if g.Name == name {
			return g
		}
	}
	return nil
}

// Start boots every sentinel (each at its own moment within the first 100 ms) and the
// replication loop.
func (s *Sim) Start() {
	for _, n := range s.Sentinels {
		s.after(time.Duration(s.rng.Int64N(int64(100*time.Millisecond))), func() {
			if err := n.start(n.initial.Clone()); err != nil {
				s.fail(fmt.Sprintf("%s: start: %v", n.Name, err))
			}
		})
	}
	s.after(100*time.Millisecond, s.replicate)
	s.after(time.Second, s.periodic)
	s.after(time.Second, s.askAddr)
}

// checkNoRefusal: healed and agreed for 10 s, every sentinel reaches every peer, so none
// may still refuse GET-MASTER-ADDR-BY-NAME.
func (s *Sim) checkNoRefusal() {
	for _, n := range s.Sentinels {
		for _, g := range s.Groups {
			if !n.Alive || n.view == nil {
				continue // without minority-refuses, nothing to check
			}
			var w resp.Writer
			query.Answer(n.view, s.now, &w, "get-master-addr-by-name", [][]byte{[]byte("get-master-addr-by-name"), []byte(g.Name)})
			if _, errText, _ := parseReply(w.Bytes()); errText != "" {
				s.fail(fmt.Sprintf("%s: GET-MASTER-ADDR-BY-NAME %s 10 s after agreement: %s", n.Name, g.Name, errText))
				return
			}
		}
	}
}

// askAddr is a client asking a random running sentinel GET-MASTER-ADDR-BY-NAME of a random
// group, every 50 to 500 ms, from the view that sentinel last published (as the driver's
// endpoint answers); an address is checked against what the sentinel had reached.
func (s *Sim) askAddr() {
	s.at(s.now.Add(time.Duration(50+s.qrng.IntN(450))*time.Millisecond), s.askAddr)
	n := s.Sentinels[s.qrng.IntN(len(s.Sentinels))]
	g := s.Groups[s.qrng.IntN(len(s.Groups))]
	if stopped, _ := s.paused(n.node); !n.Alive || stopped {
		return
	}
	view := n.view
	if !s.MinorityRefuses {
		view = n.Core.View()
	}
	if view == nil {
		return
	}
	if mv := view.Master(g.Name); mv != nil {
		s.checkRTT(n, mv)
	}
	var w resp.Writer
	query.Answer(view, s.now, &w, "get-master-addr-by-name", [][]byte{[]byte("get-master-addr-by-name"), []byte(g.Name)})
	v, errText, err := parseReply(w.Bytes())
	switch {
	case err != nil:
		s.fail(fmt.Sprintf("%s: unparsable GET-MASTER-ADDR-BY-NAME reply %q: %v", n.Name, w.Bytes(), err))
	case errText != "":
		if !s.MinorityRefuses || !strings.HasPrefix(errText, "NOQUORUM ") {
			s.fail(fmt.Sprintf("%s: GET-MASTER-ADDR-BY-NAME %s: %s", n.Name, g.Name, errText))
			return
		}
		s.stats.AddrRefusals++
	case v != nil:
		s.stats.AddrAnswers++
		if s.MinorityRefuses {
			s.check.addrAnswered(n, view.Master(g.Name), v)
		}
	}
}

// Run plays the whole seeded scenario: a warm-up, random faults for the fault phase, then
// everything heals and the run waits for agreement. It returns the first violation.
func (s *Sim) Run() error {
	s.Start()
	faultEnd := s.start.Add(s.opts.FaultPhase)
	s.after(5*time.Second+time.Duration(s.rng.Int64N(int64(5*time.Second))), func() { s.faultStep(faultEnd) })
	s.RunUntil(faultEnd)
	if s.err == nil {
		s.HealAll()
		healAt := s.now
		deadline := s.now.Add(s.opts.Settle)
		agreedSince := time.Time{}
		for s.err == nil {
			s.Advance(time.Second)
			if s.err != nil {
				break
			}
			// A supervisor restarts a sentinel that crashed since (a SIMULATE-FAILURE asked
			// for before the heal).
			for _, n := range s.Sentinels {
				s.RestartSentinel(n)
			}
			ok, why := s.Agreement()
			switch {
			case !ok:
				agreedSince = time.Time{}
				if !s.now.Before(deadline) {
					s.fail(fmt.Sprintf("no agreement %v after the heal: %s", s.opts.Settle, why))
				}
				continue
			case agreedSince.IsZero():
				agreedSince = s.now
			}
			// Agreement must last, not flicker past: hold it for 10 s.
			if s.now.Sub(agreedSince) >= 10*time.Second {
				s.stats.SettleTime = agreedSince.Sub(healAt)
				s.checkNoRefusal()
				break
			}
		}
	}
	s.stats.Seeds = 1
	s.stats.VirtualTime = s.now.Sub(s.start)
	return s.err
}

// Instances lists the fake Redis instances, group by group.
func (s *Sim) Instances() []*Instance { return s.instances }

// Instance finds an instance by name ("r0.1": group 0, instance 1; r<g>.0 starts as master).
func (s *Sim) Instance(name string) *Instance {
	for _, r := range s.instances {
		if r.Name == name {
			return r
		}
	}
	return nil
}

// Sentinel finds a sentinel by name ("s1").
func (s *Sim) Sentinel(name string) *Sentinel {
	for _, n := range s.Sentinels {
		if n.Name == name {
			return n
		}
	}
	return nil
}

// Err is the first violation, nil while none.
func (s *Sim) Err() error { return s.err }

// Stats reports the counters of the run so far.
func (s *Sim) Stats() Stats { return s.stats }

// fail records the first violation; the agenda stops there.
func (s *Sim) fail(msg string) {
	if s.err != nil {
		return
	}
	s.tracef("VIOLATION %s", msg)
	s.err = &Failure{Seed: s.opts.Seed, At: s.now.Sub(s.start), Msg: msg, Trace: s.Trace()}
}

// tracef adds a line to the trace ring, stamped with the virtual time.
func (s *Sim) tracef(format string, args ...any) {
	line := fmt.Sprintf("%9.3f ", s.now.Sub(s.start).Seconds()) + fmt.Sprintf(format, args...)
	if len(s.trace) < cap(s.trace) {
		s.trace = append(s.trace, line)
		return
	}
	s.trace[s.tpos] = line
	s.tpos = (s.tpos + 1) % len(s.trace)
}

// Trace returns the last trace lines, oldest first.
func (s *Sim) Trace() []string {
	out := make([]string, 0, len(s.trace))
	out = append(out, s.trace[s.tpos:]...)
	return append(out, s.trace[:s.tpos]...)
}

// disturb marks a change in the world: liveness is judged only after a calm period.
func (s *Sim) disturb() { s.lastDisturb = s.now }

// periodic runs the once-a-second liveness check.
func (s *Sim) periodic() {
	s.checkODown()
	s.after(time.Second, s.periodic)
}

// Partition splits the nodes: nodes on different sides cannot exchange anything.
func (s *Sim) Partition(sides map[string]int) {
	var desc []string
	for i, nd := range s.nodes {
		s.side[i] = sides[nd.name]
		if s.side[i] != 0 {
			desc = append(desc, nd.name)
		}
	}
	s.tracef("PARTITION {%s} from the rest", strings.Join(desc, " "))
	s.disturb()
}

// Heal removes every partition.
func (s *Sim) Heal() {
	for i := range s.side {
		s.side[i] = 0
	}
	s.tracef("HEAL partitions")
	s.disturb()
}

func (s *Sim) partitioned() bool {
	for _, x := range s.side {
		if x != 0 {
			return true
		}
	}
	return false
}

// HealAll ends every fault: partitions, bad network, dead processes.
func (s *Sim) HealAll() {
	s.tracef("HEAL ALL")
	s.Heal()
	for _, nd := range s.nodes {
		nd.pausedUntil = time.Time{}
	}
	s.netToken++
	s.net = s.normalNet
	for _, r := range s.instances {
		s.RestartInstance(r)
	}
	for _, n := range s.Sentinels {
		n.dieAfterSave = false
		s.RestartSentinel(n)
	}
}

// Agreement reports whether every sentinel names the same address for each master, with the
// same config epoch, which is the newest promotion's (if any), and whether the instances
// agree: that one is a live master, every other one a live replica of it with its link up.
func (s *Sim) Agreement() (bool, string) {
	for _, g := range s.Groups {
		var addr string
		var epoch uint64
		for i, n := range s.Sentinels {
			if !n.Alive {
				return false, n.Name + " is down"
			}
			mc := n.Core.Config().Master(g.Name)
			a := joinHostPort(mc.Host, mc.Port)
			if i == 0 {
				addr, epoch = a, mc.ConfigEpoch
			} else if a != addr || mc.ConfigEpoch != epoch {
				return false, fmt.Sprintf("%s: %s says %s@%d, %s says %s@%d", g.Name,
					s.Sentinels[0].Name, addr, epoch, n.Name, a, mc.ConfigEpoch)
			}
		}
		var newest uint64
		promoted := ""
		for key, p := range s.check.promotions {
			if key.master == g.Name && key.epoch >= newest {
				newest, promoted = key.epoch, p
			}
		}
		if newest > 0 && (epoch != newest || addr != promoted) {
			// Not waiting for this: a config epoch never changes hands without a newer
			// promotion, so disagreement with the newest one is final.
			s.fail(fmt.Sprintf("%s: the sentinels agree on %s@%d but the newest promotion is %s@%d",
				g.Name, addr, epoch, promoted, newest))
			return false, "violation"
		}
		if why := s.connected(g); why != "" {
			return false, why
		}
		for _, r := range g.Instances {
			switch {
			case g.ForgetAfter != 0 && r.Addr != addr && s.forgottenByAll(g, r):
				// Out of the deployment by the operator's choice: no sentinel will ever
				// reconfigure a replica none of them knows (see README, forget-after).
			case !r.Alive:
				return false, r.Name + " is down"
			case r.Addr == addr && r.Role != "master":
				return false, fmt.Sprintf("%s: the master %s is a replica of %s", g.Name, r.Name, r.masterAddr())
			case r.Addr != addr && (r.Role != "slave" || r.masterAddr() != addr || !r.LinkUp):
				return false, fmt.Sprintf("%s: %s is %s of %s, link up %v; the master is %s",
					g.Name, r.Name, r.Role, r.masterAddr(), r.LinkUp, addr)
			}
		}
	}
	return true, ""
}

// forgottenByAll reports whether no sentinel lists r as a replica of g.
func (s *Sim) forgottenByAll(g *Group, r *Instance) bool {
	for _, n := range s.Sentinels {
		for _, a := range n.Core.Config().Master(g.Name).KnownReplicas {
			if joinHostPort(a.Host, a.Port) == r.Addr {
				return false
			}
		}
	}
	return true
}

// connected returns "" when every live sentinel has the links to g's master and to every
// live replica it lists up, else which is not: after the heal the transport has them all up,
// and a core that disagrees (it took a closed link's late LinkDown for the new link's, say)
// stays disconnected for good, since nothing asks the transport to reconnect a link it holds.
func (s *Sim) connected(g *Group) string {
	for _, n := range s.Sentinels {
		mv := n.Core.View().Master(g.Name)
		if mv == nil {
			continue
		}
		for _, iv := range append([]*monitor.InstanceView{&mv.InstanceView}, mv.Replicas...) {
			target, ok := s.byAddr[joinHostPort(iv.IP, iv.Port)]
			if !ok || !s.nodes[target].alive() || !strings.Contains(iv.Flags.String(), "disconnected") {
				continue
			}
			return fmt.Sprintf("%s: %s sees %s:%d disconnected (%s)", g.Name, n.Name, iv.IP, iv.Port, iv.Flags)
		}
	}
	return ""
}

// checkODown is the liveness half of failure detection: when the master every live sentinel
// names has been dead for a while, and the world was calm meanwhile (no partition, no bad
// network, no crash or restart) with at least the quorum of sentinels up, all known to each
// other and none in a failover attempt or TILT, then every live sentinel sees it SDOWN and
// one sees it ODOWN.
func (s *Sim) checkODown() {
	if s.partitioned() || s.net != s.normalNet {
		return
	}
	for _, g := range s.Groups {
		window := g.DownAfter + 6*time.Second
		if s.now.Sub(s.lastDisturb) < window {
			return
		}
		var alive []*Sentinel
		addr := ""
		for _, n := range s.Sentinels {
			if !n.Alive {
				continue
			}
			mc := n.Core.Config().Master(g.Name)
			a := joinHostPort(mc.Host, mc.Port)
			if addr != "" && a != addr {
				addr = "?"
			} else if addr == "" {
				addr = a
			}
			alive = append(alive, n)
		}
		if len(alive) < g.Quorum || addr == "?" {
			continue
		}
		m := s.instanceAt(addr)
		if m == nil || m.Alive || s.now.Sub(m.DeadSince) < window {
			continue
		}
		known := true
		for _, n := range alive {
			mc := n.Core.Config().Master(g.Name)
			for _, p := range alive {
				if p != n && !hasSentinel(mc, p.RunID) {
					known = false
				}
			}
		}
		if !known {
			continue
		}
		s.stats.ODownChecks++
		odown := false
		for _, n := range alive {
			v := s.check.views[n.RunID]
			if v.tilt || v.attempts[g.Name] != nil {
				// A leader whose promoted replica died waits in reconf_slaves for it with no
				// timeout, still monitoring the old address, as redis-sentinel does: its
				// peers cannot get its agreement on the new one meanwhile.
				return
			}
			if !v.sdown[g.Name+"|"+g.Name] {
				s.fail(fmt.Sprintf("%s: master %s dead for %v, but %s does not see it down",
					g.Name, addr, s.now.Sub(m.DeadSince), n.Name))
				return
			}
			odown = odown || v.odown[g.Name]
		}
		if !odown {
			s.fail(fmt.Sprintf("%s: master %s dead for %v with %d sentinels up (quorum %d), and no +odown",
				g.Name, addr, s.now.Sub(m.DeadSince), len(alive), g.Quorum))
		}
	}
}

func hasSentinel(mc *config.Master, runID string) bool {
	for _, k := range mc.KnownSentinels {
		if k.RunID == runID {
			return true
		}
	}
	return false
}

// ManualFailover sends SENTINEL FAILOVER <master> to a sentinel and returns its reply.
func (s *Sim) ManualFailover(n *Sentinel, master string) string {
	if !n.Alive {
		return ""
	}
	s.disturb()
	n.manual = true
	reply := n.request("failover", master)
	n.manual = false
	s.tracef("%s SENTINEL FAILOVER %s -> %s", n.Name, master, reply)
	return reply
}

// Relink sends SENTINEL SET <master> auth-pass to a sentinel, which closes the links of the
// master and its replicas and opens them again at once (the fake instances ask for no
// password): the closed links' news then arrives after the new links are open.
func (s *Sim) Relink(n *Sentinel, master string) {
	if !n.Alive {
		return
	}
	reply := n.request("set", master, "auth-pass", "")
	s.tracef("%s SENTINEL SET %s auth-pass -> %s", n.Name, master, reply)
}

// SimulateFailure sends SENTINEL SIMULATE-FAILURE <what> to a sentinel: it crashes at that
// point of its next failover (and is restarted by the schedule or the heal).
func (s *Sim) SimulateFailure(n *Sentinel, what string) {
	if !n.Alive {
		return
	}
	reply := n.request("simulate-failure", what)
	n.simFailure = true
	s.tracef("%s SENTINEL SIMULATE-FAILURE %s -> %s", n.Name, what, reply)
}

// checkRTT holds the links' round trips (the metrics' PING latency) to what a round trip
// can be: never negative, none before a reply, and never longer than the time since the
// view was taken allows, since a PING is answered after it was sent.
func (s *Sim) checkRTT(n *Sentinel, mv *monitor.MasterView) {
	ivs := append([]*monitor.InstanceView{&mv.InstanceView}, append(mv.Replicas, mv.Sentinels...)...)
	for _, iv := range ivs {
		switch {
		case iv.PingRTT < 0:
			s.fail(fmt.Sprintf("%s: %s: negative PING round trip %v", n.Name, iv.Name, iv.PingRTT))
		case iv.PingRTT > 0 && iv.LastPong.IsZero():
			s.fail(fmt.Sprintf("%s: %s: PING round trip %v without a reply", n.Name, iv.Name, iv.PingRTT))
		case iv.PingRTT > 0 && iv.LastPong.Sub(s.start) < iv.PingRTT:
			s.fail(fmt.Sprintf("%s: %s: PING round trip %v longer than the run before its reply", n.Name, iv.Name, iv.PingRTT))
		}
	}
}
