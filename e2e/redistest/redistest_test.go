package redistest

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m,
		// go-redis pools close their reaper goroutines asynchronously.
		goleak.IgnoreTopFunction("github.com/redis/go-redis/v9/internal/pool.(*ConnPool).reaper"),
		goleak.IgnoreTopFunction("internal/poll.runtime_pollWait"),
	)
}

// dial opens a go-redis client to addr that the test closes at its end.
func dial(t testing.TB, addr string, proto ...int) *redis.Client {
	t.Helper()
	p := 2
	if len(proto) > 0 {
		p = proto[0]
	}
	c := redis.NewClient(&redis.Options{Addr: addr, Protocol: p, DisableIdentity: true,
		MaxRetries: -1, DialTimeout: 2 * time.Second, ReadTimeout: 5 * time.Second})
	t.Cleanup(func() { c.Close() })
	return c
}

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t testing.TB, within time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", within, what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// infoFields parses INFO output into a map.
func infoFields(text string) map[string]string {
	m := map[string]string{}
	for _, line := range strings.Split(text, "\r\n") {
		if k, v, ok := strings.Cut(line, ":"); ok && !strings.HasPrefix(line, "#") {
			m[k] = v
		}
	}
	return m
}

func replInfo(s *Server) map[string]string { return infoFields(s.Info("replication")) }

func linkUp(s *Server) bool { return replInfo(s)["master_link_status"] == "up" }

// caughtUp reports whether replica has applied everything master has written.
func caughtUp(master, replica *Server) bool {
	return linkUp(replica) && replInfo(replica)["master_repl_offset"] == replInfo(master)["master_repl_offset"]
}

func startReplica(t *testing.T, master *Server, cfg ...map[string]string) *Server {
	t.Helper()
	o := Options{ReplicaOf: master.Addr()}
	if len(cfg) > 0 {
		o.Config = cfg[0]
	}
	r := RunT(t, o)
	waitFor(t, 5*time.Second, "replica link up", func() bool { return linkUp(r) })
	return r
}

