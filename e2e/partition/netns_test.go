package partition

import (
	"bufio"
	"context"
	"errors"
	"net"
	"os"
	"strings"
	"testing"
	"time"
)

// probe sends PING on a fresh connection from `from` to addr and reports the reply, within d.
func probe(from *Node, addr string, d time.Duration) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	c, err := from.Dial(ctx, "tcp", addr)
	if err != nil {
		return "", err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(d))
	if _, err := c.Write([]byte("PING\r\n")); err != nil {
		return "", err
	}
	line, err := bufio.NewReader(c).ReadString('\n')
	return strings.TrimSpace(line), err
}

// echo serves "+PONG" for every line, on a listener inside nd.
func echo(t *testing.T, nd *Node, port int) string {
	t.Helper()
	l, err := nd.Listen("tcp", nd.Addr(port))
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	t.Cleanup(func() { l.Close(); <-done })
	go func() {
		defer close(done)
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				r := bufio.NewReader(c)
				for {
					if _, err := r.ReadString('\n'); err != nil {
						return
					}
					if _, err := c.Write([]byte("+PONG\r\n")); err != nil {
						return
					}
				}
			}()
		}
	}()
	return l.Addr().String()
}

func hostInterfaces(t *testing.T) map[string]bool {
	t.Helper()
	ifs, err := net.Interfaces()
	if err != nil {
		t.Fatal(err)
	}
	m := map[string]bool{}
	for _, i := range ifs {
		m[i.Name] = true
	}
	return m
}

// TestNetCutHeal: a fresh Net connects its nodes, leaves the host's interfaces alone, and
// a cut is silent (the dial times out, nothing is refused), one-way cuts only one direction,
// and Heal restores everything.
func TestNetCutHeal(t *testing.T) {
	before := hostInterfaces(t)
	n := NewNet(t)
	a, b := n.Node("a"), n.Node("b")
	after := hostInterfaces(t)
	for name := range after {
		if !before[name] {
			t.Errorf("host gained interface %q", name)
		}
	}
	addrB := echo(t, b, 7000)
	addrA := echo(t, a, 7000)
	if got, err := probe(a, addrB, 2*time.Second); err != nil || got != "+PONG" {
		t.Fatalf("a -> b before the cut: %q, %v", got, err)
	}
	// A held connection must freeze too, not only new ones.
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	held, err := a.Dial(ctx, "tcp", addrB)
	cancel()
	if err != nil {
		t.Fatal(err)
	}
	defer held.Close()

	n.Cut([]*Node{a}, []*Node{b})
	if _, err := probe(a, addrB, 300*time.Millisecond); !isTimeout(err) {
		t.Fatalf("a -> b across a cut: want a timeout (silent drop), got %v", err)
	}
	if _, err := probe(b, addrA, 300*time.Millisecond); !isTimeout(err) {
		t.Fatalf("b -> a across a cut: want a timeout, got %v", err)
	}
	held.SetDeadline(time.Now().Add(300 * time.Millisecond))
	held.Write([]byte("PING\r\n"))
	if _, err := bufio.NewReader(held).ReadString('\n'); !isTimeout(err) {
		t.Fatalf("held connection across a cut: want a timeout, got %v", err)
	}
	n.Heal()
	if got, err := probe(a, addrB, 2*time.Second); err != nil || got != "+PONG" {
		t.Fatalf("a -> b after heal: %q, %v", got, err)
	}

	// One way: a's packets do not reach b, so a cannot connect to b, and b's SYN reaches a
	// but a's SYN-ACK is dropped: both dials time out, yet no rule sits on a.
	n.CutOneWay([]*Node{a}, []*Node{b})
	if _, err := probe(a, addrB, 300*time.Millisecond); !isTimeout(err) {
		t.Fatalf("a -> b one-way cut: want a timeout, got %v", err)
	}
	n.Heal()
	if got, err := probe(b, addrA, 2*time.Second); err != nil || got != "+PONG" {
		t.Fatalf("b -> a after heal: %q, %v", got, err)
	}
	tl := n.Timeline.String()
	for _, want := range []string{"cut [a] | [b]", "heal", "cut one-way [a] -> [b]"} {
		if !strings.Contains(tl, want) {
			t.Errorf("timeline lacks %q:\n%s", want, tl)
		}
	}
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout())
}

