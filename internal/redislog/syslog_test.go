package redislog

import (
	"bytes"
	"errors"
	"io"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"
)

// syslogd is a fake local syslog daemon: a datagram socket the test owns, never the
// host's /dev/log.
type syslogd struct {
	t    *testing.T
	path string
	conn *net.UnixConn
}

// socketPath is short enough for sun_path (108 bytes), which t.TempDir may not be.
func socketPath(t *testing.T) string {
	dir, err := os.MkdirTemp("", "syslog")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	return filepath.Join(dir, "log")
}

func listenSyslog(t *testing.T, path string) *syslogd {
	t.Helper()
	c, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: path, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return &syslogd{t: t, path: path, conn: c}
}

// next returns the next datagram, waiting at most 5 s for it.
func (d *syslogd) next() string {
	d.t.Helper()
	buf := make([]byte, 4096)
	_ = d.conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	n, _, err := d.conn.ReadFrom(buf)
	if err != nil {
		d.t.Fatalf("no datagram: %v", err)
	}
	return string(buf[:n])
}

// none checks that nothing more was sent: every send is synchronous, so anything sent is
// already queued on the socket.
func (d *syslogd) none() {
	d.t.Helper()
	_ = d.conn.SetReadDeadline(time.Now())
	buf := make([]byte, 4096)
	if n, _, err := d.conn.ReadFrom(buf); err == nil {
		d.t.Fatalf("unexpected datagram %q", buf[:n])
	}
}

func newSyslog(t *testing.T, opts SyslogOptions) *Syslog {
	t.Helper()
	opts.Pid, opts.Now = 9982, clock
	s, err := NewSyslog(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// Each Redis level goes out at syslogLevelMap's severity in local0 (16<<3 = 128), as the
// message alone after glibc's header; the line on the output is unchanged.
func TestSyslogRecords(t *testing.T) {
	d := listenSyslog(t, socketPath(t))
	s := newSyslog(t, SyslogOptions{Path: d.path})
	l, buf := newTest(Options{Level: hclog.Debug, Syslog: s})
	l.Trace("below the level: neither logged nor sent")
	l.Debug("verbose")
	l.Named("link").Info("+sdown master m 127.0.0.1 6379", "n", 2)
	l.Warn("+odown master mymaster 127.0.0.1 7100 #quorum 2/2")
	l.Error("error")
	for _, want := range []string{
		"<134>Nov 26 18:33:01 redis[9982]: verbose",
		"<133>Nov 26 18:33:01 redis[9982]: link: +sdown master m 127.0.0.1 6379 n=2",
		"<132>Nov 26 18:33:01 redis[9982]: +odown master mymaster 127.0.0.1 7100 #quorum 2/2",
		"<132>Nov 26 18:33:01 redis[9982]: error",
	} {
		if got := d.next(); got != want {
			t.Errorf("datagram %q, want %q", got, want)
		}
	}
	d.none()
	want := "9982:X 26 Nov 2026 18:33:01.834 - verbose\n" +
		"9982:X 26 Nov 2026 18:33:01.834 * link: +sdown master m 127.0.0.1 6379 n=2\n" +
		"9982:X 26 Nov 2026 18:33:01.834 # +odown master mymaster 127.0.0.1 7100 #quorum 2/2\n" +
		"9982:X 26 Nov 2026 18:33:01.834 # error\n"
	if buf.String() != want {
		t.Errorf("output\n%q\nwant\n%q", buf.String(), want)
	}
}

// syslog-ident and syslog-facility; debug is LOG_DEBUG (7); a one-digit day is padded
// with a space (%e).
func TestSyslogIdentFacility(t *testing.T) {
	d := listenSyslog(t, socketPath(t))
	at := time.Date(2026, 12, 3, 9, 5, 7, 0, time.UTC)
	s, err := NewSyslog(SyslogOptions{Path: d.path, Ident: "sentinel-a", Facility: "USER", Pid: 7, Now: func() time.Time { return at }})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	s.Send(hclog.Trace, "debug")
	if got, want := d.next(), "<15>Dec  3 09:05:07 sentinel-a[7]: debug"; got != want {
		t.Errorf("datagram %q, want %q", got, want)
	}
	for fac, code := range map[string]string{"local7": "<191>", "local1": "<143>"} {
		s, err := NewSyslog(SyslogOptions{Path: d.path, Facility: fac, Pid: 7, Now: func() time.Time { return at }})
		if err != nil {
			t.Fatal(err)
		}
		s.Send(hclog.Trace, "x")
		s.Close()
		if got, want := d.next(), code+"Dec  3 09:05:07 redis[7]: x"; got != want {
			t.Errorf("%s: datagram %q, want %q", fac, got, want)
		}
	}
	if _, err := NewSyslog(SyslogOptions{Facility: "local8"}); !errors.Is(err, ErrFacility) {
		t.Errorf("local8: %v, want ErrFacility", err)
	}
}

// No daemon at start-up is no error (LOG_NDELAY only tries); records sent meanwhile are
// lost, and once a daemon listens, and again after it restarts, records reach it.
func TestSyslogDaemonComesAndGoes(t *testing.T) {
	path := socketPath(t)
	s := newSyslog(t, SyslogOptions{Path: path})
	s.Send(hclog.Info, "lost")
	d := listenSyslog(t, path)
	s.Send(hclog.Info, "first")
	if got, want := d.next(), "<133>Nov 26 18:33:01 redis[9982]: first"; got != want {
		t.Errorf("datagram %q, want %q", got, want)
	}
	d.conn.Close()
	os.Remove(path)
	d = listenSyslog(t, path)
	s.Send(hclog.Info, "after restart")
	if got, want := d.next(), "<133>Nov 26 18:33:01 redis[9982]: after restart"; got != want {
		t.Errorf("datagram %q, want %q", got, want)
	}
	d.none()
}

// A stream socket gets each record followed by a NUL, as glibc sends it there.
func TestSyslogStream(t *testing.T) {
	path := socketPath(t)
	ln, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	s := newSyslog(t, SyslogOptions{Path: path})
	c, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	s.Send(hclog.Warn, "a")
	s.Send(hclog.Warn, "b")
	want := "<132>Nov 26 18:33:01 redis[9982]: a\x00<132>Nov 26 18:33:01 redis[9982]: b\x00"
	got := make([]byte, len(want))
	_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.ReadFull(c, got); err != nil || string(got) != want {
		t.Errorf("stream %q, %v; want %q", got, err, want)
	}
}

// hclog's text format through Tee: the whole line to the output and, without its newline,
// to syslog at its level.
func TestSyslogTee(t *testing.T) {
	d := listenSyslog(t, socketPath(t))
	s := newSyslog(t, SyslogOptions{Path: d.path})
	var buf bytes.Buffer
	l := hclog.New(&hclog.LoggerOptions{Name: "sentinel", Output: s.Tee(&buf), Level: hclog.Info,
		DisableTime: true})
	l.Warn("+odown", "quorum", "2/2")
	if got, want := buf.String(), "[WARN]  sentinel: +odown: quorum=2/2\n"; got != want {
		t.Errorf("output %q, want %q", got, want)
	}
	if got, want := d.next(), "<132>Nov 26 18:33:01 redis[9982]: [WARN]  sentinel: +odown: quorum=2/2"; got != want {
		t.Errorf("datagram %q, want %q", got, want)
	}
}
