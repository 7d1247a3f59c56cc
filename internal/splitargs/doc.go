// Package splitargs is Redis's sdssplitargs, the one tokeniser behind both the
// configuration loader (sentinel.conf lines, command-line options, ACL selectors) and the
// inline request reader in resp: Redis uses the same function for both, so a line that
// splits one way in a config file splits the same way typed into redis-cli's inline mode.
//
// # The grammar (sds.c, sdssplitargs)
//
//   - Blanks (C's isspace in the "C" locale: space, \t \n \v \f \r) separate arguments.
//   - An unquoted argument ends only at space, \t, \n or \r: "a\vb" is one argument,
//     although a leading \v is skipped.
//   - "Double quotes" understand \n \r \t \b \a, \xHH (two hex digits), and a backslash
//     before any other byte, which stands for that byte.
//   - 'Single quotes' understand only \'.
//   - A quote may open in the middle of an argument (ab"cd" is abcd); a closing quote must
//     be followed by a blank or the end, and a quote left open is an error.
//   - The line is a C string: a NUL byte ends it.
//
// # Invariants
//
//   - Append never allocates beyond growing dst and spans: the resp reader reuses both
//     buffers across requests, which keeps inline requests allocation-free.
//   - Split(s) returns the same words as Append on s, and false exactly when Append does.
package splitargs
