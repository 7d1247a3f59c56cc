package metrics

import (
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/sentinel-go/sentinel/monitor"
	"github.com/sentinel-go/sentinel/query"
)

// The view's families. Where redis_exporter (exporter/exporter.go, sentinels.go) has a
// figure its name, help and labels are kept, so its dashboards read ours unchanged.
var (
	mastersDesc     = desc("redis_sentinel_masters", "The number of masters this sentinel is watching")
	tiltDesc        = desc("redis_sentinel_tilt", "Sentinel is in TILT mode")
	runningDesc     = desc("redis_sentinel_running_scripts", "Number of scripts in execution right now")
	queueDesc       = desc("redis_sentinel_scripts_queue_length", "Queue of user scripts to execute")
	simFlagsDesc    = desc("redis_sentinel_simulate_failure_flags", "Failures simulations")
	statusDesc      = desc("redis_sentinel_master_status", "Master status on Sentinel", "master_name", "master_address", "master_status")
	slavesDesc      = desc("redis_sentinel_master_slaves", "The number of slaves of the master", "master_name", "master_address")
	sentinelsDesc   = desc("redis_sentinel_master_sentinels", "The number of sentinels monitoring this master", "master_name", "master_address")
	okSentinelsDesc = desc("redis_sentinel_master_ok_sentinels", "The number of okay sentinels monitoring this master", "master_name", "master_address")
	okSlavesDesc    = desc("redis_sentinel_master_ok_slaves", "The number of okay slaves of the master", "master_name", "master_address")
	ckquorumDesc    = desc("redis_sentinel_master_ckquorum_status", "Master ckquorum status", "master_name", "message")
	quorumDesc      = desc("redis_sentinel_master_setting_ckquorum", "Show the current ckquorum config for each master", "master_name", "master_address")
	timeoutDesc     = desc("redis_sentinel_master_setting_failover_timeout", "Show the current failover-timeout config for each master", "master_name", "master_address")
	syncsDesc       = desc("redis_sentinel_master_setting_parallel_syncs", "Show the current parallel-syncs config for each master", "master_name", "master_address")
	downAfterDesc   = desc("redis_sentinel_master_setting_down_after_milliseconds", "Show the current down-after-milliseconds config for each master", "master_name", "master_address")
	epochDesc       = desc("redis_sentinel_master_config_epoch", "redis_sentinel_master_config_epoch metric", "master_name", "master_address")
	okPingDesc      = desc("redis_sentinel_master_last_ok_ping_reply_seconds", "redis_sentinel_master_last_ok_ping_reply_seconds metric", "master_name", "master_address")

	// Ours: what redis_exporter does not show.
	currentEpochDesc = desc("redis_sentinel_current_epoch", "The sentinel's current epoch, as its config file saves it (sentinel current-epoch).")
	tiltSinceDesc    = desc("redis_sentinel_tilt_since_seconds", "Seconds since TILT mode was entered, -1 when not in it (INFO's sentinel_tilt_since_seconds).")
	linkOKPingDesc   = desc("redis_sentinel_link_last_ok_ping_reply_seconds", "Seconds since an instance last answered PING acceptably (last-ok-ping-reply), per monitored instance and peer.", "master_name", "role", "address")
	linkPingDesc     = desc("redis_sentinel_link_last_ping_reply_seconds", "Seconds since an instance last answered PING at all (last-ping-reply).", "master_name", "role", "address")
	linkPendingDesc  = desc("redis_sentinel_link_pending_ping_seconds", "Seconds the PING in flight has waited for its reply (last-ping-sent); 0 when none is.", "master_name", "role", "address")
	linkRTTDesc      = desc("redis_sentinel_link_ping_rtt_seconds", "Round trip of the last PING answered, from its send to its reply as this sentinel's loop saw them; 0 before any reply.", "master_name", "role", "address")
	linkDownDesc     = desc("redis_sentinel_replica_master_link_down_seconds", "How long a replica has reported its link to the master down (master-link-down-time).", "master_name", "address")
	replOffsetDesc   = desc("redis_sentinel_replica_repl_offset", "A replica's replication offset as its INFO reported it (slave-repl-offset).", "master_name", "address")
	lastFailoverDesc = desc("redis_sentinel_master_last_failover_duration_seconds", "The last failover this sentinel led, from +try-failover to +failover-end.", "master_name")
	sinceSwitchDesc  = desc("redis_sentinel_master_since_last_switch_seconds", "Seconds since this sentinel last saw the master switch (+switch-master).", "master_name")
	leaderEpochDesc  = desc("redis_sentinel_master_leader_epoch", "The epoch of this sentinel's last vote for a failover leader (+vote-for-leader).", "master_name")
	votersDesc       = desc("redis_sentinel_master_voters", "How many sentinels a failover's majority is counted among: the known ones and this one, or with forget-after the most heard alive together if more (peak-sentinels).", "master_name", "master_address")
)

func desc(name, help string, labels ...string) *prometheus.Desc {
	return prometheus.NewDesc(name, help, labels, nil)
}

// viewCollector reads the published view at scrape time: its values are exactly what
// SENTINEL MASTERS, REPLICAS, SENTINELS, CKQUORUM and INFO would answer at that instant.
type viewCollector struct{ m *Metrics }

