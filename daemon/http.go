package daemon

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/sentinel-go/sentinel/driver"
	"github.com/sentinel-go/sentinel/health"
)

// listenHTTP opens the listener of `sentinel metrics-address` and serves the operator's
// paths on it until the returned stop runs; without the directive it opens nothing. A
// listen failure is fatal at start, as the RESP port's is: a sentinel that silently runs
// without the health checks it was configured with would be restarted by them forever.
func (d *daemon) listenHTTP(drv *driver.Driver) (stop func(context.Context), err error) {
	addr := d.cfg.MetricsAddress
	if addr == "" {
		return func(context.Context) {}, nil
	}
	l, err := net.Listen("tcp", addr)
	if err != nil {
		d.log.Warn(fmt.Sprintf("Could not create metrics listening socket %s: %v", addr, err))
		return nil, errLogged
	}
	// Port 0 asks for a free port: the log names the one the kernel gave.
	d.log.Info(fmt.Sprintf("Metrics and health checks on http://%s", l.Addr()))
	srv := &http.Server{
		Handler:           d.httpMux(drv),
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       10 * time.Second,
		WriteTimeout:      30 * time.Second, // a scrape of thousands of masters takes a while
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          d.log.Named("http").StandardLogger(nil),
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := srv.Serve(l); err != nil && !errors.Is(err, http.ErrServerClosed) {
			d.log.Error("metrics listener: " + err.Error())
		}
	}()
	return func(ctx context.Context) {
		if srv.Shutdown(ctx) != nil {
			_ = srv.Close() // a scrape still running past the grace period
		}
		<-done
	}, nil
}

// httpMux is every path of the metrics listener, behind basic auth when metrics-pass is set.
func (d *daemon) httpMux(drv *driver.Driver) http.Handler {
	mux := http.NewServeMux()
	checks := health.New(health.Options{View: drv.View, LastTick: drv.LastTick})
	mux.Handle("/healthz", checks.Healthz())
	mux.Handle("/readyz", checks.Readyz())
	if d.metrics != nil {
		mux.Handle("/metrics", d.metrics.Handler())
	}
	if d.cfg.MetricsPass == "" {
		return mux
	}
	user := d.cfg.MetricsUser
	if user == "" {
		user = "default"
	}
	return basicAuth(mux, user, d.cfg.MetricsPass)
}

// basicAuth lets through requests with the user and password. The comparison is of
// digests in constant time, so neither the values nor their lengths leak through timing.
func basicAuth(next http.Handler, user, pass string) http.Handler {
	wantUser, wantPass := sha256.Sum256([]byte(user)), sha256.Sum256([]byte(pass))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u, p, ok := r.BasicAuth()
		gotUser, gotPass := sha256.Sum256([]byte(u)), sha256.Sum256([]byte(p))
		userOK := subtle.ConstantTimeCompare(gotUser[:], wantUser[:])
		passOK := subtle.ConstantTimeCompare(gotPass[:], wantPass[:])
		if !ok || userOK&passOK != 1 {
			w.Header().Set("WWW-Authenticate", `Basic realm="sentinel", charset="UTF-8"`)
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		next.ServeHTTP(w, r)
	})
}
