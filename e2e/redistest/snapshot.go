package redistest

import (
	"bufio"
	"bytes"
	"fmt"
	"sort"
	"strconv"

	"github.com/sentinel-go/sentinel/e2e/redistest/rdb"
)

// snapshot encodes the whole keyspace as an RDB stream, with the aux fields Redis 7.0 puts
// in a replication snapshot. Keys are written in sorted order so snapshots are reproducible.
// The caller holds mu.
func (s *Server) snapshot() ([]byte, error) {
	var buf bytes.Buffer
	enc := rdb.NewEncoder(&buf)
	now := s.nowMs()
	aux := []rdb.Aux{
		{Key: "redis-ver", Value: Version},
		{Key: "redis-bits", Value: "64"},
		{Key: "ctime", Value: strconv.FormatInt(now/1000, 10)},
		{Key: "used-mem", Value: "0"},
		{Key: "repl-stream-db", Value: "0"},
		{Key: "repl-id", Value: s.repl.replid},
		{Key: "repl-offset", Value: strconv.FormatInt(s.repl.offset, 10)},
		{Key: "aof-base", Value: "0"},
	}
	if err := enc.WriteHeader(aux...); err != nil {
		return nil, err
	}
	for i, d := range s.dbs {
		keys := make([]string, 0, len(d.keys))
		expires := 0
		for k, e := range d.keys {
			if e.expireAt != 0 && e.expireAt <= now {
				continue
			}
			keys = append(keys, k)
			if e.expireAt != 0 {
				expires++
			}
		}
		if len(keys) == 0 {
			continue
		}
		sort.Strings(keys)
		if err := enc.WriteDB(i, len(keys), expires); err != nil {
			return nil, err
		}
		for _, k := range keys {
			e := d.keys[k]
			if err := enc.WriteString(k, e.val, e.expireAt); err != nil {
				return nil, err
			}
		}
	}
	if err := enc.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// loadSnapshot decodes an RDB payload into fresh databases.
func loadSnapshot(payload []byte) ([numDBs]*db, error) {
	var dbs [numDBs]*db
	for i := range dbs {
		dbs[i] = newDB()
	}
	_, err := rdb.Decode(bufio.NewReader(bytes.NewReader(payload)), func(e rdb.Entry) error {
		if e.DB < 0 || e.DB >= numDBs {
			return fmt.Errorf("key %q in database %d: only %d databases", e.Key, e.DB, numDBs)
		}
		dbs[e.DB].keys[e.Key] = &entry{val: e.Value, expireAt: e.ExpireAt}
		return nil
	})
	return dbs, err
}
