package acl

// Error is one of Redis's ACL messages, as ACLSetUserStringError words them.
type Error string

func (e Error) Error() string { return string(e) }

// The reasons a rule is refused. ErrUnknown is Redis's ENOENT, the one the config loader
// lets pass; ErrBadName is ACL SETUSER's own.
const (
	ErrSyntax       Error = "Syntax error"
	ErrUnknown      Error = "Unknown command or category name in ACL"
	ErrKeyAfterAll  Error = "Adding a pattern after the * pattern (or the 'allkeys' flag) is not valid and does not have any effect. Try 'resetkeys' to start with an empty list of patterns"
	ErrChanAfterAll Error = "Adding a pattern after the * pattern (or the 'allchannels' flag) is not valid and does not have any effect. Try 'resetchannels' to start with an empty list of channels"
	ErrNoPass       Error = "The password you are trying to remove from the user does not exist"
	ErrBadHash      Error = "The password hash must be exactly 64 characters and contain only lowercase hexadecimal characters"
	ErrFirstArgSub  Error = "Allowing first-arg of a subcommand is not supported"
	ErrBadName      Error = "Usernames can't contain spaces or null characters"
)
