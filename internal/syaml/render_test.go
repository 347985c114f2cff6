package syaml

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The rendering matches what `s preview -o json` (Serverless Devs 3.1.10)
// printed for the same files, with no variable set. The goldens are that
// output, written by `bash .ci/syaml-preview.sh --update-golden`; the CI
// script compares against s preview itself and is the source of truth.
func TestRenderMatchesPreview(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ file, golden string }{
		{repoSYAML, filepath.Join("testdata", "s.preview.json")},
		{filepath.Join("testdata", "conventions", "s.yaml"), filepath.Join("testdata", "conventions", "s.preview.json")},
	} {
		t.Run(tc.file, func(t *testing.T) {
			d, err := ParseFile(tc.file, noEnv)
			require.NoError(t, err)
			out, err := d.RenderJSON()
			require.NoError(t, err)
			want, err := os.ReadFile(tc.golden)
			require.NoError(t, err)
			var got, exp any
			require.NoError(t, json.Unmarshal(out, &got), "the rendering is JSON")
			require.NoError(t, json.Unmarshal(want, &exp))
			if diff := firstDiff(exp, got, ""); diff != "" {
				t.Errorf("the rendering of %s differs from s preview's (%s) at %s\n"+
					"if s.yaml changed on purpose, run: bash .ci/syaml-preview.sh --update-golden", tc.file, tc.golden, diff)
			}
			assert.True(t, strings.HasSuffix(string(out), "}\n"))
		})
	}
}

// firstDiff names the first path where want and got differ ("" if none).
func firstDiff(want, got any, path string) string {
	at := path
	if at == "" {
		at = "(the top level)"
	}
	switch w := want.(type) {
	case map[string]any:
		g, ok := got.(map[string]any)
		if !ok {
			return fmt.Sprintf("%s: want an object, got %v", at, got)
		}
		keys := make([]string, 0, len(w)+len(g))
		for k := range w {
			keys = append(keys, k)
		}
		for k := range g {
			if _, ok := w[k]; !ok {
				keys = append(keys, k)
			}
		}
		slices.Sort(keys)
		for _, k := range keys {
			p := k
			if path != "" {
				p = path + "." + k
			}
			wv, wok := w[k]
			gv, gok := g[k]
			switch {
			case !gok:
				return fmt.Sprintf("%s: missing (s preview has %v)", p, wv)
			case !wok:
				return fmt.Sprintf("%s: %v, which s preview does not have", p, gv)
			}
			if d := firstDiff(wv, gv, p); d != "" {
				return d
			}
		}
		return ""
	case []any:
		g, ok := got.([]any)
		if !ok || len(g) != len(w) {
			return fmt.Sprintf("%s: want %v, got %v", at, want, got)
		}
		for i := range w {
			if d := firstDiff(w[i], g[i], fmt.Sprintf("%s[%d]", path, i)); d != "" {
				return d
			}
		}
		return ""
	}
	if !reflect.DeepEqual(want, got) {
		return fmt.Sprintf("%s: want %#v, got %#v", at, want, got)
	}
	return ""
}

// The conventions, one by one, on a small file.
func TestRenderConventions(t *testing.T) {
	t.Parallel()
	const y = `edition: 3.0.0
access:
vars:
  n: 7
  gone:
template:
  t: {region: cn-hangzhou, keep: {a: 1, b: null}}
resources:
  r:
    component: fc3
    actions:
      pre-${regex('deploy')}: [{run: 'echo <&> ${vars.n}'}]
    extend: {name: t}
    props:
      list: [1, null, 0x10, 1.50, .inf]
  bare:
    component: fc3
`
	d, err := Resolve([]byte(y), "s.yaml", noEnv)
	require.NoError(t, err)
	out, err := d.RenderJSON()
	require.NoError(t, err)
	assert.JSONEq(t, `{
  "edition": "3.0.0",
  "vars": {"n": 7},
  "template": {"t": {"region": "cn-hangzhou", "keep": {"a": 1}}},
  "resources": {
    "r": {
      "component": "fc3",
      "actions": {"pre-${regex('deploy')}": [{"run": "echo <&> 7"}]},
      "extend": {"name": "t"},
      "props": {"region": "cn-hangzhou", "keep": {"a": 1}, "list": [1, null, 16, 1.5, null]}
    },
    "bare": {"component": "fc3", "props": {}}
  }
}`, string(out))
	assert.Contains(t, string(out), `"echo <&> 7"`, "no HTML escaping")
	assert.True(t, strings.HasPrefix(string(out), "{\n  \"edition\": \"3.0.0\",\n  \"vars\""), "keys in file order, indented by two:\n%s", out)
}

func TestJSNumbers(t *testing.T) {
	t.Parallel()
	for in, want := range map[any]string{
		1.5: "1.5", 1000.0: "1000", 1e21: "1e+21", 1.5e-7: "1.5e-7", 0.000001: "0.000001", math.Copysign(0, -1): "0",
		int64(1) << 60: "1152921504606847000", uint64(12345678901234567890): "12345678901234567000", 42: "42", true: "true",
	} {
		got, ok := jsString(in)
		assert.True(t, ok)
		assert.Equal(t, want, got, "%v", in)
	}
}
