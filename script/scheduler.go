package script

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/sentinel-go/sentinel/internal/resp"
)

// redis-sentinel 7.0's limits (SENTINEL_SCRIPT_*).
const (
	MaxQueue   = 256
	MaxRunning = 16
	MaxRetry   = 10
	// MaxArgs bounds a job's arguments after the path: Redis copies at most
	// SENTINEL_SCRIPT_MAX_ARGS-1 of them and silently ignores the rest.
	MaxArgs = 15

	DefaultMaxRuntime = 60 * time.Second
	DefaultRetryDelay = 30 * time.Second
	// DefaultTick is Run's period: the slowest of Redis's timer ticks (hz 10).
	DefaultTick = 100 * time.Millisecond
)

// Level is an event's importance. Debug events are only logged (at loglevel debug); Warning
// events are logged and published, as redis-sentinel does.
type Level int

const (
	Debug   Level = iota // "+script-child", "-script-child"
	Warning              // "-script-error", "-script-timeout"
)

// Event is one of Redis's script events. It concerns no instance, so its message has no
// instance prefix and it never queues a notification script.
type Event struct {
	Level   Level
	Type    string
	Message string
}

func (e Event) String() string { return e.Type + " " + e.Message }

// Options configures a Scheduler. Zero fields take the defaults.
type Options struct {
	// Now is the clock for Run and WritePending; default time.Now.
	Now func() time.Time
	// Start starts a process; default Exec. An error wrapping ErrFork is a fork failure,
	// any other error a failed exec (see ErrFork).
	Start func(argv []string) (Process, error)
	// Event receives the script events in order, on the goroutine running Step. It must
	// not call Step or Close.
	Event func(Event)
	// MaxRuntime: a job running longer is killed (SENTINEL DEBUG script-max-runtime).
	MaxRuntime time.Duration
	// RetryDelay: the wait before the second attempt, doubling for each further one
	// (SENTINEL DEBUG script-retry-delay).
	RetryDelay time.Duration
	// Tick is Run's period; default DefaultTick.
	Tick time.Duration
}

// Scheduler queues script jobs and runs them; see the package comment.
type Scheduler struct {
	opts Options

	// stepMu serializes rounds, so events leave in the order they happened, and lets Close
	// wait for a round in progress.
	stepMu sync.Mutex

	mu         sync.Mutex
	jobs       []*job // arrival order: the first is the oldest
	running    int
	maxRuntime time.Duration
	retryDelay time.Duration
	events     []Event
	closed     bool
	stop       chan struct{}
	runs       sync.WaitGroup
}

type job struct {
	argv    []string
	running bool
	proc    Process // nil while scheduled, and while being started
	pid     int
	// start is when the current attempt started (running) or when the next may start
	// (scheduled); zero for a job never attempted, which is due at once.
	start time.Time
	retry int // attempts so far, Redis's retry_num
}

// New returns a Scheduler; nothing runs until Step or Run.
func New(o Options) *Scheduler {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Start == nil {
		o.Start = Exec
	}
	if o.Event == nil {
		o.Event = func(Event) {}
	}
	if o.MaxRuntime <= 0 {
		o.MaxRuntime = DefaultMaxRuntime
	}
	if o.RetryDelay <= 0 {
		o.RetryDelay = DefaultRetryDelay
	}
	if o.Tick <= 0 {
		o.Tick = DefaultTick
	}
	return &Scheduler{
		opts:       o,
		maxRuntime: o.MaxRuntime,
		retryDelay: o.RetryDelay,
		stop:       make(chan struct{}),
	}
}

// SetTiming changes the max runtime and retry delay, as SENTINEL DEBUG does; zero leaves a
// value unchanged. Like Redis, the new values apply from the next check: a retry already
// scheduled keeps its time.
func (s *Scheduler) SetTiming(maxRuntime, retryDelay time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if maxRuntime > 0 {
		s.maxRuntime = maxRuntime
	}
	if retryDelay > 0 {
		s.retryDelay = retryDelay
	}
}

