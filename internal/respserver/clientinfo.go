package respserver

import (
	"fmt"
	"time"
)

// ClientInfo is one line of CLIENT LIST and CLIENT INFO. Each embedder fills in what it
// knows (the kernel's Conn gives the connection's part, see Conn.Info); String writes it
// with Redis 7.0.15's fields in Redis's order.
type ClientInfo struct {
	ID          int64
	Addr, LAddr string
	FD          int
	Name        string
	Age, Idle   time.Duration
	Flags       string // "N" when empty
	DB          int
	Sub, PSub   int
	Multi       int // queued commands in MULTI, -1 outside
	ArgvMem     int
	RBS         int // the query buffer's size
	OMem        int
	TotMem      int
	Events      string // "r", or "rw" while output waits
	Cmd         string // the last command's full name; "NULL" when empty
	User        string
	Redir       int64
	Resp        int
}

func (ci ClientInfo) String() string {
	flags, cmd := ci.Flags, ci.Cmd
	if flags == "" {
		flags = "N"
	}
	if cmd == "" {
		cmd = "NULL"
	}
	return fmt.Sprintf("id=%d addr=%s laddr=%s fd=%d name=%s age=%d idle=%d flags=%s db=%d sub=%d psub=%d ssub=0 multi=%d qbuf=0 qbuf-free=0 argv-mem=%d multi-mem=0 rbs=%d rbp=0 obl=0 oll=0 omem=%d tot-mem=%d events=%s cmd=%s user=%s redir=%d resp=%d",
		ci.ID, ci.Addr, ci.LAddr, ci.FD, ci.Name, int64(ci.Age/time.Second), int64(ci.Idle/time.Second), flags, ci.DB,
		ci.Sub, ci.PSub, ci.Multi, ci.ArgvMem, ci.RBS, ci.OMem, ci.TotMem, ci.Events, cmd, ci.User, ci.Redir, ci.Resp)
}

// ValidName is Redis's rule for client names (CLIENT SETNAME, HELLO SETNAME): printable
// ASCII without spaces, so that CLIENT LIST can be split on spaces.
func ValidName(b []byte) bool {
	for _, ch := range b {
		if ch < '!' || ch > '~' {
			return false
		}
	}
	return true
}

// ErrBadName is Redis's refusal of a name ValidName rejects.
const ErrBadName = "ERR Client names cannot contain spaces, newlines or special characters."
