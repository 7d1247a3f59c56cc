package cstrconv

import (
	"math"
	"math/big"
	"strings"
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestConversions(t *testing.T) {
	tests := []struct {
		in   string
		ll   int64
		ull  uint64
		atoi int
	}{
		{"", 0, 0, 0},
		{"abc", 0, 0, 0},
		{"x", 0, 0, 0},
		{"-", 0, 0, 0},
		{"12", 12, 12, 12},
		{"+4", 4, 4, 4},
		{"+7", 7, 7, 7},
		{"-3", -3, math.MaxUint64 - 2, -3},
		{" 12x", 12, 12, 12},
		{"12abc", 12, 12, 12},
		{" \t\n\v\f\r12x", 12, 12, 12},
		{"0x1f", 0, 0, 0},
		{"-1", -1, math.MaxUint64, -1},
		{"9223372036854775807", math.MaxInt64, math.MaxInt64, -1},
		{"9223372036854775808", math.MaxInt64, 1 << 63, -1},
		{"-9223372036854775808", math.MinInt64, 1 << 63, 0},
		{"-9223372036854775809", math.MinInt64, 1<<63 - 1, 0},
		{"18446744073709551615", math.MaxInt64, math.MaxUint64, -1},
		{"18446744073709551616", math.MaxInt64, math.MaxUint64, -1},
		{"-18446744073709551616", math.MinInt64, math.MaxUint64, 0},
		{"99999999999999999999", math.MaxInt64, math.MaxUint64, -1},
		{"99999999999999999999999", math.MaxInt64, math.MaxUint64, -1},
		{"2147483648", 2147483648, 2147483648, math.MinInt32},
		{"4294967297", 4294967297, 4294967297, 1},
		{"00000000000000000000000042", 42, 42, 42},
	}
	for _, tt := range tests {
		if got := Strtoll(tt.in); got != tt.ll {
			t.Errorf("Strtoll(%q) = %d, want %d", tt.in, got, tt.ll)
		}
		if got := Strtoull(tt.in); got != tt.ull {
			t.Errorf("Strtoull(%q) = %d, want %d", tt.in, got, tt.ull)
		}
		if got := Atoi(tt.in); got != tt.atoi {
			t.Errorf("Atoi(%q) = %d, want %d", tt.in, got, tt.atoi)
		}
	}
}

func TestSign(t *testing.T) {
	tests := []struct {
		in   string
		neg  bool
		rest string
	}{
		{"", false, ""},
		{"12", false, "12"},
		{" \t\n\v\f\r-5x", true, "5x"},
		{"+", false, ""},
		{"--1", true, "-1"},
		{"+ 1", false, " 1"},
		{"\x001", false, "\x001"},
	}
	for _, tt := range tests {
		if neg, rest := Sign(tt.in); neg != tt.neg || rest != tt.rest {
			t.Errorf("Sign(%q) = %v %q, want %v %q", tt.in, neg, rest, tt.neg, tt.rest)
		}
	}
}

// The reference below reads the number the way the C standard describes strtol, with
// math/big and no overflow arithmetic of its own, so the two readings fail differently.

// refNumber is the sign and the digit run strtol would read, as a big integer.
func refNumber(s string) *big.Int {
	s = strings.TrimLeft(s, " \t\n\v\f\r")
	sign := ""
	if s != "" && (s[0] == '+' || s[0] == '-') {
		sign, s = s[:1], s[1:]
	}
	n := len(s) - len(strings.TrimLeft(s, "0123456789"))
	if n == 0 {
		return new(big.Int)
	}
	v, _ := new(big.Int).SetString(sign+s[:n], 10)
	return v
}

func refStrtoll(s string) int64 {
	v := refNumber(s)
	if v.Cmp(big.NewInt(math.MaxInt64)) > 0 {
		return math.MaxInt64
	}
	if v.Cmp(big.NewInt(math.MinInt64)) < 0 {
		return math.MinInt64
	}
	return v.Int64()
}

func refStrtoull(s string) uint64 {
	v := refNumber(s)
	mag := new(big.Int).Abs(v)
	if mag.Cmp(new(big.Int).SetUint64(math.MaxUint64)) > 0 {
		return math.MaxUint64
	}
	if v.Sign() < 0 {
		return -mag.Uint64()
	}
	return mag.Uint64()
}

func refAtoi(s string) int { return int(int32(refStrtoll(s))) }

func FuzzAgainstReference(f *testing.F) {
	for _, s := range []string{"", "-", "+", " -0", "9223372036854775807", "-9223372036854775808",
		"99999999999999999999999", "-99999999999999999999999", "18446744073709551615",
		"-18446744073709551615", "4294967296", "-2147483649", "\v12", "1\x002"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if Strtoll(s) != refStrtoll(s) || Strtoull(s) != refStrtoull(s) || Atoi(s) != refAtoi(s) {
			t.Errorf("%q: %d %d %d, reference %d %d %d", s, Strtoll(s), Strtoull(s), Atoi(s),
				refStrtoll(s), refStrtoull(s), refAtoi(s))
		}
	})
}
