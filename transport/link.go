package transport

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
	"unsafe"

	"github.com/hashicorp/go-hclog"

	"github.com/sentinel-go/sentinel/driver"
	"github.com/sentinel-go/sentinel/internal/resp"
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

// connLoop owns one kind of connection to an address and its reconnections. Its goroutine
// dials, then reads the connection's replies until it ends.
type connLoop struct {
	t    *Transport
	spec monitor.LinkSpec
	kind monitor.LinkKind

	mu     sync.Mutex
	gen    uint64        // the current connection's generation, from Transport.gen
	closed bool          // the link was closed: no connection of it may start any more
	cur    *session      // the current connection; nil between connections
	kick   chan struct{} // reconnect requested
}

// session is one connection: what is still to be written on it, and what each reply still
// due answers. Its fields are guarded by the connLoop's mu.
type session struct {
	conn net.Conn
	gen  uint64
	// raw is the plain TCP socket, written at once without waiting (see writeNow); nil
	// over TLS, whose records only the writer goroutine writes.
	raw syscall.RawConn
	// out is the commands not yet handed to the writer; spare is the writer's last buffer,
	// reused so that a steady link appends without allocating.
	out, spare []byte
	// writing: a writer goroutine is draining out. At most one per connection, so the
	// commands go out in the order they were sent, which is the order replies are matched.
	writing bool
	werr    error // the write that failed, the connection's end
	// due[head:] is what each reply still to come answers, oldest first.
	due  []due
	head int
}

