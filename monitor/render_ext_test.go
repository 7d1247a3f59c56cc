package monitor_test

import (
	"time"

	"github.com/sentinel-go/sentinel/internal/resp"
	"github.com/sentinel-go/sentinel/monitor"
	"github.com/sentinel-go/sentinel/query"
)

func init() {
	monitor.WriteValue = query.WriteValue
	monitor.AnswerQuery = func(v *monitor.View, now time.Time, w *resp.Writer, args [][]byte) {
		if sub, _, ok := query.Check(w, args); ok {
			query.Answer(v, now, w, sub, args)
		}
	}
}
