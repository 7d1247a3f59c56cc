package endpoint

// The differential test sends the same requests to Debian's redis-sentinel 7.0.15 and to
// our Server, and compares the replies: byte for byte where the reply holds no state,
// by shape (field names in order) where it holds ids, times or counters, and as a set
// where Redis's order is its hash tables' (which changes with every start). The real
// binary is the judge. Without it the test skips, unless REDISTEST_REQUIRE_REAL=1.

import (
	"regexp"
	"sort"
	"strings"
	"testing"
)

// compare turns a reply into what must be equal between the two servers.
type compare func(t *testing.T, reply string) string

func exact(_ *testing.T, r string) string { return r }

// asSet sorts the elements of an array reply.
func asSet(t *testing.T, r string) string {
	v := mustParse(t, r)
	elems := v.strs()
	sort.Strings(elems)
	return string(v.kind) + strings.Join(elems, ",")
}

func mustParse(t *testing.T, r string) value {
	t.Helper()
	v, rest, err := parseValue(r)
	if err != nil || rest != "" {
		t.Fatalf("cannot parse reply %q: %v", r, err)
	}
	return v
}

func render(v value, proto int) string {
	w := respWriter(proto)
	v.write(w)
	return string(w.Bytes())
}

// canonInfo sorts COMMAND / COMMAND INFO replies by command name, subcommands included.
func canonInfo(t *testing.T, r string) string {
	v := mustParse(t, r)
	var entries []value
	for _, e := range v.elems {
		if !e.null {
			entries = append(entries, e)
		}
	}
	sortInfo(entries)
	return render(value{kind: '*', elems: entries}, 3) + "nulls=" + strings.Repeat("N", len(v.elems)-len(entries))
}

// canonDocs sorts a COMMAND DOCS reply by command name, subcommands included.
func canonDocs(t *testing.T, r string) string {
	v := mustParse(t, r)
	sortDocs(&v)
	return render(v, 3)
}

// infoShape keeps INFO's section headers and field names, in order.
func infoShape(t *testing.T, r string) string {
	v := mustParse(t, r)
	var keys []string
	for _, line := range strings.Split(v.str, "\r\n") {
		k, _, _ := strings.Cut(line, ":")
		keys = append(keys, k)
	}
	return string(v.kind) + strings.Join(keys, "|")
}

// stableClientFields are the CLIENT LIST fields whose values must match too.
var stableClientFields = map[string]bool{"name": true, "flags": true, "db": true, "sub": true, "psub": true,
	"ssub": true, "multi": true, "cmd": true, "user": true, "redir": true, "resp": true}

// clientShape keeps CLIENT LIST/INFO field names in order, and the values of the fields
// that do not depend on the process.
func clientShape(t *testing.T, r string) string {
	v := mustParse(t, r)
	return string(v.kind) + clientLinesShape(v.str)
}

func clientLinesShape(text string) string {
	var out []string
	for _, line := range strings.Split(text, "\n") {
		var f []string
		for _, kv := range strings.Fields(line) {
			k, val, _ := strings.Cut(kv, "=")
			if stableClientFields[k] {
				f = append(f, k+"="+val)
			} else {
				f = append(f, k)
			}
		}
		out = append(out, strings.Join(f, " "))
	}
	return strings.Join(out, "\n")
}

var helloID = regexp.MustCompile(`\$2\r\nid\r\n:\d+\r\n`)

// hello hides the connection id in a HELLO reply.
func hello(_ *testing.T, r string) string { return helloID.ReplaceAllString(r, "id=N") }

// length keeps only a bulk reply's length (ACL GENPASS).
func length(t *testing.T, r string) string {
	v := mustParse(t, r)
	return string(v.kind) + strings.Repeat("x", len(v.str))
}

// aclLogShape keeps ACL LOG entries but for their age and client details.
func aclLogShape(t *testing.T, r string) string {
	v := mustParse(t, r)
	var out []string
	for _, e := range v.elems {
		var f []string
		for i := 0; i+1 < len(e.elems); i += 2 {
			k, val := e.elems[i].str, e.elems[i+1]
			switch k {
			case "age-seconds":
				f = append(f, k)
			case "client-info":
				f = append(f, k+"="+clientLinesShape(val.str))
			case "count":
				f = append(f, k+"="+render(val, 3))
			default:
				f = append(f, k+"="+val.str)
			}
		}
		out = append(out, strings.Join(f, ";"))
	}
	return string(v.kind) + strings.Join(out, "\n")
}

