package health

import (
	"encoding/json"
	"net"
	"net/http"
	"strconv"
	"time"

	"github.com/sentinel-go/sentinel/monitor"
	"github.com/sentinel-go/sentinel/query"
)

// DefaultStallAfter is how old the loop's last tick may be before /healthz fails. The loop
// ticks 10 to 19 times a second and enters TILT after a 2 s gap; a gap more than twice that
// long is no longer a slow step but a loop that does not run.
const DefaultStallAfter = 5 * time.Second

// Options says where the checks read from.
type Options struct {
	View     func() *monitor.View // the driver's published view
	LastTick func() time.Time     // when the loop last ticked
	Now      func() time.Time     // default time.Now
	// StallAfter overrides DefaultStallAfter.
	StallAfter time.Duration
}

// Checker serves the two checks.
type Checker struct{ o Options }

// New returns a Checker reading from o.
func New(o Options) *Checker {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.StallAfter == 0 {
		o.StallAfter = DefaultStallAfter
	}
	return &Checker{o: o}
}

// Liveness is /healthz's body.
type Liveness struct {
	Status string `json:"status"` // "ok" or "stalled"
	Loop   struct {
		LastTick     time.Time `json:"last_tick"`
		AgeMS        int64     `json:"age_ms"`
		StallAfterMS int64     `json:"stall_after_ms"`
	} `json:"loop"`
}

// Liveness reports whether the loop ticked within StallAfter.
func (c *Checker) Liveness() (Liveness, bool) {
	var l Liveness
	last := c.o.LastTick()
	age := c.o.Now().Sub(last)
	l.Loop.LastTick, l.Loop.AgeMS, l.Loop.StallAfterMS = last.UTC(), age.Milliseconds(), c.o.StallAfter.Milliseconds()
	ok := age <= c.o.StallAfter
	l.Status = "ok"
	if !ok {
		l.Status = "stalled"
	}
	return l, ok
}

// Readiness is /readyz's body.
type Readiness struct {
	Status  string        `json:"status"` // "ready" or "not ready"
	Tilt    bool          `json:"tilt"`
	Masters []MasterReady `json:"masters"`
}

// MasterReady is one master's part of /readyz: CKQUORUM's verdict and what it counted.
type MasterReady struct {
	Name           string `json:"name"`
	Address        string `json:"address"`
	Status         string `json:"status"` // as redis_exporter's master_status: ok, sdown, odown
	Quorum         int    `json:"quorum"`
	KnownSentinels int    `json:"known_sentinels"` // with ourselves
	// Voters is what the majority is of: the known sentinels, or with forget-after the
	// most heard alive together if more (monitor.MasterView.Voters).
	Voters          int    `json:"voters"`
	UsableSentinels int    `json:"usable_sentinels"`
	Ready           bool   `json:"ready"`
	CKQuorum        string `json:"ckquorum"`
}

// Readiness reports whether every master's CKQUORUM is OK outside TILT.
func (c *Checker) Readiness() (Readiness, bool) {
	v := c.o.View()
	r := Readiness{Tilt: v.Tilt, Masters: make([]MasterReady, 0, len(v.Masters))}
	ok := !v.Tilt
	for _, mv := range v.Masters {
		q := query.CKQuorum(mv)
		status := "ok"
		switch {
		case mv.Flags.ODown():
			status = "odown"
		case mv.Flags.SDown():
			status = "sdown"
		}
		r.Masters = append(r.Masters, MasterReady{
			Name: mv.Name, Address: net.JoinHostPort(mv.CurrentIP, strconv.Itoa(mv.CurrentPort)),
			Status: status, Quorum: mv.Config.Quorum, KnownSentinels: len(mv.Sentinels) + 1,
			Voters: mv.Voters(), UsableSentinels: q.Usable, Ready: q.OK, CKQuorum: q.Message,
		})
		ok = ok && q.OK
	}
	r.Status = "ready"
	if !ok {
		r.Status = "not ready"
	}
	return r, ok
}

// Healthz serves Liveness.
func (c *Checker) Healthz() http.Handler {
	return serve(func() (any, bool) { return c.Liveness() })
}

// Readyz serves Readiness.
func (c *Checker) Readyz() http.Handler {
	return serve(func() (any, bool) { return c.Readiness() })
}

func serve(check func() (any, bool)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		body, ok := check()
		b, err := json.MarshalIndent(body, "", "  ")
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError) // not reached: plain structs
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "no-store")
		code := http.StatusOK
		if !ok {
			code = http.StatusServiceUnavailable
		}
		w.WriteHeader(code)
		if r.Method == http.MethodGet {
			_, _ = w.Write(append(b, '\n'))
		}
	})
}
