package tlsconf

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
	"time"

	"github.com/hashicorp/go-hclog"
)

// ListenerOptions shape a TLS Listener.
type ListenerOptions struct {
	// HandshakeTimeout bounds one handshake (10 s): a peer that stalls costs its own
	// connection and nothing else.
	HandshakeTimeout time.Duration
	// MaxHandshakes bounds the handshakes in flight (1024); a connection beyond it is
	// closed at once, as a full accept queue would refuse it.
	MaxHandshakes int
	Logger        hclog.Logger
}

// Listener accepts TCP connections and returns them once their TLS handshake is done. Each
// handshake runs on its own goroutine with a deadline, never on the accept loop and never
// under a lock, so a slow or hostile peer delays no one else; a failed one is logged and
// closed, and Accept does not see it.
type Listener struct {
	inner net.Listener
	cfg   *tls.Config
	o     ListenerOptions

	ready chan net.Conn
	errs  chan error
	done  chan struct{}
	once  sync.Once
	wg    sync.WaitGroup
	slots chan struct{}
	ctx   context.Context
	stop  context.CancelFunc

	plainMu sync.Mutex
	plain   map[string]struct{} // peer IPs already logged for speaking plaintext
}

// maxPlainPeers bounds the memory of peers already logged; when full it starts over, so a
// scan from many addresses logs at most this many lines per round.
const maxPlainPeers = 4096

// Listen wraps inner; cfg is usually a Store's ServerConfig.
func Listen(inner net.Listener, cfg *tls.Config, o ListenerOptions) *Listener {
	if o.HandshakeTimeout <= 0 {
		o.HandshakeTimeout = 10 * time.Second
	}
	if o.MaxHandshakes <= 0 {
		o.MaxHandshakes = 1024
	}
	if o.Logger == nil {
		o.Logger = hclog.NewNullLogger()
	}
	ctx, stop := context.WithCancel(context.Background())
	l := &Listener{inner: inner, cfg: cfg, o: o, ready: make(chan net.Conn), errs: make(chan error),
		done: make(chan struct{}), slots: make(chan struct{}, o.MaxHandshakes), ctx: ctx, stop: stop,
		plain: map[string]struct{}{}}
	l.wg.Add(1)
	go l.acceptLoop()
	return l
}

func (l *Listener) acceptLoop() {
	defer l.wg.Done()
	for {
		c, err := l.inner.Accept()
		if err != nil {
			select {
			case l.errs <- err: // the caller backs off on temporary errors before asking again
			case <-l.done:
				return
			}
			if errors.Is(err, net.ErrClosed) {
				return
			}
			continue
		}
		select {
		case l.slots <- struct{}{}:
		default:
			l.o.Logger.Debug("TLS handshakes at their limit; connection dropped", "addr", c.RemoteAddr().String())
			c.Close()
			continue
		}
		l.o.Logger.Debug("Accepted " + c.RemoteAddr().String()) // Redis's verbose line
		l.wg.Add(1)
		go l.handshake(c)
	}
}

func (l *Listener) handshake(c net.Conn) {
	defer l.wg.Done()
	defer func() { <-l.slots }()
	cc := &capConn{Conn: c}
	tc := tls.Server(cc, l.cfg)
	ctx, cancel := context.WithTimeout(l.ctx, l.o.HandshakeTimeout)
	err := tc.HandshakeContext(ctx)
	cancel()
	if err != nil {
		l.logFailure(c.RemoteAddr(), err)
		c.Close()
		return
	}
	sc := &Conn{Conn: tc, cap: cc}
	select {
	case l.ready <- sc:
	case <-l.done:
		sc.Close()
	}
}

// Conn is an accepted TLS connection whose Close never blocks. crypto/tls's Close sends
// close_notify with a 5 s write deadline, which stalls the caller when the peer has
// stopped reading (a Pub/Sub subscriber killed for its output buffer, typically), and our
// server closes connections holding its lock. Close sends close_notify only if the socket
// takes it at once, as Redis's SSL_shutdown on a non-blocking socket does.
type Conn struct {
	*tls.Conn
	cap *capConn
}

// Close sends close_notify if it fits in the socket buffer now, and closes the socket.
func (c *Conn) Close() error {
	c.cap.closing.Store(true)
	return c.Conn.Close()
}

// Client wraps an outgoing connection in TLS with the same non-blocking Close: a link to a
// hung instance is closed by the goroutine that decided to recycle it, which must not
// wait for a peer that reads nothing.
func Client(nc net.Conn, cfg *tls.Config) *Conn {
	cc := &capConn{Conn: nc}
	return &Conn{Conn: tls.Client(cc, cfg), cap: cc}
}

// closeNotifyGrace is how long Close lets close_notify wait for room in the socket buffer.
const closeNotifyGrace = time.Millisecond