// aclListShape sorts each run of single-command rules: Redis emits them in hash-table
// order.
func aclListShape(t *testing.T, r string) string {
	v := mustParse(t, r)
	var lines []string
	for _, e := range v.elems {
		lines = append(lines, sortCommandRuns(e.str))
	}
	return strings.Join(lines, "\n")
}

func sortCommandRuns(line string) string {
	tok := strings.Fields(line)
	for i := 0; i < len(tok); {
		j := i
		for j < len(tok) && isCommandRule(tok[j]) {
			j++
		}
		sort.Strings(tok[i:j])
		i = j + 1
	}
	return strings.Join(tok, " ")
}

func isCommandRule(s string) bool {
	return (s[0] == '+' || s[0] == '-') && !strings.HasPrefix(s[1:], "@")
}

// getUserShape applies sortCommandRuns to the commands field of ACL GETUSER.
func getUserShape(t *testing.T, r string) string {
	v := mustParse(t, r)
	var walk func(v *value)
	walk = func(v *value) {
		for i := 0; i+1 < len(v.elems); i++ {
			if v.elems[i].str == "commands" && v.elems[i+1].kind == '$' {
				v.elems[i+1].str = sortCommandRuns(v.elems[i+1].str)
			}
			if len(v.elems[i].elems) > 0 {
				walk(&v.elems[i])
			}
		}
		if n := len(v.elems); n > 0 && len(v.elems[n-1].elems) > 0 {
			walk(&v.elems[n-1])
		}
	}
	walk(&v)
	return render(v, 3)
}

// step is one request and how many replies it gets.
type step struct {
	req     string
	replies int
	cmp     compare
}

func x(req string) step              { return step{req, 1, exact} }
func n(req string, k int) step       { return step{req, k, exact} }
func c(req string, cmp compare) step { return step{req, 1, cmp} }

// session is a sequence of steps on one connection.
type session struct {
	name  string
	steps []step
}

var longArg = strings.Repeat("a", 100)

