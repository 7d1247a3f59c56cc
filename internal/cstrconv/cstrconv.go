package cstrconv

import "math"

// isSpace reports whether c is white space for C's isspace in the "C" locale.
func isSpace(c byte) bool {
	return c == ' ' || (c >= '\t' && c <= '\r')
}

// Sign skips what strtol skips before the digits, C white space and then one '+' or '-',
// and reports whether that sign was '-'. Callers that need strtol's end pointer (must the
// whole string be a number?) scan rest themselves.
func Sign(s string) (neg bool, rest string) {
	i := 0
	for i < len(s) && isSpace(s[i]) {
		i++
	}
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		neg = s[i] == '-'
		i++
	}
	return neg, s[i:]
}

// digits splits s the way strtol scans it: the sign, then the run of decimal digits after
// it, which may be empty.
func digits(s string) (neg bool, ds string) {
	neg, rest := Sign(s)
	j := 0
	for j < len(rest) && rest[j] >= '0' && rest[j] <= '9' {
		j++
	}
	return neg, rest[:j]
}

// magnitude is the value of a run of decimal digits, and whether it exceeds limit.
func magnitude(ds string, limit uint64) (v uint64, over bool) {
	for i := 0; i < len(ds); i++ {
		d := uint64(ds[i] - '0')
		if v > (limit-d)/10 {
			return limit, true
		}
		v = v*10 + d
	}
	return v, false
}

// Strtoll is C's strtoll(s, NULL, 10): the leading number of s, 0 when there is none, and
// math.MaxInt64 or math.MinInt64 when it is out of range.
func Strtoll(s string) int64 {
	neg, ds := digits(s)
	if neg {
		v, over := magnitude(ds, uint64(math.MaxInt64)+1)
		if over {
			return math.MinInt64
		}
		return int64(-v) // -(MaxInt64+1) wraps to MinInt64, which is what we want
	}
	v, _ := magnitude(ds, math.MaxInt64)
	return int64(v)
}

// Strtoull is C's strtoull(s, NULL, 10). It accepts a minus sign and negates the value in
// unsigned arithmetic ("-1" is math.MaxUint64), and returns math.MaxUint64 for any number
// too large, negative or not.
func Strtoull(s string) uint64 {
	neg, ds := digits(s)
	v, over := magnitude(ds, math.MaxUint64)
	if neg && !over {
		return -v
	}
	return v
}

// Atoi is C's atoi as glibc defines it, (int)strtol(s, NULL, 10) with a 64-bit long: a value
// beyond the int32 range keeps its low 32 bits, so "4294967297" is 1.
func Atoi(s string) int {
	return int(int32(Strtoll(s)))
}
