package metrics

import (
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/sentinel-go/sentinel/monitor"
)

// Options are the two sources the metrics read, and the clock.
type Options struct {
	View    func() *monitor.View         // the driver's published view (driver.View)
	Scripts func() (running, queued int) // script stats, as INFO reports them
	Now     func() time.Time             // injected clock; default time.Now
}

// Metrics serves a sentinel's metrics: gauges read from the published view at scrape time,
// counters and histograms counted from events.
type Metrics struct {
	o   Options
	reg *prometheus.Registry

	events    *prometheus.CounterVec // type
	sdowns    *prometheus.CounterVec // master_name, role
	odowns    *prometheus.CounterVec // master_name
	tilts     prometheus.Counter
	started   *prometheus.CounterVec   // master_name
	succeeded *prometheus.CounterVec   // master_name
	aborted   *prometheus.CounterVec   // master_name, reason
	durations *prometheus.HistogramVec // master_name
	phases    *prometheus.HistogramVec // master_name, phase
	votes     *prometheus.CounterVec   // master_name
	runs      prometheus.Counter
	failures  prometheus.Counter
	timeouts  prometheus.Counter

	mu      sync.Mutex
	masters map[string]*masterState // only masters the view knew when their event came
}

// masterState is what a master's events leave behind between scrapes.
type masterState struct {
	// The steps of the failover under way, as this sentinel saw them (zero: not seen).
	sdown, odown, elected, promoted, tried time.Time
	lastSwitch                             time.Time
	lastFailover                           time.Duration
	failedOver                             bool // lastFailover is set
	leaderEpoch                            uint64
}

// New builds the metrics on a registry of their own, with Go's runtime and process
// collectors beside them.
func New(o Options) *Metrics {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Scripts == nil {
		o.Scripts = func() (int, int) { return 0, 0 }
	}
	m := &Metrics{o: o, reg: prometheus.NewRegistry(), masters: map[string]*masterState{}}
	counter := func(name, help string, labels ...string) *prometheus.CounterVec {
		return prometheus.NewCounterVec(prometheus.CounterOpts{Name: name, Help: help}, labels)
	}
	m.events = counter("redis_sentinel_events_total", `Events emitted, by type ("other" for a type this version does not know).`, "type")
	m.sdowns = counter("redis_sentinel_sdown_total", "Entries into SDOWN (+sdown) of a master, its replicas (role slave) and its sentinels.", "master_name", "role")
	m.odowns = counter("redis_sentinel_master_odown_total", "Entries into ODOWN (+odown) of the master.", "master_name")
	m.tilts = prometheus.NewCounter(prometheus.CounterOpts{Name: "redis_sentinel_tilt_total", Help: "Entries into TILT mode (+tilt)."})
	m.started = counter("redis_sentinel_master_failovers_started_total", "Failovers this sentinel tried to lead (+try-failover).", "master_name")
	m.succeeded = counter("redis_sentinel_master_failovers_succeeded_total", "Failovers this sentinel led to the end (+failover-end).", "master_name")
	m.aborted = counter("redis_sentinel_master_failovers_aborted_total", "Failovers this sentinel aborted (-failover-abort-<reason>).", "master_name", "reason")
	m.durations = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "redis_sentinel_master_failover_duration_seconds",
		Help:    "Failovers this sentinel led, from +try-failover to +failover-end.",
		Buckets: []float64{0.25, 0.5, 1, 2, 5, 10, 20, 30, 60, 120, 300, 600},
	}, []string{"master_name"})
	m.phases = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "redis_sentinel_master_failover_phase_seconds",
		Help: "Time of each failover step from the step before it as this sentinel saw both: " +
			"odown (+sdown to +odown), elected (to +elected-leader), promoted (to +promoted-slave), switched (to +switch-master).",
		Buckets: []float64{0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60},
	}, []string{"master_name", "phase"})
	m.votes = counter("redis_sentinel_master_votes_total", "Votes this sentinel gave for a failover leader (+vote-for-leader).", "master_name")
	m.runs = prometheus.NewCounter(prometheus.CounterOpts{Name: "redis_sentinel_script_runs_total", Help: "Notification and reconfiguration script processes started (+script-child)."})
	m.failures = prometheus.NewCounter(prometheus.CounterOpts{Name: "redis_sentinel_script_errors_total", Help: "Scripts that failed for good or could not start (-script-error)."})
	m.timeouts = prometheus.NewCounter(prometheus.CounterOpts{Name: "redis_sentinel_script_timeouts_total", Help: "Scripts killed for running too long (-script-timeout)."})
	m.reg.MustRegister(m.events, m.sdowns, m.odowns, m.tilts, m.started, m.succeeded, m.aborted,
		m.durations, m.phases, m.votes, m.runs, m.failures, m.timeouts,
		viewCollector{m},
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// Handler serves the exposition format. Before each scrape it drops the series of masters
// the view no longer knows, so a removed master's series do not outlive it.
func (m *Metrics) Handler() http.Handler {
	h := promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{ErrorHandling: promhttp.ContinueOnError})
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		m.prune()
		h.ServeHTTP(w, r)
	})
}

func (m *Metrics) view() *monitor.View {
	if m.o.View == nil {
		return nil
	}
	return m.o.View()
}

func (m *Metrics) prune() {
	v := m.view()
	m.mu.Lock()
	defer m.mu.Unlock()
	for name := range m.masters {
		if v == nil || v.Master(name) == nil {
			m.forget(name)
		}
	}
}

