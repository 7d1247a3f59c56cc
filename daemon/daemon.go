package daemon

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/sentinel-go/sentinel/config"
	"github.com/sentinel-go/sentinel/driver"
	"github.com/sentinel-go/sentinel/endpoint"
	"github.com/sentinel-go/sentinel/internal/redislog"
	"github.com/sentinel-go/sentinel/metrics"
	"github.com/sentinel-go/sentinel/monitor"
	"github.com/sentinel-go/sentinel/script"
	"github.com/sentinel-go/sentinel/transport"
)

// Run is `sentinel <config> [--name value ...]`: it loads the config file at path with the
// extra arguments as further config lines, builds the sentinel's pieces, runs them until ctx
// ends (or SIGINT, SIGTERM, SHUTDOWN) and returns the process's exit code. Log lines go to
// stdout (or the logfile), fatal reports to stderr, as redis-sentinel writes them. An empty
// path is a missing config file, answered with redis-sentinel's words.
func Run(ctx context.Context, path string, extra []string, stdout, stderr io.Writer) int {
	if path == "" {
		// redis-sentinel's answer to a missing config file, word for word.
		early(stdout).Warn("Sentinel needs config file on disk to save state. Exiting...")
		return 1
	}
	cfg, err := config.Load(path, extra)
	if err != nil {
		// Reported as redis-sentinel reports it: log lines on stdout, the fatal block on
		// stderr, so that wrappers parsing either keep working.
		var le *config.LineError
		var oe *config.OpenError
		switch {
		case errors.As(err, &le):
			if le.Unresolved != "" {
				early(stdout).Warn(fmt.Sprintf("Failed to resolve hostname '%s'", le.Unresolved))
			}
			fmt.Fprint(stderr, le.Report())
		case errors.As(err, &oe):
			early(stdout).Warn(fmt.Sprintf("Fatal error, can't open config file '%s': %s", oe.Path, oe.Strerror()))
		default:
			fmt.Fprintf(stderr, "sentinel: %v\n", err)
		}
		return 1
	}
	// A sentinel that cannot save its votes and epochs is unsafe: refuse to start, as
	// redis-sentinel does.
	if err := cfg.CheckWritable(); err != nil {
		fmt.Fprintln(stderr, strings.TrimPrefix(err.Error(), config.ErrNotWritable.Error()+": ")+". Exiting...")
		return 1
	}
	if cfg.Daemonize && cfg.Supervised != "systemd" {
		child, err := daemonize()
		if err != nil {
			fmt.Fprintf(stderr, "sentinel: daemonize: %v\n", err)
			return 1
		}
		if !child {
			return 0
		}
	}
	if cfg.Dir != "" {
		if err := os.Chdir(cfg.Dir); err != nil {
			fmt.Fprintf(stderr, "Can't chdir to '%s': %v\n", cfg.Dir, err)
			return 1
		}
	}
	logger, err := newLogger(cfg, stdout)
	if err != nil {
		fmt.Fprintf(stderr, "sentinel: %v\n", err)
		return 1
	}
	d := &daemon{cfg: cfg, log: logger}
	if err := d.run(ctx); err != nil {
		if errors.Is(err, errReported) {
			return 1
		}
		if errors.Is(err, driver.ErrSimulatedCrash) {
			return 99 // redis-sentinel's exit code for SENTINEL SIMULATE-FAILURE
		}
		if !errors.Is(err, errLogged) {
			logger.Error(err.Error())
		}
		return 1
	}
	return 0
}

// errLogged is a fatal error already logged.
var errLogged = errors.New("sentinel: fatal error logged")

// early is the logger for what happens before the config is loaded: Redis's format on
// stdout, as redis-sentinel logs before it knows its logfile.
func early(stdout io.Writer) hclog.Logger {
	return redislog.New(redislog.Options{Output: stdout, Level: hclog.Info, Pid: os.Getpid()})
}

// newLogger builds the configured logger: Redis's line format by default, or hclog's text
// or JSON, to the logfile or stdout.
func newLogger(cfg *config.Config, stdout io.Writer) (hclog.Logger, error) {
	level, err := redislog.ParseLevel(cfg.LogLevel)
	if err != nil {
		return nil, err
	}
	out := stdout
	if cfg.Logfile != "" {
		if out, err = redislog.Open(cfg.Logfile); err != nil {
			return nil, fmt.Errorf("can't open the log file: %w", err)
		}
	}
	// syslog-enabled: Redis logs each record to the logfile (or stdout) and to syslog.
	var sys *redislog.Syslog
	if enabled, ident, facility := cfg.Syslog(); enabled {
		if sys, err = redislog.NewSyslog(redislog.SyslogOptions{Ident: ident, Facility: facility, Path: syslogPath}); err != nil {
			return nil, err
		}
	}
	switch cfg.LogFormat {
	case "text", "json":
		if sys != nil {
			out = sys.Tee(out)
		}
		return hclog.New(&hclog.LoggerOptions{
			Name: "sentinel", Level: level, Output: out, JSONFormat: cfg.LogFormat == "json",
			TimeFormat: "2006-01-02T15:04:05.000Z07:00",
		}), nil
	}
	return redislog.New(redislog.Options{Output: out, Level: level, Pid: os.Getpid(), Syslog: sys}), nil
}

