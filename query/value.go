package query

import (
	"github.com/sentinel-go/sentinel/internal/resp"
	"github.com/sentinel-go/sentinel/monitor"
)

// WriteValue writes one of the core's reply values in w's protocol: a map is a RESP3 map,
// or a flat array of keys and values in RESP2; the nulls are RESP2's $-1 and *-1, or _.
func WriteValue(w *resp.Writer, v monitor.Value) {
	switch v.Kind {
	case monitor.NullValue:
		w.Null()
	case monitor.NullArrayValue:
		w.NullArray()
	case monitor.SimpleValue:
		w.Simple(v.Str)
	case monitor.ErrorValue:
		w.Error(v.Str)
	case monitor.IntValue:
		w.Int(v.Int)
	case monitor.BulkValue:
		w.BulkString(v.Str)
	case monitor.ArrayValue:
		w.Array(len(v.Elem))
		for _, e := range v.Elem {
			WriteValue(w, e)
		}
	case monitor.MapValue:
		w.Map(len(v.Elem) / 2)
		for _, e := range v.Elem {
			WriteValue(w, e)
		}
	}
}