func (c viewCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{mastersDesc, tiltDesc, tiltSinceDesc, runningDesc, queueDesc, simFlagsDesc,
		statusDesc, slavesDesc, sentinelsDesc, okSentinelsDesc, okSlavesDesc, ckquorumDesc, quorumDesc,
		timeoutDesc, syncsDesc, downAfterDesc, epochDesc, okPingDesc, currentEpochDesc, linkOKPingDesc,
		linkPingDesc, linkPendingDesc, linkRTTDesc, linkDownDesc, replOffsetDesc, lastFailoverDesc, sinceSwitchDesc,
		leaderEpochDesc, votersDesc} {
		ch <- d
	}
}

func (c viewCollector) Collect(ch chan<- prometheus.Metric) {
	v := c.m.view()
	if v == nil {
		return
	}
	now := c.m.o.Now()
	gauge := func(d *prometheus.Desc, val float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, val, labels...)
	}
	running, queued := c.m.o.Scripts()
	gauge(mastersDesc, float64(len(v.Masters)))
	gauge(tiltDesc, boolValue(v.Tilt))
	tiltSince := -1.0
	if v.Tilt {
		tiltSince = float64(now.Sub(v.TiltSince) / time.Second) // whole seconds, as INFO
	}
	gauge(tiltSinceDesc, tiltSince)
	gauge(runningDesc, float64(running))
	gauge(queueDesc, float64(queued))
	gauge(simFlagsDesc, float64(v.SimFlags))
	gauge(currentEpochDesc, float64(v.CurrentEpoch))
	for _, mv := range v.Masters {
		name, addr := mv.Name, mv.IP+":"+strconv.Itoa(mv.Port)
		status := query.MasterStatus(mv)
		gauge(statusDesc, boolValue(status == "ok"), name, addr, status)
		gauge(slavesDesc, float64(len(mv.Replicas)), name, addr)
		gauge(sentinelsDesc, float64(len(mv.Sentinels)+1), name, addr) // INFO counts itself
		gauge(votersDesc, float64(mv.Voters()), name, addr)
		q := query.CKQuorum(mv)
		gauge(okSentinelsDesc, float64(q.Usable), name, addr)
		gauge(okSlavesDesc, float64(okCount(mv.Replicas)), name, addr)
		gauge(ckquorumDesc, boolValue(q.OK), name, q.Message)
		gauge(quorumDesc, float64(mv.Config.Quorum), name, addr)
		gauge(timeoutDesc, float64(mv.Config.FailoverTimeout.Milliseconds()), name, addr)
		gauge(syncsDesc, float64(mv.Config.ParallelSyncs), name, addr)
		gauge(downAfterDesc, float64(mv.DownAfter.Milliseconds()), name, addr)
		gauge(epochDesc, float64(mv.Config.ConfigEpoch), name, addr)
		gauge(okPingDesc, sinceSeconds(now, mv.LastAvail), name, addr)
		link := func(role string, iv *monitor.InstanceView) {
			a := iv.IP + ":" + strconv.Itoa(iv.Port)
			gauge(linkOKPingDesc, sinceSeconds(now, iv.LastAvail), name, role, a)
			gauge(linkPingDesc, sinceSeconds(now, iv.LastPong), name, role, a)
			pending := 0.0
			if !iv.ActPing.IsZero() {
				pending = now.Sub(iv.ActPing).Seconds()
			}
			gauge(linkPendingDesc, pending, name, role, a)
			gauge(linkRTTDesc, iv.PingRTT.Seconds(), name, role, a)
		}
		link("master", &mv.InstanceView)
		for _, r := range mv.Replicas {
			link("slave", r)
			a := r.IP + ":" + strconv.Itoa(r.Port)
			gauge(linkDownDesc, r.MasterLinkDown.Seconds(), name, a)
			gauge(replOffsetDesc, float64(r.ReplOffset), name, a)
		}
		for _, s := range mv.Sentinels {
			link("sentinel", s)
		}
	}
	c.m.mu.Lock()
	defer c.m.mu.Unlock()
	for _, mv := range v.Masters {
		ms := c.m.masters[mv.Name]
		if ms == nil {
			continue
		}
		if ms.failedOver {
			gauge(lastFailoverDesc, ms.lastFailover.Seconds(), mv.Name)
		}
		if !ms.lastSwitch.IsZero() {
			gauge(sinceSwitchDesc, now.Sub(ms.lastSwitch).Seconds(), mv.Name)
		}
		if ms.leaderEpoch != 0 {
			gauge(leaderEpochDesc, float64(ms.leaderEpoch), mv.Name)
		}
	}
}

// okCount counts the instances neither SDOWN nor ODOWN, as redis_exporter's ok_slaves does
// from the flags SENTINEL REPLICAS prints.
func okCount(ivs []*monitor.InstanceView) int {
	n := 0
	for _, iv := range ivs {
		if !iv.Flags.SDown() && !iv.Flags.ODown() {
			n++
		}
	}
	return n
}

// sinceSeconds is SENTINEL MASTERS's "milliseconds ago" in seconds, Redis's quirk included:
// a time never set reads as the whole Unix time (Redis keeps it as 0).
func sinceSeconds(now, t time.Time) float64 {
	if t.IsZero() {
		return float64(now.UnixMilli()) / 1000
	}
	return float64(now.Sub(t).Milliseconds()) / 1000
}

func boolValue(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