var diffSessions = []session{
	{"basics", []step{
		x("PING"), x("PING hello"), x("PING a b"), x("*1\r\n$4\r\nPING\r\n"), x("*2\r\n$4\r\nping\r\n$3\r\nx y\r\n"),
		x(`ECHO "a b" 'c'`), x("QUIT"), x("SELECT 0"), x("MULTI"), x("CONFIG GET x"), x("DEBUG SLEEP 0"),
		x("RESET"), x("quit " + longArg + " " + longArg + " " + longArg), x("ROLE"), x("ROLE x"),
		x("PUBLISH a b"), x("PUBLISH __SENTINEL__:hello x"), x("PUBLISH __sentinel__:hello x"), x("PUBLISH a"),
		x("SENTINEL"), x("SENTINEL foo"), x("sentinel MASTERS x"), x("SENTINEL get-master-addr-by-name"),
		x("SHUTDOWN foo"), x("SHUTDOWN ABORT"), x("SHUTDOWN SAVE NOSAVE"), x("SHUTDOWN ABORT NOW"),
		x("AUTH x"), x("AUTH a b"), x("AUTH a b c"), x("AUTH"),
		x("HELLO 4"), x("HELLO x"), x("HELLO 1"), x("HELLO -1"), x("HELLO 03"), x("HELLO 3 foo"), x("HELLO 3 AUTH a"),
		x(`HELLO 2 SETNAME "a b"`), x("HELLO 2 SETNAME"), c("HELLO 2 SETNAME nm", hello), c("HELLO", hello),
		x("CLIENT GETNAME"), x("SUBSCRIBE"), x("PSUBSCRIBE"), x("UNSUBSCRIBE"), x("PUNSUBSCRIBE"),
		n("PING\r\nPING x\r\nROLE\r\n", 3),
	}},
	{"info", []step{
		c("INFO", infoShape), x("INFO nosuch"), c("INFO server", infoShape), c("INFO SERVER clients nosuch", infoShape),
		c("INFO default", infoShape), c("INFO all", infoShape), c("INFO everything", infoShape),
		c("INFO cpu sentinel", infoShape), c("INFO stats", infoShape), c("INFO sentinel default", infoShape),
		x("INFO memory keyspace"),
	}},
	{"command", []step{
		x("COMMAND COUNT"), c("COMMAND LIST", asSet), c("COMMAND", canonInfo), c("COMMAND INFO", canonInfo),
		c("COMMAND INFO ping client nosuch client|id CLIENT|KILL ping|x", canonInfo), c("COMMAND DOCS", canonDocs),
		c("COMMAND DOCS ping client|id nosuch sentinel", canonDocs), x("COMMAND DOCS nosuch"),
		x("COMMAND GETKEYS"), x("COMMAND GETKEYS ping x"), x("COMMAND GETKEYS nosuch x"), x("COMMAND GETKEYS client foo"),
		x("COMMAND GETKEYS client id x"), x("COMMAND GETKEYSANDFLAGS publish a b"), x("COMMAND COUNT x"),
		c("COMMAND LIST FILTERBY ACLCAT pubsub", asSet), c("COMMAND LIST FILTERBY PATTERN *sub*", asSet),
		c("COMMAND LIST FILTERBY pattern CLIENT|*", asSet), c("COMMAND LIST FILTERBY aclcat connection", asSet),
		x("COMMAND LIST FILTERBY MODULE x"), x("COMMAND LIST FILTERBY ACLCAT nosuch"), x("COMMAND LIST FILTERBY foo x"),
		x("COMMAND LIST foo"), x("COMMAND LIST FILTERBY ACLCAT"), x("COMMAND foo"), x("COMMAND HELP"),
	}},
	{"client", []step{
		x("CLIENT SETINFO lib-name x"), x("CLIENT SETINFO LIB-VER 1.0"), x("CLIENT MAINT_NOTIFICATIONS ON"),
		x("CLIENT"), x("CLIENT foo"), x("CLIENT ID x"), x("CLIENT SETNAME"), x(`CLIENT SETNAME "a b"`),
		x(`CLIENT SETNAME "a\xffb"`), x("CLIENT SETNAME x"), x("CLIENT GETNAME"), x(`CLIENT SETNAME ""`),
		x("CLIENT GETNAME"), x("CLIENT SETNAME me"), c("CLIENT INFO", clientShape), c("CLIENT LIST", clientShape),
		x("CLIENT LIST TYPE pubsub"), c("CLIENT LIST TYPE normal", clientShape), x("CLIENT LIST TYPE x"),
		x("CLIENT LIST ID 1 2 x"), x("CLIENT LIST ID 999999"), x("CLIENT LIST foo"), x("CLIENT LIST TYPE"),
		x("CLIENT LIST TYPE normal x"), x("CLIENT KILL 1.2.3.4:5"), x("CLIENT KILL ID 99999"), x("CLIENT KILL ID x"),
		x("CLIENT KILL ID 0"), x("CLIENT KILL TYPE foo"), x("CLIENT KILL TYPE master"), x("CLIENT KILL foo bar baz"),
		x("CLIENT KILL SKIPME maybe"), x("CLIENT KILL USER nosuch"), x("CLIENT KILL ID 1 ID"), x("CLIENT KILL"),
		x("CLIENT KILL ADDR 1.2.3.4:5 SKIPME no"), x("CLIENT PAUSE"), x("CLIENT PAUSE x"), x("CLIENT PAUSE -1"),
		x("CLIENT PAUSE 10 foo"), x("CLIENT PAUSE 1 WRITE x"), x("CLIENT PAUSE 1 x"), x("CLIENT UNPAUSE"),
		x("CLIENT UNPAUSE x"), x("CLIENT NO-EVICT"), x("CLIENT NO-EVICT on"), c("CLIENT INFO", clientShape),
		x("CLIENT NO-EVICT OFF"), x("CLIENT NO-EVICT x"), x("CLIENT REPLY x"), x("CLIENT TRACKING"),
		x("CLIENT TRACKING x"), x("CLIENT CACHING"), x("CLIENT CACHING maybe"), x("CLIENT CACHING yes"),
		x("CLIENT GETREDIR"), x("CLIENT TRACKINGINFO"), x("CLIENT TRACKING on bcast prefix a prefix ab"),
		x("CLIENT TRACKING on prefix a"), x("CLIENT TRACKING on bcast optin"), x("CLIENT TRACKING on optin optout"),
		x("CLIENT TRACKING on redirect 999999"), x("CLIENT TRACKING on redirect x"), x("CLIENT TRACKING on foo"),
		x("CLIENT TRACKING on optin"), x("CLIENT CACHING maybe"), x("CLIENT CACHING no"), x("CLIENT CACHING yes"),
		x("CLIENT TRACKINGINFO"), x("CLIENT TRACKINGINFO"), x("CLIENT TRACKING on optout"), x("CLIENT TRACKING on bcast"),
		x("CLIENT TRACKING on noloop"), x("CLIENT TRACKINGINFO"), x("CLIENT GETREDIR"), c("CLIENT INFO", clientShape),
		x("CLIENT TRACKING off"), x("CLIENT TRACKING on bcast"), x("CLIENT TRACKINGINFO"),
		x("CLIENT TRACKING on bcast prefix a"), x("CLIENT TRACKING off"), x("CLIENT TRACKING on bcast prefix b prefix c"),
		x("CLIENT TRACKING on bcast prefix d"), x("CLIENT TRACKING on bcast prefix bb"), x("CLIENT TRACKINGINFO"),
		c("CLIENT INFO", clientShape), x("CLIENT TRACKING off"), x("CLIENT TRACKINGINFO"),
		x("CLIENT UNBLOCK"), x("CLIENT UNBLOCK 1 foo"), x("CLIENT UNBLOCK x"), x("CLIENT UNBLOCK 999999"),
		x("CLIENT UNBLOCK 1 ERROR"), x("CLIENT UNBLOCK 1 2 3"), x("CLIENT HELP"), x("CLIENT HELP x"),
		x("CLIENT GETNAME x"), x("CLIENT TRACKINGINFO x"), x("CLIENT GETREDIR x"),
		n("CLIENT REPLY SKIP\r\nPING\r\nPING 2\r\nCLIENT REPLY OFF\r\nPING 3\r\nFOO\r\nCLIENT REPLY ON\r\nPING 4\r\n", 3),
	}},
	{"acl", []step{
		x("ACL"), x("ACL foo"), x("ACL WHOAMI"), x("ACL WHOAMI x"), x("ACL USERS"), x("ACL LIST"), x("ACL SETUSER"),
		x("ACL SETUSER u1"), x("ACL SETUSER u2 on >p1 ~* &* +@all"), x("ACL SETUSER u3 bogus"), x(`ACL SETUSER "a b"`),
		x("ACL GETUSER u2"), x("ACL GETUSER u1"), x("ACL GETUSER nosuch"), x("ACL GETUSER"),
		x("ACL SETUSER carol on nopass -@all +ping +auth +hello &news"), c("ACL GETUSER carol", getUserShape),
		x("ACL SETUSER x1 +@pubsub -ping +client|id ~k* %R~r* %W~w* %RW~x resetkeys ~z &ch"),
		c("ACL GETUSER x1", getUserShape), x("ACL SETUSER x1 +ping +@pubsub"), x("ACL SETUSER x1 allcommands -ping"),
		c("ACL GETUSER x1", getUserShape), x("ACL SETUSER x1 nocommands +ping"), x("ACL SETUSER x1 >x <x <y #abc"),
		x("ACL SETUSER x1 #0000000000000000000000000000000000000000000000000000000000000000 !0000000000000000000000000000000000000000000000000000000000000000 !11"),
		x(`ACL SETUSER x2 "(+ping ~x)" "(+info &c)"`), c("ACL GETUSER x2", getUserShape),
		x("ACL SETUSER x2 clearselectors reset"), c("ACL GETUSER x2", getUserShape),
		x("ACL SETUSER x2 skip-sanitize-payload"), x("ACL SETUSER x2 ~ %X~ "), x("ACL SETUSER x2 %~a"),
		x("ACL SETUSER x2 +client|foo"), x("ACL SETUSER x2 -sentinel|masters"), x("ACL SETUSER x2 +ping|x +ping|y"),
		x("ACL SETUSER x2 +client|id|x"), x("ACL SETUSER x2 +ping|"), x("ACL SETUSER x2 +get"), x("ACL SETUSER x2 +@foo"),
		x("ACL SETUSER x2 allkeys ~a"), x("ACL SETUSER x2 resetkeys allchannels &a"), x("ACL SETUSER x2 +@ALL"),
		x("ACL SETUSER x2 -@pubsub +publish +@admin -@dangerous"), x(`ACL SETUSER x2 "(on)"`), x(`ACL SETUSER x2 "(" ")"`),
		x(`ACL SETUSER x2 ""`), x("ACL SETUSER x2 ON NOPASS Reset"),
		x("ACL SETUSER x3 -@all +@connection -client +@pubsub -subscribe +role"),
		x("ACL SETUSER x4 +@all -@slow +sentinel|masters"),
		x("ACL SETUSER x5 -@all +sentinel +acl|whoami +ping|extra"),
		c("ACL LIST", aclListShape), c("ACL GETUSER x3", getUserShape), c("ACL GETUSER x4", getUserShape),
		c("ACL GETUSER x5", getUserShape),
		x("ACL DRYRUN u2 ping"), x("ACL DRYRUN carol role"), x("ACL DRYRUN carol subscribe x"),
		x("ACL DRYRUN nosuch ping"), x("ACL DRYRUN u2 nosuch"), x("ACL DRYRUN u2 ping a b"), x("ACL DRYRUN u2"),
		x("ACL DRYRUN x5 ping extra"), x("ACL DRYRUN x5 ping other"), x("ACL DRYRUN x2 client foo"),
		x("ACL SETUSER dave on nopass +@all &news*"), x("ACL DRYRUN dave publish news1 x"), x("ACL DRYRUN dave publish other x"),
		x("ACL DRYRUN dave psubscribe news*"), x("ACL DRYRUN dave psubscribe n*"), x("ACL DRYRUN dave subscribe news1 other"),
		x("ACL DELUSER u1 nosuch"), x("ACL DELUSER default"), x("ACL DELUSER"), x("ACL USERS"),
		x("ACL CAT"), x("ACL CAT foo"), c("ACL CAT pubsub", asSet), c("ACL CAT CONNECTION", asSet), c("ACL CAT string", asSet),
		x("ACL CAT a b"), c("ACL GENPASS", length), c("ACL GENPASS 5", length), c("ACL GENPASS 4096", length),
		x("ACL GENPASS 0"), x("ACL GENPASS 4097"), x("ACL GENPASS x"), x("ACL GENPASS 1 2"),
		x("ACL LOG RESET"), x("AUTH nosuchuser x"), x("auth u2 wrong"), x("HeLLo 2 AUTH u2 bad"), x("AUTH u2 wrong"),
		c("ACL LOG", aclLogShape), c("ACL LOG 1", aclLogShape), x("ACL LOG x"), x("ACL LOG -1"), x("ACL LOG 0"),
		x("ACL LOG 1 2"), x("ACL HELP"), x("ACL LOAD"), x("ACL SAVE"),
		x("AUTH u2 p1"), x("ACL WHOAMI"), x("AUTH carol x"), x("ACL WHOAMI"), x("PING"), x("ROLE"), x("SUBSCRIBE news"),
		x("PUBLISH __sentinel__:hello x"), x("CLIENT ID"), c("HELLO 2 AUTH dave x", hello), x("SUBSCRIBE other"),
		x("PSUBSCRIBE n*"), n("SUBSCRIBE news1 news2", 2), x("PUBLISH __sentinel__:hello x"), x("PUNSUBSCRIBE"),
		n("UNSUBSCRIBE news2 news1", 2), c("HELLO 2 AUTH u2 p1", hello), c("ACL LOG 4", aclLogShape),
	}},
	{"pubsub-resp2", []step{
		n("PSUBSCRIBE a* b*", 2), x("SUBSCRIBE c"), x("PING"), x("PING x"), x("ROLE"), x("INFO"), x("foo"),
		x("SENTINEL"), x("CLIENT foo"), x("AUTH x"), x("HELLO 4"), c("HELLO", hello), x("PUBLISH a b"),
		x("UNSUBSCRIBE"), n("PUNSUBSCRIBE a* zz", 2), x("PING"), x("PUNSUBSCRIBE"), x("PING"), x("UNSUBSCRIBE"),
		n("SUBSCRIBE x x y", 3), n("UNSUBSCRIBE y y", 2), x("UNSUBSCRIBE"),
	}},
	{"pubsub-resp3", []step{
		c("HELLO 3", hello), x("PING"), x("PING x"), n("PSUBSCRIBE a* b*", 2), x("SUBSCRIBE c"), x("PING"), x("ROLE"),
		x("INFO nosuch"), x("CLIENT TRACKINGINFO"), x("ACL GETUSER default"), c("CLIENT INFO", clientShape),
		c("COMMAND INFO ping client", canonInfo), c("COMMAND DOCS ping client", canonDocs), x("ACL LOG 0"),
		x("UNSUBSCRIBE"), n("PUNSUBSCRIBE a* b*", 2), x("UNSUBSCRIBE"), x("SENTINEL GET-MASTER-ADDR-BY-NAME nosuch"),
		x("CLIENT GETNAME"), x("COMMAND DOCS nosuch"), x("COMMAND INFO nosuch"), x("ACL GETUSER nosuch"),
		c("HELLO 2 SETNAME x", hello) /* back to RESP2 */, x("CLIENT GETNAME"), x("SENTINEL GET-MASTER-ADDR-BY-NAME nosuch"),
	}},
	{"protocol-unexpected", []step{x("*2\r\n$3\r\nfoo\r\n:1\r\n")}},
	{"protocol-multibulk", []step{n("PING\r\n*x\r\n", 2)}},
	{"protocol-bulk", []step{x("*1\r\n$-5\r\n")}},
	{"protocol-quotes", []step{x(`PING "unbalanced`)}},
	{"protocol-inline-quote", []step{x(`PING "a"b`)}},
	{"empty-requests", []step{x("*0\r\n*-1\r\n\r\n  \r\nPING")}},
}

