package sim

import (
	"slices"
	"time"
)

// The seeded fault schedule: every 1 to 8 s of virtual time one fault, drawn with these
// weights. Killing whatever currently is a master is the most common, since that is what
// sentinels are for; the rest keeps the world untidy around it.
var faultWeights = []struct {
	name   string
	weight int
}{
	{"kill-master", 5},
	{"restart-instance", 5},
	{"kill-replica", 2},
	{"crash-sentinel", 2},
	{"restart-sentinel", 3},
	{"partition", 2},
	{"heal", 2},
	{"slow-network", 1},
	{"resets", 1},
	{"manual-failover", 1},
	{"simulate-failure", 1},
	{"pause", 2},
	{"relink", 1},
}

func (s *Sim) faultStep(end time.Time) {
	if !s.now.Before(end) || s.err != nil {
		return
	}
	if !s.now.Before(s.calmUntil) {
		s.stats.Faults++
		s.randomFault()
	}
	s.after(time.Second+time.Duration(s.rng.Int64N(int64(7*time.Second))), func() { s.faultStep(end) })
}

// replaceWeight is replace-sentinel's weight when Options.ReplaceSentinels is on.
const replaceWeight = 2

func (s *Sim) randomFault() {
	weights := faultWeights
	if s.opts.ReplaceSentinels {
		weights = append(slices.Clip(weights), struct {
			name   string
			weight int
		}{"replace-sentinel", replaceWeight})
	}
	total := 0
	for _, f := range weights {
		total += f.weight
	}
	x := s.rng.IntN(total)
	name := ""
	for _, f := range weights {
		if x < f.weight {
			name = f.name
			break
		}
		x -= f.weight
	}
	switch name {
	case "kill-master":
		if r := s.pickInstance(func(r *Instance) bool { return r.Alive && r.Role == "master" }); r != nil {
			s.KillInstance(r)
		}
	case "kill-replica":
		if r := s.pickInstance(func(r *Instance) bool { return r.Alive && r.Role == "slave" }); r != nil {
			s.KillInstance(r)
		}
	case "restart-instance":
		if r := s.pickInstance(func(r *Instance) bool { return !r.Alive }); r != nil {
			s.RestartInstance(r)
		}
	case "crash-sentinel":
		if n := s.pickSentinel(true); n != nil {
			if s.rng.IntN(3) == 0 {
				// Between the save and the sends of some later step: what it saved (a
				// vote, an epoch) must be what it comes back with, though no one heard it.
				n.dieAfterSave = true
				s.tracef("%s will crash after its next save", n.Name)
			} else {
				s.CrashSentinel(n)
			}
		}
	case "restart-sentinel":
		if n := s.pickSentinel(false); n != nil {
			s.RestartSentinel(n)
		}
	case "replace-sentinel":
		if n := s.pickSentinel(false); n != nil {
			s.ReplaceSentinel(n)
		}
	case "partition":
		sides := map[string]int{}
		if s.rng.IntN(2) == 0 {
			sides[s.nodes[s.rng.IntN(len(s.nodes))].name] = 1
		} else {
			for _, nd := range s.nodes {
				sides[nd.name] = s.rng.IntN(2)
			}
		}
		s.Partition(sides)
	case "heal":
		if s.partitioned() {
			s.Heal()
		}
	case "slow-network":
		s.net.maxDelay = time.Duration(100+s.rng.IntN(700)) * time.Millisecond
		s.tracef("SLOW network: delays up to %v", s.net.maxDelay)
		s.restoreNetLater()
	case "resets":
		s.net.resetProb = 0.001 + 0.02*s.rng.Float64()
		s.tracef("RESETS: %.3f of messages reset their connection", s.net.resetProb)
		s.restoreNetLater()
	case "manual-failover":
		g := s.Groups[s.rng.IntN(len(s.Groups))]
		if n := s.pickSentinel(true); n != nil && !s.isPaused(n) && s.calmFor(n, g) {
			s.ManualFailover(n, g.Name)
			// Until its hellos carried the new epoch everywhere, nothing may stop them.
			s.calmUntil = s.now.Add(5 * time.Second)
		}
	case "pause":
		// A master half the time (failed over though alive), else any process; a stopped
		// sentinel resumes in TILT when it was stopped over 2 s.
		var masters []string
		for _, r := range s.instances {
			if r.Alive && r.Role == "master" {
				masters = append(masters, r.Name)
			}
		}
		name := s.nodes[s.rng.IntN(len(s.nodes))].name
		if len(masters) > 0 && s.rng.IntN(2) == 0 {
			name = masters[s.rng.IntN(len(masters))]
		}
		s.Pause(name, 1500*time.Millisecond+time.Duration(s.rng.Int64N(int64(4500*time.Millisecond))))
	case "relink":
		if n := s.pickSentinel(true); n != nil && !s.isPaused(n) {
			s.Relink(n, s.Groups[s.rng.IntN(len(s.Groups))].Name)
		}
	case "simulate-failure":
		if n := s.pickSentinel(true); n != nil && !s.isPaused(n) {
			s.SimulateFailure(n, []string{"crash-after-election", "crash-after-promotion"}[s.rng.IntN(2)])
		}
	}
}

