// Package cstrconv is the C library's lenient number parsing that Redis applies to config
// values, INFO fields and hello messages, so we accept and reject exactly what Redis does.
//
// glibc's atoi, strtoll and strtoull, base 10, as redis-sentinel 7.0.15 calls them (with a
// NULL end pointer, the return value taken whatever it is):
//
//   - Leading C white space (isspace in the "C" locale) and one '+' or '-' are skipped, then
//     the run of decimal digits is read and anything after it ignored: "12abc" is 12, and a
//     string with no digits ("", "abc", "-", "0x1f" past its 0) is 0.
//   - strtoll saturates at math.MaxInt64 and math.MinInt64. strtoull negates in unsigned
//     arithmetic ("-1" is math.MaxUint64) and saturates at math.MaxUint64 whatever the sign.
//   - atoi is (int)strtol with a 64-bit long: a value beyond the int32 range keeps its low
//     32 bits, so "4294967297" is 1.
//
// Invariants:
//   - Every function is pure and total: any string yields a value, never a panic or an
//     error, because the C functions never fail either; a caller that must reject input
//     checks the text itself (see Sign).
//   - The results are glibc's for every input (the tests check a table of cases
//     and fuzz against a math/big reference).
//
// Dependencies: the design keeps config and monitor/info free of imports of ours. They
// import this package anyway, because it is a leaf that imports nothing of ours itself:
// one copy of these conversions keeps the config loader, the INFO parser and the hello
// parser agreeing with each other and with Redis.
package cstrconv