// authSessions run against servers that require a password and have more users.
var authUsers = []string{
	"user alice on >apw +@all ~* &*",
	"user bob off >bpw +@all",
	"user carol on nopass -@all +ping +auth +hello &news",
}

var authSessions = []session{
	{"noauth", []step{
		x("PING"), x("foo bar"), x("PING a b"), x("CLIENT ID"), x("CLIENT foo"), x("CLIENT ID x"), x("SENTINEL"),
		x("SENTINEL foo"), x("HELLO"), x("HELLO 3"), x("HELLO 3 AUTH default wrong"), x("AUTH wrong"),
		x("AUTH bob bpw"), x("AUTH x y z"), x("SUBSCRIBE a"), x("COMMAND COUNT"), x("ACL WHOAMI"),
		c("HELLO 3 AUTH alice apw SETNAME n1", hello), x("ACL WHOAMI"), c("ACL LIST", aclListShape),
		x("AUTH carol anything"), x("ACL WHOAMI"), x("PING"), x("ROLE"), x("SUBSCRIBE news"), x("AUTH secret"),
		x("ACL WHOAMI"), c("ACL LOG 10", aclLogShape),
	}},
	{"hello-auth", []step{c("HELLO 2 AUTH default secret", hello), x("ACL WHOAMI"), x("AUTH x")}},
}

