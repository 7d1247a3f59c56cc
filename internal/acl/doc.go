// Package acl is the sentinel's one ACL engine, redis-sentinel 7.0.15's acl.c: users and
// their selectors, the rules that change them (ACLSetUser), the canonical `user` line that
// ACL LIST prints and a rewrite writes (ACLDescribeUser), password hashes, the permission
// check (ACLCheckAllUserCommandPerm), and the two loaders: `user` lines of the config
// (ACLLoadConfiguredUsers) and an aclfile (ACLLoadFromFile).
//
// Invariants:
//   - A *User in a Users table is never changed: every change builds a copy and swaps it
//     in, so a connection holding a *User sees one consistent version of it.
//   - Errors carry Redis's words (type Error), for callers to show verbatim; the package
//     does no I/O but ReadFile and WriteFile, and logs nothing.
//   - The command table is the caller's (interface Commands): names, categories and
//     subcommands. With a table, command rules set per-command bits and a description
//     fits categories as Redis 7.0 does. Without one (nil, the config package, which only
//     validates and canonicalises), command and category names cannot be resolved: such
//     rules are accepted as Redis's config loader accepts unknown names (ENOENT), and kept
//     as written after the last +@all/-@all, the last rule for each command winning.
//   - The check needs only a command's ID and the positions of its channel arguments;
//     which arguments are channels is the caller's knowledge. Key patterns are kept and
//     described but never checked: no sentinel command takes a key.
//
// Deviations from redis-sentinel 7.0.15, each safe for a sentinel:
//   - Inside a "(...)" selector rules are split on white space; sdssplitargs's quotes are
//     not interpreted there (no valid rule needs them).
//   - An aclfile line with an unterminated selector is reported ("Unmatched parenthesis
//     in selector definition."); redis-sentinel 7.0.15 crashes on it.
//   - Single commands that a description adds or removes after the categories come in
//     table order; Redis uses its hash table's order, which changes with every start.
package acl
