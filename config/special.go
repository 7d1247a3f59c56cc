package config

import (
	"strconv"
	"strings"

	"github.com/sentinel-go/sentinel/internal/cstrconv"
	"github.com/sentinel-go/sentinel/internal/splitargs"
)

// The special options have their own syntax and rewrite in redis-server; these functions
// reproduce both. Each returns the canonical arguments the rewrite writes.

var obufClasses = []string{"normal", "replica", "pubsub"}

// obufDefaults are clientBufferLimitsDefaults: hard, soft, seconds per class.
var obufDefaults = [3][3]int64{{0, 0, 0}, {256 << 20, 64 << 20, 60}, {32 << 20, 8 << 20, 60}}

func parseSpecial(o *option, args, prev []string) ([]string, string) {
	switch o.name {
	case "dir":
		if len(args) != 1 {
			return nil, "wrong number of arguments"
		}
		return args, ""
	case "bind":
		if len(args) > 16 {
			return nil, "Too many bind addresses specified."
		}
		if len(args) == 1 && args[0] == "" {
			return []string{}, ""
		}
		return args, ""
	case "save":
		return parseSave(args)
	case "client-output-buffer-limit":
		return parseObuf(args, prev)
	case "oom-score-adj-values":
		if len(args) != 3 {
			return nil, "wrong number of arguments"
		}
		for _, a := range args {
			v, err := strconv.ParseInt(a, 10, 64)
			if err != nil || v < -2000 || v > 2000 {
				return nil, "Invalid oom-score-adj-values, elements must be between -2000 and 2000."
			}
		}
		out := make([]string, 3)
		for i, a := range args {
			out[i] = itoa(cstrconv.Strtoll(a))
		}
		return out, ""
	case "notify-keyspace-events":
		if len(args) != 1 {
			return nil, "wrong number of arguments"
		}
		flags, ok := keyspaceFlags(args[0])
		if !ok {
			return nil, "Invalid event class character. Use 'Ag$lshzxeKEtmdn'."
		}
		return []string{keyspaceString(flags)}, ""
	case "replicaof":
		if len(args) != 2 {
			return nil, "wrong number of arguments"
		}
		if strings.EqualFold(args[0], "no") && strings.EqualFold(args[1], "one") {
			return nil, ""
		}
		port, err := strconv.ParseInt(args[1], 10, 64)
		if err != nil || port < 0 || port > 65535 || !cStrtolWhole(args[1]) {
			return nil, "Invalid master port"
		}
		return []string{args[0], itoa(port)}, ""
	case "latency-tracking-info-percentiles":
		return parsePercentiles(args)
	}
	return args, ""
}

// cStrtolWhole tells whether strtol would consume all of s (Go's ParseInt is stricter
// about signs and spaces; Redis allows a leading '+' and white space).
func cStrtolWhole(s string) bool {
	_, rest := cstrconv.Sign(s)
	if rest == "" {
		return false
	}
	for i := 0; i < len(rest); i++ {
		if rest[i] < '0' || rest[i] > '9' {
			return false
		}
	}
	return true
}

func parseSave(args []string) ([]string, string) {
	if len(args) == 1 && args[0] == "" {
		return nil, ""
	}
	if len(args)%2 == 1 {
		return nil, "Invalid save parameters"
	}
	for j, a := range args {
		v := cstrconv.Strtoll(a)
		if !(a == "" || cStrtolWhole(a)) || (j%2 == 0 && v < 1) || (j%2 == 1 && v < 0) {
			return nil, "Invalid save parameters"
		}
	}
	return nil, ""
}

func parseObuf(args, prev []string) ([]string, string) {
	if len(args)%4 != 0 {
		return nil, "Wrong number of arguments in buffer limit configuration."
	}
	state := obufDefaults
	if len(prev) == 12 {
		for c := 0; c < 3; c++ {
			for k := 0; k < 3; k++ {
				state[c][k] = cstrconv.Strtoll(prev[c*4+1+k])
			}
		}
	}
	for j := 0; j < len(args); j += 4 {
		class := -1
		switch strings.ToLower(args[j]) {
		case "normal":
			class = 0
		case "slave", "replica":
			class = 1
		case "pubsub":
			class = 2
		}
		if class < 0 {
			return nil, "Invalid client class specified in buffer limit configuration."
		}
		hard, ok1 := memtoull(args[j+1])
		soft, ok2 := memtoull(args[j+2])
		secs, ok3 := string2llLoose(args[j+3])
		if !ok1 || !ok2 || !ok3 || secs < 0 {
			return nil, "Error in hard, soft or soft_seconds setting in buffer limit configuration."
		}
		state[class] = [3]int64{int64(hard), int64(soft), secs}
	}
	out := make([]string, 0, 12)
	for c, name := range obufClasses {
		out = append(out, name, itoa(state[c][0]), itoa(state[c][1]), itoa(state[c][2]))
	}
	return out, ""
}

