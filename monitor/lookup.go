package monitor

import (
	"net/netip"
	"strings"
)

// Lookups: what the core needs from the world outside and cannot wait for. It asks in
// Ready.Lookups, keeps working with what it knows meanwhile, and takes the answers as
// LookupResult observations; redis-sentinel resolves inline (anetResolve), which a slow DNS
// server turns into a stalled event loop, TILT at home and a dead peer to the others.

// hostEntry is what the core knows of one hostname.
type hostEntry struct {
	ip    string // the answer; the name itself when it did not resolve
	known bool   // an answer came
	asked bool   // a LookupHost is out and not answered yet
}

// WithHosts gives the core hostnames already resolved (name → IP), such as the driver's
// answers for the configured addresses before the first step, so the first events show
// them resolved as redis-sentinel's do.
func WithHosts(ips map[string]string) Option {
	return func(c *Core) {
		for name, ip := range ips {
			c.hosts[name] = &hostEntry{ip: ip, known: true}
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
		e.asked = true
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
		e.asked = false
		if e.known && e.ip == ip {
			return
		}
		e.ip, e.known = ip, true
		for _, m := range c.order {
			if m.usesHost(r.Name) {
				c.touch(m)
			}
		}
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
