package sentinel_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/sentinel-go/sentinel/e2e/realredis"
)

// authPassRounds is how many times TestAuthPassChangedWhileDown changes the password under a
// stopped sentinel: the race it guards against lost about one round in several.
const authPassRounds = 20

// authPassBound is how soon after SENTINEL SET auth-pass every link must be up and answering:
// one reconnect period (1 s) and the handshake, with room for a loaded machine.
const authPassBound = 4 * time.Second

// TestAuthPassChangedWhileDown is issue #10's Build 5: the password of the master and its
// replicas changes while the sentinel is stopped; it comes back with the old one in its
// config, so every link fails its AUTH, and is then given the new one with SENTINEL SET
// auth-pass. It must then be connected to the master and to every replica, with a PING
// answered after the SET, within authPassBound, in every round. The delay between the
// restart and the SET is drawn from a seed (SENTINEL_AUTHPASS_SEED replays one), so the SET
// lands at different points of the failing links' reconnection cycle; half the rounds start
// with the replicas forgotten, to be found by the first INFO that the new password gets.
//
// Ours runs on both kinds of Redis; redis-sentinel, the reference, on redis-server only, as a
// comparison (-run 'TestAuthPassChangedWhileDown/redis-server/real').
func TestAuthPassChangedWhileDown(t *testing.T) {
	for _, c := range []struct {
		r    runner
		kind string
	}{{onRedistest, ours}, {onRedis, ours}, {onRedis, real}} {
		t.Run(c.r.name+"/"+c.kind, func(t *testing.T) {
			if c.kind == real && os.Getenv("SENTINEL_COMPARE") != "1" && !strings.Contains(testRunFlag(), "real") {
				t.Skip("redis-sentinel's figures are a comparison: SENTINEL_COMPARE=1 or -run .../real")
			}
			runAuthPassRounds(t, c.r, c.kind)
		})
	}
}

// testRunFlag is the -run pattern the test binary was given ("" without one).
func testRunFlag() string {
	for i, a := range os.Args {
		if v, ok := strings.CutPrefix(a, "-test.run="); ok {
			return v
		}
		if a == "-test.run" && i+1 < len(os.Args) {
			return os.Args[i+1]
		}
	}
	return ""
}

func runAuthPassRounds(t *testing.T, r runner, kind string) {
	seed := uint64(time.Now().UnixNano())
	if s := os.Getenv("SENTINEL_AUTHPASS_SEED"); s != "" {
		n, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			t.Fatalf("SENTINEL_AUTHPASS_SEED: %v", err)
		}
		seed = n
	}
	t.Logf("seed %d (SENTINEL_AUTHPASS_SEED replays it)", seed)
	rng := rand.New(rand.NewPCG(seed, 0))

	d := r.start(t, replicaOpts{}, replicaOpts{})
	nodes := []*node{d.master, d.r1, d.r2}
	pass := "pass-0"
	for _, n := range nodes {
		changePassword(t, n, "", pass)
	}
	reconnectReplicas(t, d, pass)

	port := realredis.FreePort(t)
	// quorum 2 with one sentinel: a master that stays unreachable long enough to be s_down
	// is never failed over, so each round starts from the same topology.
	p := startSentinel(t, kind, port, sentinelConf(port, d.master.port, 2,
		"sentinel auth-pass "+masterName+" "+pass))
	within := 10 * time.Second
	waitFor(t, within, "the first links up", func() bool { return allLinksAnswered(p, time.Time{}, d) == "" })

	var took []time.Duration
	for round := 1; round <= authPassRounds; round++ {
		p.terminate(t, 10*time.Second)
		next := "pass-" + strconv.Itoa(round)
		for _, n := range nodes {
			changePassword(t, n, pass, next)
		}
		pass = next
		reconnectReplicas(t, d, pass)
		// Every other round, on average, the sentinel has forgotten the replicas: it then
		// learns them from the master's first INFO, which only the new password gets, so
		// their links are made after the SET and must take the new password from it.
		forget := rng.IntN(2) == 0
		if forget {
			forgetReplicas(t, p)
		}
		p.restart(t)
		// Up to 1.5 s: before, during and after the first failed AUTH on each link, and
		// around the second attempt a reconnect period later.
		delay := time.Duration(rng.IntN(1500)) * time.Millisecond
		time.Sleep(delay)
		if err := p.Client.Do(context.Background(), "SENTINEL", "SET", masterName, "auth-pass", pass).Err(); err != nil {
			t.Fatalf("round %d: SENTINEL SET auth-pass: %v", round, err)
		}
		set := time.Now()
		var why string
		for {
			if why = allLinksAnswered(p, set, d); why == "" {
				break
			}
			if time.Since(set) > authPassBound {
				t.Fatalf("round %d (SET %v after the restart, replicas forgotten %v): not reconnected %v after SENTINEL SET auth-pass: %s",
					round, delay, forget, authPassBound, why)
			}
			time.Sleep(10 * time.Millisecond)
		}
		took = append(took, time.Since(set))
	}
	sorted := slices.Clone(took)
	slices.Sort(sorted)
	t.Logf("%s sentinel on %s: %d rounds, reconnected after SENTINEL SET auth-pass in median %v, max %v (all: %v)",
		kind, r.name, len(took), sorted[len(sorted)/2].Round(time.Millisecond),
		sorted[len(sorted)-1].Round(time.Millisecond), roundAll(took))
}