// string2llLoose is strtoll(s, &end, 10) that must consume everything.
func string2llLoose(s string) (int64, bool) {
	if !cStrtolWhole(s) {
		return 0, false
	}
	return cstrconv.Strtoll(s), true
}

// Keyspace notification classes, as in Redis's notify.c.
const (
	nKeyspace = 1 << 0
	nKeyevent = 1 << 1
	nGeneric  = 1 << 2
	nString   = 1 << 3
	nList     = 1 << 4
	nSet      = 1 << 5
	nHash     = 1 << 6
	nZset     = 1 << 7
	nExpired  = 1 << 8
	nEvicted  = 1 << 9
	nStream   = 1 << 10
	nKeyMiss  = 1 << 11
	nLoaded   = 1 << 12
	nModule   = 1 << 13
	nNew      = 1 << 14
	nAll      = nGeneric | nString | nList | nSet | nHash | nZset | nExpired | nEvicted | nStream | nModule
)

func keyspaceFlags(s string) (int, bool) {
	flags := 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case 'A':
			flags |= nAll
		case 'g':
			flags |= nGeneric
		case '$':
			flags |= nString
		case 'l':
			flags |= nList
		case 's':
			flags |= nSet
		case 'h':
			flags |= nHash
		case 'z':
			flags |= nZset
		case 'x':
			flags |= nExpired
		case 'e':
			flags |= nEvicted
		case 'K':
			flags |= nKeyspace
		case 'E':
			flags |= nKeyevent
		case 't':
			flags |= nStream
		case 'm':
			flags |= nKeyMiss
		case 'd':
			flags |= nModule
		case 'n':
			flags |= nNew
		default:
			return 0, false
		}
	}
	return flags, true
}

func keyspaceString(flags int) string {
	var b strings.Builder
	if flags&nAll == nAll {
		b.WriteByte('A')
	} else {
		for _, f := range []struct {
			bit int
			c   byte
		}{{nGeneric, 'g'}, {nString, '$'}, {nList, 'l'}, {nSet, 's'}, {nHash, 'h'}, {nZset, 'z'},
			{nExpired, 'x'}, {nEvicted, 'e'}, {nStream, 't'}, {nModule, 'd'}, {nNew, 'n'}} {
			if flags&f.bit != 0 {
				b.WriteByte(f.c)
			}
		}
	}
	if flags&nKeyspace != 0 {
		b.WriteByte('K')
	}
	if flags&nKeyevent != 0 {
		b.WriteByte('E')
	}
	if flags&nKeyMiss != 0 {
		b.WriteByte('m')
	}
	return b.String()
}

func parsePercentiles(args []string) ([]string, string) {
	if len(args) == 1 && args[0] == "" {
		return []string{}, ""
	}
	out := make([]string, len(args))
	for i, a := range args {
		if a == "" || splitargs.IsSpace(a[0]) || strings.ContainsAny(a, "_") {
			return nil, "Invalid latency-tracking-info-percentiles parameters"
		}
		v, err := strconv.ParseFloat(a, 64)
		if (err != nil && !strings.Contains(err.Error(), "range")) || v != v {
			return nil, "Invalid latency-tracking-info-percentiles parameters"
		}
		if v > 100 || v < 0 {
			return nil, "latency-tracking-info-percentiles parameters should sit between [0.0,100.0]"
		}
		out[i] = formatPercentile(v)
	}
	return out, ""
}

// formatPercentile is sprintf("%f") followed by Redis's trimDoubleString.
func formatPercentile(v float64) string {
	s := strconv.FormatFloat(v, 'f', 6, 64)
	if strings.Contains(s, ".") {
		s = strings.TrimRight(s, "0")
		s = strings.TrimSuffix(s, ".")
	}
	return s
}
