package main

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/redis/go-redis/v9"

	"github.com/sentinel-go/sentinel/daemon"
	"github.com/sentinel-go/sentinel/e2e/redistest"
	"github.com/sentinel-go/sentinel/internal/tlstest"
)

// demoKey is the key the demo's writer sets.
const demoKey = "demo:counter"

// demoMaster is the name the demo's sentinels monitor the master under.
const demoMaster = "mymaster"

type demoOptions struct {
	WriteEvery time.Duration // default 50 ms
	KillAfter  time.Duration // how long the healthy topology runs first; default 3 s
	Logger     hclog.Logger  // the instances' logs; default: discard
	// TLS runs everything over TLS only: the instances and sentinels listen on TLS (port 0,
	// tls-port), replicate and link over TLS (tls-replication yes), and want client
	// certificates (tls-auth-clients yes), all from a CA made for the run.
	TLS bool
}

// demoLogger shows the instances' warnings and errors; their routine notices would bury the
// story.
func demoLogger(w io.Writer) hclog.Logger {
	return hclog.New(&hclog.LoggerOptions{Name: "demo", Level: hclog.Warn, Output: w})
}

// runDemo tells the story the product exists for, on embedded instances and free loopback
// ports: a master with two replicas, three of our sentinels watching it (in this process,
// each a full daemon with its own config file), and a go-redis FailoverClient writing a
// counter through them. It kills the master, prints the failover as the sentinels publish
// it, shows the writes landing on the new master, restarts the old master and shows it
// rejoin as a replica. It returns nil when the story is told or ctx ends; an error when a
// step does not happen in time.
func runDemo(ctx context.Context, w io.Writer, o demoOptions) error {
	if o.WriteEvery <= 0 {
		o.WriteEvery = 50 * time.Millisecond
	}
	if o.KillAfter <= 0 {
		o.KillAfter = 3 * time.Second
	}
	if o.Logger == nil {
		o.Logger = hclog.NewNullLogger()
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	d := &demo{w: w, start: time.Now(), writes: make(chan writeResult, 64)}
	dir, err := os.MkdirTemp("", "sentinel-demo-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	var kit *tlstest.Kit
	opts := func(name, replicaOf string) redistest.Options {
		return redistest.Options{ReplicaOf: replicaOf, Logger: o.Logger.Named(name)}
	}
	what := "embedded redistest instances"
	if o.TLS {
		var server *tls.Config
		if kit, server, d.tls, err = demoCertificates(dir); err != nil {
			return err
		}
		plain := opts
		opts = func(name, replicaOf string) redistest.Options {
			x := plain(name, replicaOf)
			x.TLS, x.ReplicationTLS = server, d.tls
			return x
		}
		what += ", TLS only, certificates in " + dir
	}

	master, err := redistest.Start(opts("master", ""))
	if err != nil {
		return err
	}
	defer master.Close()
	insts := []*redistest.Server{master}
	for i := range 2 {
		r, err := redistest.Start(opts(fmt.Sprintf("replica%d", i+1), master.Addr()))
		if err != nil {
			return err
		}
		defer r.Close() // deferred after the master's Close, so it runs before it
		insts = append(insts, r)
	}
	d.say("master %s, replicas %s and %s (%s)", master.Addr(), insts[1].Addr(), insts[2].Addr(), what)
	if err := waitInSync(ctx, insts, 10*time.Second); err != nil {
		return d.stopped(ctx, err)
	}

	sentinels, stopSentinels, err := startDemoSentinels(ctx, dir, master.Port(), kit)
	if err != nil {
		return err
	}
	defer stopSentinels()
	d.say("sentinels on %s, quorum 2, down-after 1 s; logs in %s", strings.Join(sentinels, ", "), dir)
	events, stopWatching := d.watch(ctx, sentinels)
	defer func() { cancel(); stopWatching() }()
	if err := d.waitFor(ctx, 20*time.Second, "the sentinels to discover each other and the replicas", func() bool {
		return demoDiscovered(ctx, sentinels, d.tls)
	}); err != nil {
		return d.stopped(ctx, err)
	}
	d.say("every sentinel knows both replicas and the two other sentinels")

	writer := redis.NewFailoverClient(&redis.FailoverOptions{
		MasterName: demoMaster, SentinelAddrs: sentinels,
		DialTimeout: 200 * time.Millisecond, ReadTimeout: 200 * time.Millisecond, WriteTimeout: 200 * time.Millisecond,
		MaxRetries: -1, DisableIdentity: true, TLSConfig: d.tls,
	})
	defer writer.Close()
	writing := make(chan struct{})
	go func() { defer close(writing); d.write(ctx, writer, o.WriteEvery) }()
	defer func() { cancel(); <-writing }()
	d.say("a go-redis FailoverClient sets %s every %v through the sentinels", demoKey, o.WriteEvery)

	select {
	case <-ctx.Done():
		return nil
	case <-time.After(o.KillAfter):
	}
	oldMaster := master.Addr()
	master.Kill()
	killed := time.Now()
	d.mu.Lock()
	d.sinceKill = killed // from here on the sentinels' events are shown, timed from the kill
	d.mu.Unlock()
	d.say("killed the master %s", oldMaster)

	switched := map[string]bool{}
	var newMaster string
	var firstWrite time.Duration
	deadline := time.After(60 * time.Second)
	for len(switched) < len(sentinels) || firstWrite == 0 {
		select {
		case <-ctx.Done():
			return nil
		case <-deadline:
			return fmt.Errorf("failover not complete after 60 s: %d sentinels switched, first write %v", len(switched), firstWrite)
		case e := <-events:
			if e.typ == "+switch-master" {
				switched[e.from] = true
				if f := strings.Fields(e.payload); len(f) == 5 {
					newMaster = net.JoinHostPort(f[3], f[4])
				}
			}
		case r := <-d.writes:
			if r.err == nil && r.at.After(killed) && firstWrite == 0 && newMaster != "" {
				firstWrite = r.at.Sub(killed)
			}
		}
	}
	d.say("all three sentinels switched to %s; first write accepted by it %v after the kill", newMaster, firstWrite.Round(time.Millisecond))

	if err := master.Restart(redistest.RestartOptions{}); err != nil {
		return err
	}
	d.say("restarted the old master %s: it comes back as a master, the sentinels will make it a replica", oldMaster)
	if err := d.waitFor(ctx, 60*time.Second, "the old master to replicate from the new one", func() bool {
		f := parseInfo(master.Info("replication"))
		return f["role"] == "slave" && net.JoinHostPort(f["master_host"], f["master_port"]) == newMaster &&
			f["master_link_status"] == "up"
	}); err != nil {
		return d.stopped(ctx, err)
	}
	d.say("the old master %s now replicates from %s", oldMaster, newMaster)
	clients := make([]*redis.Client, len(insts))
	for i, s := range insts {
		clients[i] = redis.NewClient(&redis.Options{Addr: s.Addr(), MaxRetries: -1, DisableIdentity: true, TLSConfig: d.tls})
		defer clients[i].Close()
	}
	writeStatus(w, time.Since(d.start), d.okWrites(), nil, insts, clients)
	return nil
}

// demo prints the story with timestamps, one writer at a time.
type demo struct {
	mu        sync.Mutex
	w         io.Writer
	start     time.Time
	sinceKill time.Time // guarded by mu
	writes    chan writeResult
	ok        int64
	tls       *tls.Config // how its clients dial instances and sentinels; nil: plaintext
}

type writeResult struct {
	at  time.Time
	err error
}

// demoEvent is one event a sentinel published.
type demoEvent struct{ from, typ, payload string }

func (d *demo) say(format string, args ...any) {
	d.mu.Lock()
	defer d.mu.Unlock()
	fmt.Fprintf(d.w, "%8s  %s\n", d.stamp(), fmt.Sprintf(format, args...))
}

// stamp is the time since the start, or since the kill once there was one.
func (d *demo) stamp() string {
	if !d.sinceKill.IsZero() {
		return "+" + time.Since(d.sinceKill).Round(time.Millisecond).String()
	}
	return time.Since(d.start).Round(100 * time.Millisecond).String()
}

func (d *demo) okWrites() int64 {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.ok
}

// stopped turns a failed wait into the demo's result: an interruption is not an error.
func (d *demo) stopped(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return nil
	}
	return err
}

func (d *demo) waitFor(ctx context.Context, within time.Duration, what string, cond func() bool) error {
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			return fmt.Errorf("timed out after %v waiting for %s", within, what)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
	return nil
}

// watch prints every event the sentinels publish after the kill (before it, only the
// discovery is worth a line, and the wait for it says so), and forwards them. The returned
// function waits for the watchers, which stop when ctx ends.
func (d *demo) watch(ctx context.Context, sentinels []string) (<-chan demoEvent, func()) {
	out := make(chan demoEvent, 256)
	var wg sync.WaitGroup
	for i, addr := range sentinels {
		name := fmt.Sprintf("sentinel-%d", i+1)
		c := redis.NewClient(&redis.Options{Addr: addr, DisableIdentity: true, TLSConfig: d.tls})
		sub := c.PSubscribe(ctx, "*")
		wg.Add(2)
		go func() {
			defer wg.Done()
			<-ctx.Done()
			sub.Close() // ends the range below
			c.Close()
		}()
		go func() {
			defer wg.Done()
			for msg := range sub.Channel() {
				if msg.Channel == "__sentinel__:hello" {
					continue
				}
				d.mu.Lock()
				kill := !d.sinceKill.IsZero()
				d.mu.Unlock()
				if kill {
					d.say("%-10s %s %s", name, msg.Channel, msg.Payload)
				}
				select {
				case out <- demoEvent{from: name, typ: msg.Channel, payload: msg.Payload}:
				default:
				}
			}
		}()
	}
	return out, wg.Wait
}

// write sets the counter until ctx ends, reporting each outcome.
func (d *demo) write(ctx context.Context, c *redis.Client, every time.Duration) {
	tick := time.NewTicker(every)
	defer tick.Stop()
	var n int64
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		opCtx, cancel := context.WithTimeout(ctx, 500*time.Millisecond)
		err := c.Set(opCtx, demoKey, n+1, 0).Err()
		cancel()
		if err == nil {
			n++
			d.mu.Lock()
			d.ok = n
			d.mu.Unlock()
		}
		select {
		case d.writes <- writeResult{at: time.Now(), err: err}:
		default:
		}
	}
}

