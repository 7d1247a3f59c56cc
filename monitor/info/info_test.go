package info

import (
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/sentinel-go/sentinel/internal/cstrconv"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// corpus returns a text from the fuzz seed corpus, which holds real INFO replies.
func corpus(t testing.TB, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "fuzz", "FuzzParse", name))
	if err != nil {
		t.Fatal(err)
	}
	body, ok := strings.CutPrefix(string(b), "go test fuzz v1\nstring(")
	if !ok {
		t.Fatalf("%s: not a string corpus entry", name)
	}
	s, err := strconv.Unquote(strings.TrimSuffix(strings.TrimSpace(body), ")"))
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return s
}

// rawField is the value of an INFO line, found the obvious way, to compare Parse against.
func rawField(text, name string) string {
	for _, l := range strings.Split(text, "\r\n") {
		if v, ok := strings.CutPrefix(l, name+":"); ok {
			return v
		}
	}
	return ""
}

// oursAlways are the fields of ours that every INFO of a Redis 7.0 server (and of redistest)
// has.
const oursAlways = FieldKeyspace | FieldLoading | FieldConnectedReplicas

const replicaFields = FieldRunID | FieldRole | FieldMasterHost | FieldMasterPort |
	FieldMasterLinkStatus | FieldSlavePriority | FieldReplOffset | FieldReplicaAnnounced | FieldSyncInProgress

func TestParseRealReplies(t *testing.T) {
	tests := []struct {
		file string
		want Info
	}{
		{"real-master", Info{
			RunID: "002a7f34dbc964f1a39627b181323a19dd08a7c5", Role: "master",
			Replicas:      []Replica{{"127.0.0.1", 44969}},
			SlavePriority: 100, ReplicaAnnounced: true,
			ConnectedReplicas: 1,
			Present:           FieldRunID | FieldRole | FieldReplicas | oursAlways,
		}},
		{"real-replica", Info{
			RunID: "5aa0e7b6e8f4f0b3c42b2d1a3bc2c4ce4d5ad3b4", Role: "slave",
			MasterHost: "127.0.0.1", MasterPort: 0, MasterLinkUp: true,
			SlavePriority: 100, ReplOffset: 0, ReplicaAnnounced: true,
			Present: replicaFields | oursAlways,
		}},
		{"real-replica-down", Info{
			RunID: "505c706f306a40e16c3007022c899e4dba45aa24", Role: "slave",
			MasterHost: "127.0.0.1", MasterPort: 1, MasterLinkDownSince: -time.Second,
			SlavePriority: 7, ReplOffset: 1, ReplicaAnnounced: false,
			Present: replicaFields | FieldMasterLinkDownSince | oursAlways,
		}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			text := corpus(t, tt.file)
			want := tt.want
			// The capture's run ID, ports and offsets vary by run; take them from the text.
			if want.Role == "slave" {
				want.RunID = rawField(text, "run_id")
				want.MasterPort = cstrconv.Atoi(rawField(text, "master_port"))
				want.ReplOffset = cstrconv.Strtoull(rawField(text, "slave_repl_offset"))
			}
			if got := Parse(text); !reflect.DeepEqual(got, want) {
				t.Errorf("got  %+v\nwant %+v", got, want)
			}
		})
	}
}

