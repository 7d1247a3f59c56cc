package sentinel_test

import (
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sentinel-go/sentinel/e2e/realredis"
)

// syslogRecord is a datagram as glibc's syslog(3) sends it to /dev/log; the pid and the
// time are the only parts that differ between two runs.
var syslogRecord = regexp.MustCompile(`^<(\d+)>[A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d ([^\[]+)\[(\d+)\]: (.*)$`)

// syslogOf runs bin on a config with syslog-enabled yes in a private mount namespace whose
// /dev is a directory of the test's (holding its own syslog socket), so that the binary's
// /dev/log is the test's socket and the host's is never touched. It returns the record of
// the first line holding want (the master, at masterPort, need not run), normalized to "<PRI> ident: message".
func syslogOf(t *testing.T, bin string, masterPort int, want string) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "syslog") // short: sun_path holds 108 bytes
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	dev := filepath.Join(dir, "dev")
	if err := os.Mkdir(dev, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"null", "urandom"} {
		if err := os.WriteFile(filepath.Join(dev, f), nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	d, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: filepath.Join(dev, "log"), Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	conf := filepath.Join(dir, "sentinel.conf")
	text := "port " + strconv.Itoa(realredis.FreePort(t)) + "\nbind 127.0.0.1\ndir " + dir + "\n" +
		"syslog-enabled yes\nsyslog-ident sent-x\nsyslog-facility local3\n" +
		"sentinel myid " + strings.Repeat("ab", 20) + "\n" +
		"sentinel monitor m 127.0.0.1 " + strconv.Itoa(masterPort) + " 1\n"
	if err := os.WriteFile(conf, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	script := "mount --make-rprivate / && mount --bind /dev/null " + dev + "/null && " +
		"mount --bind /dev/urandom " + dev + "/urandom && mount --bind " + dev + ` /dev && exec "$0" "$1"`
	cmd := exec.Command("unshare", "--mount", "sh", "-c", script, bin, conf)
	cmd.Dir = dir
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	buf := make([]byte, 4096)
	_ = d.SetReadDeadline(time.Now().Add(10 * time.Second))
	for {
		n, _, err := d.ReadFrom(buf)
		if err != nil {
			t.Fatalf("%s: no syslog record with %q: %v", bin, want, err)
		}
		if rec := string(buf[:n]); strings.Contains(rec, want) {
			m := syslogRecord.FindStringSubmatch(rec)
			if m == nil || m[3] != strconv.Itoa(cmd.Process.Pid) {
				t.Fatalf("%s: record %q is not <PRI>TIMESTAMP ident[pid]: message with pid %d", bin, rec, cmd.Process.Pid)
			}
			return "<" + m[1] + "> " + m[2] + ": " + m[4]
		}
	}
}

// TestSyslogSameAsRedisSentinel: the +monitor event reaches syslog from both binaries as
// the same record. It needs to create a mount namespace (root), and skips otherwise.
func TestSyslogSameAsRedisSentinel(t *testing.T) {
	t.Parallel()
	realBin, ourBin := requireReal(t), requireOurs(t)
	if out, err := exec.Command("unshare", "--mount", "true").CombinedOutput(); err != nil {
		t.Skipf("cannot create a mount namespace: %v %s", err, out)
	}
	const want = "+monitor master m 127.0.0.1 "
	port := realredis.FreePort(t)
	theirs, ours := syslogOf(t, realBin, port, want), syslogOf(t, ourBin, port, want)
	// local3 (19<<3) | LOG_WARNING (4): +monitor is a warning-level event.
	if theirs != "<156> sent-x: +monitor master m 127.0.0.1 "+strconv.Itoa(port)+" quorum 1" {
		t.Errorf("redis-sentinel's record %q", theirs)
	}
	if ours != theirs {
		t.Errorf("record\nours           %q\nredis-sentinel %q", ours, theirs)
	}
}