// TestProcPauseKillRestart: a redis-server inside a node answers from another node, stops
// answering while paused (SIGSTOP) and again after SIGCONT, and comes back after kill -9.
func TestProcPauseKillRestart(t *testing.T) {
	n := NewNet(t)
	srv, cli := n.Node("srv"), n.Node("cli")
	p := srv.Start(redisServerBin(t), "--port", "6379", "--bind", srv.IP, "--protected-mode", "no", "--save", "")
	addr := srv.Addr(6379)
	waitPing(t, cli, addr, 10*time.Second)
	p.Pause()
	if _, err := probe(cli, addr, 300*time.Millisecond); !isTimeout(err) {
		t.Fatalf("a paused server: want a timeout, got %v", err)
	}
	p.Resume()
	waitPing(t, cli, addr, 5*time.Second)
	pid := p.PID()
	p.Kill()
	if p.Running() {
		t.Fatal("running after Kill")
	}
	p.Restart()
	if p.PID() == pid {
		t.Fatal("restart kept the PID")
	}
	waitPing(t, cli, addr, 10*time.Second)
}

// TestSlowLink: a proxy with a 150 ms one-way delay makes a round trip take at least 300 ms,
// and SetDelay(0) makes it fast again.
func TestSlowLink(t *testing.T) {
	n := NewNet(t)
	a, b, c := n.Node("a"), n.Node("b"), n.Node("c")
	target := echo(t, c, 7000)
	px := n.SlowLink(b, 7001, b, target, 150*time.Millisecond)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	conn, err := a.Dial(ctx, "tcp", px.Addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	r := bufio.NewReader(conn)
	rtt := func() time.Duration {
		start := time.Now()
		conn.SetDeadline(time.Now().Add(5 * time.Second))
		if _, err := conn.Write([]byte("PING\r\n")); err != nil {
			t.Fatal(err)
		}
		if _, err := r.ReadString('\n'); err != nil {
			t.Fatal(err)
		}
		return time.Since(start)
	}
	if d := rtt(); d < 300*time.Millisecond {
		t.Fatalf("round trip through a 150 ms link took %v", d)
	}
	px.SetDelay(0)
	rtt() // bytes already queued keep their old due time
	if d := rtt(); d > 250*time.Millisecond {
		t.Fatalf("round trip after SetDelay(0) took %v", d)
	}
}

func waitPing(t *testing.T, from *Node, addr string, within time.Duration) {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		got, err := probe(from, addr, 500*time.Millisecond)
		if err == nil && got == "+PONG" {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s did not answer PING from %s within %v: %q %v", addr, from.Name, within, got, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestNetCleanup: once the test that made a Net is over, none of its namespaces is left,
// and a namespace named for a PID that no longer exists is swept by the next NewNet.
func TestNetCleanup(t *testing.T) {
	var prefix string
	t.Run("net", func(t *testing.T) {
		n := NewNet(t)
		n.Node("a")
		n.Node("b")
		prefix = n.prefix
	})
	if prefix == "" {
		t.Skip("the Net was not made")
	}
	if left := namespaces(t, prefix); len(left) > 0 {
		t.Fatalf("namespaces left after the test: %v", left)
	}
	// PID 0x7ffffffe is above any pid_max Linux allows, so it names a dead process.
	stale := nsPrefix + "2147483646-1-x"
	if err := run("ip", "netns", "add", stale); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = run("ip", "netns", "del", stale) })
	NewNet(t)
	if left := namespaces(t, stale); len(left) > 0 {
		t.Fatalf("stale namespace not swept: %v", left)
	}
}

func namespaces(t *testing.T, prefix string) []string {
	t.Helper()
	entries, err := os.ReadDir(netnsDir)
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	var out []string
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), prefix) {
			out = append(out, e.Name())
		}
	}
	return out
}

// TestTimelineOrder: entries come out in time order whatever order they were added in,
// events stamped by their observer among the harness's own.
func TestTimelineOrder(t *testing.T) {
	tl := NewTimeline()
	tl.Add(3*time.Second, "s1", "+switch-master")
	tl.Add(1*time.Second, "fault", "cut")
	tl.Add(2*time.Second, "s2", "+sdown")
	var got []string
	for _, e := range tl.Entries() {
		got = append(got, e.Text)
	}
	if want := []string{"cut", "+sdown", "+switch-master"}; strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("order %v, want %v", got, want)
	}
	if e, ok := tl.Find("s2", "sdown"); !ok || e.At != 2*time.Second {
		t.Fatalf("Find: %v %v", e, ok)
	}
	if !strings.Contains(tl.String(), "    1.000s fault      cut") {
		t.Fatalf("String:\n%s", tl)
	}
}
