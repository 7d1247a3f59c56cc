package monitor

import (
	"strconv"
	"strings"
	"time"

	"github.com/sentinel-go/sentinel/config"
)

type kind int

const (
	kindMaster kind = iota
	kindReplica
	kindSentinel
)

// String is the word Redis uses for the kind in event prefixes.
func (k kind) String() string {
	switch k {
	case kindMaster:
		return "master"
	case kindReplica:
		return "slave"
	}
	return "sentinel"
}

// flags are Redis's SRI_* instance flags; SENTINEL MASTER prints them in flagWords order.
type flags uint32

const (
	flagSDown flags = 1 << iota
	flagODown
	flagMaster
	flagSlave
	flagSentinel
	flagDisconnected // derived from the links when printed, kept here for the word order
	flagMasterDown
	flagFailoverInProgress
	flagPromoted
	flagReconfSent
	flagReconfInprog
	flagReconfDone
	flagForceFailover
	flagScriptKillSent
	flagMasterReboot // not printed, as in Redis
	flagEmptyRestart // ours (protect-empty-restart): not printed, s_down shows its effect
)

var flagWords = []struct {
	f    flags
	word string
}{
	{flagSDown, "s_down"}, {flagODown, "o_down"}, {flagMaster, "master"}, {flagSlave, "slave"},
	{flagSentinel, "sentinel"}, {flagDisconnected, "disconnected"}, {flagMasterDown, "master_down"},
	{flagFailoverInProgress, "failover_in_progress"}, {flagPromoted, "promoted"},
	{flagReconfSent, "reconf_sent"}, {flagReconfInprog, "reconf_inprog"},
	{flagReconfDone, "reconf_done"}, {flagForceFailover, "force_failover"},
	{flagScriptKillSent, "script_kill_sent"},
}

// SDown and ODown say whether the instance is subjectively or objectively down, as the
// replies print it (s-down-time, INFO's status, CKQUORUM's count).
func (f flags) SDown() bool { return f&flagSDown != 0 }
func (f flags) ODown() bool { return f&flagODown != 0 }

// String is the flags as SENTINEL MASTER prints them: Redis's words, comma-separated.
func (f flags) String() string {
	var b strings.Builder
	for _, w := range flagWords {
		if f&w.f != 0 {
			if b.Len() > 0 {
				b.WriteByte(',')
			}
			b.WriteString(w.word)
		}
	}
	return b.String()
}

// instance is a master, a replica or a peer sentinel as one master sees it.
type instance struct {
	kind   kind
	name   string // master name, "ip:port" for a replica, run ID for a sentinel
	addr   config.Addr
	runID  string
	flags  flags
	link   *link
	master *master // the master this instance belongs to; itself for a master

	sDownSince time.Time
	oDownSince time.Time
	lastPub    time.Time // last hello this instance accepted from us
	seen       time.Time // replicas and sentinels: last seen alive (forget.go)
	heard      time.Time // sentinels: last PONG or hello, never their creation (forget.go)
	listed     bool      // a replica its master's INFO listed (forget.go)

	// From INFO (masters and replicas).
	info             string
	infoRefresh      time.Time
	infoAsked        time.Time // last INFO sent for the replica selection
	roleReported     string
	roleReportedTime time.Time
	rebootSince      time.Time // MASTER_REBOOT noticed at
	keys             int64     // the dataset's keys in the last INFO with a Keyspace section

	// Replicas.
	masterLinkDownTime time.Duration
	masterLinkUp       bool
	masterHost         string
	masterPort         int
	priority           int
	replOffset         int64
	announced          bool
	confChangeTime     time.Time
	reconfSentTime     time.Time
	syncInProgress     bool // master_sync_in_progress:1 in its last INFO
	replicasListed     int  // slave<N> lines in its last INFO (a stray master's own replicas)
	fastConvertSent    time.Time
	// syncPending: since it turned from master to replica, or reported a master other
	// than the one it reported before, it has not reported its link up (unsynced).
	syncPending bool

	// Sentinels.
	lastHello           time.Time
	lastHelloAgreeing   time.Time // last hello naming our master's address in our config epoch
	lastMasterDownReply time.Time
	leader              string // the vote this sentinel reported to us
	leaderEpoch         uint64
}