// startDemoSentinels runs three sentinel daemons in this process, each with its own config
// file and log file in dir, and returns their addresses and a stop function that waits for
// them to exit. With kit they speak TLS only, on every link.
func startDemoSentinels(ctx context.Context, dir string, masterPort int, kit *tlstest.Kit) ([]string, func(), error) {
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	var addrs []string
	for i := range 3 {
		port, err := freePort()
		if err != nil {
			cancel()
			wg.Wait()
			return nil, nil, err
		}
		conf := filepath.Join(dir, fmt.Sprintf("sentinel-%d.conf", i+1))
		listen := fmt.Sprintf("port %d\n", port)
		if kit != nil {
			listen = fmt.Sprintf("port 0\ntls-port %d\ntls-cert-file %s\ntls-key-file %s\ntls-ca-cert-file %s\n"+
				"tls-replication yes\ntls-auth-clients yes\n", port, kit.Files.Cert, kit.Files.Key, kit.Files.CA)
		}
		body := fmt.Sprintf("%sbind 127.0.0.1\nlogfile %s\n"+
			"sentinel monitor %s 127.0.0.1 %d 2\nsentinel down-after-milliseconds %s 1000\n"+
			"sentinel failover-timeout %s 10000\n",
			listen, filepath.Join(dir, fmt.Sprintf("sentinel-%d.log", i+1)), demoMaster, masterPort, demoMaster, demoMaster)
		if err := os.WriteFile(conf, []byte(body), 0o644); err != nil {
			cancel()
			wg.Wait()
			return nil, nil, err
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			daemon.Run(ctx, conf, nil, io.Discard, io.Discard)
		}()
		addrs = append(addrs, fmt.Sprintf("127.0.0.1:%d", port))
	}
	return addrs, func() { cancel(); wg.Wait() }, nil
}