func TestStringCommands(t *testing.T) {
	s := RunT(t)
	c := dial(t, s.Addr())
	ctx := context.Background()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(c.Set(ctx, "k", "v", 0).Err())
	if got := c.Get(ctx, "k").Val(); got != "v" {
		t.Fatalf("GET = %q", got)
	}
	if err := c.Get(ctx, "missing").Err(); err != redis.Nil {
		t.Fatalf("GET missing: %v", err)
	}
	if ok := c.SetNX(ctx, "k", "x", 0).Val(); ok {
		t.Fatal("SET NX on existing key succeeded")
	}
	if n := c.IncrBy(ctx, "n", 5).Val(); n != 5 {
		t.Fatalf("INCRBY = %d", n)
	}
	if n := c.Decr(ctx, "n").Val(); n != 4 {
		t.Fatalf("DECR = %d", n)
	}
	if err := c.Incr(ctx, "k").Err(); err == nil || err.Error() != "ERR value is not an integer or out of range" {
		t.Fatalf("INCR on a string: %v", err)
	}
	if n := c.Append(ctx, "k", "w").Val(); n != 2 {
		t.Fatalf("APPEND = %d", n)
	}
	must(c.MSet(ctx, "a", "1", "b", "2").Err())
	if got := c.MGet(ctx, "a", "b", "zz").Val(); len(got) != 3 || got[0] != "1" || got[2] != nil {
		t.Fatalf("MGET = %v", got)
	}
	if keys := c.Keys(ctx, "*").Val(); strings.Join(keys, ",") != "a,b,k,n" {
		t.Fatalf("KEYS = %v", keys)
	}
	var scanned []string
	var cursor uint64
	for i := 0; i < 10; i++ {
		keys, next, err := c.Scan(ctx, cursor, "*", 1).Result()
		must(err)
		scanned = append(scanned, keys...)
		if cursor = next; cursor == 0 {
			break
		}
	}
	if strings.Join(scanned, ",") != "a,b,k,n" {
		t.Fatalf("SCAN = %v", scanned)
	}
	must(c.Expire(ctx, "a", 100*time.Second).Err())
	if ttl := c.TTL(ctx, "a").Val(); ttl <= 90*time.Second || ttl > 100*time.Second {
		t.Fatalf("TTL = %v", ttl)
	}
	must(c.Set(ctx, "short", "x", 30*time.Millisecond).Err())
	waitFor(t, 2*time.Second, "key expiry", func() bool { return c.Exists(ctx, "short").Val() == 0 })
	if n := c.Del(ctx, "a", "b", "nope").Val(); n != 2 {
		t.Fatalf("DEL = %d", n)
	}
	if n := c.DBSize(ctx).Val(); n != 2 {
		t.Fatalf("DBSIZE = %d", n)
	}
	// SELECT is per connection; a pool would mix databases, so use one connection.
	conn := c.Conn()
	defer conn.Close()
	must(conn.Select(ctx, 3).Err())
	if n := conn.DBSize(ctx).Val(); n != 0 {
		t.Fatalf("DBSIZE in db 3 = %d", n)
	}
	must(conn.Select(ctx, 0).Err())
	must(c.FlushAll(ctx).Err())
	if n := c.DBSize(ctx).Val(); n != 0 {
		t.Fatalf("DBSIZE after FLUSHALL = %d", n)
	}
	if err := c.Do(ctx, "NOSUCH", "a").Err(); err == nil ||
		err.Error() != "ERR unknown command 'NOSUCH', with args beginning with: 'a' " {
		t.Fatalf("unknown command: %v", err)
	}
	if err := c.Do(ctx, "GET").Err(); err == nil || err.Error() != "ERR wrong number of arguments for 'get' command" {
		t.Fatalf("arity: %v", err)
	}
}

func TestMultiExec(t *testing.T) {
	s := RunT(t)
	c := dial(t, s.Addr())
	ctx := context.Background()
	cmds, err := c.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.Set(ctx, "x", "1", 0)
		p.Incr(ctx, "x")
		return nil
	})
	if err != nil || len(cmds) != 2 || cmds[1].(*redis.IntCmd).Val() != 2 {
		t.Fatalf("MULTI/EXEC: %v %v", cmds, err)
	}
	conn := c.Conn()
	defer conn.Close()
	conn.Do(ctx, "MULTI")
	conn.Do(ctx, "NOSUCH")
	if err := conn.Do(ctx, "EXEC").Err(); err == nil || err.Error() != "EXECABORT Transaction discarded because of previous errors." {
		t.Fatalf("EXEC after a queueing error: %v", err)
	}
}

func TestAuth(t *testing.T) {
	s := RunT(t, Options{Config: map[string]string{"requirepass": "secret"}, Users: map[string]string{"alice": "pw"}})
	ctx := context.Background()
	if err := dial(t, s.Addr()).Ping(ctx).Err(); err == nil || err.Error() != "NOAUTH Authentication required." {
		t.Fatalf("PING without auth: %v", err)
	}
	c := redis.NewClient(&redis.Options{Addr: s.Addr(), Password: "wrong", DisableIdentity: true, Protocol: 2})
	defer c.Close()
	if err := c.Ping(ctx).Err(); err == nil || !strings.Contains(err.Error(), "WRONGPASS") {
		t.Fatalf("wrong password: %v", err)
	}
	for _, o := range []*redis.Options{
		{Addr: s.Addr(), Password: "secret", Protocol: 3},
		{Addr: s.Addr(), Username: "alice", Password: "pw", Protocol: 2},
	} {
		o.DisableIdentity = true
		c := redis.NewClient(o)
		if err := c.Ping(ctx).Err(); err != nil {
			t.Fatalf("auth as %q: %v", o.Username, err)
		}
		c.Close()
	}
}

