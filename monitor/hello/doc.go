// Package hello reads and writes the payload sentinels publish on __sentinel__:hello
// (sentinel.c's sentinelSendHello and sentinelProcessHelloMessage, 7.0.15):
//
//	<sentinel_ip>,<sentinel_port>,<sentinel_runid>,<current_epoch>,<master_name>,<master_ip>,<master_port>,<master_config_epoch>
//
// Invariants:
//   - Parse accepts exactly what redis-sentinel accepts: any payload with exactly eight
//     comma-separated fields, empty ones included. It checks nothing else; numbers are read
//     with the C library's leniency (internal/cstrconv: ports with atoi, epochs with
//     strtoull), so "x" is 0 and "-1" is the largest epoch, and each string ends at its
//     first NUL byte, as a C string does.
//   - Append writes the format sentinelSendHello writes, so Parse(h.String()) == h for any h
//     whose strings contain no comma and no NUL, and parsing then appending is idempotent.
package hello
