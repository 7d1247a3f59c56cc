package sentinel_test

import (
	"context"
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/sentinel-go/sentinel/e2e/realredis"
)

// TestNoMinReplicasWarning: on a real redis-server master with a replica and Redis's
// defaults (min-replicas-to-write 0), our sentinel publishes +no-min-replicas once; after
// CONFIG SET min-replicas-to-write 1 (max-lag is 10 by default) the master's next INFO has
// min_slaves_good_slaves and -no-min-replicas follows. redis-sentinel has neither event;
// the differential tests wait for the channels they compare, so it never enters one.
func TestNoMinReplicasWarning(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	m := realredis.StartServer(t, 10*time.Second)
	mc := dial(t, m.Addr)
	port := realredis.FreePort(t)
	p := startSentinel(t, ours, port, sentinelConf(port, m.Port, 1))
	// Recording starts before the master has a replica, so the first warning cannot be
	// published before we listen; INFO every 500 ms keeps the waits short.
	rec := record(t, p)
	if err := p.Client.Do(ctx, "SENTINEL", "DEBUG", "info-period", "500").Err(); err != nil {
		t.Fatal(err)
	}
	realredis.StartServer(t, 10*time.Second, "--replicaof", "127.0.0.1", strconv.Itoa(m.Port))
	prefix := fmt.Sprintf("master %s 127.0.0.1 %d", masterName, m.Port)
	rec.wait(t, 15*time.Second, "+no-min-replicas", equals(prefix+" #slaves 1"))
	if err := mc.ConfigSet(ctx, "min-replicas-to-write", "1").Err(); err != nil {
		t.Fatal(err)
	}
	rec.wait(t, 15*time.Second, "-no-min-replicas", equals(prefix))
	if n := count(rec, "+no-min-replicas", matcher{"any", func(string) bool { return true }}); n != 1 {
		t.Errorf("+no-min-replicas published %d times", n)
	}
}
