package rdb

// Tests against a real redis-server: it must load what we encode, and we must decode what it
// writes, both as dump.rdb and on a replication link. They skip without redis-server, unless
// REDISTEST_REQUIRE_REAL=1 (set in CI) turns that into a failure.

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sentinel-go/sentinel/e2e/realredis"
)

const realWait = 10 * time.Second

// shortTempDir is a t.TempDir stand-in with a short path: a unix socket path must fit in
// about 100 bytes, and t.TempDir embeds the test name.
func shortTempDir(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "rdbt")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}

type redisProc struct {
	*realredis.Process
	sock string
}

// startRedis starts redis-server with TCP disabled, listening on a unix socket in dir, and
// waits until it answers PING. t.Cleanup kills it (only it) and reaps it.
func startRedis(t *testing.T, dir string, args ...string) *redisProc {
	t.Helper()
	bin := realredis.Binary(t, "redis-server")
	sock := filepath.Join(dir, "r.sock")
	base := []string{"--port", "0", "--unixsocket", sock, "--dir", dir, "--save", "",
		"--appendonly", "no", "--daemonize", "no"}
	p := &redisProc{Process: realredis.Start(t, dir, bin, append(base, args...)...), sock: sock}
	if err := p.WaitAnswering("unix", sock, realWait); err != nil {
		t.Fatal(err)
	}
	return p
}

func (p *redisProc) dial(t *testing.T) *respConn {
	t.Helper()
	c, err := net.DialTimeout("unix", p.sock, realWait)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return &respConn{t: t, c: c, r: bufio.NewReader(c)}
}

// respConn is just enough of a RESP2 client for these tests.
type respConn struct {
	t *testing.T
	c net.Conn
	r *bufio.Reader
}

type respError string

func (e respError) Error() string { return string(e) }

func (c *respConn) send(args ...string) error {
	var b []byte
	b = fmt.Appendf(b, "*%d\r\n", len(args))
	for _, a := range args {
		b = fmt.Appendf(b, "$%d\r\n%s\r\n", len(a), a)
	}
	c.c.SetDeadline(time.Now().Add(realWait))
	_, err := c.c.Write(b)
	return err
}

func (c *respConn) roundTrip(args ...string) (any, error) {
	if err := c.send(args...); err != nil {
		return nil, err
	}
	return readReply(c.r)
}

// do runs a command and fails the test on an I/O error or an error reply.
func (c *respConn) do(args ...string) any {
	c.t.Helper()
	v, err := c.roundTrip(args...)
	if err != nil {
		c.t.Fatalf("%q: %v", args, err)
	}
	if e, ok := v.(respError); ok {
		c.t.Fatalf("%q: %s", args, e)
	}
	return v
}

func (c *respConn) doInt(args ...string) int64 {
	c.t.Helper()
	n, ok := c.do(args...).(int64)
	if !ok {
		c.t.Fatalf("%q: not an integer reply", args)
	}
	return n
}

func readLine(r *bufio.Reader) (string, error) {
	line, err := r.ReadString('\n')
	if err != nil {
		return "", err
	}
	if !strings.HasSuffix(line, "\r\n") {
		return "", fmt.Errorf("RESP line without CRLF: %q", line)
	}
	return line[:len(line)-2], nil
}

func readReply(r *bufio.Reader) (any, error) {
	line, err := readLine(r)
	if err != nil {
		return nil, err
	}
	if line == "" {
		return nil, errors.New("empty RESP line")
	}
	switch line[0] {
	case '+':
		return line[1:], nil
	case '-':
		return respError(line[1:]), nil
	case ':':
		return strconv.ParseInt(line[1:], 10, 64)
	case '$', '*':
		n, err := strconv.Atoi(line[1:])
		if err != nil {
			return nil, err
		}
		if n < 0 {
			return nil, nil
		}
		if line[0] == '$' {
			b := make([]byte, n+2)
			if _, err := io.ReadFull(r, b); err != nil {
				return nil, err
			}
			return b[:n], nil
		}
		arr := make([]any, n)
		for i := range arr {
			if arr[i], err = readReply(r); err != nil {
				return nil, err
			}
		}
		return arr, nil
	}
	return nil, fmt.Errorf("unexpected RESP line %q", line)
}

