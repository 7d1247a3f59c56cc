package sentinel_test

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
	"github.com/sentinel-go/sentinel/e2e/redistest"
)

// The failover scenarios (redis-sentinel's ODOWN, election and failover rules): three sentinels, quorum 2, a master and two
// replicas, the master killed. Every scenario takes the sentinel kinds as a parameter and
// runs with real redis-sentinels too, which checks the scenario itself: what the real ones
// do is what ours must do.

const (
	failoverQuorum = 2
	// failoverTimeout is every scenario's failover-timeout: short, so that the paths that
	// wait for it (a new attempt 2 × failover-timeout after the last, the election timeout
	// min(10 s, failover-timeout)) end within a test, and long enough for a promotion and a
	// partial resync on a loaded two-core machine.
	failoverTimeout = 6 * time.Second
	// failoverWithin bounds the wait from a kill to every sentinel's +switch-master. A clean
	// failover takes down-after, up to a second for ODOWN (peers are asked once a second)
	// and a second or two of election, promotion (redis-sentinel waits for the promoted
	// replica's next INFO, sent once a second) and reconfiguration. A split vote costs the
	// election timeout and then the 2 × failover-timeout before anyone tries again; this
	// allows for two of them.
	failoverWithin = downAfter + 4*failoverTimeout + 10*time.Second
	// followWithin bounds the wait for a replica to report the new master with its link up:
	// the leader's SLAVEOF comes at most parallel-syncs rounds after the promotion, and a
	// sibling continues with a partial resync.
	followWithin = 20 * time.Second
	// convertWithin bounds the wait from restarting the old master to +convert-to-slave:
	// redis-sentinel waits until it has seen the instance up for 4 × publish period (8 s)
	// and then needs an INFO, which comes every 10 s for a replica of a healthy master.
	convertWithin = 30 * time.Second
)

// failoverConf is sentinelConf with the failover scenarios' quorum and failover-timeout.
func failoverConf(port, masterPort int, extra ...string) string {
	return failoverConfOn(nil, port, masterPort, extra...)
}

// failoverConfOn is failoverConf for a sentinel that speaks TLS when x is set.
func failoverConfOn(x *tlsSetup, port, masterPort int, extra ...string) string {
	var b strings.Builder
	b.WriteString(x.listen(port) + "bind 127.0.0.1\n")
	fmt.Fprintf(&b, "sentinel monitor %s 127.0.0.1 %d %d\n", masterName, masterPort, failoverQuorum)
	fmt.Fprintf(&b, "sentinel down-after-milliseconds %s %d\n", masterName, downAfter.Milliseconds())
	fmt.Fprintf(&b, "sentinel failover-timeout %s %d\n", masterName, failoverTimeout.Milliseconds())
	for _, l := range extra {
		b.WriteString(l + "\n")
	}
	return b.String()
}

// node is one Redis instance of a scenario: a redistest instance in this process or a
// redis-server process, reached over the network either way, so that a dead one does not
// answer.
type node struct {
	name   string // "master", "r1", "r2": its role at the start
	port   int
	client *redis.Client
	kill   func()                                // vanish as a process killed with SIGKILL does
	revive func(t testing.TB)                    // start again on the same port, empty, as a master
	drop   func(t testing.TB, c context.Context) // cut a replica's link to its master
}

func (n *node) String() string { return fmt.Sprintf("%s (:%d)", n.name, n.port) }

// info returns the INFO section's fields; nil when the instance does not answer.
func (n *node) info(section string) map[string]string {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	s, err := n.client.Info(ctx, section).Result()
	if err != nil {
		return nil
	}
	return infoFields(s)
}

// dataSet is the master and two replicas of a scenario, linked up.
type dataSet struct {
	master, r1, r2 *node
}

func (d *dataSet) replicaPorts() []int { return []int{d.r1.port, d.r2.port} }

// replicas returns the replica at port and the other one; nil, nil if neither is there.
func (d *dataSet) replicas(port int) (at, other *node) {
	switch port {
	case d.r1.port:
		return d.r1, d.r2
	case d.r2.port:
		return d.r2, d.r1
	}
	return nil, nil
}

// replicaOpts configures one replica: redis.conf parameters (replica-priority) and, on
// redistest only, a fixed run ID, which redis-sentinel uses to break ties.
type replicaOpts struct {
	config map[string]string
	runID  string
}

// runner starts the data side of a scenario: the same scenarios on two kinds of Redis,
// plaintext or (withTLS) TLS only.
type runner struct {
	name    string
	startOn func(t testing.TB, x *tlsSetup, r1, r2 replicaOpts) *dataSet
	tls     *tlsSetup
}

var (
	onRedistest = runner{name: "redistest", startOn: startRedistestSet}
	onRedis     = runner{name: "redis-server", startOn: startRedisSet}
)

func (r runner) start(t testing.TB, r1, r2 replicaOpts) *dataSet {
	t.Helper()
	return r.startOn(t, r.tls, r1, r2)
}

// withTLS is r with every instance TLS only, replicating over TLS and verifying its
// clients' certificates (tls-auth-clients yes), all with x's certificates.
func (r runner) withTLS(x *tlsSetup) runner {
	r.tls = x
	return r
}

