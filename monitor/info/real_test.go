package info

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/sentinel-go/sentinel/e2e/realredis"
	"github.com/sentinel-go/sentinel/e2e/redistest"
)

// startRedis runs a redis-server on a free loopback port until the test ends, and returns
// the port.
func startRedis(t *testing.T, args ...string) int {
	t.Helper()
	return realredis.StartServer(t, 15*time.Second, args...).Port
}

func client(t *testing.T, addr string) *redis.Client {
	t.Helper()
	c := redis.NewClient(&redis.Options{Addr: addr, Protocol: 2, DisableIdentity: true,
		MaxRetries: -1, DialTimeout: time.Second, ReadTimeout: 2 * time.Second})
	t.Cleanup(func() { c.Close() })
	return c
}

func infoText(t *testing.T, c *redis.Client) string {
	t.Helper()
	s, err := c.Info(context.Background()).Result()
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func waitFor(t *testing.T, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// checkPair checks the parse of a master's and its one replica's INFO, whichever server
// produced them.
func checkPair(t *testing.T, masterText, replicaText string, masterPort, replicaPort int) {
	t.Helper()
	m := Parse(masterText)
	if m.Role != "master" || m.RunID != rawField(masterText, "run_id") || len(m.RunID) != 40 {
		t.Errorf("master: role %q run ID %q", m.Role, m.RunID)
	}
	want := []Replica{{IP: "127.0.0.1", Port: replicaPort}}
	if len(m.Replicas) != 1 || m.Replicas[0] != want[0] {
		t.Errorf("master replicas %v, want %v", m.Replicas, want)
	}
	if m.Present != FieldRunID|FieldRole|FieldReplicas|oursAlways {
		t.Errorf("master present %b", m.Present)
	}
	if m.ConnectedReplicas != 1 || m.Keys != 0 || m.Loading || m.Has(FieldMinReplicas) {
		t.Errorf("master: connected %d keys %d loading %v", m.ConnectedReplicas, m.Keys, m.Loading)
	}

	r := Parse(replicaText)
	if r.Role != "slave" || r.RunID != rawField(replicaText, "run_id") || len(r.RunID) != 40 {
		t.Errorf("replica: role %q run ID %q", r.Role, r.RunID)
	}
	if r.MasterHost != "127.0.0.1" || r.MasterPort != masterPort || !r.MasterLinkUp {
		t.Errorf("replica: master %s:%d link up %v", r.MasterHost, r.MasterPort, r.MasterLinkUp)
	}
	if r.SlavePriority != 100 || !r.ReplicaAnnounced || r.MasterLinkDownSince != 0 {
		t.Errorf("replica: priority %d announced %v down since %v",
			r.SlavePriority, r.ReplicaAnnounced, r.MasterLinkDownSince)
	}
	if got := strconv.FormatUint(r.ReplOffset, 10); got != rawField(replicaText, "slave_repl_offset") {
		t.Errorf("replica: offset %s, INFO says %s", got, rawField(replicaText, "slave_repl_offset"))
	}
	all := FieldRunID | FieldRole | FieldMasterHost | FieldMasterPort | FieldMasterLinkStatus |
		FieldSlavePriority | FieldReplOffset | FieldReplicaAnnounced | FieldSyncInProgress | oursAlways
	if r.Present != all {
		t.Errorf("replica present %b, want %b", r.Present, all)
	}
	if len(r.Replicas) != 0 {
		t.Errorf("replica lists replicas %v", r.Replicas)
	}
}

func TestRealRedis(t *testing.T) {
	mport := startRedis(t, "--repl-diskless-sync-delay", "0")
	rport := startRedis(t, "--replicaof", "127.0.0.1", strconv.Itoa(mport))
	m, r := client(t, "127.0.0.1:"+strconv.Itoa(mport)), client(t, "127.0.0.1:"+strconv.Itoa(rport))
	var mt, rt string
	waitFor(t, "the replica to sync", func() bool {
		mt, rt = infoText(t, m), infoText(t, r)
		return strings.Contains(mt, "state=online") && rawField(rt, "master_link_status") == "up"
	})
	checkPair(t, mt, rt, mport, rport)

	// A replica whose master never answered: Redis reports -1 s, Redis's parser keeps -1000 ms.
	dead := realredis.FreePort(t)
	lport := startRedis(t, "--replicaof", "127.0.0.1", strconv.Itoa(dead),
		"--replica-priority", "7", "--replica-announced", "no")
	lt := infoText(t, client(t, "127.0.0.1:"+strconv.Itoa(lport)))
	l := Parse(lt)
	if rawField(lt, "master_link_down_since_seconds") != "-1" {
		t.Fatalf("expected master_link_down_since_seconds:-1 in\n%s", lt)
	}
	if l.MasterLinkDownSince != -time.Second || !l.Has(FieldMasterLinkDownSince) {
		t.Errorf("down since %v", l.MasterLinkDownSince)
	}
	if l.MasterLinkUp || l.SlavePriority != 7 || l.ReplicaAnnounced || l.MasterPort != dead {
		t.Errorf("lonely replica parsed as %+v", l)
	}
}

func TestRedistest(t *testing.T) {
	m := redistest.RunT(t)
	r := redistest.RunT(t, redistest.Options{ReplicaOf: m.Addr()})
	mc, rc := client(t, m.Addr()), client(t, r.Addr())
	var mt, rt string
	waitFor(t, "the replica to sync", func() bool {
		mt, rt = infoText(t, mc), infoText(t, rc)
		return strings.Contains(mt, "state=online") && rawField(rt, "master_link_status") == "up"
	})
	checkPair(t, mt, rt, m.Port(), r.Port())
	if got := Parse(mt).RunID; got != m.RunID() {
		t.Errorf("run ID %s, server says %s", got, m.RunID())
	}
}
