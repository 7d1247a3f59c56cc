package daemon

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sentinel-go/sentinel/e2e/realredis"
	"github.com/sentinel-go/sentinel/e2e/redistest"
	"github.com/sentinel-go/sentinel/health"
)

// TestMetricsListener runs the daemon with `sentinel metrics-address` and basic auth: the
// health checks answer behind the password, for the master it monitors.
func TestMetricsListener(t *testing.T) {
	master := redistest.RunT(t)
	dir := t.TempDir()
	port, httpPort := realredis.FreePort(t), realredis.FreePort(t)
	conf := filepath.Join(dir, "sentinel.conf")
	text := fmt.Sprintf("port %d\nbind 127.0.0.1\nsentinel metrics-address %d\nsentinel metrics-user prom\nsentinel metrics-pass s3cret\n"+
		"sentinel monitor mymaster 127.0.0.1 %d 1\n", port, httpPort, master.Port())
	if err := os.WriteFile(conf, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	d := startDaemon(t, port, conf)
	base := fmt.Sprintf("http://127.0.0.1:%d", httpPort)
	get := func(path, user, pass string) (*http.Response, []byte) {
		req, _ := http.NewRequest(http.MethodGet, base+path, nil)
		if user != "" {
			req.SetBasicAuth(user, pass)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return nil, nil
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp, body
	}
	waitFor(t, 10*time.Second, "the listener", func() bool {
		resp, _ := get("/healthz", "prom", "s3cret")
		return resp != nil && resp.StatusCode == 200
	})
	for _, c := range [][2]string{{"", ""}, {"prom", "wrong"}, {"default", "s3cret"}} {
		if resp, _ := get("/healthz", c[0], c[1]); resp == nil || resp.StatusCode != 401 || !strings.HasPrefix(resp.Header.Get("WWW-Authenticate"), "Basic ") {
			t.Errorf("credentials %q: %v", c, resp)
		}
	}
	var r health.Readiness
	waitFor(t, 10*time.Second, "/readyz ready", func() bool {
		resp, body := get("/readyz", "prom", "s3cret")
		return resp != nil && resp.StatusCode == 200 && json.Unmarshal(body, &r) == nil
	})
	if r.Status != "ready" || len(r.Masters) != 1 || r.Masters[0].Name != "mymaster" ||
		r.Masters[0].Address != master.Addr() || r.Masters[0].UsableSentinels != 1 {
		t.Errorf("readyz %+v", r)
	}
	logs := d.stopOK(t)
	if want := fmt.Sprintf("Metrics and health checks on http://127.0.0.1:%d", httpPort); !strings.Contains(logs, want) {
		t.Errorf("log lacks %q:\n%s", want, logs)
	}
	if c, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", httpPort)); err == nil {
		c.Close()
		t.Error("the listener is still open after the daemon stopped")
	}
}

// TestMetricsListenerBusyIsFatal: a metrics-address that cannot be bound stops the start,
// as a busy RESP port does.
func TestMetricsListenerBusyIsFatal(t *testing.T) {
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	dir := t.TempDir()
	port := realredis.FreePort(t)
	conf := filepath.Join(dir, "sentinel.conf")
	if err := os.WriteFile(conf, []byte(fmt.Sprintf("port %d\nbind 127.0.0.1\nsentinel metrics-address %s\n", port, busy.Addr())), 0o644); err != nil {
		t.Fatal(err)
	}
	d := startDaemon(t, port, conf)
	<-d.finished
	if d.code != 1 || !strings.Contains(d.stdout.String(), "Could not create metrics listening socket "+busy.Addr().String()) {
		t.Fatalf("exit %d, log:\n%s", d.code, d.stdout.String())
	}
}
