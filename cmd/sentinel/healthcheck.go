package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// healthTimeout bounds one probe: a container runtime's or kubelet's own timeout may be
// longer, and a probe that hangs on a wedged listener must still answer "unhealthy".
const healthTimeout = 3 * time.Second

// healthURL turns the --healthcheck argument into the URL to GET: an address
// ("127.0.0.1:9121", ":9121") means http://that/healthz; a URL without a path gets /healthz.
func healthURL(target string) (string, error) {
	if !strings.Contains(target, "://") {
		if strings.HasPrefix(target, ":") {
			target = "127.0.0.1" + target
		}
		target = "http://" + target
	}
	u, err := url.Parse(target)
	if err != nil {
		return "", err
	}
	if u.Scheme != "http" && u.Scheme != "https" || u.Host == "" {
		return "", fmt.Errorf("%q is not an http(s) address", target)
	}
	if u.Path == "" || u.Path == "/" {
		u.Path = "/healthz"
	}
	return u.String(), nil
}

// healthcheck is `sentinel --healthcheck <addr-or-url>`, the probe for images with no curl:
// exit 0 when the endpoint answers 200 within healthTimeout, 1 otherwise, saying why.
func healthcheck(ctx context.Context, target string, stdout, stderr io.Writer) int {
	u, err := healthURL(target)
	if err != nil {
		fmt.Fprintf(stderr, "sentinel: --healthcheck: %v\n", err)
		return 1
	}
	ctx, cancel := context.WithTimeout(ctx, healthTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		fmt.Fprintf(stderr, "sentinel: --healthcheck: %v\n", err)
		return 1
	}
	// A fresh transport per probe, closed after it: the process ends anyway, but run is
	// also called from tests that check for leaked goroutines.
	tr := &http.Transport{DisableKeepAlives: true}
	defer tr.CloseIdleConnections()
	resp, err := (&http.Client{Transport: tr}).Do(req)
	if err != nil {
		fmt.Fprintf(stderr, "sentinel: --healthcheck %s: %v\n", u, err)
		return 1
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	if resp.StatusCode != http.StatusOK {
		fmt.Fprintf(stderr, "sentinel: --healthcheck %s: %s: %s\n", u, resp.Status, strings.TrimSpace(string(body)))
		return 1
	}
	fmt.Fprintf(stdout, "%s: %s\n", u, resp.Status)
	return 0
}
