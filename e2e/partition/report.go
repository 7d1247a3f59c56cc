package partition

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// Kinds as Result.Kind spells them, in the order the table puts them.
const (
	ResultOurs  = "ours"
	ResultRedis = "redis-sentinel"
)

// Table renders results as a Markdown table, one row per scenario (in the order first
// seen) and one column per figure, each cell "ours / redis-sentinel"; a kind that did not
// run the scenario shows "-". Notes follow the table, one line per result that has any.
func Table(results []Result) string {
	var order []string
	byKey := map[[2]string]Result{}
	for _, r := range results {
		if !slices.Contains(order, r.Scenario) {
			order = append(order, r.Scenario)
		}
		byKey[[2]string{r.Scenario, r.Kind}] = r
	}
	cols := []struct {
		name string
		cell func(Result) string
	}{
		{"acked", func(r Result) string { return fmt.Sprint(r.Acked) }},
		{"lost", func(r Result) string { return fmt.Sprint(r.Lost) }},
		{"dual-write", func(r Result) string { return seconds(r.DualWrite) }},
		{"stale-write", func(r Result) string { return seconds(r.StaleWrite) }},
		{"converge", func(r Result) string { return seconds(r.Converge) }},
		{"failovers", func(r Result) string { return fmt.Sprint(r.Failovers) }},
		{"agree", func(r Result) string {
			if r.Agree {
				return "yes"
			}
			return "NO"
		}},
	}
	rows := [][]string{{"scenario (ours / redis-sentinel)"}}
	for _, c := range cols {
		rows[0] = append(rows[0], c.name)
	}
	for _, sc := range order {
		row := []string{sc}
		for _, c := range cols {
			var cell [2]string
			for i, kind := range []string{ResultOurs, ResultRedis} {
				if r, ok := byKey[[2]string{sc, kind}]; ok {
					cell[i] = c.cell(r)
				} else {
					cell[i] = "-"
				}
			}
			row = append(row, cell[0]+" / "+cell[1])
		}
		rows = append(rows, row)
	}
	width := make([]int, len(rows[0]))
	for _, row := range rows {
		for i, c := range row {
			width[i] = max(width[i], len(c))
		}
	}
	var b strings.Builder
	line := func(row []string) {
		b.WriteString("|")
		for i, c := range row {
			fmt.Fprintf(&b, " %-*s |", width[i], c)
		}
		b.WriteString("\n")
	}
	line(rows[0])
	b.WriteString("|")
	for _, w := range width {
		b.WriteString(strings.Repeat("-", w+2) + "|")
	}
	b.WriteString("\n")
	for _, row := range rows[1:] {
		line(row)
	}
	first := true
	for _, sc := range order {
		for _, kind := range []string{ResultOurs, ResultRedis} {
			r, ok := byKey[[2]string{sc, kind}]
			if !ok || r.Notes == "" {
				continue
			}
			if first {
				b.WriteString("\n")
				first = false
			}
			fmt.Fprintf(&b, "- %s (%s): %s\n", sc, kind, r.Notes)
		}
	}
	return b.String()
}

// seconds shows a duration to a tenth of a second, which is what a client can tell apart
// at the workload's pace.
func seconds(d time.Duration) string {
	return fmt.Sprintf("%.1fs", d.Seconds())
}
