package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/sentinel-go/sentinel/e2e/realredis"
	"github.com/sentinel-go/sentinel/e2e/redistest"
)

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
	ctx, cancel := context.WithCancel(context.Background())
	var stdout, stderr strings.Builder
	code := -1
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		code = run(ctx, []string{conf, "--loglevel", "verbose"}, &stdout, &stderr)
	}()
	defer func() {
		cancel()
		<-finished
	}()

	c := redis.NewSentinelClient(&redis.Options{Addr: fmt.Sprintf("127.0.0.1:%d", port)})
	defer c.Close()
	waitFor(t, 15*time.Second, "the replica to be discovered", func() bool {
		rs, err := c.Replicas(context.Background(), "mymaster").Result()
		return err == nil && len(rs) == 1 && rs[0]["port"] == fmt.Sprint(replica.Port()) && rs[0]["flags"] == "slave"
	})
	addr, err := c.GetMasterAddrByName(context.Background(), "mymaster").Result()
	if err != nil || addr[1] != fmt.Sprint(master.Port()) {
		t.Fatalf("get-master-addr-by-name: %v %v", addr, err)
	}

	cancel()
	<-finished
	if code != 0 {
		t.Fatalf("exit %d; stderr %s", code, stderr.String())
	}
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
	logs := stdout.String()
	for _, want := range []string{"Running mode=sentinel", "+monitor master mymaster", "+slave slave 127.0.0.1:", "Sentinel is now ready to exit, bye bye..."} {
		if !strings.Contains(logs, want) {
			t.Errorf("log lacks %q:\n%s", want, logs)
		}
	}
}
