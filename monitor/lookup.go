package monitor

import (
	"net/netip"
	"slices"
	"strings"
	"time"
)

// hostRecheckPeriod is how often a name in use is asked again while its links stay up. Redis
// re-resolves only at reconnection, so a name re-pointed while the old address still
// answers (a pod rescheduled, its old process draining) is never followed; asking every few
// seconds bounds how long we keep talking to the old one.
const hostRecheckPeriod = 5 * time.Second

// Lookups: what the core needs from the world outside and cannot wait for. It asks in
// Ready.Lookups, keeps working with what it knows meanwhile, and takes the answers as
// LookupResult observations; redis-sentinel resolves inline (anetResolve), which a slow DNS
// server turns into a stalled event loop, TILT at home and a dead peer to the others.

// hostEntry is what the core knows of one hostname.
type hostEntry struct {
	ip    string // the answer; the name itself when it did not resolve
	known bool   // an answer came
	asked bool   // a LookupHost is out and not answered yet
	// askedAt is when the question out (or the last one) was put; answered is when the
	// last answer came, from which the next periodic recheck counts.
	askedAt, answered time.Time
}

// WithHosts gives the core hostnames already resolved (name → IP), such as the driver's
// answers for the configured addresses before the first step, so the first events show
// them resolved as redis-sentinel's do.
func WithHosts(ips map[string]string) Option {
	return func(c *Core) {
		for name, ip := range ips {
			c.hosts[name] = &hostEntry{ip: ip, known: true, answered: c.now}
		}
	}
}

// ipOf returns a host's IP: the host itself when it is one, else the last answer for the
// name. A name never answered stays a name (as an unresolvable one does) until its answer
// comes; the first use asks for it.
func (c *Core) ipOf(host string) string {
	if _, err := netip.ParseAddr(host); err == nil {
		return host
	}
	e := c.hosts[host]
	if e == nil {
		e = &hostEntry{}
		c.hosts[host] = e
	}
	if !e.known {
		c.askHost(host, e)
		return host
	}
	return e.ip
}

// askHost puts out one LookupHost for the name unless one is already out.
func (c *Core) askHost(host string, e *hostEntry) {
	if !e.asked {
		e.asked, e.askedAt = true, c.now
		c.lookups = append(c.lookups, Lookup{Kind: LookupHost, Name: host})
	}
}

// reresolve asks for a name again at a new connection to it, as Redis re-resolves at
// reconnection: the name may have moved. The old answer stands until the new one comes, so
// the name does not flicker back into views and hellos meanwhile.
func (c *Core) reresolve(host string) {
	if e := c.hosts[host]; e != nil && e.known {
		c.askHost(host, e)
	}
}

// lookupResult takes an answer. A name whose IP changed touches every master that uses it:
// views, hellos and address comparisons see the new IP from here on.
func (c *Core) lookupResult(r LookupResult) {
	switch r.Kind {
	case LookupHost:
		e := c.hosts[r.Name]
		if e == nil {
			return // not asked by this core
		}
		ip := r.Name
		if r.OK {
			ip = r.IP
		}
		e.asked, e.answered = false, c.now
		if !e.known || e.ip != ip {
			moved := e.known && r.OK
			e.ip, e.known = ip, true
			for _, m := range c.order {
				if m.usesHost(r.Name) {
					c.touch(m)
				}
			}
			if moved {
				c.followMoved(r.Name, e.askedAt)
			}
		}
	}
	c.unpark(r)
}

// recheckHosts asks again, every hostRecheckPeriod, for each name some master uses, in name
// order so the questions go out the same way every run.
func (c *Core) recheckHosts() {
	var due []string
	for name, e := range c.hosts {
		if e.known && !e.asked && c.now.Sub(e.answered) >= hostRecheckPeriod {
			due = append(due, name)
		}
	}
	slices.Sort(due)
	for _, name := range due {
		for _, m := range c.order {
			if m.usesHost(name) {
				c.askHost(name, c.hosts[name])
				break
			}
		}
	}
}

// followMoved drops the connections to a name that now resolves elsewhere, so the transport
// dials it again and reaches the new address. Only connections made before the question was
// asked can be on the old address; one made since (the reconnection that asked) was dialed
// with a resolution at least as fresh, and dropping it would only cost a reconnection. The
// links keep their timers (relink), so the move is no gap in availability: no +sdown unless
// the new address fails to answer within down-after.
func (c *Core) followMoved(name string, askedAt time.Time) {
	var stale []*link
	for _, m := range c.order {
		for _, in := range append([]*instance{&m.instance}, append(m.replicaList(), m.sentinelList()...)...) {
			l := in.link
			if l == nil || !strings.EqualFold(in.addr.Host, name) || slices.Contains(stale, l) {
				continue
			}
			if (l.cmd.up && l.cmd.connTime.Before(askedAt)) || (l.pubsub.up && l.pubsub.connTime.Before(askedAt)) {
				stale = append(stale, l)
			}
		}
	}
	for _, l := range stale {
		c.relink(l.users[0])
	}
}

