package daemon

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"go.uber.org/goleak"

	"github.com/sentinel-go/sentinel/e2e/realredis"
	"github.com/sentinel-go/sentinel/e2e/redistest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func waitFor(t *testing.T, within time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", within, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// daemonRun is the daemon running in-process on a config file, with a sentinel client to it.
type daemonRun struct {
	C        *redis.SentinelClient
	cancel   context.CancelFunc
	finished chan struct{}
	code     int
	stdout   strings.Builder
	stderr   strings.Builder
}

// startDaemon runs `sentinel conf extra...` in-process; t.Cleanup stops it if the test did
// not.
func startDaemon(t *testing.T, port int, conf string, extra ...string) *daemonRun {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	d := &daemonRun{cancel: cancel, finished: make(chan struct{}), code: -1}
	go func() {
		defer close(d.finished)
		d.code = Run(ctx, conf, extra, &d.stdout, &d.stderr)
	}()
	d.C = redis.NewSentinelClient(&redis.Options{Addr: fmt.Sprintf("127.0.0.1:%d", port)})
	t.Cleanup(func() { d.stop() })
	return d
}

// stop ends the daemon as SIGTERM would; it may be called again.
func (d *daemonRun) stop() {
	d.C.Close()
	d.cancel()
	<-d.finished
}

// stopOK stops the daemon, requires exit code 0 and returns its log.
func (d *daemonRun) stopOK(t *testing.T) string {
	t.Helper()
	d.stop()
	if d.code != 0 {
		t.Fatalf("exit %d; stderr %s", d.code, d.stderr.String())
	}
	return d.stdout.String()
}

// TestDaemonMonitorsAndSavesState runs the daemon in-process over a redistest master and
// replica: it discovers the replica, answers clients, and on shutdown leaves its state in the
// config file, the user's lines untouched.
func TestDaemonMonitorsAndSavesState(t *testing.T) {
	master := redistest.RunT(t)
	replica := redistest.RunT(t, redistest.Options{ReplicaOf: master.Addr()})
	dir := t.TempDir()
	port := realredis.FreePort(t)
	conf := filepath.Join(dir, "sentinel.conf")
	original := fmt.Sprintf("# my sentinel\nport %d\nbind 127.0.0.1\nsentinel monitor mymaster 127.0.0.1 %d 1\n"+
		"sentinel down-after-milliseconds mymaster 1000\n", port, master.Port())
	if err := os.WriteFile(conf, []byte(original), 0o644); err != nil {
		t.Fatal(err)
	}
	d := startDaemon(t, port, conf, "--loglevel", "verbose")
	c := d.C
	waitFor(t, 15*time.Second, "the replica to be discovered", func() bool {
		rs, err := c.Replicas(context.Background(), "mymaster").Result()
		return err == nil && len(rs) == 1 && rs[0]["port"] == fmt.Sprint(replica.Port()) && rs[0]["flags"] == "slave"
	})
	addr, err := c.GetMasterAddrByName(context.Background(), "mymaster").Result()
	if err != nil || addr[1] != fmt.Sprint(master.Port()) {
		t.Fatalf("get-master-addr-by-name: %v %v", addr, err)
	}

	logs := d.stopOK(t)
	saved, err := os.ReadFile(conf)
	if err != nil {
		t.Fatal(err)
	}
	text := string(saved)
	if !strings.HasPrefix(text, original) {
		t.Errorf("the user's lines moved:\n%s", text)
	}
	for _, want := range []string{"sentinel myid ", fmt.Sprintf("sentinel known-replica mymaster 127.0.0.1 %d", replica.Port()), "sentinel current-epoch 0"} {
		if !strings.Contains(text, want) {
			t.Errorf("saved config lacks %q:\n%s", want, text)
		}
	}
	for _, want := range []string{"Running mode=sentinel", "+monitor master mymaster", "+slave slave 127.0.0.1:", "Sentinel is now ready to exit, bye bye..."} {
		if !strings.Contains(logs, want) {
			t.Errorf("log lacks %q:\n%s", want, logs)
		}
	}
}

