package rdb

import (
	"cmp"
	"encoding/binary"
	"fmt"
	"io"
	"slices"
	"strconv"
)

// Encoder writes one snapshot: WriteHeader, then for each database WriteDB followed by its
// keys, then Close. Each call ends in a single Write of whole records, so an Encoder adds no
// buffering of its own and nothing is held back until Close.
//
// Once a write fails or a call is given invalid arguments, every later call returns that
// error: a snapshot with a hole in it must not be sealed with a valid checksum. Calls made
// out of order only return an error; they write nothing.
type Encoder struct {
	w     io.Writer
	crc   uint64
	state encState
	err   error
	buf   []byte
	lzf   lzfCompressor
}

type encState int

const (
	stateNew encState = iota
	stateBody
	stateClosed
)

// NewEncoder returns an Encoder that writes a snapshot to w.
func NewEncoder(w io.Writer) *Encoder {
	return &Encoder{w: w}
}

// WriteHeader writes the magic "REDIS0010" and the AUX fields, in the order given. Redis 7.0
// writes redis-ver, redis-bits, ctime, used-mem, then for a replication snapshot
// repl-stream-db, repl-id and repl-offset, then aof-base; a replica reads repl-stream-db to
// know which database the command stream starts in. Integer values are written integer
// encoded, as Redis does.
func (e *Encoder) WriteHeader(aux ...Aux) error {
	if err := e.check(stateNew, "WriteHeader"); err != nil {
		return err
	}
	e.buf = fmt.Appendf(e.buf[:0], "REDIS%04d", Version)
	for _, a := range aux {
		e.buf = append(e.buf, opAux)
		e.buf = e.appendString(e.buf, []byte(a.Key))
		e.buf = e.appendString(e.buf, []byte(a.Value))
	}
	e.state = stateBody
	return e.flush()
}

// WriteDB starts database db. keys and expires are the number of keys that follow and how
// many of them expire; Redis only uses them to presize its hash tables, so estimates are fine.
func (e *Encoder) WriteDB(db, keys, expires int) error {
	if err := e.check(stateBody, "WriteDB"); err != nil {
		return err
	}
	if db < 0 || keys < 0 || expires < 0 {
		return e.fail(fmt.Errorf("rdb: WriteDB(%d, %d, %d): negative argument", db, keys, expires))
	}
	e.buf = append(e.buf[:0], opSelectDB)
	e.buf = appendLen(e.buf, uint64(db))
	e.buf = append(e.buf, opResizeDB)
	e.buf = appendLen(e.buf, uint64(keys))
	e.buf = appendLen(e.buf, uint64(expires))
	return e.flush()
}

// WriteString writes one string key into the current database (0 if WriteDB was not
// called). expireAtMs is the absolute expiry in Unix milliseconds, 0 for none. A key that has
// already expired is still written: a master loading it drops it, a replica keeps it until
// its master deletes it, which is the behaviour a full sync needs.
func (e *Encoder) WriteString(key string, value []byte, expireAtMs int64) error {
	if err := e.check(stateBody, "WriteString"); err != nil {
		return err
	}
	e.buf = e.buf[:0]
	if expireAtMs != 0 {
		e.buf = append(e.buf, opExpireTimeMs)
		e.buf = binary.LittleEndian.AppendUint64(e.buf, uint64(expireAtMs))
	}
	e.buf = append(e.buf, typeString)
	e.buf = e.appendString(e.buf, []byte(key))
	e.buf = e.appendString(e.buf, value)
	return e.flush()
}

// Close writes the EOF opcode and the checksum. It does not close the underlying writer.
func (e *Encoder) Close() error {
	if err := e.check(stateBody, "Close"); err != nil {
		return err
	}
	e.buf = append(e.buf[:0], opEOF)
	e.crc = crcUpdate(e.crc, e.buf)
	e.buf = binary.LittleEndian.AppendUint64(e.buf, e.crc)
	e.state = stateClosed
	if _, err := e.w.Write(e.buf); err != nil {
		return e.fail(err)
	}
	return nil
}

