package sim

import (
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/sentinel-go/sentinel/monitor"
)

// Fleet is the simulation's fake Redis instances on their own, without its sentinels, its
// network or its agenda: for tests that step cores by hand (monitor's interaction tests),
// which carry each command to an instance and its reply back themselves and move the
// clock. The instances are the simulation's (same INFO, same MULTI/SLAVEOF/EXEC, same
// replication rounds), so core-level tests have one fake Redis.
//
// A Fleet delivers no Pub/Sub: a PUBLISH is counted but reaches nobody, and the caller
// hands the message to the subscribers of the instance and of its ReplicasOf, as
// replication propagates it.
type Fleet struct {
	s     *Sim
	conns map[string]*conn // by connKey: MULTI state, and what CLIENT KILL closes
}

// Conn names a sentinel's connection to an instance: the sentinel, the instance's address,
// the kind and the generation of the connection.
type Conn struct {
	Client string
	Addr   string
	Kind   monitor.LinkKind
	Gen    uint64
}

func (c Conn) key() string {
	return c.Client + "|" + c.Addr + "|" + c.Kind.String() + "|" + strconv.FormatUint(c.Gen, 10)
}

// NewFleet makes an empty fleet whose clock reads now; seed draws restarted instances' run
// IDs and the replication rounds' offsets and sync delays.
func NewFleet(seed uint64, now time.Time) *Fleet {
	s := &Sim{
		rng: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)), byAddr: map[string]int{},
		now: now, start: now, trace: make([]string, 0, 300),
	}
	return &Fleet{s: s, conns: map[string]*conn{}}
}

// Add starts an instance as a master with priority 100.
func (f *Fleet) Add(name, ip string, port int, runID string) *Instance {
	r := &Instance{s: f.s, Name: name, IP: ip, Port: port, Alive: true, RunID: runID, Priority: 100, Role: "master"}
	r.Addr = joinHostPort(ip, port)
	f.s.instances = append(f.s.instances, r)
	r.node = f.s.addNode(&node{name: name, addr: r.Addr, redis: r})
	return r
}

// ReplicaOf makes r a replica of m with its link up, in sync.
func (f *Fleet) ReplicaOf(r, m *Instance) {
	r.Role, r.MasterHost, r.MasterPort, r.LinkUp, r.Offset = "slave", m.IP, m.Port, true, m.Offset
}

// Instance finds an instance by name, nil if none.
func (f *Fleet) Instance(name string) *Instance { return f.s.Instance(name) }

// At finds the instance listening at addr ("ip:port"), nil if none.
func (f *Fleet) At(addr string) *Instance { return f.s.instanceAt(addr) }

// SetNow moves the fleet's clock (INFO's master_link_down_since_seconds, CLIENT PAUSE).
func (f *Fleet) SetNow(t time.Time) { f.s.now = t }

// Connect tells the fleet a connection to r is open: CLIENT KILL can close it.
func (f *Fleet) Connect(c Conn, r *Instance) {
	if f.conns[c.key()] == nil {
		sc := &conn{addr: r.Addr, kind: c.Kind, gen: c.Gen, server: r.node}
		// The pipes only take the close a CLIENT KILL queues: a fleet never runs its
		// agenda, Closed reports the close instead.
		sc.toSrv, sc.toCli = pipe{c: sc, toSrv: true}, pipe{c: sc}
		f.conns[c.key()] = sc
		f.s.nodes[r.node].srvConns = append(f.s.nodes[r.node].srvConns, sc)
	}
}

// Disconnect tells the fleet the client closed a connection.
func (f *Fleet) Disconnect(c Conn) {
	if sc := f.conns[c.key()]; sc != nil {
		if !sc.srvGone {
			f.s.detach(sc)
		}
		delete(f.conns, c.key())
	}
}

// Exec runs one command on a client's command connection (Connect makes it known; a
// connection not made known is made so now) and returns the reply, as the transport hands
// it to the core. ok is false when the instance is dead: no reply comes. A new connection
// starts outside any MULTI.
func (f *Fleet) Exec(c Conn, r *Instance, args []string) (v any, errText string, ok bool) {
	if !r.Alive {
		return nil, "", false
	}
	c.Addr, c.Kind = r.Addr, monitor.CmdLink
	f.Connect(c, r)
	v, errText = r.run(f.conns[c.key()], args)
	return v, errText, true
}

// Closed returns, and forgets, the connections the instances closed since the last call
// (CLIENT KILL, a kill), sorted.
func (f *Fleet) Closed() []Conn {
	var out []Conn
	for k, sc := range f.conns {
		if sc.srvGone {
			client, _, _ := strings.Cut(k, "|")
			out = append(out, Conn{Client: client, Addr: sc.addr, Kind: sc.kind, Gen: sc.gen})
			delete(f.conns, k)
		}
	}
	slices.SortFunc(out, func(a, b Conn) int { return strings.Compare(a.key(), b.key()) })
	return out
}

// ReplicasOf lists the live replicas of r with their link up: a PUBLISH to r reaches their
// subscribers too.
func (f *Fleet) ReplicasOf(r *Instance) []*Instance { return r.replicasOf() }

// Replicate runs one replication round (the simulation runs one every 100 ms).
func (f *Fleet) Replicate() { f.s.replicateRound() }

// Kill stops an instance; Restart starts it again with its persisted role and a new run ID.
func (f *Fleet) Kill(r *Instance)    { f.s.KillInstance(r) }
func (f *Fleet) Restart(r *Instance) { f.s.RestartInstance(r) }

// Partition puts the named instances on sides (unnamed ones on side 0): a replica syncs
// only from a master on its side. Heal joins them again.
func (f *Fleet) Partition(sides map[string]int) { f.s.Partition(sides) }
func (f *Fleet) Heal()                          { f.s.Heal() }

// RestartEmpty is a restart without persistence (see Sim.RestartInstanceEmpty): the
// instance is back at once as a master with no data and a new run ID.
func (f *Fleet) RestartEmpty(r *Instance) { f.s.RestartInstanceEmpty(r) }
