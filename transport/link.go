package transport

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/redis/go-redis/v9"
	"github.com/redis/go-redis/v9/maintnotifications"

	"github.com/sentinel-go/sentinel/driver"
	"github.com/sentinel-go/sentinel/internal/tlsconf"
	"github.com/sentinel-go/sentinel/monitor"
)

// Options configures a Transport.
type Options struct {
	// Observe receives everything the links see. It may block (the driver applies
	// backpressure); it is never called with a lock held.
	Observe func(monitor.Observation)
	// SourceAddr is bind-source-addr: the local IP for outgoing connections ("" any).
	SourceAddr string
	Logger     hclog.Logger
	// ReconnectPeriod is the least time between two connection attempts (1 s, as Redis).
	ReconnectPeriod time.Duration
	// DialTimeout bounds one connection attempt, the TLS handshake included.
	DialTimeout time.Duration
	// TLS, when set, makes every link (masters, replicas, peer sentinels) TLS, as
	// redis-sentinel's instance links are when tls-replication is yes. It is cloned per
	// connection by crypto/tls's rules; certificates it reads through callbacks may change
	// between connections.
	TLS *tls.Config
}

// Transport holds every link. It is safe for concurrent use.
type Transport struct {
	opts   Options
	dialer net.Dialer
	mu     sync.Mutex
	links  map[string]*link
	wg     sync.WaitGroup
	closed bool
	// gen numbers every connection of every link. One counter for the whole transport, not
	// one per link: a link closed and opened again at the same address (SENTINEL SET
	// auth-pass does that) has a goroutine still winding down whose last LinkDown may reach
	// the core after the new link's LinkUp; were both numbered 1, the core would take the old
	// connection's end for the new one's and think a live link down for good.
	gen atomic.Uint64
}

var _ driver.Transport = (*Transport)(nil)

// New returns a Transport with no links.
func New(o Options) *Transport {
	if o.ReconnectPeriod == 0 {
		o.ReconnectPeriod = time.Second
	}
	if o.DialTimeout == 0 {
		o.DialTimeout = 5 * time.Second
	}
	if o.Logger == nil {
		o.Logger = hclog.NewNullLogger()
	}
	t := &Transport{opts: o, links: map[string]*link{}}
	t.dialer.Timeout = o.DialTimeout
	if o.SourceAddr != "" {
		t.dialer.LocalAddr = &net.TCPAddr{IP: net.ParseIP(o.SourceAddr)}
	}
	return t
}

// link is the connections to one address.
type link struct {
	spec   monitor.LinkSpec
	ctx    context.Context
	cancel context.CancelFunc
	cmd    *connLoop
	pubsub *connLoop
}

// connLoop owns one kind of connection to an address and its reconnections.
type connLoop struct {
	t    *Transport
	spec monitor.LinkSpec
	kind monitor.LinkKind

	mu     sync.Mutex
	gen    uint64 // the current connection's generation, from Transport.gen
	closed bool   // the link was closed: no connection of it may start any more
	queue  []monitor.Send
	client *redis.Client // current connection's client, closed to interrupt it
	ps     *redis.PubSub
	wake   chan struct{} // new sends queued
	kick   chan struct{} // reconnect requested
}

// Open starts connecting to spec.Addr.
func (t *Transport) Open(spec monitor.LinkSpec) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.closed || t.links[spec.Addr] != nil {
		return
	}
	ctx, cancel := context.WithCancel(context.Background())
	l := &link{spec: spec, ctx: ctx, cancel: cancel}
	l.cmd = t.newLoop(spec, monitor.CmdLink)
	t.start(ctx, l.cmd)
	if !spec.Sentinel {
		l.pubsub = t.newLoop(spec, monitor.PubSubLink)
		t.start(ctx, l.pubsub)
	}
	t.links[spec.Addr] = l
}

func (t *Transport) newLoop(spec monitor.LinkSpec, kind monitor.LinkKind) *connLoop {
	return &connLoop{t: t, spec: spec, kind: kind, wake: make(chan struct{}, 1), kick: make(chan struct{}, 1)}
}

