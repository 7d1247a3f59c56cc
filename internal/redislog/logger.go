package redislog

import (
	"fmt"
	"io"
	"log"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/hashicorp/go-hclog"
)

// Options configures New.
type Options struct {
	// Output receives the lines. Default os.Stdout, where Redis logs when logfile is "".
	Output io.Writer
	// Level is the lowest level written. Default (NoLevel) hclog.Info, Redis's default
	// loglevel notice.
	Level hclog.Level
	// Pid is the process ID printed first on each line. Default os.Getpid().
	Pid int
	// Now gives the time of each line; tests fix it. Default time.Now. Lines show the time in
	// its location, as Redis shows local time.
	Now func() time.Time
	// Role is the character after the pid. Default 'X', which Redis prints in sentinel mode.
	Role byte
	// HideNames leaves the names of Named loggers out of the lines (Name still reports
	// them), so that every line is byte for byte what redis-sentinel would write even when
	// the event log goes through a named logger. Otherwise a name is written as hclog does,
	// "name: message".
	HideNames bool
	// Syslog, when set (syslog-enabled yes), also gets every record written: the message
	// and its pairs without the line's prefix, as serverLogRaw passes syslog() only msg.
	Syslog *Syslog
}

// sink is what every logger derived from one New shares.
type sink struct {
	mu        sync.Mutex // serialises Write calls on out
	out       io.Writer
	level     atomic.Int32
	prefix    []byte // "<pid>:<role> ", fixed for the process
	now       func() time.Time
	hideNames bool
	syslog    *Syslog
}

type logger struct {
	s       *sink
	name    string
	implied []any
}

var _ hclog.Logger = (*logger)(nil)

var bufPool = sync.Pool{New: func() any { b := make([]byte, 0, 256); return &b }}

// New returns a logger that writes Redis's log line format.
func New(opts Options) hclog.Logger {
	s := &sink{out: opts.Output, now: opts.Now, hideNames: opts.HideNames, syslog: opts.Syslog}
	if s.out == nil {
		s.out = os.Stdout
	}
	if s.now == nil {
		s.now = time.Now
	}
	pid, role := opts.Pid, opts.Role
	if pid == 0 {
		pid = os.Getpid()
	}
	if role == 0 {
		role = 'X'
	}
	s.prefix = append(strconv.AppendInt(nil, int64(pid), 10), ':', role, ' ')
	level := opts.Level
	if level == hclog.NoLevel {
		level = hclog.Info
	}
	s.level.Store(int32(level))
	return &logger{s: s}
}

// redisLevel is the index of Redis's level (LL_DEBUG 0 to LL_WARNING 3) for an hclog level,
// which picks both its mark in a line and its name in redis.conf.
func redisLevel(level hclog.Level) int {
	switch {
	case level <= hclog.Trace:
		return 0
	case level == hclog.Debug:
		return 1
	case level == hclog.Info:
		return 2
	}
	return 3
}

// maxMsg is the longest message Redis writes: serverLog formats into a LOG_MAX_LEN (1024)
// buffer, and the ACL errors of a bad aclfile, say, are cut there.
const maxMsg = 1023

// levelMarks are serverLogRaw's marks, by Redis level.
const levelMarks = ".-*#"

func (l *logger) Log(level hclog.Level, msg string, args ...any) {
	if level <= hclog.NoLevel || level >= hclog.Off || level < l.GetLevel() {
		return
	}
	t := l.s.now()
	bp := bufPool.Get().(*[]byte)
	b := append((*bp)[:0], l.s.prefix...)
	// Redis: strftime "%d %b %Y %H:%M:%S." then the milliseconds, truncated.
	b = t.AppendFormat(b, "02 Jan 2006 15:04:05.000")
	b = append(b, ' ', levelMarks[redisLevel(level)], ' ')
	msgStart := len(b)
	if l.name != "" && !l.s.hideNames {
		b = append(b, l.name...)
		b = append(b, ": "...)
	}
	b = append(b, msg[:min(len(msg), maxMsg)]...)
	b = appendPairs(b, l.implied)
	b = appendPairs(b, args)
	b = append(b, '\n')
	l.s.mu.Lock()
	_, _ = l.s.out.Write(b) // like Redis, a line that cannot be written is lost
	l.s.mu.Unlock()
	if l.s.syslog != nil {
		l.s.syslog.Send(level, string(b[msgStart:len(b)-1]))
	}
	*bp = b
	bufPool.Put(bp)
}

// appendPairs writes key/value pairs; an odd last value gets hclog's MissingKey.
func appendPairs(b []byte, args []any) []byte {
	for i := 0; i < len(args); i += 2 {
		key, val := any(hclog.MissingKey), args[i]
		if i+1 < len(args) {
			key, val = args[i], args[i+1]
		}
		b = append(b, ' ')
		if k, ok := key.(string); ok {
			b = append(b, k...)
		} else {
			b = fmt.Append(b, key)
		}
		b = append(b, '=')
		b = appendValue(b, val)
	}
	return b
}

