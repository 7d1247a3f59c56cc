package redistest

import (
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/sentinel-go/sentinel/internal/glob"
)

const numDBs = 16

// db is one numbered database of string keys.
type db struct {
	keys map[string]*entry
}

type entry struct {
	val      []byte
	expireAt int64 // unix milliseconds; 0 = no expiry
}

func newDB() *db { return &db{keys: make(map[string]*entry)} }

func (s *Server) now() time.Time { return time.Now() }

func (s *Server) nowMs() int64 { return s.now().UnixMilli() }

// lookup returns a live key. A master deletes an expired key on access and propagates the
// DEL; a replica only hides it and waits for its master's DEL, as Redis does, so replicas
// never diverge from their master's stream.
func (s *Server) lookup(dbi int, key string) *entry {
	d := s.dbs[dbi]
	e := d.keys[key]
	if e == nil {
		return nil
	}
	if e.expireAt != 0 && e.expireAt <= s.nowMs() {
		if s.repl.isReplica() {
			return nil
		}
		delete(d.keys, key)
		s.stats.expiredKeys++
		s.propagate(dbi, [][]byte{[]byte("DEL"), []byte(key)})
		return nil
	}
	return e
}

// activeExpire is the background expiry cycle: without it, keys nobody reads would live
// forever on a master.
func (s *Server) activeExpire(now time.Time) {
	if s.repl.isReplica() {
		return
	}
	ms := now.UnixMilli()
	for i, d := range s.dbs {
		checked := 0
		for k, e := range d.keys {
			if checked >= 200 {
				break
			}
			checked++
			if e.expireAt != 0 && e.expireAt <= ms {
				delete(d.keys, k)
				s.stats.expiredKeys++
				s.propagate(i, [][]byte{[]byte("DEL"), []byte(k)})
			}
		}
	}
}

func init() {
	register(
		&command{name: "get", arity: 2, flags: fStale, run: cmdGet, firstKey: 1, lastKey: 1, step: 1},
		&command{name: "set", arity: -3, flags: fWrite, run: cmdSet, firstKey: 1, lastKey: 1, step: 1},
		&command{name: "setex", arity: 4, flags: fWrite, run: cmdSetex, firstKey: 1, lastKey: 1, step: 1},
		&command{name: "psetex", arity: 4, flags: fWrite, run: cmdSetex, firstKey: 1, lastKey: 1, step: 1},
		&command{name: "setnx", arity: 3, flags: fWrite, run: cmdSetnx, firstKey: 1, lastKey: 1, step: 1},
		&command{name: "getset", arity: 3, flags: fWrite, run: cmdGetset, firstKey: 1, lastKey: 1, step: 1},
		&command{name: "del", arity: -2, flags: fWrite, run: cmdDel, firstKey: 1, lastKey: -1, step: 1},
		&command{name: "unlink", arity: -2, flags: fWrite, run: cmdDel, firstKey: 1, lastKey: -1, step: 1},
		&command{name: "exists", arity: -2, flags: fStale, run: cmdExists, firstKey: 1, lastKey: -1, step: 1},
		&command{name: "type", arity: 2, flags: fStale, run: cmdType, firstKey: 1, lastKey: 1, step: 1},
		&command{name: "strlen", arity: 2, flags: fStale, run: cmdStrlen, firstKey: 1, lastKey: 1, step: 1},
		&command{name: "incr", arity: 2, flags: fWrite, run: cmdIncr, firstKey: 1, lastKey: 1, step: 1},
		&command{name: "decr", arity: 2, flags: fWrite, run: cmdIncr, firstKey: 1, lastKey: 1, step: 1},
		&command{name: "incrby", arity: 3, flags: fWrite, run: cmdIncr, firstKey: 1, lastKey: 1, step: 1},
		&command{name: "decrby", arity: 3, flags: fWrite, run: cmdIncr, firstKey: 1, lastKey: 1, step: 1},
		&command{name: "append", arity: 3, flags: fWrite, run: cmdAppend, firstKey: 1, lastKey: 1, step: 1},
		&command{name: "mget", arity: -2, flags: fStale, run: cmdMget, firstKey: 1, lastKey: -1, step: 1},
		&command{name: "mset", arity: -3, flags: fWrite, run: cmdMset, firstKey: 1, lastKey: -1, step: 2},
		&command{name: "keys", arity: 2, flags: fStale, run: cmdKeys},
		&command{name: "scan", arity: -2, flags: fStale, run: cmdScan},
		&command{name: "dbsize", arity: 1, flags: fStale, run: cmdDbsize},
		&command{name: "flushall", arity: -1, flags: fWrite, run: cmdFlushall},
		&command{name: "flushdb", arity: -1, flags: fWrite, run: cmdFlushdb},
		&command{name: "expire", arity: -3, flags: fWrite, run: cmdExpire, firstKey: 1, lastKey: 1, step: 1},
		&command{name: "pexpire", arity: -3, flags: fWrite, run: cmdExpire, firstKey: 1, lastKey: 1, step: 1},
		&command{name: "expireat", arity: -3, flags: fWrite, run: cmdExpire, firstKey: 1, lastKey: 1, step: 1},
		&command{name: "pexpireat", arity: -3, flags: fWrite, run: cmdExpire, firstKey: 1, lastKey: 1, step: 1},
		&command{name: "persist", arity: 2, flags: fWrite, run: cmdPersist, firstKey: 1, lastKey: 1, step: 1},
		&command{name: "ttl", arity: 2, flags: fStale, run: cmdTTL, firstKey: 1, lastKey: 1, step: 1},
		&command{name: "pttl", arity: 2, flags: fStale, run: cmdTTL, firstKey: 1, lastKey: 1, step: 1},
		&command{name: "select", arity: 2, flags: fLoading | fStale, run: cmdSelect},
	)
}

