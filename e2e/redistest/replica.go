package redistest

import (
	"bufio"
	"bytes"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/sentinel-go/sentinel/internal/resp"
)

// masterLink is one incarnation of a replica's connection to its master. REPLICAOF, a kill
// or a dropped link ends it; a new one takes over with a fresh handshake.
type masterLink struct {
	done     chan struct{}
	host     string
	port     int
	failover bool // send PSYNC ... FAILOVER: we are the old master of a coordinated failover

	wmu sync.Mutex // acks from cron and GETACK replies from the link goroutine
	nc  net.Conn   // guarded by Server.mu
}

// startReplicaLink starts syncing with the configured master. The caller holds mu.
func (s *Server) startReplicaLink() {
	l := s.life
	if l == nil || s.repl.masterHost == "" {
		return
	}
	ml := &masterLink{done: make(chan struct{}), host: s.repl.masterHost, port: s.repl.masterPort,
		failover: s.repl.failover.state == foInProgress}
	s.repl.link = ml
	s.repl.linkState = linkConnecting
	if s.repl.masterClient == nil {
		s.repl.masterClient = &client{s: s, id: -1, user: "default", authed: true, db: 0}
	}
	l.wg.Add(1)
	go s.runMasterLink(l, ml)
}

// stopReplicaLink ends the current link, if any. The caller holds mu.
func (s *Server) stopReplicaLink() {
	ml := s.repl.link
	if ml == nil {
		return
	}
	s.repl.link = nil
	close(ml.done)
	if ml.nc != nil {
		ml.nc.Close()
	}
	s.markLinkDown()
}

// markLinkDown records the loss of an established link. The caller holds mu.
func (s *Server) markLinkDown() {
	r := &s.repl
	if r.linkState == linkConnected {
		r.downSince = s.now()
	}
	r.syncInProgress = false
	if r.isReplica() {
		r.linkState = linkConnecting
	} else {
		r.linkState = linkNone
	}
}

func (s *Server) runMasterLink(l *life, ml *masterLink) {
	defer l.wg.Done()
	for {
		err := s.syncWithMaster(l, ml)
		s.mu.Lock()
		if s.repl.link == ml {
			if ml.nc != nil {
				ml.nc.Close()
				ml.nc = nil
			}
			s.markLinkDown()
			if err != nil {
				s.log.Debug("master link lost", "master", net.JoinHostPort(ml.host, strconv.Itoa(ml.port)), "error", err)
			}
		}
		s.mu.Unlock()
		// Redis retries once a second from replicationCron.
		select {
		case <-ml.done:
			return
		case <-l.done:
			return
		case <-time.After(time.Second):
		}
	}
}

var errLinkStopped = errors.New("redistest: master link stopped")

