// Package bench measures side by side, in one run on one machine, and reports ratios:
// absolute numbers depend on the machine, ratios much less. It compares redistest with
// Debian's redis-server, and our sentinel with Debian's redis-sentinel monitoring the same
// redistest masters.
//
// It holds only tests, gated behind SENTINEL_BENCH=1 because they take minutes and start
// hundreds of processes; see README.md. Every process they start is their own, started on a
// free loopback port and killed by PID when its test ends.
package bench
