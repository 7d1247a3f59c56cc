package metrics

import (
	"flag"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"math/rand/v2"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/sentinel-go/sentinel/config"
	"github.com/sentinel-go/sentinel/monitor"
)

var update = flag.Bool("update", false, "rewrite testdata/metrics.golden")

const (
	myID   = "1111111111111111111111111111111111111111"
	peerID = "2222222222222222222222222222222222222222"
)

// newView monitors mymaster at 127.0.0.1:6379 (quorum 2, down-after 1s) at t0, answers
// its first PING and INFO at t0+100ms (one replica, 127.0.0.1:6380, offset 42, link down
// 3s) and hears one peer's hello: a view built by the core itself, not by hand.
func newView(t testing.TB, t0 time.Time) *monitor.View {
	t.Helper()
	cfg := config.Default()
	cfg.MyID, cfg.Port = myID, 26379
	m := config.NewMaster("mymaster", "127.0.0.1", 6379, 2)
	m.DownAfter = time.Second
	cfg.Masters = []*config.Master{m}
	c, err := monitor.New(cfg, rand.New(rand.NewPCG(1, 2)), t0)
	if err != nil {
		t.Fatal(err)
	}
	const addr = "127.0.0.1:6379"
	for _, k := range []monitor.LinkKind{monitor.CmdLink, monitor.PubSubLink} {
		c.Observe(t0, monitor.LinkUp{Addr: addr, Kind: k, Gen: 1, LocalIP: "127.0.0.1"})
	}
	now := t0.Add(100 * time.Millisecond)
	c.Tick(now)
	for _, s := range c.Ready().Sends {
		if s.Addr != addr {
			continue
		}
		r := monitor.Reply{Addr: s.Addr, Gen: s.Gen, Tag: s.Tag, Value: int64(1)}
		switch s.Tag.Kind {
		case monitor.TagPing:
			r.Value = "PONG"
		case monitor.TagInfo:
			r.Value = "# Replication\r\nrole:master\r\nconnected_slaves:1\r\n" +
				"slave0:ip=127.0.0.1,port=6380,state=online,offset=42,lag=0\r\n" +
				"run_id:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n"
		}
		c.Observe(now, r)
	}
	c.Hello(now, "127.0.0.1,26380,"+peerID+",0,mymaster,127.0.0.1,6379,0")
	c.Ready()
	return c.View()
}