func cmdGet(s *Server, c *client, args [][]byte) {
	e := s.lookup(c.db, string(args[1]))
	if e == nil {
		s.stats.keyspaceMisses++
		c.w.Null()
		return
	}
	s.stats.keyspaceHits++
	c.w.Bulk(e.val)
}

// setArgs are SET's options once parsed.
type setArgs struct {
	nx, xx, get, keepTTL bool
	expireAt             int64 // absolute unix ms; 0 = none
}

func parseSetArgs(s *Server, opts [][]byte) (setArgs, string) {
	var a setArgs
	expireSeen := false
	for i := 0; i < len(opts); i++ {
		opt := strings.ToUpper(string(opts[i]))
		switch opt {
		case "NX":
			if a.xx {
				return a, errSyntax
			}
			a.nx = true
		case "XX":
			if a.nx {
				return a, errSyntax
			}
			a.xx = true
		case "GET":
			a.get = true
		case "KEEPTTL":
			if expireSeen {
				return a, errSyntax
			}
			a.keepTTL = true
		case "EX", "PX", "EXAT", "PXAT":
			if expireSeen || a.keepTTL || i+1 >= len(opts) {
				return a, errSyntax
			}
			n, err := strconv.ParseInt(string(opts[i+1]), 10, 64)
			if err != nil {
				return a, errNotInt
			}
			if n <= 0 {
				return a, "ERR invalid expire time in 'set' command"
			}
			i++
			expireSeen = true
			a.expireAt = absoluteExpire(s.nowMs(), opt, n)
		default:
			return a, errSyntax
		}
	}
	return a, ""
}

// absoluteExpire turns any of the four expiry forms into unix milliseconds.
func absoluteExpire(nowMs int64, unit string, n int64) int64 {
	switch unit {
	case "EX", "EXPIRE":
		return nowMs + n*1000
	case "PX", "PEXPIRE":
		return nowMs + n
	case "EXAT", "EXPIREAT":
		return n * 1000
	default:
		return n
	}
}