// realEntries are keys a real server keeps on load: databases 0-15 and future expiries.
func realEntries() []Entry {
	future := time.Now().Add(time.Hour).UnixMilli()
	var es []Entry
	for i, e := range testEntries() {
		e.DB %= 16
		if e.ExpireAt != 0 {
			e.ExpireAt = future + int64(i)
		}
		es = append(es, e)
	}
	return es
}

// checkServerHas verifies, over the client protocol, that the server holds exactly want.
func checkServerHas(t *testing.T, c *respConn, want []Entry) {
	t.Helper()
	perDB := map[int]int64{}
	for _, e := range want {
		perDB[e.DB]++
	}
	for db := range 16 {
		c.do("SELECT", strconv.Itoa(db))
		if n := c.doInt("DBSIZE"); n != perDB[db] {
			t.Errorf("db %d holds %d keys, want %d", db, n, perDB[db])
		}
	}
	for _, e := range want {
		c.do("SELECT", strconv.Itoa(e.DB))
		v, _ := c.do("GET", e.Key).([]byte)
		if !bytes.Equal(v, e.Value) {
			t.Errorf("db %d key %q: GET = %s, want %s", e.DB, e.Key, short(v), short(e.Value))
		}
		wantExp := e.ExpireAt
		if wantExp == 0 {
			wantExp = -1
		}
		if exp := c.doInt("PEXPIRETIME", e.Key); exp != wantExp {
			t.Errorf("db %d key %q: PEXPIRETIME = %d, want %d", e.DB, e.Key, exp, wantExp)
		}
	}
}

// TestRealRedisLoadsOurSnapshot starts redis-server on a snapshot we encoded.
func TestRealRedisLoadsOurSnapshot(t *testing.T) {
	realredis.Binary(t, "redis-server")
	t.Parallel()
	dir := shortTempDir(t)
	want := realEntries()
	var buf bytes.Buffer
	aux := []Aux{{"redis-ver", "7.0.15"}, {"redis-bits", "64"},
		{"ctime", strconv.FormatInt(time.Now().Unix(), 10)}, {"used-mem", "1048576"},
		{"repl-stream-db", "0"}, {"repl-id", strings.Repeat("5f", 20)}, {"repl-offset", "0"},
		{"aof-base", "0"}}
	must(t, Encode(&buf, aux, want))
	must(t, os.WriteFile(filepath.Join(dir, "dump.rdb"), buf.Bytes(), 0o644))

	p := startRedis(t, dir, "--dbfilename", "dump.rdb")
	checkServerHas(t, p.dial(t), want)
	if log := p.Log(); !strings.Contains(log, "DB loaded from disk") {
		t.Errorf("redis-server did not report loading the snapshot:\n%s", log)
	}
}

// TestRealReplicaLoadsOurSnapshot plays a master to a real redis-server replica, the way
// the embedded server will: handshake, +FULLRESYNC, then the snapshot as a $<len> bulk.
func TestRealReplicaLoadsOurSnapshot(t *testing.T) {
	realredis.Binary(t, "redis-server")
	t.Parallel()
	dir := shortTempDir(t)
	want := realEntries()
	replID := strings.Repeat("c0ffee", 6) + "abcd"
	var snapshot bytes.Buffer
	must(t, Encode(&snapshot, []Aux{{"redis-ver", "7.0.15"}, {"redis-bits", "64"},
		{"repl-stream-db", "0"}, {"repl-id", replID}, {"repl-offset", "1"}, {"aof-base", "0"}}, want))

	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	masterDone := make(chan error, 1)
	go func() { masterDone <- fakeMaster(l, replID, snapshot.Bytes()) }()

	p := startRedis(t, dir)
	c := p.dial(t)
	c.do("REPLICAOF", "127.0.0.1", strconv.Itoa(l.Addr().(*net.TCPAddr).Port))
	deadline := time.Now().Add(realWait)
	for {
		info, _ := c.do("INFO", "replication").([]byte)
		if bytes.Contains(info, []byte("master_link_status:up")) {
			break
		}
		select {
		case err := <-masterDone:
			t.Fatalf("fake master: %v", err)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("replica did not finish the full sync within %v:\n%s", realWait, info)
		}
		time.Sleep(20 * time.Millisecond)
	}
	checkServerHas(t, c, want)
	if info, _ := c.do("INFO", "replication").([]byte); !bytes.Contains(info, []byte("master_replid:"+replID)) {
		t.Errorf("replica did not adopt replid %s:\n%s", replID, info)
	}
}