// Queue schedules a run of path with args. It never waits for process work; after Close it
// does nothing.
func (s *Scheduler) Queue(path string, args ...string) {
	if len(args) > MaxArgs {
		args = args[:MaxArgs]
	}
	argv := make([]string, 0, 1+len(args))
	argv = append(argv, path)
	argv = append(argv, args...)

	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return
	}
	s.jobs = append(s.jobs, &job{argv: argv})
	if len(s.jobs) <= MaxQueue {
		return
	}
	// Redis drops the oldest job not running; since MaxRunning < MaxQueue one always exists.
	if i := slices.IndexFunc(s.jobs, func(j *job) bool { return !j.running }); i >= 0 {
		s.jobs = slices.Delete(s.jobs, i, i+1)
	}
}

// Stats reports what INFO shows as sentinel_running_scripts and
// sentinel_scripts_queue_length (the queue counts running jobs too).
func (s *Scheduler) Stats() (running, queued int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.running, len(s.jobs)
}

// Step does one round of Redis's sentinel timer for scripts: start due jobs, collect
// terminated ones, kill timed-out ones; then delivers the round's events.
func (s *Scheduler) Step(now time.Time) {
	s.stepMu.Lock()
	defer s.stepMu.Unlock()
	s.runPending(now)

	s.mu.Lock()
	if !s.closed {
		s.collect(now)
		s.killTimedOut(now)
	}
	evs := s.events
	s.events = nil
	s.mu.Unlock()

	for _, e := range evs {
		s.opts.Event(e)
	}
}

// runPending is sentinelRunPendingScripts: oldest first, up to MaxRunning at once. Jobs
// are claimed under the lock and started outside it, so Queue never waits for a fork.
func (s *Scheduler) runPending(now time.Time) {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return
	}
	var claimed []*job
	for _, j := range s.jobs {
		if s.running >= MaxRunning {
			break
		}
		if j.running || (!j.start.IsZero() && j.start.After(now)) {
			continue
		}
		j.running = true
		j.start = now
		j.retry++
		s.running++
		claimed = append(claimed, j)
	}
	s.mu.Unlock()
	if len(claimed) == 0 {
		return
	}

	type started struct {
		p   Process
		err error
	}
	res := make([]started, len(claimed))
	for i, j := range claimed {
		res[i].p, res[i].err = s.opts.Start(j.argv)
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	for i, j := range claimed {
		p, err := res[i].p, res[i].err
		switch {
		case err == nil:
			j.proc, j.pid = p, p.Pid()
			s.emit(Debug, "+script-child", strconv.Itoa(j.pid))
		case errors.Is(err, ErrFork):
			// Redis reports a fork failure as signal 99 and leaves the job scheduled with
			// its start time now, so the next round tries again.
			s.emit(Warning, "-script-error", j.argv[0]+" 99 0")
			j.running = false
			s.running--
		default:
			// In Redis execve fails in the child, which exits 2: final, reported as
			// "<path> 0 2". We have no child to reap, so we report it in this round.
			s.emit(Warning, "-script-error", j.argv[0]+" 0 2")
			s.running--
			s.remove(j)
		}
	}
}

// collect is sentinelCollectTerminatedScripts.
func (s *Scheduler) collect(now time.Time) {
	for _, j := range slices.Clone(s.jobs) {
		if j.proc == nil {
			continue
		}
		var e Exit
		select {
		case e = <-j.proc.Done():
		default:
			continue
		}
		s.emit(Debug, "-script-child", strconv.Itoa(j.pid)+" "+strconv.Itoa(e.Code)+" "+strconv.Itoa(e.Signal))
		s.running--
		// Exit 1 means "please retry", and so does a signal (our own timeout kill among
		// them). Redis tests retry_num != MAX; ">=" also gives up on a job whose count
		// fork failures pushed past the limit, where Redis would retry it forever.
		if (e.Signal != 0 || e.Code == 1) && j.retry < MaxRetry {
			j.running, j.proc, j.pid = false, nil, 0
			j.start = now.Add(s.retryDelayFor(j.retry))
			continue
		}
		if e.Signal != 0 || e.Code != 0 {
			s.emit(Warning, "-script-error", j.argv[0]+" "+strconv.Itoa(e.Signal)+" "+strconv.Itoa(e.Code))
		}
		s.remove(j)
	}
}

