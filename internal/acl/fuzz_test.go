package acl

import (
	"strings"
	"testing"
)

// roundTrips reports whether rules may be expected to survive Describe: Redis writes
// patterns bare, so a pattern holding white space or a parenthesis reads back otherwise.
func roundTrips(rules []string) bool {
	for _, r := range rules {
		if strings.ContainsAny(r, " \t\n\v\f\r()") && !(strings.HasPrefix(r, "(") && strings.HasSuffix(r, ")")) {
			return false
		}
		if strings.HasPrefix(r, "(") && strings.ContainsAny(r[1:len(r)-1], "()") {
			return false
		}
	}
	return true
}

// FuzzRules applies ACL SETUSER rules, with and without a table: no rule may panic, and
// a user's description, applied to a new user, must describe it again (the rewrite and
// ACL SAVE rely on that).
func FuzzRules(f *testing.F) {
	for _, s := range []string{
		"on >pw ~* &* +@all",
		"on nopass -@all +ping +select|0 %R~r* %W~w* &ch",
		"reset on #" + HashPassword("x") + " (+ping ~x) (+client|id &c)",
		"+@all -client|kill -@fast resetkeys ~k allchannels",
		"skip-sanitize-payload off <pw !" + HashPassword("x"),
		"(+ping ~a",
		"%RW~* %R %~ + +client|id|x +ping|",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, line string) {
		words := strings.Split(line, " ")
		rules, open := MergeSelectors(words)
		if open >= 0 {
			return
		}
		for _, cmds := range []Commands{table, nil} {
			u, _, err := Apply(NewUser("u", cmds), rules)
			if err != nil || !roundTrips(rules) {
				continue
			}
			d := u.Describe()
			again, open := MergeSelectors(strings.Split(d, " "))
			if open >= 0 {
				t.Fatalf("%q describes as %q, an unterminated selector", line, d)
			}
			v, bad, err := Apply(NewUser("u", cmds), again)
			if err != nil {
				t.Fatalf("%q describes as %q, whose rule %q fails: %v", line, d, bad, err)
			}
			if got := v.Describe(); got != d {
				t.Fatalf("%q describes as %q, which describes as %q", line, d, got)
			}
		}
	})
}

// FuzzParseFile reads aclfiles: no input may panic, and a file that loads, saved as ACL
// SAVE writes it, must load back to the same users.
func FuzzParseFile(f *testing.F) {
	for _, s := range []string{
		"user default on >topsecret ~* &* +@all\nuser alice on >pw -@all +ping\n",
		"\r\n  user zed  \n\nuser b on (+ping ~x) (&c +publish)\n",
		"junk\nuser a on +nosuch\nuser a\n",
		"user x on #abc\nuser y (+ping\n",
		"user default off nopass sanitize-payload\n",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		tab, err := NewUsers(table).ParseFile("f.acl", text)
		if err != nil {
			if !strings.HasSuffix(err.Error(), "WARNING: ACL errors detected, no change to the previously active ACL rules was performed") {
				t.Fatalf("error without Redis's ending: %v", err)
			}
			return
		}
		if tab.Default() == nil {
			t.Fatal("no default user")
		}
		saved := strings.Join(tab.Lines(), "\n")
		back, err := NewUsers(table).ParseFile("f.acl", saved)
		if err != nil {
			// Bare names and patterns with white space or parentheses do not read back,
			// in Redis either.
			if strings.ContainsAny(text, "()\t\v\f") {
				return
			}
			t.Fatalf("saved file does not load: %v\n%s", err, saved)
		}
		if got := strings.Join(back.Lines(), "\n"); got != saved && !strings.ContainsAny(text, "()\t\v\f") {
			t.Fatalf("saved\n%s\nloads back as\n%s", saved, got)
		}
	})
}