func (t *Transport) start(ctx context.Context, c *connLoop) {
	t.wg.Add(1)
	go func() {
		defer t.wg.Done()
		c.run(ctx)
	}()
}

// Close stops the link to addr for good.
func (t *Transport) Close(addr string) {
	t.mu.Lock()
	l := t.links[addr]
	delete(t.links, addr)
	t.mu.Unlock()
	if l == nil {
		return
	}
	l.cancel()
	l.cmd.shut()
	if l.pubsub != nil {
		l.pubsub.shut()
	}
}

// Reconnect drops the current connection of one kind; the loop dials again.
func (t *Transport) Reconnect(addr string, kind monitor.LinkKind) {
	t.mu.Lock()
	l := t.links[addr]
	t.mu.Unlock()
	if l == nil {
		return
	}
	c := l.cmd
	if kind == monitor.PubSubLink {
		c = l.pubsub
	}
	if c == nil {
		return
	}
	select {
	case c.kick <- struct{}{}:
	default:
	}
	c.interrupt()
}

// Send queues a command; it is dropped if its connection is already gone.
func (t *Transport) Send(s monitor.Send) {
	t.mu.Lock()
	l := t.links[s.Addr]
	t.mu.Unlock()
	if l == nil {
		return
	}
	c := l.cmd
	c.mu.Lock()
	if c.gen != s.Gen || c.client == nil {
		c.mu.Unlock()
		return
	}
	c.queue = append(c.queue, s)
	c.mu.Unlock()
	select {
	case c.wake <- struct{}{}:
	default:
	}
}

// Shutdown closes every link and waits for their goroutines.
func (t *Transport) Shutdown() {
	t.mu.Lock()
	t.closed = true
	addrs := make([]string, 0, len(t.links))
	for a := range t.links {
		addrs = append(addrs, a)
	}
	t.mu.Unlock()
	for _, a := range addrs {
		t.Close(a)
	}
	t.wg.Wait()
}

// shut ends the loop for good: a connection dialled before it is closed, and none is numbered
// after it, so every generation of a closed link is older than those of a link opened at the
// same address afterwards.
func (c *connLoop) shut() {
	c.mu.Lock()
	c.closed = true
	c.mu.Unlock()
	c.interrupt()
}

// interrupt closes the current connection, unblocking a read that waits for an answer.
func (c *connLoop) interrupt() {
	c.mu.Lock()
	client, ps := c.client, c.ps
	c.mu.Unlock()
	if ps != nil {
		_ = ps.Close()
	}
	if client != nil {
		_ = client.Close()
	}
}

// Fast reconnection (LinkSpec.FastReconnect): how often, and for how long after a connection
// was lost. The window covers a restart within down-after; past it a dead master costs the
// usual one attempt a second.
const (
	fastReconnectPeriod = 100 * time.Millisecond
	fastReconnectWindow = 3 * time.Second
)

func (c *connLoop) run(ctx context.Context) {
	var last, lost time.Time
	for {
		period := c.t.opts.ReconnectPeriod
		if c.spec.FastReconnect && !lost.IsZero() && time.Since(lost) < fastReconnectWindow {
			period = min(period, fastReconnectPeriod)
		}
		if wait := period - time.Since(last); wait > 0 {
			timer := time.NewTimer(wait)
			select {
			case <-ctx.Done():
				timer.Stop()
				return
			case <-timer.C:
			}
		}
		last = time.Now()
		nc, err := c.dial(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			c.t.opts.Logger.Debug("connect failed", "addr", c.spec.Addr, "link", c.kind, "error", err)
			continue
		}
		c.serve(ctx, nc)
		lost = time.Now()
		if ctx.Err() != nil {
			return
		}
	}
}

