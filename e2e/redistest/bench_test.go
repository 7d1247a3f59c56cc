package redistest

import (
	"bufio"
	"net"
	"testing"

	"github.com/sentinel-go/sentinel/internal/resp"
)

// BenchmarkPipelinedSetGet measures the command path end to end over loopback: 16 SET/GET
// pairs per round trip, as redis-benchmark -P 16 sends them.
func BenchmarkPipelinedSetGet(b *testing.B) {
	s := RunT(b)
	nc, err := net.Dial("tcp", s.Addr())
	if err != nil {
		b.Fatal(err)
	}
	defer nc.Close()
	var batch []byte
	for i := 0; i < 16; i++ {
		batch = resp.AppendCommand(batch, "SET", "key:000042", "xxx")
		batch = resp.AppendCommand(batch, "GET", "key:000042")
	}
	br := bufio.NewReader(nc)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := nc.Write(batch); err != nil {
			b.Fatal(err)
		}
		for j := 0; j < 16; j++ {
			if _, err := br.ReadString('\n'); err != nil { // +OK
				b.Fatal(err)
			}
			if _, err := br.ReadString('\n'); err != nil { // $3
				b.Fatal(err)
			}
			if _, err := br.ReadString('\n'); err != nil { // xxx
				b.Fatal(err)
			}
		}
	}
	b.ReportMetric(float64(b.N*32)/b.Elapsed().Seconds(), "cmds/s")
}
