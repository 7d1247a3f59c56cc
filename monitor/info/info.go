package info

import (
	"math"
	"strings"
	"time"

	"github.com/sentinel-go/sentinel/internal/cstrconv"
)

// Replica is one "slave<N>:" line of a master's INFO.
type Replica struct {
	IP   string
	Port int
}

// Bits of Info.Present, one per field.
const (
	FieldRunID uint = 1 << iota
	FieldRole
	FieldReplicas
	FieldMasterHost
	FieldMasterPort
	FieldMasterLinkStatus
	FieldMasterLinkDownSince
	FieldSlavePriority
	FieldReplOffset
	FieldReplicaAnnounced
	FieldSyncInProgress
	// Ours, not redis-sentinel's: the fields below feed the empty-restart guard and the
	// min-replicas warning.
	FieldKeyspace          // a "# Keyspace" header (Keys is then the dataset's size)
	FieldLoading           // a "loading:" line
	FieldConnectedReplicas // a "connected_slaves:" line
	FieldMinReplicas       // a "min_slaves_good_slaves:" line
)

// DefaultSlavePriority is the priority redis-sentinel assumes for a replica that never
// reported one (SENTINEL_DEFAULT_SLAVE_PRIORITY).
const DefaultSlavePriority = 100

// Info is what a sentinel takes from one INFO reply.
type Info struct {
	// RunID is the first 40 bytes of a "run_id:" line that has at least 40 after the colon;
	// a shorter value is ignored, a longer one cut, as redis-sentinel does.
	RunID string
	// Role is "master" or "slave" from the last "role:master..." or "role:slave..." line
	// (prefix match), or "" when there is none.
	Role string
	// Replicas lists the "slave<N>:" lines in order, duplicates included. Redis reads them
	// whatever role the text reports, but only from an instance it monitors as a master.
	// New format "slave0:ip=<ip>,port=<port>,...": each value runs from its key to the next
	// comma. Old format (Redis before 2.8) "slave0:<ip>,<port>,<state>": a line without the
	// third field is skipped. The port is Atoi'd, so it may be out of range: Redis then fails
	// to create the replica, and so should the caller.
	Replicas []Replica

	// The fields below are read only from lines after a role:slave line, as Redis does.

	// MasterHost is the rest of a "master_host:" line, possibly empty.
	MasterHost string
	// MasterPort is the Atoi'd value of "master_port:".
	MasterPort int
	// MasterLinkUp is whether "master_link_status:" is "up" in any case.
	MasterLinkUp bool
	// MasterLinkDownSince is master_link_down_since_seconds, which Redis reads (from any
	// line, not only after role:slave) with strtoll and multiplies by 1000 into
	// milliseconds, and resets to 0 when the line is absent. The sign is kept: a replica that
	// never had a link reports -1, which Redis stores as -1000 ms (so "down" is a non-zero
	// value, not a positive one). Values beyond the Duration range (about 292 years)
	// saturate; Redis's millisecond product would only wrap far later.
	MasterLinkDownSince time.Duration
	// SlavePriority is the Atoi'd "slave_priority:", DefaultSlavePriority when absent.
	SlavePriority int
	// ReplOffset is "slave_repl_offset:" through Strtoull. It is unsigned because Redis keeps
	// it unsigned and compares it so when it ranks replicas; SENTINEL REPLICAS prints it as
	// signed, int64(ReplOffset).
	ReplOffset uint64
	// ReplicaAnnounced is whether the Atoi'd "replica_announced:" is non-zero; true when
	// absent.
	ReplicaAnnounced bool
	// SyncInProgress is whether the Atoi'd "master_sync_in_progress:" is non-zero: a full
	// sync is being received, so the dataset is still the one from before it. Redis's
	// sentinel does not read it; ours keeps such a replica from being promoted.
	SyncInProgress bool

	// The fields below are ours (redis-sentinel reads none of them), read from any line.

	// Keys is the sum of the keys= values of the "db<N>:" lines; 0 when the Keyspace
	// section is present and empty, which is how a master restarted without persistence
	// looks.
	Keys int64
	// Loading is whether "loading:" is non-zero: a dataset still being loaded is not yet
	// its final size.
	Loading bool
	// ConnectedReplicas is the Atoi'd "connected_slaves:".
	ConnectedReplicas int
	// MinReplicasGood is the Atoi'd "min_slaves_good_slaves:", a line Redis prints only
	// when both min-replicas-to-write and min-replicas-max-lag are set (FieldMinReplicas
	// tells whether it is there).
	MinReplicasGood int

	// Present has a Field* bit for each field that appeared in the text.
	Present uint
}

// Has reports whether all the given Field* bits are in inf.Present.
func (inf Info) Has(fields uint) bool { return inf.Present&fields == fields }

// Parse reads an INFO reply. It never fails: lines it does not recognise are skipped.
func Parse(text string) Info {
	// redis-sentinel hands the reply to its parser as a C string.
	if n := strings.IndexByte(text, 0); n >= 0 {
		text = text[:n]
	}
	inf := Info{SlavePriority: DefaultSlavePriority, ReplicaAnnounced: true}
	// Like sdssplitlen, an empty text has no lines, and a trailing "\r\n" leaves an empty
	// last line.
	for rest := text; rest != ""; {
		line := rest
		if n := strings.Index(rest, "\r\n"); n >= 0 {
			line, rest = rest[:n], rest[n+2:]
		} else {
			rest = ""
		}
		inf.line(line)
	}
	return inf
}

