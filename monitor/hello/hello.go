package hello

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/sentinel-go/sentinel/internal/cstrconv"
)

// Channel is the Pub/Sub channel hellos travel on.
const Channel = "__sentinel__:hello"

// ErrFields is returned for a payload that does not have exactly eight fields; redis-sentinel
// ignores such a message.
var ErrFields = errors.New("hello: payload does not have 8 comma-separated fields")

// Hello is one sentinel's announcement about one master.
type Hello struct {
	IP                string // the announcing sentinel's address, as it chose to announce it
	Port              int
	RunID             string // not checked: redis-sentinel takes any string as the run ID
	CurrentEpoch      uint64
	MasterName        string
	MasterIP          string // a hostname when the sender announces hostnames
	MasterPort        int
	MasterConfigEpoch uint64
}

// Parse reads a payload. Like sdssplitlen, it counts an empty payload as no fields and keeps
// empty fields, so the only error is a field count other than eight. Each string field ends
// at its first NUL byte, because redis-sentinel uses the fields as C strings.
func Parse(payload string) (Hello, error) {
	if n := strings.Count(payload, ",") + 1; payload == "" || n != 8 {
		if payload == "" {
			n = 0
		}
		return Hello{}, fmt.Errorf("%w (has %d)", ErrFields, n)
	}
	var f [8]string
	rest := payload
	for i := range 7 {
		f[i], rest, _ = strings.Cut(rest, ",")
	}
	f[7] = rest
	return Hello{
		IP:                cString(f[0]),
		Port:              cstrconv.Atoi(f[1]),
		RunID:             cString(f[2]),
		CurrentEpoch:      cstrconv.Strtoull(f[3]),
		MasterName:        cString(f[4]),
		MasterIP:          cString(f[5]),
		MasterPort:        cstrconv.Atoi(f[6]),
		MasterConfigEpoch: cstrconv.Strtoull(f[7]),
	}, nil
}

func cString(s string) string {
	if n := strings.IndexByte(s, 0); n >= 0 {
		return s[:n]
	}
	return s
}

// FromSelf reports whether a payload mentions myID anywhere, the test redis-sentinel applies
// to ignore its own hellos (and any that merely contain its run ID). The payload is searched
// as a C string, up to its first NUL.
func FromSelf(payload, myID string) bool {
	return strings.Contains(cString(payload), myID)
}

// Append appends the payload to b.
func (h Hello) Append(b []byte) []byte {
	b = append(b, h.IP...)
	b = append(b, ',')
	b = strconv.AppendInt(b, int64(h.Port), 10)
	b = append(b, ',')
	b = append(b, h.RunID...)
	b = append(b, ',')
	b = strconv.AppendUint(b, h.CurrentEpoch, 10)
	b = append(b, ',')
	b = append(b, h.MasterName...)
	b = append(b, ',')
	b = append(b, h.MasterIP...)
	b = append(b, ',')
	b = strconv.AppendInt(b, int64(h.MasterPort), 10)
	b = append(b, ',')
	return strconv.AppendUint(b, h.MasterConfigEpoch, 10)
}

// String returns the payload.
func (h Hello) String() string {
	return string(h.Append(make([]byte, 0, 128)))
}
