package driver

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync/atomic"
	"time"

	"github.com/sentinel-go/sentinel/config"
	"github.com/sentinel-go/sentinel/internal/resp"
	"github.com/sentinel-go/sentinel/monitor"
	"github.com/sentinel-go/sentinel/query"
)

// Scripts queues and runs user scripts, and reports on them for SENTINEL PENDING-SCRIPTS and
// INFO. Its methods must not block.
type Scripts interface {
	Queue(path string, args ...string)
	WritePending(w *resp.Writer)
	Stats() (running, queued int)
	SetTiming(maxRuntime, retryDelay time.Duration)
}

type noScripts struct{}

func (noScripts) Queue(string, ...string)                {}
func (noScripts) WritePending(w *resp.Writer)            { w.Array(0) }
func (noScripts) Stats() (int, int)                      { return 0, 0 }
func (noScripts) SetTiming(time.Duration, time.Duration) {}

// Transport carries out link changes and sends for the driver; transport implements it
// with go-redis, tests with an in-memory network. Its methods must not block: the driver
// is the only goroutine that touches the core.
type Transport interface {
	Open(spec monitor.LinkSpec)
	Close(addr string)
	Reconnect(addr string, kind monitor.LinkKind)
	Send(s monitor.Send)
}

// Store saves the state the core hands out (Ready.State): the daemon's store rewrites the
// config file, tests keep it in memory. The driver calls it before anything else of the
// same Ready leaves, so what a peer or client is told is already on disk (redis-sentinel
// flushes its config the same way before it replies).
type Store interface {
	Save(*config.Config) error
}

// ErrSave wraps a failed save: New's (a generated myid that cannot be kept) and Run's last
// one at shutdown.
var ErrSave = errors.New("driver: saving the config failed")

// Options configures a Driver.
type Options struct {
	Config    *config.Config
	Store     Store
	Transport Transport
	// Events receives every event and log line, in order, after the state they report was
	// saved. It runs on the driver goroutine, so it must be quick (log, publish).
	Events func(monitor.Event)
	Logs   func(monitor.LogLine)
	// Scripts runs the notification and client-reconfig scripts the core asks for, after
	// the events of the same step (script implements it); default: none run.
	Scripts Scripts
	Now     func() time.Time // default time.Now
	// Resolve turns a hostname into an IP for display and comparison when
	// resolve-hostnames is on; default: DNS, first address. It runs off the loop (the
	// core's Lookups), within a 2 s timeout, and must return when ctx ends.
	Resolve func(ctx context.Context, host string) (string, error)
	Rand    *rand.Rand // default seeded from the runtime
}

// Driver runs a Core: one goroutine feeds it ticks, observations and requests, saves, then
// sends, then publishes, and keeps a View for queries.
type Driver struct {
	core  *monitor.Core
	opts  Options
	obs   chan monitor.Observation
	reqs  chan request
	hello chan string
	view  atomic.Pointer[monitor.View]
	done  chan struct{}
	// lastTick is when the loop last ticked (Unix nanoseconds): the liveness signal of
	// /healthz. The view cannot serve: a quiet loop does not republish it every tick.
	lastTick atomic.Int64
	// state is the last State handed to the store; a Ready that still holds it (the
	// first one, persisted by New) is not saved twice.
	state   *config.Config
	lookups *lookups

	nextID atomic.Uint64
	// waiting holds the requests the core has not answered yet; only the loop touches it.
	waiting map[monitor.RequestID]chan<- monitor.Value
}

type request struct {
	id    monitor.RequestID
	args  []string
	reply chan<- monitor.Value // buffered: the loop never waits for the client
}