// dial connects, and with TLS handshakes within the same timeout: a peer that accepts
// TCP but stalls the handshake costs one attempt, not the link.
func (c *connLoop) dial(ctx context.Context) (net.Conn, error) {
	ctx, cancel := context.WithTimeout(ctx, c.t.opts.DialTimeout)
	defer cancel()
	nc, err := c.t.dialer.DialContext(ctx, "tcp", c.spec.Addr)
	if err != nil || c.t.opts.TLS == nil {
		return nc, err
	}
	tc := tlsconf.Client(nc, c.t.opts.TLS) // its Close never waits on a peer that stopped reading
	if err := tc.HandshakeContext(ctx); err != nil {
		nc.Close()
		return nil, fmt.Errorf("TLS handshake: %w", err)
	}
	return tc, nil
}

// serve runs one connection until it fails, is interrupted or the link closes.
func (c *connLoop) serve(ctx context.Context, nc net.Conn) {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		_ = nc.Close()
		return
	}
	client := c.newClient(nc)
	gen := c.t.gen.Add(1)
	c.gen = gen
	c.client = client
	c.queue = nil
	c.mu.Unlock()
	select { // a reconnect asked for before this connection existed is already done
	case <-c.kick:
	default:
	}
	localIP := ""
	if a, ok := nc.LocalAddr().(*net.TCPAddr); ok {
		localIP = a.IP.String()
	}
	observe := c.t.opts.Observe
	observe(monitor.LinkUp{Addr: c.spec.Addr, Kind: c.kind, Gen: gen, LocalIP: localIP})

	var err error
	if c.kind == monitor.CmdLink {
		err = c.serveCommands(ctx, client, gen)
	} else {
		err = c.servePubSub(ctx, client, gen)
	}
	c.mu.Lock()
	c.client, c.ps = nil, nil
	c.queue = nil
	c.mu.Unlock()
	_ = client.Close()
	msg := ""
	if err != nil {
		msg = err.Error()
	}
	observe(monitor.LinkDown{Addr: c.spec.Addr, Kind: c.kind, Gen: gen, Err: msg})
}

// newClient wraps one already-dialled connection in a go-redis client that will never dial
// again: reconnecting is the loop's job, so that every connection gets a new generation.
func (c *connLoop) newClient(nc net.Conn) *redis.Client {
	var once sync.Once
	name := c.spec.ClientName + "-" + c.kind.String()
	return redis.NewClient(&redis.Options{
		Addr: c.spec.Addr,
		Dialer: func(context.Context, string, string) (net.Conn, error) {
			var conn net.Conn
			once.Do(func() { conn = nc })
			if conn == nil {
				return nil, errConnUsed
			}
			return conn, nil
		},
		Protocol:                 2,
		Username:                 c.spec.AuthUser,
		Password:                 c.spec.AuthPass,
		ClientName:               name,
		DisableIdentity:          true,
		MaintNotificationsConfig: &maintnotifications.Config{Mode: maintnotifications.ModeDisabled},
		MaxRetries:               -1,
		PoolSize:                 1,
		PipelinePoolSize:         -1,
		// No deadlines: an unanswered command is the core's signal (PING outstanding) and
		// it recycles the connection itself, as redis-sentinel does.
		ReadTimeout:  -2,
		WriteTimeout: -2,
		PoolTimeout:  time.Hour,
		// Sentinel traffic is small (PING, hello, INFO of a few KiB): go-redis's 32 KiB
		// default buffers would cost 64 KiB per connection, 250 MiB at 1000 masters.
		ReadBufferSize:  4096,
		WriteBufferSize: 4096,
	})
}

var errConnUsed = errors.New("link: connection already used; the loop reconnects")