// Encode writes a whole snapshot: the header with aux, then entries grouped by database in
// ascending order (keeping their order within a database), with exact RESIZEDB counts.
// Databases without entries are left out, as Redis leaves out empty ones.
func Encode(w io.Writer, aux []Aux, entries []Entry) error {
	sorted := slices.Clone(entries)
	slices.SortStableFunc(sorted, func(a, b Entry) int { return cmp.Compare(a.DB, b.DB) })
	e := NewEncoder(w)
	if err := e.WriteHeader(aux...); err != nil {
		return err
	}
	for i := 0; i < len(sorted); {
		j, expires := i, 0
		for ; j < len(sorted) && sorted[j].DB == sorted[i].DB; j++ {
			if sorted[j].ExpireAt != 0 {
				expires++
			}
		}
		if err := e.WriteDB(sorted[i].DB, j-i, expires); err != nil {
			return err
		}
		for _, en := range sorted[i:j] {
			if err := e.WriteString(en.Key, en.Value, en.ExpireAt); err != nil {
				return err
			}
		}
		i = j
	}
	return e.Close()
}

func (e *Encoder) check(want encState, op string) error {
	if e.err != nil {
		return e.err
	}
	if e.state != want {
		switch e.state {
		case stateNew:
			return fmt.Errorf("rdb: %s before WriteHeader", op)
		case stateBody:
			return fmt.Errorf("rdb: %s after WriteHeader", op)
		default:
			return fmt.Errorf("rdb: %s after Close", op)
		}
	}
	return nil
}

func (e *Encoder) fail(err error) error {
	e.err = err
	return err
}

// flush writes e.buf and folds it into the checksum.
func (e *Encoder) flush() error {
	e.crc = crcUpdate(e.crc, e.buf)
	_, err := e.w.Write(e.buf)
	if cap(e.buf) > 1<<20 {
		e.buf = nil // do not pin the largest value ever written
	}
	if err != nil {
		return e.fail(err)
	}
	return nil
}

// appendString encodes s the way Redis's rdbSaveRawString does: as an integer if it is the
// canonical form of one that fits in 32 bits, else LZF-compressed if longer than 20 bytes and
// that saves at least 4 bytes, else raw.
func (e *Encoder) appendString(b, s []byte) []byte {
	if len(s) <= 11 {
		if enc, ok := appendIntEncoded(b, s); ok {
			return enc
		}
	}
	if len(s) > 20 {
		if c := e.lzf.compress(s, len(s)-4); c != nil {
			b = append(b, lenEnc|encLZF)
			b = appendLen(b, uint64(len(c)))
			b = appendLen(b, uint64(len(s)))
			return append(b, c...)
		}
	}
	b = appendLen(b, uint64(len(s)))
	return append(b, s...)
}

// appendIntEncoded only encodes strings that decode back byte for byte: "007", "+1" and "-0"
// parse as integers but must stay strings.
func appendIntEncoded(b, s []byte) ([]byte, bool) {
	v, err := strconv.ParseInt(string(s), 10, 64)
	if err != nil || strconv.FormatInt(v, 10) != string(s) {
		return b, false
	}
	switch {
	case v >= -1<<7 && v < 1<<7:
		return append(b, lenEnc|encInt8, byte(v)), true
	case v >= -1<<15 && v < 1<<15:
		return binary.LittleEndian.AppendUint16(append(b, lenEnc|encInt16), uint16(v)), true
	case v >= -1<<31 && v < 1<<31:
		return binary.LittleEndian.AppendUint32(append(b, lenEnc|encInt32), uint32(v)), true
	}
	return b, false
}

func appendLen(b []byte, n uint64) []byte {
	switch {
	case n < 1<<6:
		return append(b, len6|byte(n))
	case n < 1<<14:
		return append(b, len14|byte(n>>8), byte(n))
	case n <= 1<<32-1:
		return binary.BigEndian.AppendUint32(append(b, len32), uint32(n))
	default:
		return binary.BigEndian.AppendUint64(append(b, len64), n)
	}
}
