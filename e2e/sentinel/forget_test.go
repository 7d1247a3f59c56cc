package sentinel_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/sentinel-go/sentinel/e2e/realredis"
)

// TestForgetAfter: a replica killed for good is forgotten after forget-after (-slave-forgotten,
// gone from SENTINEL REPLICAS and from the rewritten config); the master and the live
// replica are kept, and a restart of the sentinel does not bring the dead one back.
func TestForgetAfter(t *testing.T) {
	t.Parallel()
	top := startTopology(t, nil)
	port := realredis.FreePort(t)
	p := startSentinel(t, ours, port, sentinelConf(port, top.Master.Port(), 1,
		fmt.Sprintf("sentinel forget-after %s 5000", masterName)))
	waitDiscoveryOf(t, top.replicaPorts(), p)
	rec := record(t, p)
	dead := fmt.Sprintf("127.0.0.1:%d", top.R1.Port())
	top.R1.Kill()
	rec.wait(t, 5*time.Second+downAfter+10*time.Second, "-slave-forgotten",
		hasPrefix(fmt.Sprintf("slave %s 127.0.0.1 %d @ %s", dead, top.R1.Port(), masterName)))
	gone := func() bool {
		rs := p.instances("replicas")
		return len(rs) == 1 && rs[0]["name"] == fmt.Sprintf("127.0.0.1:%d", top.R2.Port())
	}
	waitFor(t, 5*time.Second, "only the live replica listed", gone)
	waitFor(t, 5*time.Second, "no known-replica line for the dead one", func() bool {
		for _, l := range readLines(t, p.Conf) {
			if strings.HasPrefix(l, "sentinel known-replica") && strings.Contains(l, fmt.Sprint(top.R1.Port())) {
				return false
			}
		}
		return true
	})
	if m := p.master(); m["ip"] != "127.0.0.1" || m["port"] != fmt.Sprint(top.Master.Port()) {
		t.Errorf("master is %v", m)
	}
	p.terminate(t, 10*time.Second)
	p.restart(t)
	waitFor(t, 10*time.Second, "the live replica back after the restart", gone)
}
