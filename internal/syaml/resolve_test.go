package syaml

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gopkg.in/yaml.v3"
)

// resolveYAML is resolved the way s preview renders it; the cases below
// read its resource r.
const resolveYAML = `vars:
  a: ${env('A', 'x')}
  n: 42
  hex: 0x1F
  flt: 1.50
  obj:
    k: ${env('A', 'x')}
  chain: pre-${vars.a}
resources:
  r:
    component: fc3
    extend: {name: t, ignore: [drop, m.gone]}
    props:
      list: [3]
      m: {y: over}
      nulled:
      emb: "n=${vars.n} hex=${vars.hex} flt=${vars.flt}"
template:
  t:
    drop: gone
    list: [1, 2]
    m: {x: base, y: base, gone: 1}
    nulled: 5
    num: ${vars.n}
    obj: ${vars.obj}
    s: "${vars.a}"
    twice: ${env('A','x')}-${env("A", "x")}
    chain: ${vars.chain}
`

func TestResolve(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		env  map[string]string
		want map[string]string // path in props -> value|tag
	}{
		{"defaults", nil, map[string]string{
			"num": "42|!!int", "obj.k": "x|!!str", "m.x": "base|!!str", "m.y": "over|!!str", "s": "x|!!str",
			"twice": "x-x|!!str", "chain": "pre-x|!!str", "nulled": "|!!null",
			"emb": "n=42 hex=31 flt=1.5|!!str", "list[0]": "3|!!int",
		}},
		{"env wins", map[string]string{"A": "false"}, map[string]string{
			"obj.k": "false|!!str", "s": "false|!!str", "twice": "false-false|!!str", "chain": "pre-false|!!str",
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d, err := Resolve([]byte(resolveYAML), "/p/s.yaml", envOf(tc.env))
			require.NoError(t, err)
			r := d.Resource("r")
			require.NotNil(t, r)
			assert.Equal(t, "t", r.Template)
			props := r.PropsNode()
			for p, want := range tc.want {
				n := Get(props, p)
				require.NotNil(t, n, p)
				assert.Equal(t, want, n.Value+"|"+n.ShortTag(), p)
			}
			assert.Nil(t, Get(props, "drop"), "extend.ignore drops a template key")
			assert.Nil(t, Get(props, "m.gone"), "a dotted ignore entry drops a nested key")
			assert.Len(t, Get(props, "list").Content, 1, "lists are replaced, not merged")
			assert.Equal(t, []string{"drop", "list", "m", "nulled", "num", "obj", "s", "twice", "chain"}, MapKeys(Get(d.Root, "template.t")),
				"the template stays in the resolved document")
			assert.Equal(t, Get(props, "s").Value, Get(d.Root, "template.t.s").Value, "the template is resolved too")
			assert.Equal(t, "${vars.a}", Get(d.Raw, "template.t.s").Value, "Raw is the file as written")
		})
	}
}

// Resolved nodes keep where they were written; a whole-value reference
// takes the position of the reference.
func TestResolvePositions(t *testing.T) {
	t.Parallel()
	d, err := Resolve([]byte(resolveYAML), "s.yaml", noEnv)
	require.NoError(t, err)
	r := d.Resource("r")
	obj := Get(r.PropsNode(), "obj")
	assert.Equal(t, [2]int{25, 10}, [2]int{obj.Line, obj.Column}, "where ${vars.obj} is written")
	k := Get(obj, "k")
	assert.Equal(t, [2]int{7, 8}, [2]int{k.Line, k.Column}, "a var's own content keeps its place in vars")
	assert.True(t, r.inherited[obj], "obj came from the template")
	assert.Equal(t, "template.t.obj (extended by resources.r)", r.where(obj, "obj"))
	assert.Equal(t, "resources.r.props.emb", r.where(Get(r.PropsNode(), "emb"), "emb"))
}

