package main

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/sentinel-go/sentinel/e2e/redistest"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run is the program without the process around it: it serves until ctx ends and returns
// the exit code.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("redistest", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var t topology
	cfg := configFlag{}
	fs.IntVar(&t.Masters, "masters", 1, "number of masters")
	fs.IntVar(&t.Replicas, "replicas", 0, "replicas per master")
	fs.StringVar(&t.Bind, "bind", "127.0.0.1", "address to listen on")
	fs.IntVar(&t.Port, "port", 0, "port of the first instance; the others follow in the order printed (0: ports chosen by the kernel)")
	fs.StringVar(&t.RequirePass, "requirepass", "", "password of every instance (also set as masterauth)")
	fs.Var(cfg, "config", "a `name=value` config parameter for every instance (repeatable)")
	fs.DurationVar(&t.SyncTimeout, "sync-timeout", time.Minute, "how long to wait for the replicas' first sync before giving up")
	var tf tlsFiles
	fs.StringVar(&tf.Cert, "tls-cert-file", "", "`path` of the PEM certificate every instance presents, as server and as replica; turns TLS on")
	fs.StringVar(&tf.Key, "tls-key-file", "", "`path` of the certificate's PEM private key")
	fs.StringVar(&tf.CA, "tls-ca-cert-file", "", "`path` of the PEM CA certificates that verify clients and masters")
	fs.StringVar(&tf.AuthClients, "tls-auth-clients", "yes", "yes: clients must present a certificate the CA signed; optional: verified if presented; no: not asked for")
	replicasOf := fs.String("replicas-of", "", "`path` of a file of master addresses (host:port, or redistest's own \"master host:port\" lines; \"-\" reads stdin): host no masters, only -replicas replicas of each of those")
	quiet := fs.Bool("quiet", false, "log warnings and errors only")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "redistest: unexpected argument %q\n", fs.Arg(0))
		return 2
	}
	t.Config = cfg
	if *replicasOf != "" {
		mastersSet := false
		fs.Visit(func(f *flag.Flag) { mastersSet = mastersSet || f.Name == "masters" })
		if mastersSet {
			fmt.Fprintln(stderr, "redistest: -masters and -replicas-of exclude each other: with -replicas-of the masters live elsewhere")
			return 2
		}
		var err error
		if t.ReplicasOf, err = readMasterList(*replicasOf, os.Stdin); err != nil {
			fmt.Fprintf(stderr, "redistest: -replicas-of: %v\n", err)
			return 2
		}
	}
	if tf != (tlsFiles{AuthClients: tf.AuthClients}) {
		var err error
		if t.TLS, t.ReplicationTLS, err = tf.configs(); err != nil {
			fmt.Fprintf(stderr, "redistest: %v\n", err)
			return 2
		}
	}
	level := hclog.Info
	if *quiet {
		level = hclog.Warn
	}
	t.Logger = hclog.New(&hclog.LoggerOptions{Name: "redistest", Level: level, Output: stderr})

	insts, err := t.Start(ctx, stdout)
	if err != nil {
		if ctx.Err() != nil {
			return 0 // interrupted while waiting for the replicas: a shutdown, not a failure
		}
		t.Logger.Error("start failed", "error", err)
		return 1
	}
	<-ctx.Done()
	t.Logger.Info("shutting down", "instances", len(insts))
	closeAll(insts)
	return 0
}

// topology says which instances to host and how.
type topology struct {
	Masters  int
	Replicas int // per master
	// ReplicasOf, if set, are masters hosted elsewhere (another redistest process, so one
	// kill takes them all down at once): then no master is started, Masters is ignored, and
	// each of these gets Replicas replicas here.
	ReplicasOf  []string
	Bind        string
	Port        int // first port; 0 lets the kernel choose each one
	RequirePass string
	Config      map[string]string
	SyncTimeout time.Duration
	Logger      hclog.Logger
	// TLS and ReplicationTLS are every instance's redistest.Options of those names.
	TLS, ReplicationTLS *tls.Config
}

