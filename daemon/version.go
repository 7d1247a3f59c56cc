package daemon

import (
	"fmt"
	"runtime"
	"runtime/debug"
)

// Version is set at link time
// (-ldflags "-X github.com/sentinel-go/sentinel/daemon.Version=v1.2.3"); otherwise the
// module version from the build info is shown.
var Version = ""

// VersionLine is what `sentinel --version` prints and the start-up log names: the version,
// the Go release and the platform.
func VersionLine() string {
	v := Version
	if v == "" {
		v = "(devel)"
		if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" {
			v = bi.Main.Version
		}
	}
	return fmt.Sprintf("sentinel %s %s %s/%s", v, runtime.Version(), runtime.GOOS, runtime.GOARCH)
}
