package partition

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/sentinel-go/sentinel/e2e/realredis"
)

// Kind is which sentinel a Cluster runs; its value is Result.Kind's spelling.
type Kind string

const (
	KindOurs  Kind = "ours"
	KindRedis Kind = "redis-sentinel"
)

// Kinds is every kind, in the order the scenarios run them.
var Kinds = []Kind{KindOurs, KindRedis}

// Ports inside the nodes' namespaces: each node has its own, so the defaults are free and
// the addresses read as they would in production.
const (
	serverPort   = 6379
	sentinelPort = 26379
)

// Bounds of the waits StartCluster and Finish make.
const (
	startWait     = 15 * time.Second // a process answering PING, the replicas linked up
	discoveryWait = 30 * time.Second // every sentinel seeing every replica and peer
	convergeWait  = 45 * time.Second // after heal, until every sentinel and instance agrees
)

// ClusterSpec says what StartCluster builds: Masters groups, each a master and Replicas
// replicas, all monitored by the same Sentinels sentinels of the given Kind.
type ClusterSpec struct {
	Kind              Kind
	Masters, Replicas int // groups, and replicas per group
	Sentinels, Quorum int
	DownAfter         time.Duration // per group; 1000-2000ms keeps runs short
	FailoverTimeout   time.Duration
	ServerConfig      []string // extra redis.conf lines for every data node
	SentinelConfig    []string // extra sentinel.conf lines; "{master}" repeats a line per group
	Seed              int64
}

// Server is a data node: Debian's redis-server.
type Server struct {
	Name string // node name: "g1-0" is group 1's first master
	Node *Node
	Addr string
	Proc *Proc
}

// Group is one monitored master and its replicas; Servers[0] is the initial master.
type Group struct {
	Name    string // the master name the sentinels monitor: mymaster, mymaster2, ...
	Servers []*Server
}

// Sentinel is one sentinel process, ours or Debian's.
type Sentinel struct {
	Name string
	Node *Node
	Addr string
	Proc *Proc
	Conf string
}

// Cluster is a running topology inside its own Net.
type Cluster struct {
	t         *testing.T
	Spec      ClusterSpec
	Net       *Net
	Timeline  *Timeline
	Groups    []*Group
	Sentinels []*Sentinel
	Admin     *Node // never partitioned: the observer and the checker dial from here
	Observer  *Observer

	mu      sync.Mutex
	clients map[string]*redis.Client
	hooks   []*hook
}

// hook is an action OnEvent runs once, on the first event it matches.
type hook struct {
	match func(Event) bool
	fn    func(Event)
	fired bool
}