// capConn is the socket under a server-side tls.Conn; once closing, it caps the write
// deadlines crypto/tls sets, so the close_notify write cannot block.
type capConn struct {
	net.Conn
	closing atomic.Bool
}

func (c *capConn) SetWriteDeadline(t time.Time) error {
	if c.closing.Load() {
		if limit := time.Now().Add(closeNotifyGrace); t.IsZero() || t.After(limit) {
			t = limit
		}
	}
	return c.Conn.SetWriteDeadline(t)
}

func (c *capConn) SetDeadline(t time.Time) error {
	if err := c.Conn.SetReadDeadline(t); err != nil {
		return err
	}
	return c.SetWriteDeadline(t)
}

// NetConn is the socket, for CLIENT LIST's fd.
func (c *capConn) NetConn() net.Conn { return c.Conn }

// logFailure logs a failed handshake as Redis's clientAcceptHandler does ("Error accepting
// a client connection: <OpenSSL's reason>"), except that a peer speaking plaintext to the
// TLS port is logged once per address (redis/redis#7068, #9952: a misconfigured client
// retrying every second floods the log otherwise), and a timeout only at verbose level.
func (l *Listener) logFailure(addr net.Addr, err error) {
	if errors.Is(err, context.DeadlineExceeded) || isTimeout(err) {
		l.o.Logger.Debug("TLS handshake timed out", "addr", addr.String())
		return
	}
	var rh tls.RecordHeaderError
	if errors.As(err, &rh) {
		host := addr.String()
		if h, _, e := net.SplitHostPort(host); e == nil {
			host = h
		}
		l.plainMu.Lock()
		_, seen := l.plain[host]
		if !seen {
			if len(l.plain) >= maxPlainPeers {
				clear(l.plain)
			}
			l.plain[host] = struct{}{}
		}
		l.plainMu.Unlock()
		if !seen {
			l.o.Logger.Warn(fmt.Sprintf("Error accepting a client connection: %s (a plaintext client at %s on the TLS port; further attempts from it are not logged)", "error:0A00010B:SSL routines::wrong version number", host))
		}
		return
	}
	l.o.Logger.Warn("Error accepting a client connection: " + handshakeReason(err))
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// handshakeReason is OpenSSL's string for the common handshake failures, so logs read as
// redis-sentinel's; others keep Go's wording.
func handshakeReason(err error) string {
	msg := err.Error()
	switch {
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return "error:0A000126:SSL routines::unexpected eof while reading"
	case strings.Contains(msg, "client didn't provide a certificate"):
		return "error:0A0000C7:SSL routines::peer did not return a certificate"
	case strings.Contains(msg, "failed to verify certificate"), strings.Contains(msg, "certificate signed by unknown authority"):
		return "error:0A000086:SSL routines::certificate verify failed"
	}
	if strings.Contains(msg, "bad record MAC") {
		// OpenSSL's client, refusing our certificate in TLS 1.3, sends its alert before
		// switching to the handshake keys; crypto/tls cannot read it and says this.
		return msg + " (under TLS 1.3, most likely the client refused our certificate)"
	}
	// An alert the client sent (it refused our certificate, say): OpenSSL names it by
	// SSL_AD_REASON_OFFSET plus the alert's number.
	if alert, ok := strings.CutPrefix(msg, "remote error: tls: "); ok {
		if r, ok := peerAlerts[alert]; ok {
			return r
		}
	}
	return msg
}

// peerAlerts are crypto/tls's texts for received alerts, with OpenSSL 3's strings.
var peerAlerts = map[string]string{
	"unknown certificate authority":  "error:0A000418:SSL routines::tlsv1 alert unknown ca",
	"bad certificate":                "error:0A000412:SSL routines::sslv3 alert bad certificate",
	"unknown certificate":            "error:0A00040E:SSL routines::sslv3 alert certificate unknown",
	"expired certificate":            "error:0A00040D:SSL routines::sslv3 alert certificate expired",
	"handshake failure":              "error:0A000410:SSL routines::sslv3 alert handshake failure",
	"protocol version not supported": "error:0A000446:SSL routines::tlsv1 alert protocol version",
	"error decrypting message":       "error:0A00041B:SSL routines::tlsv1 alert decrypt error",
}

// Accept returns the next connection whose handshake succeeded, as a *tls.Conn.
func (l *Listener) Accept() (net.Conn, error) {
	select {
	case c := <-l.ready:
		return c, nil
	case err := <-l.errs:
		return nil, err
	case <-l.done:
		return nil, net.ErrClosed
	}
}

// Close stops accepting, abandons the handshakes in flight and waits for their goroutines.
func (l *Listener) Close() error {
	var err error
	l.once.Do(func() {
		close(l.done)
		l.stop()
		err = l.inner.Close()
		l.wg.Wait()
	})
	return err
}

// Addr is the inner listener's address.
func (l *Listener) Addr() net.Addr { return l.inner.Addr() }