// scrape serves one scrape and parses it with prometheus/common's text parser.
func scrape(t *testing.T, m *Metrics) map[string]*dto.MetricFamily {
	t.Helper()
	w := httptest.NewRecorder()
	m.Handler().ServeHTTP(w, httptest.NewRequest("GET", "/metrics", nil))
	if w.Code != 200 {
		t.Fatalf("scrape: %d %s", w.Code, w.Body)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(w.Body)
	if err != nil {
		t.Fatalf("the exposition does not parse: %v", err)
	}
	return fams
}

// value is the sample of family name whose labels are exactly kv (name, value pairs); a
// histogram's is its sample count. ok is false when there is no such sample.
func value(fams map[string]*dto.MetricFamily, name string, kv ...string) (v float64, ok bool) {
	f := fams[name]
	if f == nil {
		return 0, false
	}
	for _, mt := range f.Metric {
		var got []string
		for _, l := range mt.Label {
			got = append(got, l.GetName(), l.GetValue())
		}
		if !slices.Equal(got, kv) {
			continue
		}
		switch {
		case mt.Gauge != nil:
			return mt.Gauge.GetValue(), true
		case mt.Counter != nil:
			return mt.Counter.GetValue(), true
		case mt.Histogram != nil:
			return float64(mt.Histogram.GetSampleCount()), true
		}
	}
	return 0, false
}

type want struct {
	name string
	kv   []string
	v    float64
}

func check(t *testing.T, fams map[string]*dto.MetricFamily, ws []want) {
	t.Helper()
	for _, w := range ws {
		got, ok := value(fams, w.name, w.kv...)
		if !ok {
			t.Errorf("%s%v: missing", w.name, w.kv)
		} else if got != w.v {
			t.Errorf("%s%v = %v, want %v", w.name, w.kv, got, w.v)
		}
	}
}

func TestViewMetrics(t *testing.T) {
	t0 := time.Unix(1_800_000_000, 0)
	v := newView(t, t0)
	now := t0.Add(1500 * time.Millisecond)
	m := New(Options{View: func() *monitor.View { return v }, Scripts: func() (int, int) { return 1, 3 },
		Now: func() time.Time { return now }})
	fams := scrape(t, m)
	ma := []string{"master_address", "127.0.0.1:6379", "master_name", "mymaster"} // labels sort by name
	link := func(role, addr string) []string {
		return []string{"address", addr, "master_name", "mymaster", "role", role}
	}
	check(t, fams, []want{
		{"redis_sentinel_masters", nil, 1},
		{"redis_sentinel_tilt", nil, 0},
		{"redis_sentinel_tilt_since_seconds", nil, -1},
		{"redis_sentinel_running_scripts", nil, 1},
		{"redis_sentinel_scripts_queue_length", nil, 3},
		{"redis_sentinel_simulate_failure_flags", nil, 0},
		{"redis_sentinel_current_epoch", nil, 0},
		{"redis_sentinel_master_status", append(slices.Clone(ma), "master_status", "ok"), 1},
		{"redis_sentinel_master_slaves", ma, 1},
		{"redis_sentinel_master_sentinels", ma, 2},
		{"redis_sentinel_master_ok_sentinels", ma, 2},
		{"redis_sentinel_master_ok_slaves", ma, 1},
		{"redis_sentinel_master_ckquorum_status", []string{"master_name", "mymaster", "message",
			"OK 2 usable Sentinels. Quorum and failover authorization can be reached"}, 1},
		{"redis_sentinel_master_setting_ckquorum", ma, 2},
		{"redis_sentinel_master_setting_failover_timeout", ma, 180000},
		{"redis_sentinel_master_setting_parallel_syncs", ma, 1},
		{"redis_sentinel_master_setting_down_after_milliseconds", ma, 1000},
		{"redis_sentinel_master_config_epoch", ma, 0},
		// The PONG came at t0+100ms: 1.4 s before the scrape.
		{"redis_sentinel_master_last_ok_ping_reply_seconds", ma, 1.4},
		{"redis_sentinel_link_last_ok_ping_reply_seconds", link("master", "127.0.0.1:6379"), 1.4},
		{"redis_sentinel_link_last_ping_reply_seconds", link("master", "127.0.0.1:6379"), 1.4},
		{"redis_sentinel_link_pending_ping_seconds", link("master", "127.0.0.1:6379"), 0},
		// Found at t0+100ms: Redis starts a new instance's last-ok time at its creation...
		{"redis_sentinel_link_last_ok_ping_reply_seconds", link("slave", "127.0.0.1:6380"), 1.4},
		{"redis_sentinel_link_last_ok_ping_reply_seconds", link("sentinel", "127.0.0.1:26380"), 1.4},
		{"redis_sentinel_replica_repl_offset", []string{"address", "127.0.0.1:6380", "master_name", "mymaster"}, 0},
		{"redis_sentinel_replica_master_link_down_seconds", []string{"address", "127.0.0.1:6380", "master_name", "mymaster"}, 0},
	})
	if _, ok := fams["go_goroutines"]; !ok {
		t.Error("no Go runtime metrics")
	}
	if _, ok := fams["process_start_time_seconds"]; !ok {
		t.Error("no process metrics")
	}
	// Event-driven families have no samples before their events.
	if _, ok := fams["redis_sentinel_master_since_last_switch_seconds"]; ok {
		t.Error("time since a switch never seen")
	}
}

// failover is the events of a failover this sentinel leads, at the offsets given from t0.
var failover = []struct {
	at time.Duration
	e  monitor.Event
}{
	{0, monitor.Event{Type: "+sdown", Message: "master mymaster 127.0.0.1 6379", Master: "mymaster"}},
	{0, monitor.Event{Type: "+sdown", Message: "slave 127.0.0.1:6380 127.0.0.1 6380 @ mymaster 127.0.0.1 6379", Master: "mymaster"}},
	{100 * time.Millisecond, monitor.Event{Type: "+odown", Message: "master mymaster 127.0.0.1 6379 #quorum 2/2", Master: "mymaster"}},
	{100 * time.Millisecond, monitor.Event{Type: "+new-epoch", Message: "3", Master: "mymaster"}},
	{100 * time.Millisecond, monitor.Event{Type: "+try-failover", Message: "master mymaster 127.0.0.1 6379", Master: "mymaster"}},
	{100 * time.Millisecond, monitor.Event{Type: "+vote-for-leader", Message: myID + " 3", Master: "mymaster"}},
	{350 * time.Millisecond, monitor.Event{Type: "+elected-leader", Message: "master mymaster 127.0.0.1 6379", Master: "mymaster"}},
	{1350 * time.Millisecond, monitor.Event{Type: "+promoted-slave", Message: "slave 127.0.0.1:6380 127.0.0.1 6380 @ mymaster 127.0.0.1 6379", Master: "mymaster"}},
	{1350 * time.Millisecond, monitor.Event{Type: "+switch-master", Message: "mymaster 127.0.0.1 6379 127.0.0.1 6380", Master: "mymaster"}},
	{4100 * time.Millisecond, monitor.Event{Type: "+failover-end", Message: "master mymaster 127.0.0.1 6380", Master: "mymaster"}},
	{5 * time.Second, monitor.Event{Type: "-failover-abort-not-elected", Message: "master mymaster 127.0.0.1 6380", Master: "mymaster"}},
	{5 * time.Second, monitor.Event{Type: "+tilt", Message: "#tilt mode entered"}},
	{5 * time.Second, monitor.Event{Level: monitor.Debug, Type: "+script-child", Message: "4242"}},
	{5 * time.Second, monitor.Event{Type: "-script-error", Message: "/bin/notify.sh 0 2"}},
	{5 * time.Second, monitor.Event{Type: "-script-timeout", Message: "/bin/notify.sh 4243"}},
	{5 * time.Second, monitor.Event{Type: "+bogus", Message: "master mymaster 127.0.0.1 6380", Master: "mymaster"}},
	// A master the view does not know gets no series of its own.
	{5 * time.Second, monitor.Event{Type: "+sdown", Message: "master ghost 127.0.0.1 7000", Master: "ghost"}},
}

// failedOver is Metrics over newView's view after the failover's events, each fed with
// the clock at its offset; the clock is left 10 s after t0. Setting v changes the view.
type failedOver struct {
	m   *Metrics
	v   *monitor.View
	now time.Time
}

func newFailedOver(t *testing.T) *failedOver {
	t0 := time.Unix(1_800_000_000, 0)
	f := &failedOver{v: newView(t, t0)}
	f.m = New(Options{View: func() *monitor.View { return f.v }, Now: func() time.Time { return f.now }})
	for _, s := range failover {
		f.now = t0.Add(s.at)
		f.m.Event(s.e)
	}
	f.now = t0.Add(10 * time.Second)
	return f
}

func TestEventMetrics(t *testing.T) {
	f := newFailedOver(t)
	m := f.m
	fams := scrape(t, m)
	mn := []string{"master_name", "mymaster"}
	phase := func(p string) []string { return []string{"master_name", "mymaster", "phase", p} }
	check(t, fams, []want{
		{"redis_sentinel_events_total", []string{"type", "+sdown"}, 3},
		{"redis_sentinel_events_total", []string{"type", "+switch-master"}, 1},
		{"redis_sentinel_events_total", []string{"type", "other"}, 1},
		{"redis_sentinel_sdown_total", []string{"master_name", "mymaster", "role", "master"}, 1},
		{"redis_sentinel_sdown_total", []string{"master_name", "mymaster", "role", "slave"}, 1},
		{"redis_sentinel_master_odown_total", mn, 1},
		{"redis_sentinel_tilt_total", nil, 1},
		{"redis_sentinel_master_failovers_started_total", mn, 1},
		{"redis_sentinel_master_failovers_succeeded_total", mn, 1},
		{"redis_sentinel_master_failovers_aborted_total", []string{"master_name", "mymaster", "reason", "not-elected"}, 1},
		{"redis_sentinel_master_failover_duration_seconds", mn, 1},
		{"redis_sentinel_master_last_failover_duration_seconds", mn, 4},
		{"redis_sentinel_master_since_last_switch_seconds", mn, 8.65},
		{"redis_sentinel_master_votes_total", mn, 1},
		{"redis_sentinel_master_leader_epoch", mn, 3},
		{"redis_sentinel_master_failover_phase_seconds", phase("odown"), 1},
		{"redis_sentinel_master_failover_phase_seconds", phase("elected"), 1},
		{"redis_sentinel_master_failover_phase_seconds", phase("promoted"), 1},
		{"redis_sentinel_master_failover_phase_seconds", phase("switched"), 1},
		{"redis_sentinel_script_runs_total", nil, 1},
		{"redis_sentinel_script_errors_total", nil, 1},
		{"redis_sentinel_script_timeouts_total", nil, 1},
	})
	// Each phase's time is exact: the histogram's sum over its one sample.
	for p, d := range map[string]float64{"odown": 0.1, "elected": 0.25, "promoted": 1, "switched": 0} {
		if got := histogramSum(fams["redis_sentinel_master_failover_phase_seconds"], p); got != d {
			t.Errorf("phase %s took %v, want %v", p, got, d)
		}
	}
	for _, s := range series(fams, "master_name") {
		if strings.HasSuffix(s, "=ghost") {
			t.Errorf("%s: a series for a master the view does not know", s)
		}
	}
}

// series lists "<family> <label>=<value>" for every sample that has the label.
func series(fams map[string]*dto.MetricFamily, label string) []string {
	var out []string
	for name, f := range fams {
		for _, mt := range f.Metric {
			for _, l := range mt.Label {
				if l.GetName() == label {
					out = append(out, name+" "+label+"="+l.GetValue())
				}
			}
		}
	}
	return out
}

func histogramSum(f *dto.MetricFamily, phase string) float64 {
	for _, mt := range f.GetMetric() {
		for _, l := range mt.Label {
			if l.GetName() == "phase" && l.GetValue() == phase {
				return mt.Histogram.GetSampleSum()
			}
		}
	}
	return -1
}

// A master removed from the view takes its series with it at the next scrape.
func TestRemovedMasterDropsSeries(t *testing.T) {
	f := newFailedOver(t)
	m := f.m
	if _, ok := value(scrape(t, m), "redis_sentinel_master_odown_total", "master_name", "mymaster"); !ok {
		t.Fatal("no odown counter before the removal")
	}
	f.v = &monitor.View{}
	if s := series(scrape(t, m), "master_name"); s != nil {
		t.Errorf("series outlived their master: %v", s)
	}
	if got, _ := value(scrape(t, m), "redis_sentinel_events_total", "type", "+sdown"); got != 3 {
		t.Errorf("the global counters must survive a master's removal: +sdown %v", got)
	}
}

// TestGolden pins every family of ours: name, type, help and label names. Run with
// -update to rewrite testdata/metrics.golden, and read the diff before committing it.
func TestGolden(t *testing.T) {
	f := newFailedOver(t)
	m := f.m
	fams := scrape(t, m)
	var lines []string
	for name, f := range fams {
		if strings.HasPrefix(name, "go_") || strings.HasPrefix(name, "process_") {
			continue
		}
		var labels []string
		for _, l := range f.Metric[0].Label {
			labels = append(labels, l.GetName())
		}
		lines = append(lines, fmt.Sprintf("%s %s {%s}\n    %s",
			name, strings.ToLower(f.GetType().String()), strings.Join(labels, ","), f.GetHelp()))
	}
	slices.Sort(lines)
	got := strings.Join(lines, "\n") + "\n"
	const golden = "testdata/metrics.golden"
	if *update {
		if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	b, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if string(b) != got {
		t.Errorf("metric families changed (go test -run TestGolden -update, then read the diff)\n got:\n%s\nwant:\n%s", got, b)
	}
	var described int
	ch := make(chan *prometheus.Desc, 100)
	go func() { viewCollector{m}.Describe(ch); close(ch) }()
	for range ch {
		described++
	}
	if n := len(lines) - 13; n != described { // 13 families of events
		t.Errorf("the golden file has %d view families, the collector describes %d", n, described)
	}
}

// TestEventTypesComplete: every event type the core and the script runner emit is one the
// type label knows, so none is counted as "other". It reads their code: every string
// literal shaped like an event type ("+sdown", "-slave-forgotten"), and for a literal
// added to a run-time sign (sign+"role-change") both signs. A new event fails here until
// it is added to eventTypes.
func TestEventTypesComplete(t *testing.T) {
	shape := regexp.MustCompile(`^[+-][a-z][a-z-]*$`)
	fset := token.NewFileSet()
	found := 0
	var files []string
	for _, glob := range []string{"../monitor/*.go", "../script/*.go"} {
		m, _ := filepath.Glob(glob) // the patterns are well formed
		files = append(files, m...)
	}
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(f, func(n ast.Node) bool {
			var types []string
			switch n := n.(type) {
			case *ast.BinaryExpr: // sign+"role-change"
				if lit, ok := n.Y.(*ast.BasicLit); ok && n.Op == token.ADD && lit.Kind == token.STRING {
					if id, ok := n.X.(*ast.Ident); ok && id.Name == "sign" {
						v, _ := strconv.Unquote(lit.Value)
						types = []string{"+" + v, "-" + v}
					}
				}
			case *ast.BasicLit:
				if v, err := strconv.Unquote(n.Value); err == nil && n.Kind == token.STRING && shape.MatchString(v) {
					types = []string{v}
				}
			}
			for _, typ := range types {
				found++
				if _, ok := eventTypes[typ]; !ok {
					t.Errorf("%s has %s, which eventTypes lacks", fset.Position(n.Pos()), typ)
				}
			}
			return true
		})
	}
	if found < 40 {
		t.Fatalf("found only %d event types: has the emitters' shape changed?", found)
	}
}

// BenchmarkEvent: Event runs on the driver goroutine for every event, so its cost is the
// loop's.
func BenchmarkEvent(b *testing.B) {
	t0 := time.Unix(1_800_000_000, 0)
	v := newView(b, t0)
	m := New(Options{View: func() *monitor.View { return v }, Now: func() time.Time { return t0 }})
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		m.Event(failover[i%len(failover)].e)
	}
}
