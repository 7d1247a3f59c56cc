package redistest

import (
	"sync"
	"time"
)

// faults holds the failures a test switched on. pause and delay are read by connection
// goroutines outside Server.mu, so they have their own lock; the rest is guarded by
// Server.mu.
type faults struct {
	mu     sync.Mutex
	paused chan struct{} // non-nil while paused; closed by resume
	delay  time.Duration

	busy    bool   // a "script" is running: BUSY to everything but SCRIPT KILL / SHUTDOWN
	loading bool   // LOADING to everything but the few commands Redis serves while loading
	pingErr string // PING answers this error instead of PONG
}

func (f *faults) pause() {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.paused == nil {
		f.paused = make(chan struct{})
	}
}

func (f *faults) resume() {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.paused != nil {
		close(f.paused)
		f.paused = nil
	}
}

func (f *faults) isPaused() bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.paused != nil
}

// waitRunnable blocks while the instance is paused. It reports false if the life ended
// meanwhile, and the caller should stop.
func (f *faults) waitRunnable(l *life) bool {
	f.mu.Lock()
	ch := f.paused
	f.mu.Unlock()
	if ch != nil {
		select {
		case <-ch:
		case <-l.done:
			return false
		}
	}
	select {
	case <-l.done:
		return false
	default:
		return true
	}
}

func (f *faults) replyDelay() time.Duration {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.delay
}

func (f *faults) clear() {
	f.resume()
	f.mu.Lock()
	f.delay = 0
	f.mu.Unlock()
	f.busy, f.loading, f.pingErr = false, false, ""
}

// Pause freezes the instance as SIGSTOP would: connections are still accepted by the
// kernel, but nothing is read, executed or sent, and replication stops, until Resume.
func (s *Server) Pause() { s.faults.pause() }

// Resume undoes Pause.
func (s *Server) Resume() { s.faults.resume() }

// SetReplyDelay delays the execution of every command by d (0 turns it off), like a
// server that is alive but slow.
func (s *Server) SetReplyDelay(d time.Duration) {
	s.faults.mu.Lock()
	defer s.faults.mu.Unlock()
	s.faults.delay = d
}

// SetPingError makes PING answer with the given error ("LOADING Redis is loading the
// dataset in memory", "MASTERDOWN Link with MASTER is down and
// replica-serve-stale-data is set to 'no'."); "" restores PONG.
func (s *Server) SetPingError(msg string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults.pingErr = msg
}

// SetLoading makes the instance answer -LOADING, as one loading its dataset does.
func (s *Server) SetLoading(on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults.loading = on
}

// SetBusy makes the instance act as if a script were running: -BUSY to every command but
// SCRIPT KILL (which ends it), SHUTDOWN and a few others.
func (s *Server) SetBusy(on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults.busy = on
}

// DropReplicationLink cuts replication links as a network fault would: a replica loses the
// connection to its master, a master loses every replica. Both sides then reconnect and
// resync, partially when the backlog allows.
func (s *Server) DropReplicationLink() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if ml := s.repl.link; ml != nil && ml.nc != nil {
		ml.nc.Close()
	}
	for _, c := range s.repl.replicas {
		c.closeNow()
	}
}
