// Command redistest hosts many redistest instances in one process, so a benchmark or a
// manual experiment can have hundreds of masters, each with its replicas, for less memory
// than one redis-server process takes (see e2e/bench).
//
// It prints one line per instance on stdout, then "ready" once every instance listens and
// every replica has its replication link up:
//
//	master 127.0.0.1:41234
//	replica 127.0.0.1:41235 of 127.0.0.1:41234
//	ready
//
// and serves until SIGINT or SIGTERM. Logs go to stderr.
//
// With -replicas-of FILE it hosts no masters, only -replicas replicas of each master the
// file lists (host:port, or the "master host:port" lines of another run's output), so that
// one process holds every master and a single kill takes them all down at once while
// their replicas live on (e2e/bench's mass failure).
//
// With -tls-cert-file, -tls-key-file and -tls-ca-cert-file every instance speaks TLS only
// on its port (a redis-server's port 0 with tls-port) and replicates over TLS (its
// tls-replication yes, the only way a replica can reach a TLS-only master); the flags are
// named after redis.conf's.
//
// Invariants: "ready" comes only after every instance listens and every replica reports
// its link to its master up, so a caller that waits for it needs no retries; every
// instance is the program's own and ends with it (no daemonizing, no child processes).
package main
