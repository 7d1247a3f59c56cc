// Package rdb reads and writes Redis RDB snapshots that hold string keys, the format a
// master sends a replica during a full resync and redis-server writes as dump.rdb.
//
// The embedded test server needs exactly two things from it: a snapshot that a real
// redis-server 7.0 accepts when it replicates from us, and the keys out of the snapshot a
// real redis-server 7.0 sends when we replicate from it. It is therefore deliberately small:
// strings only, everything else is refused with an error that names the type and the key.
//
// Invariants:
//
//   - The Encoder writes RDB version 10 ("REDIS0010"), the newest version Redis 7.0 loads;
//     newer versions are refused by 7.0 with "Can't handle RDB format version". It encodes
//     strings as Redis does (integer encoding for short canonical integers, LZF for strings
//     longer than 20 bytes when that saves at least 4 bytes), so its output looks like the
//     server's own and exercises the same load paths.
//   - Every byte the Encoder writes, up to and including the EOF opcode, is covered by the
//     trailing CRC-64 (Jones polynomial, as Redis computes it), so a real server started with
//     rdbchecksum yes (the default) verifies what we sent.
//   - Decode reads versions 1 to 12: 11 (Redis 7.2) and 12 (Redis 7.4) differ from 10 only in
//     value types and records that are refused or skipped anyway, so the tests also run
//     against a newer redis-server.
//   - Decode consumes exactly one snapshot: it stops right after the 8 checksum bytes and never
//     reads ahead of them, so the same bufio.Reader can go on to read the replication stream
//     (or the EOF mark of a diskless transfer) that follows.
//   - Decode never panics and never allocates much more than the input it has actually read:
//     lengths are read in chunks and a declared size is never trusted for an allocation, an
//     LZF payload may not claim to expand more than LZF can, and single strings are capped at
//     512 MiB, Redis's own default limit (proto-max-bulk-len).
//   - A zero checksum means the writer ran with rdbchecksum no and is accepted, as Redis does.
package rdb