func cmdSet(s *Server, c *client, args [][]byte) {
	a, errMsg := parseSetArgs(s, args[3:])
	if errMsg != "" {
		c.w.Error(errMsg)
		return
	}
	key := string(args[1])
	old := s.lookup(c.db, key)
	if a.get {
		if old != nil {
			c.w.Bulk(old.val)
		} else {
			c.w.Null()
		}
	}
	if (a.nx && old != nil) || (a.xx && old == nil) {
		if !a.get {
			c.w.Null()
		}
		return
	}
	e := &entry{val: append([]byte(nil), args[2]...), expireAt: a.expireAt}
	if a.keepTTL && old != nil {
		e.expireAt = old.expireAt
	}
	s.dbs[c.db].keys[key] = e
	if !a.get {
		c.w.Simple("OK")
	}
	// Relative expiries travel as absolute ones, as Redis 7 propagates them, so a replica
	// that applies the stream late still expires the key at the master's moment.
	prop := [][]byte{[]byte("SET"), args[1], args[2]}
	if a.expireAt != 0 {
		prop = append(prop, []byte("PXAT"), []byte(strconv.FormatInt(a.expireAt, 10)))
	} else if a.keepTTL {
		prop = append(prop, []byte("KEEPTTL"))
	}
	s.propagate(c.db, prop)
}

func cmdSetex(s *Server, c *client, args [][]byte) {
	n, err := strconv.ParseInt(string(args[2]), 10, 64)
	if err != nil {
		c.w.Error(errNotInt)
		return
	}
	name := strings.ToLower(string(args[0]))
	if n <= 0 {
		c.w.Error("ERR invalid expire time in '" + name + "' command")
		return
	}
	unit := "EX"
	if name == "psetex" {
		unit = "PX"
	}
	at := absoluteExpire(s.nowMs(), unit, n)
	s.dbs[c.db].keys[string(args[1])] = &entry{val: append([]byte(nil), args[3]...), expireAt: at}
	c.w.Simple("OK")
	s.propagate(c.db, [][]byte{[]byte("SET"), args[1], args[3], []byte("PXAT"), []byte(strconv.FormatInt(at, 10))})
}

func cmdSetnx(s *Server, c *client, args [][]byte) {
	if s.lookup(c.db, string(args[1])) != nil {
		c.w.Int(0)
		return
	}
	s.dbs[c.db].keys[string(args[1])] = &entry{val: append([]byte(nil), args[2]...)}
	c.w.Int(1)
	s.propagate(c.db, [][]byte{[]byte("SET"), args[1], args[2]})
}

func cmdGetset(s *Server, c *client, args [][]byte) {
	key := string(args[1])
	if old := s.lookup(c.db, key); old != nil {
		c.w.Bulk(old.val)
	} else {
		c.w.Null()
	}
	s.dbs[c.db].keys[key] = &entry{val: append([]byte(nil), args[2]...)}
	s.propagate(c.db, [][]byte{[]byte("SET"), args[1], args[2]})
}

func cmdDel(s *Server, c *client, args [][]byte) {
	var n int64
	for _, k := range args[1:] {
		if s.lookup(c.db, string(k)) != nil {
			delete(s.dbs[c.db].keys, string(k))
			n++
			s.propagate(c.db, [][]byte{args[0], k})
		}
	}
	c.w.Int(n)
}

func cmdExists(s *Server, c *client, args [][]byte) {
	var n int64
	for _, k := range args[1:] {
		if s.lookup(c.db, string(k)) != nil {
			n++
		}
	}
	c.w.Int(n)
}

func cmdType(s *Server, c *client, args [][]byte) {
	if s.lookup(c.db, string(args[1])) == nil {
		c.w.Simple("none")
		return
	}
	c.w.Simple("string")
}

func cmdStrlen(s *Server, c *client, args [][]byte) {
	e := s.lookup(c.db, string(args[1]))
	if e == nil {
		c.w.Int(0)
		return
	}
	c.w.Int(int64(len(e.val)))
}

