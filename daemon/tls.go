package daemon

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/signal"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/sentinel-go/sentinel/config"
	"github.com/sentinel-go/sentinel/endpoint"
	"github.com/sentinel-go/sentinel/internal/tlsconf"
)

// errReported ends the daemon with exit code 1 after its cause was logged already.
var errReported = errors.New("already reported")

// daemonTLS is the daemon's TLS: nil fields when the config sets up none.
type daemonTLS struct {
	settings tlsconf.Settings
	store    *tlsconf.Store
}

// tlsWatchTick, when set by a test, drives the certificate file poll instead of a timer.
var tlsWatchTick <-chan time.Time

// setupTLS configures TLS where redis-sentinel's initServer does (tls-port, tls-replication
// or tls-cluster set), failing with its lines.
func setupTLS(cfg *config.Config, log hclog.Logger) (*daemonTLS, error) {
	t := &daemonTLS{settings: tlsconf.FromOptions(cfg.Options)}
	if !t.settings.Enabled() {
		return t, nil
	}
	st, err := tlsconf.New(t.settings, tlsconf.Options{Logger: log})
	if err != nil {
		log.Warn(err.Error())
		log.Warn(tlsconf.FailedLine)
		return nil, errReported
	}
	t.store = st
	st.WarnExpiry()
	return t, nil
}

// listen opens the TLS port on every bind address, each wrapped so handshakes run off the
// accept loop. Failures are reported as for the plain port.
func (t *daemonTLS) listen(cfg *config.Config, log hclog.Logger) ([]net.Listener, error) {
	if t.store == nil || t.settings.Port == 0 {
		return nil, nil
	}
	raw, err := endpoint.Listen(cfg.Bind, t.settings.Port)
	if err != nil {
		// listenToPort's two lines, "(TLS)" naming the kind of port.
		log.Warn(fmt.Sprintf("Warning: Could not create server TCP listening socket %s:%d: %s",
			listenHost(err, cfg.Bind), t.settings.Port, listenReason(err)))
		log.Warn(fmt.Sprintf("Failed listening on port %d (TLS), aborting.", t.settings.Port))
		return nil, errReported
	}
	out := make([]net.Listener, len(raw))
	for i, l := range raw {
		out[i] = tlsconf.Listen(l, t.store.ServerConfig(), tlsconf.ListenerOptions{Logger: log})
	}
	return out, nil
}

// watch reloads the certificates on SIGHUP and when their files change, until the
// returned stop is called; stop waits for its goroutines. Without TLS, SIGHUP is ignored,
// as redis-sentinel ignores it (initServer sets SIG_IGN).
func (t *daemonTLS) watch(ctx context.Context, log hclog.Logger) (stop func()) {
	if t.store == nil {
		signal.Ignore(syscall.SIGHUP)
		return func() {}
	}
	ctx, cancel := context.WithCancel(ctx)
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	var wg sync.WaitGroup
	wg.Add(2)
	go func() {
		defer wg.Done()
		defer signal.Stop(hup)
		for {
			select {
			case <-ctx.Done():
				return
			case <-hup:
				log.Info("Received SIGHUP, reloading the TLS certificates")
				_ = t.store.Reload()
			}
		}
	}()
	go func() {
		defer wg.Done()
		t.store.Watch(ctx, tlsWatchTick)
	}()
	return func() {
		cancel()
		wg.Wait()
	}
}

// runningPort is the port of redis-sentinel's "Running mode" line and INFO's tcp_port:
// the plain one, else the TLS one.
func (t *daemonTLS) runningPort(cfg *config.Config) int {
	if cfg.Port == 0 && t.store != nil {
		return t.settings.Port
	}
	return cfg.Port
}

// listenHost is the bind address that failed, as Redis names it ("*" for every IPv4
// address, "::*" for every IPv6 one).
func listenHost(err error, bind []string) string {
	var oe *net.OpError
	if errors.As(err, &oe) {
		if a, ok := oe.Addr.(*net.TCPAddr); ok {
			switch {
			case a.IP.Equal(net.IPv4zero):
				return "*"
			case a.IP.Equal(net.IPv6unspecified):
				return "::*"
			}
			return a.IP.String()
		}
	}
	return firstBind(bind)
}

// listenReason is anet's wording: the failed call and strerror ("bind: Address already in
// use").
func listenReason(err error) string {
	var se *os.SyscallError
	var errno syscall.Errno
	if errors.As(err, &se) && errors.As(se.Err, &errno) {
		msg := errno.Error()
		return se.Syscall + ": " + strings.ToUpper(msg[:1]) + msg[1:]
	}
	return err.Error()
}