// Start starts the instances, writes their lines and "ready" to w, and returns them in
// the order printed. On error it closes whatever it had started. ctx only bounds the wait
// for the replicas' first sync.
func (t topology) Start(ctx context.Context, w io.Writer) ([]*redistest.Server, error) {
	count := t.Masters * (1 + t.Replicas)
	if t.ReplicasOf != nil {
		if t.Replicas < 1 {
			return nil, fmt.Errorf("replicas of %d remote masters: need at least one replica each (got %d)", len(t.ReplicasOf), t.Replicas)
		}
		count = len(t.ReplicasOf) * t.Replicas
	} else if t.Masters < 1 || t.Replicas < 0 {
		return nil, fmt.Errorf("need at least one master and no negative replica count (got %d, %d)", t.Masters, t.Replicas)
	}
	if t.Port < 0 || t.Port > 0 && t.Port+count-1 > 65535 {
		return nil, fmt.Errorf("ports from %d do not fit %d instances", t.Port, count)
	}
	if t.Logger == nil {
		t.Logger = hclog.NewNullLogger()
	}
	cfg := map[string]string{}
	if t.RequirePass != "" {
		// With requirepass a replica cannot sync unless it knows the password; every
		// instance gets masterauth so roles can later swap, as after a failover.
		cfg["requirepass"] = t.RequirePass
		cfg["masterauth"] = t.RequirePass
	}
	for k, v := range t.Config { // explicit -config wins over the defaults above
		cfg[k] = v
	}

	var insts, replicas []*redistest.Server
	var lines []string
	next := t.Port
	start := func(name, replicaOf string) (*redistest.Server, error) {
		port := 0
		if t.Port > 0 {
			port = next
			next++
		}
		s, err := redistest.Start(redistest.Options{
			Addr:           net.JoinHostPort(t.Bind, strconv.Itoa(port)),
			ReplicaOf:      replicaOf,
			Config:         cfg,
			Logger:         t.Logger.Named(name),
			TLS:            t.TLS,
			ReplicationTLS: t.ReplicationTLS,
		})
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		insts = append(insts, s)
		return s, nil
	}
	masters := t.Masters
	if t.ReplicasOf != nil {
		masters = len(t.ReplicasOf)
	}
	for m := range masters {
		var maddr string
		if t.ReplicasOf != nil {
			maddr = t.ReplicasOf[m]
		} else {
			master, err := start(fmt.Sprintf("m%d", m), "")
			if err != nil {
				closeAll(insts)
				return nil, err
			}
			maddr = dialAddr(master)
			lines = append(lines, "master "+maddr)
		}
		for r := range t.Replicas {
			replica, err := start(fmt.Sprintf("m%d-r%d", m, r), maddr)
			if err != nil {
				closeAll(insts)
				return nil, err
			}
			replicas = append(replicas, replica)
			lines = append(lines, "replica "+dialAddr(replica)+" of "+maddr)
		}
	}
	if err := waitLinked(ctx, replicas, t.SyncTimeout); err != nil {
		closeAll(insts)
		return nil, err
	}
	// The lines go out only now, in one write, so a reader that sees them can rely on
	// "ready" following at once and on every address in them answering.
	lines = append(lines, "ready")
	if _, err := io.WriteString(w, strings.Join(lines, "\n")+"\n"); err != nil {
		closeAll(insts)
		return nil, err
	}
	return insts, nil
}