// syslogPath is where syslog records go; tests point it at a socket of their own.
var syslogPath = "/dev/log"

// daemon is a running sentinel: the monitoring driver, its links and the RESP endpoint.
type daemon struct {
	cfg *config.Config
	log hclog.Logger
	srv *endpoint.Server
	// metrics counts the events for /metrics; nil while metrics are off.
	metrics *metrics.Metrics
}

// fileStore saves the state by rewriting the config file, logging as redis-sentinel does.
type fileStore struct{ log hclog.Logger }

func (s fileStore) Save(c *config.Config) error {
	if err := c.Rewrite(); err != nil {
		s.log.Warn("WARNING: Sentinel was not able to save the new configuration on disk!!!: " + err.Error())
		return err
	}
	s.log.Info("Sentinel new configuration saved on disk")
	return nil
}

func (d *daemon) run(ctx context.Context) error {
	cfg, log := d.cfg, d.log
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM)
	defer signal.Stop(sigs)
	go func() {
		select {
		case s := <-sigs:
			name := "SIGTERM"
			if s == syscall.SIGINT {
				name = "SIGINT"
			}
			log.Warn(fmt.Sprintf("Received %s scheduling shutdown...", name))
			cancel()
		case <-ctx.Done():
		}
	}()

	log.Warn("oO0OoO0OoO0Oo Sentinel is starting oO0OoO0OoO0Oo")
	log.Warn(fmt.Sprintf("%s, pid=%d, just started", VersionLine(), os.Getpid()))
	log.Warn("Configuration loaded")
	tlsd, err := setupTLS(cfg, log)
	if err != nil {
		return err
	}
	var drv *driver.Driver
	linkOpts := transport.Options{
		Observe:    func(o monitor.Observation) { drv.Observe(o) },
		SourceAddr: cfg.BindSourceAddr,
		Logger:     log.Named("link"),
	}
	if tlsd.settings.Replication {
		linkOpts.TLS = tlsd.store.ClientConfig() // tls-replication: every instance and peer link
	}
	links := transport.New(linkOpts)
	// Script events (-script-error, -script-timeout) are events like the core's: logged
	// and published; the runner's debug ones (+script-child) only logged.
	scripts := script.New(script.Options{Event: func(e script.Event) {
		level := monitor.Warning
		if e.Level == script.Debug {
			level = monitor.Debug
		}
		d.event(monitor.Event{Level: level, Type: e.Type, Message: e.Message})
	}})
	if cfg.MetricsAddress != "" {
		// drv is set below, before any event or scrape can come.
		d.metrics = metrics.New(metrics.Options{
			View:    func() *monitor.View { return drv.View() },
			Scripts: scripts.Stats,
		})
	}
	// Rewrites write the endpoint's live users, as redis-sentinel does; until it exists,
	// the file's.
	cfg.LiveUsers = func() []string {
		if d.srv == nil {
			return nil
		}
		return d.srv.UserLines()
	}
	drv, err = driver.New(driver.Options{
		Config:    cfg,
		Store:     fileStore{log: log},
		Transport: links,
		Events:    d.event,
		Logs:      func(l monitor.LogLine) { logAt(log, l.Level, l.Text) },
		Scripts:   scripts,
	})
	if err != nil {
		return err
	}

	listeners, err := endpoint.Listen(cfg.Bind, cfg.Port)
	if err != nil {
		log.Warn(fmt.Sprintf("Could not create server TCP listening socket %s: %v",
			net.JoinHostPort(firstBind(cfg.Bind), strconv.Itoa(cfg.Port)), err))
		return fmt.Errorf("listen: %w", err)
	}
	tlsListeners, err := tlsd.listen(cfg, log)
	if err != nil {
		for _, l := range listeners {
			l.Close()
		}
		return err
	}
	listeners = append(listeners, tlsListeners...)
	defer tlsd.watch(ctx, log)()
	limits, err := limitsOf(cfg, log)
	if err != nil {
		return err
	}
	unix, err := listenUnix(cfg)
	if err != nil {
		// initListeners: "Failed opening Unix socket: ...", then exit 1.
		log.Warn("Failed opening Unix socket: " + err.Error())
		for _, l := range listeners {
			l.Close()
		}
		return errLogged
	}
	if unix != nil {
		listeners = append(listeners, unix)
	}
	exe, _ := os.Executable()
	d.srv = endpoint.New(endpoint.Options{
		MaxClients:     limits.maxClients,
		IdleTimeout:    limits.idle,
		TCPKeepAlive:   limits.keepAlive,
		Sentinel:       drv.Endpoint(),
		Logger:         log.Named("server"),
		ProtectedMode:  cfg.ProtectedMode,
		RequirePass:    cfg.RequirePass,
		Users:          cfg.Users,
		ACLFile:        cfg.ACLFile(),
		ACLPubsubAll:   cfg.ACLPubsubAll(),
		RenameCommands: cfg.RenameCommands,
		Port:           tlsd.runningPort(cfg),
		ConfigFile:     cfg.Path,
		Executable:     exe,
		Shutdown: func() {
			log.Warn("User requested shutdown...")
			cancel()
		},
	})

	if cfg.Pidfile != "" || cfg.Daemonize {
		pidfile := cfg.Pidfile
		if pidfile == "" {
			pidfile = "/var/run/redis.pid"
		}
		if err := writePidfile(pidfile); err != nil {
			log.Warn("Failed to write PID file: " + err.Error())
		} else {
			defer func() {
				log.Info("Removing the pid file.")
				removePidfile(pidfile)
			}()
		}
	}

	log.Info(fmt.Sprintf("Running mode=sentinel, port=%d.", tlsd.runningPort(cfg)))
	if err := d.srv.ACLError(); err != nil {
		// ACLLoadUsersAtStartup's lines, then exit 1.
		for _, line := range strings.Split(err.Error(), "\n") {
			log.Warn(line)
		}
		for _, l := range listeners {
			l.Close()
		}
		return errLogged
	}
	stopHTTP, err := d.listenHTTP(drv)
	if err != nil {
		for _, l := range listeners {
			l.Close()
		}
		return err
	}
	defer func() {
		ctx, done := context.WithTimeout(context.Background(), 5*time.Second)
		defer done()
		stopHTTP(ctx)
	}()
	var wg sync.WaitGroup
	for _, l := range listeners {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := d.srv.Serve(l); err != nil && !errors.Is(err, endpoint.ErrServerClosed) {
				log.Error("serve: " + err.Error())
			}
		}()
	}
	log.Warn("Sentinel ID is " + drv.MyID())
	if cfg.Supervised == "systemd" || (cfg.Supervised == "auto" && os.Getenv("NOTIFY_SOCKET") != "") {
		_ = sdNotify("STATUS=Ready to accept connections\nREADY=1\n")
		defer func() { _ = sdNotify("STOPPING=1\n") }()
	}

	scriptsDone := make(chan struct{})
	go func() { defer close(scriptsDone); scripts.Run(ctx) }()
	defer func() {
		// Scripts still running get a moment to finish (a client-reconfig script may be
		// repointing clients); redis-sentinel leaves them running, we do not leave orphans.
		cancel()
		<-scriptsDone
		graceCtx, done := context.WithTimeout(context.Background(), 5*time.Second)
		defer done()
		scripts.Shutdown(graceCtx)
	}()
	driverErr := make(chan error, 1)
	go func() { driverErr <- drv.Run(ctx) }()
	select {
	case <-ctx.Done():
		err = <-driverErr // the state is saved one last time before Run returns
	case err = <-driverErr:
		if errors.Is(err, driver.ErrSimulatedCrash) {
			// A simulated crash is abrupt: no goodbye, clients see the connection drop.
			return err
		}
	}
	shutdownCtx, done := context.WithTimeout(context.Background(), 5*time.Second)
	defer done()
	_ = d.srv.Shutdown(shutdownCtx)
	wg.Wait()
	links.Shutdown()
	log.Warn("Sentinel is now ready to exit, bye bye...")
	if errors.Is(err, driver.ErrSave) {
		return nil // already reported by the store; exiting is still clean
	}
	return err
}

func firstBind(b []string) string {
	if len(b) == 0 {
		return "*"
	}
	return b[0]
}

// event logs an event at its level and publishes it on our Pub/Sub, as redis-sentinel does
// (debug events are logged only).
func (d *daemon) event(e monitor.Event) {
	logAt(d.log, e.Level, e.String())
	if d.metrics != nil {
		d.metrics.Event(e)
	}
	if e.Level != monitor.Debug && d.srv != nil {
		d.srv.Publish(e.Type, e.Message)
	}
}

// logAt maps Redis's levels onto hclog's: debug → Trace, verbose → Debug, notice → Info,
// warning → Warn.
func logAt(log hclog.Logger, level monitor.Level, msg string) {
	switch level {
	case monitor.Debug:
		log.Trace(msg)
	case monitor.Verbose:
		log.Debug(msg)
	case monitor.Notice:
		log.Info(msg)
	default:
		log.Warn(msg)
	}
}