// retryDelayFor is sentinelScriptRetryDelay: the delay after attempt n is
// RetryDelay × 2^(n−1).
func (s *Scheduler) retryDelayFor(n int) time.Duration {
	d := s.retryDelay
	for ; n > 1; n-- {
		d *= 2
	}
	return d
}

// killTimedOut is sentinelKillTimedoutScripts. Like Redis it kills and reports again in
// each round until the exit is collected; SIGKILL makes that one round in practice.
func (s *Scheduler) killTimedOut(now time.Time) {
	for _, j := range s.jobs {
		if j.proc == nil || now.Sub(j.start) <= s.maxRuntime {
			continue
		}
		s.emit(Warning, "-script-timeout", j.argv[0]+" "+strconv.Itoa(j.pid))
		_ = j.proc.Kill() // nothing to do if it fails: the next round tries again
	}
}

func (s *Scheduler) emit(l Level, typ, msg string) {
	s.events = append(s.events, Event{Level: l, Type: typ, Message: msg})
}

func (s *Scheduler) remove(j *job) {
	if i := slices.Index(s.jobs, j); i >= 0 {
		s.jobs = slices.Delete(s.jobs, i, i+1)
	}
}

// WritePending writes the SENTINEL PENDING-SCRIPTS reply: per job, in queue order, a map
// of argv, flags, pid, run-time or run-delay (ms) and retry-num. As in Redis the numbers are
// bulk strings, and the outer reply is an array in both protocols.
func (s *Scheduler) WritePending(w *resp.Writer) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.opts.Now()
	w.Array(len(s.jobs))
	for _, j := range s.jobs {
		w.Map(5)
		w.BulkString("argv")
		w.Strings(j.argv)
		w.BulkString("flags")
		if j.running {
			w.BulkString("running")
		} else {
			w.BulkString("scheduled")
		}
		w.BulkString("pid")
		w.BulkInt(int64(j.pid))
		if j.running {
			w.BulkString("run-time")
			w.BulkInt(now.Sub(j.start).Milliseconds())
		} else {
			var delay time.Duration
			if !j.start.IsZero() {
				delay = max(j.start.Sub(now), 0)
			}
			w.BulkString("run-delay")
			w.BulkInt(delay.Milliseconds())
		}
		w.BulkString("retry-num")
		w.BulkInt(int64(j.retry))
	}
}

// Run calls Step every Tick until ctx is done or Close is called. Run after Close returns
// at once.
func (s *Scheduler) Run(ctx context.Context) {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return
	}
	s.runs.Add(1)
	s.mu.Unlock()
	defer s.runs.Done()

	t := time.NewTicker(s.opts.Tick)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-s.stop:
			return
		case <-t.C:
			s.Step(s.opts.Now())
		}
	}
}

// Close is Shutdown without grace: running scripts are killed at once.
func (s *Scheduler) Close() {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	s.Shutdown(ctx)
}

// Shutdown stops Run and drops the jobs not running, gives running scripts until ctx is done
// to finish, then kills the rest and waits for them, so no process or goroutine of ours
// survives it. Redis leaves its script children running when it exits; we bound their life
// by ours so that a stopped sentinel leaves nothing behind, at the cost of cutting short a
// script still running when the grace ends. Shutdown emits no events. Calling it again does
// nothing.
func (s *Scheduler) Shutdown(ctx context.Context) {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return
	}
	s.closed = true
	close(s.stop)
	s.mu.Unlock()
	s.runs.Wait()

	// A round in progress may still be starting processes; let it finish so we see them.
	s.stepMu.Lock()
	defer s.stepMu.Unlock()
	s.mu.Lock()
	jobs := s.jobs
	s.jobs, s.running, s.events = nil, 0, nil
	s.mu.Unlock()

	var procs []Process
	for _, j := range jobs {
		if j.proc != nil {
			procs = append(procs, j.proc)
		}
	}
	for i, p := range procs {
		select {
		case <-p.Done():
			continue
		case <-ctx.Done():
		}
		for _, q := range procs[i:] {
			_ = q.Kill()
		}
		for _, q := range procs[i:] {
			<-q.Done()
		}
		return
	}
}
