package redislog

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// clock is 26 Nov 2026 18:33:01.834999 UTC: the sub-millisecond part must be truncated.
func clock() time.Time { return time.Date(2026, 11, 26, 18, 33, 1, 834999999, time.UTC) }

func newTest(opts Options) (hclog.Logger, *bytes.Buffer) {
	var buf bytes.Buffer
	opts.Output = &buf
	opts.Pid = 9982
	opts.Now = clock
	return New(opts), &buf
}

func TestLineFormat(t *testing.T) {
	l, buf := newTest(Options{Level: hclog.Trace})
	l.Trace("trace")
	l.Debug("debug")
	l.Info("info")
	l.Warn("+odown master mymaster 127.0.0.1 7100 #quorum 2/2")
	l.Error("error")
	l.Log(hclog.Info, "via Log")
	want := `9982:X 26 Nov 2026 18:33:01.834 . trace
9982:X 26 Nov 2026 18:33:01.834 - debug
9982:X 26 Nov 2026 18:33:01.834 * info
9982:X 26 Nov 2026 18:33:01.834 # +odown master mymaster 127.0.0.1 7100 #quorum 2/2
9982:X 26 Nov 2026 18:33:01.834 # error
9982:X 26 Nov 2026 18:33:01.834 * via Log
`
	if buf.String() != want {
		t.Errorf("got\n%s\nwant\n%s", buf, want)
	}
}

// A line redis-sentinel 7.0.15 wrote, reproduced byte for byte.
func TestSameAsRedisSentinel(t *testing.T) {
	var buf bytes.Buffer
	at := time.Date(2026, 11, 27, 3, 29, 40, 683_400_000, time.FixedZone("", 0))
	l := New(Options{Output: &buf, Pid: 25791, Now: func() time.Time { return at }})
	l.Warn("+monitor master mymaster 127.0.0.1 33199 quorum 1")
	l.Info("Running mode=sentinel, port=33013.")
	want := "25791:X 27 Nov 2026 03:29:40.683 # +monitor master mymaster 127.0.0.1 33199 quorum 1\n" +
		"25791:X 27 Nov 2026 03:29:40.683 * Running mode=sentinel, port=33013.\n"
	if buf.String() != want {
		t.Errorf("got\n%q\nwant\n%q", buf.String(), want)
	}
}

func TestDayPaddingAndRole(t *testing.T) {
	var buf bytes.Buffer
	l := New(Options{Output: &buf, Pid: 7, Role: 'M',
		Now: func() time.Time { return time.Date(2027, 1, 5, 3, 4, 5, 6_000_000, time.UTC) }})
	l.Info("x")
	if want := "7:M 05 Jan 2027 03:04:05.006 * x\n"; buf.String() != want {
		t.Errorf("got %q, want %q", buf.String(), want)
	}
}

func TestPairs(t *testing.T) {
	l, buf := newTest(Options{})
	l.Info("msg", "s", "plain", "sp", "two words", "empty", "", "q", `a"b`, "nl", "a\nb",
		"i", -3, "u", uint64(7), "b", true, "err", errors.New("boom now"), "d", 1500*time.Millisecond,
		"hex", hclog.Hex(255), "oct", hclog.Octal(8), "bin", hclog.Binary(5), "quote", hclog.Quote("x"),
		"fmt", hclog.Fmt("%d-%s", 4, "x"), 42, "nonstring key", "odd")
	want := `9982:X 26 Nov 2026 18:33:01.834 * msg s=plain sp="two words" empty="" q="a\"b" nl="a\nb"` +
		` i=-3 u=7 b=true err="boom now" d=1.5s hex=0xff oct=010 bin=0b101 quote="x" fmt=4-x` +
		` 42="nonstring key" EXTRA_VALUE_AT_END=odd` + "\n"
	if buf.String() != want {
		t.Errorf("got\n%s\nwant\n%s", buf, want)
	}
}

func TestWithAndNames(t *testing.T) {
	root, buf := newTest(Options{})
	a := root.Named("monitor").With("master", "mymaster", "n", 1)
	b := a.Named("link").With("n", 2, "dangling")
	a.Info("a")
	b.Info("b", "k", "v")
	b.ResetNamed("other").Info("c")
	root.Info("d")
	want := `9982:X 26 Nov 2026 18:33:01.834 * monitor: a master=mymaster n=1
9982:X 26 Nov 2026 18:33:01.834 * monitor.link: b master=mymaster n=2 EXTRA_VALUE_AT_END=dangling k=v
9982:X 26 Nov 2026 18:33:01.834 * other: c master=mymaster n=2 EXTRA_VALUE_AT_END=dangling
9982:X 26 Nov 2026 18:33:01.834 * d
`
	if buf.String() != want {
		t.Errorf("got\n%s\nwant\n%s", buf, want)
	}
	if a.Name() != "monitor" || b.Name() != "monitor.link" || root.Name() != "" {
		t.Errorf("names %q %q %q", a.Name(), b.Name(), root.Name())
	}
	if got := fmt.Sprint(a.ImpliedArgs()); got != "[master mymaster n 1]" {
		t.Errorf("implied args %s", got)
	}
	a.ImpliedArgs()[1] = "changed"
	if a.ImpliedArgs()[1] != "mymaster" {
		t.Error("ImpliedArgs exposes the logger's own slice")
	}
}

func TestHideNames(t *testing.T) {
	l, buf := newTest(Options{HideNames: true})
	n := l.Named("events")
	n.Warn("+sdown master mymaster 127.0.0.1 6379")
	if want := "9982:X 26 Nov 2026 18:33:01.834 # +sdown master mymaster 127.0.0.1 6379\n"; buf.String() != want {
		t.Errorf("got %q", buf.String())
	}
	if n.Name() != "events" {
		t.Errorf("name %q", n.Name())
	}
}