// StartCluster starts the data nodes, waits until every replica is linked, starts the
// sentinels and waits until each has discovered every replica and every other sentinel,
// with an Observer subscribed to all of them feeding the Timeline. A failed test prints
// the Timeline.
func StartCluster(t *testing.T, spec ClusterSpec) *Cluster {
	t.Helper()
	if spec.Masters == 0 {
		spec.Masters = 1
	}
	if spec.FailoverTimeout == 0 {
		spec.FailoverTimeout = 4 * time.Second
	}
	serverBin := redisServerBin(t)
	sentinelBin := sentinelBinary(t, spec.Kind)
	n := NewNet(t)
	c := &Cluster{t: t, Spec: spec, Net: n, Timeline: n.Timeline, clients: map[string]*redis.Client{}}
	t.Cleanup(func() {
		if t.Failed() || os.Getenv("SENTINEL_PARTITION_TIMELINE") == "1" {
			t.Logf("seed %d; timeline:\n%s", spec.Seed, c.Timeline)
		}
	})
	c.Admin = n.Node("admin")
	t.Cleanup(c.closeClients) // registered after the Net: runs before its namespaces go

	for g := 1; g <= spec.Masters; g++ {
		grp := &Group{Name: "mymaster"}
		if g > 1 {
			grp.Name += strconv.Itoa(g)
		}
		for i := 0; i <= spec.Replicas; i++ {
			name := fmt.Sprintf("g%d-%d", g, i)
			nd := n.Node(name)
			s := &Server{Name: name, Node: nd, Addr: nd.Addr(serverPort)}
			lines := []string{
				"port " + strconv.Itoa(serverPort),
				"bind " + nd.IP,
				"protected-mode no",
				`save ""`,
				"appendonly no",
				// A resync starts at once; 7.0's default waits 5 s for more replicas.
				"repl-diskless-sync-delay 0",
			}
			if i > 0 {
				lines = append(lines, "replicaof "+grp.Servers[0].Node.IP+" "+strconv.Itoa(serverPort))
			}
			lines = append(lines, spec.ServerConfig...)
			s.Proc = c.startWithConf(nd, serverBin, "redis.conf", lines)
			grp.Servers = append(grp.Servers, s)
		}
		c.Groups = append(c.Groups, grp)
	}
	for _, grp := range c.Groups {
		for _, s := range grp.Servers {
			c.waitPing(s.Addr, startWait)
		}
		c.waitFor(startWait, grp.Name+": replicas linked", func() bool {
			for _, s := range grp.Servers[1:] {
				if c.info(s.Addr)["master_link_status"] != "up" {
					return false
				}
			}
			return c.info(grp.Servers[0].Addr)["connected_slaves"] == strconv.Itoa(spec.Replicas)
		})
	}

	for i := 1; i <= spec.Sentinels; i++ {
		name := "s" + strconv.Itoa(i)
		nd := n.Node(name)
		lines := []string{"port " + strconv.Itoa(sentinelPort), "bind " + nd.IP}
		for _, grp := range c.Groups {
			m := grp.Name
			lines = append(lines,
				fmt.Sprintf("sentinel monitor %s %s %d %d", m, grp.Servers[0].Node.IP, serverPort, spec.Quorum),
				fmt.Sprintf("sentinel down-after-milliseconds %s %d", m, spec.DownAfter.Milliseconds()),
				fmt.Sprintf("sentinel failover-timeout %s %d", m, spec.FailoverTimeout.Milliseconds()),
			)
		}
		for _, l := range spec.SentinelConfig {
			if !strings.Contains(l, "{master}") {
				lines = append(lines, l)
				continue
			}
			for _, grp := range c.Groups {
				lines = append(lines, strings.ReplaceAll(l, "{master}", grp.Name))
			}
		}
		p := c.startWithConf(nd, sentinelBin, "sentinel.conf", lines)
		c.Sentinels = append(c.Sentinels, &Sentinel{Name: name, Node: nd, Addr: nd.Addr(sentinelPort), Proc: p,
			Conf: filepath.Join(p.Dir, "sentinel.conf")})
	}
	addrs := map[string]string{}
	for _, s := range c.Sentinels {
		c.waitPing(s.Addr, startWait)
		addrs[s.Name] = s.Addr
	}
	c.Observer = Observe(c.Admin.Dial, addrs, c.Timeline.Since, func(e Event) {
		c.Timeline.Add(e.At, e.Sentinel, e.Channel+" "+e.Payload)
		c.runHooks(e)
	})
	t.Cleanup(c.Observer.Close)
	c.waitDiscovery()
	c.Timeline.Logf("harness", "cluster up: %s, %d group(s) × %d replicas, %d sentinels, quorum %d, seed %d",
		spec.Kind, spec.Masters, spec.Replicas, spec.Sentinels, spec.Quorum, spec.Seed)
	return c
}

// oursBin is our sentinel binary, built once per test binary by TestMain (sentinelbin.Build) or
// named by SENTINEL_E2E_BIN; buildErr says why there is none.
var (
	oursBin  string
	buildErr error
)

// sentinelBinary is the sentinel of the kind: ours, built once by TestMain, or Debian's.
func sentinelBinary(t testing.TB, kind Kind) string {
	t.Helper()
	switch kind {
	case KindOurs:
		if buildErr != nil {
			t.Fatalf("building our sentinel: %v", buildErr)
		}
		return oursBin
	case KindRedis:
		return realredis.Binary(t, redisSentinelPath)
	}
	t.Fatalf("partition: unknown kind %q", kind)
	return ""
}

func (c *Cluster) startWithConf(nd *Node, bin, file string, lines []string) *Proc {
	c.t.Helper()
	dir := c.t.TempDir()
	conf := filepath.Join(dir, file)
	if err := os.WriteFile(conf, []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
		c.t.Fatal(err)
	}
	return nd.StartIn(dir, bin, conf)
}