// freePort asks the kernel for a free loopback port. Another process could take it before
// the sentinel listens; for a demo that risk is acceptable.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// demoDiscovered: every sentinel lists both replicas and the two other sentinels.
func demoDiscovered(ctx context.Context, sentinels []string, tc *tls.Config) bool {
	for _, addr := range sentinels {
		c := redis.NewSentinelClient(&redis.Options{Addr: addr, DisableIdentity: true, TLSConfig: tc})
		m, err := c.Master(ctx, demoMaster).Result()
		c.Close()
		if err != nil || m["num-slaves"] != "2" || m["num-other-sentinels"] != "2" {
			return false
		}
	}
	return true
}

// waitInSync waits until every replica's link is up and its offset equals the master's.
func waitInSync(ctx context.Context, insts []*redistest.Server, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		if inSync(insts) {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("replicas not in sync after %v", timeout)
		case <-tick.C:
		}
	}
}

func inSync(insts []*redistest.Server) bool {
	want := parseInfo(insts[0].Info("replication"))["master_repl_offset"]
	for _, r := range insts[1:] {
		f := parseInfo(r.Info("replication"))
		if f["master_link_status"] != "up" || f["slave_repl_offset"] != want {
			return false
		}
	}
	return true
}

// writeStatus prints one table: what each instance's INFO replication says, and the value
// of the demo key as a client reading that instance sees it.
func writeStatus(w io.Writer, elapsed time.Duration, writes int64, lastErr error, insts []*redistest.Server, clients []*redis.Client) {
	fmt.Fprintf(w, "\n[%v] %d writes to the master\n", elapsed.Round(100*time.Millisecond), writes)
	if lastErr != nil {
		fmt.Fprintf(w, "  last write error: %v\n", lastErr)
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "  ADDR\tROLE\tOFFSET\tLINK\t"+demoKey)
	for i, s := range insts {
		f := parseInfo(s.Info("replication"))
		offset, link := f["master_repl_offset"], "-"
		if f["role"] == "slave" {
			offset, link = f["slave_repl_offset"], f["master_link_status"]
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s\n", s.Addr(), f["role"], offset, link, readKey(clients[i]))
	}
	tw.Flush()
}

func readKey(c *redis.Client) string {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	v, err := c.Get(ctx, demoKey).Result()
	switch {
	case errors.Is(err, redis.Nil):
		return "(nil)"
	case err != nil:
		return "error: " + err.Error()
	}
	if _, err := strconv.ParseInt(v, 10, 64); err != nil {
		return strconv.Quote(v)
	}
	return v
}

// parseInfo splits INFO text into its fields; section headings and blank lines carry none.
func parseInfo(text string) map[string]string {
	f := map[string]string{}
	for line := range strings.SplitSeq(text, "\r\n") {
		if k, v, ok := strings.Cut(line, ":"); ok && !strings.HasPrefix(line, "#") {
			f[k] = v
		}
	}
	return f
}

// demoCertificates makes the TLS demo's throwaway CA and its one certificate, for server
// and client use on loopback, writes them to dir (the sentinels' config files name them),
// and returns the instances' server config and every client's config.
func demoCertificates(dir string) (kit *tlstest.Kit, server, client *tls.Config, err error) {
	if kit, err = tlstest.NewKit(dir); err != nil {
		return nil, nil, nil, err
	}
	if server, err = kit.ServerConfig(); err != nil {
		return nil, nil, nil, err
	}
	if client, err = kit.ClientConfig(); err != nil {
		return nil, nil, nil, err
	}
	return kit, server, client, nil
}
