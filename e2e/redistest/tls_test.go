package redistest

import (
	"bytes"
	"context"
	"crypto/tls"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/redis/go-redis/v9"

	"github.com/sentinel-go/sentinel/e2e/realredis"
	"github.com/sentinel-go/sentinel/internal/tlstest"
)

// tlsKit is one CA and pair for every instance and client of a test, with the configs a
// redis-server with tls-port, tls-auth-clients yes and tls-replication yes would use.
type tlsKit struct{ *tlstest.Configs }

func newTLSKit(t testing.TB) tlsKit { return tlsKit{tlstest.NewT(t)} }

// options are the Options of a TLS-only instance that replicates over TLS.
func (k tlsKit) options(replicaOf string) Options {
	return Options{ReplicaOf: replicaOf, TLS: k.Server, ReplicationTLS: k.Client}
}

// dial is the package's dial over TLS.
func (k tlsKit) dial(t testing.TB, addr string) *redis.Client {
	t.Helper()
	c := redis.NewClient(&redis.Options{Addr: addr, Protocol: 2, DisableIdentity: true, TLSConfig: k.Client,
		MaxRetries: -1, DialTimeout: 2 * time.Second, ReadTimeout: 5 * time.Second})
	t.Cleanup(func() { c.Close() })
	return c
}

// TestTLSOnly checks the listener: a TLS client with the CA's certificate is served, while
// a plaintext client and a TLS client without a certificate are refused (tls-auth-clients
// yes), and a restart comes back on TLS.
func TestTLSOnly(t *testing.T) {
	k := newTLSKit(t)
	s := RunT(t, Options{TLS: k.Server})
	ctx := context.Background()
	c := k.dial(t, s.Addr())
	if got, err := c.Ping(ctx).Result(); err != nil || got != "PONG" {
		t.Fatalf("PING over TLS = %q, %v", got, err)
	}
	if err := dial(t, s.Addr()).Ping(ctx).Err(); err == nil {
		t.Error("a plaintext PING was answered by a TLS-only instance")
	}
	noCert := &tls.Config{RootCAs: k.CA.Pool(), MinVersion: tls.VersionTLS12}
	nc := redis.NewClient(&redis.Options{Addr: s.Addr(), TLSConfig: noCert, DisableIdentity: true, MaxRetries: -1,
		DialTimeout: 2 * time.Second, ReadTimeout: 2 * time.Second})
	defer nc.Close()
	if err := nc.Ping(ctx).Err(); err == nil || !strings.Contains(err.Error(), "certificate") {
		t.Errorf("PING without a client certificate: %v, want a refused certificate", err)
	}
	if err := s.Restart(RestartOptions{}); err != nil {
		t.Fatal(err)
	}
	if got, err := k.dial(t, s.Addr()).Ping(ctx).Result(); err != nil || got != "PONG" {
		t.Fatalf("PING over TLS after a restart = %q, %v", got, err)
	}
}

// TestTLSReplication runs the replication scenarios over TLS: a full sync and the stream,
// a promotion with REPLICAOF NO ONE whose sibling continues partially after REPLICAOF, and
// a coordinated FAILOVER back, whose PSYNC ... FAILOVER also goes over TLS.
func TestTLSReplication(t *testing.T) {
	k := newTLSKit(t)
	ctx := context.Background()
	m := RunT(t, k.options(""))
	mc := k.dial(t, m.Addr())
	mc.Set(ctx, "before", "1", 0)
	r1 := RunT(t, k.options(m.Addr()))
	r2 := RunT(t, k.options(m.Addr()))
	mc.Set(ctx, "after", "2", 0)
	waitFor(t, 5*time.Second, "both replicas caught up over TLS", func() bool { return caughtUp(m, r1) && caughtUp(m, r2) })
	for _, r := range []*Server{r1, r2} {
		rc := k.dial(t, r.Addr())
		if a, b := rc.Get(ctx, "before").Val(), rc.Get(ctx, "after").Val(); a != "1" || b != "2" {
			t.Fatalf("replica %s has before=%q after=%q, want 1 and 2", r.Addr(), a, b)
		}
	}
	if ri := replInfo(r1); ri["master_port"] != strconv.Itoa(m.Port()) || ri["master_link_status"] != "up" {
		t.Fatalf("replica INFO: master_port=%s master_link_status=%s", ri["master_port"], ri["master_link_status"])
	}

	m.Kill()
	c1 := k.dial(t, r1.Addr())
	if err := c1.Do(ctx, "REPLICAOF", "NO", "ONE").Err(); err != nil {
		t.Fatal(err)
	}
	if err := k.dial(t, r2.Addr()).Do(ctx, "SLAVEOF", "127.0.0.1", strconv.Itoa(r1.Port())).Err(); err != nil {
		t.Fatal(err)
	}
	c1.Set(ctx, "promoted", "3", 0)
	waitFor(t, 5*time.Second, "the sibling to follow the promoted replica over TLS", func() bool { return caughtUp(r1, r2) })
	if st := infoFields(r1.Info("stats")); st["sync_partial_ok"] != "1" || st["sync_full"] != "0" {
		t.Fatalf("new master: sync_full=%s sync_partial_ok=%s, want a partial resync", st["sync_full"], st["sync_partial_ok"])
	}
	if got := k.dial(t, r2.Addr()).Get(ctx, "promoted").Val(); got != "3" {
		t.Fatalf("sibling promoted = %q, want 3", got)
	}

	if err := c1.Do(ctx, "FAILOVER", "TO", "127.0.0.1", strconv.Itoa(r2.Port()), "TIMEOUT", "5000").Err(); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 8*time.Second, "FAILOVER to swap the roles over TLS", func() bool {
		return replInfo(r2)["role"] == "master" && linkUp(r1) && replInfo(r1)["master_port"] == strconv.Itoa(r2.Port())
	})
	if err := k.dial(t, r2.Addr()).Set(ctx, "after-failover", "4", 0).Err(); err != nil {
		t.Fatalf("write on the new master: %v", err)
	}
	waitFor(t, 5*time.Second, "the old master to receive the new master's write", func() bool { return caughtUp(r2, r1) })
}

