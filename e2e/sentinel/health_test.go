package sentinel_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sentinel-go/sentinel/e2e/realredis"
)

// httpStatus GETs url and returns its status code and body; 0 when it does not answer.
func httpStatus(url string) (int, []byte) {
	c := http.Client{Timeout: 2 * time.Second}
	resp, err := c.Get(url)
	if err != nil {
		return 0, nil
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, body
}

// startHTTPGroup is three of ours, quorum 2, over the topology's master, each with its own
// metrics-address; it returns them, once they all see one another and the replicas, with
// the base URL of each one's listener.
func startHTTPGroup(t *testing.T, top *topology) ([]*proc, []string) {
	t.Helper()
	var group []*proc
	var urls []string
	for range 3 {
		port, httpPort := realredis.FreePort(t), realredis.FreePort(t)
		group = append(group, startSentinel(t, ours, port, sentinelConf(port, top.Master.Port(), 2,
			fmt.Sprintf("sentinel metrics-address %d", httpPort))))
		urls = append(urls, fmt.Sprintf("http://127.0.0.1:%d", httpPort))
	}
	waitDiscovery(t, top, group...)
	return group, urls
}

// TestHealthChecksFollowTheQuorum: three of ours with metrics-address, quorum 2. /readyz is
// ready on all; with two of them killed the survivor's turns not ready once it has judged
// them down (down-after and a tick), and ready again once they are back; /healthz answers
// 200 all the while.
func TestHealthChecksFollowTheQuorum(t *testing.T) {
	t.Parallel()
	requireOurs(t)
	top := startTopology(t, nil)
	group, urls := startHTTPGroup(t, top)
	for _, u := range urls {
		waitFor(t, 10*time.Second, u+"/readyz ready", func() bool { code, _ := httpStatus(u + "/readyz"); return code == 200 })
	}

	// /healthz of the survivor is polled for the whole test: every answer must be 200.
	survivor := urls[0]
	var polls, bad atomic.Int64
	var badBody atomic.Value
	stopPoll := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			select {
			case <-stopPoll:
				return
			case <-time.After(50 * time.Millisecond):
			}
			polls.Add(1)
			if code, body := httpStatus(survivor + "/healthz"); code != 200 {
				bad.Add(1)
				badBody.Store(fmt.Sprintf("%d %s", code, body))
			}
		}
	}()
	defer func() {
		close(stopPoll)
		wg.Wait()
		if bad.Load() > 0 {
			t.Errorf("/healthz failed %d of %d polls; last: %v", bad.Load(), polls.Load(), badBody.Load())
		}
		if polls.Load() < 10 {
			t.Errorf("/healthz polled only %d times", polls.Load())
		}
	}()

	killed := time.Now()
	for _, p := range group[1:] {
		p.terminate(t, 10*time.Second)
	}
	var body []byte
	waitFor(t, downAfter+5*time.Second, "the survivor's /readyz to turn not ready", func() bool {
		var code int
		code, body = httpStatus(survivor + "/readyz")
		return code == 503
	})
	notReady := time.Since(killed)
	t.Logf("/readyz not ready %v after the kill", notReady)
	if notReady < downAfter-500*time.Millisecond {
		t.Errorf("/readyz not ready %v after the kill, before down-after %v", notReady, downAfter)
	}
	var r struct {
		Status  string
		Masters []struct {
			Name            string
			Ready           bool
			UsableSentinels int `json:"usable_sentinels"`
			KnownSentinels  int `json:"known_sentinels"`
			CKQuorum        string
		}
	}
	if err := json.Unmarshal(body, &r); err != nil || r.Status != "not ready" || len(r.Masters) != 1 ||
		r.Masters[0].Ready || r.Masters[0].UsableSentinels != 1 || r.Masters[0].KnownSentinels != 3 ||
		r.Masters[0].CKQuorum != "NOQUORUM 1 usable Sentinels. Not enough available Sentinels to reach the specified quorum for this master. Not enough available Sentinels to reach the majority and authorize a failover" {
		t.Errorf("/readyz body %s (%v)", body, err)
	}

	back := time.Now()
	for _, p := range group[1:] {
		p.restart(t)
	}
	waitFor(t, 10*time.Second, "the survivor's /readyz to be ready again", func() bool {
		code, _ := httpStatus(survivor + "/readyz")
		return code == 200
	})
	t.Logf("/readyz ready %v after the restart", time.Since(back))
}
