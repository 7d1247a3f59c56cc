package driver

import (
	"context"
	"net"
	"net/netip"
	"os"
	"sync"
	"time"

	"github.com/sentinel-go/sentinel/config"
	"github.com/sentinel-go/sentinel/monitor"
)

// hostTimeout bounds one DNS question: a name that does not answer by then stays
// unresolved until it is asked again (at the next connection to it).
const hostTimeout = 2 * time.Second

// maxLookups bounds the lookups running at once; more wait in the loop's queue, so a burst
// of names (a thousand masters by hostname at start) does not open a thousand sockets.
const maxLookups = 16

// lookups runs the core's Lookups off the loop, one goroutine each, at most maxLookups at a
// time, and hands their answers back to the loop. Only the loop calls start and done;
// the goroutines only send on results, which has room for every one of them.
type lookups struct {
	ctx      context.Context // Run's: cancelled at shutdown
	resolve  func(ctx context.Context, host string) (string, error)
	results  chan monitor.LookupResult
	queue    []monitor.Lookup
	inflight int
	wg       sync.WaitGroup
}

func newLookups(resolve func(ctx context.Context, host string) (string, error)) *lookups {
	return &lookups{resolve: resolve, results: make(chan monitor.LookupResult, maxLookups)}
}

// start runs l now, or queues it while maxLookups are running.
func (q *lookups) start(l monitor.Lookup) {
	if q.inflight >= maxLookups {
		q.queue = append(q.queue, l)
		return
	}
	q.inflight++
	q.wg.Add(1)
	go func() {
		defer q.wg.Done()
		q.results <- q.answer(l)
	}()
}

// done takes note of an answer the loop received and starts the next queued lookup.
func (q *lookups) done() {
	q.inflight--
	if len(q.queue) > 0 && q.ctx.Err() == nil {
		l := q.queue[0]
		q.queue = q.queue[1:]
		q.start(l)
	}
}

// stop waits for the running lookups, which Run's cancelled ctx ends.
func (q *lookups) stop() { q.wg.Wait() }

func (q *lookups) answer(l monitor.Lookup) monitor.LookupResult {
	r := monitor.LookupResult{Lookup: l}
	switch l.Kind {
	case monitor.LookupHost:
		ip, err := resolveHost(q.ctx, q.resolve, l.Name)
		if err != nil {
			r.Err = err.Error()
		} else {
			r.OK, r.IP = true, ip
		}
	case monitor.LookupExecutable:
		// SENTINEL SET's check of a script path (sentinelSetCommand: access(X_OK)).
		st, err := os.Stat(l.Name)
		switch {
		case err != nil:
			r.Err = err.Error()
		case !st.Mode().IsRegular() || st.Mode().Perm()&0o111 == 0:
			r.Err = "not an executable file"
		default:
			r.OK = true
		}
	}
	return r
}

// resolveHost asks resolve with the DNS timeout.
func resolveHost(ctx context.Context, resolve func(context.Context, string) (string, error), host string) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, hostTimeout)
	defer cancel()
	return resolve(ctx, host)
}

// lookupHost resolves with the system resolver, first address.
func lookupHost(ctx context.Context, host string) (string, error) {
	addrs, err := net.DefaultResolver.LookupHost(ctx, host)
	if err != nil {
		return "", err
	}
	return addrs[0], nil
}

// configuredHosts resolves the hostnames of a config's masters, known replicas and known
// sentinels before the core is built, together, each within the DNS timeout, so the core
// starts with them resolved (monitor.WithHosts) and its +monitor events show IPs, as
// redis-sentinel's do. Nothing else runs yet that a slow answer could hold up.
func configuredHosts(cfg *config.Config, resolve func(context.Context, string) (string, error)) map[string]string {
	names := map[string]bool{}
	add := func(host string) {
		if _, err := netip.ParseAddr(host); err != nil {
			names[host] = true
		}
	}
	for _, mc := range cfg.Masters {
		add(mc.Host)
		for _, r := range mc.KnownReplicas {
			add(r.Host)
		}
		for _, s := range mc.KnownSentinels {
			add(s.Addr.Host)
		}
	}
	var mu sync.Mutex
	var wg sync.WaitGroup
	ips := map[string]string{}
	sem := make(chan struct{}, maxLookups)
	for name := range names {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			if ip, err := resolveHost(context.Background(), resolve, name); err == nil {
				mu.Lock()
				ips[name] = ip
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	return ips
}