// master is a monitored master with the replicas and sentinels it knows.
type master struct {
	instance
	cfg       *config.Master
	replicas  map[string]*instance // by "ip:port"
	sentinels map[string]*instance // by run ID

	replicaCache, sentinelCache []*instance // sorted by name; nil when stale

	view  *MasterView // the last view of this master, reused while not dirty
	dirty bool

	// quietUntil: ticks before then may skip this master, if quietEpoch is the core's
	// (see quiet.go).
	quietUntil time.Time
	quietEpoch uint64

	failoverState       failoverState
	failoverEpoch       uint64
	failoverStartTime   time.Time // with Redis's random desync; the retry delay counts from it
	failoverStateChange time.Time
	forgetHold          time.Time // last instant a failover held forget-after off (forget.go)
	failoverDelayLogged time.Time // the start time whose retry delay was last logged
	promoted            *instance
	votesRequested      uint64 // the epoch whose vote requests went out (see requestVotes)
	switchAnnounced     bool   // +switch-master already went out, at the promotion
	coordinated         bool   // SENTINEL FAILOVER ... COORDINATED: promote with FAILOVER TO
	minority            bool   // refusing GET-MASTER-ADDR-BY-NAME (minority-refuses), since +minority

	emptyRestartSince time.Time // flagEmptyRestart set at (see guard.go)
	emptyRestartHeld  bool      // we paused the master since (holdEmptyMaster)
	minReplicas       int       // minReplicas* state of the min-replicas warning
}

func (m *master) downAfter() time.Duration { return m.cfg.DownAfter }

// addrKey is how Redis names a replica: "ip:port", IPv6 in brackets.
func addrKey(a config.Addr) string {
	if strings.IndexByte(a.Host, ':') >= 0 {
		return "[" + a.Host + "]:" + strconv.Itoa(a.Port) // net.JoinHostPort's form
	}
	return a.Host + ":" + strconv.Itoa(a.Port)
}

// announceHost is the address Redis shows and sends for an instance: the hostname with
// announce-hostnames, else the IP (a name given with resolve-hostnames is shown resolved).
func (c *Core) announceHost(a config.Addr) string {
	if c.cfg.AnnounceHostnames {
		return a.Host
	}
	return c.ipOf(a.Host)
}

// sameAddr is Redis's address equality: the same port and the same host, compared by name
// (case-insensitively) or by IP.
func (c *Core) sameAddr(a, b config.Addr) bool {
	return a.Port == b.Port && (strings.EqualFold(a.Host, b.Host) || c.ipOf(a.Host) == c.ipOf(b.Host))
}

// disconnected reports whether a link the instance needs is missing: sentinels use only a
// command link, masters and replicas also a Pub/Sub link.
func (in *instance) disconnected() bool {
	l := in.link
	if l == nil || !l.cmd.up {
		return true
	}
	return in.kind != kindSentinel && !l.pubsub.up
}

// printedFlags adds the link-derived word.
func (in *instance) printedFlags() flags {
	f := in.flags &^ (flagDisconnected | flagMasterReboot | flagEmptyRestart)
	if in.disconnected() {
		f |= flagDisconnected
	}
	return f
}

// unsynced is candidate.Unsynced for a replica of m: its dataset is not known to
// be its master's. The signs, any one enough:
//   - it reports role:master while m last reported role:master too: two masters, and the
//     replica's writes are a split brain's (the old master back, not converted yet);
//     when m itself reports role:slave, m is the stray and the replica may well hold the
//     group's data, so Redis's ranking decides, as it always did;
//   - syncPending: we saw it turn from master to replica, or move to another master, and
//     it has not reported a link up since (see refreshInfo);
//   - master_link_down_since_seconds:-1, Redis's "no link to a master since this process
//     became a replica or started": a conversion another sentinel made before we ever saw
//     the node as a master.
//
// A full sync in progress is not a sign by itself: with Redis's default disk-based load the
// replica keeps the dataset it had until the transfer ends, which for a replica that had
// synced with this master is the group's history (what Redis promotes too), and is the very
// data the empty-restart guard saves (a replica mid-transfer from the empty master still
// holds it). A node mid-transfer after a conversion is caught by syncPending.
func (in *instance) unsynced(m *master) bool {
	if in.roleReported == "master" {
		return m.roleReported == "master"
	}
	return in.syncPending || in.masterLinkDownTime < 0
}
