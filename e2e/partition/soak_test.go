package partition

import (
	"fmt"
	"math/rand"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestSoak runs random fault schedules, seeded, behind SENTINEL_SOAK=1: each round picks a
// few faults (cuts of the master, of a sentinel, Jepsen's split, one-way cuts, a paused or
// killed-and-restarted master), each held a random time around down-after, then heals and
// checks that the group ends with one master and agreeing sentinels. SENTINEL_SOAK_ROUNDS
// sets the rounds (5); the round's seed is logged, and SENTINEL_PARTITION_SEED replays it.
func TestSoak(t *testing.T) {
	if os.Getenv("SENTINEL_SOAK") != "1" {
		t.Skip("random fault schedules run with SENTINEL_SOAK=1")
	}
	rounds := 5
	if s := os.Getenv("SENTINEL_SOAK_ROUNDS"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil {
			t.Fatalf("SENTINEL_SOAK_ROUNDS=%q: %v", s, err)
		}
		rounds = n
	}
	base := Seed(t)
	for round := range rounds {
		seed := base + int64(round)
		t.Run(fmt.Sprintf("seed=%d", seed), func(t *testing.T) {
			eachKindSeed(t, seed, func(t *testing.T, kind Kind, seed int64) { soakRound(t, kind, seed) })
		})
	}
}

// eachKindSeed is eachKind with a given seed.
func eachKindSeed(t *testing.T, seed int64, body func(t *testing.T, kind Kind, seed int64)) {
	t.Setenv("SENTINEL_PARTITION_SEED", strconv.FormatInt(seed, 10))
	eachKind(t, body)
}

func soakRound(t *testing.T, kind Kind, seed int64) {
	c := StartCluster(t, spec(kind, seed))
	g := c.Groups[0]
	wl := c.StartWorkload(g,
		Writer{Name: "c1", Dial: c.ClientNode("c1").Dial},
		Writer{Name: "c2", Dial: c.ClientNode("c2").Dial},
	)
	c.WaitAcked(wl, 20, 10*time.Second)
	rng := rand.New(rand.NewSource(seed))
	var plan []string
	for range 3 + rng.Intn(3) {
		hold := downAfter/2 + time.Duration(rng.Int63n(int64(5*downAfter/2)))
		// The fault hits whoever is master now, as the sentinels say.
		master := g.Servers[0]
		if m := c.SentinelMaster(c.Sentinels[rng.Intn(len(c.Sentinels))], g.Name); m != nil {
			if s := g.ServerAt(m["ip"] + ":" + m["port"]); s != nil {
				master = s
			}
		}
		s := c.Sentinels[rng.Intn(len(c.Sentinels))]
		var what string
		switch rng.Intn(6) {
		case 0:
			what = "cut master " + master.Name
			c.Net.Cut([]*Node{master.Node}, others(c, master.Node))
			sleepOn(c, hold)
			c.Net.Heal()
		case 1:
			what = "cut sentinel " + s.Name
			c.Net.Cut([]*Node{s.Node}, others(c, s.Node))
			sleepOn(c, hold)
			c.Net.Heal()
		case 2:
			what = "jepsen split around " + master.Name + "+" + s.Name
			min := []*Node{master.Node, s.Node}
			c.Net.Cut(min, others(c, min...))
			sleepOn(c, hold)
			c.Net.Heal()
		case 3:
			what = "one-way cut " + master.Name + " -> rest"
			c.Net.CutOneWay([]*Node{master.Node}, others(c, master.Node))
			sleepOn(c, hold)
			c.Net.Heal()
		case 4:
			what = "pause " + master.Name
			master.Proc.Pause()
			sleepOn(c, hold)
			master.Proc.Resume()
		case 5:
			what = "kill -9 and restart " + master.Name
			master.Proc.Kill()
			sleepOn(c, hold)
			master.Proc.Restart()
		}
		plan = append(plan, fmt.Sprintf("%s for %v", what, hold.Round(time.Millisecond)))
		sleepOn(c, time.Duration(rng.Int63n(int64(downAfter))))
	}
	out := c.Finish("soak", g, wl, c.Timeline.Since())
	out.Result.Scenario = fmt.Sprintf("soak seed %d", seed)
	out.Result.Notes = strings.Join(plan, "; ")
	t.Logf("plan: %s", out.Result.Notes)
	Record(out.Result)
}
