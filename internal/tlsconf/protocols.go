package tlsconf

import (
	"crypto/tls"
	"strings"
)

// ParseProtocols reads tls-protocols as Redis's parseProtocolsConfig does: names split on
// single spaces (so two spaces in a row make an empty, invalid name), matched without
// case. "" is the default, TLSv1.2 and TLSv1.3.
//
// TLSv1 and TLSv1.1 are accepted, as Redis accepts them, but never negotiated: Debian's
// OpenSSL 3 refuses them at its default security level and Go's crypto/tls below 1.2 is
// not something to revive. A list of only those leaves min above max, which crypto/tls
// refuses at every handshake, as OpenSSL 3 does for the same config.
//
// Go has only a range of versions; the two it can offer here leave no gap to lose.
func ParseProtocols(v string) (min, max uint16, err error) {
	if v == "" {
		return tls.VersionTLS12, tls.VersionTLS13, nil
	}
	var has12, has13 bool
	for _, tok := range strings.Split(v, " ") {
		switch strings.ToLower(tok) {
		case "tlsv1", "tlsv1.1":
		case "tlsv1.2":
			has12 = true
		case "tlsv1.3":
			has13 = true
		default:
			return 0, 0, errorf(nil, "Invalid tls-protocols specified. Use a combination of 'TLSv1', 'TLSv1.1', 'TLSv1.2' and 'TLSv1.3'.")
		}
	}
	switch {
	case has12 && has13:
		return tls.VersionTLS12, tls.VersionTLS13, nil
	case has12:
		return tls.VersionTLS12, tls.VersionTLS12, nil
	case has13:
		return tls.VersionTLS13, tls.VersionTLS13, nil
	}
	return tls.VersionTLS13, tls.VersionTLS12, nil // nothing we negotiate: every handshake fails
}