// Client is a client for addr dialled from the Admin node, cached; closed at Cleanup.
func (c *Cluster) Client(addr string) *redis.Client {
	c.mu.Lock()
	defer c.mu.Unlock()
	if cl, ok := c.clients[addr]; ok {
		return cl
	}
	cl := client(c.Admin.Dial, addr)
	c.clients[addr] = cl
	return cl
}

func (c *Cluster) closeClients() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, cl := range c.clients {
		cl.Close()
	}
	c.clients = map[string]*redis.Client{}
}

// info is INFO replication of the server at addr as fields; empty on error.
func (c *Cluster) info(addr string) map[string]string {
	ctx, cancel := context.WithTimeout(context.Background(), checkTimeout)
	defer cancel()
	text, err := c.Client(addr).Info(ctx, "replication").Result()
	m := map[string]string{}
	if err != nil {
		return m
	}
	for _, line := range strings.Split(text, "\n") {
		if k, v, ok := strings.Cut(strings.TrimSpace(line), ":"); ok {
			m[k] = v
		}
	}
	return m
}

// SentinelMaster is SENTINEL MASTER <name> asked of s, as fields; nil on error.
func (c *Cluster) SentinelMaster(s *Sentinel, name string) map[string]string {
	ctx, cancel := context.WithTimeout(context.Background(), checkTimeout)
	defer cancel()
	v, err := c.Client(s.Addr).Do(ctx, "SENTINEL", "MASTER", name).Result()
	if err != nil {
		return nil
	}
	return fields(v)
}

// fields turns a RESP2 flat array or a RESP3 map into a string map.
func fields(v any) map[string]string {
	m := map[string]string{}
	switch x := v.(type) {
	case []any:
		for i := 0; i+1 < len(x); i += 2 {
			m[fmt.Sprint(x[i])] = fmt.Sprint(x[i+1])
		}
	case map[any]any:
		for k, val := range x {
			m[fmt.Sprint(k)] = fmt.Sprint(val)
		}
	}
	return m
}

// waitDiscovery waits until every sentinel knows every group's replicas and the other
// sentinels, and sees the master up: before that a fault tests discovery, not failover.
func (c *Cluster) waitDiscovery() {
	c.t.Helper()
	replicas, peers := strconv.Itoa(c.Spec.Replicas), strconv.Itoa(len(c.Sentinels)-1)
	c.waitFor(discoveryWait, "full discovery", func() bool {
		for _, s := range c.Sentinels {
			for _, grp := range c.Groups {
				m := c.SentinelMaster(s, grp.Name)
				if m == nil || m["num-slaves"] != replicas || m["num-other-sentinels"] != peers || m["flags"] != "master" {
					return false
				}
			}
		}
		return true
	})
}

// waitFor polls cond every 50 ms until it holds, or fails the test after within.
func (c *Cluster) waitFor(within time.Duration, what string, cond func() bool) {
	c.t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			c.t.Fatalf("partition: %s: not within %v", what, within)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (c *Cluster) waitPing(addr string, within time.Duration) {
	c.t.Helper()
	c.waitFor(within, addr+" answering PING", func() bool {
		ctx, cancel := context.WithTimeout(context.Background(), checkTimeout)
		defer cancel()
		return c.Client(addr).Ping(ctx).Err() == nil
	})
}

// ClientNode is a node for workload writers: the faults decide which side it is on.
func (c *Cluster) ClientNode(name string) *Node { return c.Net.Node(name) }

// SentinelAddrs are the sentinels' addresses, as clients list them.
func (c *Cluster) SentinelAddrs() []string {
	out := make([]string, len(c.Sentinels))
	for i, s := range c.Sentinels {
		out[i] = s.Addr
	}
	return out
}

// Instances are a group's data nodes' addresses.
func (g *Group) Instances() []string {
	out := make([]string, len(g.Servers))
	for i, s := range g.Servers {
		out[i] = s.Addr
	}
	return out
}

// Nodes are a group's data nodes.
func (g *Group) Nodes() []*Node {
	out := make([]*Node, len(g.Servers))
	for i, s := range g.Servers {
		out[i] = s.Node
	}
	return out
}

// ServerAt is the group's server at addr, or nil.
func (g *Group) ServerAt(addr string) *Server {
	for _, s := range g.Servers {
		if s.Addr == addr {
			return s
		}
	}
	return nil
}

// SentinelNodes are the nodes of the sentinels with the given indexes (0-based), or all.
func (c *Cluster) SentinelNodes(idx ...int) []*Node {
	if len(idx) == 0 {
		for i := range c.Sentinels {
			idx = append(idx, i)
		}
	}
	out := make([]*Node, 0, len(idx))
	for _, i := range idx {
		out = append(out, c.Sentinels[i].Node)
	}
	return out
}

// SentinelByIP is the sentinel at ip, or nil.
func (c *Cluster) SentinelByIP(ip string) *Sentinel {
	for _, s := range c.Sentinels {
		if s.Node.IP == ip {
			return s
		}
	}
	return nil
}

// Wait waits, at most within, for an event match accepts (past ones count).
func (c *Cluster) Wait(within time.Duration, what string, match func(Event) bool) Event {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), within)
	defer cancel()
	e, err := c.Observer.Wait(ctx, match)
	if err != nil {
		c.t.Fatalf("partition: waiting %v for %s: %v", within, what, err)
	}
	return e
}