func TestHelloAndPubsubRESP3(t *testing.T) {
	s := RunT(t)
	ctx := context.Background()
	c := dial(t, s.Addr(), 3)
	hello, err := c.Do(ctx, "HELLO", "3").Result()
	if err != nil {
		t.Fatal(err)
	}
	m := hello.(map[interface{}]interface{})
	if m["server"] != "redis" || m["version"] != Version || m["proto"] != int64(3) || m["role"] != "master" {
		t.Fatalf("HELLO 3 = %v", m)
	}
	sub := c.Subscribe(ctx, "ch")
	defer sub.Close()
	if _, err := sub.Receive(ctx); err != nil {
		t.Fatal(err)
	}
	pub := dial(t, s.Addr())
	if n := pub.Publish(ctx, "ch", "hi").Val(); n != 1 {
		t.Fatalf("PUBLISH reached %d", n)
	}
	msg, err := sub.ReceiveMessage(ctx)
	if err != nil || msg.Channel != "ch" || msg.Payload != "hi" {
		t.Fatalf("message = %v, %v", msg, err)
	}
}

func TestReplication(t *testing.T) {
	m := RunT(t)
	ctx := context.Background()
	mc := dial(t, m.Addr())
	mc.Set(ctx, "before", "1", 0)
	r := startReplica(t, m, map[string]string{"replica-priority": "42"})
	rc := dial(t, r.Addr())
	mc.Set(ctx, "after", "2", 0)
	mc.Do(ctx, "SELECT", "0")
	waitFor(t, 5*time.Second, "replica caught up", func() bool { return caughtUp(m, r) })
	if rc.Get(ctx, "before").Val() != "1" || rc.Get(ctx, "after").Val() != "2" {
		t.Fatal("replica is missing keys")
	}
	if err := rc.Set(ctx, "x", "1", 0).Err(); err == nil || err.Error() != "READONLY You can't write against a read only replica." {
		t.Fatalf("write on replica: %v", err)
	}
	ri, mi := replInfo(r), replInfo(m)
	for k, want := range map[string]string{
		"role": "slave", "master_host": "127.0.0.1", "master_port": strconv.Itoa(m.Port()),
		"master_sync_in_progress": "0", "slave_priority": "42", "slave_read_only": "1",
		"replica_announced": "1", "master_replid": mi["master_replid"],
	} {
		if ri[k] != want {
			t.Errorf("replica %s = %q, want %q", k, ri[k], want)
		}
	}
	if mi["role"] != "master" || mi["connected_slaves"] != "1" {
		t.Errorf("master info: %v", mi)
	}
	waitFor(t, 3*time.Second, "replica online in master INFO", func() bool {
		return strings.HasPrefix(replInfo(m)["slave0"], "ip=127.0.0.1,port="+strconv.Itoa(r.Port())+",state=online,offset=")
	})
	role := mc.Do(ctx, "ROLE").Val().([]interface{})
	if role[0] != "master" || len(role[2].([]interface{})) != 1 {
		t.Fatalf("master ROLE = %v", role)
	}
	rrole := rc.Do(ctx, "ROLE").Val().([]interface{})
	if rrole[0] != "slave" || rrole[1] != "127.0.0.1" || rrole[2] != int64(m.Port()) || rrole[3] != "connected" {
		t.Fatalf("replica ROLE = %v", rrole)
	}
}

