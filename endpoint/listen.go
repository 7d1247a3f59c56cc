package endpoint

import (
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"syscall"

	"github.com/sentinel-go/sentinel/internal/respserver"
)

// DefaultBind is a sentinel's default bind list: every IPv4 address, and every IPv6
// address where the host has IPv6.
var DefaultBind = []string{"*", "-::*"}

// Listen opens the TCP listeners of a bind list the way Redis 7.0 does: "*" is every IPv4
// address, "::*" every IPv6 address, an address with a colon is IPv6, and a leading "-"
// makes an address optional, skipped when the host does not have it (EADDRNOTAVAIL) or
// lacks its address family. An empty bind list means DefaultBind; port 0 means no TCP
// listener at all, as in Redis. On error no listener is left open.
//
// IPv6 listeners are IPv6-only (Go's "tcp6"), as Redis's are, so "*" and "::*" can share a
// port.
func Listen(bind []string, port int) ([]net.Listener, error) {
	if port == 0 {
		return nil, nil
	}
	if len(bind) == 0 {
		bind = DefaultBind
	}
	var ls []net.Listener
	fail := func(err error) ([]net.Listener, error) {
		for _, l := range ls {
			l.Close()
		}
		return nil, err
	}
	for _, addr := range bind {
		optional := strings.HasPrefix(addr, "-")
		host := strings.TrimPrefix(addr, "-")
		network := "tcp4"
		switch {
		case host == "*":
			host = "0.0.0.0"
		case host == "::*":
			host, network = "::", "tcp6"
		case strings.Contains(host, ":"):
			network = "tcp6"
		}
		l, err := net.Listen(network, net.JoinHostPort(host, strconv.Itoa(port)))
		if err != nil {
			if optional && skippable(err) {
				continue
			}
			return fail(fmt.Errorf("server: could not create server TCP listening socket %s:%d: %w", host, port, err))
		}
		ls = append(ls, l)
	}
	if len(ls) == 0 {
		return nil, errors.New("server: configured to not listen anywhere")
	}
	return ls, nil
}

// ListenUnix listens on a unix socket as unixsocket and unixsocketperm do: a stale socket
// file is removed first, and perm (0 for the umask's) applied. Clients on it show the
// socket's path as addr and laddr, with port 0, as in Redis.
func ListenUnix(path string, perm os.FileMode) (net.Listener, error) {
	l, err := respserver.ListenUnix(path, perm)
	if err != nil {
		return nil, fmt.Errorf("server: %w", err)
	}
	return l, nil
}

// skippable reports errors that mean the host lacks the address or its family.
func skippable(err error) bool {
	for _, e := range []error{syscall.EADDRNOTAVAIL, syscall.EAFNOSUPPORT, syscall.EPROTONOSUPPORT,
		syscall.ENOPROTOOPT, syscall.ESOCKTNOSUPPORT, syscall.EPFNOSUPPORT} {
		if errors.Is(err, e) {
			return true
		}
	}
	return false
}
