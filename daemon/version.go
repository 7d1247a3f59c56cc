package daemon

import (
	"fmt"
	"runtime"
	"runtime/debug"
	"strings"
)

// Version is set at link time
// (-ldflags "-X github.com/sentinel-go/sentinel/daemon.Version=v1.2.3"); otherwise the
// module version from the build info is shown.
var Version = ""

// VersionLine is what `sentinel --version` prints and the start-up log names: the version,
// the VCS revision the binary was built from (when the go command stamped one), the Go
// release and the platform.
func VersionLine() string {
	bi, _ := debug.ReadBuildInfo()
	return versionLine(Version, bi, runtime.GOOS+"/"+runtime.GOARCH)
}

// versionLine formats VersionLine from its inputs so that the formatting is testable with
// a hand-built BuildInfo. An operator comparing two sentinels needs the revision more than
// the module version: a local or CI build is "(devel)" or a pseudo-version, while the
// revision names the exact source, and modified=1 says it is not exactly that source.
func versionLine(override string, bi *debug.BuildInfo, platform string) string {
	v, goVersion := override, runtime.Version()
	var settings []debug.BuildSetting
	if bi != nil {
		if v == "" {
			v = bi.Main.Version
		}
		if bi.GoVersion != "" {
			goVersion = bi.GoVersion
		}
		settings = bi.Settings
	}
	if v == "" {
		v = "(devel)"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "sentinel %s", v)
	var rev, modified, at string
	for _, s := range settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			modified = s.Value
		case "vcs.time":
			at = s.Value
		}
	}
	if rev != "" {
		fmt.Fprintf(&b, " commit=%s", rev)
		if modified == "true" {
			b.WriteString(" modified=1")
		} else {
			b.WriteString(" modified=0")
		}
		if at != "" {
			fmt.Fprintf(&b, " time=%s", at)
		}
	}
	fmt.Fprintf(&b, " %s %s", goVersion, platform)
	return b.String()
}