// syncWithMaster runs one connection to the master: handshake, full or partial sync, then
// the command stream until the link fails. It returns the reason it ended.
func (s *Server) syncWithMaster(l *life, ml *masterLink) error {
	if !s.faults.waitRunnable(l) {
		return errLinkStopped
	}
	s.mu.Lock()
	timeout := time.Duration(s.cfg.replTimeout) * time.Second
	s.mu.Unlock()
	d := net.Dialer{Timeout: min(timeout, 5*time.Second)}
	nc, err := d.Dial("tcp", net.JoinHostPort(ml.host, strconv.Itoa(ml.port)))
	if err != nil {
		return err
	}
	if cfg := s.opts.ReplicationTLS; cfg != nil {
		if cfg.ServerName == "" {
			cfg = cfg.Clone()
			cfg.ServerName = ml.host
		}
		nc = tls.Client(nc, cfg)
	}
	s.mu.Lock()
	if s.repl.link != ml {
		s.mu.Unlock()
		nc.Close()
		return errLinkStopped
	}
	ml.nc = nc
	s.repl.linkState = linkHandshake
	user, pass := s.cfg.masterUser, s.cfg.masterAuth
	announcePort := s.cfg.replicaAnnouncePort
	if announcePort == 0 {
		announcePort = s.Port()
	}
	announceIP := s.cfg.replicaAnnounceIP
	replid, offset := "?", int64(-1)
	if s.repl.hasHistory {
		replid, offset = s.repl.replid, s.repl.offset+1
	}
	s.mu.Unlock()

	br := bufio.NewReaderSize(nc, 64<<10)
	hs := handshake{nc: nc, br: br, timeout: timeout}
	// The TLS handshake runs once ml.nc is set, so REPLICAOF or a kill can interrupt it,
	// and on its own, so a refused certificate is logged as such and not as a failed PING.
	if tc, ok := nc.(*tls.Conn); ok {
		hs.deadline()
		if err := tc.Handshake(); err != nil {
			return fmt.Errorf("TLS handshake with master: %w", err)
		}
	}
	if reply, err := hs.call("PING"); err != nil {
		return err
	} else if strings.HasPrefix(reply, "-") && !strings.HasPrefix(reply, "-NOAUTH") &&
		!strings.HasPrefix(reply, "-NOPERM") && !strings.HasPrefix(reply, "-ERR operation not permitted") {
		return fmt.Errorf("error reply to PING from master: %s", reply)
	}
	if pass != "" {
		args := []string{"AUTH", pass}
		if user != "" {
			args = []string{"AUTH", user, pass}
		}
		if reply, err := hs.call(args...); err != nil {
			return err
		} else if reply != "+OK" {
			return fmt.Errorf("unable to AUTH to MASTER: %s", reply)
		}
	}
	// Errors to REPLCONF are ignored, as Redis does: old masters do not know every option.
	if _, err := hs.call("REPLCONF", "listening-port", strconv.Itoa(announcePort)); err != nil {
		return err
	}
	if announceIP != "" {
		if _, err := hs.call("REPLCONF", "ip-address", announceIP); err != nil {
			return err
		}
	}
	if _, err := hs.call("REPLCONF", "capa", "eof", "capa", "psync2"); err != nil {
		return err
	}
	psync := []string{"PSYNC", replid, strconv.FormatInt(offset, 10)}
	if ml.failover {
		psync = append(psync, "FAILOVER")
	}
	reply, err := hs.call(psync...)
	if err != nil {
		return err
	}
	switch {
	case strings.HasPrefix(reply, "+FULLRESYNC "):
		f := strings.Fields(reply)
		if len(f) != 3 {
			return fmt.Errorf("bad FULLRESYNC reply: %q", reply)
		}
		off, err := strconv.ParseInt(f[2], 10, 64)
		if err != nil {
			return fmt.Errorf("bad FULLRESYNC offset: %q", reply)
		}
		if err := s.fullSync(ml, br, hs, f[1], off); err != nil {
			return err
		}
	case strings.HasPrefix(reply, "+CONTINUE"):
		s.mu.Lock()
		if s.repl.link != ml {
			s.mu.Unlock()
			return errLinkStopped
		}
		if id := strings.TrimSpace(strings.TrimPrefix(reply, "+CONTINUE")); id != "" && id != s.repl.replid {
			// The master's history has a new name (it was promoted); ours continues under it.
			s.repl.replid2 = s.repl.replid
			s.repl.secondOffset = s.repl.offset + 1
			s.repl.replid = id
			s.disconnectReplicas()
		}
		s.linkUp()
		s.mu.Unlock()
	default:
		return fmt.Errorf("unexpected reply to PSYNC from master: %s", reply)
	}
	return s.streamFromMaster(l, ml, br, timeout)
}

// linkUp marks the link established. The caller holds mu.
func (s *Server) linkUp() {
	r := &s.repl
	r.linkState = linkConnected
	r.syncInProgress = false
	r.hasHistory = true
	r.lastIO = s.now()
	if r.backlog == nil {
		r.backlog = newBacklog(s.cfg.backlogSize, r.offset)
	}
	if r.failover.state == foInProgress {
		s.endFailover("")
	}
	s.sendAck()
}

