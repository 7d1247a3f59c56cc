package monitor

import (
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/sentinel-go/sentinel/config"
)

// TestHelloAnnouncesTLSPort: the port in our hellos follows sentinelSendHello:
// announce-port, else tls-port when tls-replication is on and tls-port is set, else port.
func TestHelloAnnouncesTLSPort(t *testing.T) {
	cases := []struct {
		name     string
		port     int
		announce int
		options  map[string][]string
		want     string
	}{
		{"plain", 26379, 0, nil, "26379"},
		{"tls-port without tls-replication", 26379, 0, map[string][]string{"tls-port": {"26380"}}, "26379"},
		{"tls-replication without tls-port", 26379, 0, map[string][]string{"tls-replication": {"yes"}}, "26379"},
		{"both", 26379, 0, map[string][]string{"tls-port": {"26380"}, "tls-replication": {"yes"}}, "26380"},
		{"both, port 0", 0, 0, map[string][]string{"tls-port": {"26380"}, "tls-replication": {"yes"}}, "26380"},
		{"announce-port wins", 26379, 7000, map[string][]string{"tls-port": {"26380"}, "tls-replication": {"yes"}}, "7000"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cfg := config.Default()
			cfg.MyID = myID
			cfg.Port, cfg.AnnouncePort = c.port, c.announce
			for k, v := range c.options {
				cfg.Options[k] = v
			}
			cfg.Masters = append(cfg.Masters, config.NewMaster("mymaster", "127.0.0.1", 6379, 1))
			h := &harness{t: t, store: &memStore{}, now: time.Unix(1_800_000_000, 0), gens: map[string]uint64{}}
			core, err := New(cfg, rand.New(rand.NewPCG(1, 2)), h.now)
			if err != nil {
				t.Fatal(err)
			}
			h.c = core
			h.collect()
			h.up("127.0.0.1:6379")
			h.advance(100 * time.Millisecond)
			for _, s := range h.sends {
				if s.Tag.Kind == TagPublish {
					f := strings.Split(s.Args[2], ",")
					if f[1] != c.want {
						t.Errorf("hello %q announces port %s, want %s", s.Args[2], f[1], c.want)
					}
					return
				}
			}
			t.Fatalf("no hello sent: %v", h.sends)
		})
	}
}
