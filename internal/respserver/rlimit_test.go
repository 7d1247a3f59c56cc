package respserver

import (
	"reflect"
	"syscall"
	"testing"
)

// TestFitOpenFiles: the lines are redis-server 7.0.15's, as it logged them with
// `ulimit -n 100` and maxclients 1000 (reduced to 68), and with a soft limit it could raise.
func TestFitOpenFiles(t *testing.T) {
	deny := func(limit uint64) func(uint64) error {
		return func(n uint64) error {
			if n > limit {
				return syscall.EPERM
			}
			return nil
		}
	}
	for _, tc := range []struct {
		name       string
		max        int
		cur, hard  uint64
		wantN      int
		wantNotes  []Note
		wantErrSet bool
	}{
		{"enough", 1000, 20000, 20000, 1000, nil, false},
		{"raised", 1000, 100, 20000, 1000, []Note{{false, "Increased maximum number of open files to 1032 (it was originally set to 100)."}}, false},
		{"reduced", 1000, 100, 100, 68, []Note{
			{true, "You requested maxclients of 1000 requiring at least 1032 max file descriptors."},
			{true, "Server can't set maximum open files to 1032 because of OS error: Operation not permitted."},
			{true, "Current maximum open files is 100. maxclients has been reduced to 68 to compensate for low ulimit. If you need higher maxclients increase 'ulimit -n'."},
		}, false},
		{"partly raised", 1000, 100, 500, 456, []Note{
			{true, "You requested maxclients of 1000 requiring at least 1032 max file descriptors."},
			{true, "Server can't set maximum open files to 1032 because of OS error: Operation not permitted."},
			{true, "Current maximum open files is 488. maxclients has been reduced to 456 to compensate for low ulimit. If you need higher maxclients increase 'ulimit -n'."},
		}, false},
		{"too few", 1000, 20, 20, 0, []Note{{true, "Your current 'ulimit -n' of 20 is not enough for the server to start. Please increase your open file limit to at least 1032. Exiting."}}, true},
	} {
		n, notes, err := FitOpenFiles(tc.max, tc.cur, deny(tc.hard))
		if n != tc.wantN || !reflect.DeepEqual(notes, tc.wantNotes) || (err != nil) != tc.wantErrSet {
			t.Errorf("%s: got %d, %+v, %v", tc.name, n, notes, err)
		}
	}
}