func TestLevels(t *testing.T) {
	l, buf := newTest(Options{})
	if l.GetLevel() != hclog.Info || l.IsDebug() || !l.IsInfo() || !l.IsError() {
		t.Fatalf("default level %v", l.GetLevel())
	}
	child := l.Named("c").With("k", 1)
	l.Debug("hidden")
	child.SetLevel(hclog.Warn) // shared: the parent follows
	l.Info("hidden too")
	l.Warn("shown")
	if l.GetLevel() != hclog.Warn || l.IsInfo() || !l.IsWarn() {
		t.Errorf("level after SetLevel on a child: %v", l.GetLevel())
	}
	l.SetLevel(hclog.Off)
	l.Error("off")
	l.SetLevel(hclog.Trace)
	l.Log(hclog.NoLevel, "no level")
	l.Log(hclog.Off, "off level")
	if !l.IsTrace() {
		t.Error("IsTrace false at Trace")
	}
	if want := "9982:X 26 Nov 2026 18:33:01.834 # shown\n"; buf.String() != want {
		t.Errorf("got %q", buf.String())
	}
}

func TestStandardLogger(t *testing.T) {
	l, buf := newTest(Options{Level: hclog.Trace})
	l.StandardLogger(nil).Println("[ERROR] plain stays info")
	l.StandardLogger(&hclog.StandardLoggerOptions{InferLevels: true}).Print("[WARN]  careful")
	l.StandardLogger(&hclog.StandardLoggerOptions{InferLevels: true}).Print("[DEBUG] verbose")
	l.StandardLogger(&hclog.StandardLoggerOptions{InferLevels: true, InferLevelsWithTimestamp: true}).
		Print("2026/11/26 18:33:01 [ERR] bad")
	w := l.StandardWriter(&hclog.StandardLoggerOptions{ForceLevel: hclog.Trace})
	if n, err := w.Write([]byte("[INFO] forced \n")); n != 15 || err != nil {
		t.Errorf("Write = %d, %v", n, err)
	}
	want := `9982:X 26 Nov 2026 18:33:01.834 * [ERROR] plain stays info
9982:X 26 Nov 2026 18:33:01.834 # careful
9982:X 26 Nov 2026 18:33:01.834 - verbose
9982:X 26 Nov 2026 18:33:01.834 # bad
9982:X 26 Nov 2026 18:33:01.834 . forced
`
	if buf.String() != want {
		t.Errorf("got\n%s\nwant\n%s", buf, want)
	}
}

// writes records each Write call, to check that every line is exactly one call.
type writes struct {
	mu    sync.Mutex
	calls []string
}

func (w *writes) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.calls = append(w.calls, string(p))
	return len(p), nil
}

func TestConcurrentOneWritePerLine(t *testing.T) {
	w := &writes{}
	l := New(Options{Output: w, Pid: 1, Now: clock})
	const goroutines, lines = 8, 200
	var wg sync.WaitGroup
	for g := range goroutines {
		lg := l.Named(fmt.Sprint("g", g)).With("g", g)
		wg.Go(func() {
			for i := range lines {
				lg.Info("line", "i", i, "pad", strings.Repeat("x", i))
			}
		})
	}
	wg.Wait()
	if len(w.calls) != goroutines*lines {
		t.Fatalf("%d writes, want %d", len(w.calls), goroutines*lines)
	}
	for _, c := range w.calls {
		if strings.Count(c, "\n") != 1 || !strings.HasSuffix(c, "\n") || !strings.HasPrefix(c, "1:X ") {
			t.Fatalf("write is not one line: %q", c)
		}
	}
}

func TestParseLevel(t *testing.T) {
	for name, want := range map[string]hclog.Level{
		"debug": hclog.Trace, "verbose": hclog.Debug, "notice": hclog.Info, "warning": hclog.Warn,
		"NOTICE": hclog.Info, "Warning": hclog.Warn,
	} {
		got, err := ParseLevel(name)
		if err != nil || got != want {
			t.Errorf("ParseLevel(%q) = %v, %v; want %v", name, got, err, want)
		}
		if LevelName(got) != strings.ToLower(name) {
			t.Errorf("LevelName(%v) = %q, want %q", got, LevelName(got), strings.ToLower(name))
		}
	}
	for _, bad := range []string{"", "info", "warn", "nothing", " notice", "verbo\u017fe", "DEBUG\x00"} {
		if _, err := ParseLevel(bad); !errors.Is(err, ErrLevel) {
			t.Errorf("ParseLevel(%q): %v", bad, err)
		}
	}
	if LevelName(hclog.Error) != "warning" {
		t.Errorf("LevelName(Error) = %q", LevelName(hclog.Error))
	}
}

func BenchmarkLog(b *testing.B) {
	l := New(Options{Output: discard{}, Pid: 1, Now: clock})
	b.ReportAllocs()
	for b.Loop() {
		l.Warn("+sdown master mymaster 127.0.0.1 6379")
	}
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }

// serverLog cuts a message at 1023 bytes (its LOG_MAX_LEN buffer): redis-sentinel's log of
// a long list of aclfile errors ends mid-word.
func TestLongMessageCut(t *testing.T) {
	l, buf := newTest(Options{Level: hclog.Info})
	l.Warn(strings.Repeat("x", 1022) + "yz")
	want := "9982:X 26 Nov 2026 18:33:01.834 # " + strings.Repeat("x", 1022) + "y\n"
	if buf.String() != want {
		t.Errorf("got %q", buf.String())
	}
}