func startRedistestSet(t testing.TB, x *tlsSetup, r1, r2 replicaOpts) *dataSet {
	t.Helper()
	wrap := func(name string, s *redistest.Server) *node {
		return &node{name: name, port: s.Port(), client: dialOn(t, x, s.Addr()), kill: s.Kill,
			revive: func(t testing.TB) {
				t.Helper()
				// The role it had when it was killed comes back: a master, as a
				// redis-server restarted on the same config comes back.
				if err := s.Restart(redistest.RestartOptions{}); err != nil {
					t.Fatal(err)
				}
			},
			drop: func(testing.TB, context.Context) { s.DropReplicationLink() }}
	}
	base := redistest.Options{}
	if x != nil {
		base.TLS, base.ReplicationTLS = x.Server, x.Client
	}
	m := redistest.RunT(t, base)
	replica := func(o replicaOpts) *redistest.Server {
		opts := base
		opts.ReplicaOf, opts.Config, opts.RunID = m.Addr(), o.config, o.runID
		return redistest.RunT(t, opts)
	}
	d := &dataSet{master: wrap("master", m), r1: wrap("r1", replica(r1)), r2: wrap("r2", replica(r2))}
	waitLinked(t, d)
	return d
}

func startRedisSet(t testing.TB, x *tlsSetup, r1, r2 replicaOpts) *dataSet {
	t.Helper()
	wrap := func(name string, s *realredis.Server) *node {
		return &node{name: name, port: s.Port, client: dialOn(t, x, s.Addr), kill: s.Stop,
			revive: func(testing.TB) { s.Restart() }, // same arguments: no --replicaof
			drop: func(t testing.TB, ctx context.Context) {
				t.Helper()
				if err := dialOn(t, x, s.Addr).Do(ctx, "CLIENT", "KILL", "TYPE", "master").Err(); err != nil {
					t.Fatalf("CLIENT KILL TYPE master on %s: %v", s.Addr, err)
				}
			}}
	}
	// Without the 5 s diskless-sync delay (Redis's own sentinel tests set it to 0 too) the
	// restarted old master's full sync does not dominate the scenario's time.
	base := []string{"--repl-diskless-sync-delay", "0"}
	startServer := func(args ...string) *realredis.Server {
		if x != nil {
			return realredis.StartServerTLS(t, 10*time.Second, x.redis, args...)
		}
		return realredis.StartServer(t, 10*time.Second, args...)
	}
	m := startServer(base...)
	replica := func(o replicaOpts) *realredis.Server {
		args := append(slices.Clone(base), "--replicaof", "127.0.0.1", strconv.Itoa(m.Port))
		for _, k := range sortedKeys(o.config) {
			args = append(args, "--"+k, o.config[k])
		}
		return startServer(args...)
	}
	d := &dataSet{master: wrap("master", m), r1: wrap("r1", replica(r1)), r2: wrap("r2", replica(r2))}
	waitLinked(t, d)
	return d
}

func sortedKeys(m map[string]string) []string {
	var keys []string
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// waitLinked waits until both replicas are linked to the master and the master lists them.
func waitLinked(t testing.TB, d *dataSet) {
	t.Helper()
	waitFor(t, 10*time.Second, "both replicas linked up", func() bool {
		return d.r1.info("replication")["master_link_status"] == "up" &&
			d.r2.info("replication")["master_link_status"] == "up" &&
			d.master.info("replication")["connected_slaves"] == "2"
	})
}

// waitFollows waits until n is a replica of the instance at masterPort with its link up.
func waitFollows(t testing.TB, n *node, masterPort int, within time.Duration) {
	t.Helper()
	var last map[string]string
	waitFor(t, within, fmt.Sprintf("%s to replicate from :%d with its link up", n, masterPort), func() bool {
		last = n.info("replication")
		return last["role"] == "slave" && last["master_port"] == strconv.Itoa(masterPort) &&
			last["master_link_status"] == "up"
	})
}

// group is the three sentinels of a scenario and their event recorders.
type group struct {
	procs []*proc
	recs  []*recorder
	ids   []string  // SENTINEL MYID of each
	tls   *tlsSetup // how clients reach them; nil: plaintext
}

// startGroup starts one sentinel per kind on failoverConf(extra...), records their events
// from the start, and dumps them all when the test fails.
func startGroup(t testing.TB, kinds []string, masterPort int, extra ...string) *group {
	t.Helper()
	return startGroupOn(t, nil, kinds, masterPort, extra...)
}

// startGroupOn is startGroup for sentinels that speak TLS on every link when x is set.
func startGroupOn(t testing.TB, x *tlsSetup, kinds []string, masterPort int, extra ...string) *group {
	t.Helper()
	g := &group{tls: x}
	for _, kind := range kinds {
		port := realredis.FreePort(t)
		p := startSentinelOn(t, x, kind, t.TempDir(), port, failoverConfOn(x, port, masterPort, extra...))
		g.procs = append(g.procs, p)
		g.recs = append(g.recs, record(t, p))
		g.ids = append(g.ids, p.myID(t))
	}
	t.Cleanup(func() {
		if t.Failed() {
			for i, r := range g.recs {
				t.Logf("%s (myid %s) published:\n%s", g.procs[i], g.ids[i], r.dump())
			}
		}
	})
	return g
}

// name is a sentinel's description with its run ID's first characters, as logs show it.
func (g *group) name(i int) string { return fmt.Sprintf("%s %.8s", g.procs[i], g.ids[i]) }

// byID returns the index of the sentinel with that run ID, or -1.
func (g *group) byID(id string) int { return slices.Index(g.ids, id) }

// waitAny waits until one of the sentinels in idx publishes a matching event, and returns
// which and the event.
func (g *group) waitAny(t testing.TB, idx []int, within time.Duration, channel string, m matcher) (int, event) {
	t.Helper()
	who, ev := -1, event{}
	waitFor(t, within, fmt.Sprintf("one of the sentinels to publish %s %s", channel, m.what), func() bool {
		for _, i := range idx {
			if e, ok := g.recs[i].find(channel, m.f); ok {
				who, ev = i, e
				return true
			}
		}
		return false
	})
	return who, ev
}

// count is how many events on channel sentinel i published whose payload satisfies m.
func (g *group) count(i int, channel string, m matcher) int { return count(g.recs[i], channel, m) }

// count is how many events on channel r recorded whose payload satisfies m.
func count(r *recorder, channel string, m matcher) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, e := range r.events {
		if e.Channel == channel && m.f(e.Payload) {
			n++
		}
	}
	return n
}