// OnEvent runs fn once, on the first event from now on that match accepts, inside the
// observer's goroutine as the event arrives: no later event of that sentinel is read
// before fn returns. That is the fastest a fault can follow an event, and still later than
// the sentinel's next step when it takes that step at once, so fn should do only what is
// instant (Proc.Freeze) and leave the rest to the test's goroutine. fn must not call
// t.Fatal.
func (c *Cluster) OnEvent(match func(Event) bool, fn func(Event)) {
	c.mu.Lock()
	c.hooks = append(c.hooks, &hook{match: match, fn: fn})
	c.mu.Unlock()
}

func (c *Cluster) runHooks(e Event) {
	c.mu.Lock()
	var due []*hook
	for _, h := range c.hooks {
		if !h.fired && h.match(e) {
			h.fired = true
			due = append(due, h)
		}
	}
	c.mu.Unlock()
	for _, h := range due {
		h.fn(e)
	}
}

// SentinelNamed is the sentinel called name, or nil.
func (c *Cluster) SentinelNamed(name string) *Sentinel {
	for _, s := range c.Sentinels {
		if s.Name == name {
			return s
		}
	}
	return nil
}

// Channel matches an event on channel about group name (the payload names the master
// last for instance events, "<type> <name> <ip> <port> @ <master> <ip> <port>", and first
// for master events).
func Channel(channel, name string) func(Event) bool {
	return func(e Event) bool {
		if e.Channel != channel {
			return false
		}
		f := strings.Fields(e.Payload)
		if len(f) >= 2 && f[0] == "master" && f[1] == name {
			return true
		}
		if i := slices.Index(f, "@"); i >= 0 && i+1 < len(f) {
			return f[i+1] == name
		}
		return len(f) > 0 && f[0] == name
	}
}

// StartWorkload starts writers against group g.
func (c *Cluster) StartWorkload(g *Group, writers ...Writer) *Workload {
	c.t.Helper()
	wl := StartWorkload(WorkloadOptions{
		MasterName: g.Name,
		Sentinels:  c.SentinelAddrs(),
		Writers:    writers,
		Seed:       c.Spec.Seed,
		Clock:      c.Timeline.Since,
	})
	c.Timeline.Logf("harness", "workload on %s: %d writers", g.Name, len(writers))
	c.t.Cleanup(func() { wl.Stop() })
	return wl
}

// WaitAcked waits until the workload has n more acknowledged writes than it had when called.
func (c *Cluster) WaitAcked(wl *Workload, n int, within time.Duration) {
	c.t.Helper()
	base := wl.Acked()
	c.waitFor(within, fmt.Sprintf("%d more acknowledged writes", n), func() bool { return wl.Acked() >= base+n })
}

// Outcome is what Finish found: the Result, the final history and the final master's data.
type Outcome struct {
	Result  Result
	History History
	Final   map[string]string
	Master  string
}

