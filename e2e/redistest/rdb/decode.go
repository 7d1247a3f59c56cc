package rdb

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
)

// Versions Decode reads. 1 is the oldest format; 10 is Redis 7.0's. 11 (Redis 7.2) and 12
// (Redis 7.4) only add value types, which are refused by name anyway, and the slot-info
// hint, so reading them lets the tests run against a newer redis-server on a developer's
// machine too.
const (
	minVersion = 1
	maxVersion = 12
)

// Decode reads one snapshot from r and calls fn, if not nil, for each string key in file
// order; an Entry's Value is freshly allocated and may be kept. It returns the AUX fields
// (integer-encoded values rendered in decimal) and stops right after the checksum, leaving r
// positioned at whatever follows the snapshot.
//
// Errors wrap io.ErrUnexpectedEOF when the input ends early, ErrChecksum when the checksum
// does not match, ErrUnsupported for versions, value types and records this package does not
// handle (anything but strings), and ErrCorrupt for malformed input. An error returned by fn
// is returned as is. The AUX fields read before an error are returned with it, to help
// diagnose the failure.
func Decode(r *bufio.Reader, fn func(Entry) error) (aux map[string]string, err error) {
	d := &decoder{r: r}
	aux = make(map[string]string)
	version, err := d.readHeader()
	if err != nil {
		return aux, err
	}
	db := 0
	var expireAt int64 // applies to the next key only, like FREQ and IDLE
	for {
		start := d.off
		op, err := d.readByte("opcode")
		if err != nil {
			return aux, err
		}
		switch op {
		case opEOF:
			return aux, d.readChecksum(version)
		case opSelectDB:
			n, err := d.readLen("database number")
			if err != nil {
				return aux, err
			}
			if n > math.MaxInt32 {
				return aux, d.corrupt(start, "database number %d out of range", n)
			}
			db = int(n)
		case opResizeDB:
			// Sizes are only a presizing hint; trusting them for allocation would let a
			// corrupt file ask for any amount of memory.
			if _, err := d.readLen("RESIZEDB key count"); err != nil {
				return aux, err
			}
			if _, err := d.readLen("RESIZEDB expire count"); err != nil {
				return aux, err
			}
		case opSlotInfo:
			for _, what := range []string{"slot id", "slot size", "slot expires size"} {
				if _, err := d.readLen(what); err != nil {
					return aux, err
				}
			}
		case opAux:
			k, err := d.readString("AUX key")
			if err != nil {
				return aux, err
			}
			v, err := d.readString("AUX value")
			if err != nil {
				return aux, err
			}
			aux[string(k)] = string(v)
		case opExpireTime:
			b, err := d.readN(4, "expire time")
			if err != nil {
				return aux, err
			}
			expireAt = int64(int32(binary.LittleEndian.Uint32(b))) * 1000
		case opExpireTimeMs:
			// Versions before 9 wrote this in host byte order; every host that wrote
			// those files in practice was little-endian.
			b, err := d.readN(8, "expire time")
			if err != nil {
				return aux, err
			}
			expireAt = int64(binary.LittleEndian.Uint64(b))
		case opFreq:
			if _, err := d.readByte("LFU frequency"); err != nil {
				return aux, err
			}
		case opIdle:
			if _, err := d.readLen("LRU idle time"); err != nil {
				return aux, err
			}
		case opFunction2:
			// The source of one function library. Functions are not keys; skip it.
			if _, err := d.readString("function library"); err != nil {
				return aux, err
			}
		case opFunctionPreGA:
			return aux, fmt.Errorf("%w function record of a Redis 7.0 release candidate (opcode %d) at offset %d",
				ErrUnsupported, op, start)
		case opModuleAux:
			return aux, fmt.Errorf("%w module aux data at offset %d", ErrUnsupported, start)
		case typeString:
			key, err := d.readString("key")
			if err != nil {
				return aux, err
			}
			val, err := d.readString("value")
			if err != nil {
				return aux, fmt.Errorf("%w (key %s)", err, quoteKey(key))
			}
			if fn != nil {
				if err := fn(Entry{DB: db, Key: string(key), Value: val, ExpireAt: expireAt}); err != nil {
					return aux, err
				}
			}
			expireAt = 0
		default:
			name, known := typeNames[op]
			if !known {
				return aux, d.corrupt(start, "unknown opcode or value type %d", op)
			}
			// Every value type is preceded by its key, so the error can name it.
			key, err := d.readString("key")
			if err != nil {
				return aux, err
			}
			return aux, fmt.Errorf("%w value type %d (%s) for key %s", ErrUnsupported, op, name, quoteKey(key))
		}
	}
}

