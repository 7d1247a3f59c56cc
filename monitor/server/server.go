package server

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
)

// Version is the Redis version the endpoint reports in HELLO and INFO: the release whose
// behaviour it reproduces.
const Version = "7.0.15"

// ErrServerClosed is returned by Serve after Shutdown or Close.
var ErrServerClosed = errors.New("server: closed")

// Redis's defaults for what a sentinel does not let one configure.
const (
	maxClients = 10000 // maxclients
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
	commands map[string]*command // by lowercase name, after rename-command

	mu        sync.Mutex
	closed    bool
	listeners map[net.Listener]struct{}
	clients   map[int64]*conn
	lastID    int64
	acl       *aclState
	aclErr    error // see ACLError
	pubsub    registry
	pause     pauseState

	done chan struct{} // closed by Shutdown and Close
	wg   sync.WaitGroup
	st   stats

	// Test hooks.
	isLocal                func(net.Addr) bool
	pubsubHard, pubsubSoft int
	pubsubSoftTime         time.Duration
	now                    func() time.Time
}

// stats are INFO's counters.
type stats struct {
	connections, rejected, commands, errorReplies atomic.Int64
	netIn, netOut, reads, writes                  atomic.Int64
}

// New returns a Server. If the ACL users do not load, ACLError says why.
func New(o Options) *Server {
	s := &Server{
		o:              o,
		log:            o.Logger,
		sentinel:       o.Sentinel,
		runID:          o.RunID,
		started:        time.Now(),
		listeners:      map[net.Listener]struct{}{},
		clients:        map[int64]*conn{},
		pubsub:         newRegistry(),
		done:           make(chan struct{}),
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
	s.commands = renamed(o.RenameCommands)
	s.acl, s.aclErr = loadACL(o)
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

// SetRequirePass changes the default user's password at runtime ("" makes it nopass), as
// requirepass set by CONFIG SET would. Connections already authenticated stay so.
func (s *Server) SetRequirePass(p string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.acl.setRequirePass(p)
	s.retargetLocked(s.acl.defaultUser()) // its channels are unchanged: nobody is dropped
}

// Serve accepts connections on l until Shutdown or Close, and always returns a non-nil
// error: ErrServerClosed after those, or the listener's error. It closes l.
func (s *Server) Serve(l net.Listener) error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		l.Close()
		return ErrServerClosed
	}
	s.listeners[l] = struct{}{}
	s.wg.Add(1)
	s.mu.Unlock()
	defer s.wg.Done()
	defer func() {
		s.mu.Lock()
		delete(s.listeners, l)
		s.mu.Unlock()
		l.Close()
	}()
	var backoff time.Duration
	for {
		nc, err := l.Accept()
		if err != nil {
			if s.isClosed() {
				return ErrServerClosed
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() || isTemporary(err) {
				// Out of file descriptors, say: wait and retry, as net/http does, rather
				// than spin or give up on the port.
				backoff = min(max(2*backoff, 5*time.Millisecond), time.Second)
				s.log.Debug("accept failed; retrying", "error", err, "delay", backoff)
				select {
				case <-time.After(backoff):
				case <-s.done:
					return ErrServerClosed
				}
				continue
			}
			return err
		}
		backoff = 0
		s.accept(nc)
	}
}

func isTemporary(err error) bool {
	var t interface{ Temporary() bool }
	return errors.As(err, &t) && t.Temporary()
}

func (s *Server) isClosed() bool {
	select {
	case <-s.done:
		return true
	default:
		return false
	}
}

// Shutdown stops accepting, closes every connection, and waits for every goroutine of
// the Server to end, or for ctx.
func (s *Server) Shutdown(ctx context.Context) error {
	s.stop()
	waited := make(chan struct{})
	go func() {
		s.wg.Wait()
		close(waited)
	}()
	select {
	case <-waited:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Close is Shutdown without a deadline.
func (s *Server) Close() error {
	return s.Shutdown(context.Background())
}

func (s *Server) stop() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return
	}
	s.closed = true
	close(s.done)
	for l := range s.listeners {
		l.Close()
	}
	for _, c := range s.clients {
		c.closeNow()
	}
	s.pause.wake()
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