// forget drops a master's state and series; m.mu is held.
func (m *Metrics) forget(name string) {
	delete(m.masters, name)
	l := prometheus.Labels{"master_name": name}
	for _, c := range []*prometheus.CounterVec{m.sdowns, m.odowns, m.started, m.succeeded, m.aborted, m.votes} {
		c.DeletePartialMatch(l)
	}
	m.durations.DeletePartialMatch(l)
	m.phases.DeletePartialMatch(l)
}

// Event counts one event. It runs on the driver goroutine for every event, so it only
// updates counters and a few timestamps under a lock no scrape holds for long.
func (m *Metrics) Event(e monitor.Event) {
	typ := e.Type
	if _, ok := eventTypes[typ]; !ok {
		typ = "other"
	}
	m.events.WithLabelValues(typ).Inc()
	switch e.Type {
	case "+tilt":
		m.tilts.Inc()
		return
	case "+script-child":
		m.runs.Inc()
		return
	case "-script-error":
		m.failures.Inc()
		return
	case "-script-timeout":
		m.timeouts.Inc()
		return
	}
	s := parseSubject(e)
	if s.Master == "" {
		return
	}
	now := m.o.Now()
	m.mu.Lock()
	defer m.mu.Unlock()
	if e.Type == "-monitor" {
		m.forget(s.Master)
		return
	}
	ms := m.masters[s.Master]
	if ms == nil {
		// Per-master series only for masters the view knows bound their number.
		if v := m.view(); v == nil || v.Master(s.Master) == nil {
			return
		}
		ms = &masterState{}
		m.masters[s.Master] = ms
	}
	name := s.Master
	phase := func(prev *time.Time, label string, at *time.Time) {
		if !prev.IsZero() {
			m.phases.WithLabelValues(name, label).Observe(now.Sub(*prev).Seconds())
			*at = now
		}
	}
	switch e.Type {
	case "+monitor", "+reset-master":
		*ms = masterState{lastSwitch: ms.lastSwitch, lastFailover: ms.lastFailover, failedOver: ms.failedOver}
	case "+sdown":
		m.sdowns.WithLabelValues(name, s.Role).Inc()
		if s.Role == "master" {
			ms.sdown, ms.odown, ms.elected, ms.promoted = now, time.Time{}, time.Time{}, time.Time{}
		}
	case "+odown":
		m.odowns.WithLabelValues(name).Inc()
		phase(&ms.sdown, "odown", &ms.odown)
	case "+try-failover":
		m.started.WithLabelValues(name).Inc()
		ms.tried = now
	case "+vote-for-leader":
		m.votes.WithLabelValues(name).Inc()
		ms.leaderEpoch = s.Epoch
	case "+elected-leader":
		phase(&ms.odown, "elected", &ms.elected)
	case "+promoted-slave":
		phase(&ms.elected, "promoted", &ms.promoted)
	case "+switch-master":
		ms.lastSwitch = now
		// A sentinel that did not lead sees the switch right after ODOWN (from a hello).
		if !ms.promoted.IsZero() {
			phase(&ms.promoted, "switched", new(time.Time))
		}
		ms.sdown, ms.odown, ms.elected, ms.promoted = time.Time{}, time.Time{}, time.Time{}, time.Time{}
	case "+failover-end":
		m.succeeded.WithLabelValues(name).Inc()
		if !ms.tried.IsZero() {
			d := now.Sub(ms.tried)
			m.durations.WithLabelValues(name).Observe(d.Seconds())
			ms.lastFailover, ms.failedOver, ms.tried = d, true, time.Time{}
		}
	default:
		if reason, ok := strings.CutPrefix(e.Type, "-failover-abort-"); ok {
			if _, known := abortReasons[reason]; !known {
				reason = "other"
			}
			m.aborted.WithLabelValues(name, reason).Inc()
			ms.tried, ms.elected, ms.promoted = time.Time{}, time.Time{}, time.Time{}
		}
	}
}

// abortReasons are the -failover-abort-<reason> events the core emits.
var abortReasons = map[string]struct{}{"not-elected": {}, "no-good-slave": {}, "slave-timeout": {}}

// eventTypes bounds the type label of redis_sentinel_events_total: the events the core, the
// driver and the script runner emit. Any other is counted as "other".
var eventTypes = func() map[string]struct{} {
	m := map[string]struct{}{}
	for _, t := range strings.Fields(`
		+monitor -monitor +set +reset-master +reboot +slave +sentinel +convert-to-slave
		+fix-slave-config +config-update-from +role-change -role-change +sentinel-address-switch +sentinel-address-update
		+sentinel-invalid-addr +sdown -sdown +odown -odown +tilt -tilt +new-epoch
		+try-failover +vote-for-leader +elected-leader +failover-state-select-slave
		+selected-slave +failover-state-send-slaveof-noone +failover-state-wait-promotion
		+promoted-slave +failover-state-reconf-slaves +slave-reconf-sent +slave-reconf-sent-be
		+slave-reconf-inprog +slave-reconf-done -slave-reconf-sent-timeout
		+failover-end-for-timeout +failover-end +switch-master
		-failover-abort-not-elected -failover-abort-no-good-slave -failover-abort-slave-timeout
		+empty-restart -empty-restart +minority -minority +no-min-replicas -no-min-replicas
		+script-child -script-child -script-error -script-timeout -slave-forgotten
		-sentinel-forgotten`) {
		m[t] = struct{}{}
	}
	return m
}()