func TestParse(t *testing.T) {
	def := Info{SlavePriority: 100, ReplicaAnnounced: true}
	with := func(f func(*Info)) Info { i := def; f(&i); return i }
	id := strings.Repeat("ab", 20)
	tests := []struct {
		name, text string
		want       Info
	}{
		{"empty", "", def},
		{"keyspace empty", "# Keyspace\r\n", with(func(i *Info) { i.Present = FieldKeyspace })},
		{"keys summed over dbs", "# Keyspace\r\ndb0:keys=3,expires=0,avg_ttl=0\r\ndb12:keys=4,expires=1,avg_ttl=9\r\n",
			with(func(i *Info) { i.Keys, i.Present = 7, FieldKeyspace })},
		{"db line without keys", "db0:expires=3\r\ndbx:keys=5", def},
		{"loading", "loading:1", with(func(i *Info) { i.Loading, i.Present = true, FieldLoading })},
		{"connected replicas", "connected_slaves:2", with(func(i *Info) { i.ConnectedReplicas, i.Present = 2, FieldConnectedReplicas })},
		{"min replicas line from any role", "min_slaves_good_slaves:1",
			with(func(i *Info) { i.MinReplicasGood, i.Present = 1, FieldMinReplicas })},
		{"no CRLF", "role:master", with(func(i *Info) { i.Role, i.Present = "master", FieldRole })},
		{"bare LF does not split", "role:master\nrun_id:" + id,
			with(func(i *Info) { i.Role, i.Present = "master", FieldRole })},
		{"run ID exact", "run_id:" + id + "\r\n",
			with(func(i *Info) { i.RunID, i.Present = id, FieldRunID })},
		{"run ID too short", "run_id:" + id[:39], def},
		{"run ID longer is cut", "run_id:" + id + "xyz",
			with(func(i *Info) { i.RunID, i.Present = id, FieldRunID })},
		{"run ID not hex still taken", "run_id:" + strings.Repeat("z", 40),
			with(func(i *Info) { i.RunID, i.Present = strings.Repeat("z", 40), FieldRunID })},
		{"NUL ends the text", "role:slave\x00\r\nmaster_port:5",
			with(func(i *Info) { i.Role, i.Present = "slave", FieldRole })},
		{"role by prefix", "role:masterful", with(func(i *Info) { i.Role, i.Present = "master", FieldRole })},
		{"role case matters", "role:Master", def},
		{"last role wins", "role:slave\r\nmaster_port:7\r\nrole:master\r\nmaster_port:8",
			with(func(i *Info) { i.Role, i.MasterPort, i.Present = "master", 7, FieldRole|FieldMasterPort })},
		{"replica fields need role:slave first", "master_host:h\r\nslave_priority:5\r\nrole:slave",
			with(func(i *Info) { i.Role, i.Present = "slave", FieldRole })},
		{"empty master host", "role:slave\r\nmaster_host:",
			with(func(i *Info) { i.Role, i.Present = "slave", FieldRole|FieldMasterHost })},
		{"master host kept as is", "role:slave\r\nmaster_host: Example.COM ",
			with(func(i *Info) { i.Role, i.MasterHost, i.Present = "slave", " Example.COM ", FieldRole|FieldMasterHost })},
		{"link status any case", "role:slave\r\nmaster_link_status:uP",
			with(func(i *Info) { i.Role, i.MasterLinkUp, i.Present = "slave", true, FieldRole|FieldMasterLinkStatus })},
		{"link status exact word", "role:slave\r\nmaster_link_status:up ",
			with(func(i *Info) { i.Role, i.Present = "slave", FieldRole|FieldMasterLinkStatus })},
		{"atoi leniency", "role:slave\r\nmaster_port: \t+63790xyz\r\nslave_priority:abc",
			with(func(i *Info) {
				i.Role, i.MasterPort, i.SlavePriority = "slave", 63790, 0
				i.Present = FieldRole | FieldMasterPort | FieldSlavePriority
			})},
		{"atoi keeps low 32 bits", "role:slave\r\nmaster_port:4294967297\r\nslave_priority:99999999999999999999",
			with(func(i *Info) {
				i.Role, i.MasterPort, i.SlavePriority = "slave", 1, -1
				i.Present = FieldRole | FieldMasterPort | FieldSlavePriority
			})},
		{"offset is strtoull", "role:slave\r\nslave_repl_offset:-1",
			with(func(i *Info) { i.Role, i.ReplOffset, i.Present = "slave", math.MaxUint64, FieldRole|FieldReplOffset })},
		{"not announced", "role:slave\r\nreplica_announced:0",
			with(func(i *Info) { i.Role, i.ReplicaAnnounced, i.Present = "slave", false, FieldRole|FieldReplicaAnnounced })},
		{"announced is any non-zero", "role:slave\r\nreplica_announced:-3",
			with(func(i *Info) { i.Role, i.Present = "slave", FieldRole|FieldReplicaAnnounced })},
		{"link down seconds", "master_link_down_since_seconds:42",
			with(func(i *Info) { i.MasterLinkDownSince, i.Present = 42*time.Second, FieldMasterLinkDownSince })},
		{"link down never up keeps sign", "master_link_down_since_seconds:-1",
			with(func(i *Info) { i.MasterLinkDownSince, i.Present = -time.Second, FieldMasterLinkDownSince })},
		{"link down byte after the name unchecked", "master_link_down_since_secondsX7",
			with(func(i *Info) { i.MasterLinkDownSince, i.Present = 7*time.Second, FieldMasterLinkDownSince })},
		{"link down needs a value byte", "master_link_down_since_seconds:", def},
		{"link down beyond Duration saturates", "master_link_down_since_seconds:9300000000",
			with(func(i *Info) { i.MasterLinkDownSince, i.Present = math.MaxInt64, FieldMasterLinkDownSince })},
		{"link down beyond Duration saturates negative", "master_link_down_since_seconds:-9300000000",
			with(func(i *Info) { i.MasterLinkDownSince, i.Present = math.MinInt64, FieldMasterLinkDownSince })},
		// Redis's seconds×1000 wraps in int64 arithmetic, and so does ours.
		{"link down milliseconds wrap as in C", "master_link_down_since_seconds:9223372036854775807",
			with(func(i *Info) { i.MasterLinkDownSince, i.Present = -time.Second, FieldMasterLinkDownSince })},
		{"new format", "slave0:ip=10.0.0.1,port=6380,state=online,offset=1,lag=0\r\nslave1:ip=::1,port=6381",
			with(func(i *Info) {
				i.Replicas, i.Present = []Replica{{"10.0.0.1", 6380}, {"::1", 6381}}, FieldReplicas
			})},
		{"new format keys anywhere", "slave12:state=online,port=7,x=1,ip=h",
			with(func(i *Info) { i.Replicas, i.Present = []Replica{{"h", 7}}, FieldReplicas })},
		{"new format key inside a value", "slave0:ip=port=9,z",
			with(func(i *Info) { i.Replicas, i.Present = []Replica{{"port=9", 9}}, FieldReplicas })},
		{"new format without port", "slave0:ip=1.2.3.4,state=online", def},
		{"old format", "slave0:127.0.0.1,6380,online\r\nslave1:::1,6381,online",
			with(func(i *Info) {
				i.Replicas, i.Present = []Replica{{"127.0.0.1", 6380}, {"::1", 6381}}, FieldReplicas
			})},
		{"old format needs a state", "slave0:127.0.0.1,6380", def},
		{"slave then non-digit is no replica", "slaves:ip=1,port=2\r\nslave_priority:3", def},
		{"replica line too short", "slave0:", def},
		{"duplicates kept", "slave0:ip=a,port=1\r\nslave1:ip=a,port=1",
			with(func(i *Info) { i.Replicas, i.Present = []Replica{{"a", 1}, {"a", 1}}, FieldReplicas })},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Parse(tt.text); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Parse(%q)\n got  %+v\n want %+v", tt.text, got, tt.want)
			}
		})
	}
}

func BenchmarkParse(b *testing.B) {
	for _, name := range []string{"real-master", "real-replica"} {
		text := corpus(b, name)
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(text)))
			for b.Loop() {
				Parse(text)
			}
		})
	}
}
