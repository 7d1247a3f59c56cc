package partition

import (
	"fmt"
	"sort"
	"strings"
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

// drop installs, on each node of to, one rule per node of from, in one iptables-restore per
// node so a cut lands within a few milliseconds everywhere.
func (n *Net) drop(from, to []*Node) {
	n.t.Helper()
	for _, dst := range to {
		var b strings.Builder
		b.WriteString("*filter\n")
		for _, src := range from {
			if src != dst {
				fmt.Fprintf(&b, "-A INPUT -s %s/32 -j DROP\n", src.IP)
			}
		}
		b.WriteString("COMMIT\n")
		if err := dst.exec(b.String(), "iptables-restore", "-w", "--noflush"); err != nil {
			n.t.Fatalf("partition: cut on %s: %v", dst.Name, err)
		}
		n.mu.Lock()
		n.cut[dst] = true
		n.mu.Unlock()
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
	for _, nd := range nodes {
		if err := nd.exec("", "iptables", "-w", "-F", "INPUT"); err != nil {
			n.t.Fatalf("partition: heal on %s: %v", nd.Name, err)
		}
	}
	n.Timeline.Logf("fault", "  healed")
}

func names(nodes []*Node) string {
	s := make([]string, len(nodes))
	for i, nd := range nodes {
		s[i] = nd.Name
	}
	return "[" + strings.Join(s, " ") + "]"
}
