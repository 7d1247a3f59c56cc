package config

import (
	"strings"
	"testing"
)

// TestYAMLKeyErrors: a key a section does not take is refused with yaml.v3's KnownFields
// words and line, in document order with yaml.v3's other errors, merged mappings included,
// as when every key was a struct field.
func TestYAMLKeyErrors(t *testing.T) {
	dir := t.TempDir()
	for _, c := range []struct{ doc, want string }{
		{"port: 1\nbogus: 2\n", "line 2: field bogus not found in type config.yamlFile"},
		{"sentinel:\n  myid: x\n  port: 1\n", "line 3: field port not found in type config.yamlSentinel"},
		{"sentinel:\n  masters:\n    - name: m\n      host: h\n      port: 1\n      quorum: 2\n      myid: x\n",
			"line 7: field myid not found in type config.yamlMaster"},
		{"rename-command: &M {port: 1, bogus: 2}\nport: 3\n<<: *M\nzzz: 1\n",
			"line 4: field zzz not found in type config.yamlFile\n  line 1: field bogus not found in type config.yamlFile"},
		{"port: 1\nbogus: 2\nusers: x\n",
			"line 2: field bogus not found in type config.yamlFile\n  line 3: cannot unmarshal !!str `x` into []config.yamlUser"},
		{"{port: 1, bogus: 2, sentinel: {x: 1, masters: [{name: m, y: 2}]}, z: 3}\n",
			"line 1: field bogus not found in type config.yamlFile\n  line 1: field x not found in type config.yamlSentinel\n" +
				"  line 1: field y not found in type config.yamlMaster\n  line 1: field z not found in type config.yamlFile"},
		{"port: 1\nbogus: 1\nport: 2\n", `line 3: mapping key "port" already defined at line 1`},
	} {
		_, err := Load(writeFile(t, dir, "k.yaml", c.doc), nil)
		if err == nil || !strings.HasSuffix(err.Error(), "yaml: unmarshal errors:\n  "+c.want) {
			t.Errorf("%q: got %v, want ...%q", c.doc, err, c.want)
		}
	}
}
