package packaging

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/sentinel-go/sentinel/config"
	"github.com/sentinel-go/sentinel/e2e/sentinelbin"
)

// repoRoot is the module root: builds run from there, as the Dockerfile's comment says.
const repoRoot = ".."

// Where the image and the unit put the binary.
const (
	imageBinary = "/sentinel"
	unitBinary  = "/usr/local/bin/sentinel"
)

func readFile(t *testing.T, name string) string {
	t.Helper()
	data, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

// --- Dockerfile ---

// instruction is one Dockerfile instruction with its continuation lines joined.
type instruction struct {
	line  int               // where it starts, for messages
	cmd   string            // upper case: FROM, RUN, COPY, ...
	flags map[string]string // leading --name=value words (COPY --from, HEALTHCHECK --interval)
	args  string            // the rest
}

// exec returns the arguments in exec (JSON array) form, or false for the shell form.
func (in instruction) exec() ([]string, bool) {
	var words []string
	if !strings.HasPrefix(in.args, "[") || json.Unmarshal([]byte(in.args), &words) != nil {
		return nil, false
	}
	return words, true
}

// parseDockerfile splits a Dockerfile into instructions as BuildKit does with the default
// escape character: a trailing backslash continues the line, and comment and blank lines
// are dropped even inside a continuation. Parser directives (# syntax=) are comments here.
func parseDockerfile(text string) ([]instruction, error) {
	var out []instruction
	var cur strings.Builder
	start := 0
	sc := bufio.NewScanner(strings.NewReader(text))
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if cur.Len() == 0 {
			start = n
		} else {
			cur.WriteByte(' ')
		}
		body, more := strings.CutSuffix(line, `\`)
		cur.WriteString(strings.TrimSpace(body))
		if more {
			continue
		}
		in, err := parseInstruction(start, cur.String())
		if err != nil {
			return nil, err
		}
		out = append(out, in)
		cur.Reset()
	}
	if cur.Len() > 0 {
		return nil, fmt.Errorf("line %d: continuation at the end of the file", start)
	}
	return out, sc.Err()
}

func parseInstruction(line int, s string) (instruction, error) {
	cmd, rest, _ := strings.Cut(s, " ")
	in := instruction{line: line, cmd: strings.ToUpper(cmd), flags: map[string]string{}}
	rest = strings.TrimSpace(rest)
	for strings.HasPrefix(rest, "--") {
		word, tail, _ := strings.Cut(rest, " ")
		name, value, ok := strings.Cut(word[2:], "=")
		if !ok {
			return in, fmt.Errorf("line %d: flag %s without a value", line, word)
		}
		in.flags[name] = value
		rest = strings.TrimSpace(tail)
	}
	if rest == "" {
		return in, fmt.Errorf("line %d: %s without arguments", line, in.cmd)
	}
	in.args = rest
	return in, nil
}

// stage is one FROM and the instructions up to the next.
type stage struct {
	image, name string
	ins         []instruction
}

func stages(ins []instruction) ([]stage, error) {
	var out []stage
	for _, in := range ins {
		if in.cmd == "FROM" {
			f := strings.Fields(in.args)
			s := stage{image: f[0]}
			if len(f) == 3 && strings.EqualFold(f[1], "AS") {
				s.name = f[2]
			}
			out = append(out, s)
			continue
		}
		if len(out) == 0 {
			if in.cmd == "ARG" {
				continue // an ARG before FROM is global
			}
			return nil, fmt.Errorf("line %d: %s before FROM", in.line, in.cmd)
		}
		out[len(out)-1].ins = append(out[len(out)-1].ins, in)
	}
	if len(out) == 0 {
		return nil, errors.New("no FROM")
	}
	return out, nil
}

// last returns the stage's last instruction named cmd (the one that takes effect).
func (s stage) last(cmd string) (instruction, bool) {
	for i := len(s.ins) - 1; i >= 0; i-- {
		if s.ins[i].cmd == cmd {
			return s.ins[i], true
		}
	}
	return instruction{}, false
}

// shellCommands splits a RUN's shell form into its simple commands' words, enough to
// find the go build among `a && b && c`.
func shellCommands(s string) [][]string {
	var out [][]string
	for _, part := range strings.FieldsFunc(strings.ReplaceAll(s, "&&", ";"), func(r rune) bool { return r == ';' }) {
		if f := strings.Fields(part); len(f) > 0 {
			out = append(out, f)
		}
	}
	return out
}

// goDirective returns go.mod's `go` version.
func goDirective(t *testing.T) string {
	t.Helper()
	for _, line := range strings.Split(readFile(t, filepath.Join(repoRoot, "go.mod")), "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), "go "); ok {
			return strings.TrimSpace(v)
		}
	}
	t.Fatal("go.mod has no go line")
	return ""
}

func TestDockerfile(t *testing.T) {
	ins, err := parseDockerfile(readFile(t, "Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	st, err := stages(ins)
	if err != nil {
		t.Fatal(err)
	}
	final := st[len(st)-1]

	// The final stage: distroless static (the binary is CGO-free), its nonroot variant.
	repo, tag, _ := strings.Cut(final.image, ":")
	if !strings.HasPrefix(repo, "gcr.io/distroless/static") || !strings.HasSuffix(tag, "nonroot") {
		t.Errorf("final stage FROM %s, want gcr.io/distroless/static*:*nonroot", final.image)
	}
	if in, ok := final.last("USER"); !ok {
		t.Error("final stage has no USER: the base image's default would decide")
	} else if user, _, _ := strings.Cut(in.args, ":"); user == "root" || user == "0" {
		t.Errorf("line %d: USER %s", in.line, in.args)
	}
	if in, ok := final.last("VOLUME"); !ok {
		t.Error("no VOLUME: the rewritten config would die with the container")
	} else if words, ok := in.exec(); !ok && !slices.Contains(strings.Fields(in.args), "/data") || ok && !slices.Contains(words, "/data") {
		t.Errorf("line %d: VOLUME %s, want /data", in.line, in.args)
	}

	entry, ok := final.last("ENTRYPOINT")
	if words, isExec := entry.exec(); !ok || !isExec || len(words) != 1 || words[0] != imageBinary {
		// The shell form would need a shell, which distroless lacks, and would not
		// pass the container's arguments on.
		t.Errorf("ENTRYPOINT %q, want exec form [%q]", entry.args, imageBinary)
	}

	exposed := map[string]bool{}
	for _, in := range final.ins {
		if in.cmd == "EXPOSE" {
			for _, p := range strings.Fields(in.args) {
				exposed[strings.TrimSuffix(p, "/tcp")] = true
			}
		}
	}
	if hc, ok := final.last("HEALTHCHECK"); !ok {
		t.Error("no HEALTHCHECK")
	} else {
		// No shell and no curl in the image: the probe must be the binary itself.
		cmd, rest, _ := strings.Cut(hc.args, " ")
		hc.args = strings.TrimSpace(rest)
		words, isExec := hc.exec()
		i := slices.Index(words, "--healthcheck")
		switch {
		case !strings.EqualFold(cmd, "CMD") || !isExec:
			t.Errorf("line %d: HEALTHCHECK %s %s, want CMD in exec form", hc.line, cmd, hc.args)
		case len(words) == 0 || words[0] != imageBinary || i < 0 || i+1 >= len(words):
			t.Errorf("line %d: HEALTHCHECK CMD %q, want [%q --healthcheck <addr>]", hc.line, words, imageBinary)
		default:
			if _, port, err := net.SplitHostPort(words[i+1]); err != nil || !exposed[port] {
				t.Errorf("line %d: health check address %s is not host:<an EXPOSEd port> (EXPOSE %v)", hc.line, words[i+1], exposed)
			}
		}
	}

	// The binary comes from a build stage: the one the final stage copies /sentinel from.
	var build *stage
	var built string
	for _, in := range final.ins {
		if f := strings.Fields(in.args); in.cmd == "COPY" && in.flags["from"] != "" && len(f) == 2 && f[1] == imageBinary {
			built = f[0]
			for i := range st {
				if st[i].name == in.flags["from"] {
					build = &st[i]
				}
			}
		}
	}
	if build == nil {
		t.Fatalf("the final stage copies no %s from a named build stage", imageBinary)
	}

	// The toolchain the image builds with is the one go.mod asks for.
	want := goDirective(t)
	repo, tag, _ = strings.Cut(build.image, ":")
	if version, _, _ := strings.Cut(tag, "-"); repo != "golang" || version != want {
		t.Errorf("build stage FROM %s, want golang:%s (go.mod)", build.image, want)
	}

	cgoOff := false
	for _, in := range build.ins {
		if in.cmd == "ENV" && slices.Contains(strings.Fields(in.args), "CGO_ENABLED=0") {
			cgoOff = true
		}
	}
	var goBuild []string
	for _, in := range build.ins {
		if in.cmd != "RUN" {
			continue
		}
		for _, c := range shellCommands(in.args) {
			// Skip leading VAR=value assignments to find the command itself.
			j := 0
			for j < len(c) && strings.Contains(c[j], "=") && !strings.HasPrefix(c[j], "-") {
				j++
			}
			if len(c) > j+1 && c[j] == "go" && c[j+1] == "build" {
				goBuild = c
				cgoOff = cgoOff || slices.Contains(c[:j], "CGO_ENABLED=0")
			}
		}
	}
	if goBuild == nil {
		t.Fatal("build stage has no go build")
	}
	if !cgoOff {
		t.Errorf("go build without CGO_ENABLED=0: the binary would need a libc distroless/static lacks: %q", goBuild)
	}
	if !slices.Contains(goBuild, "-trimpath") {
		t.Errorf("go build without -trimpath: %q", goBuild)
	}
	if i := slices.Index(goBuild, "-o"); i < 0 || i+1 >= len(goBuild) || goBuild[i+1] != built {
		t.Errorf("go build %q does not write %s, which the final stage copies", goBuild, built)
	}
}

func TestParseDockerfile(t *testing.T) {
	ins, err := parseDockerfile("# syntax=docker/dockerfile:1\nFROM a AS b\nRUN x \\\n # inside\n\n  && y\nHEALTHCHECK --interval=1s \\\n  CMD [\"/b\"]\n")
	if err != nil {
		t.Fatal(err)
	}
	if len(ins) != 3 || ins[1].args != "x && y" || ins[1].line != 3 || ins[2].flags["interval"] != "1s" || ins[2].args != `CMD ["/b"]` {
		t.Errorf("got %+v", ins)
	}
	if _, err := parseDockerfile("RUN x \\\n"); err == nil {
		t.Error("a trailing continuation parsed")
	}
}

// TestDockerImage builds the image and runs --version in it wherever a Docker daemon
// answers; SENTINEL_DOCKER_BUILD=0 (or -short) skips the slow build.
func TestDockerImage(t *testing.T) {
	if os.Getenv("SENTINEL_DOCKER_BUILD") == "0" || testing.Short() {
		t.Skip("SENTINEL_DOCKER_BUILD=0 or -short: the image build is skipped")
	}
	if _, err := exec.LookPath("docker"); err != nil {
		t.Skip("no docker command")
	}
	if out, err := exec.Command("docker", "info").CombinedOutput(); err != nil {
		t.Skipf("docker info fails (no daemon?): %v\n%s", err, lastLine(out))
	}
	tag := "sentinel-packaging-test:" + strconv.Itoa(os.Getpid())
	build := exec.Command("docker", "build", "-f", "packaging/Dockerfile", "-t", tag, ".")
	build.Dir = repoRoot
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("docker build: %v\n%s", err, out)
	}
	t.Cleanup(func() { _ = exec.Command("docker", "image", "rm", "-f", tag).Run() })
	out, err := exec.Command("docker", "run", "--rm", tag, "--version").CombinedOutput()
	if err != nil || !strings.HasPrefix(string(out), "sentinel") {
		t.Fatalf("docker run %s --version: %v\n%s", tag, err, out)
	}
	t.Logf("%s", out)
}

func lastLine(b []byte) string {
	s := strings.TrimSpace(string(b))
	return s[strings.LastIndexByte(s, '\n')+1:]
}

// --- systemd unit ---

// unit is a unit file: section -> key -> values in order (keys may repeat).
type unit map[string]map[string][]string

// get returns the last value of key, the one systemd applies for a single-valued key.
func (u unit) get(section, key string) string {
	v := u[section][key]
	if len(v) == 0 {
		return ""
	}
	return v[len(v)-1]
}

// parseUnit reads the systemd.syntax(7) subset a unit uses: [Section] headers, Key=Value
// lines, # and ; comments, trailing-backslash continuations.
func parseUnit(text string) (unit, error) {
	u := unit{}
	section := ""
	lines := strings.Split(text, "\n")
	for i := 0; i < len(lines); i++ {
		n := i + 1
		line := strings.TrimSpace(lines[i])
		for strings.HasSuffix(line, `\`) && i+1 < len(lines) {
			i++
			line = strings.TrimSpace(strings.TrimSuffix(line, `\`)) + " " + strings.TrimSpace(lines[i])
		}
		switch {
		case line == "" || line[0] == '#' || line[0] == ';':
		case line[0] == '[' && line[len(line)-1] == ']':
			section = line[1 : len(line)-1]
			if u[section] == nil {
				u[section] = map[string][]string{}
			}
		case section == "":
			return nil, fmt.Errorf("line %d: %q before any section", n, line)
		default:
			key, value, ok := strings.Cut(line, "=")
			if !ok {
				return nil, fmt.Errorf("line %d: %q is not Key=Value", n, line)
			}
			key = strings.TrimSpace(key)
			u[section][key] = append(u[section][key], strings.TrimSpace(value))
		}
	}
	return u, nil
}

func TestSystemdUnit(t *testing.T) {
	u, err := parseUnit(readFile(t, "sentinel.service"))
	if err != nil {
		t.Fatal(err)
	}
	// notify: systemd waits for READY=1 (after the config is loaded and the port bound)
	// instead of calling a sentinel that is about to exit "started".
	if got := u.get("Service", "Type"); got != "notify" {
		t.Errorf("Type=%s, want notify", got)
	}
	start := strings.Fields(u.get("Service", "ExecStart"))
	if len(start) < 2 || start[0] != unitBinary {
		t.Fatalf("ExecStart=%q, want %s <config> ...", start, unitBinary)
	}
	// Without it the daemon never sends READY=1 and systemd kills it at TimeoutStartSec.
	if i := slices.Index(start, "--supervised"); i < 0 || i+1 >= len(start) || start[i+1] != "systemd" {
		t.Errorf("ExecStart=%q lacks --supervised systemd", start)
	}
	if user := u.get("Service", "User"); user == "" || user == "root" || user == "0" {
		t.Errorf("User=%q, want a dedicated user", user)
	}
	if got := u.get("Service", "NoNewPrivileges"); got != "yes" {
		t.Errorf("NoNewPrivileges=%q, want yes", got)
	}
	// ProtectSystem=strict makes /etc read-only, and the sentinel rewrites its config.
	if u.get("Service", "ProtectSystem") == "strict" {
		conf := start[1]
		writable := false
		for _, v := range u["Service"]["ReadWritePaths"] {
			for _, p := range strings.Fields(v) {
				writable = writable || within(strings.TrimLeft(p, "-"), conf)
			}
		}
		if !writable {
			t.Errorf("config %s is not under ReadWritePaths=%q, yet ProtectSystem=strict", conf, u["Service"]["ReadWritePaths"])
		}
	}
}

func TestParseUnit(t *testing.T) {
	u, err := parseUnit("# c\n[Service]\nExecStart=/a \\\n  b\nX=1\nX=2\n")
	if err != nil {
		t.Fatal(err)
	}
	if u.get("Service", "ExecStart") != "/a b" || u.get("Service", "X") != "2" {
		t.Errorf("got %v", u)
	}
	for _, bad := range []string{"X=1\n", "[Service]\nnot a key\n"} {
		if _, err := parseUnit(bad); err == nil {
			t.Errorf("%q parsed", bad)
		}
	}
}

// TestSystemdAnalyzeVerify runs systemd's own checker on the unit, with ExecStart pointed
// at a freshly built binary (verify refuses a command that does not exist). It reports
// nothing about what it cannot see here (the sentinel user need not exist), but a bad key,
// value or command names the file or the unit, and those lines fail the test: verify
// exits 0 on most of them ("Unknown key ..., ignoring").
func TestSystemdAnalyzeVerify(t *testing.T) {
	if _, err := exec.LookPath("systemd-analyze"); err != nil {
		t.Skip("no systemd-analyze")
	}
	dir := t.TempDir()
	bin, err := sentinelbin.Build(dir)
	if err != nil {
		t.Fatal(err)
	}
	text := readFile(t, "sentinel.service")
	if !strings.Contains(text, "ExecStart="+unitBinary+" ") {
		t.Fatalf("no ExecStart=%s in the unit", unitBinary)
	}
	file := filepath.Join(dir, "sentinel.service")
	text = strings.Replace(text, "ExecStart="+unitBinary+" ", "ExecStart="+bin+" ", 1)
	if err := os.WriteFile(file, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("systemd-analyze", "verify", file).CombinedOutput()
	var about []string
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		if strings.Contains(line, "sentinel.service") {
			about = append(about, line)
		}
	}
	if len(about) > 0 {
		t.Fatalf("systemd-analyze verify reports on the unit:\n%s", strings.Join(about, "\n"))
	}
	if err != nil {
		t.Skipf("systemd-analyze verify cannot run here (%v), saying nothing about the unit:\n%s", err, out)
	}
}

// within reports whether p is dir or below it (both absolute, slash-separated).
func within(dir, p string) bool {
	rel, err := filepath.Rel(dir, p)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, "../") && !filepath.IsAbs(rel)
}

// --- Kubernetes manifest ---

type meta struct {
	Name   string            `yaml:"name"`
	Labels map[string]string `yaml:"labels"`
}

type selector struct {
	MatchLabels map[string]string `yaml:"matchLabels"`
}

type configMap struct {
	Metadata meta              `yaml:"metadata"`
	Data     map[string]string `yaml:"data"`
}

type service struct {
	Metadata meta `yaml:"metadata"`
	Spec     struct {
		ClusterIP                string            `yaml:"clusterIP"`
		PublishNotReadyAddresses bool              `yaml:"publishNotReadyAddresses"`
		Selector                 map[string]string `yaml:"selector"`
		Ports                    []struct {
			Name       string `yaml:"name"`
			Port       int    `yaml:"port"`
			TargetPort string `yaml:"targetPort"` // a number or a container port's name
		} `yaml:"ports"`
	} `yaml:"spec"`
}

type probe struct {
	HTTPGet *struct {
		Path string `yaml:"path"`
		Port string `yaml:"port"` // a number or a container port's name
	} `yaml:"httpGet"`
}

type container struct {
	Name string   `yaml:"name"`
	Args []string `yaml:"args"`
	Env  []struct {
		Name      string `yaml:"name"`
		ValueFrom struct {
			FieldRef struct {
				FieldPath string `yaml:"fieldPath"`
			} `yaml:"fieldRef"`
		} `yaml:"valueFrom"`
	} `yaml:"env"`
	Ports []struct {
		Name          string `yaml:"name"`
		ContainerPort int    `yaml:"containerPort"`
	} `yaml:"ports"`
	ReadinessProbe  probe `yaml:"readinessProbe"`
	LivenessProbe   probe `yaml:"livenessProbe"`
	SecurityContext struct {
		AllowPrivilegeEscalation *bool `yaml:"allowPrivilegeEscalation"`
		ReadOnlyRootFilesystem   bool  `yaml:"readOnlyRootFilesystem"`
		Capabilities             struct {
			Drop []string `yaml:"drop"`
		} `yaml:"capabilities"`
	} `yaml:"securityContext"`
	VolumeMounts []struct {
		Name      string `yaml:"name"`
		MountPath string `yaml:"mountPath"`
		ReadOnly  bool   `yaml:"readOnly"`
	} `yaml:"volumeMounts"`
}

// port resolves a probe's or a Service's port, a number or a name, to a number.
func (c container) port(p string) int {
	for _, cp := range c.Ports {
		if cp.Name == p {
			return cp.ContainerPort
		}
	}
	n, _ := strconv.Atoi(p)
	return n
}

func (c container) mount(volume string) (path string, readOnly bool) {
	for _, m := range c.VolumeMounts {
		if m.Name == volume {
			return m.MountPath, m.ReadOnly
		}
	}
	return "", false
}

type statefulSet struct {
	Metadata meta `yaml:"metadata"`
	Spec     struct {
		ServiceName         string   `yaml:"serviceName"`
		Replicas            int      `yaml:"replicas"`
		PodManagementPolicy string   `yaml:"podManagementPolicy"`
		Selector            selector `yaml:"selector"`
		Template            struct {
			Metadata meta `yaml:"metadata"`
			Spec     struct {
				SecurityContext struct {
					RunAsNonRoot bool  `yaml:"runAsNonRoot"`
					RunAsUser    int64 `yaml:"runAsUser"`
					FSGroup      int64 `yaml:"fsGroup"`
				} `yaml:"securityContext"`
				Containers []container `yaml:"containers"`
				Volumes    []struct {
					Name      string `yaml:"name"`
					ConfigMap *struct {
						Name string `yaml:"name"`
					} `yaml:"configMap"`
				} `yaml:"volumes"`
			} `yaml:"spec"`
		} `yaml:"template"`
		VolumeClaimTemplates []struct {
			Metadata meta `yaml:"metadata"`
		} `yaml:"volumeClaimTemplates"`
	} `yaml:"spec"`
}

type podDisruptionBudget struct {
	Spec struct {
		MaxUnavailable int      `yaml:"maxUnavailable"`
		Selector       selector `yaml:"selector"`
	} `yaml:"spec"`
}

type manifest struct {
	configMaps   []configMap
	services     []service
	statefulSets []statefulSet
	pdbs         []podDisruptionBudget
}

func decodeManifest(t *testing.T, name string) manifest {
	t.Helper()
	f, err := os.Open(name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var m manifest
	dec := yaml.NewDecoder(f)
	for {
		var doc yaml.Node
		if err := dec.Decode(&doc); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		var head struct {
			APIVersion string `yaml:"apiVersion"`
			Kind       string `yaml:"kind"`
		}
		if err := doc.Decode(&head); err != nil {
			t.Fatal(err)
		}
		var target any
		switch head.APIVersion + " " + head.Kind {
		case "v1 ConfigMap":
			m.configMaps = append(m.configMaps, configMap{})
			target = &m.configMaps[len(m.configMaps)-1]
		case "v1 Service":
			m.services = append(m.services, service{})
			target = &m.services[len(m.services)-1]
		case "apps/v1 StatefulSet":
			m.statefulSets = append(m.statefulSets, statefulSet{})
			target = &m.statefulSets[len(m.statefulSets)-1]
		case "policy/v1 PodDisruptionBudget":
			m.pdbs = append(m.pdbs, podDisruptionBudget{})
			target = &m.pdbs[len(m.pdbs)-1]
		default:
			t.Fatalf("line %d: unexpected %s %s", doc.Line, head.APIVersion, head.Kind)
		}
		if err := doc.Decode(target); err != nil {
			t.Fatalf("%s: %v", head.Kind, err)
		}
	}
	if len(m.configMaps) != 1 || len(m.services) != 1 || len(m.statefulSets) != 1 {
		t.Fatalf("%d ConfigMaps, %d Services, %d StatefulSets, want one of each",
			len(m.configMaps), len(m.services), len(m.statefulSets))
	}
	return m
}

// selects reports whether every label of sel is on labels.
func selects(sel, labels map[string]string) bool {
	for k, v := range sel {
		if labels[k] != v {
			return false
		}
	}
	return len(sel) > 0
}

func TestKubernetesManifest(t *testing.T) {
	m := decodeManifest(t, filepath.Join("kubernetes", "sentinel.yaml"))
	cm, svc, sts := m.configMaps[0], m.services[0], m.statefulSets[0]
	pod := sts.Spec.Template.Spec
	labels := sts.Spec.Template.Metadata.Labels

	// Peers find each other by name before they are ready, since being ready takes them.
	if svc.Spec.ClusterIP != "None" || !svc.Spec.PublishNotReadyAddresses {
		t.Errorf("Service %s: clusterIP %q, publishNotReadyAddresses %v; want a headless Service publishing not-ready pods",
			svc.Metadata.Name, svc.Spec.ClusterIP, svc.Spec.PublishNotReadyAddresses)
	}
	if !selects(svc.Spec.Selector, labels) || !selects(sts.Spec.Selector.MatchLabels, labels) {
		t.Errorf("the Service (%v) or the StatefulSet (%v) does not select the pods (%v)",
			svc.Spec.Selector, sts.Spec.Selector.MatchLabels, labels)
	}
	if sts.Spec.ServiceName != svc.Metadata.Name {
		t.Errorf("serviceName %q, the Service is %q: the pods' names would not resolve", sts.Spec.ServiceName, svc.Metadata.Name)
	}
	if sts.Spec.Replicas != 3 || sts.Spec.PodManagementPolicy != "Parallel" {
		t.Errorf("replicas %d, podManagementPolicy %q; want 3, Parallel", sts.Spec.Replicas, sts.Spec.PodManagementPolicy)
	}

	sc := pod.SecurityContext
	if !sc.RunAsNonRoot || sc.RunAsUser != 65532 || sc.FSGroup != 65532 {
		t.Errorf("pod securityContext %+v, want runAsNonRoot, runAsUser and fsGroup 65532 (distroless nonroot)", sc)
	}
	if len(pod.Containers) != 1 {
		t.Fatalf("%d containers, want 1", len(pod.Containers))
	}
	c := pod.Containers[0]
	csc := c.SecurityContext
	if !csc.ReadOnlyRootFilesystem || csc.AllowPrivilegeEscalation == nil || *csc.AllowPrivilegeEscalation ||
		!slices.Equal(csc.Capabilities.Drop, []string{"ALL"}) {
		t.Errorf("container securityContext %+v, want a read-only root, no privilege escalation, all capabilities dropped", csc)
	}

	// The config is the ConfigMap, mounted read-only: the state must go elsewhere.
	var configVolume string
	for _, v := range pod.Volumes {
		if v.ConfigMap != nil && v.ConfigMap.Name == cm.Metadata.Name {
			configVolume = v.Name
		}
	}
	configDir, readOnly := c.mount(configVolume)
	if configDir == "" || !readOnly {
		t.Errorf("ConfigMap %s mounted at %q, readOnly %v; want a read-only mount", cm.Metadata.Name, configDir, readOnly)
	}
	if len(c.Args) == 0 || path.Dir(c.Args[0]) != configDir || cm.Data[path.Base(c.Args[0])] == "" {
		t.Fatalf("args %q: the first is not a file of the ConfigMap under %s", c.Args, configDir)
	}
	if len(sts.Spec.VolumeClaimTemplates) != 1 {
		t.Fatalf("%d volumeClaimTemplates, want 1 for the state", len(sts.Spec.VolumeClaimTemplates))
	}
	dataDir, _ := c.mount(sts.Spec.VolumeClaimTemplates[0].Metadata.Name)
	if dataDir == "" {
		t.Fatal("the claim template is not mounted")
	}

	// Kubernetes expands $(VAR) only for variables the container defines; an undefined
	// one stays as written, and the sentinel would announce "$(POD_NAME)...".
	env := map[string]string{}
	for _, e := range c.Env {
		env[e.Name] = e.ValueFrom.FieldRef.FieldPath
	}
	if env["POD_NAME"] != "metadata.name" || env["POD_NAMESPACE"] != "metadata.namespace" {
		t.Errorf("env %v, want POD_NAME and POD_NAMESPACE from metadata.name and metadata.namespace", env)
	}
	i := slices.Index(c.Args, "announce-ip")
	if i < 1 || c.Args[i-1] != "--sentinel" || i+1 >= len(c.Args) {
		t.Fatalf("args %q lack --sentinel announce-ip <name>", c.Args)
	}
	// The pod's name under the headless Service: what the peers and clients resolve.
	if want := "$(POD_NAME)." + svc.Metadata.Name + ".$(POD_NAMESPACE).svc."; !strings.HasPrefix(c.Args[i+1], want) {
		t.Errorf("announce-ip %s, want %s<cluster domain>", c.Args[i+1], want)
	}

	cfg, orig := loadPodConfig(t, cm.Data[path.Base(c.Args[0])], c.Args[1:])

	// The claim holds the state; relative, it would be relative to the read-only config.
	if !path.IsAbs(orig) {
		orig = path.Join(configDir, orig)
	}
	if !within(dataDir, orig) {
		t.Errorf("state-config-file %s is not on the claimed volume %s", orig, dataDir)
	}
	if want := "sentinel-0." + svc.Metadata.Name + ".ns.svc.cluster.local"; cfg.AnnounceIP != want {
		t.Errorf("announce-ip loaded as %q, want %q", cfg.AnnounceIP, want)
	}
	if !cfg.ResolveHostnames || !cfg.AnnounceHostnames {
		t.Errorf("resolve-hostnames %v, announce-hostnames %v: pod IPs change, their names do not", cfg.ResolveHostnames, cfg.AnnounceHostnames)
	}

	// The probes reach the metrics listener, which must take the kubelet's connections.
	host, port, err := net.SplitHostPort(cfg.MetricsAddress)
	if err != nil {
		t.Fatalf("metrics-address %q: %v", cfg.MetricsAddress, err)
	}
	if ip := net.ParseIP(host); host == "localhost" || ip != nil && ip.IsLoopback() {
		t.Errorf("metrics-address %s is loopback: the kubelet probes the pod's IP", cfg.MetricsAddress)
	}
	for _, p := range []struct {
		name, path string
		probe      probe
	}{{"readinessProbe", "/readyz", c.ReadinessProbe}, {"livenessProbe", "/healthz", c.LivenessProbe}} {
		g := p.probe.HTTPGet
		if g == nil || g.Path != p.path || strconv.Itoa(c.port(g.Port)) != port {
			t.Errorf("%s %+v, want httpGet %s on port %s (metrics-address)", p.name, g, p.path, port)
		}
	}
	// The sentinel port is what the container and the Service expose.
	exposed := false
	for _, sp := range svc.Spec.Ports {
		exposed = exposed || sp.Port == cfg.Port && c.port(sp.TargetPort) == cfg.Port
	}
	if !exposed {
		t.Errorf("port %d is not a Service port reaching the container's port %d", cfg.Port, cfg.Port)
	}

	// A failover needs the quorum and a majority of the sentinels; a voluntary disruption
	// must leave both.
	need := sts.Spec.Replicas/2 + 1
	if len(cfg.Masters) == 0 {
		t.Error("no master monitored")
	}
	for _, master := range cfg.Masters {
		if master.Quorum > sts.Spec.Replicas {
			t.Errorf("master %s: quorum %d of %d sentinels", master.Name, master.Quorum, sts.Spec.Replicas)
		}
		need = max(need, master.Quorum)
	}
	for _, pdb := range m.pdbs {
		if !selects(pdb.Spec.Selector.MatchLabels, labels) || sts.Spec.Replicas-pdb.Spec.MaxUnavailable < need {
			t.Errorf("PodDisruptionBudget %+v: must select the pods and keep %d of %d sentinels", pdb.Spec, need, sts.Spec.Replicas)
		}
	}
}

// loadPodConfig loads the ConfigMap's sentinel.conf with the container's arguments as
// the daemon does, for pod sentinel-0 in namespace ns, and returns the config and the
// state-config-file path as written. That path is moved into a temporary directory first:
// the daemon refuses to start without write access to it (CheckWritable, checked here),
// and an existing file there would be read over the config.
func loadPodConfig(t *testing.T, conf string, args []string) (*config.Config, string) {
	t.Helper()
	dir := t.TempDir()
	state := filepath.Join(dir, "data", "sentinel.state")
	if err := os.Mkdir(filepath.Dir(state), 0o755); err != nil {
		t.Fatal(err)
	}
	var orig string
	lines := strings.Split(conf, "\n")
	for i, line := range lines {
		if f := strings.Fields(line); len(f) == 3 && f[0] == "sentinel" && f[1] == "state-config-file" {
			orig = f[2]
			lines[i] = "sentinel state-config-file " + config.Quote(state)
		}
	}
	if orig == "" {
		t.Fatal("sentinel.conf has no state-config-file: the sentinel would rewrite the read-only ConfigMap")
	}
	file := filepath.Join(dir, "sentinel.conf")
	// Read-only, as the ConfigMap's file is (though root, running the test, may write it).
	if err := os.WriteFile(file, []byte(strings.Join(lines, "\n")), 0o444); err != nil {
		t.Fatal(err)
	}
	r := strings.NewReplacer("$(POD_NAME)", "sentinel-0", "$(POD_NAMESPACE)", "ns")
	extra := make([]string, len(args))
	for i, a := range args {
		extra[i] = r.Replace(a)
	}
	cfg, err := config.Load(file, extra)
	if err != nil {
		t.Fatalf("config.Load(sentinel.conf, %q): %v", extra, err)
	}
	if cfg.StateFile() != state {
		t.Fatalf("state file %q, want %q", cfg.StateFile(), state)
	}
	if err := cfg.CheckWritable(); err != nil {
		t.Fatal(err)
	}
	return cfg, orig
}
