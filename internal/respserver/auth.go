package respserver

import "github.com/sentinel-go/sentinel/internal/resp"

// Authenticator is an embedder's users as AUTH checks them: the kernel has the command's
// shape and texts, the embedder the users (requirepass, an ACL engine).
type Authenticator interface {
	// DefaultNoPass reports whether the default user is nopass: AUTH <password> is then
	// refused without a check, as Redis's authCommand refuses it.
	DefaultNoPass() bool
	// Authenticate checks a user's password and, on success, makes the client that user
	// (and calls Conn.SetAuthRequired(false)). A failure is the embedder's to log.
	Authenticate(name, pass string) bool
}

// Redis's AUTH replies.
const (
	ErrWrongPass    = "WRONGPASS invalid username-password pair or user is disabled."
	ErrAuthNoPasswd = "ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?"
)

// AuthCommand runs AUTH [username] password as Redis 7.0's authCommand does.
func AuthCommand(w *resp.Writer, args [][]byte, a Authenticator) {
	if len(args) > 3 {
		w.Error("ERR syntax error")
		return
	}
	name, pass := "default", string(args[1])
	if len(args) == 3 {
		name, pass = string(args[1]), string(args[2])
	} else if a.DefaultNoPass() {
		w.Error(ErrAuthNoPasswd)
		return
	}
	if !a.Authenticate(name, pass) {
		w.Error(ErrWrongPass)
		return
	}
	w.Simple("OK")
}