func TestResolveRefuses(t *testing.T) {
	t.Parallel()
	base := "vars:\n  a: x\n  nothing:\ntemplate:\n  t: {k: v}\nresources:\n  r:\n    component: fc3\n    props:\n      x: 1\n"
	for _, tc := range []struct {
		name, old, new, want string
	}{
		{"merge key", "      x: 1\n", "      <<: {y: 2}\n", "YAML merge keys (<<) are not supported"},
		{"duplicate key", "      x: 1\n", "      x: 1\n      x: 2\n", "duplicate key (first at line 10)"},
		{"unquoted date", "      x: 1\n", "      x: 2026-01-01\n", "is an unquoted date"},
		{"custom tag", "      x: 1\n", "      x: !Ref y\n", "the tag !Ref is not supported"},
		{"spaces inside ${...}", "      x: 1\n", "      x: ${vars.a }\n", "no spaces inside ${...}"},
		{"null var", "      x: 1\n", "      x: ${vars.nothing}\n", "the var is null"},
		{"var cycle", "  a: x\n", "  a: ${vars.b}\n  b: ${vars.a}\n", "the var refers to itself (a -> b -> a)"},
		{"this", "      x: 1\n", "      x: ${this.props.y}\n", "${this...} is not resolved here"},
		{"resources output", "      x: 1\n", "      x: ${resources.q.output.url}\n", "deploy output are not resolved here"},
		{"config()", "      x: 1\n", "      x: ${config('AccountID')}\n", "${config(...)} reads the Serverless Devs access"},
		{"another function", "      x: 1\n", "      x: ${path('./x')}\n", "the path() function is not supported"},
		{"malformed var", "      x: 1\n", "      x: ${vars}\n", "malformed variable reference"},
		{"empty env name", "      x: 1\n", "      x: ${env('')}\n", "empty variable name"},
		{"embedded list", "  a: x\n", "  a: [1]\n  b: z-${vars.a}\n", "is a list and cannot be embedded"},
		{"file-level extend", "vars:\n", "extend: ./base.yaml\nvars:\n", "extending another YAML file is not supported"},
		{"extend without name", "    props:\n", "    extend: {ignore: [k]}\n    props:\n", "resources.r.extend.name: missing"},
		{"extend with another key", "    props:\n", "    extend: {name: t, drop: [k]}\n    props:\n", "resources.r.extend.drop: unknown key (extend takes name and ignore)"},
		{"template not a mapping", "  t: {k: v}\n", "  t: [k]\n", "template.t: want a mapping of props, got a list"},
		{"props not a mapping", "    props:\n      x: 1\n", "    props: [x]\n", "resources.r.props: want a mapping, got a list"},
		{"no resources", "resources:\n  r:\n    component: fc3\n    props:\n      x: 1\n", "resources: {}\n", "resources: missing, empty or not a mapping"},
		{"not a mapping", base, "- a\n", "the document must be a mapping"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			require.Equal(t, 1, strings.Count(base, tc.old), "the case must change exactly one place: %q", tc.old)
			_, err := Resolve([]byte(strings.Replace(base, tc.old, tc.new, 1)), "/p/s.yaml", noEnv)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
			assert.True(t, strings.HasPrefix(err.Error(), "s.yaml"), err.Error())
		})
	}
}

// s preview fails on an unset variable that has no default; so does
// Resolve (a nil lookup means no variable is set).
func TestResolveEnvWithoutDefault(t *testing.T) {
	t.Parallel()
	y := []byte("resources:\n  r:\n    props:\n      x: ${env('SYAML_X')}\n")
	_, err := Resolve(y, "s.yaml", nil)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "s.yaml:4:7: resources.r.props.x: ${env('SYAML_X')}: environment variable SYAML_X is not set")
	d, err := Resolve(y, "s.yaml", envOf(map[string]string{"SYAML_X": "set"}))
	require.NoError(t, err)
	assert.Equal(t, "set", Get(d.Resource("r").PropsNode(), "x").Value)
}

func TestGet(t *testing.T) {
	t.Parallel()
	var doc yaml.Node
	require.NoError(t, yaml.Unmarshal([]byte("a:\n  b:\n    - {c: 1}\n    - {c: 2, d: [x, y]}\n"), &doc))
	root := doc.Content[0]
	assert.Equal(t, "2", Get(root, "a.b[1].c").Value)
	assert.Equal(t, "y", Get(root, "a.b[1].d[1]").Value)
	assert.Nil(t, Get(root, "a.b[2].c"))
	assert.Nil(t, Get(root, "a.x"))
	assert.Equal(t, root, Get(root, ""))
	n, rest := walk(root, "a.b[0].z.w")
	assert.Equal(t, Get(root, "a.b[0]"), n, "walk stops at the deepest node that exists")
	assert.Equal(t, []string{"z", "w"}, rest)
}
