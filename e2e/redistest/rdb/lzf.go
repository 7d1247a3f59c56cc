package rdb

import (
	"errors"
	"math"
)

// LZF is the compression Redis uses for strings in RDB files (liblzf's format). A stream is a
// sequence of chunks, each starting with a control byte c:
//
//	c < 32:  a literal run of c+1 bytes follows.
//	c >= 32: a back reference of length (c>>5)+2, or 7+next byte+2 when c>>5 == 7, to the
//	         output (c&31)<<8 + next byte + 1 bytes back. It may overlap what it produces.
const (
	lzfMaxLit   = 32
	lzfMaxOff   = 1 << 13            // farthest back reference, in bytes
	lzfMaxMatch = 7 + 255 + 2        // longest back reference
	lzfMaxRatio = lzfMaxMatch/3 + 1  // output bytes one input byte can yield, rounded up
	lzfHashBits = 14                 // largest hash table: 16 Ki entries
	lzfMinMatch = 3                  // shorter matches cost as much as literals
	lzfHashMul  = uint32(2654435761) // Knuth's multiplicative hash
)

var errLZF = errors.New("corrupt LZF data")

// lzfDecompress expands in, which must produce exactly n bytes, as Redis demands.
func lzfDecompress(in []byte, n int) ([]byte, error) {
	out := make([]byte, 0, n)
	for i := 0; i < len(in); {
		c := int(in[i])
		i++
		if c < lzfMaxLit {
			run := c + 1
			if run > len(in)-i || run > n-len(out) {
				return nil, errLZF
			}
			out = append(out, in[i:i+run]...)
			i += run
			continue
		}
		length := c >> 5
		if length == 7 {
			if i >= len(in) {
				return nil, errLZF
			}
			length += int(in[i])
			i++
		}
		length += 2
		if i >= len(in) {
			return nil, errLZF
		}
		back := (c&0x1f)<<8 | int(in[i]) + 1
		i++
		if back > len(out) || length > n-len(out) {
			return nil, errLZF
		}
		start := len(out) - back
		if back >= length {
			out = append(out, out[start:start+length]...)
			continue
		}
		// The reference overlaps its own output (a repeated pattern): copy byte by byte.
		for k := 0; k < length; k++ {
			out = append(out, out[start+k])
		}
	}
	if len(out) != n {
		return nil, errLZF
	}
	return out, nil
}

// lzfCompressor keeps its hash table between calls: a snapshot compresses many values and
// the table would otherwise be the largest allocation per value.
type lzfCompressor struct {
	table []int32 // position+1 of the last 3-byte sequence with this hash; 0 = none
}

// compress returns in compressed, or nil when that would take more than limit bytes.
// Greedy matching is enough: the goal is a valid stream that Redis's liblzf expands, and
// shorter files for repetitive test data, not liblzf's exact output.
func (z *lzfCompressor) compress(in []byte, limit int) []byte {
	if len(in) < lzfMinMatch || len(in) > math.MaxInt32-1 || limit <= 0 {
		return nil
	}
	bits := 4
	for bits < lzfHashBits && 1<<bits < len(in) {
		bits++
	}
	if cap(z.table) < 1<<bits {
		z.table = make([]int32, 1<<lzfHashBits)
	}
	table := z.table[:1<<bits]
	clear(table)
	hash := func(i int) uint32 {
		v := uint32(in[i])<<16 | uint32(in[i+1])<<8 | uint32(in[i+2])
		return v * lzfHashMul >> (32 - bits)
	}

	out := make([]byte, 0, limit)
	lit := 0 // start of the literals not yet written
	for i := 0; i+lzfMinMatch <= len(in); {
		if len(out)+lzfLiteralCost(i-lit) > limit {
			return nil // the literals already owed do not fit: give up early
		}
		h := hash(i)
		cand := int(table[h]) - 1
		table[h] = int32(i + 1)
		if cand < 0 || i-cand > lzfMaxOff ||
			in[cand] != in[i] || in[cand+1] != in[i+1] || in[cand+2] != in[i+2] {
			i++
			continue
		}
		n := lzfMinMatch
		for maxN := min(len(in)-i, lzfMaxMatch); n < maxN && in[cand+n] == in[i+n]; n++ {
		}
		off, l := i-cand-1, n-2
		ref := []byte{byte(l<<5 | off>>8), byte(off)}
		if l >= 7 {
			ref = []byte{byte(7<<5 | off>>8), byte(l - 7), byte(off)}
		}
		if len(out)+lzfLiteralCost(i-lit)+len(ref) > limit {
			return nil
		}
		out = lzfAppendLiterals(out, in[lit:i])
		out = append(out, ref...)
		// Index the inside of the match too, so the next repeat can refer to any part of it.
		for j := i + 1; j < i+n && j+lzfMinMatch <= len(in); j++ {
			table[hash(j)] = int32(j + 1)
		}
		i += n
		lit = i
	}
	if len(out)+lzfLiteralCost(len(in)-lit) > limit {
		return nil
	}
	return lzfAppendLiterals(out, in[lit:])
}

// lzfLiteralCost is how many bytes n literals take: the bytes plus one control byte per run.
func lzfLiteralCost(n int) int {
	return n + (n+lzfMaxLit-1)/lzfMaxLit
}

func lzfAppendLiterals(out, lit []byte) []byte {
	for len(lit) > 0 {
		n := min(len(lit), lzfMaxLit)
		out = append(out, byte(n-1))
		out = append(out, lit[:n]...)
		lit = lit[n:]
	}
	return out
}
