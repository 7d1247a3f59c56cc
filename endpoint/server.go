package endpoint

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/sentinel-go/sentinel/internal/respserver"
)

// Version is the Redis version the endpoint reports in HELLO and INFO: the release whose
// behaviour it reproduces.
const Version = "7.0.15"

// ErrServerClosed is returned by Serve after Shutdown or Close.
var ErrServerClosed = errors.New("server: closed")

// Redis's defaults for what a sentinel does not let one configure.
const (
	// client-output-buffer-limit pubsub 32mb 8mb 60
	pubsubHardLimit = 32 << 20
	pubsubSoftLimit = 8 << 20
	pubsubSoftTime  = 60 * time.Second
)

// Options configures a Server.
type Options struct {
	// Sentinel answers SENTINEL, the sentinel INFO section, ROLE and hello messages.
	Sentinel Sentinel
	// Logger receives connection-level errors at debug level. Default: discard.
	Logger hclog.Logger
	// ProtectedMode refuses clients from outside loopback while the default user has no
	// password (protected-mode; a sentinel's default is no).
	ProtectedMode bool
	// RequirePass is the default user's password; "" leaves it nopass.
	RequirePass string
	// Users are ACL user lines: a name, then rules as ACL SETUSER takes them.
	Users [][]string
	// ACLFile is the aclfile: its users replace the initial ones at New, and ACL LOAD and
	// ACL SAVE read and write it. It excludes Users, as in Redis. "" for none.
	ACLFile string
	// ACLPubsubAll is acl-pubsub-default allchannels: new users and selectors
	// start with every channel allowed (Redis 7.0's default is resetchannels).
	ACLPubsubAll bool
	// RenameCommands renames top-level commands (rename-command): old name to new name,
	// "" to disable the command.
	RenameCommands map[string]string
	// MaxClients is maxclients: the client beyond it is refused with "-ERR max number of
	// clients reached". 0 means Redis's default, 10000.
	MaxClients int
	// IdleTimeout is timeout: a client with no traffic for longer is closed, except
	// Pub/Sub clients and those CLIENT PAUSE holds. 0, Redis's default, never closes one.
	IdleTimeout time.Duration
	// TCPKeepAlive is tcp-keepalive for accepted TCP connections. 0 means Redis's default
	// (300 s); negative turns keepalive off, as tcp-keepalive 0 does.
	TCPKeepAlive time.Duration
	// TLSHandshakeTimeout bounds a TLS handshake on a tls.NewListener given to Serve; a
	// client that stalls costs only its own connection meanwhile. 0 means 10 s.
	TLSHandshakeTimeout time.Duration
	// Port, ConfigFile, Executable and RunID are reported by INFO server. RunID defaults
	// to 40 random hex characters, a new one per process as in Redis.
	Port       int
	ConfigFile string
	Executable string
	RunID      string
	// Shutdown is called by SHUTDOWN, on the connection's goroutine after the connection
	// is closed. It must only signal the daemon to stop (cancel a context, say): the
	// daemon's call to Server.Shutdown waits for that goroutine.
	Shutdown func()
}

// Server is the sentinel's RESP endpoint. Its methods are safe for concurrent use.
type Server struct {
	o        Options
	log      hclog.Logger
	sentinel Sentinel
	runID    string
	started  time.Time
	commands *respserver.Table[*command] // by lowercase name, after rename-command
	k        *respserver.Server

	mu     sync.Mutex
	acl    *aclState
	aclErr error // see ACLError
	pubsub *respserver.Registry[*conn]
	pause  pauseState

	st stats

	// Test hooks.
	isLocal                func(net.Addr) bool
	pubsubHard, pubsubSoft int
	pubsubSoftTime         time.Duration
	now                    func() time.Time
}

// stats are INFO's counters beyond the kernel's.
type stats struct {
	commands, errorReplies atomic.Int64
}

