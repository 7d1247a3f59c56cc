package tlsconf

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/hashicorp/go-hclog"
)

// Options are a Store's collaborators; the zero value is the real clock, a 5 s poll and
// no logging.
type Options struct {
	Now    func() time.Time
	Poll   time.Duration // Watch's interval between two looks at the files
	Logger hclog.Logger
	// ExpiryWarning is how close to NotAfter a certificate draws a warning (7 days),
	// logged at start-up and then once per ExpiryRepeat (a day).
	ExpiryWarning, ExpiryRepeat time.Duration
}

// Store holds the current Material and hands out configurations that read it at every
// handshake. It is safe for concurrent use.
type Store struct {
	s      Settings
	p      params
	suites []uint16
	o      Options

	cur atomic.Pointer[loaded]

	mu       sync.Mutex // serialises reloads; never held during a handshake
	stamps   map[string]stamp
	lastWarn time.Time
}

// loaded is a Material with the server configuration built for it once, so that its
// session ticket keys live as long as the certificate.
type loaded struct {
	m      *Material
	server *tls.Config
}

// New checks s and loads the files, failing as Redis's tlsConfigure does.
func New(s Settings, o Options) (*Store, error) {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Poll <= 0 {
		o.Poll = 5 * time.Second
	}
	if o.Logger == nil {
		o.Logger = hclog.NewNullLogger()
	}
	if o.ExpiryWarning <= 0 {
		o.ExpiryWarning = 7 * 24 * time.Hour
	}
	if o.ExpiryRepeat <= 0 {
		o.ExpiryRepeat = 24 * time.Hour
	}
	p, err := check(s)
	if err != nil {
		return nil, err
	}
	m, err := loadFiles(s)
	if err != nil {
		return nil, err
	}
	suites, _ := cipherSuites(s) // checked by loadFiles
	st := &Store{s: s, p: p, suites: suites, o: o}
	st.cur.Store(st.build(m))
	st.stamps = st.stampFiles()
	return st, nil
}

// Material is the certificates in use now.
func (st *Store) Material() *Material { return st.cur.Load().m }

// Settings are the directives the Store was built from.
func (st *Store) Settings() Settings { return st.s }

func (st *Store) build(m *Material) *loaded {
	cfg := &tls.Config{
		Certificates:           []tls.Certificate{m.Server},
		ClientAuth:             st.p.authClients,
		ClientCAs:              m.CAs,
		MinVersion:             st.p.min,
		MaxVersion:             st.p.max,
		CipherSuites:           st.suites,
		SessionTicketsDisabled: !st.p.tickets || st.p.ticketMaxAge <= 0,
		Time:                   st.o.Now,
	}
	if !cfg.SessionTicketsDisabled {
		maxAge, now := st.p.ticketMaxAge, st.o.Now
		// tls-session-cache-timeout: a ticket carries when it was issued, and one older
		// than the timeout is not resumed (a full handshake follows), as OpenSSL's cache
		// forgets a session after SSL_CTX_set_timeout's seconds.
		cfg.WrapSession = func(cs tls.ConnectionState, ss *tls.SessionState) ([]byte, error) {
			stampBytes := binary.BigEndian.AppendUint64(append([]byte(nil), ticketTag...), uint64(now().UnixNano()))
			ss.Extra = append(ss.Extra, stampBytes)
			return cfg.EncryptTicket(cs, ss)
		}
		cfg.UnwrapSession = func(identity []byte, cs tls.ConnectionState) (*tls.SessionState, error) {
			ss, err := cfg.DecryptTicket(identity, cs)
			if err != nil || ss == nil {
				return nil, nil // not ours, or from an older key: a full handshake
			}
			for _, e := range ss.Extra {
				if len(e) == len(ticketTag)+8 && bytes.HasPrefix(e, ticketTag) {
					issued := time.Unix(0, int64(binary.BigEndian.Uint64(e[len(ticketTag):])))
					if now().Sub(issued) <= maxAge {
						return ss, nil
					}
				}
			}
			return nil, nil
		}
	}
	return &loaded{m: m, server: cfg}
}

var ticketTag = []byte("sentinel-issued:")

// ServerConfig is the listener's configuration: each handshake takes the certificate and
// CA pool current at that moment.
func (st *Store) ServerConfig() *tls.Config {
	return &tls.Config{
		MinVersion: st.p.min, // also shown to tools that inspect the outer config
		MaxVersion: st.p.max,
		GetConfigForClient: func(*tls.ClientHelloInfo) (*tls.Config, error) {
			return st.cur.Load().server, nil
		},
	}
}

// ClientConfig is the configuration of outgoing links. Like redis-sentinel, it checks the
// peer's chain against the CA and its validity, but not the host name (Redis sets no
// SSL_set1_host), sends no SNI, and presents the client pair (else the server pair).
func (st *Store) ClientConfig() *tls.Config {
	return &tls.Config{
		InsecureSkipVerify: true, // the chain is verified below; only the host name is not
		VerifyConnection:   st.verifyServer,
		GetClientCertificate: func(*tls.CertificateRequestInfo) (*tls.Certificate, error) {
			c := st.cur.Load().m.Client
			return &c, nil
		},
		MinVersion:             st.p.min,
		MaxVersion:             st.p.max,
		CipherSuites:           st.suites,
		SessionTicketsDisabled: true, // Redis's client context caches no sessions
		Time:                   st.o.Now,
	}
}

