// Package cmdline is what this module's commands (cmd/sentinel, cmd/sentinel-demo) do
// around their run function: the process's signals, arguments, streams and exit code (Main),
// and a flag set whose --help and -h print the command's usage (Flags).
//
// Invariants:
//   - A command's run takes ctx, args and its two streams and returns the exit code, so its
//     tests call it without a process; Main is the only place that touches os.Args, os.Exit
//     and the signals that cancel ctx (SIGINT, SIGTERM).
//   - The flag package's own conventions hold: a bad flag is reported on stderr with the
//     usage and exits 2; --help and -h print the usage to stdout and exit 0.
package cmdline
