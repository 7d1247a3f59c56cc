package sentinel_test

import (
	"bytes"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// scrape GETs /metrics at base and parses it with Prometheus's own text parser; nil when it
// does not answer or does not parse (which the caller's wait then reports).
func scrape(base string) map[string]*dto.MetricFamily {
	code, body := httpStatus(base + "/metrics")
	if code != http.StatusOK {
		return nil
	}
	parser := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := parser.TextToMetricFamilies(bytes.NewReader(body))
	if err != nil {
		return nil
	}
	return fams
}

// seriesValue is the value of the series of family name whose labels include all of want; ok is
// false when there is none.
func seriesValue(fams map[string]*dto.MetricFamily, name string, want map[string]string) (float64, bool) {
	f := fams[name]
	if f == nil {
		return 0, false
	}
next:
	for _, m := range f.GetMetric() {
		labels := map[string]string{}
		for _, l := range m.GetLabel() {
			labels[l.GetName()] = l.GetValue()
		}
		for k, v := range want {
			if labels[k] != v {
				continue next
			}
		}
		switch {
		case m.Gauge != nil:
			return m.GetGauge().GetValue(), true
		case m.Counter != nil:
			return m.GetCounter().GetValue(), true
		case m.Histogram != nil:
			return float64(m.GetHistogram().GetSampleCount()), true
		}
	}
	return 0, false
}

// TestMetricsAfterFailover: three of ours with metrics-address over a redistest master and
// two replicas. Scraped while the master is killed and the group fails over: the master's
// status goes odown, then ok at the promoted replica with the new config epoch on every
// sentinel, and the failover is counted once, on the leader only.
func TestMetricsAfterFailover(t *testing.T) {
	t.Parallel()
	requireOurs(t)
	top := startTopology(t, nil)
	group, bases := startHTTPGroup(t, top)
	old := top.Master.Addr()
	for _, b := range bases {
		waitFor(t, 10*time.Second, b+" to show the master ok with 2 replicas and 3 sentinels (INFO counts itself)", func() bool {
			f := scrape(b)
			ok, _ := seriesValue(f, "redis_sentinel_master_status", map[string]string{"master_name": masterName, "master_address": old, "master_status": "ok"})
			slaves, _ := seriesValue(f, "redis_sentinel_master_slaves", map[string]string{"master_name": masterName})
			peers, _ := seriesValue(f, "redis_sentinel_master_sentinels", map[string]string{"master_name": masterName})
			return ok == 1 && slaves == 2 && peers == 3
		})
	}

	rec := record(t, group[0])
	top.Master.Kill()
	// ODOWN lasts only until the promotion (a few hundred milliseconds at most), and a
	// follower may see the new config before it judges ODOWN itself: every sentinel is
	// scraped back to back, and some sentinel, at least the leader, must show it.
	var sawODown atomic.Bool
	done := make(chan struct{})
	var wg sync.WaitGroup
	for _, b := range bases {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for deadline := time.Now().Add(downAfter + 20*time.Second); time.Now().Before(deadline); {
				select {
				case <-done:
					return
				default:
				}
				// As in redis_exporter, the series names the status and is 1 only for ok.
				if _, ok := seriesValue(scrape(b), "redis_sentinel_master_status", map[string]string{"master_address": old, "master_status": "odown"}); ok {
					sawODown.Store(true)
				}
			}
		}()
	}
	sw := rec.wait(t, downAfter+20*time.Second, "+switch-master", hasPrefix(masterName+" "))
	close(done)
	wg.Wait()
	if !sawODown.Load() {
		t.Error("no scrape showed the master odown before the switch")
	}
	var newAddr string
	if f := strings.Fields(sw.Payload); len(f) == 5 {
		newAddr = f[3] + ":" + f[4]
	} else {
		t.Fatalf("+switch-master %q", sw.Payload)
	}

	var succeeded, started, odowns []float64
	for _, b := range bases {
		var f map[string]*dto.MetricFamily
		waitFor(t, 20*time.Second, b+" to show the master ok at "+newAddr+" in epoch 1", func() bool {
			f = scrape(b)
			ok, _ := seriesValue(f, "redis_sentinel_master_status", map[string]string{"master_address": newAddr, "master_status": "ok"})
			epoch, _ := seriesValue(f, "redis_sentinel_master_config_epoch", map[string]string{"master_address": newAddr})
			return ok == 1 && epoch == 1
		})
		s, _ := seriesValue(f, "redis_sentinel_master_failovers_succeeded_total", map[string]string{"master_name": masterName})
		st, _ := seriesValue(f, "redis_sentinel_master_failovers_started_total", map[string]string{"master_name": masterName})
		succeeded, started = append(succeeded, s), append(started, st)
		odown, _ := seriesValue(f, "redis_sentinel_master_odown_total", map[string]string{"master_name": masterName})
		odowns = append(odowns, odown)
	}
	// One leader: it alone led the failover to its end; a sentinel that tried and lost the
	// election counts a start without a success.
	var leaders int
	for i := range bases {
		if succeeded[i] == 0 {
			continue
		}
		leaders++
		if succeeded[i] != 1 || started[i] < 1 || odowns[i] < 1 {
			t.Errorf("%s: the leader counts started %v, succeeded %v, odown %v", bases[i], started[i], succeeded[i], odowns[i])
		}
		if n, _ := seriesValue(scrape(bases[i]), "redis_sentinel_master_failover_duration_seconds", map[string]string{"master_name": masterName}); n != 1 {
			t.Errorf("%s: the leader's failover duration histogram has %v samples", bases[i], n)
		}
	}
	if leaders != 1 {
		t.Errorf("failovers started %v, succeeded %v: want one leader", started, succeeded)
	}
	t.Logf("started %v, succeeded %v, new master %s", started, succeeded, newAddr)
}