// due is what one expected reply answers: a core's send (its Tag), or the handshake.
type due struct {
	tag       monitor.Tag
	handshake bool
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
	return &connLoop{t: t, spec: spec, kind: kind, kick: make(chan struct{}, 1)}
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

// Send queues a command; it is dropped if its connection is already gone. It never waits
// on the network: the bytes are appended to the connection's buffer and a writer goroutine,
// started only when none is at work, writes them, so a peer that stops reading stalls that
// goroutine and never the driver's loop. Its buffer then grows by the sends it gets, which
// the core bounds: with its PING unanswered past half down-after it asks for a reconnect,
// which closes the socket.
func (t *Transport) Send(s monitor.Send) {
	t.mu.Lock()
	l := t.links[s.Addr]
	t.mu.Unlock()
	if l == nil {
		return
	}
	c := l.cmd
	c.mu.Lock()
	ss := c.cur
	if c.gen != s.Gen || ss == nil {
		c.mu.Unlock()
		return
	}
	ss.out = c.appendCommand(ss.out, s.Args...)
	ss.due = append(ss.due, due{tag: s.Tag})
	if !ss.writing && ss.werr == nil && ss.raw != nil {
		// No write is in flight, so out holds only this command: try it at once, which
		// saves starting a goroutine for what the socket buffer takes anyway.
		n, err := writeNow(ss.raw, ss.out)
		if err != nil {
			ss.werr = err
			_ = ss.conn.Close() // the reader sees it and ends the connection
		}
		ss.out = ss.out[:copy(ss.out, ss.out[n:])]
	}
	if len(ss.out) > 0 {
		c.startWriter(ss)
	}
	c.mu.Unlock()
}

// writeNow writes what the socket takes without waiting for room: the fd is non-blocking
// (Go's poller), and the callback never asks to wait, so a full socket buffer costs one
// EAGAIN and the rest is the writer goroutine's. The write is a raw system call: it cannot
// block, and announced to the scheduler (entersyscall) each one kept sysmon polling every
// 20 µs and handing the driver's P to another thread (see e2e/bench/README.md).
func writeNow(raw syscall.RawConn, b []byte) (int, error) {
	var n int
	var werr error
	err := raw.Write(func(fd uintptr) bool {
		for n < len(b) {
			m, _, errno := syscall.RawSyscall(syscall.SYS_WRITE, fd, uintptr(unsafe.Pointer(&b[n])), uintptr(len(b)-n))
			if errno == syscall.EINTR {
				continue
			}
			if errno != 0 || m == 0 {
				if errno != syscall.EAGAIN && errno != 0 {
					werr = errno
				}
				break
			}
			n += int(m)
		}
		return true
	})
	if err == nil {
		err = werr
	}
	return n, err
}

// rawReader reads a plain TCP socket with raw system calls, waiting for data through Go's
// poller as net.Conn does, for the reason writeNow gives: a read of a ready non-blocking
// socket cannot block.
type rawReader struct{ raw syscall.RawConn }

func (r rawReader) Read(b []byte) (int, error) {
	if len(b) == 0 {
		return 0, nil
	}
	var n uintptr
	var errno syscall.Errno
	err := r.raw.Read(func(fd uintptr) bool {
		for {
			n, _, errno = syscall.RawSyscall(syscall.SYS_READ, fd, uintptr(unsafe.Pointer(&b[0])), uintptr(len(b)))
			if errno != syscall.EINTR {
				return errno != syscall.EAGAIN // EAGAIN: wait for the poller to say it is readable
			}
		}
	})
	switch {
	case err != nil:
		return 0, err
	case errno != 0:
		return 0, errno
	case n == 0:
		return 0, io.EOF
	}
	return int(n), nil
}

// startWriter starts the session's writer unless it is at work. c.mu is held; the loop's
// goroutine is running (it clears c.cur before it ends), so the WaitGroup is above zero.
func (c *connLoop) startWriter(ss *session) {
	if ss.writing || ss.werr != nil {
		return
	}
	ss.writing = true
	c.t.wg.Add(1)
	go c.write(ss)
}

// maxIdleOut is the largest write buffer a connection keeps between batches.
const maxIdleOut = 4 << 10

// write drains the session's out, one write per batch: what was sent while a write was in
// flight goes out together.
func (c *connLoop) write(ss *session) {
	defer c.t.wg.Done()
	c.mu.Lock()
	defer c.mu.Unlock()
	for len(ss.out) > 0 {
		buf := ss.out
		ss.out, ss.spare = ss.spare[:0], nil
		c.mu.Unlock()
		_, err := ss.conn.Write(buf)
		c.mu.Lock()
		if err != nil {
			ss.werr = err
			ss.writing = false
			_ = ss.conn.Close() // the reader sees it and ends the connection
			return
		}
		if cap(buf) <= maxIdleOut {
			ss.spare = buf[:0]
		}
	}
	ss.writing = false
}

// appendCommand appends a command with rename-command applied to its name.
func (c *connLoop) appendCommand(b []byte, args ...string) []byte {
	if len(c.spec.Rename) > 0 {
		if to, ok := c.spec.Rename[strings.ToLower(args[0])]; ok {
			args = append([]string{to}, args[1:]...)
		}
	}
	return resp.AppendCommand(b, args...)
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

// interrupt closes the current connection, unblocking the read that waits for an answer.
func (c *connLoop) interrupt() {
	c.mu.Lock()
	ss := c.cur
	c.mu.Unlock()
	if ss != nil {
		_ = ss.conn.Close()
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

// helloChannel is where sentinels announce themselves (SENTINEL_HELLO_CHANNEL).
const helloChannel = "__sentinel__:hello"

// serve runs one connection until it fails, is interrupted or the link closes.
func (c *connLoop) serve(ctx context.Context, nc net.Conn) {
	ss := &session{conn: nc}
	if tc, ok := nc.(*net.TCPConn); ok {
		ss.raw, _ = tc.SyscallConn()
	}
	c.handshake(ss)
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		_ = nc.Close()
		return
	}
	ss.gen = c.t.gen.Add(1)
	c.gen = ss.gen
	c.cur = ss
	// The handshake goes out first; the core's sends, which can come only once it has seen
	// the LinkUp below, follow it through the same writer.
	c.startWriter(ss)
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
	observe(monitor.LinkUp{Addr: c.spec.Addr, Kind: c.kind, Gen: ss.gen, LocalIP: localIP})

	err := c.read(ss)
	c.mu.Lock()
	c.cur = nil
	if ss.werr != nil {
		err = ss.werr
	}
	c.mu.Unlock()
	_ = nc.Close()
	msg, peerClosed := "", false
	select {
	case <-c.kick:
		msg = "reconnect requested"
	default:
		if ctx.Err() == nil && err != nil {
			msg = err.Error()
			peerClosed = closedByPeer(err)
		}
	}
	observe(monitor.LinkDown{Addr: c.spec.Addr, Kind: c.kind, Gen: ss.gen, Err: msg, PeerClosed: peerClosed})
}

// handshake queues what redis-sentinel's sentinelReconnectInstance sends on a new
// connection before anything else, pipelined and with rename-command applied: AUTH when a
// password is set (sentinelSendAuthIfNeeded), CLIENT SETNAME (sentinelSetClientName), and on
// the Pub/Sub connection the SUBSCRIBE to the hello channel.
func (c *connLoop) handshake(ss *session) {
	switch {
	case c.spec.AuthPass == "":
	case c.spec.AuthUser != "":
		ss.out = c.appendCommand(ss.out, "AUTH", c.spec.AuthUser, c.spec.AuthPass)
		ss.due = append(ss.due, due{handshake: true})
	default:
		ss.out = c.appendCommand(ss.out, "AUTH", c.spec.AuthPass)
		ss.due = append(ss.due, due{handshake: true})
	}
	ss.out = c.appendCommand(ss.out, "CLIENT", "SETNAME", c.spec.ClientName+"-"+c.kind.String())
	ss.due = append(ss.due, due{handshake: true})
	if c.kind == monitor.PubSubLink {
		// Its confirmation and every later frame are Pub/Sub traffic, matched to no send.
		ss.out = c.appendCommand(ss.out, "SUBSCRIBE", helloChannel)
	}
}

// read delivers the connection's replies until it ends.
func (c *connLoop) read(ss *session) error {
	var rd io.Reader = ss.conn
	if ss.raw != nil {
		rd = rawReader{ss.raw}
	}
	rr := resp.NewReplyReader(rd)
	observe := c.t.opts.Observe
	for {
		v, err := rr.ReadReply()
		if err != nil {
			return err
		}
		c.mu.Lock()
		d, asked := due{}, ss.head < len(ss.due)
		if asked {
			d = ss.due[ss.head]
			ss.head++
			if ss.head == len(ss.due) {
				ss.due, ss.head = ss.due[:0], 0
			}
		}
		c.mu.Unlock()
		rerr, isErr := v.(resp.ErrorReply)
		switch {
		case d.handshake:
			if isErr && authFailed(rerr) {
				return rerr
			}
			// Any other answer is discarded, as sentinelDiscardReplyCallback does: a server
			// with no password answers AUTH with an error and serves the link all the same.
		case asked:
			r := monitor.Reply{Addr: c.spec.Addr, Gen: ss.gen, Tag: d.tag}
			if isErr {
				r.Err = string(rerr)
			} else {
				r.Value = v
			}
			observe(r)
		case c.kind == monitor.CmdLink:
			return errUnasked
		case isErr:
			return rerr // the SUBSCRIBE failed: this connection will never hear a hello
		default:
			observe(pubSubFrame(c.spec.Addr, ss.gen, v))
		}
	}
}

var errUnasked = errors.New("a reply to no command")

// pubSubFrame turns a Pub/Sub frame into an observation: a message on the hello channel,
// or any other frame (subscribe confirmations, pongs) as a sign of life.
func pubSubFrame(addr string, gen uint64, v any) monitor.Observation {
	if f, ok := v.([]any); ok && len(f) == 3 && f[0] == "message" {
		ch, ok1 := f[1].(string)
		payload, ok2 := f[2].(string)
		if ok1 && ok2 {
			return monitor.Message{Addr: addr, Gen: gen, Channel: ch, Payload: payload}
		}
	}
	return monitor.PubSubActivity{Addr: addr, Gen: gen}
}

// authFailed reports whether a handshake reply says the connection is not authenticated:
// the AUTH was refused (WRONGPASS), or none was sent and the server wants one (NOAUTH, to
// CLIENT SETNAME). Such a connection is useless: kept, the link would stay up,
// unauthenticated, for good, and a password fixed on the server would never be tried.
// Ending it makes the loop dial again a second later.
func authFailed(e resp.ErrorReply) bool {
	return strings.HasPrefix(string(e), "WRONGPASS ") || strings.HasPrefix(string(e), "NOAUTH ")
}

// closedByPeer reports whether a read or write failed because the other end closed or
// reset the connection, as the kernel does for a process that exits, rather than for a
// timeout or our own close.
func closedByPeer(err error) bool {
	return errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE)
}
