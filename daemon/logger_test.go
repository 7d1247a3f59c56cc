package daemon

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sentinel-go/sentinel/config"
)

// syslog-enabled yes: each record goes to stdout and, as a datagram, to the syslog socket
// (here the test's own, never /dev/log), in both log formats.
func TestNewLoggerSyslog(t *testing.T) {
	dir, err := os.MkdirTemp("", "syslog") // t.TempDir may exceed sun_path's 108 bytes
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir)
	sock := filepath.Join(dir, "log")
	d, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: sock, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	old := syslogPath
	syslogPath = sock
	defer func() { syslogPath = old }()

	// Redis's format sends the message alone; hclog's, the whole line as stdout got it.
	for _, format := range []string{"", "logformat text\n"} {
		conf := filepath.Join(dir, "s.conf")
		text := format + "syslog-enabled yes\nsyslog-ident sent\nsyslog-facility local3\n"
		if err := os.WriteFile(conf, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		cfg, err := config.Load(conf, nil)
		if err != nil {
			t.Fatal(err)
		}
		var stdout strings.Builder
		log, err := newLogger(cfg, &stdout)
		if err != nil {
			t.Fatal(err)
		}
		log.Warn("+monitor master m 127.0.0.1 6379 quorum 1")
		_, ok := strings.CutSuffix(stdout.String(), "+monitor master m 127.0.0.1 6379 quorum 1\n")
		if !ok {
			t.Fatalf("stdout %q", stdout.String())
		}
		msg := "+monitor master m 127.0.0.1 6379 quorum 1"
		if format != "" {
			msg = strings.TrimSuffix(stdout.String(), "\n")
		}
		buf := make([]byte, 1024)
		_ = d.SetReadDeadline(time.Now().Add(5 * time.Second))
		n, _, err := d.ReadFrom(buf)
		if err != nil {
			t.Fatal(err)
		}
		// local3 is 19<<3, warning is LOG_WARNING (4): 156. The stamp is the local time now.
		got := string(buf[:n])
		head, tail := "<156>", fmt.Sprintf(" sent[%d]: %s", os.Getpid(), msg)
		stamp := strings.TrimSuffix(strings.TrimPrefix(got, head), tail)
		if _, err := time.Parse(time.Stamp, stamp); err != nil || head+stamp+tail != got {
			t.Errorf("datagram %q, want %q TIMESTAMP %q", got, head, tail)
		}
	}
}
