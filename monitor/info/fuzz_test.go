package info

import (
	"math"
	"math/big"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/sentinel-go/sentinel/internal/cstrconv"
)

// The reference below is a second reading of sentinelRefreshInstanceInfo, written to look
// like the C rather than to be fast: each line becomes a NUL-terminated byte array that
// strchr/strstr walk and that gets NULs written into it, and arithmetic on numbers goes
// through math/big. The C conversions themselves are package cstrconv's, checked against their
// own math/big reference there. Parse must agree with this reading on every input.

func refCStr(b []byte, i int) string {
	n := 0
	for b[i+n] != 0 {
		n++
	}
	return string(b[i : i+n])
}

func refStrchr(b []byte, i int, c byte) int {
	for ; b[i] != 0; i++ {
		if b[i] == c {
			return i
		}
	}
	return -1
}

func refStrstr(b []byte, i int, s string) int {
	if k := strings.Index(refCStr(b, i), s); k >= 0 {
		return i + k
	}
	return -1
}

func refReplica(l string) (Replica, bool) {
	b := append([]byte(l), 0)
	var ip, port int
	if refStrstr(b, 0, "ip=") < 0 {
		if ip = refStrchr(b, 0, ':'); ip < 0 {
			return Replica{}, false
		}
		ip++
		if port = refStrchr(b, ip, ','); port < 0 {
			return Replica{}, false
		}
		b[port] = 0
		port++
		end := refStrchr(b, port, ',')
		if end < 0 {
			return Replica{}, false
		}
		b[end] = 0
	} else {
		ip = refStrstr(b, 0, "ip=") + 3
		if port = refStrstr(b, 0, "port="); port < 0 {
			return Replica{}, false
		}
		port += 5
		if end := refStrchr(b, ip, ','); end >= 0 {
			b[end] = 0
		}
		if end := refStrchr(b, port, ','); end >= 0 {
			b[end] = 0
		}
	}
	return Replica{IP: refCStr(b, ip), Port: cstrconv.Atoi(refCStr(b, port))}, true
}

func refParse(text string) Info {
	text, _, _ = strings.Cut(text, "\x00")
	inf := Info{SlavePriority: 100, ReplicaAnnounced: true}
	role := ""
	for _, l := range strings.Split(text, "\r\n") {
		if len(l) >= 47 && l[:7] == "run_id:" {
			inf.RunID = l[7:47]
			inf.Present |= FieldRunID
		}
		if len(l) >= 7 && l[:5] == "slave" && l[5] >= '0' && l[5] <= '9' {
			if r, ok := refReplica(l); ok {
				inf.Replicas = append(inf.Replicas, r)
				inf.Present |= FieldReplicas
			}
			continue
		}
		if len(l) >= 32 && l[:30] == "master_link_down_since_seconds" {
			ms := big.NewInt(cstrconv.Strtoll(l[31:]))
			ms.Mul(ms, big.NewInt(1000))
			// C's product in two's complement, then nanoseconds clamped to the Duration range.
			mod := new(big.Int).Lsh(big.NewInt(1), 64)
			ms.Mod(ms, mod)
			if ms.Cmp(big.NewInt(math.MaxInt64)) > 0 {
				ms.Sub(ms, mod)
			}
			ns := ms.Mul(ms, big.NewInt(int64(time.Millisecond)))
			switch {
			case ns.Cmp(big.NewInt(math.MaxInt64)) > 0:
				inf.MasterLinkDownSince = math.MaxInt64
			case ns.Cmp(big.NewInt(math.MinInt64)) < 0:
				inf.MasterLinkDownSince = math.MinInt64
			default:
				inf.MasterLinkDownSince = time.Duration(ns.Int64())
			}
			inf.Present |= FieldMasterLinkDownSince
		}
		if len(l) >= 11 && l[:11] == "role:master" {
			role = "master"
			inf.Present |= FieldRole
		} else if len(l) >= 10 && l[:10] == "role:slave" {
			role = "slave"
			inf.Present |= FieldRole
		}
		inf.Role = role
		if role != "slave" {
			continue
		}
		if len(l) >= 12 && l[:12] == "master_host:" {
			inf.MasterHost = l[12:]
			inf.Present |= FieldMasterHost
		}
		if len(l) >= 12 && l[:12] == "master_port:" {
			inf.MasterPort = cstrconv.Atoi(l[12:])
			inf.Present |= FieldMasterPort
		}
		if len(l) >= 19 && l[:19] == "master_link_status:" {
			inf.MasterLinkUp = strings.ToLower(l[19:]) == "up"
			inf.Present |= FieldMasterLinkStatus
		}
		if len(l) >= 15 && l[:15] == "slave_priority:" {
			inf.SlavePriority = cstrconv.Atoi(l[15:])
			inf.Present |= FieldSlavePriority
		}
		if len(l) >= 18 && l[:18] == "slave_repl_offset:" {
			inf.ReplOffset = cstrconv.Strtoull(l[18:])
			inf.Present |= FieldReplOffset
		}
		if len(l) >= 18 && l[:18] == "replica_announced:" {
			inf.ReplicaAnnounced = cstrconv.Atoi(l[18:]) != 0
			inf.Present |= FieldReplicaAnnounced
		}
		if len(l) >= 24 && l[:24] == "master_sync_in_progress:" {
			inf.SyncInProgress = cstrconv.Atoi(l[24:]) != 0
			inf.Present |= FieldSyncInProgress
		}
	}
	return inf
}

