package config

import (
	"github.com/sentinel-go/sentinel/internal/cstrconv"
)

// Class is what this sentinel does with a directive redis-sentinel 7.0.15 accepts. Every
// directive the loader knows has exactly one (directiveClasses); DIRECTIVES.md is the
// same table for people, generated from it.
type Class uint8

const (
	// Carried directives work here as they do in redis-sentinel.
	Carried Class = iota + 1
	// Inert directives are accepted, checked and kept at rewrite, and do nothing, because
	// redis-sentinel does nothing with them either in sentinel mode: each entry's reason
	// says why (the code path that reads it does not run in sentinel mode).
	Inert
	// Refused directives do something observable in redis-sentinel that this sentinel does
	// not do. A line that sets one to anything but its default stops the load with a
	// LineError "'<line>' is not supported by this sentinel"; its default is accepted, so a
	// stock file that spells defaults out (tcp-backlog 511) still loads, and keeps what
	// redis-sentinel would do (nothing different from the default) honest.
	Refused
)

func (c Class) String() string {
	switch c {
	case Carried:
		return "carried out"
	case Inert:
		return "ignored, as redis-sentinel ignores it"
	case Refused:
		return "refused unless default"
	}
	return "unclassified"
}

// classified is one directive's class, the reason for it, and for Refused directives
// which values are refused when that is not simply "any but the default".
type classified struct {
	class  Class
	why    string
	refuse func(args, canon []string) bool
}

// moduleOption stands for every "<module>.<option>" directive.
const moduleOption = "<module>.<option>"

// saveEveryTime tells a save line with a changes count of 0: redis-sentinel's serverCron
// then finds dirty (always 0) >= changes and saves every <seconds>.
func saveEveryTime(args, _ []string) bool {
	for j := 1; j < len(args); j += 2 {
		if cstrconv.Strtoll(args[j]) == 0 {
			return true
		}
	}
	return false
}

// classOf returns the class of a directive by its key in directiveClasses.
func classOf(key string) (classified, bool) {
	c, ok := directiveClasses[key]
	return c, ok
}

// notSupported is the refusal of a Refused directive set to a value we do not implement
// (or of one missing from the table: a directive nobody classified is not carried out).
func notSupported(words []string) string {
	return "'" + joinTokens(words...) + "' is not supported by this sentinel"
}

// refusedValue tells whether a standard option's value must be refused.
func refusedValue(o *option, args, canon []string) bool {
	c, ok := classOf(o.name)
	switch {
	case !ok:
		return true
	case c.class != Refused:
		return false
	case c.refuse != nil:
		return c.refuse(args, canon)
	}
	return canon != nil && !isDefault(o, canon)
}