func all(g *group) []int {
	idx := make([]int, len(g.procs))
	for i := range idx {
		idx[i] = i
	}
	return idx
}

// waitSwitch waits until every sentinel in idx publishes +switch-master away from
// oldPort, checks that they all name the same new master, and returns its port and the
// earliest of the events.
func (g *group) waitSwitch(t testing.TB, idx []int, oldPort int, deadline time.Time) (int, time.Time) {
	t.Helper()
	prefix := fmt.Sprintf("%s 127.0.0.1 %d 127.0.0.1 ", masterName, oldPort)
	newPort, first := 0, time.Time{}
	for _, i := range idx {
		e := g.recs[i].wait(t, time.Until(deadline), "+switch-master", hasPrefix(prefix))
		p, err := strconv.Atoi(strings.TrimPrefix(e.Payload, prefix))
		if err != nil {
			t.Fatalf("%s: +switch-master %q: no new port", g.name(i), e.Payload)
		}
		if newPort == 0 {
			newPort = p
		} else if p != newPort {
			t.Fatalf("%s switched to :%d, another sentinel to :%d", g.name(i), p, newPort)
		}
		if first.IsZero() || e.At.Before(first) {
			first = e.At
		}
	}
	return newPort, first
}

// waitAgreement waits until every sentinel in idx reports the master at newPort with the
// same non-zero config-epoch (the leader sets it at the promotion, the others adopt it from
// its hellos together with the address), and returns that epoch.
func (g *group) waitAgreement(t testing.TB, idx []int, newPort int, within time.Duration) int {
	t.Helper()
	var views []string
	epoch := 0
	for deadline := time.Now().Add(within); ; {
		views = views[:0]
		agreed := true
		epochs := map[string]bool{}
		for _, i := range idx {
			m := g.procs[i].master()
			views = append(views, fmt.Sprintf("%s: %s:%s config-epoch %s", g.name(i), m["ip"], m["port"], m["config-epoch"]))
			agreed = agreed && m["ip"] == "127.0.0.1" && m["port"] == strconv.Itoa(newPort)
			epochs[m["config-epoch"]] = true
		}
		if agreed && len(epochs) == 1 {
			for e := range epochs {
				epoch, _ = strconv.Atoi(e)
			}
			if epoch > 0 {
				return epoch
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("after %v the sentinels do not all report the master at :%d with one config-epoch:\n  %s",
				within, newPort, strings.Join(views, "\n  "))
		}
		time.Sleep(10 * time.Millisecond) // the poll interval of waitFor
	}
}

// leaders describes who published +elected-leader and +promoted-slave (only a leader does)
// and whose +config-update-from observers named: who ran the failover.
func (g *group) leaders() string {
	var b strings.Builder
	for i := range g.procs {
		var what []string
		for _, ch := range []string{"+elected-leader", "+promoted-slave", "+config-update-from", "-failover-abort-not-elected"} {
			if n := g.count(i, ch, hasPrefix("")); n > 0 {
				what = append(what, fmt.Sprintf("%s ×%d", ch, n))
			}
		}
		if e, ok := g.recs[i].find("+config-update-from", func(string) bool { return true }); ok {
			f := strings.Fields(e.Payload)
			if len(f) > 1 {
				if j := g.byID(f[1]); j >= 0 {
					what = append(what, "(from "+g.name(j)+")")
				}
			}
		}
		fmt.Fprintf(&b, "\n  %s: %s", g.name(i), strings.Join(what, ", "))
	}
	return b.String()
}

// writer writes an increasing counter through go-redis's FailoverClient, which asks the
// sentinels for the master and follows their +switch-master, as an application does.
type writer struct {
	fc         *redis.Client
	stop, done chan struct{}

	mu       sync.Mutex
	acked    []time.Time // when each acknowledged write was acknowledged
	failures []time.Time // when each failed write failed
	last     int64       // the last value acknowledged
	stopErr  error
}

const counterKey = "failover-counter"

func startWriter(t testing.TB, g *group) *writer {
	t.Helper()
	var addrs []string
	for _, p := range g.procs {
		addrs = append(addrs, p.Addr)
	}
	// Short timeouts and no retries, so a write to the dead master fails fast and the next
	// one dials whatever the sentinels then name.
	w := &writer{fc: redis.NewFailoverClient(&redis.FailoverOptions{MasterName: masterName, SentinelAddrs: addrs,
		DialTimeout: 300 * time.Millisecond, ReadTimeout: 300 * time.Millisecond, WriteTimeout: 300 * time.Millisecond,
		MaxRetries: -1, DisableIdentity: true, TLSConfig: g.tls.clientConfig()}),
		stop: make(chan struct{}), done: make(chan struct{})}
	go w.run()
	t.Cleanup(func() {
		w.finish()
		w.fc.Close()
	})
	return w
}

func (w *writer) run() {
	defer close(w.done)
	tick := time.NewTicker(10 * time.Millisecond) // paces the writes, about 100 a second
	defer tick.Stop()
	var stopBy time.Time
	for n := int64(1); ; n++ {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		err := w.fc.Set(ctx, counterKey, n, 0).Err()
		cancel()
		w.mu.Lock()
		if err == nil {
			w.acked = append(w.acked, time.Now())
			w.last = n
		} else {
			w.failures = append(w.failures, time.Now())
		}
		w.mu.Unlock()
		// Once asked to stop it ends on an acknowledged write, so that the value stored is
		// exactly the last one acknowledged.
		if !stopBy.IsZero() {
			if err == nil {
				return
			}
			if time.Now().After(stopBy) {
				w.mu.Lock()
				w.stopErr = fmt.Errorf("no write acknowledged in the 10 s after stopping: %w", err)
				w.mu.Unlock()
				return
			}
		}
		select {
		case <-w.stop:
			if stopBy.IsZero() {
				stopBy = time.Now().Add(10 * time.Second)
			}
		case <-tick.C:
		}
	}
}

// finish stops the writer and waits for it; it may be called more than once.
func (w *writer) finish() {
	select {
	case <-w.stop:
	default:
		close(w.stop)
	}
	<-w.done
}

// ackedSince is how many writes were acknowledged after at.
func (w *writer) ackedSince(at time.Time) int {
	w.mu.Lock()
	defer w.mu.Unlock()
	n := 0
	for _, a := range w.acked {
		if a.After(at) {
			n++
		}
	}
	return n
}

// failoverScenario is TestFailover's scenario with its parts switched on or off, so that
// the mixed groups can run the same steps.
type failoverScenario struct {
	kinds  []string
	run    runner
	client bool // write through a FailoverClient all along
	revive bool // restart the old master and wait until it follows the new one
	// tls runs everything over TLS only (realredis.TLS): instances, sentinels, the links
	// between them, the FailoverClient, and redis-cli asking each sentinel for the master.
	tls bool
	// election checks that every sentinel lists the others by run ID and address, and that
	// the leader was elected by a majority's +vote-for-leader.
	election bool
}

// runFailover kills the master under three sentinels and checks the failover's outcome.
func runFailover(t *testing.T, sc failoverScenario) {
	for _, k := range sc.kinds {
		binary(t, k)
	}
	var x *tlsSetup
	if sc.tls {
		x = newTLSSetup(t)
	}
	d := sc.run.withTLS(x).start(t, replicaOpts{}, replicaOpts{})
	g := startGroupOn(t, x, sc.kinds, d.master.port)
	waitDiscoveryOf(t, d.replicaPorts(), g.procs...)
	if sc.election {
		checkPeersListed(t, g.procs, g.ids)
	}
	var w *writer
	if sc.client {
		w = startWriter(t, g)
		waitFor(t, 10*time.Second, "the first write through the FailoverClient", func() bool { return w.ackedSince(time.Time{}) > 0 })
	}

	killed := time.Now()
	d.master.kill()
	newPort, switched := g.waitSwitch(t, all(g), d.master.port, killed.Add(failoverWithin))
	promoted, other := d.replicas(newPort)
	if promoted == nil {
		t.Fatalf("switched to :%d, which is neither replica (%v)", newPort, d.replicaPorts())
	}
	t.Logf("first +switch-master %v after the kill, to %s; who led:%s", switched.Sub(killed).Round(time.Millisecond), promoted, g.leaders())
	if sc.tls {
		// Each has published its +switch-master, so each names the new master.
		want := fmt.Sprintf("127.0.0.1\n%d\n", newPort)
		for i, p := range g.procs {
			if got := x.cli(t, p.Port, "SENTINEL", "GET-MASTER-ADDR-BY-NAME", masterName); got != want {
				t.Errorf("%s: redis-cli --tls SENTINEL GET-MASTER-ADDR-BY-NAME = %q, want %q", g.name(i), got, want)
			}
		}
	}
	waitFollows(t, other, newPort, followWithin)
	if info := promoted.info("replication"); info["role"] != "master" {
		t.Errorf("the promoted %s reports role %q", promoted, info["role"])
	}

	if w != nil {
		waitFor(t, 10*time.Second, "writes acknowledged through the FailoverClient after +switch-master", func() bool {
			return w.ackedSince(switched) >= 5
		})
		w.finish()
		if w.stopErr != nil {
			t.Fatal(w.stopErr)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		v, err := promoted.client.Get(ctx, counterKey).Int64()
		cancel()
		if err != nil || v != w.last {
			t.Errorf("GET %s on the new master %s = %d, %v; want the last acknowledged value %d", counterKey, promoted, v, err, w.last)
		}
		// The first write acknowledged after the first one that failed after the kill is
		// the new master's: one acknowledged just after the kill may be the old master's
		// reply still on its way.
		w.mu.Lock()
		firstNew := firstAckAfterFailure(w.acked, w.failures, killed)
		w.mu.Unlock()
		t.Logf("FailoverClient: %d writes acknowledged in all, the new master's first %v after the kill, %d after the first +switch-master, %d failed",
			len(w.acked), firstNew.Sub(killed).Round(time.Millisecond), w.ackedSince(switched), len(w.failures))
	}

	if sc.revive {
		revived := time.Now()
		d.master.revive(t)
		conv := fmt.Sprintf("slave 127.0.0.1:%d 127.0.0.1 %d @ %s 127.0.0.1 %d", d.master.port, d.master.port, masterName, newPort)
		who, e := g.waitAny(t, all(g), convertWithin, "+convert-to-slave", equals(conv))
		t.Logf("%s converted the old master %v after its restart", g.name(who), e.At.Sub(revived).Round(time.Millisecond))
		waitFollows(t, d.master, newPort, followWithin)
	}

	epoch := g.waitAgreement(t, all(g), newPort, 10*time.Second)
	for i := range g.procs {
		if n := g.count(i, "+switch-master", hasPrefix(masterName+" ")); n != 1 {
			t.Errorf("%s published +switch-master %d times, want once", g.name(i), n)
		}
	}
	g.checkOneLeader(t)
	if sc.election {
		g.checkVotes(t, epoch)
	}
	t.Logf("all sentinels agree: master :%d, config-epoch %d", newPort, epoch)
}

// checkVotes checks the election behind the failover of epoch (the config-epoch the
// leader gave the new master): a majority of the group, the leader included, published
// +vote-for-leader for the leader in that epoch, and nobody voted twice in it.
func (g *group) checkVotes(t testing.TB, epoch int) {
	t.Helper()
	leader := -1
	for i := range g.procs {
		if _, ok := g.recs[i].find("+promoted-slave", hasPrefix("slave ").f); ok {
			leader = i
		}
	}
	if leader < 0 {
		return // checkOneLeader has said so
	}
	inEpoch := matcher{fmt.Sprintf("... %d", epoch), func(p string) bool { return strings.HasSuffix(p, " "+strconv.Itoa(epoch)) }}
	var voters []string
	for i := range g.procs {
		if g.count(i, "+vote-for-leader", equals(fmt.Sprintf("%s %d", g.ids[leader], epoch))) == 1 {
			voters = append(voters, g.name(i))
		}
		if n := g.count(i, "+vote-for-leader", inEpoch); n > 1 {
			t.Errorf("%s voted %d times in epoch %d", g.name(i), n, epoch)
		}
	}
	if len(voters) < len(g.procs)/2+1 || !slices.Contains(voters, g.name(leader)) {
		t.Errorf("%s led epoch %d with the votes of %q: want a majority of %d, itself included", g.name(leader), epoch, voters, len(g.procs))
	}
	t.Logf("%s elected in epoch %d by %q", g.name(leader), epoch, voters)
}

// checkOneLeader checks who ran the failover, as redis-sentinel shows it: exactly one
// sentinel published +promoted-slave (only the leader does, after its +elected-leader),
// and every other one adopted the new configuration from that one's hello, publishing
// +config-update-from naming it just before its own +switch-master.
func (g *group) checkOneLeader(t testing.TB) {
	t.Helper()
	leader := -1
	for i := range g.procs {
		if _, ok := g.recs[i].find("+promoted-slave", hasPrefix("slave ").f); !ok {
			continue
		}
		if leader >= 0 {
			t.Errorf("both %s and %s published +promoted-slave", g.name(leader), g.name(i))
		}
		leader = i
		if _, ok := g.recs[i].find("+elected-leader", hasPrefix("master ").f); !ok {
			t.Errorf("%s published +promoted-slave without +elected-leader", g.name(i))
		}
	}
	if leader < 0 {
		t.Errorf("no sentinel published +promoted-slave")
		return
	}
	from := hasPrefix(fmt.Sprintf("sentinel %s 127.0.0.1 %d @ %s ", g.ids[leader], g.procs[leader].Port, masterName))
	for i := range g.procs {
		if i == leader {
			continue
		}
		if _, ok := g.recs[i].find("+config-update-from", from.f); !ok {
			t.Errorf("%s published no +config-update-from %s", g.name(i), from.what)
		}
	}
}

// firstAckAfterFailure returns the first of acked after the first of failures after at;
// both are ascending. Zero if there is none.
func firstAckAfterFailure(acked, failures []time.Time, at time.Time) time.Time {
	i := slices.IndexFunc(failures, func(f time.Time) bool { return f.After(at) })
	if i < 0 {
		return time.Time{}
	}
	j := slices.IndexFunc(acked, func(a time.Time) bool { return a.After(failures[i]) })
	if j < 0 {
		return time.Time{}
	}
	return acked[j]
}

// TestFailover kills the master under three sentinels of one kind, on redistest and on
// redis-server: every sentinel publishes +switch-master once, to the same replica; the
// other replica follows it; a FailoverClient's writes land on the new master; the old
// master, restarted, is converted into its replica; all agree on address and config-epoch.
// Kind real checks the scenario.
func TestFailover(t *testing.T) {
	t.Parallel()
	for _, kind := range []string{real, ours} {
		for _, run := range []runner{onRedistest, onRedis} {
			t.Run(kind+"/"+run.name, func(t *testing.T) {
				t.Parallel()
				runFailover(t, failoverScenario{kinds: []string{kind, kind, kind}, run: run, client: true, revive: true})
			})
		}
	}
}

// TestFailoverMixed runs the failover with real and ours in one group: whichever wins the
// election, the failover completes and all three agree on the new master and config-epoch.
func TestFailoverMixed(t *testing.T) {
	t.Parallel()
	for _, kinds := range [][]string{{real, real, ours}, {real, ours, ours}} {
		t.Run(strings.Join(kinds, "+"), func(t *testing.T) {
			t.Parallel()
			runFailover(t, failoverScenario{kinds: kinds, run: onRedistest})
		})
	}
}

// Run IDs that make a replica win or lose redis-sentinel's last tie-break (the smaller run
// ID wins), so a test can put the tie-break against the rule it checks.
var (
	winsTies  = strings.Repeat("0", 40)
	losesTies = strings.Repeat("f", 40)
)

// TestFailoverSelection checks which replica is promoted (redis-sentinel's sentinelSelectSlave), on redistest, whose
// run IDs are fixed so that the tie-break always favours the replica that must lose:
// replica-priority 0 is never promoted; with equal priorities the larger replication
// offset wins; with no eligible replica the leader aborts with
// -failover-abort-no-good-slave and nobody switches.
func TestFailoverSelection(t *testing.T) {
	t.Parallel()
	for _, kind := range []string{real, ours} {
		t.Run(kind+"/priority-0", func(t *testing.T) {
			t.Parallel()
			binary(t, kind)
			d := onRedistest.start(t, replicaOpts{config: map[string]string{"replica-priority": "0"}, runID: winsTies},
				replicaOpts{runID: losesTies})
			selectionOutcome(t, kind, d, nil, d.r2)
		})
		t.Run(kind+"/offset", func(t *testing.T) {
			t.Parallel()
			binary(t, kind)
			d := onRedistest.start(t, replicaOpts{runID: winsTies}, replicaOpts{runID: losesTies})
			selectionOutcome(t, kind, d, lagBehind, d.r2)
		})
		t.Run(kind+"/no-good-slave", func(t *testing.T) {
			t.Parallel()
			binary(t, kind)
			never := replicaOpts{config: map[string]string{"replica-priority": "0"}}
			d := onRedistest.start(t, never, never)
			g := startGroup(t, []string{kind, kind, kind}, d.master.port)
			waitDiscoveryOf(t, d.replicaPorts(), g.procs...)
			d.master.kill()
			master := fmt.Sprintf("master %s 127.0.0.1 %d", masterName, d.master.port)
			who, _ := g.waitAny(t, all(g), failoverWithin, "-failover-abort-no-good-slave", equals(master))
			if _, ok := g.recs[who].find("+elected-leader", equals(master).f); !ok {
				t.Errorf("%s aborted for want of a replica without having published +elected-leader", g.name(who))
			}
			for i := range g.procs {
				if e, ok := g.recs[i].find("+switch-master", hasPrefix(masterName+" ").f); ok {
					t.Errorf("%s published +switch-master %q with no replica eligible", g.name(i), e.Payload)
				}
				if e, ok := g.recs[i].find("+selected-slave", hasPrefix("slave ").f); ok {
					t.Errorf("%s selected a replica of priority 0: %q", g.name(i), e.Payload)
				}
			}
			t.Logf("%s published -failover-abort-no-good-slave; who led:%s", g.name(who), g.leaders())
		})
	}
}

// lagBehind makes r1 miss the master's last writes: it drops r1's replication link and
// lets it fail to come back (a wrong masterauth: the master has no password, so AUTH is an
// error and the replica gives up the attempt), writes, and waits until r2 has every byte
// and r1 is behind. r1 stays connected and answering, so the sentinels still consider it.
// The writes come just before the kill, as in a real crash, so a sentinel only sees r2's
// larger offset in an INFO read after them: redis-sentinel asks every replica for INFO as
// soon as the master is ODOWN (the period drops to 1 s) and selects a tick or more later.
// It returns what to do once the master is dead: restore r1's masterauth, so that r1 can
// follow whichever replica wins (its offset cannot move any more).
func lagBehind(t testing.TB, d *dataSet) (afterKill func()) {
	t.Helper()
	ctx := t.Context()
	if err := d.r1.client.ConfigSet(ctx, "masterauth", "no-such-password").Err(); err != nil {
		t.Fatal(err)
	}
	d.r1.drop(t, ctx)
	waitFor(t, 10*time.Second, "r1's replication link to stay down", func() bool {
		return d.r1.info("replication")["master_link_status"] == "down"
	})
	for i := range 100 {
		if err := d.master.client.Set(ctx, fmt.Sprintf("k%d", i), i, 0).Err(); err != nil {
			t.Fatal(err)
		}
	}
	var mo, o1, o2 string
	waitFor(t, 10*time.Second, "r2 to have all the writes and r1 not", func() bool {
		mo = d.master.info("replication")["master_repl_offset"]
		o1, o2 = d.r1.info("replication")["slave_repl_offset"], d.r2.info("replication")["slave_repl_offset"]
		n1, _ := strconv.ParseInt(o1, 10, 64)
		n2, _ := strconv.ParseInt(o2, 10, 64)
		return mo != "" && o2 == mo && n1 < n2
	})
	t.Logf("before the kill: master offset %s, r1 %s, r2 %s", mo, o1, o2)
	return func() {
		if err := d.r1.client.ConfigSet(ctx, "masterauth", "").Err(); err != nil {
			t.Fatal(err)
		}
	}
}

// selectionOutcome runs three sentinels of kind over d, applies before (if any), kills
// the master, runs what before returned, and checks that want is promoted and the other
// replica follows it.
func selectionOutcome(t *testing.T, kind string, d *dataSet, before func(testing.TB, *dataSet) func(), want *node) {
	g := startGroup(t, []string{kind, kind, kind}, d.master.port)
	waitDiscoveryOf(t, d.replicaPorts(), g.procs...)
	afterKill := func() {}
	if before != nil {
		afterKill = before(t, d)
	}
	killed := time.Now()
	d.master.kill()
	afterKill()
	newPort, switched := g.waitSwitch(t, all(g), d.master.port, killed.Add(failoverWithin))
	got, other := d.replicas(newPort)
	if got != want {
		t.Fatalf("promoted %v, want %s; who led:%s", got, want, g.leaders())
	}
	t.Logf("promoted %s, +switch-master %v after the kill; who led:%s", got, switched.Sub(killed).Round(time.Millisecond), g.leaders())
	waitFollows(t, other, newPort, followWithin)
	g.waitAgreement(t, all(g), newPort, 10*time.Second)
}

// TestFailoverLeaderCrash makes the elected leader exit (SENTINEL SIMULATE-FAILURE on all
// three) right after its election, or right after its promotion of a replica. The two
// others time out on that failover and, 2 × failover-timeout after their vote, elect one
// of themselves in a later epoch, which completes the failover; the crashed one, restarted,
// learns the outcome from their hellos (the higher config-epoch wins).
func TestFailoverLeaderCrash(t *testing.T) {
	t.Parallel()
	for _, kind := range []string{real, ours} {
		for _, flag := range []string{"crash-after-election", "crash-after-promotion"} {
			t.Run(kind+"/"+flag, func(t *testing.T) {
				t.Parallel()
				binary(t, kind)
				leaderCrash(t, kind, flag)
			})
		}
	}
}

func leaderCrash(t *testing.T, kind, flag string) {
	d := onRedistest.start(t, replicaOpts{}, replicaOpts{})
	g := startGroup(t, []string{kind, kind, kind}, d.master.port)
	waitDiscoveryOf(t, d.replicaPorts(), g.procs...)
	for _, p := range g.procs {
		if err := p.Client.Do(t.Context(), "SENTINEL", "SIMULATE-FAILURE", flag).Err(); err != nil {
			t.Fatalf("%s: SENTINEL SIMULATE-FAILURE %s: %v", p, flag, err)
		}
	}
	killed := time.Now()
	d.master.kill()
	crashed := -1
	waitFor(t, failoverWithin, "the elected leader to crash", func() bool {
		for i, p := range g.procs {
			if !p.alive() {
				crashed = i
				return true
			}
		}
		return false
	})
	crashedAt := time.Now()
	var survivors []int
	for i, p := range g.procs {
		if i != crashed {
			survivors = append(survivors, i)
			if !p.alive() {
				t.Fatalf("%s exited too", g.name(i))
			}
		}
	}
	// The survivors got the flag too, and whichever leads next would crash as well. They
	// cannot start an attempt before 2 × failover-timeout after their vote, which leaves
	// ample time to clear it: SIMULATE-FAILURE resets the flags before reading its
	// arguments, and HELP sets none.
	for _, i := range survivors {
		if err := g.procs[i].Client.Do(t.Context(), "SENTINEL", "SIMULATE-FAILURE", "HELP").Err(); err != nil {
			t.Fatalf("%s: SENTINEL SIMULATE-FAILURE HELP: %v", g.name(i), err)
		}
		if f := infoFields(g.procs[i].Client.Info(t.Context(), "sentinel").Val())["sentinel_simulate_failure_flags"]; f != "0" {
			t.Fatalf("%s: INFO sentinel_simulate_failure_flags = %q after SIMULATE-FAILURE HELP, want 0", g.name(i), f)
		}
	}
	if !strings.Contains(g.procs[crashed].Proc.Log(), "Sentinel CRASH because of SENTINEL simulate-failure") {
		t.Errorf("%s exited without logging the simulated crash", g.name(crashed))
	}
	// The epoch it was elected in: a survivor's vote for it (a leader needs one).
	leaderEpoch := 0
	for _, i := range survivors {
		if e, ok := g.recs[i].find("+vote-for-leader", hasPrefix(g.ids[crashed]+" ").f); ok {
			leaderEpoch, _ = strconv.Atoi(strings.Fields(e.Payload)[1])
		}
	}
	if leaderEpoch == 0 {
		t.Fatalf("%s crashed but no other sentinel voted for it", g.name(crashed))
	}
	masters := func() (ms []*node) {
		for _, n := range []*node{d.r1, d.r2} {
			if n.info("replication")["role"] == "master" {
				ms = append(ms, n)
			}
		}
		return ms
	}
	// What the crash left behind: no promotion yet, or exactly one replica promoted.
	var promoted *node
	if flag == "crash-after-promotion" {
		ms := masters()
		if len(ms) != 1 {
			t.Fatalf("after %s %d replicas report role master, want 1", flag, len(ms))
		}
		promoted = ms[0]
	} else if ms := masters(); len(ms) != 0 {
		t.Fatalf("after %s, %v report role master: nothing should have been promoted", flag, ms)
	}
	t.Logf("%s crashed %v after the kill, elected in epoch %d; promoted before the crash: %v",
		g.name(crashed), crashedAt.Sub(killed).Round(time.Millisecond), leaderEpoch, promoted)

	// The survivors wait out the failover they voted for (2 × failover-timeout from their
	// vote), then one of them leads a new one.
	newPort, switched := g.waitSwitch(t, survivors, d.master.port, crashedAt.Add(2*failoverTimeout+failoverWithin))
	chosen, other := d.replicas(newPort)
	if chosen == nil {
		t.Fatalf("switched to :%d, which is neither replica", newPort)
	}
	t.Logf("survivors' +switch-master %v after the crash, to %s (promoted before the crash: %v); who led:%s",
		switched.Sub(crashedAt).Round(time.Millisecond), chosen, promoted, g.leaders())
	waitFollows(t, other, newPort, followWithin)
	epoch := g.waitAgreement(t, survivors, newPort, 10*time.Second)
	if epoch <= leaderEpoch {
		t.Errorf("config-epoch %d after the survivors' failover, want more than the crashed leader's epoch %d", epoch, leaderEpoch)
	}

	// Restarted with the config it saved, the crashed one adopts the newer configuration.
	g.procs[crashed].restart(t)
	g.recs[crashed] = record(t, g.procs[crashed])
	g.waitAgreement(t, all(g), newPort, 20*time.Second)
}

// TestFailoverVoteSurvivesRestart: a sentinel that voted in an epoch and is then stopped
// (SIGTERM) and started again on its config file does not vote again in that epoch: a
// second vote request from another run ID in the same epoch gets the first vote's epoch
// back, never the new candidate, while a request in a later epoch still gets a vote.
// redis-sentinel persists the epoch of its vote (leader-epoch) but not whom it voted for,
// so after a restart it answers "*" for the leader; ours does the same on a plain config
// and, with a state file, also remembers the leader.
func TestFailoverVoteSurvivesRestart(t *testing.T) {
	t.Parallel()
	type variant struct {
		name, kind string
		stateFile  bool
	}
	for _, v := range []variant{{"real", real, false}, {"ours", ours, false}, {"ours/state-file", ours, true}} {
		t.Run(v.name, func(t *testing.T) {
			t.Parallel()
			if bin := binary(t, v.kind); v.stateFile && isRealSentinel(bin) {
				t.Skip("sentinel state-config-file is our extension; SENTINEL_E2E_BIN names redis-sentinel")
			}
			m := redistest.RunT(t)
			port := realredis.FreePort(t)
			var extra []string
			if v.stateFile {
				extra = append(extra, "sentinel state-config-file sentinel.state")
			}
			s := startSentinel(t, v.kind, port, failoverConf(port, m.Port(), extra...))
			state := s.Conf
			if v.stateFile {
				state = filepath.Join(s.Dir, "sentinel.state")
			}
			waitFor(t, 10*time.Second, "the sentinel to see the master", func() bool { return s.master()["flags"] == "master" })
			rec := record(t, s)

			const epoch = 7
			first, second := strings.Repeat("a", 40), strings.Repeat("b", 40)
			vote := func(p *proc, e int, runID string) []any {
				t.Helper()
				r, err := p.Client.Do(t.Context(), "SENTINEL", "is-master-down-by-addr", "127.0.0.1",
					strconv.Itoa(m.Port()), strconv.Itoa(e), runID).Slice()
				if err != nil || len(r) != 3 {
					t.Fatalf("%s: is-master-down-by-addr epoch %d %s = %v, %v", p, e, runID, r, err)
				}
				return r
			}
			if r := vote(s, epoch, first); fmt.Sprint(r[1:]) != fmt.Sprint([]any{first, int64(epoch)}) {
				t.Fatalf("first vote request answered %v, want a vote for %s in epoch %d", r, first, epoch)
			}
			rec.wait(t, 5*time.Second, "+vote-for-leader", equals(fmt.Sprintf("%s %d", first, epoch)))
			persisted := func() []string {
				var got []string
				for _, l := range readLines(t, state) {
					if strings.HasPrefix(l, "sentinel leader") || strings.HasPrefix(l, "sentinel current-epoch") {
						got = append(got, l)
					}
				}
				return got
			}
			// redis-sentinel persists the epoch of its vote but forgets whom it voted for, and
			// then answers "*" with the vote's epoch; ours remembers the leader in its state
			// file.
			wantLeader := "*"
			want := []string{fmt.Sprintf("sentinel leader-epoch %s %d", masterName, epoch), fmt.Sprintf("sentinel current-epoch %d", epoch)}
			if v.stateFile {
				wantLeader = first
				want = append(want, fmt.Sprintf("sentinel leader %s %s", masterName, first))
			}
			before := persisted()
			for _, w := range want {
				if !slices.Contains(before, w) {
					t.Errorf("%s does not hold %q after the vote: %q", state, w, before)
				}
			}

			s.terminate(t, 10*time.Second)
			s.restart(t)
			if after := persisted(); !slices.Equal(after, before) {
				t.Errorf("%s after the restart holds %q, before it %q", state, after, before)
			}
			rec2 := record(t, s)
			for _, e := range []int{epoch, epoch - 1} {
				r := vote(s, e, second)
				t.Logf("after the restart, a vote request for %.8s in epoch %d is answered %v", second, e, r)
				if r[1] == second {
					t.Errorf("voted again after the restart: epoch %d request answered %v", e, r)
				}
				if r[2] != int64(epoch) {
					t.Errorf("epoch %d request answered %v: want the vote's epoch %d", e, r, epoch)
				}
				if r[1] != wantLeader {
					t.Errorf("epoch %d request answered leader %v, want %v", e, r[1], wantLeader)
				}
			}
			// It still votes, in a later epoch: the refusals above were the saved vote.
			if r := vote(s, epoch+1, second); r[1] != second || r[2] != int64(epoch+1) {
				t.Errorf("epoch %d request answered %v, want a vote for %.8s", epoch+1, r, second)
			}
			// Events come in the order they were published, so once this vote's event is
			// in, any from the refused requests would be too.
			rec2.wait(t, 5*time.Second, "+vote-for-leader", equals(fmt.Sprintf("%s %d", second, epoch+1)))
			if n := count(rec2, "+vote-for-leader", hasPrefix("")); n != 1 {
				t.Errorf("published +vote-for-leader %d times after the restart, want once (for epoch %d):\n%s", n, epoch+1, rec2.dump())
			}
		})
	}
}

// isRealSentinel reports whether bin is Debian's redis-sentinel, as under
// SENTINEL_E2E_BIN=/usr/bin/redis-sentinel, which checks the tests with real in every role.
func isRealSentinel(bin string) bool {
	a, err1 := os.Stat(bin)
	b, err2 := os.Stat(realSentinelPath)
	return err1 == nil && err2 == nil && os.SameFile(a, b)
}

// TestFailoverTLS is TestFailover with everything over TLS only: every instance and
// sentinel has port 0 and a tls-port, tls-replication yes (replication and the sentinels'
// links to instances and peers) and tls-auth-clients yes, and the FailoverClient and
// redis-cli dial with the CA and a client certificate. Kind real checks the scenario.
func TestFailoverTLS(t *testing.T) {
	t.Parallel()
	for _, kind := range []string{real, ours} {
		for _, run := range []runner{onRedis, onRedistest} {
			t.Run(kind+"/"+run.name, func(t *testing.T) {
				t.Parallel()
				runFailover(t, failoverScenario{kinds: []string{kind, kind, kind}, run: run, client: true, revive: true,
					tls: true, election: true})
			})
		}
	}
}

// TestFailoverMixedTLS is TestFailoverMixed over TLS: real and ours find each other (by
// run ID, in SENTINEL SENTINELS), vote, and complete the failover whichever side leads.
func TestFailoverMixedTLS(t *testing.T) {
	t.Parallel()
	for _, kinds := range [][]string{{real, real, ours}, {real, ours, ours}} {
		t.Run(strings.Join(kinds, "+"), func(t *testing.T) {
			t.Parallel()
			runFailover(t, failoverScenario{kinds: kinds, run: onRedistest, client: true, tls: true, election: true})
		})
	}
}
