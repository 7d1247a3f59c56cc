package resp

// Lower returns name in lower case, for looking a command or subcommand name up in a
// table keyed by lower-case names, as Redis's command table compares names
// case-insensitively (dictSdsKeyCaseCompare). A name with no upper-case ASCII letter is
// returned as it is; another is copied into buf's spare capacity, or a new slice when it
// does not fit, so a caller passing a small array of its own allocates nothing for the
// names clients send. Like Redis, only ASCII letters fold.
func Lower(buf, name []byte) []byte {
	i := 0
	for i < len(name) && !('A' <= name[i] && name[i] <= 'Z') {
		i++
	}
	if i == len(name) {
		return name
	}
	out := append(buf[:0], name...)
	for ; i < len(out); i++ {
		if c := out[i]; 'A' <= c && c <= 'Z' {
			out[i] = c + 'a' - 'A'
		}
	}
	return out
}
