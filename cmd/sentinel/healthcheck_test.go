package main

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func TestHealthURL(t *testing.T) {
	for in, want := range map[string]string{
		"127.0.0.1:9121":                 "http://127.0.0.1:9121/healthz",
		":9121":                          "http://127.0.0.1:9121/healthz",
		"sentinel-0.sentinel:9121":       "http://sentinel-0.sentinel:9121/healthz",
		"http://127.0.0.1:9121":          "http://127.0.0.1:9121/healthz",
		"http://127.0.0.1:9121/":         "http://127.0.0.1:9121/healthz",
		"http://127.0.0.1:9121/readyz":   "http://127.0.0.1:9121/readyz",
		"https://[::1]:9121/healthz?x=1": "https://[::1]:9121/healthz?x=1",
	} {
		if got, err := healthURL(in); err != nil || got != want {
			t.Errorf("healthURL(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, bad := range []string{"ftp://h/x", "http://", "http://%zz"} {
		if got, err := healthURL(bad); err == nil {
			t.Errorf("healthURL(%q) = %q, want an error", bad, got)
		}
	}
}

func TestHealthcheck(t *testing.T) {
	var healthy atomic.Bool
	healthy.Store(true)
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.URL.Path == "/hang":
			<-release
		case r.URL.Path != "/healthz":
			http.NotFound(w, r)
		case !healthy.Load():
			http.Error(w, "not healthy: no master link", http.StatusServiceUnavailable)
		default:
			w.Write([]byte("ok\n"))
		}
	}))
	defer srv.Close()
	addr := strings.TrimPrefix(srv.URL, "http://")

	probe := func(ctx context.Context, target string) (int, string, string) {
		var stdout, stderr strings.Builder
		code := run(ctx, []string{"--healthcheck", target}, &stdout, &stderr)
		return code, stdout.String(), stderr.String()
	}
	if code, out, errs := probe(context.Background(), addr); code != 0 || out != srv.URL+"/healthz: 200 OK\n" || errs != "" {
		t.Errorf("healthy: exit %d, stdout %q, stderr %q", code, out, errs)
	}
	healthy.Store(false)
	if code, out, errs := probe(context.Background(), srv.URL); code != 1 || out != "" ||
		errs != "sentinel: --healthcheck "+srv.URL+"/healthz: 503 Service Unavailable: not healthy: no master link\n" {
		t.Errorf("unhealthy: exit %d, stdout %q, stderr %q", code, out, errs)
	}
	if code, _, errs := probe(context.Background(), srv.URL+"/other"); code != 1 || !strings.Contains(errs, "404") {
		t.Errorf("404: exit %d, stderr %q", code, errs)
	}
	// A wedged endpoint is unhealthy within the bound, not a hung probe.
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	if code, _, errs := probe(ctx, srv.URL+"/hang"); code != 1 || !strings.Contains(errs, "deadline exceeded") {
		t.Errorf("hang: exit %d, stderr %q", code, errs)
	}
	if d := time.Since(start); d > healthTimeout {
		t.Errorf("hang: the probe took %v, over its %v bound", d, healthTimeout)
	}
	close(release) // srv.Close waits for the hung handler
	srv.Close()
	if code, _, errs := probe(context.Background(), addr); code != 1 || !strings.Contains(errs, "connection refused") {
		t.Errorf("closed: exit %d, stderr %q", code, errs)
	}
	if code, _, errs := probe(context.Background(), "ftp://x"); code != 1 || !strings.Contains(errs, "not an http(s) address") {
		t.Errorf("bad address: exit %d, stderr %q", code, errs)
	}
}