func cmdIncr(s *Server, c *client, args [][]byte) {
	name := strings.ToLower(string(args[0]))
	var by int64 = 1
	if len(args) == 3 {
		n, err := strconv.ParseInt(string(args[2]), 10, 64)
		if err != nil {
			c.w.Error(errNotInt)
			return
		}
		by = n
	}
	if strings.HasPrefix(name, "decr") {
		if by == -by && by != 0 { // math.MinInt64 cannot be negated
			c.w.Error("ERR decrement would overflow")
			return
		}
		by = -by
	}
	key := string(args[1])
	var cur int64
	e := s.lookup(c.db, key)
	if e != nil {
		n, err := strconv.ParseInt(string(e.val), 10, 64)
		if err != nil || strconv.FormatInt(n, 10) != string(e.val) {
			c.w.Error(errNotInt)
			return
		}
		cur = n
	}
	if (by > 0 && cur > (1<<63-1)-by) || (by < 0 && cur < (-1<<63)-by) {
		c.w.Error(errOverflow)
		return
	}
	cur += by
	val := []byte(strconv.FormatInt(cur, 10))
	if e != nil {
		e.val = val
	} else {
		s.dbs[c.db].keys[key] = &entry{val: val}
	}
	c.w.Int(cur)
	s.propagate(c.db, args)
}

func cmdAppend(s *Server, c *client, args [][]byte) {
	key := string(args[1])
	e := s.lookup(c.db, key)
	if e == nil {
		e = &entry{}
		s.dbs[c.db].keys[key] = e
	}
	e.val = append(e.val, args[2]...)
	c.w.Int(int64(len(e.val)))
	s.propagate(c.db, args)
}

func cmdMget(s *Server, c *client, args [][]byte) {
	c.w.Array(len(args) - 1)
	for _, k := range args[1:] {
		if e := s.lookup(c.db, string(k)); e != nil {
			c.w.Bulk(e.val)
		} else {
			c.w.Null()
		}
	}
}

func cmdMset(s *Server, c *client, args [][]byte) {
	if len(args)%2 != 1 {
		c.w.Error("ERR wrong number of arguments for 'mset' command")
		return
	}
	for i := 1; i < len(args); i += 2 {
		s.dbs[c.db].keys[string(args[i])] = &entry{val: append([]byte(nil), args[i+1]...)}
	}
	c.w.Simple("OK")
	s.propagate(c.db, args)
}