// decoder reads through r, tracking the offset for error messages and the CRC of every byte
// read so far.
type decoder struct {
	r       *bufio.Reader
	off     int64
	crc     uint64
	scratch [8]byte
}

func (d *decoder) readHeader() (int, error) {
	var hdr [9]byte
	b := hdr[:]
	if err := d.readFull(b, "header"); err != nil {
		return 0, err
	}
	if string(b[:5]) != "REDIS" {
		return 0, fmt.Errorf("%w: starts with %q, not \"REDIS\"", ErrCorrupt, b[:5])
	}
	v := 0
	for _, c := range b[5:9] {
		if c < '0' || c > '9' {
			return 0, fmt.Errorf("%w: RDB version %q is not a number", ErrCorrupt, b[5:9])
		}
		v = v*10 + int(c-'0')
	}
	if v < minVersion || v > maxVersion {
		return 0, fmt.Errorf("%w RDB version %d (this package reads %d to %d)", ErrUnsupported, v, minVersion, maxVersion)
	}
	return v, nil
}

func (d *decoder) readChecksum(version int) error {
	if version < 5 {
		return nil // checksums arrived with version 5
	}
	want := d.crc
	b, err := d.readN(8, "checksum")
	if err != nil {
		return err
	}
	got := binary.LittleEndian.Uint64(b)
	if got != 0 && got != want {
		return fmt.Errorf("%w: snapshot says %#016x, content hashes to %#016x", ErrChecksum, got, want)
	}
	return nil
}

func (d *decoder) corrupt(at int64, format string, args ...any) error {
	return fmt.Errorf("%w: "+format+" at offset %d", append(append([]any{ErrCorrupt}, args...), at)...)
}

// eof turns the end of input inside a snapshot into io.ErrUnexpectedEOF: a snapshot ends
// with its EOF opcode, never with the input.
func (d *decoder) eof(err error, what string) error {
	if errors.Is(err, io.EOF) {
		err = io.ErrUnexpectedEOF
	}
	return fmt.Errorf("rdb: reading %s at offset %d: %w", what, d.off, err)
}

func (d *decoder) readByte(what string) (byte, error) {
	c, err := d.r.ReadByte()
	if err != nil {
		return 0, d.eof(err, what)
	}
	d.scratch[0] = c
	d.crc = crcUpdate(d.crc, d.scratch[:1])
	d.off++
	return c, nil
}

// readN reads up to 8 bytes into the scratch buffer; the result is valid until the next read.
func (d *decoder) readN(n int, what string) ([]byte, error) {
	b := d.scratch[:n]
	if err := d.readFull(b, what); err != nil {
		return nil, err
	}
	return b, nil
}

func (d *decoder) readFull(b []byte, what string) error {
	n, err := io.ReadFull(d.r, b)
	d.crc = crcUpdate(d.crc, b[:n])
	d.off += int64(n)
	if err != nil {
		return d.eof(err, what)
	}
	return nil
}

// readBytes reads n bytes, growing the buffer as data actually arrives so that a corrupt
// length costs at most about twice the input that backs it.
func (d *decoder) readBytes(n uint64, what string) ([]byte, error) {
	if n > maxString {
		return nil, d.corrupt(d.off, "%s length %d exceeds the %d-byte limit", what, n, maxString)
	}
	const chunk = 64 << 10
	b := make([]byte, 0, min(n, chunk))
	for uint64(len(b)) < n {
		step := int(min(n-uint64(len(b)), uint64(max(len(b), chunk))))
		if cap(b)-len(b) < step {
			nb := make([]byte, len(b), len(b)+step)
			copy(nb, b)
			b = nb
		}
		if err := d.readFull(b[len(b):len(b)+step], what); err != nil {
			return nil, err
		}
		b = b[:len(b)+step]
	}
	return b, nil
}