// New returns a Server. If the ACL users do not load, ACLError says why.
func New(o Options) *Server {
	s := &Server{
		o:              o,
		log:            o.Logger,
		sentinel:       o.Sentinel,
		runID:          o.RunID,
		started:        time.Now(),
		pubsub:         respserver.NewRegistry[*conn](),
		isLocal:        isLoopback,
		pubsubHard:     pubsubHardLimit,
		pubsubSoft:     pubsubSoftLimit,
		pubsubSoftTime: pubsubSoftTime,
		now:            time.Now,
	}
	if s.log == nil {
		s.log = hclog.NewNullLogger()
	}
	if s.runID == "" {
		b := make([]byte, 20)
		rand.Read(b)
		s.runID = hex.EncodeToString(b)
	}
	s.commands = kernelTable(renamed(o.RenameCommands))
	s.acl, s.aclErr = loadACL(o)
	s.k = respserver.New(respserver.Options{
		Handler:          endpoint{s},
		Logger:           s.log,
		MaxClients:       o.MaxClients,
		IdleTimeout:      o.IdleTimeout,
		IdleExempt:       s.idleExempt,
		TCPKeepAlive:     o.TCPKeepAlive,
		HandshakeTimeout: o.TLSHandshakeTimeout,
		Now:              func() time.Time { return s.now() },
		// Every argument the endpoint keeps (a client name, an ACL rule, a channel, a
		// hello) is converted to a string, which copies it.
		BorrowArgs: true,
	})
	return s
}

// renamed applies rename-command to the table. Like Redis, it renames only the lookup
// key: replies keep naming the command by its real name.
func renamed(renames map[string]string) map[string]*command {
	m := make(map[string]*command, len(table.top))
	for name, cmd := range table.top {
		m[name] = cmd
	}
	for _, old := range sortedKeys(renames) {
		cmd := table.top[strings.ToLower(old)]
		if cmd == nil {
			continue
		}
		delete(m, cmd.name)
		if n := renames[old]; n != "" {
			m[strings.ToLower(n)] = cmd
		}
	}
	return m
}

// kernelTable registers the table's commands, under their names after rename-command, for
// the kernel's checks (lookup, arity, authentication).
func kernelTable(m map[string]*command) *respserver.Table[*command] {
	t := respserver.NewTable[*command]()
	for _, name := range sortedKeys(m) {
		t.RegisterAs(name, kernelCommand(m[name]))
	}
	return t
}

func kernelCommand(cmd *command) *respserver.Command[*command] {
	k := &respserver.Command[*command]{Name: cmd.name, Arity: cmd.arity, NoAuth: cmd.noAuth, Def: cmd}
	if cmd.subs != nil {
		k.Subs = make(map[string]*respserver.Command[*command], len(cmd.subs))
		for name, sub := range cmd.subs {
			k.Subs[name] = kernelCommand(sub)
		}
	}
	return k
}

// SetMaxClients changes maxclients at runtime (CONFIG SET maxclients); clients already
// above it stay.
func (s *Server) SetMaxClients(n int) { s.k.SetMaxClients(n) }

// SetIdleTimeout changes timeout at runtime; 0 disables it.
func (s *Server) SetIdleTimeout(d time.Duration) { s.k.SetIdleTimeout(d) }

// SetRequirePass changes the default user's password at runtime ("" makes it nopass), as
// requirepass set by CONFIG SET would. Connections already authenticated stay so.
func (s *Server) SetRequirePass(p string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.acl.setRequirePass(p)
	s.retargetLocked(s.acl.defaultUser()) // its channels are unchanged: nobody is dropped
}

// Serve accepts connections on l until Shutdown or Close, and always returns a non-nil
// error: ErrServerClosed after those, or the listener's error. It closes l. l may be a
// TCP or unix listener (respserver.ListenUnix), or a tls.NewListener over one.
func (s *Server) Serve(l net.Listener) error {
	if err := s.k.Serve(l); !errors.Is(err, respserver.ErrServerClosed) {
		return err
	}
	return ErrServerClosed
}

// Shutdown stops accepting, closes every connection, and waits for every goroutine of
// the Server to end, or for ctx.
func (s *Server) Shutdown(ctx context.Context) error {
	s.k.Stop() // closes every connection first, so no request held by CLIENT PAUSE runs
	s.mu.Lock()
	s.pause.wake()
	s.mu.Unlock()
	return s.k.Shutdown(ctx)
}

// Close is Shutdown without a deadline.
func (s *Server) Close() error {
	return s.Shutdown(context.Background())
}

// isLoopback is Redis's connIsLocal for TCP: the peer is 127.x.x.x or ::1.
func isLoopback(a net.Addr) bool {
	ta, ok := a.(*net.TCPAddr)
	if !ok {
		return a.Network() == "unix"
	}
	if ip4 := ta.IP.To4(); ip4 != nil {
		return ip4[0] == 127
	}
	return ta.IP.Equal(net.IPv6loopback)
}
