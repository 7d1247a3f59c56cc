package endpoint

import (
	"testing"

	"github.com/sentinel-go/sentinel/internal/resp"
	"github.com/sentinel-go/sentinel/internal/resptest"
)

// The requests redis-benchmark sends for its PING and for "sentinel
// get-master-addr-by-name m1" (as the fake sentinel names its master), and the replies.
var (
	benchPing     = resp.AppendCommand(nil, "PING")
	benchPong     = []byte("+PONG\r\n")
	benchAddr     = resp.AppendCommand(nil, "sentinel", "get-master-addr-by-name", "mymaster")
	benchAddrResp = []byte("*2\r\n$9\r\n127.0.0.1\r\n$4\r\n6379\r\n")
)

// BenchmarkPing is one PING at a time on one connection: the endpoint's whole request
// path (read, checks, dispatch, reply, write) for an unpipelined client.
func BenchmarkPing(b *testing.B) {
	_, addr := startServer(b, Options{})
	resptest.Pipeline(b, addr, benchPing, benchPong, 1)
}

// BenchmarkPipelined is PING pipelined 16 deep, as redis-benchmark -P 16 sends it.
func BenchmarkPipelined(b *testing.B) {
	_, addr := startServer(b, Options{})
	resptest.Pipeline(b, addr, benchPing, benchPong, 16)
}

// BenchmarkGetMasterAddr is SENTINEL GET-MASTER-ADDR-BY-NAME pipelined 16 deep: the path
// to the Sentinel (here the fake, so the endpoint's share alone is measured).
func BenchmarkGetMasterAddr(b *testing.B) {
	_, addr := startServer(b, Options{})
	resptest.Pipeline(b, addr, benchAddr, benchAddrResp, 16)
}
