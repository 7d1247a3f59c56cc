package endpoint

import (
	"fmt"
	"sort"
	"strings"
)

// tracking is CLIENT TRACKING's state. A sentinel has no keys, so no invalidation is
// ever sent; the state is kept so that clients enabling client-side caching get Redis's
// answers, errors included. Guarded by Server.mu.
type tracking struct {
	on, bcast, optin, optout, noloop bool
	caching                          bool // CLIENT CACHING yes/no, for the next command
	redirect                         int64
	prefixes                         map[string]struct{}
}

func (t *tracking) sortedPrefixes() []string {
	return sortedKeys(t.prefixes)
}

func clientTracking(c *conn, args [][]byte) {
	s := c.s
	var redirect int64
	var bcast, optin, optout, noloop bool
	var prefixes []string
	for j := 3; j < len(args); j++ {
		more := j+1 < len(args)
		switch opt := strings.ToLower(string(args[j])); {
		case opt == "redirect" && more:
			j++
			if redirect != 0 {
				c.w.Error("ERR A client can only redirect to a single other client")
				return
			}
			id, ok := parseInt(args[j])
			if !ok {
				c.w.Error(errNotInt)
				return
			}
			s.mu.Lock()
			exists := s.connLocked(id) != nil
			s.mu.Unlock()
			if !exists {
				c.w.Error("ERR The client ID you want redirect to does not exist")
				return
			}
			redirect = id
		case opt == "bcast":
			bcast = true
		case opt == "optin":
			optin = true
		case opt == "optout":
			optout = true
		case opt == "noloop":
			noloop = true
		case opt == "prefix" && more:
			j++
			prefixes = append(prefixes, string(args[j]))
		default:
			c.w.Error(errSyntax)
			return
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	t := &c.tracking
	switch strings.ToLower(string(args[2])) {
	case "on":
		if msg := t.checkEnable(bcast, optin, optout, prefixes); msg != "" {
			c.w.Error(msg)
			return
		}
		*t = tracking{on: true, bcast: bcast, optin: optin, optout: optout, noloop: noloop,
			redirect: redirect, prefixes: t.prefixes}
		if bcast {
			if t.prefixes == nil {
				t.prefixes = map[string]struct{}{}
			}
			if len(prefixes) == 0 {
				prefixes = []string{""} // Redis tracks every key as the empty prefix
			}
			for _, p := range prefixes {
				t.prefixes[p] = struct{}{}
			}
		}
	case "off":
		*t = tracking{}
	default:
		c.w.Error(errSyntax)
		return
	}
	c.w.Simple("OK")
}

// checkEnable is the validation of CLIENT TRACKING ON, in Redis's order.
func (t *tracking) checkEnable(bcast, optin, optout bool, prefixes []string) string {
	switch {
	case !bcast && len(prefixes) > 0:
		return "ERR PREFIX option requires BCAST mode to be enabled"
	case t.on && t.bcast != bcast:
		return "ERR You can't switch BCAST mode on/off before disabling tracking for this client, and then re-enabling it with a different mode."
	case bcast && (optin || optout):
		return "ERR OPTIN and OPTOUT are not compatible with BCAST"
	case optin && optout:
		return "ERR You can't specify both OPTIN mode and OPTOUT mode"
	case optin && t.optout || optout && t.optin:
		return "ERR You can't switch OPTIN/OPTOUT mode before disabling tracking for this client, and then re-enabling it with a different mode."
	}
	if bcast {
		existing := t.sortedPrefixes()
		for i, p := range prefixes {
			for _, e := range existing {
				if overlaps(e, p) {
					return fmt.Sprintf("ERR Prefix '%s' overlaps with an existing prefix '%s'. Prefixes for a single client must not overlap.", p, e)
				}
			}
			for _, q := range prefixes[i+1:] {
				if overlaps(p, q) {
					return fmt.Sprintf("ERR Prefix '%s' overlaps with another provided prefix '%s'. Prefixes for a single client must not overlap.", p, q)
				}
			}
		}
	}
	return ""
}

// overlaps reports whether one prefix is a prefix of the other.
func overlaps(a, b string) bool {
	n := min(len(a), len(b))
	return a[:n] == b[:n]
}

func clientTrackingInfo(c *conn, args [][]byte) {
	c.s.mu.Lock()
	t := c.tracking
	c.s.mu.Unlock()
	flags := []string{"off"}
	if t.on {
		flags[0] = "on"
	}
	if t.bcast {
		flags = append(flags, "bcast")
	}
	if t.optin {
		flags = append(flags, "optin")
		if t.caching {
			flags = append(flags, "caching-yes")
		}
	}
	if t.optout {
		flags = append(flags, "optout")
		if t.caching {
			flags = append(flags, "caching-no")
		}
	}
	if t.noloop {
		flags = append(flags, "noloop")
	}
	c.w.Map(3)
	c.w.BulkString("flags")
	c.w.Set(len(flags))
	for _, f := range flags {
		c.w.BulkString(f)
	}
	c.w.BulkString("redirect")
	if t.on {
		c.w.Int(t.redirect)
	} else {
		c.w.Int(-1)
	}
	c.w.BulkString("prefixes")
	p := t.sortedPrefixes()
	sort.Strings(p)
	c.w.Strings(p)
}

func clientGetRedir(c *conn, args [][]byte) {
	c.s.mu.Lock()
	t := c.tracking
	c.s.mu.Unlock()
	if t.on {
		c.w.Int(t.redirect)
	} else {
		c.w.Int(-1)
	}
}

func clientCaching(c *conn, args [][]byte) {
	s := c.s
	s.mu.Lock()
	defer s.mu.Unlock()
	t := &c.tracking
	if !t.on {
		c.w.Error("ERR CLIENT CACHING can be called only when the client is in tracking mode with OPTIN or OPTOUT mode enabled")
		return
	}
	switch strings.ToLower(string(args[2])) {
	case "yes":
		if !t.optin {
			c.w.Error("ERR CLIENT CACHING YES is only valid when tracking is enabled in OPTIN mode.")
			return
		}
	case "no":
		if !t.optout {
			c.w.Error("ERR CLIENT CACHING NO is only valid when tracking is enabled in OPTOUT mode.")
			return
		}
	default:
		c.w.Error(errSyntax)
		return
	}
	t.caching = true
	c.w.Simple("OK")
}
