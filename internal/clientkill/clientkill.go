package clientkill

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/sentinel-go/sentinel/internal/resp"
)

// Errors with Redis's reply texts.
var (
	ErrSyntax   = errors.New("ERR syntax error")
	ErrClientID = errors.New("ERR client-id should be greater than 0")
)

// NoSuchClient is the old form's reply when no client had the address.
const NoSuchClient = "ERR No such client"

// Filter selects the clients one CLIENT KILL closes. A zero field matches any client.
type Filter struct {
	// Old is the first form, CLIENT KILL <addr>: it may kill the caller and replies +OK
	// or an error instead of a count.
	Old    bool
	ID     int64
	Type   string // as TypeByName returns it
	Addr   string
	LAddr  string
	User   string
	SkipMe bool // the caller survives; the filter form's default
}

// Client is what a Filter looks at in a connection.
type Client struct {
	ID    int64
	Type  string // "normal", "replica", "pubsub" or "master"
	Addr  string
	LAddr string
	User  string
}

// Parse reads CLIENT KILL's arguments, those after KILL. userExists says whether an ACL
// user of that name exists: Redis rejects USER with an unknown name; nil accepts any name.
func Parse(args [][]byte, userExists func(name string) bool) (Filter, error) {
	switch {
	case len(args) == 1:
		return Filter{Old: true, Addr: string(args[0])}, nil
	case len(args) == 0:
		return Filter{}, ErrSyntax
	}
	f := Filter{SkipMe: true}
	for i := 0; i < len(args); i += 2 {
		// Redis matches an option only when a value follows it, so a trailing option
		// is a syntax error whatever its name.
		if i+1 >= len(args) {
			return Filter{}, ErrSyntax
		}
		val := string(args[i+1])
		switch strings.ToLower(string(args[i])) {
		case "id":
			n, ok := parseID(val)
			if !ok {
				return Filter{}, ErrClientID
			}
			f.ID = n
		case "type":
			if f.Type = TypeByName(val); f.Type == "" {
				return Filter{}, fmt.Errorf("ERR Unknown client type '%s'", val)
			}
		case "addr":
			f.Addr = val
		case "laddr":
			f.LAddr = val
		case "user":
			if userExists != nil && !userExists(val) {
				return Filter{}, fmt.Errorf("ERR No such user '%s'", val)
			}
			f.User = val
		case "skipme":
			switch strings.ToLower(val) {
			case "yes":
				f.SkipMe = true
			case "no":
				f.SkipMe = false
			default:
				return Filter{}, ErrSyntax
			}
		default:
			return Filter{}, ErrSyntax
		}
	}
	return f, nil
}

// Match reports whether the filter kills c; self says c is the caller.
func (f Filter) Match(c Client, self bool) bool {
	return (f.ID == 0 || c.ID == f.ID) &&
		(f.Type == "" || c.Type == f.Type) &&
		(f.Addr == "" || c.Addr == f.Addr) &&
		(f.LAddr == "" || c.LAddr == f.LAddr) &&
		(f.User == "" || c.User == f.User) &&
		!(self && f.SkipMe)
}

// Reply writes the command's reply once killed clients have been closed: the old form's
// +OK or "No such client", or the filter form's count.
func (f Filter) Reply(w *resp.Writer, killed int) {
	switch {
	case !f.Old:
		w.Int(int64(killed))
	case killed == 0:
		w.Error(NoSuchClient)
	default:
		w.Simple("OK")
	}
}

// TypeByName is Redis's getClientTypeByName: the canonical type for a name given to TYPE
// ("slave" is "replica"), or "" for an unknown one.
func TypeByName(name string) string {
	switch strings.ToLower(name) {
	case "normal":
		return "normal"
	case "replica", "slave":
		return "replica"
	case "pubsub":
		return "pubsub"
	case "master":
		return "master"
	}
	return ""
}

// parseID is getRangeLongFromObjectOrReply(1, LONG_MAX): string2ll's spelling, then the
// range. Within that range string2ll accepts exactly what ParseInt does, except a leading
// '+' or '0'.
func parseID(s string) (int64, bool) {
	if s == "" || s[0] == '+' || s[0] == '0' {
		return 0, false
	}
	n, err := strconv.ParseInt(s, 10, 64)
	return n, err == nil && n >= 1
}
