package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/redis/go-redis/v9"

	"github.com/sentinel-go/sentinel/e2e/redistest"
)

// demoKey is the key the demo's writer sets.
const demoKey = "demo:counter"

type demoOptions struct {
	WriteEvery  time.Duration // default 200 ms
	ReportEvery time.Duration // default 2 s
	Logger      hclog.Logger  // the instances' logs; default: discard
}

// demoLogger shows the instances' warnings and errors; their routine notices would bury the
// status tables.
func demoLogger(w io.Writer) hclog.Logger {
	return hclog.New(&hclog.LoggerOptions{Name: "demo", Level: hclog.Warn, Output: w})
}

// runDemo starts a master with two replicas on free loopback ports, writes a counter to the
// master and reports what every instance says about replication until ctx ends. It returns
// nil when ctx ends; an error only if the topology cannot be set up.
func runDemo(ctx context.Context, w io.Writer, o demoOptions) error {
	if o.WriteEvery <= 0 {
		o.WriteEvery = 200 * time.Millisecond
	}
	if o.ReportEvery <= 0 {
		o.ReportEvery = 2 * time.Second
	}
	if o.Logger == nil {
		o.Logger = hclog.NewNullLogger()
	}
	master, err := redistest.Start(redistest.Options{Logger: o.Logger.Named("master")})
	if err != nil {
		return err
	}
	defer master.Close()
	insts := []*redistest.Server{master}
	for i := range 2 {
		r, err := redistest.Start(redistest.Options{ReplicaOf: master.Addr(), Logger: o.Logger.Named(fmt.Sprintf("replica%d", i+1))})
		if err != nil {
			return err
		}
		defer r.Close() // deferred after the master's Close, so it runs before it
		insts = append(insts, r)
	}
	clients := make([]*redis.Client, len(insts))
	for i, s := range insts {
		// No retries: a failed read should show as such in the next table, not stall it.
		clients[i] = redis.NewClient(&redis.Options{Addr: s.Addr(), MaxRetries: -1, DisableIdentity: true})
		defer clients[i].Close()
	}

	fmt.Fprintf(w, "sentinel demo: master %s, replicas %s and %s (embedded redistest instances)\n",
		master.Addr(), insts[1].Addr(), insts[2].Addr())
	start := time.Now()
	if err := waitInSync(ctx, insts, 10*time.Second); err != nil {
		if ctx.Err() != nil {
			return nil // interrupted before the first sync: nothing to show
		}
		return err
	}
	fmt.Fprintf(w, "sentinel demo: replicas in sync after %v; setting %s every %v on the master, status every %v; Ctrl-C stops\n",
		time.Since(start).Round(time.Millisecond), demoKey, o.WriteEvery, o.ReportEvery)

	// Writes and reports take turns in one loop, so every table shows the instances
	// between two writes, never in the middle of one.
	var writes int64
	var lastErr error
	write := time.NewTicker(o.WriteEvery)
	defer write.Stop()
	report := time.NewTicker(o.ReportEvery)
	defer report.Stop()
loop:
	for {
		select {
		case <-ctx.Done():
			break loop
		case <-write.C:
			opCtx, cancel := context.WithTimeout(ctx, time.Second)
			err := clients[0].Set(opCtx, demoKey, writes+1, 0).Err()
			cancel()
			if err != nil {
				lastErr = err
				continue
			}
			writes++
		case <-report.C:
			writeStatus(w, time.Since(start), writes, lastErr, insts, clients)
			lastErr = nil
		}
	}
	// Give the replicas a moment to apply the last write, so the final table shows them
	// caught up; a replica that cannot is shown as it is.
	_ = waitInSync(context.Background(), insts, 2*time.Second)
	fmt.Fprintln(w, "sentinel demo: stopping; final status:")
	writeStatus(w, time.Since(start), writes, lastErr, insts, clients)
	return nil
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