// calmFor reports whether a forced failover by n of g is safe to ask for. SENTINEL FAILOVER
// skips the election (Redis's FORCE_FAILOVER): it takes its current epoch plus one without
// anyone's agreement, so it shares that epoch with another attempt if one starts meanwhile
// (the master is down somewhere) or if its hellos never announce the epoch (it crashes or is
// cut off first). Then two promotions in one config epoch are possible, in Redis too. So it
// is sent only when the network is whole, every sentinel is up and agrees on the master,
// which is alive and seen down by none, no attempt runs, and n has no crash pending.
func (s *Sim) calmFor(n *Sentinel, g *Group) bool {
	if s.partitioned() || s.net != s.normalNet || n.dieAfterSave || n.simFailure {
		return false
	}
	addr := ""
	for _, p := range s.Sentinels {
		if !p.Alive {
			return false
		}
		mc := p.Core.Config().Master(g.Name)
		a := joinHostPort(mc.Host, mc.Port)
		if addr != "" && a != addr {
			return false
		}
		addr = a
		v := s.check.views[p.RunID]
		if v.attempts[g.Name] != nil || v.sdown[g.Name+"|"+g.Name] {
			return false
		}
	}
	m := s.instanceAt(addr)
	return m != nil && m.Alive
}

// restoreNetLater puts the network back to normal after 2 to 10 s, unless something else
// changed it since.
func (s *Sim) restoreNetLater() {
	s.disturb()
	s.netToken++
	token := s.netToken
	s.after(2*time.Second+time.Duration(s.rng.Int64N(int64(8*time.Second))), func() {
		if s.netToken == token {
			s.net = s.normalNet
			s.tracef("network back to normal")
			s.disturb()
		}
	})
}

func (s *Sim) isPaused(n *Sentinel) bool {
	stopped, _ := s.paused(n.node)
	return stopped
}

// pickInstance draws one of the instances keep accepts, nil when there is none.
func (s *Sim) pickInstance(keep func(*Instance) bool) *Instance {
	var list []*Instance
	for _, r := range s.instances {
		if keep(r) {
			list = append(list, r)
		}
	}
	if len(list) == 0 {
		return nil
	}
	return list[s.rng.IntN(len(list))]
}

func (s *Sim) pickSentinel(alive bool) *Sentinel {
	var list []*Sentinel
	for _, n := range s.Sentinels {
		if n.Alive == alive {
			list = append(list, n)
		}
	}
	if len(list) == 0 {
		return nil
	}
	return list[s.rng.IntN(len(list))]
}