// Finish waits until every group agrees (the time from healedAt is Result.Converge), lets
// the workload write to the agreed master for a moment, stops it, reads every acknowledged
// key back from group g's final master and returns the figures; the caller Records them.
// It fails the test when a group ends with two masters or disagreeing sentinels.
func (c *Cluster) Finish(scenario string, g *Group, wl *Workload, healedAt time.Duration) Outcome {
	c.t.Helper()
	ctx := context.Background()
	var ag Agreement
	for _, grp := range c.Groups {
		a, _, err := WaitAgreement(ctx, c.Admin.Dial, grp.Name, c.SentinelAddrs(), grp.Instances(), convergeWait)
		if err != nil || !a.Agree {
			c.t.Errorf("%s: %s never agreed on one master within %v: %v\n%s", scenario, grp.Name, convergeWait, err, a.Detail)
		}
		if grp == g {
			ag = a
		}
	}
	agreedAt := c.Timeline.Since()
	c.Timeline.Logf("harness", "%s agrees: master %s, config-epoch %d", g.Name, ag.Master, ag.Epoch)
	if wl != nil {
		// Writes after agreement are what a healthy group does; a few prove it is writable.
		c.waitFor(10*time.Second, "writes after agreement", func() bool { return wl.AckedBy(ag.Master, agreedAt) > 0 })
	}
	var h History
	if wl != nil {
		h = wl.Stop()
	}
	var final map[string]string
	if ag.Master != "" {
		var err error
		final, err = ReadKeys(ctx, c.Admin.Dial, ag.Master, h.AckedKeys())
		if err != nil {
			c.t.Errorf("%s: reading the acknowledged keys from %s: %v", scenario, ag.Master, err)
		}
	}
	r := Analyze(h, final, c.Observer.Events())
	r.Scenario, r.Kind, r.Agree = scenario, string(c.Spec.Kind), ag.Agree
	// An SDOWN of a node the sentinel could reach is a bug in the sentinel, and the
	// failover it may start can promote the wrong node: ours fails the test, redis-sentinel's
	// goes in the notes.
	for _, e := range c.FalseSDowns() {
		if c.Spec.Kind == KindOurs {
			c.t.Errorf("%s: %s at %v declared a reachable node down: %s", scenario, e.Sentinel, e.At, e)
		} else {
			r.Notes = strings.TrimSpace(r.Notes + " false SDOWN: " + e.String() + ";")
		}
	}
	if healedAt > 0 {
		r.Converge = agreedAt - healedAt
	}
	c.Timeline.Logf("harness", "%s: acked %d lost %d dual-write %v failovers %d", scenario, r.Acked, r.Lost, r.DualWrite, r.Failovers)
	if lost := LostWrites(h, final); len(lost) > 0 {
		c.Timeline.Logf("harness", "lost writes by acknowledging node: %s", LostByNode(lost))
	}
	c.t.Logf("%s/%s (seed %d): acked %d, lost %d, dual-write %v, converge %v, failovers %d, agree %v",
		scenario, c.Spec.Kind, c.Spec.Seed, r.Acked, r.Lost, r.DualWrite, r.Converge, r.Failovers, r.Agree)
	return Outcome{Result: r, History: h, Final: final, Master: ag.Master}
}

// results are every scenario's figures, for the table TestMain prints.
var (
	resultsMu sync.Mutex
	results   []Result
)

// Record adds r to the package's report.
func Record(r Result) {
	resultsMu.Lock()
	results = append(results, r)
	resultsMu.Unlock()
}

// Results returns the recorded results, sorted by scenario then kind (ours first).
func Results() []Result {
	resultsMu.Lock()
	out := slices.Clone(results)
	resultsMu.Unlock()
	slices.SortStableFunc(out, func(a, b Result) int {
		if c := strings.Compare(a.Scenario, b.Scenario); c != 0 {
			return c
		}
		return strings.Compare(a.Kind, b.Kind) // "ours" < "redis-sentinel"
	})
	return out
}

// Seed is the run's seed: SENTINEL_PARTITION_SEED to replay one, else from the clock. It
// is logged, so every failure names the seed that replays it.
func Seed(t *testing.T) int64 {
	t.Helper()
	if s := os.Getenv("SENTINEL_PARTITION_SEED"); s != "" {
		v, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			t.Fatalf("SENTINEL_PARTITION_SEED=%q: %v", s, err)
		}
		t.Logf("seed %d (SENTINEL_PARTITION_SEED)", v)
		return v
	}
	v := time.Now().UnixNano() % 1_000_000_007
	t.Logf("seed %d (replay with SENTINEL_PARTITION_SEED=%d)", v, v)
	return v
}
