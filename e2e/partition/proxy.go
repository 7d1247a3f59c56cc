package partition

import (
	"context"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// Proxy is a slow link in userspace, for kernels without netem (these machines have no
// qdiscs at all): it listens inside one node's namespace and, for each connection, dials the
// target from another node's namespace, holding every chunk of bytes for the current delay
// before passing it on. Order within a direction is kept, so a delay never reorders a
// stream; only its timing changes.
type Proxy struct {
	Addr  string // where clients connect: the listening node's IP and port
	l     net.Listener
	delay atomic.Int64 // nanoseconds, one way
	net   *Net
	name  string

	mu     sync.Mutex
	conns  map[net.Conn]struct{}
	closed bool
	wg     sync.WaitGroup
}

// chunk is what one read returned, stamped with when it may be written on.
type chunk struct {
	data []byte
	due  time.Time
}

// SlowLink starts a Proxy listening on listen:port that forwards to target, dialing it
// from the node from, each direction delayed by delay. t.Cleanup closes it.
func (n *Net) SlowLink(listen *Node, port int, from *Node, target string, delay time.Duration) *Proxy {
	n.t.Helper()
	l, err := listen.Listen("tcp", listen.Addr(port))
	if err != nil {
		n.t.Fatalf("partition: proxy listen on %s: %v", listen.Name, err)
	}
	p := &Proxy{Addr: l.Addr().String(), l: l, net: n, name: listen.Name + "->" + target, conns: map[net.Conn]struct{}{}}
	p.delay.Store(int64(delay))
	n.Timeline.Logf("fault", "slow link %s at %s, delay %v", p.name, p.Addr, delay)
	n.t.Cleanup(p.Close)
	p.wg.Add(1)
	go p.accept(from, target)
	return p
}

// SetDelay changes the one-way delay for the bytes read from now on.
func (p *Proxy) SetDelay(d time.Duration) {
	p.net.Timeline.Logf("fault", "slow link %s delay %v", p.name, d)
	p.delay.Store(int64(d))
}

func (p *Proxy) accept(from *Node, target string) {
	defer p.wg.Done()
	for {
		c, err := p.l.Accept()
		if err != nil {
			return
		}
		up, err := from.Dial(context.Background(), "tcp", target)
		if err != nil {
			c.Close()
			continue
		}
		if !p.track(c, up) {
			return
		}
		p.wg.Add(2)
		go p.pipe(c, up)
		go p.pipe(up, c)
	}
}

func (p *Proxy) track(cs ...net.Conn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		for _, c := range cs {
			c.Close()
		}
		return false
	}
	for _, c := range cs {
		p.conns[c] = struct{}{}
	}
	return true
}

// pipe copies src to dst through a queue, so reading goes on while earlier bytes wait out
// their delay; the queue is bounded, which pushes back on a sender faster than the link.
func (p *Proxy) pipe(src, dst net.Conn) {
	defer p.wg.Done()
	q := make(chan chunk, 256)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for c := range q {
			if d := time.Until(c.due); d > 0 {
				time.Sleep(d)
			}
			if _, err := dst.Write(c.data); err != nil {
				break
			}
		}
		dst.Close()
		src.Close()
		for range q { // drain, so the reader never blocks on a dead writer
		}
	}()
	buf := make([]byte, 32<<10)
	for {
		k, err := src.Read(buf)
		if k > 0 {
			q <- chunk{data: append([]byte(nil), buf[:k]...), due: time.Now().Add(time.Duration(p.delay.Load()))}
		}
		if err != nil {
			if err != io.EOF {
				dst.Close()
			}
			break
		}
	}
	close(q)
	<-done
}

// Close stops the proxy and every connection through it, and waits for its goroutines.
func (p *Proxy) Close() {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return
	}
	p.closed = true
	for c := range p.conns {
		c.Close()
	}
	p.mu.Unlock()
	p.l.Close()
	p.wg.Wait()
}
