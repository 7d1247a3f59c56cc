package partition

import (
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
)

// Partitions are iptables DROP rules on the INPUT chain of the receiving node's namespace,
// never OUTPUT: a packet dropped on the way out fails the sender's send with EPERM at once,
// which no real partition does; one dropped on arrival is silence, so TCP retransmits and
// times out exactly as across a dead switch. Rules match on the peer's address, established
// connections included (there is no ACCEPT for ESTABLISHED), so a cut also freezes the links
// the sentinels and replicas already hold.

// Cut drops every packet between a node of a and a node of b, both ways.
func (n *Net) Cut(a, b []*Node) {
	n.t.Helper()
	n.Timeline.Logf("fault", "cut %s | %s", names(a), names(b))
	n.drop(a, b)
	n.drop(b, a)
}

// CutOneWay drops the packets from the nodes of from to the nodes of to; the other
// direction still flows, so a TCP connection sees its sends vanish but its peer's arrive.
func (n *Net) CutOneWay(from, to []*Node) {
	n.t.Helper()
	n.Timeline.Logf("fault", "cut one-way %s -> %s", names(from), names(to))
	n.drop(from, to)
}

// Isolate cuts the nodes of group off from every other node of the Net.
func (n *Net) Isolate(group ...*Node) {
	n.t.Helper()
	in := map[*Node]bool{}
	for _, nd := range group {
		in[nd] = true
	}
	var rest []*Node
	for _, nd := range n.Nodes() {
		if !in[nd] {
			rest = append(rest, nd)
		}
	}
	n.Cut(group, rest)
}

// drop installs, on each node of to, one rule per node of from: one iptables-restore per
// node, all nodes at once, so a cut lands everywhere within one exec's time (tens of ms).
func (n *Net) drop(from, to []*Node) {
	n.t.Helper()
	errs := make([]error, len(to))
	var wg sync.WaitGroup
	at := n.Timeline.Since()
	for i, dst := range to {
		for _, src := range from {
			if src != dst {
				n.recordDrop(src, dst, at)
			}
		}
		var b strings.Builder
		b.WriteString("*filter\n")
		for _, src := range from {
			if src != dst {
				fmt.Fprintf(&b, "-A INPUT -s %s/32 -j DROP\n", src.IP)
			}
		}
		b.WriteString("COMMIT\n")
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := dst.exec(b.String(), "iptables-restore", "-w", "--noflush"); err != nil {
				errs[i] = fmt.Errorf("cut on %s: %w", dst.Name, err)
			}
		}()
		n.mu.Lock()
		n.cut[dst] = true
		n.mu.Unlock()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		n.t.Fatalf("partition: %v", err)
	}
	n.Timeline.Logf("fault", "  applied")
}

// Heal removes every partition of the Net.
func (n *Net) Heal() {
	n.t.Helper()
	n.Timeline.Logf("fault", "heal")
	n.mu.Lock()
	var nodes []*Node
	for nd := range n.cut {
		nodes = append(nodes, nd)
	}
	n.cut = map[*Node]bool{}
	n.mu.Unlock()
	sort.Slice(nodes, func(i, j int) bool { return nodes[i].IP < nodes[j].IP })
	errs := make([]error, len(nodes))
	var wg sync.WaitGroup
	for i, nd := range nodes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := nd.exec("", "iptables", "-w", "-F", "INPUT"); err != nil {
				errs[i] = fmt.Errorf("heal on %s: %w", nd.Name, err)
			}
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		n.t.Fatalf("partition: %v", err)
	}
	n.endDrops(n.Timeline.Since())
	n.Timeline.Logf("fault", "  healed")
}

func names(nodes []*Node) string {
	s := make([]string, len(nodes))
	for i, nd := range nodes {
		s[i] = nd.Name
	}
	return "[" + strings.Join(s, " ") + "]"
}
