package partition

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"slices"
	"strconv"
	"sync"
	"time"
)

// Event is one message a sentinel published, stamped with the observer's clock when it
// arrived.
type Event struct {
	At                         time.Duration
	Sentinel, Channel, Payload string
}

func (e Event) String() string {
	return fmt.Sprintf("%s %s %s", e.Sentinel, e.Channel, e.Payload)
}

// Observer holds a PSUBSCRIBE * to every sentinel.
type Observer struct {
	clock  func() time.Duration
	on     func(Event)
	dial   Dialer
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu     sync.Mutex
	events []Event
	notify chan struct{} // closed and replaced at each event
}

// observerPing is how often an idle subscription is probed. A link cut without a reset
// (a partition drops packets) reads as silence, and silence must end in a reconnect, not
// in a subscription that never hears the failover.
const observerPing = 500 * time.Millisecond

// Observe subscribes to every sentinel (name -> address) and reconnects whenever a
// subscription breaks, until Close. Events a sentinel publishes while its subscription is
// cut are lost, as they are to any client; the observer should dial from a node no fault
// cuts. on, if not nil, is called with each event, from the subscription's goroutine.
func Observe(dial Dialer, sentinels map[string]string, clock func() time.Duration, on func(Event)) *Observer {
	if dial == nil {
		var d net.Dialer
		dial = d.DialContext
	}
	if clock == nil {
		start := time.Now()
		clock = func() time.Duration { return time.Since(start) }
	}
	ctx, cancel := context.WithCancel(context.Background())
	o := &Observer{clock: clock, on: on, dial: dial, cancel: cancel, notify: make(chan struct{})}
	names := make([]string, 0, len(sentinels))
	for n := range sentinels {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, name := range names {
		addr := sentinels[name]
		o.wg.Add(1)
		go func() {
			defer o.wg.Done()
			o.follow(ctx, name, addr)
		}()
	}
	return o
}

// Events returns every event so far, in arrival order.
func (o *Observer) Events() []Event {
	o.mu.Lock()
	defer o.mu.Unlock()
	return slices.Clone(o.events)
}

// Wait returns the first event, past or future, that match accepts, or ctx's error.
func (o *Observer) Wait(ctx context.Context, match func(Event) bool) (Event, error) {
	seen := 0
	for {
		o.mu.Lock()
		for ; seen < len(o.events); seen++ {
			if match(o.events[seen]) {
				e := o.events[seen]
				o.mu.Unlock()
				return e, nil
			}
		}
		ch := o.notify
		o.mu.Unlock()
		select {
		case <-ctx.Done():
			return Event{}, fmt.Errorf("partition: no matching event: %w", ctx.Err())
		case <-ch:
		}
	}
}

// Close ends every subscription and waits for their goroutines.
func (o *Observer) Close() {
	o.cancel()
	o.wg.Wait()
}

func (o *Observer) add(e Event) {
	o.mu.Lock()
	o.events = append(o.events, e)
	close(o.notify)
	o.notify = make(chan struct{})
	o.mu.Unlock()
	if o.on != nil {
		o.on(e)
	}
}

// follow keeps one sentinel's subscription alive.
func (o *Observer) follow(ctx context.Context, name, addr string) {
	for ctx.Err() == nil {
		err := o.subscribe(ctx, name, addr)
		if ctx.Err() != nil {
			return
		}
		_ = err // a broken subscription is the normal case under faults; redial.
		select {
		case <-ctx.Done():
			return
		case <-time.After(100 * time.Millisecond):
		}
	}
}

func (o *Observer) subscribe(ctx context.Context, name, addr string) error {
	dctx, cancel := context.WithTimeout(ctx, time.Second)
	c, err := o.dial(dctx, "tcp", addr)
	cancel()
	if err != nil {
		return err
	}
	done := make(chan struct{})
	defer close(done)
	go func() {
		select {
		case <-ctx.Done():
		case <-done:
		}
		c.Close()
	}()
	if _, err := io.WriteString(c, "*2\r\n$10\r\nPSUBSCRIBE\r\n$1\r\n*\r\n"); err != nil {
		return err
	}
	r := bufio.NewReader(c)
	pending := false // a PING is out and unanswered
	for {
		// Peek consumes nothing, so a timeout here leaves the stream whole; once a reply
		// has begun, the rest of it gets a deadline of its own.
		_ = c.SetReadDeadline(time.Now().Add(observerPing))
		_, err := r.Peek(1)
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			if pending {
				return errors.New("partition: subscription silent")
			}
			_ = c.SetWriteDeadline(time.Now().Add(observerPing))
			if _, err := io.WriteString(c, "*1\r\n$4\r\nPING\r\n"); err != nil {
				return err
			}
			pending = true
			continue
		}
		if err != nil {
			return err
		}
		_ = c.SetReadDeadline(time.Now().Add(2 * observerPing))
		v, err := readValue(r)
		if err != nil {
			return err
		}
		pending = false
		arr, ok := v.([]any)
		if !ok || len(arr) != 4 {
			continue // psubscribe's confirmation, a pong
		}
		if kind, _ := arr[0].(string); kind != "pmessage" {
			continue
		}
		ch, _ := arr[2].(string)
		payload, _ := arr[3].(string)
		o.add(Event{At: o.clock(), Sentinel: name, Channel: ch, Payload: payload})
	}
}

// readValue reads one RESP2 reply: strings and errors as string, integers as int64,
// arrays as []any, nulls as nil.
func readValue(r *bufio.Reader) (any, error) {
	line, err := r.ReadString('\n')
	if err != nil {
		return nil, err
	}
	if len(line) < 3 || line[len(line)-2] != '\r' {
		return nil, fmt.Errorf("partition: bad RESP line %q", line)
	}
	body := line[1 : len(line)-2]
	switch line[0] {
	case '+', '-':
		return body, nil
	case ':':
		return strconv.ParseInt(body, 10, 64)
	case '$':
		n, err := strconv.Atoi(body)
		if err != nil || n < 0 {
			return nil, err
		}
		buf := make([]byte, n+2)
		if _, err := io.ReadFull(r, buf); err != nil {
			return nil, err
		}
		return string(buf[:n]), nil
	case '*':
		n, err := strconv.Atoi(body)
		if err != nil || n < 0 {
			return nil, err
		}
		arr := make([]any, n)
		for i := range arr {
			if arr[i], err = readValue(r); err != nil {
				return nil, err
			}
		}
		return arr, nil
	}
	return nil, fmt.Errorf("partition: bad RESP type %q", line[0])
}
