package redistest

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"testing"
	"time"
)

// rest reads until the server closes the connection and returns what came.
func (c *rawConn) rest() string {
	c.t.Helper()
	c.nc.SetReadDeadline(time.Now().Add(diffWait))
	b, _ := io.ReadAll(c.br) // a reset after the last reply is how some closes end
	return string(b)
}

// TestDifferentialLimits: maxclients, timeout and tcp-keepalive as CONFIG parameters, and
// the connection limits they set, then the unauthenticated request limits once
// requirepass is set, byte for byte with redis-server 7.0.15.
func TestDifferentialLimits(t *testing.T) {
	if testing.Short() {
		t.Skip("waits for an idle timeout")
	}
	runDifferential(t, func(t *testing.T, impl diffImpl, rec *diffRecord) {
		n := impl.start(t, nil)
		a := dialRaw(t, n.addr)
		for _, p := range []string{"maxclients", "timeout", "tcp-keepalive"} {
			rec.set("default "+p, a.call("CONFIG", "GET", p))
		}
		for _, kv := range [][2]string{{"maxclients", "0"}, {"timeout", "-1"}, {"tcp-keepalive", "-1"}, {"maxclients", "x"}} {
			rec.set("CONFIG SET "+kv[0]+" "+kv[1], a.call("CONFIG", "SET", kv[0], kv[1]))
		}
		rec.set("CONFIG SET tcp-keepalive 60", a.call("CONFIG", "SET", "tcp-keepalive", "60"))
		rec.set("tcp-keepalive 60", a.call("CONFIG", "GET", "tcp-keepalive"))

		// maxclients: room for exactly one more than those connected now.
		k := strings.Count(a.call("CLIENT", "LIST"), "id=")
		rec.set("CONFIG SET maxclients", a.call("CONFIG", "SET", "maxclients", strconv.Itoa(k+1)))
		rec.set("INFO maxclients", strings.Contains(a.call("INFO", "clients"), "maxclients:"+strconv.Itoa(k+1)+"\r\n"))
		rec.set("one more", dialRaw(t, n.addr).call("PING"))
		rec.set("and another", dialRaw(t, n.addr).rest())
		rec.set("CONFIG SET maxclients 10000", a.call("CONFIG", "SET", "maxclients", "10000"))

		// timeout: the idle client goes without a word; the subscriber, as idle, stays.
		sub, idle := dialRaw(t, n.addr), dialRaw(t, n.addr)
		rec.set("SUBSCRIBE", sub.call("SUBSCRIBE", "ch"))
		rec.set("PING", idle.call("PING"))
		rec.set("CONFIG SET timeout 1", a.call("CONFIG", "SET", "timeout", "1"))
		rec.set("idle closed", idle.rest())
		rec.set("subscriber PING", sub.call("PING"))
		b := dialRaw(t, n.addr)
		rec.set("CONFIG SET timeout 0", b.call("CONFIG", "SET", "timeout", "0"))

		// The unauthenticated limits apply to clients not yet authenticated, only.
		rec.set("CONFIG SET requirepass", b.call("CONFIG", "SET", "requirepass", "x"))
		for _, in := range []string{"*100000\r\n", "*10\r\n$16385\r\n", "*1\r\n$3145728\r\n" + strings.Repeat("x", 1<<20)} {
			c := dialRaw(t, n.addr)
			c.nc.Write([]byte(in))
			rec.set(fmt.Sprintf("unauthenticated %q", in[:min(len(in), 20)]), c.rest())
		}
		c := dialRaw(t, n.addr)
		rec.set("AUTH", c.call("AUTH", "x"))
		rec.set("authenticated 11 arguments", c.call("ECHO", "1", "2", "3", "4", "5", "6", "7", "8", "9", "10"))
		rec.set("already authenticated", b.call("ECHO", strings.Repeat("x", 20000)) == "$"+strings.Repeat("x", 20000))
		rec.set("CONFIG SET requirepass ''", b.call("CONFIG", "SET", "requirepass", ""))
	})
}