const oursFields = FieldKeyspace | FieldLoading | FieldConnectedReplicas | FieldMinReplicas

// refOurs reads the fields of ours the obvious way: whole lines, by prefix, anywhere.
func refOurs(text string) Info {
	var inf Info
	if n := strings.IndexByte(text, 0); n >= 0 {
		text = text[:n]
	}
	for _, l := range strings.Split(text, "\r\n") {
		switch {
		case strings.HasPrefix(l, "# Keyspace"):
			inf.Present |= FieldKeyspace
		case strings.HasPrefix(l, "db") && len(l) > 2 && l[2] >= '0' && l[2] <= '9':
			if i := strings.Index(l, ":keys="); i >= 0 {
				v := l[i+6:]
				if j := strings.IndexByte(v, ','); j >= 0 {
					v = v[:j]
				}
				if n := cstrconv.Strtoll(v); n > 0 {
					inf.Keys += n
				}
			}
		case strings.HasPrefix(l, "loading:"):
			inf.Loading, inf.Present = cstrconv.Atoi(l[8:]) != 0, inf.Present|FieldLoading
		case strings.HasPrefix(l, "connected_slaves:"):
			inf.ConnectedReplicas, inf.Present = cstrconv.Atoi(l[17:]), inf.Present|FieldConnectedReplicas
		case strings.HasPrefix(l, "min_slaves_good_slaves:"):
			inf.MinReplicasGood, inf.Present = cstrconv.Atoi(l[23:]), inf.Present|FieldMinReplicas
		}
	}
	return inf
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"role:slave\r\nmaster_host:h\r\nmaster_port:-70000\r\nmaster_link_status:UP\r\n",
		"slave0:1.2.3.4,5,online\r\nslave1:ip=port=,",
		"master_link_down_since_seconds: -99999999999999999\r\nrole:slave\r\nslave_repl_offset:-0",
		"run_id:0123456789012345678901234567890123456789\x00role:master",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		got := Parse(text)
		if want := refOurs(text); got.Keys != want.Keys || got.Loading != want.Loading ||
			got.ConnectedReplicas != want.ConnectedReplicas || got.MinReplicasGood != want.MinReplicasGood ||
			got.Present&oursFields != want.Present {
			t.Fatalf("Parse(%q): ours\n got  %+v\n want %+v", text, got, want)
		}
		// The C reading knows only redis-sentinel's fields.
		got.Keys, got.Loading, got.ConnectedReplicas, got.MinReplicasGood = 0, false, 0, 0
		got.Present &^= oursFields
		if want := refParse(text); !reflect.DeepEqual(got, want) {
			t.Fatalf("Parse(%q)\n got  %+v\n want %+v", text, got, want)
		}
		if got.RunID != "" && len(got.RunID) != 40 {
			t.Fatalf("run ID %q", got.RunID)
		}
	})
}
