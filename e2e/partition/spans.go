package partition

import (
	"strings"
	"time"
)

// open marks a span that has not ended yet.
const open = time.Duration(1<<63 - 1)

// span is an interval on the Timeline during which a fault was in place.
type faultSpan struct {
	from, to   *Node // packets from -> to dropped
	start, end time.Duration
}

// outage is an interval during which a process could not answer: paused or killed.
type outage struct{ start, end time.Duration }

// recordDrop notes that packets from src to dst are dropped from at on, until the next Heal.
func (n *Net) recordDrop(src, dst *Node, at time.Duration) {
	n.mu.Lock()
	n.spans = append(n.spans, faultSpan{from: src, to: dst, start: at, end: open})
	n.mu.Unlock()
}

// endDrops closes every open drop span at at.
func (n *Net) endDrops(at time.Duration) {
	n.mu.Lock()
	for i := range n.spans {
		if n.spans[i].end == open {
			n.spans[i].end = at
		}
	}
	n.mu.Unlock()
}

// cutBetween says whether packets between a and b (either way) were dropped at some time
// in [from, to].
func (n *Net) cutBetween(a, b *Node, from, to time.Duration) bool {
	n.mu.Lock()
	defer n.mu.Unlock()
	for _, s := range n.spans {
		if ((s.from == a && s.to == b) || (s.from == b && s.to == a)) && s.start <= to && s.end >= from {
			return true
		}
	}
	return false
}

func (p *Proc) outageStart(at time.Duration) {
	p.mu.Lock()
	if len(p.outages) == 0 || p.outages[len(p.outages)-1].end != open {
		p.outages = append(p.outages, outage{start: at, end: open})
	}
	p.mu.Unlock()
}

func (p *Proc) outageEnd(at time.Duration) {
	p.mu.Lock()
	if k := len(p.outages); k > 0 && p.outages[k-1].end == open {
		p.outages[k-1].end = at
	}
	p.mu.Unlock()
}

// downDuring says whether the process was paused or dead at some time in [from, to].
func (p *Proc) downDuring(from, to time.Duration) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, o := range p.outages {
		if o.start <= to && o.end >= from {
			return true
		}
	}
	return false
}

// falseSDownSlack widens the window a +sdown is judged over: a ping period, and the time a
// restarted process takes to answer.
const falseSDownSlack = time.Second

// FalseSDowns returns the +sdown events a sentinel published about a data node it could
// reach: during the down-after before the event (and a second more), no packet between the
// two was dropped, and neither process was paused or dead. Such an SDOWN is the sentinel's
// own fault, and the failover it may start can promote the wrong node.
func (c *Cluster) FalseSDowns() []Event {
	var out []Event
	for _, e := range c.Observer.Events() {
		if e.Channel != "+sdown" {
			continue
		}
		f := strings.Fields(e.Payload)
		if len(f) < 4 || (f[0] != "master" && f[0] != "slave") {
			continue
		}
		srv := c.serverByIP(f[2])
		s := c.SentinelNamed(e.Sentinel)
		if srv == nil || s == nil {
			continue
		}
		from := e.At - c.Spec.DownAfter - falseSDownSlack
		if c.Net.cutBetween(s.Node, srv.Node, from, e.At) || srv.Proc.downDuring(from, e.At) || s.Proc.downDuring(from, e.At) {
			continue
		}
		out = append(out, e)
	}
	return out
}

func (c *Cluster) serverByIP(ip string) *Server {
	for _, g := range c.Groups {
		for _, s := range g.Servers {
			if s.Node.IP == ip {
				return s
			}
		}
	}
	return nil
}