// liveKeys lists the live keys of a database in sorted order, so KEYS and SCAN answer the
// same way on every run.
func (s *Server) liveKeys(dbi int, pattern string) []string {
	now := s.nowMs()
	var keys []string
	for k, e := range s.dbs[dbi].keys {
		if e.expireAt != 0 && e.expireAt <= now {
			continue
		}
		if pattern == "*" || globMatch(pattern, k) {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	return keys
}

// globMatch matches Redis glob patterns with Redis's own matcher, quirks included.
func globMatch(pattern, s string) bool { return glob.Match(pattern, s) }

func cmdKeys(s *Server, c *client, args [][]byte) {
	c.w.Strings(s.liveKeys(c.db, string(args[1])))
}

// cmdScan pages through the sorted key list; the cursor is an index into it. Keys added or
// removed between calls may shift the window, which SCAN's guarantees allow for keys that
// were not present for the whole iteration.
func cmdScan(s *Server, c *client, args [][]byte) {
	cursor, err := strconv.ParseUint(string(args[1]), 10, 64)
	if err != nil {
		c.w.Error("ERR invalid cursor")
		return
	}
	pattern, count, typ := "*", 10, ""
	for i := 2; i < len(args); i += 2 {
		if i+1 >= len(args) {
			c.w.Error(errSyntax)
			return
		}
		switch strings.ToUpper(string(args[i])) {
		case "MATCH":
			pattern = string(args[i+1])
		case "COUNT":
			n, err := strconv.Atoi(string(args[i+1]))
			if err != nil {
				c.w.Error(errNotInt)
				return
			}
			if n < 1 {
				c.w.Error(errSyntax)
				return
			}
			count = n
		case "TYPE":
			typ = strings.ToLower(string(args[i+1]))
		default:
			c.w.Error(errSyntax)
			return
		}
	}
	all := s.liveKeys(c.db, "*")
	var out []string
	i := int(min(cursor, uint64(len(all))))
	end := min(i+count, len(all))
	for ; i < end; i++ {
		if (pattern == "*" || globMatch(pattern, all[i])) && (typ == "" || typ == "string") {
			out = append(out, all[i])
		}
	}
	next := "0"
	if end < len(all) {
		next = strconv.Itoa(end)
	}
	c.w.Array(2)
	c.w.BulkString(next)
	c.w.Strings(out)
}

func cmdDbsize(s *Server, c *client, args [][]byte) {
	c.w.Int(int64(len(s.liveKeys(c.db, "*"))))
}

func flushArgOK(c *client, args [][]byte) bool {
	if len(args) > 2 {
		c.w.Error(errSyntax)
		return false
	}
	if len(args) == 2 {
		switch strings.ToUpper(string(args[1])) {
		case "ASYNC", "SYNC":
		default:
			c.w.Error(errSyntax)
			return false
		}
	}
	return true
}

func cmdFlushall(s *Server, c *client, args [][]byte) {
	if !flushArgOK(c, args) {
		return
	}
	for i := range s.dbs {
		s.dbs[i] = newDB()
	}
	c.w.Simple("OK")
	s.propagate(-1, [][]byte{[]byte("FLUSHALL")})
}

func cmdFlushdb(s *Server, c *client, args [][]byte) {
	if !flushArgOK(c, args) {
		return
	}
	s.dbs[c.db] = newDB()
	c.w.Simple("OK")
	s.propagate(c.db, [][]byte{[]byte("FLUSHDB")})
}

func cmdExpire(s *Server, c *client, args [][]byte) {
	name := strings.ToLower(string(args[0]))
	n, err := strconv.ParseInt(string(args[2]), 10, 64)
	if err != nil {
		c.w.Error(errNotInt)
		return
	}
	var nx, xx, gt, lt bool
	for _, o := range args[3:] {
		switch strings.ToUpper(string(o)) {
		case "NX":
			nx = true
		case "XX":
			xx = true
		case "GT":
			gt = true
		case "LT":
			lt = true
		default:
			c.w.Error("ERR Unsupported option " + string(o))
			return
		}
	}
	if nx && (xx || gt || lt) {
		c.w.Error("ERR NX and XX, GT or LT options at the same time are not compatible")
		return
	}
	if gt && lt {
		c.w.Error("ERR GT and LT options at the same time are not compatible")
		return
	}
	key := string(args[1])
	e := s.lookup(c.db, key)
	if e == nil {
		c.w.Int(0)
		return
	}
	at := absoluteExpire(s.nowMs(), strings.ToUpper(name), n)
	// A missing TTL counts as infinite for GT and LT, as in Redis.
	switch {
	case nx && e.expireAt != 0, xx && e.expireAt == 0,
		gt && (e.expireAt == 0 || at <= e.expireAt),
		lt && e.expireAt != 0 && at >= e.expireAt:
		c.w.Int(0)
		return
	}
	if at <= s.nowMs() {
		delete(s.dbs[c.db].keys, key)
		c.w.Int(1)
		s.propagate(c.db, [][]byte{[]byte("DEL"), args[1]})
		return
	}
	e.expireAt = at
	c.w.Int(1)
	s.propagate(c.db, [][]byte{[]byte("PEXPIREAT"), args[1], []byte(strconv.FormatInt(at, 10))})
}

func cmdPersist(s *Server, c *client, args [][]byte) {
	e := s.lookup(c.db, string(args[1]))
	if e == nil || e.expireAt == 0 {
		c.w.Int(0)
		return
	}
	e.expireAt = 0
	c.w.Int(1)
	s.propagate(c.db, args)
}

func cmdTTL(s *Server, c *client, args [][]byte) {
	e := s.lookup(c.db, string(args[1]))
	switch {
	case e == nil:
		c.w.Int(-2)
	case e.expireAt == 0:
		c.w.Int(-1)
	default:
		ms := e.expireAt - s.nowMs()
		if strings.EqualFold(string(args[0]), "ttl") {
			c.w.Int((ms + 500) / 1000)
		} else {
			c.w.Int(ms)
		}
	}
}

func cmdSelect(s *Server, c *client, args [][]byte) {
	n, err := strconv.Atoi(string(args[1]))
	if err != nil {
		c.w.Error(errNotInt)
		return
	}
	if n < 0 || n >= numDBs {
		c.w.Error(errDBIndex)
		return
	}
	c.db = n
	c.w.Simple("OK")
}
