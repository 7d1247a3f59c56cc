package cmdline

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

// Main runs run with the process's arguments and standard streams under a context SIGINT and
// SIGTERM cancel, and exits with the code it returns.
func Main(run func(ctx context.Context, args []string, stdout, stderr io.Writer) int) {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// Flags is a command's flag set: usage (the text before the flags' defaults) and parse
// errors go to stderr, --help and -h print the usage to stdout.
type Flags struct {
	*flag.FlagSet
	usage          string
	stdout, stderr io.Writer
	help           *bool
}

// NewFlags is the flag set of the command name, with --help and -h defined.
func NewFlags(name, usage string, stdout, stderr io.Writer) *Flags {
	f := &Flags{FlagSet: flag.NewFlagSet(name, flag.ContinueOnError), usage: usage, stdout: stdout, stderr: stderr}
	f.SetOutput(stderr)
	f.help = f.Bool("help", false, "print this help and exit")
	f.BoolVar(f.help, "h", false, "print this help and exit")
	f.FlagSet.Usage = func() { f.PrintUsage(stderr) }
	return f
}

// PrintUsage writes the usage text and every flag's default to w.
func (f *Flags) PrintUsage(w io.Writer) {
	fmt.Fprint(w, f.usage)
	f.SetOutput(w)
	f.PrintDefaults()
	f.SetOutput(f.stderr)
}

// Parse parses args. With exit true the command ends at once with code: 2 after a bad flag
// (reported), 0 after printing the usage for --help.
func (f *Flags) Parse(args []string) (code int, exit bool) {
	if err := f.FlagSet.Parse(args); err != nil {
		return 2, true
	}
	if *f.help {
		f.PrintUsage(f.stdout)
		return 0, true
	}
	return 0, false
}