// readLen reads a length. Encoded strings share its first byte, so a string-encoding marker
// here means corruption.
func (d *decoder) readLen(what string) (uint64, error) {
	n, enc, err := d.readLenOrEnc(what)
	if err != nil {
		return 0, err
	}
	if enc {
		return 0, d.corrupt(d.off-1, "string encoding marker %#x where %s length expected", lenEnc|byte(n), what)
	}
	return n, nil
}

// readLenOrEnc reads a length, or with enc set the kind of a specially encoded string.
func (d *decoder) readLenOrEnc(what string) (n uint64, enc bool, err error) {
	c, err := d.readByte(what)
	if err != nil {
		return 0, false, err
	}
	switch {
	case c&0xc0 == lenEnc:
		return uint64(c & 0x3f), true, nil
	case c&0xc0 == len6:
		return uint64(c & 0x3f), false, nil
	case c&0xc0 == len14:
		c2, err := d.readByte(what)
		if err != nil {
			return 0, false, err
		}
		return uint64(c&0x3f)<<8 | uint64(c2), false, nil
	case c == len32:
		b, err := d.readN(4, what)
		if err != nil {
			return 0, false, err
		}
		return uint64(binary.BigEndian.Uint32(b)), false, nil
	case c == len64:
		b, err := d.readN(8, what)
		if err != nil {
			return 0, false, err
		}
		return binary.BigEndian.Uint64(b), false, nil
	}
	return 0, false, d.corrupt(d.off-1, "unknown length encoding %#x for %s", c, what)
}

// readString reads a string in any of its encodings and returns a fresh slice.
func (d *decoder) readString(what string) ([]byte, error) {
	n, enc, err := d.readLenOrEnc(what)
	if err != nil {
		return nil, err
	}
	if !enc {
		return d.readBytes(n, what)
	}
	switch n {
	case encInt8:
		b, err := d.readN(1, what)
		if err != nil {
			return nil, err
		}
		return strconv.AppendInt(nil, int64(int8(b[0])), 10), nil
	case encInt16:
		b, err := d.readN(2, what)
		if err != nil {
			return nil, err
		}
		return strconv.AppendInt(nil, int64(int16(binary.LittleEndian.Uint16(b))), 10), nil
	case encInt32:
		b, err := d.readN(4, what)
		if err != nil {
			return nil, err
		}
		return strconv.AppendInt(nil, int64(int32(binary.LittleEndian.Uint32(b))), 10), nil
	case encLZF:
		return d.readLZF(what)
	}
	return nil, d.corrupt(d.off-1, "unknown string encoding %d for %s", n, what)
}

func (d *decoder) readLZF(what string) ([]byte, error) {
	start := d.off - 1
	clen, err := d.readLen(what + " compressed length")
	if err != nil {
		return nil, err
	}
	ulen, err := d.readLen(what + " length")
	if err != nil {
		return nil, err
	}
	if ulen > maxString {
		return nil, d.corrupt(start, "%s length %d exceeds the %d-byte limit", what, ulen, maxString)
	}
	// Checked before reading the payload so that a small payload cannot make us allocate
	// the huge output it claims.
	if clen > maxString || ulen > clen*lzfMaxRatio {
		return nil, d.corrupt(start, "%s: %d compressed bytes cannot expand to %d", what, clen, ulen)
	}
	c, err := d.readBytes(clen, what)
	if err != nil {
		return nil, err
	}
	out, err := lzfDecompress(c, int(ulen))
	if err != nil {
		return nil, d.corrupt(start, "%s: %v (%d bytes expanding to %d)", what, err, clen, ulen)
	}
	return out, nil
}

// quoteKey quotes a key for an error message, shortened: keys can be megabytes long.
func quoteKey(k []byte) string {
	const limit = 64
	if len(k) > limit {
		return fmt.Sprintf("%q... (%d bytes)", k[:limit], len(k))
	}
	return fmt.Sprintf("%q", k)
}