// ErrVerify is wrapped by a failed verification of a server's chain.
var ErrVerify = errors.New("tlsconf: certificate verify failed")

func (st *Store) verifyServer(cs tls.ConnectionState) error {
	if len(cs.PeerCertificates) == 0 {
		return fmt.Errorf("%w: no certificate", ErrVerify)
	}
	inter := x509.NewCertPool()
	for _, c := range cs.PeerCertificates[1:] {
		inter.AddCert(c)
	}
	_, err := cs.PeerCertificates[0].Verify(x509.VerifyOptions{
		Roots:         st.cur.Load().m.CAs,
		Intermediates: inter,
		CurrentTime:   st.o.Now(),
		KeyUsages:     []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	})
	if err != nil {
		return fmt.Errorf("%w: %v", ErrVerify, err)
	}
	return nil
}

// Reload rereads the files. A pair or CA that fails to load leaves the current one in use;
// the error says why, in Redis's words.
func (st *Store) Reload() error {
	st.mu.Lock()
	defer st.mu.Unlock()
	st.stamps = st.stampFiles()
	return st.reloadLocked()
}

func (st *Store) reloadLocked() error {
	m, err := loadFiles(st.s)
	if err != nil {
		st.o.Logger.Warn("TLS certificates not reloaded, keeping the current ones: " + err.Error())
		return err
	}
	st.cur.Store(st.build(m))
	st.o.Logger.Info("TLS server certificate loaded: " + describe(m.Server.Leaf))
	if st.s.hasClientPair() {
		st.o.Logger.Info("TLS client certificate loaded: " + describe(m.Client.Leaf))
	}
	st.lastWarn = time.Time{}
	st.warnExpiryLocked()
	return nil
}

// WarnExpiry logs a warning for a certificate within ExpiryWarning of its end; the daemon
// calls it at start-up, and Watch once per ExpiryRepeat.
func (st *Store) WarnExpiry() {
	st.mu.Lock()
	defer st.mu.Unlock()
	st.warnExpiryLocked()
}

func (st *Store) warnExpiryLocked() {
	now := st.o.Now()
	if !st.lastWarn.IsZero() && now.Sub(st.lastWarn) < st.o.ExpiryRepeat {
		return
	}
	m := st.cur.Load().m
	certs := []struct {
		what string
		c    *x509.Certificate
	}{{"server", m.Server.Leaf}}
	if st.s.hasClientPair() {
		certs = append(certs, struct {
			what string
			c    *x509.Certificate
		}{"client", m.Client.Leaf})
	}
	warned := false
	for _, c := range certs {
		left := c.c.NotAfter.Sub(now)
		if left > st.o.ExpiryWarning {
			continue
		}
		warned = true
		if left <= 0 {
			st.o.Logger.Warn(fmt.Sprintf("WARNING: the TLS %s certificate has expired: %s", c.what, describe(c.c)))
		} else {
			st.o.Logger.Warn(fmt.Sprintf("WARNING: the TLS %s certificate expires in %s: %s", c.what, left.Truncate(time.Minute), describe(c.c)))
		}
	}
	if warned {
		st.lastWarn = now
	}
}

// Watch reloads when a file changes (its size, modification time or inode, looked at
// through symbolic links, so an atomic swap of a symlinked directory is seen) and repeats
// the expiry warning, until ctx ends. tick, when not nil, replaces the poll timer: tests
// drive it.
func (st *Store) Watch(ctx context.Context, tick <-chan time.Time) {
	if tick == nil {
		t := time.NewTicker(st.o.Poll)
		defer t.Stop()
		tick = t.C
	}
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick:
		}
		st.mu.Lock()
		now := st.stampFiles()
		if !sameStamps(now, st.stamps) {
			st.stamps = now
			_ = st.reloadLocked()
		} else {
			st.warnExpiryLocked()
		}
		st.mu.Unlock()
	}
}

type stamp struct {
	size, mtime int64
	ino, dev    uint64
	missing     bool
}

// files are the paths a reload reads.
func (st *Store) files() []string {
	s := st.s
	f := []string{s.CertFile, s.KeyFile}
	if s.hasClientPair() {
		f = append(f, s.ClientCertFile, s.ClientKeyFile)
	}
	if s.CAFile != "" {
		f = append(f, s.CAFile)
	}
	if s.CADir != "" {
		f = append(f, s.CADir)
		if entries, err := os.ReadDir(s.CADir); err == nil {
			for i, e := range entries {
				if i == 10000 { // a bound: no CA directory is this large
					break
				}
				f = append(f, filepath.Join(s.CADir, e.Name()))
			}
		}
	}
	sort.Strings(f)
	return f
}

func (st *Store) stampFiles() map[string]stamp {
	out := map[string]stamp{}
	for _, p := range st.files() {
		fi, err := os.Stat(p)
		if err != nil {
			out[p] = stamp{missing: true}
			continue
		}
		s := stamp{size: fi.Size(), mtime: fi.ModTime().UnixNano()}
		if sys, ok := fi.Sys().(*syscall.Stat_t); ok {
			s.ino, s.dev = sys.Ino, uint64(sys.Dev)
		}
		out[p] = s
	}
	return out
}

func sameStamps(a, b map[string]stamp) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}