func appendValue(b []byte, v any) []byte {
	var s string
	switch v := v.(type) {
	case string:
		s = v
	case int:
		return strconv.AppendInt(b, int64(v), 10)
	case int64:
		return strconv.AppendInt(b, v, 10)
	case int32:
		return strconv.AppendInt(b, int64(v), 10)
	case uint:
		return strconv.AppendUint(b, uint64(v), 10)
	case uint64:
		return strconv.AppendUint(b, v, 10)
	case uint32:
		return strconv.AppendUint(b, uint64(v), 10)
	case bool:
		return strconv.AppendBool(b, v)
	case hclog.Hex:
		return strconv.AppendUint(append(b, "0x"...), uint64(v), 16)
	case hclog.Octal:
		return strconv.AppendUint(append(b, '0'), uint64(v), 8)
	case hclog.Binary:
		return strconv.AppendUint(append(b, "0b"...), uint64(v), 2)
	case hclog.Quote:
		return strconv.AppendQuote(b, string(v))
	case hclog.Format:
		s = fmt.Sprint(v...)
		if len(v) > 0 {
			if f, ok := v[0].(string); ok {
				s = fmt.Sprintf(f, v[1:]...)
			}
		}
	case error:
		s = v.Error()
	case fmt.Stringer:
		s = v.String()
	default:
		s = fmt.Sprint(v)
	}
	if needsQuote(s) {
		return strconv.AppendQuote(b, s)
	}
	return append(b, s...)
}

func needsQuote(s string) bool {
	if s == "" {
		return true
	}
	for _, r := range s {
		if r <= ' ' || r == '"' || r == utf8.RuneError || !unicode.IsPrint(r) {
			return true
		}
	}
	return false
}

func (l *logger) Trace(msg string, args ...any) { l.Log(hclog.Trace, msg, args...) }
func (l *logger) Debug(msg string, args ...any) { l.Log(hclog.Debug, msg, args...) }
func (l *logger) Info(msg string, args ...any)  { l.Log(hclog.Info, msg, args...) }
func (l *logger) Warn(msg string, args ...any)  { l.Log(hclog.Warn, msg, args...) }
func (l *logger) Error(msg string, args ...any) { l.Log(hclog.Error, msg, args...) }

func (l *logger) enabled(level hclog.Level) bool { return level >= l.GetLevel() }

func (l *logger) IsTrace() bool { return l.enabled(hclog.Trace) }
func (l *logger) IsDebug() bool { return l.enabled(hclog.Debug) }
func (l *logger) IsInfo() bool  { return l.enabled(hclog.Info) }
func (l *logger) IsWarn() bool  { return l.enabled(hclog.Warn) }
func (l *logger) IsError() bool { return l.enabled(hclog.Error) }

func (l *logger) SetLevel(level hclog.Level) { l.s.level.Store(int32(level)) }
func (l *logger) GetLevel() hclog.Level      { return hclog.Level(l.s.level.Load()) }

func (l *logger) ImpliedArgs() []any { return append([]any(nil), l.implied...) }

// With adds pairs that every line of the new logger carries. As in hclog, a key given again
// replaces its earlier value, and an odd last value gets MissingKey.
func (l *logger) With(args ...any) hclog.Logger {
	if len(args)%2 != 0 {
		args = append(args[:len(args)-1:len(args)-1], hclog.MissingKey, args[len(args)-1])
	}
	implied := append([]any(nil), l.implied...)
next:
	for i := 0; i < len(args); i += 2 {
		key, ok := args[i].(string)
		for j := 0; ok && j < len(implied); j += 2 {
			if implied[j] == key {
				implied[j+1] = args[i+1]
				continue next
			}
		}
		implied = append(implied, args[i], args[i+1])
	}
	return &logger{s: l.s, name: l.name, implied: implied}
}

func (l *logger) Name() string { return l.name }

// Named appends to the name with a dot, as hclog does.
func (l *logger) Named(name string) hclog.Logger {
	if l.name != "" {
		name = l.name + "." + name
	}
	return &logger{s: l.s, name: name, implied: l.implied}
}

func (l *logger) ResetNamed(name string) hclog.Logger {
	return &logger{s: l.s, name: name, implied: l.implied}
}

func (l *logger) StandardLogger(opts *hclog.StandardLoggerOptions) *log.Logger {
	return log.New(l.StandardWriter(opts), "", 0)
}

// StandardWriter turns each Write into one record, with hclog's level inference: a leading
// "[DEBUG]", "[ERR]" ... picks the level when InferLevels is set, and ForceLevel overrides.
func (l *logger) StandardWriter(opts *hclog.StandardLoggerOptions) io.Writer {
	w := &stdWriter{l: l}
	if opts != nil {
		w.opts = *opts
	}
	return w
}

type stdWriter struct {
	l    *logger
	opts hclog.StandardLoggerOptions
}

func (w *stdWriter) Write(p []byte) (int, error) {
	s := strings.TrimRight(string(p), " \t\n")
	level := hclog.Info
	switch {
	case w.opts.ForceLevel != hclog.NoLevel:
		_, s = pickLevel(s)
		level = w.opts.ForceLevel
	case w.opts.InferLevels:
		if w.opts.InferLevelsWithTimestamp {
			s = strings.TrimLeft(s, "0123456789 \t:/.+-TZ")
		}
		level, s = pickLevel(s)
	}
	w.l.Log(level, s)
	return len(p), nil
}

var levelTags = []struct {
	tag   string
	level hclog.Level
}{
	{"[TRACE]", hclog.Trace}, {"[DEBUG]", hclog.Debug}, {"[INFO]", hclog.Info},
	{"[WARN]", hclog.Warn}, {"[ERROR]", hclog.Error}, {"[ERR]", hclog.Error},
}

func pickLevel(s string) (hclog.Level, string) {
	for _, t := range levelTags {
		if rest, ok := strings.CutPrefix(s, t.tag); ok {
			return t.level, strings.TrimSpace(rest)
		}
	}
	return hclog.Info, s
}
