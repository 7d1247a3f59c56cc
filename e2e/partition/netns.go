package partition

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/sentinel-go/sentinel/e2e/realredis"
)

const (
	// nsPrefix starts every namespace this package creates, so a sweep can tell ours from
	// anybody else's: nsPrefix + <pid> + "-" + <counter> + "-" + <node>.
	nsPrefix = "sentpart-"
	// subnet is the /24 every Net uses. Each Net has its own bridge inside its own hub
	// namespace and no route leaves it, so two Nets (parallel tests, parallel test binaries)
	// reuse the same addresses without ever seeing each other's packets.
	subnet = "10.77.0."
	// cmdWait bounds one `ip` or `iptables` command; they finish in milliseconds unless the
	// kernel is in trouble.
	cmdWait = 10 * time.Second
	// netnsDir is where `ip netns add` mounts the namespaces it names.
	netnsDir = "/var/run/netns"
)

var netCounter atomic.Int64

// Net is one test's private network: a hub namespace holding a bridge, and one namespace per
// node with a veth pair into that bridge. Nothing is created on the host's own network: the
// veth pairs are made inside the hub namespace and their far end moved straight into the
// node's namespace.
type Net struct {
	t        testing.TB
	prefix   string // unique per Net: nsPrefix + pid + counter
	hub      string // the hub namespace's name
	Timeline *Timeline

	mu     sync.Mutex
	nodes  []*Node
	byName map[string]*Node
	cut    map[*Node]bool // nodes with DROP rules in place, for Heal
	spans  []faultSpan    // every drop, for judging the sentinels' SDOWNs
}

// Node is one network namespace of a Net, with one address on the Net's bridge.
type Node struct {
	Name string
	IP   string
	ns   string // namespace name (under /var/run/netns)
	net  *Net
}

// NewNet creates a Net for t and removes all of it in t.Cleanup, even when t failed. It skips
// t with the reason where network namespaces cannot be made (not root, no `ip`, no iptables,
// a container without CAP_SYS_ADMIN), and fails it instead under REDISTEST_REQUIRE_REAL=1.
func NewNet(t testing.TB) *Net {
	t.Helper()
	if err := netnsUsable(); err != nil {
		realredis.Missing(t, "partition: network namespaces not usable here: %v", err)
	}
	sweepStale()
	n := &Net{
		t:        t,
		prefix:   fmt.Sprintf("%s%d-%d", nsPrefix, os.Getpid(), netCounter.Add(1)),
		Timeline: NewTimeline(),
		byName:   map[string]*Node{},
		cut:      map[*Node]bool{},
	}
	n.hub = n.prefix + "-hub"
	t.Cleanup(n.destroy)
	if err := run("ip", "netns", "add", n.hub); err != nil {
		realredis.Missing(t, "partition: cannot create a network namespace: %v", err)
	}
	for _, args := range [][]string{
		{"ip", "-n", n.hub, "link", "add", "br0", "type", "bridge"},
		{"ip", "-n", n.hub, "link", "set", "br0", "up"},
		{"ip", "-n", n.hub, "link", "set", "lo", "up"},
	} {
		if err := run(args...); err != nil {
			t.Fatalf("partition: %v", err)
		}
	}
	return n
}

// netnsUsable says why this machine cannot run the harness, or nil.
func netnsUsable() error {
	if os.Geteuid() != 0 {
		return errors.New("not root")
	}
	for _, bin := range []string{"ip", "iptables-restore", "iptables"} {
		if _, err := exec.LookPath(bin); err != nil {
			return fmt.Errorf("%s: %w", bin, err)
		}
	}
	return nil
}

// sweepStale deletes namespaces left behind by a test binary that died before its Cleanup
// ran (SIGKILL, a timeout panic): ours carry the PID of their creator, and a PID that no
// longer exists cannot be using them.
func sweepStale() {
	entries, _ := os.ReadDir(netnsDir)
	for _, e := range entries {
		name := e.Name()
		if !strings.HasPrefix(name, nsPrefix) {
			continue
		}
		pidText, _, _ := strings.Cut(strings.TrimPrefix(name, nsPrefix), "-")
		pid, err := strconv.Atoi(pidText)
		if err != nil || pid == os.Getpid() {
			continue
		}
		if err := syscall.Kill(pid, 0); errors.Is(err, syscall.ESRCH) {
			_ = run("ip", "netns", "del", name)
		}
	}
}