func TestPartialResyncAfterDroppedLink(t *testing.T) {
	m := RunT(t)
	r := startReplica(t, m)
	ctx := context.Background()
	mc := dial(t, m.Addr())
	mc.Set(ctx, "a", "1", 0)
	waitFor(t, 5*time.Second, "caught up", func() bool { return caughtUp(m, r) })
	r.DropReplicationLink()
	waitFor(t, 5*time.Second, "link down", func() bool { return !linkUp(r) })
	mc.Set(ctx, "b", "2", 0) // lands in the backlog while the link is down
	waitFor(t, 5*time.Second, "caught up again", func() bool { return caughtUp(m, r) })
	st := infoFields(m.Info("stats"))
	if st["sync_full"] != "1" || st["sync_partial_ok"] != "1" {
		t.Fatalf("sync_full=%s sync_partial_ok=%s, want 1 and 1", st["sync_full"], st["sync_partial_ok"])
	}
	if dial(t, r.Addr()).Get(ctx, "b").Val() != "2" {
		t.Fatal("key written during the outage did not arrive")
	}
}

func TestPromotionLetsSiblingsContinue(t *testing.T) {
	m := RunT(t)
	r1 := startReplica(t, m)
	r2 := startReplica(t, m)
	ctx := context.Background()
	dial(t, m.Addr()).Set(ctx, "k", "v", 0)
	waitFor(t, 5*time.Second, "both caught up", func() bool { return caughtUp(m, r1) && caughtUp(m, r2) })
	oldID := replInfo(m)["master_replid"]
	m.Kill()
	c1 := dial(t, r1.Addr())
	if err := c1.Do(ctx, "REPLICAOF", "NO", "ONE").Err(); err != nil {
		t.Fatal(err)
	}
	i1 := replInfo(r1)
	if i1["role"] != "master" || i1["master_replid2"] != oldID || i1["master_replid"] == oldID {
		t.Fatalf("promoted replica info: %v", i1)
	}
	if err := dial(t, r2.Addr()).Do(ctx, "REPLICAOF", "127.0.0.1", strconv.Itoa(r1.Port())).Err(); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 5*time.Second, "sibling follows the new master", func() bool { return caughtUp(r1, r2) })
	if st := infoFields(r1.Info("stats")); st["sync_partial_ok"] != "1" || st["sync_full"] != "0" {
		t.Fatalf("new master stats: sync_full=%s sync_partial_ok=%s, want a partial resync", st["sync_full"], st["sync_partial_ok"])
	}
	// The old master returns and is pointed at the new one: it too continues partially.
	if err := m.Restart(RestartOptions{KeepData: true}); err != nil {
		t.Fatal(err)
	}
	dial(t, m.Addr()).Do(ctx, "REPLICAOF", "127.0.0.1", strconv.Itoa(r1.Port()))
	c1.Set(ctx, "k2", "v2", 0)
	waitFor(t, 5*time.Second, "old master follows", func() bool { return caughtUp(r1, m) })
	if st := infoFields(r1.Info("stats")); st["sync_partial_ok"] != "2" {
		t.Fatalf("old master did not continue partially: %v", st)
	}
	if dial(t, m.Addr()).Get(ctx, "k2").Val() != "v2" {
		t.Fatal("old master did not receive the new write")
	}
}

func TestChainedReplication(t *testing.T) {
	m := RunT(t)
	r1 := startReplica(t, m)
	r2 := startReplica(t, r1)
	ctx := context.Background()
	mc := dial(t, m.Addr())
	for i := 0; i < 50; i++ {
		mc.Set(ctx, "k"+strconv.Itoa(i), i, 0)
	}
	waitFor(t, 5*time.Second, "chain caught up", func() bool { return caughtUp(m, r1) && caughtUp(m, r2) })
	if got := dial(t, r2.Addr()).Get(ctx, "k49").Val(); got != "49" {
		t.Fatalf("sub-replica k49 = %q", got)
	}
	if replInfo(r2)["master_replid"] != replInfo(m)["master_replid"] {
		t.Fatal("a sub-replica must share the top master's replication ID")
	}
}

