package config

import (
	"net/netip"
	"strconv"
	"strings"
)

// NumericIP tells whether host is a numeric address as getaddrinfo(AI_NUMERICHOST) reads
// it, and returns it the way inet_ntop prints it. That includes inet_aton's short and
// octal/hex forms: redis-sentinel accepts `1.2.3` as 1.2.0.3 and `010.0.0.1` as 8.0.0.1.
func NumericIP(host string) (string, bool) {
	if strings.Contains(host, ":") {
		if i := strings.IndexByte(host, '%'); i >= 0 {
			host = host[:i] // a scope; inet_ntop does not print it
		}
		a, err := netip.ParseAddr(host)
		if err != nil || !a.Is6() {
			return "", false
		}
		return a.String(), true
	}
	return inetAton(host)
}

// inetAton is glibc's inet_aton_exact: one to four parts, each decimal, 0-octal or 0x-hex,
// the last one filling the remaining bytes.
func inetAton(s string) (string, bool) {
	parts := strings.Split(s, ".")
	if len(parts) > 4 {
		return "", false
	}
	vals := make([]uint64, len(parts))
	for i, p := range parts {
		if p == "" {
			return "", false
		}
		base, digits := 10, p
		switch {
		case strings.HasPrefix(p, "0x") || strings.HasPrefix(p, "0X"):
			base, digits = 16, p[2:]
			if digits == "" {
				// strtoul reads "0x" as 0 followed by "x": not a whole part.
				return "", false
			}
		case len(p) > 1 && p[0] == '0':
			base, digits = 8, p[1:]
		}
		v, err := strconv.ParseUint(digits, base, 32)
		if err != nil || strings.ContainsAny(digits, "+-_") {
			return "", false
		}
		vals[i] = v
	}
	var ip uint64
	n := len(vals)
	for i := 0; i < n-1; i++ {
		if vals[i] > 0xff {
			return "", false
		}
		ip |= vals[i] << (24 - 8*i)
	}
	last := vals[n-1]
	if last >= 1<<(8*(5-n)) {
		return "", false
	}
	ip |= last
	b := [4]byte{byte(ip >> 24), byte(ip >> 16), byte(ip >> 8), byte(ip)}
	return netip.AddrFrom4(b).String(), true
}