// Node returns the node called name, creating its namespace on first use: loopback up, and
// eth0 at the next free address of the subnet, its peer on the hub's bridge.
func (n *Net) Node(name string) *Node {
	n.t.Helper()
	n.mu.Lock()
	defer n.mu.Unlock()
	if nd, ok := n.byName[name]; ok {
		return nd
	}
	idx := len(n.nodes) + 1
	if idx > 250 {
		n.t.Fatalf("partition: more than 250 nodes in one Net")
	}
	nd := &Node{Name: name, IP: subnet + strconv.Itoa(idx), ns: n.prefix + "-" + name, net: n}
	peer := "v" + strconv.Itoa(idx) // names inside the hub namespace only
	for _, args := range [][]string{
		{"ip", "netns", "add", nd.ns},
		{"ip", "-n", n.hub, "link", "add", peer, "type", "veth", "peer", "name", "eth0", "netns", nd.ns},
		{"ip", "-n", n.hub, "link", "set", peer, "master", "br0", "up"},
		{"ip", "-n", nd.ns, "link", "set", "lo", "up"},
		{"ip", "-n", nd.ns, "addr", "add", nd.IP + "/24", "dev", "eth0"},
		{"ip", "-n", nd.ns, "link", "set", "eth0", "up"},
	} {
		if err := run(args...); err != nil {
			n.t.Fatalf("partition: node %s: %v", name, err)
		}
	}
	n.nodes = append(n.nodes, nd)
	n.byName[name] = nd
	return nd
}

// Nodes returns every node made so far, in creation order.
func (n *Net) Nodes() []*Node {
	n.mu.Lock()
	defer n.mu.Unlock()
	return append([]*Node(nil), n.nodes...)
}

// destroy deletes every namespace of n; deleting a namespace deletes its veth end and with
// it the peer. Processes still inside would keep the namespace alive, so the Procs' own
// Cleanups (registered later, so run earlier) have killed them by then.
func (n *Net) destroy() {
	n.mu.Lock()
	nodes := n.nodes
	n.mu.Unlock()
	for _, nd := range nodes {
		if err := run("ip", "netns", "del", nd.ns); err != nil {
			n.t.Errorf("partition: %v", err)
		}
	}
	if err := run("ip", "netns", "del", n.hub); err != nil && !strings.Contains(err.Error(), "No such file") {
		n.t.Errorf("partition: %v", err)
	}
}

// String is the node's name and address, as the timeline shows it.
func (nd *Node) String() string { return nd.Name + "(" + nd.IP + ")" }

// Addr is the node's address with port.
func (nd *Node) Addr(port int) string { return net.JoinHostPort(nd.IP, strconv.Itoa(port)) }

// Dial opens a connection from inside the node's namespace, as a process on that node
// would: it is cut off by the node's partitions. It fits go-redis's Options.Dialer.
func (nd *Node) Dial(ctx context.Context, network, addr string) (net.Conn, error) {
	var c net.Conn
	err := nd.inside(func() error {
		var err error
		c, err = (&net.Dialer{}).DialContext(ctx, network, addr)
		return err
	})
	return c, err
}

// Listen opens a listener inside the node's namespace.
func (nd *Node) Listen(network, addr string) (net.Listener, error) {
	var l net.Listener
	err := nd.inside(func() error {
		var err error
		l, err = net.Listen(network, addr)
		return err
	})
	return l, err
}

// inside runs fn on an OS thread switched into the node's namespace. A socket belongs to the
// namespace it was created in for its whole life, so the connection fn makes stays there
// after the thread has switched back. Should switching back fail, the thread stays locked
// and dies with this goroutine rather than carry the wrong namespace to other goroutines.
func (nd *Node) inside(fn func() error) error {
	target, err := os.Open(filepath.Join(netnsDir, nd.ns))
	if err != nil {
		return fmt.Errorf("partition: %s: %w", nd.Name, err)
	}
	defer target.Close()
	errc := make(chan error, 1)
	// A fresh goroutine: its thread is given up on failure without harming the caller's.
	go func() {
		runtime.LockOSThread()
		self, err := os.Open("/proc/thread-self/ns/net")
		if err != nil {
			runtime.UnlockOSThread()
			errc <- err
			return
		}
		defer self.Close()
		if err := setns(target.Fd()); err != nil {
			runtime.UnlockOSThread()
			errc <- fmt.Errorf("partition: setns %s: %w", nd.Name, err)
			return
		}
		ferr := fn()
		if err := setns(self.Fd()); err != nil {
			errc <- fmt.Errorf("partition: setns back from %s: %w", nd.Name, err)
			return // the thread stays locked and exits with this goroutine
		}
		runtime.UnlockOSThread()
		errc <- ferr
	}()
	return <-errc
}

func setns(fd uintptr) error { return unix.Setns(int(fd), unix.CLONE_NEWNET) }

// exec runs a short command inside the node's namespace.
func (nd *Node) exec(stdin string, args ...string) error {
	return runIn(stdin, append([]string{"ip", "netns", "exec", nd.ns}, args...)...)
}

func run(args ...string) error { return runIn("", args...) }

func runIn(stdin string, args ...string) error {
	ctx, cancel := context.WithTimeout(context.Background(), cmdWait)
	defer cancel()
	cmd := exec.CommandContext(ctx, args[0], args[1:]...)
	if stdin != "" {
		cmd.Stdin = strings.NewReader(stdin)
	}
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("%s: %v: %s", strings.Join(args, " "), err, strings.TrimSpace(out.String()))
	}
	return nil
}
