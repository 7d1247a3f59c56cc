package redislog

import (
	"errors"
	"fmt"
	"strings"

	"github.com/hashicorp/go-hclog"
)

// ErrLevel is returned by ParseLevel for a name Redis 7.0 does not know.
var ErrLevel = errors.New("redislog: loglevel must be one of debug, verbose, notice, warning")

// levelNames are redis.conf's loglevel names, by Redis level.
var levelNames = [...]string{"debug", "verbose", "notice", "warning"}

// levelsByName are the hclog levels that stand for them.
var levelsByName = [...]hclog.Level{hclog.Trace, hclog.Debug, hclog.Info, hclog.Warn}

// ParseLevel maps a redis.conf loglevel to the hclog level this package writes with Redis's
// mark for it. Like Redis's config enums (strcasecmp), the name is matched ignoring ASCII
// case only.
func ParseLevel(redisLevel string) (hclog.Level, error) {
	for i, name := range levelNames {
		// Equal lengths keep out non-ASCII letters that lower-case to ASCII ones (ſ, K).
		if len(redisLevel) == len(name) && strings.ToLower(redisLevel) == name {
			return levelsByName[i], nil
		}
	}
	return hclog.NoLevel, fmt.Errorf("%w: %q", ErrLevel, redisLevel)
}

// LevelName is the redis.conf loglevel for an hclog level, the inverse of ParseLevel, for
// writing the level back into a config file.
func LevelName(level hclog.Level) string {
	return levelNames[redisLevel(level)]
}