// New builds the core (saving a generated myid at once) and its first view.
func New(o Options) (*Driver, error) {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Rand == nil {
		o.Rand = rand.New(rand.NewPCG(rand.Uint64(), rand.Uint64()))
	}
	if o.Events == nil {
		o.Events = func(monitor.Event) {}
	}
	if o.Logs == nil {
		o.Logs = func(monitor.LogLine) {}
	}
	if o.Scripts == nil {
		o.Scripts = noScripts{}
	}
	if o.Resolve == nil {
		o.Resolve = lookupHost
	}
	core, err := monitor.New(o.Config, o.Rand, o.Now(), monitor.WithHosts(configuredHosts(o.Config, o.Resolve)))
	if err != nil {
		return nil, err
	}
	d := &Driver{
		core: core, opts: o,
		obs:   make(chan monitor.Observation, 4096),
		reqs:  make(chan request, maxStepRequests),
		hello: make(chan string, 256),
		done:  make(chan struct{}),

		waiting: map[monitor.RequestID]chan<- monitor.Value{},
		lookups: newLookups(o.Resolve),
	}
	// A generated myid is saved before the sentinel does anything, as redis-sentinel
	// does, and a sentinel that cannot keep it does not start.
	if st := core.Ready().State; st != nil {
		if err := d.persist(st); err != nil {
			return nil, err
		}
	}
	d.view.Store(core.View())
	d.lastTick.Store(o.Now().UnixNano())
	return d, nil
}

// persist saves a State the core handed out.
func (d *Driver) persist(st *config.Config) error {
	d.state = st
	if err := d.opts.Store.Save(st); err != nil {
		return fmt.Errorf("%w: %v", ErrSave, err)
	}
	return nil
}

// MyID is the sentinel's run ID.
func (d *Driver) MyID() string { return d.core.MyID() }

// Observe hands an observation from the transport to the loop. It blocks when the loop is
// far behind, which slows the link goroutines down rather than losing what they saw.
func (d *Driver) Observe(o monitor.Observation) {
	select {
	case d.obs <- o:
	case <-d.done:
	}
}

// View returns the latest view.
func (d *Driver) View() *monitor.View { return d.view.Load() }

// LastTick is when the loop last ticked (New counts as one): safe from any goroutine, for
// liveness checks. The loop ticks 10 to 19 times a second while it runs.
func (d *Driver) LastTick() time.Time { return time.Unix(0, d.lastTick.Load()) }

// ErrSimulatedCrash is returned by Run when SENTINEL SIMULATE-FAILURE made the sentinel
// crash: the daemon exits with code 99, as redis-sentinel does.
var ErrSimulatedCrash = errors.New("driver: simulated crash")

