package daemon

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strconv"
	"syscall"
	"testing"
	"time"
)

// daemonReport is what the daemonized copy of the helper process finds about itself.
type daemonReport struct {
	Pid, Sid, ParentPid int
	Dir                 string
	Args                []string
	Marker              string
	Streams             []string // where fds 0, 1 and 2 point
}

// TestDaemonizeHelper is not a test: TestDaemonize runs the test binary with GO_WANT_HELPER=1
// and only this test selected, so it plays the sentinel process calling daemonize.
func TestDaemonizeHelper(t *testing.T) {
	if os.Getenv("GO_WANT_HELPER") != "1" {
		t.Skip("helper process for TestDaemonize")
	}
	if os.Getenv(daemonEnv) == "" {
		// The original process: tell the copy who its parent was.
		os.Setenv("HELPER_PARENT_PID", strconv.Itoa(os.Getpid()))
	}
	child, err := daemonize()
	if err != nil {
		os.Stderr.WriteString("daemonize: " + err.Error() + "\n")
		os.Exit(2)
	}
	if !child {
		os.Exit(0)
	}
	sid, _, errno := syscall.RawSyscall(syscall.SYS_GETSID, 0, 0, 0)
	if errno != 0 {
		os.Exit(3)
	}
	r := daemonReport{Pid: os.Getpid(), Sid: int(sid), Args: os.Args, Marker: os.Getenv(daemonEnv)}
	r.ParentPid, _ = strconv.Atoi(os.Getenv("HELPER_PARENT_PID"))
	r.Dir, _ = os.Getwd()
	for fd := range 3 {
		target, _ := os.Readlink("/proc/self/fd/" + strconv.Itoa(fd))
		r.Streams = append(r.Streams, target)
	}
	b, _ := json.Marshal(r)
	out := os.Getenv("HELPER_REPORT")
	if os.WriteFile(out+".tmp", b, 0o644) != nil || os.Rename(out+".tmp", out) != nil {
		os.Exit(4)
	}
	os.Exit(0)
}

func TestDaemonize(t *testing.T) {
	report := filepath.Join(t.TempDir(), "report.json")
	workdir := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	args := []string{"-test.run=^TestDaemonizeHelper$", "-test.count=1"}
	cmd := exec.CommandContext(ctx, os.Args[0], args...)
	cmd.Env = append(os.Environ(), "GO_WANT_HELPER=1", "HELPER_REPORT="+report)
	cmd.Dir = workdir
	// If the daemon kept the parent's stdout, Wait would block on the pipe; WaitDelay turns
	// that into an error instead of a hang.
	cmd.WaitDelay = 5 * time.Second
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("parent: %v\n%s", err, out)
	}

	var r daemonReport
	deadline := time.Now().Add(20 * time.Second)
	for {
		b, err := os.ReadFile(report)
		if err == nil {
			if err := json.Unmarshal(b, &r); err != nil {
				t.Fatal(err)
			}
			break
		}
		if !errors.Is(err, os.ErrNotExist) || time.Now().After(deadline) {
			t.Fatalf("no report from the daemon: %v", err)
		}
		time.Sleep(10 * time.Millisecond)
	}
	if r.Pid == r.ParentPid || r.ParentPid == 0 {
		t.Errorf("daemon pid %d, parent %d", r.Pid, r.ParentPid)
	}
	if r.Sid != r.Pid {
		t.Errorf("daemon is not a session leader: sid %d, pid %d", r.Sid, r.Pid)
	}
	if wantArgs := append([]string{os.Args[0]}, args...); !reflect.DeepEqual(r.Args, wantArgs) {
		t.Errorf("daemon args %q, want %q", r.Args, wantArgs)
	}
	if resolved, _ := filepath.EvalSymlinks(workdir); r.Dir != workdir && r.Dir != resolved {
		t.Errorf("daemon working directory %q, want %q", r.Dir, workdir)
	}
	if r.Marker != "" {
		t.Errorf("daemon still has %s=%q in its environment", daemonEnv, r.Marker)
	}
	for fd, s := range r.Streams {
		if s != os.DevNull {
			t.Errorf("daemon fd %d is %q, want %s", fd, s, os.DevNull)
		}
	}
}

func TestDaemonizeInChild(t *testing.T) {
	t.Setenv(daemonEnv, "1")
	child, err := daemonize()
	if !child || err != nil {
		t.Fatalf("daemonize() = %v, %v in the daemon copy", child, err)
	}
	if v, ok := os.LookupEnv(daemonEnv); ok {
		t.Errorf("marker left set: %q", v)
	}
}

func TestReexecFails(t *testing.T) {
	err := reexec(filepath.Join(t.TempDir(), "missing"), []string{"missing"}, nil)
	if !errors.Is(err, os.ErrNotExist) {
		t.Errorf("reexec of a missing program: %v", err)
	}
}