// TestDaemonYAMLWithStateFile runs from a YAML config in a read-only file, as from a
// Kubernetes ConfigMap: the state goes to <path>.state, which a restart reads back (same
// myid, the discovered replica known before any INFO).
func TestDaemonYAMLWithStateFile(t *testing.T) {
	master := redistest.RunT(t)
	replica := redistest.RunT(t, redistest.Options{ReplicaOf: master.Addr()})
	dir := t.TempDir()
	port := realredis.FreePort(t)
	conf := filepath.Join(dir, "sentinel.yaml")
	yamlText := fmt.Sprintf(`port: %d
bind: [127.0.0.1]
logformat: json
sentinel:
  masters:
    - name: mymaster
      host: 127.0.0.1
      port: %d
      quorum: 1
      down-after-milliseconds: 1000
`, port, master.Port())
	if err := os.WriteFile(conf, []byte(yamlText), 0o444); err != nil {
		t.Fatal(err)
	}
	d := startDaemon(t, port, conf)
	c := d.C
	waitFor(t, 15*time.Second, "the replica to be discovered", func() bool {
		rs, err := c.Replicas(context.Background(), "mymaster").Result()
		return err == nil && len(rs) == 1
	})
	myID, err := sentinelMyID(c)
	if err != nil {
		t.Fatal(err)
	}
	logs := d.stopOK(t)
	if !strings.Contains(logs, `"@message":"+slave slave 127.0.0.1:`) {
		t.Errorf("want JSON log lines, got:\n%s", logs)
	}
	if got, _ := os.ReadFile(conf); string(got) != yamlText {
		t.Errorf("the YAML config was modified:\n%s", got)
	}
	state, err := os.ReadFile(conf + ".state")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"sentinel myid " + myID, fmt.Sprintf("sentinel known-replica mymaster 127.0.0.1 %d", replica.Port())} {
		if !strings.Contains(string(state), want) {
			t.Errorf("state file lacks %q:\n%s", want, state)
		}
	}

	// A restart reads the state back: same ID, and the replica is known at once.
	d = startDaemon(t, port, conf)
	c = d.C
	waitFor(t, 10*time.Second, "the restarted sentinel to answer", func() bool {
		id, err := sentinelMyID(c)
		return err == nil && id == myID
	})
	if rs, err := c.Replicas(context.Background(), "mymaster").Result(); err != nil || len(rs) != 1 {
		t.Errorf("replica not known from the state file: %v %v", rs, err)
	}
}

// sentinelMyID asks SENTINEL MYID, which go-redis's sentinel client has no method for.
func sentinelMyID(c *redis.SentinelClient) (string, error) {
	cmd := redis.NewStringCmd(context.Background(), "SENTINEL", "MYID")
	err := c.Process(context.Background(), cmd)
	return cmd.Val(), err
}

// TestDaemonACL: the daemon hands the aclfile to the endpoint, exits 1 on its errors, and
// without one writes the endpoint's live users at the next save.
func TestDaemonACL(t *testing.T) {
	dir := t.TempDir()
	port := realredis.FreePort(t)
	acl := filepath.Join(dir, "users.acl")
	if err := os.WriteFile(acl, []byte("user default on nosuchrule\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	conf := filepath.Join(dir, "sentinel.conf")
	base := fmt.Sprintf("port %d\nbind 127.0.0.1\nsentinel monitor m 127.0.0.1 1 1\n", port)
	if err := os.WriteFile(conf, []byte(base+"aclfile "+acl+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	d := startDaemon(t, port, conf)
	<-d.finished
	if want := "# Aborting Redis startup because of ACL errors: " + acl + ":1: Syntax error. WARNING: ACL errors detected, no change to the previously active ACL rules was performed\n"; d.code != 1 || !strings.HasSuffix(d.stdout.String(), want) {
		t.Fatalf("exit %d, log:\n%s\nwant it to end with %q", d.code, d.stdout.String(), want)
	}

	if err := os.WriteFile(conf, []byte(base), 0o644); err != nil {
		t.Fatal(err)
	}
	d = startDaemon(t, port, conf)
	c := redis.NewClient(&redis.Options{Addr: fmt.Sprintf("127.0.0.1:%d", port)})
	t.Cleanup(func() { c.Close() })
	ctx := context.Background()
	waitFor(t, 10*time.Second, "the daemon to answer", func() bool { return c.Ping(ctx).Err() == nil })
	if err := c.Do(ctx, "ACL", "SETUSER", "carol", "on", ">c", "+ping").Err(); err != nil {
		t.Fatal(err)
	}
	if err := c.Do(ctx, "SENTINEL", "FLUSHCONFIG").Err(); err != nil {
		t.Fatal(err)
	}
	d.stopOK(t)
	saved, err := os.ReadFile(conf)
	if err != nil {
		t.Fatal(err)
	}
	want := "\nuser carol on #2e7d2c03a9507ae265ecf5b5356885a53393a2029d241394997265a1a25aefc6 resetchannels -@all +ping\n"
	if !strings.Contains(string(saved), want) {
		t.Errorf("saved config lacks %q:\n%s", want, saved)
	}
}
