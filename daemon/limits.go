package daemon

import (
	"fmt"
	"net"
	"os"
	"strconv"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/sentinel-go/sentinel/config"
	"github.com/sentinel-go/sentinel/endpoint"
	"github.com/sentinel-go/sentinel/internal/respserver"
)

// connLimits are maxclients, timeout and tcp-keepalive as the endpoint takes them.
// Config.Options holds only values that differ from redis-server's defaults, so a missing
// key is the default (10000, 0, 300).
type connLimits struct {
	maxClients int
	idle       time.Duration
	keepAlive  time.Duration // negative: off (tcp-keepalive 0)
}

func limitsOf(cfg *config.Config, log hclog.Logger) (connLimits, error) {
	l := connLimits{maxClients: 10000, keepAlive: 300 * time.Second}
	if v, ok := optionInt(cfg, "maxclients"); ok {
		l.maxClients = v
	}
	if v, ok := optionInt(cfg, "timeout"); ok {
		l.idle = time.Duration(v) * time.Second
	}
	if v, ok := optionInt(cfg, "tcp-keepalive"); ok {
		l.keepAlive = time.Duration(v) * time.Second
		if v == 0 {
			l.keepAlive = -1
		}
	}
	// adjustOpenFilesLimit: maxclients is lowered, with Redis's lines, to what the
	// descriptor limit allows.
	n, err := respserver.AdjustOpenFiles(l.maxClients, log)
	if err != nil {
		return l, err
	}
	l.maxClients = n
	return l, nil
}

// optionInt is a numeric standard option the loader validated; ok is false at its default.
func optionInt(cfg *config.Config, name string) (int, bool) {
	v := cfg.Options[name]
	if len(v) == 0 {
		return 0, false
	}
	n, err := strconv.Atoi(v[0])
	return n, err == nil
}

// listenUnix opens unixsocket with unixsocketperm, or nothing when unixsocket is unset.
func listenUnix(cfg *config.Config) (net.Listener, error) {
	path := ""
	if v := cfg.Options["unixsocket"]; len(v) > 0 {
		path = v[0]
	}
	if path == "" {
		return nil, nil
	}
	perm := os.FileMode(0)
	if v := cfg.Options["unixsocketperm"]; len(v) > 0 {
		p, err := strconv.ParseUint(v[0], 8, 32)
		if err != nil {
			return nil, fmt.Errorf("unixsocketperm %q: %w", v[0], err)
		}
		perm = os.FileMode(p)
	}
	return endpoint.ListenUnix(path, perm)
}
