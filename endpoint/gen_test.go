package endpoint

import (
	"bufio"
	"io"
	"net"
	"os"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/sentinel-go/sentinel/internal/resp"
)

// TestGenerateCommandData rewrites commands_info.resp3 and commands_docs.resp3 from the
// real redis-sentinel's COMMAND INFO and COMMAND DOCS, sorted by name (Redis lists them in
// hash order, which changes with every start). Run it with SENTINEL_GEN_COMMANDS=1 when
// the target version changes, and read the diff.
func TestGenerateCommandData(t *testing.T) {
	if os.Getenv("SENTINEL_GEN_COMMANDS") != "1" {
		t.Skip("set SENTINEL_GEN_COMMANDS=1 to regenerate the command data")
	}
	addr := startRealSentinel(t)
	nc, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	nc.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := nc.Write([]byte("HELLO 3\r\nCOMMAND INFO\r\nCOMMAND DOCS\r\n")); err != nil {
		t.Fatal(err)
	}
	var all []byte
	br := bufio.NewReader(nc)
	var vals []value
	for len(vals) < 3 {
		buf := make([]byte, 64<<10)
		n, err := br.Read(buf)
		if err != nil && err != io.EOF {
			t.Fatal(err)
		}
		all = append(all, buf[:n]...)
		vals = vals[:0]
		rest := string(all)
		for rest != "" {
			v, r, err := parseValue(rest)
			if err != nil {
				break
			}
			vals, rest = append(vals, v), r
		}
	}
	info, docs := vals[1], vals[2]
	sortInfo(info.elems)
	sortDocs(&docs)
	for name, v := range map[string]value{"commands_info.resp3": info, "commands_docs.resp3": docs} {
		w := resp.Writer{Proto: 3}
		v.write(&w)
		if err := os.WriteFile(name, w.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// sortInfo sorts COMMAND INFO entries, and their subcommands, by name.
func sortInfo(entries []value) {
	sort.Slice(entries, func(i, j int) bool { return entries[i].elems[0].str < entries[j].elems[0].str })
	for _, e := range entries {
		sortInfo(e.elems[9].elems)
	}
}

// sortDocs sorts a COMMAND DOCS map, and the subcommands maps inside it, by name.
func sortDocs(m *value) {
	type pair struct{ k, v value }
	pairs := make([]pair, 0, len(m.elems)/2)
	for i := 0; i+1 < len(m.elems); i += 2 {
		pairs = append(pairs, pair{m.elems[i], m.elems[i+1]})
	}
	sort.Slice(pairs, func(i, j int) bool { return pairs[i].k.str < pairs[j].k.str })
	m.elems = m.elems[:0]
	for _, p := range pairs {
		for i := 0; i+1 < len(p.v.elems); i += 2 {
			if strings.EqualFold(p.v.elems[i].str, "subcommands") {
				sortDocs(&p.v.elems[i+1])
			}
		}
		m.elems = append(m.elems, p.k, p.v)
	}
}
