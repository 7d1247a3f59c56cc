package endpoint

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/sentinel-go/sentinel/internal/respserver"
)

const (
	errWrongPass   = respserver.ErrWrongPass
	errHelloNoAuth = "NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time"
)

// authenticate checks a user name and password, and on success makes the connection
// that user. A failure is logged in ACL LOG under the command as the client typed it.
func (c *conn) authenticate(cmdName, name, pass string) bool {
	s := c.s
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.acl.users[name]
	if u == nil || !u.a.Enabled() || !u.a.CheckPassword(pass) {
		s.aclLogLocked(c, "auth", cmdName, name)
		return false
	}
	c.user, c.authed = u, true
	c.syncAuthLocked()
	return true
}

func cmdAuth(c *conn, args [][]byte) {
	respserver.AuthCommand(&c.w, args, authenticator{c, string(args[0])})
}

// authenticator is the endpoint's users as the kernel's AUTH checks them; cmdName is the
// command as the client typed it, for ACL LOG.
type authenticator struct {
	c       *conn
	cmdName string
}

func (a authenticator) DefaultNoPass() bool {
	a.c.s.mu.Lock()
	defer a.c.s.mu.Unlock()
	return a.c.s.acl.defaultUser().nopass
}

func (a authenticator) Authenticate(name, pass string) bool {
	return a.c.authenticate(a.cmdName, name, pass)
}

func cmdHello(c *conn, args [][]byte) {
	proto := 0
	if len(args) >= 2 {
		v, err := strconv.ParseInt(string(args[1]), 10, 64)
		if err != nil || !strict(args[1]) {
			c.w.Error("ERR Protocol version is not an integer or out of range")
			return
		}
		if v < 2 || v > 3 {
			c.w.Error("NOPROTO unsupported protocol version")
			return
		}
		proto = int(v)
	}
	var user, pass, name []byte
	for i := 2; i < len(args); i++ {
		more := len(args) - 1 - i
		switch opt := string(args[i]); {
		case strings.EqualFold(opt, "AUTH") && more >= 2:
			user, pass = args[i+1], args[i+2]
			i += 2
		case strings.EqualFold(opt, "SETNAME") && more >= 1:
			name = args[i+1]
			i++
		default:
			c.w.Error(fmt.Sprintf("ERR Syntax error in HELLO option '%s'", opt))
			return
		}
	}
	if user != nil && !c.authenticate(string(args[0]), string(user), string(pass)) {
		c.w.Error(errWrongPass)
		return
	}
	s := c.s
	s.mu.Lock()
	defer s.mu.Unlock()
	if !c.authed {
		c.w.Error(errHelloNoAuth)
		return
	}
	if name != nil {
		if !respserver.ValidName(name) {
			c.w.Error(respserver.ErrBadName)
			return
		}
		c.name = string(name)
	}
	if proto != 0 {
		c.proto = proto
		c.w.Proto = proto
	}
	c.w.Map(6)
	c.w.BulkString("server")
	c.w.BulkString("redis")
	c.w.BulkString("version")
	c.w.BulkString(Version)
	c.w.BulkString("proto")
	c.w.Int(int64(c.proto))
	c.w.BulkString("id")
	c.w.Int(c.id)
	c.w.BulkString("mode")
	c.w.BulkString("sentinel")
	c.w.BulkString("modules")
	c.w.Array(0)
}

// strict reports whether b is an integer as Redis's string2ll spells one: no sign but a
// leading '-', no leading zeros, no spaces.
func strict(b []byte) bool {
	s := string(b)
	if s == "0" {
		return true
	}
	s = strings.TrimPrefix(s, "-")
	if s == "" || s[0] < '1' || s[0] > '9' {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// parseInt parses an integer argument as Redis's getLongLongFromObject does.
func parseInt(b []byte) (int64, bool) {
	if !strict(b) {
		return 0, false
	}
	n, err := strconv.ParseInt(string(b), 10, 64)
	return n, err == nil
}