// usesHost reports whether the master, one of its replicas or one of its sentinels is
// addressed by that name.
func (m *master) usesHost(name string) bool {
	if strings.EqualFold(m.addr.Host, name) {
		return true
	}
	for _, set := range []map[string]*instance{m.replicas, m.sentinels} {
		for _, in := range set {
			if strings.EqualFold(in.addr.Host, name) {
				return true
			}
		}
	}
	return false
}

// A request that needs to know something of the world outside (is a script path
// executable? what is this hostname's IP?) is parked: its lookups go out, nothing of it is
// applied, and once every answer is in it runs whole, with the answers at hand, exactly as
// if it had looked itself. Which requests need what is requestLookups' business; the
// handlers read the answers with answer.

// parked is a request waiting for the answers to its lookups.
type parked struct {
	id      RequestID
	args    []string
	waiting map[Lookup]bool
	answers map[Lookup]LookupResult
}

// requestLookups lists, per subcommand, the lookups it needs before it can run (args
// without the subcommand). A lookup answered already (a hostname in the cache) is not
// asked again.
var requestLookups = map[string]func(c *Core, args []string) []Lookup{
	"set":     (*Core).setLookups,
	"monitor": (*Core).monitorLookups,
}

// setLookups: SENTINEL SET checks each script path it is given (sentinelSetCommand's
// access(X_OK)); an empty path clears the script and needs no check.
func (c *Core) setLookups(args []string) []Lookup {
	if c.cfg.DenyScriptsReconfig || c.masters[args[0]] == nil {
		return nil
	}
	var ls []Lookup
	for i := 1; i+1 < len(args); i += 2 {
		switch strings.ToLower(args[i]) {
		case "notification-script", "client-reconfig-script":
			if args[i+1] != "" {
				ls = append(ls, Lookup{Kind: LookupExecutable, Name: args[i+1]})
			}
		case "rename-command":
			i++ // two values
		}
	}
	return ls
}

// monitorLookups: SENTINEL MONITOR by hostname resolves it first, as Redis's
// createSentinelAddr does, so its +monitor shows the IP.
func (c *Core) monitorLookups(args []string) []Lookup {
	if _, err := netip.ParseAddr(args[1]); err == nil || !c.cfg.ResolveHostnames {
		return nil
	}
	return []Lookup{{Kind: LookupHost, Name: args[1]}}
}

// resolves reports whether host is an IP or a name whose last answer was an address
// (monitorLookups asked for it before SENTINEL MONITOR ran).
func (c *Core) resolves(host string) bool {
	if _, err := netip.ParseAddr(host); err == nil {
		return true
	}
	e := c.hosts[host]
	return e != nil && e.known && e.ip != host
}

// park parks a request that needs lookups not answered yet, and puts them out (each once,
// however many requests wait for it). It reports whether it parked.
func (c *Core) park(id RequestID, args []string) bool {
	need := requestLookups[strings.ToLower(args[0])]
	if need == nil {
		return false
	}
	p := &parked{id: id, args: slices.Clone(args), waiting: map[Lookup]bool{}, answers: map[Lookup]LookupResult{}}
	for _, l := range need(c, args[1:]) {
		if l.Kind == LookupHost {
			e := c.hosts[l.Name]
			if e != nil && e.known {
				continue
			}
			if e == nil {
				e = &hostEntry{}
				c.hosts[l.Name] = e
			}
			c.askHost(l.Name, e)
		} else if !c.waitedFor(l) {
			c.lookups = append(c.lookups, l)
		}
		p.waiting[l] = true
	}
	if len(p.waiting) == 0 {
		return false
	}
	c.parked = append(c.parked, p)
	return true
}

// waitedFor reports whether a parked request already waits for l (so it is out).
func (c *Core) waitedFor(l Lookup) bool {
	for _, p := range c.parked {
		if p.waiting[l] {
			return true
		}
	}
	return false
}

// unpark hands an answer to the requests waiting for it and runs, in the order they came,
// those that have all their answers now.
func (c *Core) unpark(r LookupResult) {
	for i := 0; i < len(c.parked); {
		p := c.parked[i]
		if p.waiting[r.Lookup] {
			delete(p.waiting, r.Lookup)
			p.answers[r.Lookup] = r
		}
		if len(p.waiting) > 0 {
			i++
			continue
		}
		c.parked = slices.Delete(c.parked, i, i+1)
		c.answers = p.answers
		c.answerRequest(p.id, p.args)
		c.answers = nil
	}
}

// answer is a parked request's answer to l, when it runs again; the zero result (not OK)
// otherwise.
func (c *Core) answer(l Lookup) LookupResult { return c.answers[l] }