// line applies one line, in the order of sentinelRefreshInstanceInfo's checks.
func (inf *Info) line(l string) {
	// Every field a sentinel reads starts with one of these; most INFO lines do not.
	if l == "" {
		return
	}
	switch l[0] {
	case 'r', 's', 'm':
	case 'd', '#', 'l', 'c':
		inf.ours(l)
		return
	default:
		return
	}
	if strings.HasPrefix(l, "min_slaves_good_slaves:") {
		inf.MinReplicasGood = cstrconv.Atoi(l[23:])
		inf.Present |= FieldMinReplicas
	}
	if len(l) >= 47 && strings.HasPrefix(l, "run_id:") {
		inf.RunID = l[7:47]
		inf.Present |= FieldRunID
	}
	if len(l) >= 7 && strings.HasPrefix(l, "slave") && isDigit(l[5]) {
		if r, ok := replica(l); ok {
			inf.Replicas = append(inf.Replicas, r)
			inf.Present |= FieldReplicas
		}
		return // no other check can match a line that starts with "slave<digit>"
	}
	// Redis compares only the name's 30 bytes and skips the byte after them unchecked.
	if len(l) >= 32 && l[:30] == "master_link_down_since_seconds" {
		inf.MasterLinkDownSince = durationMillis(cstrconv.Strtoll(l[31:]) * 1000)
		inf.Present |= FieldMasterLinkDownSince
	}
	switch {
	case strings.HasPrefix(l, "role:master"):
		inf.Role = "master"
		inf.Present |= FieldRole
	case strings.HasPrefix(l, "role:slave"):
		inf.Role = "slave"
		inf.Present |= FieldRole
	}
	if inf.Role != "slave" {
		return
	}
	switch {
	case strings.HasPrefix(l, "master_host:"):
		inf.MasterHost = l[12:]
		inf.Present |= FieldMasterHost
	case strings.HasPrefix(l, "master_port:"):
		inf.MasterPort = cstrconv.Atoi(l[12:])
		inf.Present |= FieldMasterPort
	case strings.HasPrefix(l, "master_link_status:"):
		v := l[19:]
		// strcasecmp(v, "up"): ASCII case folding only.
		inf.MasterLinkUp = len(v) == 2 && v[0]|0x20 == 'u' && v[1]|0x20 == 'p'
		inf.Present |= FieldMasterLinkStatus
	case strings.HasPrefix(l, "slave_priority:"):
		inf.SlavePriority = cstrconv.Atoi(l[15:])
		inf.Present |= FieldSlavePriority
	case strings.HasPrefix(l, "slave_repl_offset:"):
		inf.ReplOffset = cstrconv.Strtoull(l[18:])
		inf.Present |= FieldReplOffset
	case strings.HasPrefix(l, "master_sync_in_progress:"):
		inf.SyncInProgress = cstrconv.Atoi(l[24:]) != 0
		inf.Present |= FieldSyncInProgress
	case strings.HasPrefix(l, "replica_announced:"):
		inf.ReplicaAnnounced = cstrconv.Atoi(l[18:]) != 0
		inf.Present |= FieldReplicaAnnounced
	}
}

// ours reads the lines only our additions use; none of them can match a line the sentinel's
// own checks read (those start with r, s or m).
func (inf *Info) ours(l string) {
	switch {
	case strings.HasPrefix(l, "# Keyspace"):
		inf.Present |= FieldKeyspace
	case len(l) > 3 && l[0] == 'd' && l[1] == 'b' && isDigit(l[2]):
		if _, rest, ok := strings.Cut(l, ":keys="); ok {
			if n := cstrconv.Strtoll(upToComma(rest)); n > 0 {
				inf.Keys += n
			}
		}
	case strings.HasPrefix(l, "loading:"):
		inf.Loading = cstrconv.Atoi(l[8:]) != 0
		inf.Present |= FieldLoading
	case strings.HasPrefix(l, "connected_slaves:"):
		inf.ConnectedReplicas = cstrconv.Atoi(l[17:])
		inf.Present |= FieldConnectedReplicas
	}
}

// replica reads a "slave<N>:" line in either format.
func replica(l string) (Replica, bool) {
	if !strings.Contains(l, "ip=") {
		_, rest, ok := strings.Cut(l, ":")
		if !ok {
			return Replica{}, false
		}
		ip, rest, ok := strings.Cut(rest, ",")
		if !ok {
			return Replica{}, false
		}
		port, _, ok := strings.Cut(rest, ",")
		if !ok {
			return Replica{}, false
		}
		return Replica{IP: ip, Port: cstrconv.Atoi(port)}, true
	}
	// Redis finds each key anywhere in the line, including inside the other's value, and
	// ends each value at the next comma; terminating one value in place never shortens the
	// other beyond its own next comma, so cutting both independently gives the same result.
	ip := upToComma(l[strings.Index(l, "ip=")+3:])
	n := strings.Index(l, "port=")
	if n < 0 {
		return Replica{}, false
	}
	return Replica{IP: ip, Port: cstrconv.Atoi(upToComma(l[n+5:]))}, true
}

func upToComma(s string) string {
	if n := strings.IndexByte(s, ','); n >= 0 {
		return s[:n]
	}
	return s
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// durationMillis converts milliseconds to a Duration, saturating instead of wrapping.
func durationMillis(ms int64) time.Duration {
	const limit = math.MaxInt64 / int64(time.Millisecond)
	switch {
	case ms > limit:
		return math.MaxInt64
	case ms < -limit:
		return math.MinInt64
	}
	return time.Duration(ms) * time.Millisecond
}
