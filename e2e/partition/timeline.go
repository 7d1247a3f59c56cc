package partition

import (
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"
)

// Timeline is one test's log of faults and sentinel events on a single monotonic clock, so a
// failed run shows what the harness did next to what the sentinels saw.
type Timeline struct {
	start time.Time // carries the monotonic reading; time.Since uses it

	mu      sync.Mutex
	entries []Entry
}

// Entry is one line of a Timeline.
type Entry struct {
	At     time.Duration // since the Timeline began
	Source string        // "fault", "harness", a sentinel's name, a writer's
	Text   string
}

// NewTimeline starts a Timeline at the current instant.
func NewTimeline() *Timeline { return &Timeline{start: time.Now()} }

// Since is the monotonic offset from the Timeline's start: the clock everything is logged on.
func (tl *Timeline) Since() time.Duration { return time.Since(tl.start) }

// Logf adds an entry stamped now.
func (tl *Timeline) Logf(source, format string, args ...any) {
	tl.Add(tl.Since(), source, fmt.Sprintf(format, args...))
}

// Add adds an entry stamped at, for events timed by their observer.
func (tl *Timeline) Add(at time.Duration, source, text string) {
	tl.mu.Lock()
	tl.entries = append(tl.entries, Entry{At: at, Source: source, Text: text})
	tl.mu.Unlock()
}

// Entries returns the entries in time order (stable for equal stamps).
func (tl *Timeline) Entries() []Entry {
	tl.mu.Lock()
	es := append([]Entry(nil), tl.entries...)
	tl.mu.Unlock()
	sort.SliceStable(es, func(i, j int) bool { return es[i].At < es[j].At })
	return es
}

// Find returns the first entry from source whose text contains sub.
func (tl *Timeline) Find(source, sub string) (Entry, bool) {
	for _, e := range tl.Entries() {
		if (source == "" || e.Source == source) && strings.Contains(e.Text, sub) {
			return e, true
		}
	}
	return Entry{}, false
}

// String renders the timeline, one entry a line: "  12.345s fault    cut [m1 s1] | [s2 s3]".
func (tl *Timeline) String() string {
	var b strings.Builder
	for _, e := range tl.Entries() {
		fmt.Fprintf(&b, "%9.3fs %-10s %s\n", e.At.Seconds(), e.Source, e.Text)
	}
	return b.String()
}
