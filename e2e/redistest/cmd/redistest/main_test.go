package main

import (
	"bufio"
	"context"
	"io"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"go.uber.org/goleak"

	"github.com/sentinel-go/sentinel/internal/tlstest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

var (
	masterLine  = regexp.MustCompile(`^master (127\.0\.0\.1:\d+)$`)
	replicaLine = regexp.MustCompile(`^replica (127\.0\.0\.1:\d+) of (127\.0\.0\.1:\d+)$`)
)

func TestStartTwoMastersOneReplicaEach(t *testing.T) {
	var out strings.Builder
	top := topology{Masters: 2, Replicas: 1, Bind: "127.0.0.1", RequirePass: "secret", SyncTimeout: 30 * time.Second}
	insts, err := top.Start(context.Background(), &out)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { closeAll(insts) })

	lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
	if len(lines) != 5 || lines[4] != "ready" {
		t.Fatalf("want 4 instance lines and ready, got:\n%s", out.String())
	}
	if len(insts) != 4 {
		t.Fatalf("got %d instances, want 4", len(insts))
	}
	for i, pair := range [][2]int{{0, 1}, {2, 3}} {
		m := masterLine.FindStringSubmatch(lines[pair[0]])
		r := replicaLine.FindStringSubmatch(lines[pair[1]])
		if m == nil || r == nil {
			t.Fatalf("master %d: unexpected lines %q, %q", i, lines[pair[0]], lines[pair[1]])
		}
		if r[2] != m[1] {
			t.Errorf("replica %s follows %s, want %s", r[1], r[2], m[1])
		}
		master, replica := insts[pair[0]], insts[pair[1]]
		if master.Addr() != m[1] || replica.Addr() != r[1] {
			t.Errorf("printed %s, %s; instances are at %s, %s", m[1], r[1], master.Addr(), replica.Addr())
		}
		// Start only reports ready with the links up, so no waiting is needed here.
		info := replica.Info("replication")
		for _, want := range []string{"role:slave", "master_link_status:up", "master_port:" + portOf(m[1])} {
			if !strings.Contains(info, want+"\r\n") {
				t.Errorf("replica %s: INFO replication lacks %q:\n%s", r[1], want, info)
			}
		}
	}
}

func TestStartFixedPorts(t *testing.T) {
	base := freePortRun(t, 3)
	var out strings.Builder
	top := topology{Masters: 1, Replicas: 2, Bind: "127.0.0.1", Port: base}
	insts, err := top.Start(context.Background(), &out)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { closeAll(insts) })
	for i, s := range insts {
		if s.Port() != base+i {
			t.Errorf("instance %d on port %d, want %d", i, s.Port(), base+i)
		}
	}
}

func TestStartRejectsBadTopology(t *testing.T) {
	for _, top := range []topology{
		{Masters: 0, Bind: "127.0.0.1"},
		{Masters: 1, Replicas: -1, Bind: "127.0.0.1"},
		{Masters: 2, Bind: "127.0.0.1", Port: 65535},
	} {
		if insts, err := top.Start(context.Background(), io.Discard); err == nil {
			closeAll(insts)
			t.Errorf("%+v: started, want an error", top)
		}
	}
}

// started is a run of the program that printed ready.
type started struct {
	lines []string // what it printed, ready last
	stop  context.CancelFunc
	done  chan int // its exit code
}

// runReady runs the program with args until it prints ready, and stops it and waits for it
// when the test ends.
func runReady(t *testing.T, args ...string) *started {
	t.Helper()
	ctx, stop := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	r := &started{stop: stop, done: make(chan int, 1)}
	go func() {
		r.done <- run(ctx, args, pw, io.Discard)
		pw.Close()
	}()
	lines := make(chan string)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			lines <- sc.Text()
		}
	}()
	// Whatever happens below, stop the program and wait for it, so no instance outlives
	// the test.
	t.Cleanup(func() {
		stop()
		for range lines {
		}
	})
	timeout := time.After(30 * time.Second)
	for len(r.lines) == 0 || r.lines[len(r.lines)-1] != "ready" {
		select {
		case l, ok := <-lines:
			if !ok {
				t.Fatalf("output ended before ready: %q (exit %d)", r.lines, <-r.done)
			}
			r.lines = append(r.lines, l)
		case <-timeout:
			t.Fatalf("no ready within 30s; got %q", r.lines)
		}
	}
	return r
}

// TestRunUntilStopped drives the program as a user does: flags in, lines out, then the
// signal (here the context main derives from SIGINT and SIGTERM) ends it.
func TestRunUntilStopped(t *testing.T) {
	r := runReady(t, "-masters", "2", "-replicas", "1", "-quiet", "-config", "repl-diskless-sync=no")
	got := r.lines
	if len(got) != 5 {
		t.Fatalf("got %q, want 4 instance lines and ready", got)
	}
	r.stop()
	select {
	case code := <-r.done:
		if code != 0 {
			t.Fatalf("exit code %d, want 0", code)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("run did not return within 30s of being stopped")
	}
	// Every instance was closed: its port refuses connections.
	for _, l := range got[:len(got)-1] {
		addr := strings.Fields(l)[1]
		if c, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
			c.Close()
			t.Errorf("%s still accepts connections after shutdown", addr)
		}
	}
}