func (c *connLoop) serveCommands(ctx context.Context, client *redis.Client, gen uint64) error {
	// One sticky connection: the link is exactly one socket, and a pool's get and put on
	// every command cost more than the command.
	conn := client.Conn()
	defer conn.Close()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-c.kick:
			return errors.New("reconnect requested")
		case <-c.wake:
		}
		c.mu.Lock()
		batch := c.queue
		c.queue = nil
		c.mu.Unlock()
		if len(batch) == 0 {
			continue
		}
		var cmds []redis.Cmder
		var err error
		if len(batch) == 1 {
			// The usual case (one PING, one hello): skip the pipeline machinery.
			cmd := redis.NewCmd(ctx, c.renamed(batch[0].Args)...)
			err = conn.Process(ctx, cmd)
			cmds = []redis.Cmder{cmd}
		} else {
			cmds, err = conn.Pipelined(ctx, func(p redis.Pipeliner) error {
				for _, s := range batch {
					p.Do(ctx, c.renamed(s.Args)...)
				}
				return nil
			})
		}
		for i, cmd := range cmds {
			r := monitor.Reply{Addr: c.spec.Addr, Gen: gen, Tag: batch[i].Tag}
			v, cerr := cmd.(*redis.Cmd).Result()
			rerr, isReply := cerr.(redis.Error)
			switch {
			case cerr == nil || cerr == redis.Nil:
				r.Value = v
			case isReply && !handshakeFailed(rerr):
				r.Err = rerr.Error()
			default:
				return cerr // the connection failed: nothing after this was answered
			}
			c.t.opts.Observe(r)
		}
		if err != nil && !isReply(err) {
			return err
		}
	}
}

// isReply reports whether err is an answer the server sent, not a failure of the connection.
// Only an unwrapped error is one: go-redis hands a failed handshake to the later commands of
// a connection wrapped ("Conn is in a bad state: failed to authenticate: WRONGPASS ...").
func isReply(err error) bool {
	e, ok := err.(redis.Error)
	return ok && !handshakeFailed(e)
}

// handshakeFailed reports whether a command's error is the connection's failed AUTH, which
// go-redis hands to the first command unwrapped. The core never sends AUTH or HELLO itself,
// so a WRONGPASS is always the handshake's. Such a connection is useless and go-redis never
// dials it again: taken for a reply, the link would stay up, unauthenticated, for good, and
// a password fixed on the server would never be tried. Ending it makes the loop dial again a
// second later, as the Pub/Sub connection, whose SUBSCRIBE fails the same way, already does.
func handshakeFailed(err redis.Error) bool {
	return strings.HasPrefix(err.Error(), "WRONGPASS ")
}

// renamed applies rename-command to the command name.
func (c *connLoop) renamed(args []string) []any {
	out := make([]any, len(args))
	for i, a := range args {
		out[i] = a
	}
	if to, ok := c.spec.Rename[strings.ToLower(args[0])]; ok {
		out[0] = to
	}
	return out
}

func (c *connLoop) servePubSub(ctx context.Context, client *redis.Client, gen uint64) error {
	ps := client.Subscribe(ctx)
	c.mu.Lock()
	c.ps = ps
	c.mu.Unlock()
	defer ps.Close()
	channel := "__sentinel__:hello"
	if err := ps.Subscribe(ctx, channel); err != nil {
		return err
	}
	for {
		msg, err := ps.Receive(ctx)
		if err != nil {
			return err
		}
		select {
		case <-c.kick:
			return errors.New("reconnect requested")
		default:
		}
		if m, ok := msg.(*redis.Message); ok {
			c.t.opts.Observe(monitor.Message{Addr: c.spec.Addr, Gen: gen, Channel: m.Channel, Payload: m.Payload})
		} else {
			c.t.opts.Observe(monitor.PubSubActivity{Addr: c.spec.Addr, Gen: gen})
		}
	}
}

// GoRedisLogger routes go-redis's own log lines (pool dial retries after a link closed,
// mostly) to hclog at debug level: they are the loop's business, not the operator's. Pass
// it to redis.SetLogger; go-redis keeps one process-wide logger.
type GoRedisLogger struct{ Log hclog.Logger }

// Printf implements go-redis's logging interface.
func (g GoRedisLogger) Printf(_ context.Context, format string, v ...any) {
	g.Log.Debug(strings.TrimSpace(fmt.Sprintf(format, v...)))
}
