package acl

import "strings"

// Describe is ACLDescribeUser: the rules that rebuild u, as ACL LIST prints them after
// "user <name> " and as a rewrite or ACL SAVE writes them.
func (u *User) Describe() string {
	var b strings.Builder
	b.WriteString(u.Flags()[0] + " ")
	if u.nopass {
		b.WriteString("nopass ")
	}
	if u.sanitize != "" {
		b.WriteString(u.sanitize + " ")
	}
	for _, p := range u.passwords {
		b.WriteString("#" + p + " ")
	}
	b.WriteString(u.root.describe(u.cmds))
	for _, s := range u.selectors {
		b.WriteString(" (" + s.describe(u.cmds) + ")")
	}
	return b.String()
}

// Line is u's `user` line.
func (u *User) Line() string { return "user " + u.name + " " + u.Describe() }

// SelectorView is one selector as ACL GETUSER shows it.
type SelectorView struct{ Commands, Keys, Channels string }

// Views are u's selectors as ACL GETUSER shows them, the root one first.
func (u *User) Views() []SelectorView {
	out := make([]SelectorView, 0, 1+len(u.selectors))
	for _, s := range append([]selector{u.root}, u.selectors...) {
		out = append(out, SelectorView{Commands: s.describeCommands(u.cmds),
			Keys: s.describeKeys(), Channels: s.describeChannels()})
	}
	return out
}

func (s *selector) describe(cmds Commands) string {
	var b strings.Builder
	if k := s.describeKeys(); k != "" {
		b.WriteString(k + " ")
	}
	if s.allChannels {
		b.WriteString("&* ")
	} else {
		b.WriteString("resetchannels ")
		for _, c := range s.channels {
			b.WriteString("&" + c + " ")
		}
	}
	b.WriteString(s.describeCommands(cmds))
	return b.String()
}

func (s *selector) describeKeys() string {
	if s.allKeys {
		return "~*"
	}
	parts := make([]string, 0, len(s.keys))
	for _, k := range s.keys {
		switch {
		case k.read && k.write:
			parts = append(parts, "~"+k.pattern)
		case k.read:
			parts = append(parts, "%R~"+k.pattern)
		default:
			parts = append(parts, "%W~"+k.pattern)
		}
	}
	return strings.Join(parts, " ")
}

func (s *selector) describeChannels() string {
	if s.allChannels {
		return "&*"
	}
	parts := make([]string, 0, len(s.channels))
	for _, c := range s.channels {
		parts = append(parts, "&"+c)
	}
	return strings.Join(parts, " ")
}

// describeCommands renders the command rules as Redis 7.0 does
// (ACLDescribeSelectorCommandRules): start from +@all or -@all, greedily add (or remove)
// the category that best covers what is left, then fix single commands. Without a table
// the rules are as written.
func (s *selector) describeCommands(cmds Commands) string {
	base := "-@all"
	if s.all {
		base = "+@all"
	}
	if cmds == nil {
		return strings.Join(append([]string{base}, s.rules...), " ")
	}
	all := cmds.All()
	additive := !s.all
	rules := []string{base}
	fake := selector{allowed: make([]bool, len(all))}
	if !additive {
		fake.setAll(true)
	}
	temp := append([]bool(nil), s.allowed...)
	applied := make([]bool, len(Categories))
	for {
		best, minDiff, maxSame := -1, int(^uint(0)>>1), 0
		for j := range Categories {
			if applied[j] {
				continue
			}
			on, off := 0, 0
			for _, cmd := range all {
				if cmd.Categories&(1<<j) != 0 {
					if temp[cmd.ID] {
						on++
					} else {
						off++
					}
				}
			}
			diff, same := off, on
			if !additive {
				diff, same = on, off
			}
			if same > diff && (diff < minDiff || diff == minDiff && same > maxSame) {
				best, minDiff, maxSame = j, diff, same
			}
		}
		if best < 0 {
			break
		}
		sign := "+@"
		if !additive {
			sign = "-@"
		}
		rules = append(rules, sign+Categories[best])
		for _, cmd := range all {
			if cmd.Categories&(1<<best) != 0 {
				fake.change(cmd, additive)
				temp[cmd.ID] = !additive
				for _, id := range cmd.Subs {
					temp[id] = !additive
				}
			}
		}
		applied[best] = true
	}
	for _, cmd := range all {
		if s.allowed[cmd.ID] != fake.allowed[cmd.ID] {
			if s.allowed[cmd.ID] {
				rules = append(rules, "+"+cmd.Name)
			} else {
				rules = append(rules, "-"+cmd.Name)
			}
			fake.change(cmd, s.allowed[cmd.ID])
		}
		if !s.allowed[cmd.ID] {
			for _, a := range s.firstArgs[cmd.ID] {
				rules = append(rules, "+"+cmd.Name+"|"+a)
			}
		}
	}
	return strings.Join(rules, " ")
}
