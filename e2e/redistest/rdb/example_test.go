package rdb_test

import (
	"bufio"
	"bytes"
	"fmt"
	"log"

	"github.com/sentinel-go/sentinel/e2e/redistest/rdb"
)

// A master's full-sync snapshot, as Redis 7.0 writes one, read back by a replica.
func Example() {
	var stream bytes.Buffer
	err := rdb.Encode(&stream, []rdb.Aux{
		{Key: "redis-ver", Value: "7.0.15"},
		{Key: "redis-bits", Value: "64"},
		{Key: "ctime", Value: "1700000000"},
		{Key: "used-mem", Value: "1048576"},
		{Key: "repl-stream-db", Value: "0"},
		{Key: "repl-id", Value: "8c6f5ad0ef5f1a2bd8b8f2f5c0e3f9f1a7d6c4b2"},
		{Key: "repl-offset", Value: "0"},
		{Key: "aof-base", Value: "0"},
	}, []rdb.Entry{
		{DB: 3, Key: "session", Value: []byte("abc"), ExpireAt: 1700000060000},
		{DB: 0, Key: "counter", Value: []byte("42")},
	})
	if err != nil {
		log.Fatal(err)
	}
	stream.WriteString("*1\r\n$4\r\nPING\r\n") // the command stream follows the snapshot

	r := bufio.NewReader(&stream)
	aux, err := rdb.Decode(r, func(e rdb.Entry) error {
		fmt.Printf("db %d %s = %s (expires %d)\n", e.DB, e.Key, e.Value, e.ExpireAt)
		return nil
	})
	if err != nil {
		log.Fatal(err)
	}
	next, _ := r.ReadString('\n')
	fmt.Printf("replid %s, then %q\n", aux["repl-id"], next)
	// Output:
	// db 0 counter = 42 (expires 0)
	// db 3 session = abc (expires 1700000060000)
	// replid 8c6f5ad0ef5f1a2bd8b8f2f5c0e3f9f1a7d6c4b2, then "*1\r\n"
}
