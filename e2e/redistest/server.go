package redistest

import (
	"crypto/rand"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"os"
	"sort"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/sentinel-go/sentinel/internal/respserver"
)

// Version is the Redis version this server reports. Sentinels and clients read it from INFO
// and HELLO; 7.0.15 is the release whose behaviour we copy.
const Version = "7.0.15"

// ErrServerClosed is returned by operations on a server that was closed for good.
var ErrServerClosed = errors.New("redistest: server closed")

// Options configures an instance.
type Options struct {
	// Addr is the TCP address to listen on. Default "127.0.0.1:0": a free loopback port.
	Addr string
	// ReplicaOf makes the instance start as a replica of "host:port".
	ReplicaOf string
	// RunID fixes the run ID (40 hex characters). Default: random, as Redis does at start.
	RunID string
	// Config holds initial values for any parameter CONFIG SET accepts, with redis.conf names
	// ("requirepass", "replica-priority", "repl-diskless-sync", "min-replicas-to-write", ...).
	Config map[string]string
	// Users adds ACL users (name to password) with every permission, beside "default".
	Users map[string]string
	// ConfigFile, if set, is where CONFIG REWRITE writes. Without it CONFIG REWRITE fails the
	// way Redis does when it runs without a config file.
	ConfigFile string
	// Logger receives the instance's notices. Default: discard.
	Logger hclog.Logger
	// TLS, if set, makes the listener at Addr speak TLS only, as a redis-server with port 0
	// and tls-port does; its ClientAuth is tls-auth-clients. One port rather than Redis's
	// port beside tls-port: a sentinel or a replica reaches an instance at the one address
	// it announces, so a second, plaintext port would only be a way around the TLS under
	// test.
	TLS *tls.Config
	// ReplicationTLS, if set, is tls-replication yes: the link to the master speaks TLS
	// with this client config. An empty ServerName becomes the master's host, as
	// tls.Dial does, because the master changes with REPLICAOF and FAILOVER.
	ReplicationTLS *tls.Config
}

// Server is one Redis-protocol instance. Its methods are safe for concurrent use.
type Server struct {
	opts Options
	log  hclog.Logger
	addr string // fixed at the first listen, so a restart comes back on the same port

	mu      sync.Mutex
	life    *life          // nil while killed
	last    *life          // the latest life, running or being torn down
	bg      sync.WaitGroup // goroutines outside any life (a SHUTDOWN's kill); Close waits
	closed  bool
	runID   string
	started time.Time
	cfg     config
	dbs     [numDBs]*db
	pubsub  *respserver.Registry[*client]
	// writeGate wakes writers that FAILOVER paused; it uses mu.
	writeGate *sync.Cond
	repl      replication
	faults    faults
	stats     stats
}

// life is one run of the instance between a start and a kill. Everything it spawns is tied
// to it, so Kill can wait for exactly those goroutines: its connections are its own
// kernel Server's.
type life struct {
	k    *respserver.Server
	done chan struct{}
	wg   sync.WaitGroup
}

type stats struct {
	connectionsReceived int64
	commandsProcessed   int64
	syncFull            int64
	syncPartialOK       int64
	syncPartialErr      int64
	expiredKeys         int64
	keyspaceHits        int64
	keyspaceMisses      int64
}

// Start listens on opts.Addr and serves until Close.
func Start(opts Options) (*Server, error) {
	if opts.Addr == "" {
		opts.Addr = "127.0.0.1:0"
	}
	s := &Server{opts: opts, log: opts.Logger}
	if s.log == nil {
		s.log = hclog.NewNullLogger()
	}
	s.cfg = defaultConfig()
	s.writeGate = sync.NewCond(&s.mu)
	for _, name := range sortedKeys(opts.Config) {
		if err := s.cfg.set(name, opts.Config[name]); err != nil {
			return nil, fmt.Errorf("redistest: config %s: %w", name, err)
		}
	}
	for _, name := range sortedKeys(opts.Users) {
		s.cfg.users[name] = &user{name: name, password: opts.Users[name], enabled: true}
	}
	s.runID = opts.RunID
	if s.runID == "" {
		s.runID = randomHex(40)
	}
	s.reset()
	if opts.ReplicaOf != "" {
		host, port, err := net.SplitHostPort(opts.ReplicaOf)
		if err != nil {
			return nil, fmt.Errorf("redistest: ReplicaOf: %w", err)
		}
		p, err := strconv.Atoi(port)
		if err != nil {
			return nil, fmt.Errorf("redistest: ReplicaOf port: %w", err)
		}
		s.repl.masterHost, s.repl.masterPort = host, p
	}
	ln, err := s.listen(opts.Addr)
	if err != nil {
		return nil, fmt.Errorf("redistest: %w", err)
	}
	s.addr = ln.Addr().String()
	s.mu.Lock()
	s.begin(ln)
	s.mu.Unlock()
	return s, nil
}

