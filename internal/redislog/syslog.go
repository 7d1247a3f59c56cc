package redislog

import (
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/go-hclog"
)

// syslogFacilities are redis.conf's syslog-facility names and syslog.h's codes (LOG_USER,
// LOG_LOCAL0 ... LOG_LOCAL7), already shifted into place.
var syslogFacilities = map[string]int{
	"user": 1 << 3, "local0": 16 << 3, "local1": 17 << 3, "local2": 18 << 3, "local3": 19 << 3,
	"local4": 20 << 3, "local5": 21 << 3, "local6": 22 << 3, "local7": 23 << 3,
}

// syslogSeverities is serverLogRaw's syslogLevelMap, by Redis level: LOG_DEBUG, LOG_INFO,
// LOG_NOTICE, LOG_WARNING.
var syslogSeverities = [...]int{7, 6, 5, 4}

// ErrFacility is returned by NewSyslog for a facility redis.conf does not know.
var ErrFacility = errors.New("redislog: syslog-facility must be one of user, local0 ... local7")

// SyslogOptions configures NewSyslog, from the syslog-* directives.
type SyslogOptions struct {
	Ident    string // syslog-ident; default "redis"
	Facility string // syslog-facility; default "local0"
	// Path is the local syslog socket. Default /dev/log, where glibc's syslog sends.
	Path string
	// Pid and Now as in Options; tests fix them.
	Pid int
	Now func() time.Time
}

// Syslog sends records to the local syslog daemon the way redis-sentinel's
// openlog(ident, LOG_PID|LOG_NDELAY|LOG_NOWAIT, facility) and syslog(3) do: each record
// one datagram `<PRI>Mmm dd hh:mm:ss ident[pid]: message`, local time, no newline.
//
// Like glibc, it connects at once (LOG_NDELAY) but never fails for want of a daemon: a
// record that cannot be sent is lost, and the next one dials again, so a syslog daemon
// that starts or restarts later gets the records from then on. A socket that takes only
// streams gets each record with a NUL after it, as glibc sends it there.
type Syslog struct {
	mu     sync.Mutex
	path   string
	fac    int
	tag    string // "ident[pid]: "
	now    func() time.Time
	conn   net.Conn
	stream bool
}

// NewSyslog opens the syslog connection. Only an unknown facility is an error.
func NewSyslog(opts SyslogOptions) (*Syslog, error) {
	fac := "local0"
	if opts.Facility != "" {
		fac = strings.ToLower(opts.Facility)
	}
	code, ok := syslogFacilities[fac]
	if !ok {
		return nil, fmt.Errorf("%w: %q", ErrFacility, opts.Facility)
	}
	s := &Syslog{path: opts.Path, fac: code, now: opts.Now}
	if s.path == "" {
		s.path = "/dev/log"
	}
	if s.now == nil {
		s.now = time.Now
	}
	ident, pid := opts.Ident, opts.Pid
	if ident == "" {
		ident = "redis"
	}
	if pid == 0 {
		pid = os.Getpid()
	}
	s.tag = ident + "[" + strconv.Itoa(pid) + "]: "
	s.mu.Lock()
	s.dial()
	s.mu.Unlock()
	return s, nil
}

// dial connects as glibc's openlog_internal: a datagram socket, or a stream one when the
// daemon listens on a stream socket. Called with mu held.
func (s *Syslog) dial() {
	if c, err := net.Dial("unixgram", s.path); err == nil {
		s.conn, s.stream = c, false
		return
	}
	if c, err := net.Dial("unix", s.path); err == nil {
		s.conn, s.stream = c, true
	}
}

// Send writes one record at an hclog level (mapped to Redis's, then to syslog's severity).
func (s *Syslog) Send(level hclog.Level, msg string) {
	pri := s.fac | syslogSeverities[redisLevel(level)]
	b := make([]byte, 0, 32+len(s.tag)+len(msg))
	b = append(strconv.AppendInt(append(b, '<'), int64(pri), 10), '>')
	// glibc: strftime "%h %e %T ", the day of the month padded with a space.
	b = s.now().AppendFormat(b, "Jan _2 15:04:05 ")
	b = append(append(b, s.tag...), msg...)
	s.mu.Lock()
	defer s.mu.Unlock()
	// glibc retries a failed send once on a fresh connection (the daemon restarted).
	for try := 0; try < 2; try++ {
		if s.conn == nil {
			s.dial()
			if s.conn == nil {
				return
			}
		}
		p := b
		if s.stream {
			p = append(b, 0)
		}
		if _, err := s.conn.Write(p); err == nil {
			return
		}
		_ = s.conn.Close()
		s.conn = nil
	}
}

// Close closes the connection; later records dial again.
func (s *Syslog) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.conn == nil {
		return nil
	}
	err := s.conn.Close()
	s.conn = nil
	return err
}

// Tee returns an output for hclog's own formats (logformat text or json) that writes each
// line to out and sends it, without its newline, to syslog at the line's level: hclog
// passes the level to a LevelWriter.
func (s *Syslog) Tee(out io.Writer) io.Writer { return &syslogTee{s: s, out: out} }

type syslogTee struct {
	s   *Syslog
	out io.Writer
}

var _ hclog.LevelWriter = (*syslogTee)(nil)

func (t *syslogTee) Write(p []byte) (int, error) { return t.LevelWrite(hclog.Info, p) }

func (t *syslogTee) LevelWrite(level hclog.Level, p []byte) (int, error) {
	n, err := t.out.Write(p)
	t.s.Send(level, strings.TrimRight(string(p), "\n"))
	return n, err
}