// waitLinked waits until every replica reports master_link_status:up, so "ready" means a
// topology a sentinel can discover at once. A timeout of 0 means one minute.
func waitLinked(ctx context.Context, replicas []*redistest.Server, timeout time.Duration) error {
	if timeout <= 0 {
		timeout = time.Minute
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for _, r := range replicas {
		for !strings.Contains(r.Info("replication"), "master_link_status:up") {
			select {
			case <-ctx.Done():
				return fmt.Errorf("replica %s did not sync with its master: %w", r.Addr(), context.Cause(ctx))
			case <-tick.C:
			}
		}
	}
	return nil
}

// dialAddr is the address a client dials to reach s: a wildcard bind is reachable on
// loopback, while "0.0.0.0:port" would be no use to a replica on another host.
func dialAddr(s *redistest.Server) string {
	host, port, err := net.SplitHostPort(s.Addr())
	if err != nil {
		return s.Addr()
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsUnspecified() {
		if ip.To4() != nil {
			host = "127.0.0.1"
		} else {
			host = "::1"
		}
	}
	return net.JoinHostPort(host, port)
}

// closeAll closes instances in reverse order of start, replicas before their master, so
// no replica logs a lost link during an orderly shutdown.
func closeAll(insts []*redistest.Server) {
	for i := len(insts) - 1; i >= 0; i-- {
		insts[i].Close()
	}
}

// readMasterList reads -replicas-of's file ("-": stdin).
func readMasterList(path string, stdin io.Reader) ([]string, error) {
	r := stdin
	if path != "-" {
		f, err := os.Open(path)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		r = f
	}
	return parseMasterList(r)
}

// parseMasterList reads master addresses, one a line: a bare host:port, or a "master
// host:port" line as this program prints it, so one process's output can be fed to the
// next. Blank lines, "replica ..." lines and "ready" are skipped. The list must not be
// empty and must not name a master twice.
func parseMasterList(r io.Reader) ([]string, error) {
	var addrs []string
	seen := map[string]bool{}
	sc := bufio.NewScanner(r)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || line == "ready" || strings.HasPrefix(line, "replica ") {
			continue
		}
		addr := strings.TrimSpace(strings.TrimPrefix(line, "master "))
		host, port, err := net.SplitHostPort(addr)
		if err != nil || host == "" {
			return nil, fmt.Errorf("line %d: %q is not host:port", n, line)
		}
		if p, err := strconv.Atoi(port); err != nil || p < 1 || p > 65535 {
			return nil, fmt.Errorf("line %d: bad port in %q", n, line)
		}
		if seen[addr] {
			return nil, fmt.Errorf("line %d: %s listed twice", n, addr)
		}
		seen[addr] = true
		addrs = append(addrs, addr)
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if len(addrs) == 0 {
		return nil, errors.New("no master address in the list")
	}
	return addrs, nil
}

// configFlag collects repeated -config name=value flags.
type configFlag map[string]string

func (c configFlag) String() string {
	if len(c) == 0 {
		return ""
	}
	parts := make([]string, 0, len(c))
	for k, v := range c {
		parts = append(parts, k+"="+v)
	}
	sort.Strings(parts)
	return strings.Join(parts, ",")
}

func (c configFlag) Set(s string) error {
	k, v, ok := strings.Cut(s, "=")
	if !ok || k == "" {
		return fmt.Errorf("want name=value, got %q", s)
	}
	c[strings.ToLower(k)] = v
	return nil
}

// tlsFiles are the TLS flags, with redis.conf's names and meanings.
type tlsFiles struct {
	Cert, Key, CA string
	AuthClients   string // yes, optional or no
}

// configs loads the files into the server config of the instances' listeners and the
// client config of their replication links. As redis-server does without
// tls-client-cert-file, the one certificate serves both sides.
func (f tlsFiles) configs() (server, client *tls.Config, err error) {
	if f.Cert == "" || f.Key == "" || f.CA == "" {
		return nil, nil, errors.New("TLS needs all of -tls-cert-file, -tls-key-file and -tls-ca-cert-file")
	}
	auth := map[string]tls.ClientAuthType{"yes": tls.RequireAndVerifyClientCert, "optional": tls.VerifyClientCertIfGiven,
		"no": tls.NoClientCert}
	clientAuth, ok := auth[strings.ToLower(f.AuthClients)]
	if !ok {
		return nil, nil, fmt.Errorf("-tls-auth-clients %q: want yes, optional or no", f.AuthClients)
	}
	cert, err := tls.LoadX509KeyPair(f.Cert, f.Key)
	if err != nil {
		return nil, nil, fmt.Errorf("TLS certificate: %w", err)
	}
	pem, err := os.ReadFile(f.CA)
	if err != nil {
		return nil, nil, fmt.Errorf("TLS CA: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, nil, fmt.Errorf("TLS CA: no certificate in %s", f.CA)
	}
	certs := []tls.Certificate{cert}
	server = &tls.Config{Certificates: certs, ClientCAs: pool, ClientAuth: clientAuth, MinVersion: tls.VersionTLS12}
	client = &tls.Config{Certificates: certs, RootCAs: pool, MinVersion: tls.VersionTLS12}
	return server, client, nil
}