// fakeMaster answers one replica's handshake and sends it snapshot, then reads and discards
// the replica's REPLCONF ACKs until the listener's connection is closed.
func fakeMaster(l net.Listener, replID string, snapshot []byte) error {
	l.(*net.TCPListener).SetDeadline(time.Now().Add(realWait))
	conn, err := l.Accept()
	if err != nil {
		return err
	}
	defer conn.Close()
	rc := &respConn{c: conn, r: bufio.NewReader(conn)}
	for {
		conn.SetDeadline(time.Now().Add(realWait))
		v, err := readReply(rc.r)
		if err != nil {
			return fmt.Errorf("reading the handshake: %w", err)
		}
		args, _ := v.([]any)
		if len(args) == 0 {
			return fmt.Errorf("replica sent %#v", v)
		}
		cmd, _ := args[0].([]byte)
		switch strings.ToUpper(string(cmd)) {
		case "PING":
			_, err = io.WriteString(conn, "+PONG\r\n")
		case "REPLCONF":
			_, err = io.WriteString(conn, "+OK\r\n")
		case "PSYNC", "SYNC":
			head := fmt.Sprintf("+FULLRESYNC %s 1\r\n$%d\r\n", replID, len(snapshot))
			if _, err = conn.Write(append([]byte(head), snapshot...)); err != nil {
				return err
			}
			conn.SetDeadline(time.Time{})
			io.Copy(io.Discard, conn) // REPLCONF ACKs, until the test ends
			return nil
		default:
			return fmt.Errorf("unexpected command %q in the handshake", cmd)
		}
		if err != nil {
			return err
		}
	}
}

// TestRealRedisDumpDecodes writes keys into a real server, has it SAVE, and decodes dump.rdb
// under each eviction policy (LFU adds FREQ opcodes, LRU adds IDLE).
func TestRealRedisDumpDecodes(t *testing.T) {
	realredis.Binary(t, "redis-server")
	t.Parallel()
	dir := shortTempDir(t)
	p := startRedis(t, dir)
	c := p.dial(t)
	want := populate(t, c)
	// A function library is saved as a FUNCTION2 record, which Decode must skip.
	c.do("FUNCTION", "LOAD", "#!lua name=rdbtest\nredis.register_function('noop', function() return 1 end)")

	sizes := map[string]int{}
	for _, policy := range []string{"noeviction", "allkeys-lfu", "allkeys-lru"} {
		c.do("CONFIG", "SET", "maxmemory-policy", policy)
		c.do("SAVE")
		raw, err := os.ReadFile(filepath.Join(dir, "dump.rdb"))
		if err != nil {
			t.Fatal(err)
		}
		sizes[policy] = len(raw)
		got := map[string]Entry{}
		aux, err := Decode(bufio.NewReader(bytes.NewReader(raw)), func(e Entry) error {
			got[fmt.Sprint(e.DB, "/", e.Key)] = e
			return nil
		})
		if err != nil {
			t.Fatalf("%s: Decode: %v", policy, err)
		}
		if aux["redis-bits"] != "64" || aux["redis-ver"] == "" || aux["aof-base"] != "0" {
			t.Errorf("%s: aux = %q", policy, aux)
		}
		if len(got) != len(want) {
			t.Errorf("%s: decoded %d keys, want %d", policy, len(got), len(want))
		}
		for _, w := range want {
			g, ok := got[fmt.Sprint(w.DB, "/", w.Key)]
			if !ok {
				t.Errorf("%s: db %d key %q missing", policy, w.DB, w.Key)
				continue
			}
			if !bytes.Equal(g.Value, w.Value) || g.ExpireAt != w.ExpireAt {
				t.Errorf("%s: db %d key %q = %s expiring %d, want %s expiring %d",
					policy, w.DB, w.Key, short(g.Value), g.ExpireAt, short(w.Value), w.ExpireAt)
			}
		}
	}
	// Two bytes per key at least (opcode and value): proof the files really held FREQ/IDLE.
	for _, policy := range []string{"allkeys-lfu", "allkeys-lru"} {
		if sizes[policy]-sizes["noeviction"] < 2*len(want) {
			t.Errorf("%s dump is %d bytes, noeviction %d: expected per-key %s records", policy,
				sizes[policy], sizes["noeviction"], policy)
		}
	}

	c.do("SELECT", "5")
	c.do("SADD", "myset", "a", "b")
	c.do("SAVE")
	raw, err := os.ReadFile(filepath.Join(dir, "dump.rdb"))
	if err != nil {
		t.Fatal(err)
	}
	err = decodeErr(raw)
	if want := `rdb: unsupported value type 2 (set) for key "myset"`; err == nil || err.Error() != want {
		t.Errorf("set key: err = %v, want %s", err, want)
	}
}