// TestTLSReplicationRefused: a replica whose certificate another CA signed, and one that
// speaks plaintext to a TLS master, never get their links up; each logs the lost link.
func TestTLSReplicationRefused(t *testing.T) {
	k := newTLSKit(t)
	other := newTLSKit(t)
	m := RunT(t, k.options(""))
	var wrongLog, plainLog logBuffer
	wrongCA := RunT(t, Options{ReplicaOf: m.Addr(), ReplicationTLS: other.Client, Logger: wrongLog.logger()})
	plain := RunT(t, Options{ReplicaOf: m.Addr(), Logger: plainLog.logger()})
	good := RunT(t, k.options(m.Addr()))
	waitFor(t, 5*time.Second, "the replica with the right certificate linked up", func() bool { return linkUp(good) })
	waitFor(t, 5*time.Second, "the other CA's replica to fail its TLS handshake", func() bool {
		return strings.Contains(wrongLog.String(), "TLS handshake with master")
	})
	waitFor(t, 5*time.Second, "the plaintext replica to lose its link", func() bool {
		return strings.Contains(plainLog.String(), "master link lost")
	})
	for _, r := range []*Server{wrongCA, plain} {
		if linkUp(r) {
			t.Errorf("replica %s linked up to a master that must refuse it", r.Addr())
		}
	}
	if n := infoFields(m.Info("replication"))["connected_slaves"]; n != "1" {
		t.Errorf("master connected_slaves = %s, want 1", n)
	}
}

// logBuffer collects an instance's log lines for a test to wait on.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func (b *logBuffer) logger() hclog.Logger {
	return hclog.New(&hclog.LoggerOptions{Level: hclog.Debug, Output: b})
}

// TestTLSCrossImplementation replicates over TLS between redistest and Debian's
// redis-server in both directions, so the TLS link is checked against Redis's own.
func TestTLSCrossImplementation(t *testing.T) {
	realredis.Binary(t, "redis-server")
	k := newTLSKit(t)
	ctx := context.Background()
	t.Run("redis-server replica of redistest", func(t *testing.T) {
		m := RunT(t, k.options(""))
		k.dial(t, m.Addr()).Set(ctx, "k", "v", 0)
		r := realredis.StartServerTLS(t, 10*time.Second, realredis.TLS{CertFile: k.Files.Cert, KeyFile: k.Files.Key,
			CAFile: k.Files.CA, Client: k.Client}, "--replicaof", "127.0.0.1", strconv.Itoa(m.Port()))
		rc := k.dial(t, r.Addr)
		waitFor(t, 10*time.Second, "redis-server to sync from redistest over TLS", func() bool {
			return infoFields(rc.Info(ctx, "replication").Val())["master_link_status"] == "up"
		})
		if got := rc.Get(ctx, "k").Val(); got != "v" {
			t.Errorf("redis-server replica k = %q, want v", got)
		}
	})
	t.Run("redistest replica of redis-server", func(t *testing.T) {
		// Without the 5 s diskless-sync delay the test waits for the sync, not the delay.
		m := realredis.StartServerTLS(t, 10*time.Second, realredis.TLS{CertFile: k.Files.Cert, KeyFile: k.Files.Key,
			CAFile: k.Files.CA, Client: k.Client}, "--repl-diskless-sync-delay", "0")
		k.dial(t, m.Addr).Set(ctx, "k", "v", 0)
		r := RunT(t, k.options(m.Addr))
		waitFor(t, 10*time.Second, "redistest to sync from redis-server over TLS", func() bool { return linkUp(r) })
		if got := k.dial(t, r.Addr()).Get(ctx, "k").Val(); got != "v" {
			t.Errorf("redistest replica k = %q, want v", got)
		}
	})
}
