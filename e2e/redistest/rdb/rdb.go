package rdb

import (
	"errors"
	"hash/crc64"
)

// Version is the RDB format version the Encoder writes. Redis 7.0 writes and reads 10 and
// refuses anything newer, so a snapshot meant for a 7.0 replica must not say 11 or 12.
const Version = 10

// Entry is one key of a snapshot.
type Entry struct {
	DB    int
	Key   string
	Value []byte
	// ExpireAt is the absolute expiry in Unix milliseconds; 0 means the key does not expire.
	ExpireAt int64
}

// Aux is one AUX field of the snapshot header. Fields are pairs rather than a map because
// Redis writes them in a fixed order and a snapshot should look like one Redis wrote.
type Aux struct {
	Key, Value string
}

var (
	// ErrChecksum reports a snapshot whose trailing CRC-64 does not match its content.
	ErrChecksum = errors.New("rdb: checksum mismatch")
	// ErrCorrupt reports a malformed snapshot.
	ErrCorrupt = errors.New("rdb: corrupt snapshot")
	// ErrUnsupported reports well-formed content this package does not handle: RDB versions
	// above 12, value types other than strings, module data and pre-release function records.
	ErrUnsupported = errors.New("rdb: unsupported")
)

// Opcodes. They share the byte that otherwise holds a value type, which is why value types
// stay below 244.
const (
	opSlotInfo      = 244 // Redis 7.4 (RDB 12), cluster mode: slot sizes, a hint only.
	opFunction2     = 245 // Redis 7.0: one function library, as its source code.
	opFunctionPreGA = 246 // Redis 7.0 release candidates only.
	opModuleAux     = 247
	opIdle          = 248 // LRU idle time of the next key.
	opFreq          = 249 // LFU counter of the next key.
	opAux           = 250
	opResizeDB      = 251
	opExpireTimeMs  = 252
	opExpireTime    = 253 // seconds; written by Redis before 2.6
	opSelectDB      = 254
	opEOF           = 255
)

const typeString = 0

// typeNames names the value types Redis has defined (RDB_TYPE_* without the prefix), so an
// error can say what it met instead of a bare number.
var typeNames = map[byte]string{
	0:  "string",
	1:  "list",
	2:  "set",
	3:  "zset",
	4:  "hash",
	5:  "zset_2",
	6:  "module_pre_ga",
	7:  "module_2",
	9:  "hash_zipmap",
	10: "list_ziplist",
	11: "set_intset",
	12: "zset_ziplist",
	13: "hash_ziplist",
	14: "list_quicklist",
	15: "stream_listpacks",
	16: "hash_listpack",
	17: "zset_listpack",
	18: "list_quicklist_2",
	19: "stream_listpacks_2",
	20: "set_listpack",
	21: "stream_listpacks_3",
	22: "hash_metadata_pre_ga",
	23: "hash_listpack_ex_pre_ga",
	24: "hash_metadata",
	25: "hash_listpack_ex",
}

// Length prefixes. The top two bits of the first byte select the form; 0b11 marks a
// specially encoded string instead of a length.
const (
	len6     = 0x00
	len14    = 0x40
	len32    = 0x80
	len64    = 0x81
	lenEnc   = 0xc0
	encInt8  = 0
	encInt16 = 1
	encInt32 = 2
	encLZF   = 3
)

// maxString caps one string. Redis itself refuses bulk strings above 512 MiB unless
// reconfigured, and a cap keeps a corrupt length from turning into a huge loop or overflow.
const maxString = 512 << 20

// crcTable is Redis's CRC-64: Jones polynomial, reflected, initial value 0, no final xor.
// hash/crc64 inverts the value on entry and exit, so crcUpdate undoes both.
var crcTable = crc64.MakeTable(0x95AC9329AC4BC9B5)

func crcUpdate(crc uint64, p []byte) uint64 {
	return ^crc64.Update(^crc, crcTable, p)
}
