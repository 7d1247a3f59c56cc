package partition

import (
	"context"
	"fmt"
	"math/rand"
	"net"
	"slices"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
)

// Dialer makes a socket; a Node's Dial makes it inside that node's namespace, so the
// writer's traffic is cut when the node is.
type Dialer func(ctx context.Context, network, addr string) (net.Conn, error)

// Writer is one client of the workload.
type Writer struct {
	Name string
	Dial Dialer
	// Pinned empty: a go-redis FailoverClient that asks the sentinels where the master is.
	// Otherwise a plain client that always writes to this address, as a client holding a
	// cached master address does.
	Pinned string
}

// WorkloadOptions configures StartWorkload.
type WorkloadOptions struct {
	MasterName string
	Sentinels  []string
	Writers    []Writer
	// Seed makes the values and the pacing replay.
	Seed int64
	// Interval is the mean pause between two writes of one writer; 10ms when zero.
	Interval time.Duration
	// Clock gives the offset on the scenario's shared timeline; time since StartWorkload
	// when nil.
	Clock func() time.Duration
	// Timeout bounds one write (dial, read and write timeouts alike); 500ms when zero.
	Timeout time.Duration
}

// Write is one attempted write. Every write sets its own key to its own value, so whether
// it survived is a lookup, not an inference.
type Write struct {
	Writer, Key, Value string
	// Node is the address of the connection that carried the SET: for a FailoverClient,
	// the address its one pooled connection was dialed to.
	Node       string
	Start, End time.Duration
	// Acked: the node answered OK. A timed-out or failed write is not acknowledged, even
	// if it may have been applied: the client was promised nothing.
	Acked bool
	Err   string
}

// Dial is a FailoverClient's connection to a data node: which address the sentinels
// handed it, and when. Scenario (a) with minority-refuses reads these to check that no
// client was sent to the isolated master after down-after.
type Dial struct {
	Writer, Addr string
	At           time.Duration
}

// History is what the workload did.
type History struct {
	Writes []Write // ordered by Start
	Dials  []Dial  // ordered by At
}

// Workload runs its writers until Stop.
type Workload struct {
	opts   WorkloadOptions
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu     sync.Mutex
	writes []Write
	dials  []Dial
}

// StartWorkload starts one goroutine per writer. Each writer writes keys
// "w:<writer>:<seq>", one at a time, with no retry: go-redis's MaxRetries would resend a
// write to whichever node it reaches next and hide which one acknowledged it.
func StartWorkload(opts WorkloadOptions) *Workload {
	if opts.Interval <= 0 {
		opts.Interval = 10 * time.Millisecond
	}
	if opts.Timeout <= 0 {
		opts.Timeout = 500 * time.Millisecond
	}
	if opts.Clock == nil {
		start := time.Now()
		opts.Clock = func() time.Duration { return time.Since(start) }
	}
	ctx, cancel := context.WithCancel(context.Background())
	w := &Workload{opts: opts, cancel: cancel}
	for i, wr := range opts.Writers {
		// Each writer has its own stream, so adding a writer does not change the others'.
		rng := rand.New(rand.NewSource(opts.Seed*1000003 + int64(i)))
		w.wg.Add(1)
		go func() {
			defer w.wg.Done()
			w.run(ctx, wr, rng)
		}()
	}
	return w
}

// Stop ends the writers, waits for their last write and returns the history.
func (w *Workload) Stop() History {
	w.cancel()
	w.wg.Wait()
	w.mu.Lock()
	defer w.mu.Unlock()
	h := History{Writes: slices.Clone(w.writes), Dials: slices.Clone(w.dials)}
	slices.SortStableFunc(h.Writes, func(a, b Write) int { return cmpDur(a.Start, b.Start) })
	slices.SortStableFunc(h.Dials, func(a, b Dial) int { return cmpDur(a.At, b.At) })
	return h
}

// Acked returns the number of writes acknowledged so far; a scenario waits on it to know
// the workload is under way.
func (w *Workload) Acked() int { return w.count(true) }

// Failed returns the number of writes not acknowledged so far: a test waits on it to know
// the writers have met a fault.
func (w *Workload) Failed() int { return w.count(false) }

func (w *Workload) count(acked bool) int {
	w.mu.Lock()
	defer w.mu.Unlock()
	n := 0
	for _, x := range w.writes {
		if x.Acked == acked {
			n++
		}
	}
	return n
}

