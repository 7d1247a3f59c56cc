package config

import (
	"math"
	"strings"

	"github.com/sentinel-go/sentinel/internal/cstrconv"
)

// Redis's own number parsers and formatter for config values, beside the C library's
// (package cstrconv). Only the config loader uses these: the option table's integer, memory,
// percent and octal values, and client-output-buffer-limit.

// string2ll is Redis's strict integer parser: no spaces, no '+', no leading zeros, no
// overflow, at most 20 digits.
func string2ll(s string) (int64, bool) {
	if len(s) == 0 || len(s) > 20 {
		return 0, false
	}
	if s == "0" {
		return 0, true
	}
	neg := false
	p := s
	if p[0] == '-' {
		neg = true
		p = p[1:]
		if len(p) == 0 {
			return 0, false
		}
	}
	if p[0] < '1' || p[0] > '9' {
		return 0, false
	}
	var v uint64
	for i := 0; i < len(p); i++ {
		c := p[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		if v > (math.MaxUint64-uint64(c-'0'))/10 {
			return 0, false
		}
		v = v*10 + uint64(c-'0')
	}
	if neg {
		if v > 1<<63 {
			return 0, false
		}
		return -int64(v), true
	}
	if v > math.MaxInt64 {
		return 0, false
	}
	return int64(v), true
}

// memtoull is Redis's memory value parser: digits followed by an optional unit (b, k, kb,
// m, mb, g, gb; case-insensitive). An empty number reads as 0, as it does in Redis.
func memtoull(s string) (uint64, bool) {
	if strings.HasPrefix(s, "-") {
		return 0, false
	}
	i := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	var mul uint64
	switch strings.ToLower(s[i:]) {
	case "", "b":
		mul = 1
	case "k":
		mul = 1000
	case "kb":
		mul = 1024
	case "m":
		mul = 1000 * 1000
	case "mb":
		mul = 1024 * 1024
	case "g":
		mul = 1000 * 1000 * 1000
	case "gb":
		mul = 1024 * 1024 * 1024
	default:
		return 0, false
	}
	if i >= 128 {
		return 0, false
	}
	var v uint64
	for _, c := range []byte(s[:i]) {
		d := uint64(c - '0')
		if v > (math.MaxUint64-d)/10 {
			return 0, false
		}
		v = v*10 + d
	}
	if v > math.MaxUint64/mul {
		return 0, false
	}
	return v * mul, true
}

// formatMemory is rewriteConfigFormatMemory: the largest of gb, mb, kb that divides.
func formatMemory(v int64) string {
	const kb, mb, gb = 1024, 1024 * 1024, 1024 * 1024 * 1024
	switch {
	case v != 0 && v%gb == 0:
		return itoa(v/gb) + "gb"
	case v != 0 && v%mb == 0:
		return itoa(v/mb) + "mb"
	case v != 0 && v%kb == 0:
		return itoa(v/kb) + "kb"
	}
	return itoa(v)
}

// parseOctal is strtoll(s, &end, 8) that must consume everything.
func parseOctal(s string) (int64, bool) {
	neg, p := cstrconv.Sign(s)
	if len(p) > 1 && p[0] == '0' && (p[1] == 'x' || p[1] == 'X') {
		return 0, false
	}
	if p == "" {
		// strtoll consumed nothing: end points at the start, which is only "" when s is "".
		return 0, s == ""
	}
	var v uint64
	for i := 0; i < len(p); i++ {
		c := p[i]
		if c < '0' || c > '7' {
			return 0, false
		}
		v = v*8 + uint64(c-'0')
		if v > 1<<63 {
			return 0, false
		}
	}
	if neg {
		return -int64(v), true
	}
	if v > math.MaxInt64 {
		return 0, false
	}
	return int64(v), true
}
