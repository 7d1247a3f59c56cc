package sentinel_test

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/sentinel-go/sentinel/e2e/realredis"
)

// TestCoordinatedFailover: SENTINEL FAILOVER <master> COORDINATED hands the master over with
// FAILOVER TO, which pauses writes until the replica caught up, so no write the old master
// acknowledged is missing on the new one; the old master becomes a replica directly, with
// no +convert-to-slave. The classic manual failover promotes with SLAVEOF NO ONE while the
// old master still takes writes, and loses those acknowledged in between.
func TestCoordinatedFailover(t *testing.T) {
	for _, r := range []runner{onRedistest, onRedis} {
		t.Run(r.name, func(t *testing.T) {
			t.Parallel()
			manualFailover(t, r, true)
		})
	}
	// The classic manual failover on the same writer, for comparison: it must complete;
	// the writes it loses are logged, not asserted (how many depends on timing).
	t.Run("classic", func(t *testing.T) {
		t.Parallel()
		manualFailover(t, onRedis, false)
	})
}

func manualFailover(t *testing.T, r runner, coordinated bool) {
	data := r.start(t, replicaOpts{}, replicaOpts{})
	var group []*proc
	for range 3 {
		port := realredis.FreePort(t)
		group = append(group, startSentinel(t, ours, port, sentinelConf(port, data.master.port, 2)))
	}
	waitDiscoveryOf(t, data.replicaPorts(), group...)
	recs := make([]*recorder, len(group))
	for i, p := range group {
		recs[i] = record(t, p)
	}

	// Every acknowledged write is a key of its own, so a lost one shows as a missing key.
	fc := redis.NewFailoverClient(&redis.FailoverOptions{
		MasterName: masterName, SentinelAddrs: []string{group[0].Addr, group[1].Addr, group[2].Addr},
		DialTimeout: 300 * time.Millisecond, ReadTimeout: time.Second, WriteTimeout: time.Second,
		MaxRetries: -1, DisableIdentity: true,
	})
	defer fc.Close()
	ctx, stop := context.WithCancel(context.Background())
	var mu sync.Mutex
	var acked []string
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 0; ctx.Err() == nil && i < 100_000; i++ {
			key := "k:" + strconv.Itoa(i)
			opCtx, cancel := context.WithTimeout(ctx, 2*time.Second)
			err := fc.Set(opCtx, key, i, 0).Err()
			cancel()
			if err == nil {
				mu.Lock()
				acked = append(acked, key)
				mu.Unlock()
			}
			time.Sleep(2 * time.Millisecond) // a steady writer, not a flood
		}
	}()
	waitFor(t, 10*time.Second, "writes through the sentinels", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(acked) > 50
	})

	args := []any{"SENTINEL", "FAILOVER", masterName}
	if coordinated {
		args = append(args, "COORDINATED")
	}
	if err := group[0].Client.Do(context.Background(), args...).Err(); err != nil {
		t.Fatalf("%v: %v", args, err)
	}
	var newMaster string
	for _, rec := range recs {
		e := rec.wait(t, 20*time.Second, "+switch-master", hasPrefix(masterName+" "))
		f := strings.Fields(e.Payload)
		if newMaster == "" {
			newMaster = f[3] + ":" + f[4]
		} else if got := f[3] + ":" + f[4]; got != newMaster {
			t.Fatalf("%s switched to %s, another sentinel to %s", rec.name, got, newMaster)
		}
	}
	// Let the writer go on against the new master for a moment, then check every key.
	waitFor(t, 10*time.Second, "writes accepted after the switch", func() bool {
		mu.Lock()
		defer mu.Unlock()
		n := len(acked)
		return n > 0 && fc.Get(context.Background(), acked[n-1]).Err() == nil
	})
	stop()
	wg.Wait()

	nm := dial(t, newMaster)
	mu.Lock()
	defer mu.Unlock()
	var missing []string
	for _, key := range acked {
		if nm.Exists(context.Background(), key).Val() != 1 {
			missing = append(missing, key)
		}
	}
	if !coordinated {
		t.Logf("classic SENTINEL FAILOVER: %d of %d acknowledged writes missing on the new master", len(missing), len(acked))
		return
	}
	if len(missing) > 0 {
		t.Fatalf("%d of %d acknowledged writes missing on the new master: %v", len(missing), len(acked), missing[:min(10, len(missing))])
	}
	waitFor(t, 10*time.Second, "the old master replicating from the new one", func() bool {
		f := data.master.info("replication")
		return f["role"] == "slave" && fmt.Sprintf("%s:%s", f["master_host"], f["master_port"]) == newMaster &&
			f["master_link_status"] == "up"
	})
	for _, rec := range recs {
		if e, ok := rec.find("+convert-to-slave", func(string) bool { return true }); ok {
			t.Errorf("%s converted %q: FAILOVER TO should have made it a replica already", rec.name, e.Payload)
		}
	}
}
