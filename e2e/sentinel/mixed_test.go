package sentinel_test

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sentinel-go/sentinel/e2e/realredis"
)

// TestMixedGroup runs two of ours and one real redis-sentinel, quorum 2, over a master and
// two replicas. They must all find each other and both replicas, and when the master is
// killed all three must publish +sdown and +odown for it within down-after + 2 s, with the
// same payloads (but for the #quorum count, which depends on who answered first).
//
// Failover is not asserted. The replicas have replica-priority 0 so that nobody can promote
// one: what follows +odown (the real one's election, -failover-abort-no-good-slave) cannot
// switch the master under the others before they publish +odown.
func TestMixedGroup(t *testing.T) {
	t.Parallel()
	requireReal(t)
	requireOurs(t)
	top := startTopology(t, map[string]string{"replica-priority": "0"})
	mp := top.Master.Port()
	var group []*proc
	for _, kind := range []string{ours, ours, real} {
		port := realredis.FreePort(t)
		group = append(group, startSentinel(t, kind, port, sentinelConf(port, mp, 2)))
	}
	recs := make([]*recorder, len(group))
	for i, s := range group {
		recs[i] = record(t, s)
	}
	waitDiscovery(t, top, group...)

	ids := make([]string, len(group))
	for i, s := range group {
		ids[i] = s.myID(t)
	}
	checkPeersListed(t, group, ids)
	for _, s := range group {
		var want, got []string
		for _, e := range s.instances("REPLICAS") {
			got = append(got, e["name"])
		}
		want = []string{top.R1.Addr(), top.R2.Addr()}
		slices.Sort(want)
		slices.Sort(got)
		if !slices.Equal(got, want) {
			t.Errorf("%s: SENTINEL REPLICAS lists %q, want %q", s, got, want)
		}
	}

	master := fmt.Sprintf("master %s 127.0.0.1 %d", masterName, mp)
	for i, r := range recs {
		if e, ok := r.find("+sdown", equals(master).f); ok {
			t.Fatalf("%s published %s %s before the master was killed", group[i], e.Channel, e.Payload)
		}
	}
	killed := time.Now()
	top.Master.Kill()

	type seen struct{ sdown, odown event }
	got := make([]seen, len(group))
	for i, r := range recs {
		got[i].sdown = r.wait(t, 20*time.Second, "+sdown", equals(master))
		got[i].odown = r.wait(t, 20*time.Second, "+odown", hasPrefix(master+" #quorum "))
	}
	limit := downAfter + 2*time.Second
	quorum := regexp.MustCompile(`^#quorum [23]/2$`)
	ref := got[len(group)-1] // the real one
	var report strings.Builder
	for i, s := range group {
		sd, od := got[i].sdown.At.Sub(killed), got[i].odown.At.Sub(killed)
		fmt.Fprintf(&report, "\n  %-26s +sdown %5d ms  +odown %5d ms  (+odown %q)", s.String(),
			sd.Milliseconds(), od.Milliseconds(), got[i].odown.Payload)
		if sd > limit || od > limit {
			t.Errorf("%s: +sdown after %v, +odown after %v: want both within %v of the kill", s, sd, od, limit)
		}
		// Not before down-after either. redis-sentinel queues a PING on every reconnect
		// attempt, connected or not, so once the master is gone a PING is outstanding from
		// the first failed attempt and SDOWN comes down-after later (sentinelCheckSubjectivelyDown); it
		// never counts from the last good reply, which can be up to a ping period older.
		// (The small slack is for a PING that was in flight at the kill.)
		if sd < downAfter-100*time.Millisecond {
			t.Errorf("%s: +sdown only %v after the kill: the master was unreachable for less than down-after (%v)", s, sd, downAfter)
		}
		if got[i].sdown.Payload != ref.sdown.Payload {
			t.Errorf("%s: +sdown %q, real %q", s, got[i].sdown.Payload, ref.sdown.Payload)
		}
		head, q, _ := strings.Cut(got[i].odown.Payload, " #quorum")
		rhead, _, _ := strings.Cut(ref.odown.Payload, " #quorum")
		if head != rhead || !quorum.MatchString("#quorum"+q) {
			t.Errorf("%s: +odown %q, real %q (only the count of #quorum n/2 may differ)", s, got[i].odown.Payload, ref.odown.Payload)
		}
	}
	t.Logf("detection latency after killing the master (down-after %v):%s", downAfter, report.String())
	if t.Failed() {
		for i, r := range recs {
			t.Logf("%s events:\n%s", group[i], r.dump())
		}
	}
}