// forgetReplicas drops the known-replica lines from the config of p, which is stopped.
func forgetReplicas(t testing.TB, p *proc) {
	t.Helper()
	var keep []string
	for _, l := range readLines(t, p.Conf) {
		if !strings.HasPrefix(l, "sentinel known-replica ") && !strings.HasPrefix(l, "sentinel known-slave ") {
			keep = append(keep, l)
		}
	}
	if err := os.WriteFile(p.Conf, []byte(strings.Join(keep, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
}

func roundAll(ds []time.Duration) []time.Duration {
	out := make([]time.Duration, len(ds))
	for i, d := range ds {
		out[i] = d.Round(time.Millisecond)
	}
	return out
}

// changePassword sets requirepass and masterauth on n from old to new, authenticating with
// old. The connection that does it is its own: the node's client has no password.
func changePassword(t testing.TB, n *node, old, new string) {
	t.Helper()
	c := redis.NewClient(&redis.Options{Addr: "127.0.0.1:" + strconv.Itoa(n.port), Password: old, MaxRetries: -1})
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	// masterauth first: a replica that reconnects in between still gets in.
	for _, kv := range [][2]string{{"masterauth", new}, {"requirepass", new}} {
		if err := c.ConfigSet(ctx, kv[0], kv[1]).Err(); err != nil {
			t.Fatalf("%s: CONFIG SET %s: %v", n, kv[0], err)
		}
	}
}

// reconnectReplicas makes both replicas drop their link to the master, so that they
// authenticate again with the new password, and waits until they are linked up.
func reconnectReplicas(t testing.TB, d *dataSet, pass string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	clients := map[*node]*redis.Client{}
	for _, n := range []*node{d.master, d.r1, d.r2} {
		c := redis.NewClient(&redis.Options{Addr: "127.0.0.1:" + strconv.Itoa(n.port), Password: pass, MaxRetries: -1})
		defer c.Close()
		clients[n] = c
	}
	for _, n := range []*node{d.r1, d.r2} {
		if err := clients[n].Do(ctx, "CLIENT", "KILL", "TYPE", "master").Err(); err != nil {
			t.Fatalf("%s: CLIENT KILL TYPE master: %v", n, err)
		}
	}
	waitFor(t, 10*time.Second, "both replicas linked up with the new password", func() bool {
		for _, n := range []*node{d.r1, d.r2} {
			s, err := clients[n].Info(ctx, "replication").Result()
			if err != nil || infoFields(s)["master_link_status"] != "up" {
				return false
			}
		}
		s, err := clients[d.master].Info(ctx, "replication").Result()
		return err == nil && infoFields(s)["connected_slaves"] == "2"
	})
}

// allLinksAnswered returns "" when p lists the master and both replicas of d with no
// disconnected flag and an acceptable PING reply newer than since, else what is missing.
// A reply's age is judged against the time before asking, so a reply counted as new is new.
func allLinksAnswered(p *proc, since time.Time, d *dataSet) string {
	asked := time.Now()
	m := p.master()
	reps := p.instances("REPLICAS")
	if m == nil || reps == nil {
		return "SENTINEL MASTER or REPLICAS failed"
	}
	fresh := func(what string, e map[string]string, flags string) string {
		ms, err := strconv.ParseInt(e["last-ok-ping-reply"], 10, 64)
		if err != nil {
			return fmt.Sprintf("%s: last-ok-ping-reply %q", what, e["last-ok-ping-reply"])
		}
		if e["flags"] != flags {
			return fmt.Sprintf("%s: flags %s, last-ok-ping-reply %d ms", what, e["flags"], ms)
		}
		if !asked.Add(-time.Duration(ms) * time.Millisecond).After(since) {
			return fmt.Sprintf("%s: no PING answered since the SET (last-ok-ping-reply %d ms)", what, ms)
		}
		return ""
	}
	if why := fresh("master", m, "master"); why != "" {
		return why
	}
	var missing []string
	for _, port := range d.replicaPorts() {
		i := slices.IndexFunc(reps, func(e map[string]string) bool { return e["port"] == strconv.Itoa(port) })
		if i < 0 {
			missing = append(missing, fmt.Sprintf("replica :%d not listed", port))
			continue
		}
		if why := fresh("replica :"+strconv.Itoa(port), reps[i], "slave"); why != "" {
			missing = append(missing, why)
		}
	}
	return strings.Join(missing, "; ")
}