// AckedBy returns the number of writes node has acknowledged at or after from.
func (w *Workload) AckedBy(node string, from time.Duration) int {
	w.mu.Lock()
	defer w.mu.Unlock()
	n := 0
	for _, x := range w.writes {
		if x.Acked && x.Node == node && x.End >= from {
			n++
		}
	}
	return n
}

func cmpDur(a, b time.Duration) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// run is one writer's loop.
func (w *Workload) run(ctx context.Context, wr Writer, rng *rand.Rand) {
	dial := wr.Dial
	if dial == nil {
		var d net.Dialer
		dial = d.DialContext
	}
	// node is the data node the client's connection goes to. It is set when a socket to a
	// data node writes, not when it is dialed: with PoolSize 1 the connection that last sent
	// bytes is the one the next reply comes from.
	var nodeMu sync.Mutex
	node := wr.Pinned
	sentinel := make(map[string]bool, len(w.opts.Sentinels))
	for _, s := range w.opts.Sentinels {
		sentinel[s] = true
	}
	wrapped := func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := dial(ctx, network, addr)
		if err != nil || sentinel[addr] {
			return c, err
		}
		w.mu.Lock()
		w.dials = append(w.dials, Dial{Writer: wr.Name, Addr: addr, At: w.opts.Clock()})
		w.mu.Unlock()
		return &trackedConn{Conn: c, onWrite: func() {
			nodeMu.Lock()
			node = addr
			nodeMu.Unlock()
		}}, nil
	}
	t := w.opts.Timeout
	var rdb *redis.Client
	if wr.Pinned == "" {
		rdb = redis.NewFailoverClient(&redis.FailoverOptions{
			MasterName:    w.opts.MasterName,
			SentinelAddrs: w.opts.Sentinels,
			Dialer:        wrapped,
			PoolSize:      1,
			MaxRetries:    -1, // go-redis reads 0 as "the default, 3"
			DialTimeout:   t,
			ReadTimeout:   t,
			WriteTimeout:  t,
			PoolTimeout:   t,
			// One dial per attempt: a dial retried inside go-redis would be a retry the
			// history cannot see.
			DialerRetries:         1,
			ContextTimeoutEnabled: true,
		})
	} else {
		rdb = redis.NewClient(&redis.Options{
			Addr:                  wr.Pinned,
			Dialer:                wrapped,
			PoolSize:              1,
			MaxRetries:            -1,
			DialTimeout:           t,
			ReadTimeout:           t,
			WriteTimeout:          t,
			PoolTimeout:           t,
			DialerRetries:         1,
			ContextTimeoutEnabled: true,
		})
	}
	defer rdb.Close()
	salt := rng.Int63()
	for seq := 0; ; seq++ {
		if ctx.Err() != nil {
			return
		}
		key := fmt.Sprintf("w:%s:%d", wr.Name, seq)
		value := fmt.Sprintf("%s:%d:%x", wr.Name, seq, salt+int64(seq))
		start := w.opts.Clock()
		// The write's own deadline, not ctx: Stop must not turn the last write into an
		// error that the node may have acknowledged.
		wctx, cancel := context.WithTimeout(context.Background(), 2*t)
		err := rdb.Set(wctx, key, value, 0).Err()
		cancel()
		end := w.opts.Clock()
		nodeMu.Lock()
		n := node
		nodeMu.Unlock()
		rec := Write{Writer: wr.Name, Key: key, Value: value, Node: n, Start: start, End: end, Acked: err == nil}
		if err != nil {
			rec.Err = err.Error()
		}
		w.mu.Lock()
		w.writes = append(w.writes, rec)
		w.mu.Unlock()
		// Uniform in [Interval/2, 3*Interval/2): writers drift apart instead of marching
		// in step, and the same seed replays the same pauses.
		pause := w.opts.Interval/2 + time.Duration(rng.Int63n(int64(w.opts.Interval)))
		if err != nil && pause < 50*time.Millisecond {
			// A node that refuses at once (READONLY, connection refused) would otherwise
			// spin the loop and fill the history with failures.
			pause = 50 * time.Millisecond
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(pause):
		}
	}
}

// trackedConn reports each write, so the workload knows which node a reply comes from.
type trackedConn struct {
	net.Conn
	onWrite func()
}

func (c *trackedConn) Write(b []byte) (int, error) {
	c.onWrite()
	return c.Conn.Write(b)
}

// NetConn hands go-redis the socket underneath, so its pool still checks an idle
// connection for a close before reusing it, as it does for a connection it dialed itself.
func (c *trackedConn) NetConn() net.Conn { return c.Conn }
