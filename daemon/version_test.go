package daemon

import (
	"runtime"
	"runtime/debug"
	"testing"
)

func TestVersionLine(t *testing.T) {
	stamped := []debug.BuildSetting{
		{Key: "-trimpath", Value: "true"},
		{Key: "vcs", Value: "git"},
		{Key: "vcs.revision", Value: "0123456789abcdef0123456789abcdef01234567"},
		{Key: "vcs.time", Value: "2026-12-04T13:00:00Z"},
		{Key: "vcs.modified", Value: "true"},
	}
	for _, tc := range []struct {
		name     string
		override string
		bi       *debug.BuildInfo
		want     string
	}{
		{"no build info", "", nil,
			"sentinel (devel) " + runtime.Version() + " linux/arm64"},
		{"devel, unstamped", "", &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "(devel)"}},
			"sentinel (devel) go1.26.8 linux/arm64"},
		{"stamped, dirty", "", &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "v0.0.0-20261204130000-0123456789ab+dirty"}, Settings: stamped},
			"sentinel v0.0.0-20261204130000-0123456789ab+dirty commit=0123456789abcdef0123456789abcdef01234567 modified=1 time=2026-12-04T13:00:00Z go1.26.8 linux/arm64"},
		{"override keeps the revision", "v1.2.3", &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "(devel)"}, Settings: stamped[:3]},
			"sentinel v1.2.3 commit=0123456789abcdef0123456789abcdef01234567 modified=0 go1.26.8 linux/arm64"},
	} {
		if got := versionLine(tc.override, tc.bi, "linux/arm64"); got != tc.want {
			t.Errorf("%s:\n got %q\nwant %q", tc.name, got, tc.want)
		}
	}
}