// RunT starts an instance for a test and closes it when the test ends.
func RunT(t testing.TB, opts ...Options) *Server {
	t.Helper()
	var o Options
	if len(opts) > 0 {
		o = opts[0]
	}
	s, err := Start(o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s
}

// reset gives the instance the state of a fresh process: empty data, a new replication
// history. The caller holds mu or has not shared s yet.
func (s *Server) reset() {
	for i := range s.dbs {
		s.dbs[i] = newDB()
	}
	s.pubsub = respserver.NewRegistry[*client]()
	s.repl.reset()
}

// begin starts a life on ln. The caller holds mu.
func (s *Server) begin(ln net.Listener) {
	l := &life{done: make(chan struct{})}
	h := conns{s, l}
	l.k = respserver.New(respserver.Options{
		Handler:      h,
		Logger:       s.log,
		MaxClients:   s.cfg.maxClients,
		IdleTimeout:  time.Duration(s.cfg.idleTimeout) * time.Second,
		IdleExempt:   h.idleExempt,
		TCPKeepAlive: keepAlive(s.cfg.tcpKeepAlive),
		WriteGate:    h.writeGate,
	})
	s.life, s.last = l, l
	s.started = time.Now()
	l.wg.Add(2)
	go func() {
		defer l.wg.Done()
		l.k.Serve(ln)
	}()
	go s.cron(l)
	if s.repl.masterHost != "" {
		s.startReplicaLink()
	}
}

// Addr is the host:port the instance listens on.
func (s *Server) Addr() string { return s.addr }

// Port is the TCP port the instance listens on.
func (s *Server) Port() int {
	_, p, _ := net.SplitHostPort(s.addr)
	n, _ := strconv.Atoi(p)
	return n
}

// RunID is the current run ID.
func (s *Server) RunID() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.runID
}

// Close stops the instance for good and waits for all of its goroutines.
func (s *Server) Close() {
	s.mu.Lock()
	s.closed = true
	s.mu.Unlock()
	s.Kill()
	s.bg.Wait()
}

// Kill makes the instance vanish the way a killed process does: the listener and every
// connection close at once, and nothing more is sent. The data stays in memory so Restart
// can bring it back with or without it.
func (s *Server) Kill() {
	s.mu.Lock()
	l := s.life
	if l == nil {
		// Already killed, perhaps by SHUTDOWN on another goroutine still tearing down:
		// wait for that, so Close never returns before every goroutine has ended.
		last := s.last
		s.mu.Unlock()
		if last != nil {
			last.wg.Wait()
		}
		return
	}
	s.life = nil
	close(l.done)
	l.k.Stop() // the listener and every connection at once, as the process dies
	s.stopReplicaLink()
	s.faults.resume()
	s.writeGate.Broadcast()
	s.mu.Unlock()
	l.k.Close()
	l.wg.Wait()
}

// RestartOptions says what survives a restart.
type RestartOptions struct {
	// KeepData keeps the keys and the replication ID and offset, as a restart that loads an
	// RDB file with replication info does. Without it the instance comes back empty.
	KeepData bool
	// KeepRunID keeps the run ID. A real restart always changes it; keeping it models an
	// instance that was only unreachable.
	KeepRunID bool
}

// Restart kills the instance if it runs and starts it again on the same address. Its role
// stays what it was when it was killed, as with a config file that CONFIG REWRITE updated.
func (s *Server) Restart(o RestartOptions) error {
	s.Kill()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return ErrServerClosed
	}
	if !o.KeepRunID {
		s.runID = randomHex(40)
	}
	if !o.KeepData {
		s.reset()
	} else {
		s.pubsub = respserver.NewRegistry[*client]()
		s.repl.replicas = nil
	}
	s.faults.clear()
	s.stats = stats{} // INFO stats count from the start of a process, data or not
	var ln net.Listener
	var err error
	// The port was ours a moment ago; the kernel may need a moment to release it.
	for deadline := time.Now().Add(5 * time.Second); ; {
		ln, err = s.listen(s.addr)
		if err == nil || time.Now().After(deadline) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err != nil {
		return fmt.Errorf("redistest: restart: %w", err)
	}
	s.begin(ln)
	return nil
}

// Alive reports whether the instance is running (not killed or closed).
func (s *Server) Alive() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.life != nil
}

// listen opens the instance's listener. A TLS listener's connections handshake on their
// first read, in the connection's own reader goroutine, so a client that is slow or silent
// in its handshake never holds up the accept loop.
func (s *Server) listen(addr string) (net.Listener, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil || s.opts.TLS == nil {
		return ln, err
	}
	return tls.NewListener(ln, s.opts.TLS), nil
}

// clients are the connected clients, by id. The caller holds mu.
func (s *Server) clients() []*client {
	if s.life == nil {
		return nil
	}
	kcs := s.life.k.Conns()
	out := make([]*client, 0, len(kcs))
	for _, kc := range kcs {
		out = append(out, kc.Value.(*client))
	}
	return out
}

// applyConnLimits gives the running kernel the connection parameters CONFIG SET changed,
// and every client the request limits its authentication now calls for. The caller holds
// mu.
func (s *Server) applyConnLimits() {
	if s.life == nil {
		return
	}
	k := s.life.k
	k.SetMaxClients(s.cfg.maxClients)
	k.SetIdleTimeout(time.Duration(s.cfg.idleTimeout) * time.Second)
	k.SetTCPKeepAlive(keepAlive(s.cfg.tcpKeepAlive))
	for _, c := range s.clients() {
		c.syncAuth()
	}
}

// keepAlive is tcp-keepalive in seconds as the kernel takes it: 0 turns it off.
func keepAlive(secs int) time.Duration {
	if secs == 0 {
		return -1
	}
	return time.Duration(secs) * time.Second
}

// cron is Redis's serverCron and replicationCron in one: active expiry, pings and acks on
// replication links, failover progress. It runs every 100 ms, Redis's default hz of 10.
func (s *Server) cron(l *life) {
	defer l.wg.Done()
	t := time.NewTicker(100 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-l.done:
			return
		case now := <-t.C:
			s.mu.Lock()
			if s.life == l && !s.faults.isPaused() {
				s.activeExpire(now)
				s.replicationCron(now)
				s.failoverCron(now)
			}
			s.mu.Unlock()
		}
	}
}

func randomHex(n int) string {
	b := make([]byte, (n+1)/2)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand never fails on Linux
	}
	return hex.EncodeToString(b)[:n]
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func pid() int { return os.Getpid() }
