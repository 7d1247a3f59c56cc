package config

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestStateFile(t *testing.T) {
	dir := t.TempDir()
	main := "sentinel state-config-file state.conf\nsentinel monitor m 127.0.0.1 6379 2\nsentinel known-replica m 127.0.0.1 7001\nsentinel monitor gone 127.0.0.1 1 1\n"
	p := writeFile(t, dir, "s.conf", main)
	if err := os.Chmod(p, 0o444); err != nil {
		t.Fatal(err)
	}
	c := mustLoad(t, p)
	if c.StateFile() != filepath.Join(dir, "state.conf") {
		t.Fatalf("state file %q", c.StateFile())
	}
	c.MyID = strings.Repeat("c", 40)
	m := c.Master("m")
	m.Host, m.Port = "127.0.0.1", 7001
	m.KnownReplicas = []Addr{{"127.0.0.1", 6379}}
	m.ConfigEpoch, m.LeaderEpoch, m.Leader = 3, 4, strings.Repeat("d", 40)
	c.CurrentEpoch = 4
	added := NewMaster("added", "127.0.0.1", 9, 1)
	added.AuthPass = "x y"
	c.Masters = append(c.Masters, added)
	if err := c.Rewrite(); err != nil {
		t.Fatal(err)
	}
	if read(t, p) != main {
		t.Fatal("the main file changed")
	}
	// The user removes a master from the main file: its state is dropped.
	if err := os.Chmod(p, 0o644); err != nil {
		t.Fatal(err)
	}
	writeFile(t, dir, "s.conf", strings.Replace(main, "sentinel monitor gone 127.0.0.1 1 1\n", "", 1))
	c2 := mustLoad(t, p)
	m2 := c2.Master("m")
	if c2.MyID != c.MyID || c2.CurrentEpoch != 4 || m2.Host != "127.0.0.1" || m2.Port != 7001 || m2.Quorum != 2 ||
		m2.ConfigEpoch != 3 || m2.LeaderEpoch != 4 || m2.Leader != m.Leader ||
		len(m2.KnownReplicas) != 1 || m2.KnownReplicas[0].Port != 6379 {
		t.Errorf("state not restored: %+v %+v\n%s", c2, m2, read(t, c.StateFile()))
	}
	if a := c2.Master("added"); a == nil || a.AuthPass != "x y" {
		t.Errorf("master added at run time not restored: %+v", a)
	}
	if c2.Master("gone") != nil {
		t.Error("removed master came back")
	}
	state := read(t, c.StateFile())
	if !strings.Contains(state, "sentinel leader m "+m.Leader+"\n") || !strings.HasPrefix(state, "# Sentinel state") {
		t.Errorf("state file:\n%s", state)
	}
}

func TestStateFileErrorsNameTheFile(t *testing.T) {
	dir := t.TempDir()
	p := writeFile(t, dir, "s.conf", "sentinel state-config-file st.conf\nsentinel monitor m 127.0.0.1 1 1\n")
	writeFile(t, dir, "st.conf", "sentinel myid short\n")
	_, err := Load(p, nil)
	var le *LineError
	if !errors.As(err, &le) || le.File != filepath.Join(dir, "st.conf") || le.Line != 1 || !strings.Contains(err.Error(), "st.conf") {
		t.Errorf("got %v", err)
	}
}

func TestYAML(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "ok.sh", "#!/bin/sh\n")
	if err := os.Chmod(filepath.Join(dir, "ok.sh"), 0o755); err != nil {
		t.Fatal(err)
	}
	y := `port: 26390
bind: [127.0.0.1, "::1"]
protected-mode: yes
logformat: json
requirepass: "se cret"
users:
  - name: alice
    rules: ["on", ">pw", "~*", "+@all"]
rename-command: {ping: PONG}
options: {maxmemory: 1048576, tls-port: 0}
sentinel:
  myid: 0123456789012345678901234567890123456789
  deny-scripts-reconfig: false
  masters:
    - name: m
      host: 127.0.0.1
      port: 6379
      quorum: 2
      down-after-milliseconds: 5000
      notification-script: ` + dir + `/ok.sh
      auth-pass: "a b"
      rename-command: {CONFIG: ""}
      known-replicas: [{host: 127.0.0.1, port: 7001}]
      known-sentinels: [{host: 127.0.0.1, port: 26391, runid: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa}]
`
	p := writeFile(t, dir, "s.yaml", y)
	c := mustLoad(t, p)
	m := c.Master("m")
	if c.Port != 26390 || len(c.Bind) != 2 || !c.ProtectedMode || c.LogFormat != "json" || c.RequirePass != "se cret" ||
		c.DenyScriptsReconfig || c.RenameCommands["ping"] != "PONG" || c.Options["maxmemory"][0] != "1mb" ||
		m == nil || m.DownAfter.Milliseconds() != 5000 || m.AuthPass != "a b" || len(m.KnownReplicas) != 1 ||
		len(m.KnownSentinels) != 1 || m.RenameCommands["config"] != "" || len(c.Users) != 1 {
		t.Fatalf("yaml: %+v %+v", c, m)
	}
	// The YAML is never rewritten; the state goes beside it.
	c.CurrentEpoch = 9
	if err := c.Rewrite(); err != nil {
		t.Fatal(err)
	}
	if read(t, p) != y {
		t.Error("YAML rewritten")
	}
	if c2 := mustLoad(t, p); c2.CurrentEpoch != 9 {
		t.Errorf("state not read back: %d", c2.CurrentEpoch)
	}

	for _, bad := range []struct{ yaml, want string }{
		{"port: 1\nbogus: 2\n", "line 2"},
		{"sentinel:\n  masters:\n    - name: m\n      host: h\n      port: 1\n      quorum: 1\n", "config: " + filepath.Join(dir, "bad.yaml") + ": line 3: Can't resolve instance hostname."},
		{"sentinel:\n  masters:\n    - name: m\n      host: 127.0.0.1\n      port: 1\n      quorum: 0\n", "line 3: Quorum must be 1 or greater."},
		{"protected-mode: maybe\n", "line 1: argument must be 'yes' or 'no'"},
		{"sentinel:\n  masters:\n    - name: m\n      color: red\n", "line 4"},
	} {
		_, err := Load(writeFile(t, dir, "bad.yaml", bad.yaml), nil)
		if err == nil || !strings.Contains(err.Error(), bad.want) {
			t.Errorf("%q: got %v, want %q", bad.yaml, err, bad.want)
		}
	}
}