// Run drives the core until ctx ends, then saves the state one last time.
func (d *Driver) Run(ctx context.Context) error {
	defer close(d.done)
	lctx, cancelLookups := context.WithCancel(ctx)
	d.lookups.ctx = lctx
	defer func() {
		cancelLookups()
		d.lookups.stop()
	}()
	d.flush()
	interval := d.tickInterval()
	nextTick := d.opts.Now().Add(interval)
	timer := time.NewTimer(interval)
	defer timer.Stop()
	lastView := d.opts.Now()
	for {
		viewDue := false
		select {
		case <-ctx.Done():
			d.flush()
			return d.persist(d.core.Config())
		case o := <-d.obs:
			now := d.opts.Now()
			d.core.Observe(now, o)
			// Take whatever else is queued in the same step: under load this turns
			// thousands of replies into one save and one view.
			for i := 0; i < 1024; i++ {
				select {
				case o := <-d.obs:
					d.core.Observe(now, o)
					continue
				default:
				}
				break
			}
		case p := <-d.hello:
			d.core.Hello(d.opts.Now(), p)
		case r := <-d.lookups.results:
			d.lookups.done()
			d.core.Observe(d.opts.Now(), r)
		case r := <-d.reqs:
			now := d.opts.Now()
			d.waiting[r.id] = r.reply
			d.core.Request(now, r.id, r.args)
			// Take the requests queued behind it into the same step, so that they share
			// one save: a peer failing many masters over at once pipelines a vote request
			// per master, and a save (an fsync) per vote would hold the last ones back
			// long enough for this sentinel's own candidacy to overtake them (see
			// Endpoint.Submit).
			for i := 1; i < maxStepRequests; i++ {
				select {
				case r := <-d.reqs:
					d.waiting[r.id] = r.reply
					d.core.Request(now, r.id, r.args)
					continue
				default:
				}
				break
			}
			// SENTINEL DEBUG may have changed the scripts' limits.
			t := d.core.Timing()
			d.opts.Scripts.SetTiming(t.ScriptMaxRuntime, t.ScriptRetryDelay)
			if d.flush() {
				return ErrSimulatedCrash
			}
			continue
		case <-timer.C:
			// What arrived before the tick is applied before it: after a stall, a tick
			// that saw only old replies would judge live links dead and recycle them all.
			for i, drained := 0, false; !drained && i < cap(d.obs); i++ {
				select {
				case o := <-d.obs:
					d.core.Observe(d.opts.Now(), o)
				default:
					drained = true
				}
			}
			now := d.opts.Now()
			d.core.Tick(now)
			d.lastTick.Store(now.UnixNano())
			interval := d.tickInterval()
			nextTick = d.opts.Now().Add(interval)
			timer.Reset(interval)
			viewDue = true
		}
		if d.flush() {
			// Like redis-sentinel's exit(99): no final save beyond what the step saved.
			return ErrSimulatedCrash
		}
		if w := d.core.WakeAt(); !w.IsZero() && w.Before(nextTick) {
			nextTick = w
			timer.Reset(max(0, w.Sub(d.opts.Now())))
		}
		if viewDue {
			now := d.opts.Now()
			if d.core.Changed() || (d.core.TimersChanged() && now.Sub(lastView) >= time.Second) {
				d.view.Store(d.core.View())
				lastView = now
			}
		}
	}
}

// tickInterval mirrors redis-sentinel's randomized hz (10 to 19 ticks a second), which keeps
// sentinels started together from acting in lockstep.
func (d *Driver) tickInterval() time.Duration {
	return time.Second / time.Duration(10+d.opts.Rand.IntN(10))
}

// flush carries out the steps' Ready in its order: the State saved first, then links,
// sends, the view, then events and scripts, then the answers, then the lookups started;
// then it acknowledges it. It reports whether the step ended in a simulated crash, which
// it logs after the event it crashed on, as redis-sentinel does. A failed save is logged by
// the store and turns the durable answers into Redis's error; the rest still goes out, as
// in redis-sentinel, whose state stays in memory.
func (d *Driver) flush() bool {
	rd := d.core.Ready()
	defer d.core.Advance()
	var saveErr error
	if rd.State != nil && rd.State != d.state {
		saveErr = d.persist(rd.State)
	}
	t := d.opts.Transport
	for _, lc := range rd.Links {
		switch lc.Op {
		case monitor.LinkOpen:
			t.Open(lc.Spec)
		case monitor.LinkClose:
			t.Close(lc.Spec.Addr)
		case monitor.LinkReconnect:
			t.Reconnect(lc.Spec.Addr, lc.Kind)
		}
	}
	for _, s := range rd.Sends {
		t.Send(s)
	}
	for _, l := range rd.Logs {
		d.opts.Logs(l)
	}
	// The view goes out before the events: a client that hears +switch-master and asks
	// GET-MASTER-ADDR-BY-NAME must get the new address, as from redis-sentinel, which
	// changes the address and publishes in one turn of its event loop. Likewise before the
	// answers: a client told OK for SENTINEL MONITOR lists the master in MASTERS.
	if (len(rd.Events) > 0 || len(rd.Responses) > 0) && d.core.Changed() {
		d.view.Store(d.core.View())
	}
	for _, e := range rd.Events {
		d.opts.Events(e)
	}
	for _, s := range rd.Scripts {
		d.opts.Scripts.Queue(s.Path, s.Args...)
	}
	if rd.Crash {
		d.opts.Logs(monitor.LogLine{Level: monitor.Warning, Text: "Sentinel CRASH because of SENTINEL simulate-failure"})
	}
	// The answers go last, after the events of their step, as redis-sentinel's reply
	// reaches the client after the events the command emitted.
	for _, r := range rd.Responses {
		if c, ok := d.waiting[r.ID]; ok {
			delete(d.waiting, r.ID)
			c <- r.Reply(saveErr)
		}
	}
	if !rd.Crash { // a crashed sentinel asks nothing more; Run returns
		for _, l := range rd.Lookups {
			d.lookups.start(l)
		}
	}
	return rd.Crash
}

