// Package glob matches strings against Redis's glob-style patterns, with the semantics of
// Redis's stringmatchlen: the matcher behind KEYS, SCAN MATCH, PSUBSCRIBE, CONFIG GET and
// ACL channel rules. It owns the pattern language only; what is matched (channel names,
// config parameter names, masters for SENTINEL RESET) is the caller's.
//
// Patterns understand '*', '?', '[...]' (with '^' negation, 'a-z' ranges and '\' escapes)
// and '\' before any byte. Every quirk of Redis's matcher is kept, because a client that
// works against Redis must see the same channels matched here:
//   - the empty string matches only the empty pattern ("*" does not match "");
//   - an unterminated class runs to the end of the pattern ("[ab" is a class of 'a' and 'b');
//   - a range may be written backwards ("[z-a]"), and a '-' before the closing bracket makes
//     the bracket the end of a range ("[a-]" is the range ']'..'a', still open);
//   - an escape inside a class compares case-sensitively even when matching without case;
//   - more than 1000 nested '*' never match, Redis's guard against abusive patterns.
//
// Invariants:
//   - Match and MatchFold give stringmatchlen's answer for every pattern and string (the
//     tests' rows were checked against redis-server 7.0.15).
//   - Matching is pure and allocates nothing. Unlike Redis's recursive matcher, it
//     backtracks only to the last '*', so its cost is O(len(pattern)*len(s)) for any
//     pattern: no pattern a client sends can make a match cost more.
package glob