// TestRunTLS runs the program with the TLS flags: every instance answers a client with the
// CA's certificate over TLS, refuses plaintext, and the replica's link (over TLS) is up.
func TestRunTLS(t *testing.T) {
	k := tlstest.NewT(t)
	cc := k.Client
	got := runReady(t, "-replicas", "1", "-quiet", "-tls-cert-file", k.Files.Cert, "-tls-key-file", k.Files.Key,
		"-tls-ca-cert-file", k.Files.CA).lines
	if len(got) != 3 || masterLine.FindStringSubmatch(got[0]) == nil || replicaLine.FindStringSubmatch(got[1]) == nil {
		t.Fatalf("got %q, want a master line, a replica line and ready", got)
	}
	for i, want := range []string{"role:master", "master_link_status:up"} {
		addr := strings.Fields(got[i])[1]
		c := redis.NewClient(&redis.Options{Addr: addr, TLSConfig: cc, DisableIdentity: true, MaxRetries: -1,
			DialTimeout: 2 * time.Second, ReadTimeout: 5 * time.Second})
		info, err := c.Info(context.Background(), "replication").Result()
		c.Close()
		if err != nil || !strings.Contains(info, want+"\r\n") {
			t.Errorf("%s: INFO replication over TLS = %v; want it to contain %q:\n%s", addr, err, want, info)
		}
		p := redis.NewClient(&redis.Options{Addr: addr, DisableIdentity: true, MaxRetries: -1,
			DialTimeout: 2 * time.Second, ReadTimeout: 2 * time.Second})
		if err := p.Ping(context.Background()).Err(); err == nil {
			t.Errorf("%s answered a plaintext PING", addr)
		}
		p.Close()
	}
}

func TestRunBadFlags(t *testing.T) {
	for _, args := range [][]string{{"-config", "novalue"}, {"-masters", "x"}, {"extra"},
		{"-tls-cert-file", "c.crt"}, {"-tls-cert-file", "c", "-tls-key-file", "k", "-tls-ca-cert-file", "ca", "-tls-auth-clients", "maybe"},
		{"-tls-cert-file", "missing.crt", "-tls-key-file", "missing.key", "-tls-ca-cert-file", "missing-ca.crt"}} {
		if code := run(context.Background(), args, io.Discard, io.Discard); code != 2 {
			t.Errorf("%q: exit code %d, want 2", args, code)
		}
	}
}

func portOf(addr string) string {
	_, p, _ := net.SplitHostPort(addr)
	return p
}

// freePortRun finds n consecutive free loopback ports. Ports free now may be taken before
// we use them, which is as good as fixed ports get without the kernel choosing.
func freePortRun(t *testing.T, n int) int {
	t.Helper()
	for range 50 {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		base := l.Addr().(*net.TCPAddr).Port
		l.Close()
		ok := base+n-1 <= 65535
		for p := base + 1; ok && p < base+n; p++ {
			c, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(p)))
			if err != nil {
				ok = false
				break
			}
			c.Close()
		}
		if ok {
			return base
		}
	}
	t.Fatal("no run of free ports found")
	return 0
}

// TestRunReplicasOfAnotherProcess hosts masters in one run and their replicas in another,
// fed the first one's output, as the mass-failure benchmark does so that one kill takes
// every master down.
func TestRunReplicasOfAnotherProcess(t *testing.T) {
	masters := runReady(t, "-masters", "2")
	list := filepath.Join(t.TempDir(), "masters")
	if err := os.WriteFile(list, []byte(strings.Join(masters.lines, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	replicas := runReady(t, "-replicas-of", list, "-replicas", "2", "-bind", "127.0.0.1")
	if len(replicas.lines) != 5 {
		t.Fatalf("want 4 replica lines and ready, got %q", replicas.lines)
	}
	for i, line := range replicas.lines[:4] {
		r := replicaLine.FindStringSubmatch(line)
		want := strings.TrimPrefix(masters.lines[i/2], "master ")
		if r == nil || r[2] != want {
			t.Errorf("line %d: %q, want a replica of %s", i, line, want)
		}
	}
}

func TestRunReplicasOfRejectsMasters(t *testing.T) {
	list := filepath.Join(t.TempDir(), "masters")
	if err := os.WriteFile(list, []byte("127.0.0.1:1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{
		{"-replicas-of", list, "-masters", "1", "-replicas", "1"},
		{"-replicas-of", list}, // no replicas to host
		{"-replicas-of", filepath.Join(t.TempDir(), "missing"), "-replicas", "1"},
	} {
		if code := run(context.Background(), args, io.Discard, io.Discard); code == 0 {
			t.Errorf("%q: exit 0, want an error", args)
		}
	}
}

func TestParseMasterList(t *testing.T) {
	got, err := parseMasterList(strings.NewReader("master 127.0.0.1:7000\nreplica 127.0.0.1:7001 of 127.0.0.1:7000\n\n127.0.0.2:7002\nready\n"))
	if err != nil || !slices.Equal(got, []string{"127.0.0.1:7000", "127.0.0.2:7002"}) {
		t.Errorf("got %q, %v", got, err)
	}
	for _, bad := range []string{"", "ready\n", "127.0.0.1\n", "127.0.0.1:0\n", ":7000\n", "127.0.0.1:7000\n127.0.0.1:7000\n"} {
		if got, err := parseMasterList(strings.NewReader(bad)); err == nil {
			t.Errorf("%q: got %q, want an error", bad, got)
		}
	}
}

// FuzzParseMasterList: any input either fails or yields distinct, valid host:port
// addresses.
func FuzzParseMasterList(f *testing.F) {
	for _, s := range []string{"master 127.0.0.1:7000\nready\n", "127.0.0.1:1\n[::1]:2\n", "x\n", "master  127.0.0.1:65536\n", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		addrs, err := parseMasterList(strings.NewReader(s))
		if err != nil {
			return
		}
		seen := map[string]bool{}
		for _, a := range addrs {
			host, port, err := net.SplitHostPort(a)
			if err != nil || host == "" || port == "" || seen[a] {
				t.Fatalf("%q: bad or repeated address %q in %q", s, a, addrs)
			}
			seen[a] = true
		}
	})
}