// populate writes a spread of string keys into databases 0 and 3 and returns them as the
// entries a snapshot must hold, with expiries read back from the server.
func populate(t *testing.T, c *respConn) []Entry {
	t.Helper()
	var want []Entry
	set := func(db int, key string, val []byte, ttlMs int64) {
		c.do("SELECT", strconv.Itoa(db))
		c.do("SET", key, string(val))
		e := Entry{DB: db, Key: key, Value: val}
		if ttlMs > 0 {
			c.do("PEXPIRE", key, strconv.FormatInt(ttlMs, 10))
			e.ExpireAt = c.doInt("PEXPIRETIME", key)
		}
		want = append(want, e)
	}
	for i, v := range []string{"0", "-1", "127", "128", "-129", "32767", "32768", "2147483647",
		"-2147483648", "2147483648", "9223372036854775807", "-9223372036854775808", "007", "+1",
		"-0", "12345678901"} {
		set(0, "int:"+strconv.Itoa(i), []byte(v), 0)
	}
	set(0, "plain", []byte("hello"), 0)
	set(0, "empty", nil, 0)
	set(0, "binary", []byte("\x00\xff\r\n\xc3\xc0 binary"), 0)
	set(0, "42", []byte("integer-looking key"), 0)
	set(0, strings.Repeat("long key ", 30), []byte("compressed key"), 0)
	set(0, "compressible", []byte(strings.Repeat("redis replication ", 500)), 0)
	set(0, "random", randomBytes(21, 70000), 0)
	var big bytes.Buffer
	for i := 0; big.Len() < 2<<20; i++ {
		fmt.Fprintf(&big, "row %08d: %s\n", i, strings.Repeat("x", i%50))
	}
	set(0, "big", big.Bytes(), 0)
	set(0, "expiring", []byte("soon"), 3_600_000)
	set(0, "expiring-int", []byte("77"), 86_400_000)
	set(3, "db3-plain", []byte("three"), 0)
	set(3, "db3-expiring", []byte(strings.Repeat("compress me ", 40)), 600_000)
	set(3, "db3-14bit", randomBytes(22, 5000), 0)
	return want
}

