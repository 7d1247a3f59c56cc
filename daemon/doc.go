// Package daemon builds the real pieces of a sentinel from a config file and runs them: the
// config (config), the logger (Redis's line format, hclog text or JSON, syslog), TLS
// (certificates, the TLS port, rotation on SIGHUP and file change), the core's driver with
// the transport, the scripts runner and the file store, and the RESP endpoint on
// every bind address and the unixsocket, and the optional HTTP listener of metrics-address
// (/metrics, /healthz, /readyz); around them the process's duties as redis-sentinel
// carries them out: daemonize, dir, pidfile, maxclients fitted to the open-files limit,
// systemd notifications, signals, and the exit code. Run is the whole of it; the command
// (cmd/sentinel) only parses its arguments, and the demo (cmd/sentinel-demo) runs three Runs
// in one process.
//
// Invariants:
//   - What a failing start-up prints and its exit code are redis-sentinel's: log lines on
//     stdout (or the logfile), the fatal block of a bad config on stderr, exit 1; a
//     simulated crash (SENTINEL SIMULATE-FAILURE) exits 99 without a goodbye.
//   - The state is saved by rewriting the config file (or its state file) before Run
//     returns; a failed save is logged with redis-sentinel's warning and still exits 0.
//   - Run leaves nothing behind when it returns: every goroutine it started has ended, the
//     listeners are closed, scripts still running had their grace period, the pidfile is
//     removed. Several Runs may share a process (the demo), each with its own config.
//   - It imports no test code: the production binary links only what it runs
//     (cmd/sentinel's TestNoTestCodeLinked asserts it).
package daemon