// maxStepRequests bounds the requests one step of the loop takes (and those queued for it).
const maxStepRequests = 256

// Do runs a state-changing SENTINEL subcommand on the loop, waits for its answer, which
// comes only after what it changed was saved, and appends it to w.
func (d *Driver) Do(w *resp.Writer, args []string) { d.Submit(args)(w) }

// Submit hands a state-changing SENTINEL subcommand to the loop and returns at once; the
// function it returns waits for the answer (which comes only after what it changed was
// saved) and appends it to w. Requests run in the order they were submitted, so a client
// that submits several before waiting for the first gets them run as if one by one, but
// the loop may take them in one step with one save.
func (d *Driver) Submit(args []string) (wait func(w *resp.Writer)) {
	reply := make(chan monitor.Value, 1)
	r := request{id: monitor.RequestID(d.nextID.Add(1)), args: args, reply: reply}
	select {
	case d.reqs <- r:
	case <-d.done:
		return shuttingDown
	}
	return func(w *resp.Writer) {
		select {
		case v := <-reply:
			query.WriteValue(w, v)
			return
		case <-d.done:
		}
		// Run returned; it may have answered just before.
		select {
		case v := <-reply:
			query.WriteValue(w, v)
		default:
			shuttingDown(w)
		}
	}
}

func shuttingDown(w *resp.Writer) { w.Error("ERR sentinel is shutting down") }

// Endpoint adapts a Driver to the RESP endpoint (endpoint's Sentinel interface).
type Endpoint struct{ d *Driver }

// Endpoint is d as the RESP endpoint sees it.
func (d *Driver) Endpoint() Endpoint { return Endpoint{d: d} }

// Command runs SENTINEL args...: reads from the view, changes through the loop (Submit).
func (e Endpoint) Command(w *resp.Writer, args [][]byte) (wait func(*resp.Writer)) {
	sub, read, ok := query.Check(w, args)
	if !ok {
		return nil
	}
	switch {
	case sub == "pending-scripts":
		e.d.opts.Scripts.WritePending(w)
	case read:
		query.Answer(e.d.View(), e.d.opts.Now(), w, sub, args)
	default:
		strs := make([]string, len(args))
		for i, a := range args {
			strs[i] = string(a)
		}
		return e.d.Submit(strs)
	}
	return nil
}

// Waits reports whether Command hands SENTINEL args... to the loop.
func (e Endpoint) Waits(args [][]byte) bool {
	var discard resp.Writer
	sub, read, ok := query.Check(&discard, args)
	return ok && !read && sub != "pending-scripts"
}

// Hello queues a hello a peer PUBLISHed to us; the reply never waits for it.
func (e Endpoint) Hello(payload []byte) {
	select {
	case e.d.hello <- string(payload):
	default: // a flood of hellos: the next one in two seconds carries the same news
	}
}

// AppendInfo appends INFO's sentinel section.
func (e Endpoint) AppendInfo(b []byte) []byte {
	running, queued := e.d.opts.Scripts.Stats()
	return query.AppendInfo(e.d.View(), e.d.opts.Now(), query.ScriptStats{Running: running, Queued: queued}, b)
}

// MasterNames lists the masters for ROLE.
func (e Endpoint) MasterNames() []string {
	v := e.d.View()
	names := make([]string, len(v.Masters))
	for i, mv := range v.Masters {
		names[i] = mv.Name
	}
	return names
}