func TestDifferential(t *testing.T) {
	real := startRealSentinel(t)
	_, ours := startServer(t, Options{})
	runSessions(t, real, ours, diffSessions)
}

func TestDifferentialAuth(t *testing.T) {
	real := startRealSentinel(t, append([]string{"requirepass secret"}, authUsers...)...)
	var users [][]string
	for _, u := range authUsers {
		users = append(users, strings.Fields(u)[1:])
	}
	_, ours := startServer(t, Options{RequirePass: "secret", Users: users})
	runSessions(t, real, ours, authSessions)
}

func runSessions(t *testing.T, real, ours string, sessions []session) {
	for _, s := range sessions {
		t.Run(s.name, func(t *testing.T) {
			rc, oc := dialRaw(t, real), dialRaw(t, ours)
			for _, st := range s.steps {
				req := st.req
				if !strings.HasSuffix(req, "\r\n") {
					req += "\r\n"
				}
				rc.send(req)
				oc.send(req)
				for i := range st.replies {
					want, got := st.cmp(t, rc.read()), st.cmp(t, oc.read())
					if want != got {
						t.Errorf("%q reply %d:\nredis-sentinel: %q\nours:           %q", st.req, i, want, got)
					}
				}
			}
			if strings.HasPrefix(s.name, "protocol-") {
				if !rc.closed() || !oc.closed() {
					t.Error("a protocol error must close the connection")
				}
				return
			}
			// Nothing more may arrive on either side; a PING proves both are in step.
			if r, o := rc.do("PING"), oc.do("PING"); r != o {
				t.Errorf("after the session: redis-sentinel %q, ours %q", r, o)
			}
		})
	}
}

// TestDifferentialConfigUsers checks how config "user" lines define users: the default
// user is reset first, so a line without permissions takes its permissions away.
func TestDifferentialConfigUsers(t *testing.T) {
	lines := []string{"user default on >pw", "user ops on >o +@all ~* (+ping &x)"}
	real := startRealSentinel(t, lines...)
	var users [][]string
	for _, u := range lines {
		users = append(users, strings.Fields(u)[1:])
	}
	_, ours := startServer(t, Options{Users: users})
	runSessions(t, real, ours, []session{{"config-users", []step{
		x("PING"), x("AUTH pw"), x("PING"), x("ACL WHOAMI"), x("AUTH ops o"), c("ACL LIST", aclListShape),
		c("ACL GETUSER default", getUserShape), c("ACL GETUSER ops", getUserShape),
	}}})
}