func TestMinReplicasToWrite(t *testing.T) {
	m := RunT(t, Options{Config: map[string]string{"min-replicas-to-write": "1", "min-replicas-max-lag": "10"}})
	ctx := context.Background()
	mc := dial(t, m.Addr())
	if err := mc.Set(ctx, "a", "1", 0).Err(); err == nil || err.Error() != "NOREPLICAS Not enough good replicas to write." {
		t.Fatalf("write without replicas: %v", err)
	}
	r := startReplica(t, m)
	waitFor(t, 5*time.Second, "write accepted with a replica", func() bool { return mc.Set(ctx, "a", "1", 0).Err() == nil })
	_ = r
}

func TestFailoverCommand(t *testing.T) {
	m := RunT(t)
	r := startReplica(t, m)
	ctx := context.Background()
	mc := dial(t, m.Addr())
	mc.Set(ctx, "k", "v", 0)
	waitFor(t, 5*time.Second, "caught up", func() bool { return caughtUp(m, r) })
	if err := mc.Do(ctx, "FAILOVER", "TO", "127.0.0.1", strconv.Itoa(r.Port()), "TIMEOUT", "5000").Err(); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 8*time.Second, "roles swapped", func() bool {
		return replInfo(r)["role"] == "master" && linkUp(m) && replInfo(m)["master_port"] == strconv.Itoa(r.Port())
	})
	if replInfo(m)["master_failover_state"] != "no-failover" {
		t.Fatalf("failover state after completion: %s", replInfo(m)["master_failover_state"])
	}
	if err := dial(t, r.Addr()).Set(ctx, "after", "1", 0).Err(); err != nil {
		t.Fatalf("write on the new master: %v", err)
	}
	if err := mc.Do(ctx, "FAILOVER").Err(); err == nil || err.Error() != "ERR FAILOVER is not valid when server is a replica." {
		t.Fatalf("FAILOVER on a replica: %v", err)
	}
}

func TestFaultHooks(t *testing.T) {
	s := RunT(t)
	ctx := context.Background()
	c := dial(t, s.Addr())
	s.SetPingError("LOADING Redis is loading the dataset in memory")
	if err := c.Ping(ctx).Err(); err == nil || !strings.HasPrefix(err.Error(), "LOADING") {
		t.Fatalf("PING with LOADING fault: %v", err)
	}
	s.SetPingError("")
	s.SetBusy(true)
	if err := c.Get(ctx, "a").Err(); err == nil || !strings.HasPrefix(err.Error(), "BUSY") {
		t.Fatalf("GET while busy: %v", err)
	}
	if err := c.Do(ctx, "SCRIPT", "KILL").Err(); err != nil {
		t.Fatalf("SCRIPT KILL: %v", err)
	}
	s.Pause()
	short := redis.NewClient(&redis.Options{Addr: s.Addr(), ReadTimeout: 200 * time.Millisecond, MaxRetries: -1, DisableIdentity: true, Protocol: 2})
	defer short.Close()
	if err := short.Ping(ctx).Err(); err == nil {
		t.Fatal("a paused instance answered PING")
	}
	s.Resume()
	waitFor(t, 2*time.Second, "answers after resume", func() bool { return c.Ping(ctx).Err() == nil })
	id := s.RunID()
	s.Kill()
	if c.Ping(ctx).Err() == nil {
		t.Fatal("a killed instance answered PING")
	}
	if err := s.Restart(RestartOptions{}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 2*time.Second, "answers after restart", func() bool { return c.Ping(ctx).Err() == nil })
	if s.RunID() == id {
		t.Fatal("a restart must change the run ID")
	}
	var replyErr redis.Error
	if err := c.Do(ctx, "SHUTDOWN", "NOSAVE").Err(); err == nil || errors.As(err, &replyErr) {
		t.Fatalf("SHUTDOWN answered (%v); Redis closes the connection instead", err)
	}
	waitFor(t, 2*time.Second, "SHUTDOWN to stop the instance", func() bool { return !s.Alive() })
	if err := s.Restart(RestartOptions{KeepData: true, KeepRunID: true}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 2*time.Second, "answers after SHUTDOWN and restart", func() bool { return c.Ping(ctx).Err() == nil })
}