// fullSync reads the snapshot and replaces our data and history with the master's.
func (s *Server) fullSync(ml *masterLink, br *bufio.Reader, hs handshake, replid string, offset int64) error {
	s.mu.Lock()
	s.repl.linkState = linkTransfer
	s.repl.syncInProgress = true
	s.mu.Unlock()
	payload, err := readSnapshotPayload(br, hs)
	if err != nil {
		return err
	}
	dbs, err := loadSnapshot(payload)
	if err != nil {
		return fmt.Errorf("loading snapshot from master: %w", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.repl.link != ml {
		return errLinkStopped
	}
	s.dbs = dbs
	r := &s.repl
	r.replid, r.replid2, r.secondOffset, r.offset = replid, zeroReplID, -1, offset
	r.backlog = newBacklog(s.cfg.backlogSize, offset)
	r.masterClient.db = 0
	r.masterClient.inMulti, r.masterClient.multi = false, nil
	// Our replicas hold a history that no longer exists; they must sync again.
	s.disconnectReplicas()
	s.linkUp()
	return nil
}

// readSnapshotPayload reads the RDB that follows +FULLRESYNC, in either transfer format:
// "$<len>" then len bytes, or (diskless) "$EOF:<40-byte mark>", the bytes, the mark again.
func readSnapshotPayload(br *bufio.Reader, hs handshake) ([]byte, error) {
	var line string
	for {
		hs.deadline()
		l, err := br.ReadString('\n')
		if err != nil {
			return nil, err
		}
		// The master sends bare newlines while it prepares the snapshot, to keep us alive.
		if l = strings.TrimRight(l, "\r\n"); l != "" {
			line = l
			break
		}
	}
	if strings.HasPrefix(line, "-") {
		return nil, fmt.Errorf("master aborted sync: %s", line)
	}
	if strings.HasPrefix(line, "$EOF:") {
		mark := []byte(line[5:])
		if len(mark) != 40 {
			return nil, fmt.Errorf("bad EOF mark in %q", line)
		}
		// Consume exactly up to the closing mark: whatever follows belongs to the stream.
		var buf bytes.Buffer
		for {
			hs.deadline()
			if _, err := br.Peek(1); err != nil {
				return nil, err
			}
			chunk, _ := br.Peek(br.Buffered())
			// The mark may straddle two reads, so search the previous tail too.
			tail := min(buf.Len(), len(mark)-1)
			window := append(append([]byte(nil), buf.Bytes()[buf.Len()-tail:]...), chunk...)
			if i := bytes.Index(window, mark); i >= 0 {
				take := i + len(mark) - tail
				buf.Write(chunk[:take])
				br.Discard(take)
				break
			}
			buf.Write(chunk)
			br.Discard(len(chunk))
		}
		return buf.Bytes()[:buf.Len()-len(mark)], nil
	}
	if !strings.HasPrefix(line, "$") {
		return nil, fmt.Errorf("bad snapshot header %q", line)
	}
	n, err := strconv.Atoi(line[1:])
	if err != nil || n < 0 {
		return nil, fmt.Errorf("bad snapshot length in %q", line)
	}
	payload := make([]byte, n)
	for got := 0; got < n; {
		hs.deadline()
		k, err := br.Read(payload[got:])
		got += k
		if err != nil && got < n {
			return nil, err
		}
	}
	return payload, nil
}

// streamFromMaster applies the master's command stream until the link fails.
func (s *Server) streamFromMaster(l *life, ml *masterLink, br *bufio.Reader, timeout time.Duration) error {
	rd := resp.NewReader(br)
	for {
		// The master pings every repl-ping-replica-period; silence longer than repl-timeout
		// means it is gone even if TCP has not noticed.
		ml.nc.SetReadDeadline(time.Now().Add(timeout))
		cmd, err := rd.ReadCommand()
		if err != nil {
			return err
		}
		if !s.faults.waitRunnable(l) {
			return errLinkStopped
		}
		s.mu.Lock()
		if s.repl.link != ml {
			s.mu.Unlock()
			return errLinkStopped
		}
		for {
			s.applyFromMaster(cmd)
			if !rd.Buffered() {
				break
			}
			if cmd, err = rd.ReadCommand(); err != nil {
				s.mu.Unlock()
				return err
			}
		}
		s.mu.Unlock()
	}
}

// applyFromMaster executes one command of the master's stream and proxies its exact bytes
// to our own replicas. The caller holds mu.
func (s *Server) applyFromMaster(cmd resp.Command) {
	r := &s.repl
	r.lastIO = s.now()
	if len(cmd.Args) == 0 {
		return
	}
	mc := r.masterClient
	r.applying = true
	s.execute(mc, cmd)
	r.applying = false
	mc.w.Reset() // a master never reads our replies
	s.feedReplicas(cmd.Raw)
}

// sendAck tells the master how far we have applied its stream. The caller holds mu.
func (s *Server) sendAck() {
	ml := s.repl.link
	if ml == nil || ml.nc == nil || s.repl.linkState != linkConnected || s.life == nil {
		return
	}
	s.repl.lastAck = s.now()
	msg := resp.AppendCommand(nil, "REPLCONF", "ACK", strconv.FormatInt(s.repl.offset, 10))
	nc := ml.nc
	l := s.life
	l.wg.Add(1)
	go func() {
		defer l.wg.Done()
		// Written outside mu: a master that stopped reading must not stall this instance.
		ml.wmu.Lock()
		defer ml.wmu.Unlock()
		nc.SetWriteDeadline(time.Now().Add(time.Second))
		nc.Write(msg)
	}()
}

// handshake is the request/reply exchange before the stream starts.
type handshake struct {
	nc      net.Conn
	br      *bufio.Reader
	timeout time.Duration
}

func (h handshake) deadline() { h.nc.SetDeadline(time.Now().Add(h.timeout)) }

// call sends a command and returns the first line of the reply ("+OK", "-ERR ...").
func (h handshake) call(args ...string) (string, error) {
	h.deadline()
	if _, err := h.nc.Write(resp.AppendCommand(nil, args...)); err != nil {
		return "", err
	}
	for {
		line, err := h.br.ReadString('\n')
		if err != nil {
			if errors.Is(err, io.EOF) {
				return "", io.ErrUnexpectedEOF
			}
			return "", err
		}
		if line = strings.TrimRight(line, "\r\n"); line != "" {
			return line, nil
		}
	}
}

func init() {
	register(
		&command{name: "replicaof", arity: 3, flags: fStale | fLoading, run: cmdReplicaof},
		&command{name: "slaveof", arity: 3, flags: fStale | fLoading, run: cmdReplicaof},
	)
}

func cmdReplicaof(s *Server, c *client, args [][]byte) {
	host, portArg := string(args[1]), string(args[2])
	if s.repl.failover.state != foNone {
		c.w.Error("ERR REPLICAOF not allowed while failing over.")
		return
	}
	if strings.EqualFold(host, "no") && strings.EqualFold(portArg, "one") {
		if s.repl.isReplica() {
			s.replicaOfNoOne()
			s.log.Info("MASTER MODE enabled", "client", c.addr)
		}
		c.w.Simple("OK")
		return
	}
	port, err := strconv.Atoi(portArg)
	if err != nil || port < 0 || port > 65535 {
		c.w.Error("ERR Invalid master port")
		return
	}
	if s.repl.isReplica() && strings.EqualFold(s.repl.masterHost, host) && s.repl.masterPort == port {
		c.w.Simple("OK Already connected to specified master")
		return
	}
	s.replicaOf(host, port)
	c.w.Simple("OK")
}

// replicaOfNoOne promotes this replica to master, keeping its data and its history under a
// new replication ID (shiftReplicationId), so its old siblings can continue partially.
// The caller holds mu.
func (s *Server) replicaOfNoOne() {
	r := &s.repl
	s.stopReplicaLink()
	r.masterHost, r.masterPort = "", 0
	r.linkState = linkNone
	r.replid2 = r.replid
	r.secondOffset = r.offset + 1
	r.replid = randomHex(40)
	r.selDB = -1
	r.masterClient = nil
	r.downSince = time.Time{}
	s.disconnectReplicas()
}

// replicaOf points this instance at a new master. A master offers its own history in PSYNC
// (replicationCacheMasterUsingMyself), so an old master can rejoin with a partial sync.
// The caller holds mu.
func (s *Server) replicaOf(host string, port int) {
	r := &s.repl
	wasMaster := r.isMaster()
	s.stopReplicaLink()
	r.masterHost, r.masterPort = host, port
	if wasMaster {
		r.hasHistory = true
		r.masterClient = nil
		r.downSince = time.Time{}
	}
	s.disconnectReplicas()
	s.startReplicaLink()
}