// TestRealMasterReplicationStream replicates from a real redis-server and decodes the
// snapshot straight off the link: diskless ($EOF:<mark> framing, the mark right after the
// checksum) and disk-based ($<len> framing), then reads the command stream that follows.
func TestRealMasterReplicationStream(t *testing.T) {
	realredis.Binary(t, "redis-server")
	t.Parallel()
	dir := shortTempDir(t)
	p := startRedis(t, dir, "--repl-diskless-sync-delay", "0")
	c := p.dial(t)
	want := populate(t, c)

	for _, diskless := range []bool{true, false} {
		t.Run(fmt.Sprintf("diskless=%v", diskless), func(t *testing.T) {
			rc := p.dial(t)
			if diskless {
				rc.do("REPLCONF", "capa", "eof", "capa", "psync2")
			}
			must(t, rc.send("PSYNC", "?", "-1"))
			line, err := readLine(rc.r)
			if err != nil {
				t.Fatal(err)
			}
			var replID string
			var offset int64
			if _, err := fmt.Sscanf(line, "+FULLRESYNC %s %d", &replID, &offset); err != nil {
				t.Fatalf("PSYNC reply %q: %v", line, err)
			}
			// The master sends newlines as keepalives while it prepares the snapshot.
			for {
				b, err := rc.r.Peek(1)
				if err != nil {
					t.Fatal(err)
				}
				if b[0] != '\n' {
					break
				}
				rc.r.Discard(1)
			}
			if line, err = readLine(rc.r); err != nil {
				t.Fatal(err)
			}
			got := map[string]Entry{}
			collect := func(e Entry) error {
				got[fmt.Sprint(e.DB, "/", e.Key)] = e
				return nil
			}
			var aux map[string]string
			if mark, ok := strings.CutPrefix(line, "$EOF:"); ok {
				if !diskless {
					t.Fatalf("disk-based sync got %q", line)
				}
				if aux, err = Decode(rc.r, collect); err != nil {
					t.Fatal(err)
				}
				end := make([]byte, len(mark))
				if _, err := io.ReadFull(rc.r, end); err != nil || string(end) != mark {
					t.Fatalf("after the snapshot came %q (%v), want the EOF mark %q", end, err, mark)
				}
			} else {
				if diskless {
					t.Fatalf("diskless sync got %q", line)
				}
				n, err := strconv.Atoi(strings.TrimPrefix(line, "$"))
				if err != nil {
					t.Fatalf("bulk header %q", line)
				}
				raw := make([]byte, n)
				if _, err := io.ReadFull(rc.r, raw); err != nil {
					t.Fatal(err)
				}
				r := bufio.NewReader(bytes.NewReader(raw))
				if aux, err = Decode(r, collect); err != nil {
					t.Fatal(err)
				}
				if rest, _ := io.ReadAll(r); len(rest) != 0 {
					t.Fatalf("%d bytes of the $%d bulk left after the snapshot", len(rest), n)
				}
			}
			if aux["repl-id"] != replID || aux["repl-offset"] != strconv.FormatInt(offset, 10) {
				t.Errorf("snapshot says repl-id %q repl-offset %q; PSYNC said %s %d",
					aux["repl-id"], aux["repl-offset"], replID, offset)
			}
			if aux["repl-stream-db"] == "" {
				t.Errorf("replication snapshot without repl-stream-db: %q", aux)
			}
			if len(got) != len(want) {
				t.Errorf("decoded %d keys, want %d", len(got), len(want))
			}
			for _, w := range want {
				if g := got[fmt.Sprint(w.DB, "/", w.Key)]; !bytes.Equal(g.Value, w.Value) || g.ExpireAt != w.ExpireAt {
					t.Errorf("db %d key %q = %s expiring %d, want %s expiring %d",
						w.DB, w.Key, short(g.Value), g.ExpireAt, short(w.Value), w.ExpireAt)
				}
			}

			// A diskless master starts the command stream on an ACK that arrives once it has
			// reaped the child that produced the snapshot; an ACK sent sooner is ignored. A
			// real replica sends one every second, so keep acknowledging until the stream flows.
			stopAcks, acksDone := make(chan struct{}), make(chan struct{})
			ack := []byte(fmt.Sprintf("*3\r\n$8\r\nREPLCONF\r\n$3\r\nACK\r\n$%d\r\n%d\r\n",
				len(strconv.FormatInt(offset, 10)), offset))
			go func() {
				defer close(acksDone)
				tick := time.NewTicker(100 * time.Millisecond)
				defer tick.Stop()
				for {
					if _, err := rc.c.Write(ack); err != nil {
						return
					}
					select {
					case <-stopAcks:
						return
					case <-tick.C:
					}
				}
			}()
			defer func() {
				close(stopAcks)
				<-acksDone
			}()
			rc.c.SetDeadline(time.Now().Add(realWait))
			key := fmt.Sprintf("after-sync-%v", diskless)
			c.do("SELECT", "0")
			c.do("SET", key, "streamed")
			want = append(want, Entry{DB: 0, Key: key, Value: []byte("streamed")}) // for the next sync
			for {
				v, err := readReply(rc.r)
				if err != nil {
					t.Fatalf("reading the command stream: %v", err)
				}
				cmd, _ := v.([]any)
				if len(cmd) == 3 && fmt.Sprintf("%s %s %s", cmd...) == "SET "+key+" streamed" {
					break
				}
				// SELECT and PING may come first.
			}
		})
	}
}
