package syaml

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// errBase is a small valid s.yaml; each case changes one line of it. Line
// numbers matter here: keep them.
const errBase = `edition: 3.0.0
name: errs
vars:
  region: cn-hangzhou
template:
  fn:
    region: ${vars.region}
    runtime: go1
    handler: main
    code: ./code
resources:
  one:
    component: fc3
    extend:
      name: fn
    props:
      functionName: one
      timeout: 60
      triggers:
        - triggerName: tick
          triggerType: timer
          triggerConfig:
            cronExpression: '0 0 2 * * *'
            enable: true
`

// Every class of error names the file, line and column, and key path, through
// the public API (Load, which resolves, decodes and builds the project).
func TestErrorsNameFileLineColumnAndPath(t *testing.T) {
	t.Parallel()
	p, err := Load([]byte(errBase), "/p/s.yaml", noEnv)
	require.NoError(t, err, "the base is valid")
	require.Len(t, p.Functions, 1)

	for _, tc := range []struct {
		class, old, new string
		want            string // the whole first line, or its start
	}{
		{"bad YAML", "      timeout: 60\n", "      timeout: [60\n",
			"s.yaml:18: not valid YAML: did not find expected ',' or ']'"},
		{"bad YAML: tab indentation", "      timeout: 60\n", "\ttimeout: 60\n",
			"s.yaml:18: not valid YAML: found a tab character that violates indentation"},
		{"unknown key", "      timeout: 60\n", "      timout: 60\n",
			"s.yaml:18:7: resources.one.props.timout: unknown key (did you mean timeout?)"},
		{"unknown key inherited from the template", "    code: ./code\n", "    code: ./code\n    memorysize: 128\n",
			"s.yaml:11:5: template.fn.memorysize (extended by resources.one): unknown key (did you mean memorySize?)"},
		{"unknown top-level key", "name: errs\n", "name: errs\nresource: {}\n",
			"s.yaml:3:1: resource: unknown key (did you mean resources?)"},
		{"unknown resource key", "    component: fc3\n", "    component: fc3\n    prop: {}\n",
			"s.yaml:14:5: resources.one.prop: unknown key (did you mean props?)"},
		{"unknown trigger config key", "cronExpression:", "cronExpresion:",
			"s.yaml:23:13: resources.one.props.triggers[0].triggerConfig.cronExpresion: unknown key (did you mean cronExpression?)"},
		{"unknown key far from any known one", "      timeout: 60\n", "      timeout: 60\n      colour: blue\n",
			"s.yaml:19:7: resources.one.props.colour: unknown key (not one of the 40 keys of the fc3 component's function props)"},
		{"wrong type: a string for an integer", "timeout: 60", "timeout: abc",
			`s.yaml:18:7: resources.one.props.timeout: want an integer, got "abc"`},
		{"wrong type: a float for an integer", "timeout: 60", "timeout: 1.5",
			"s.yaml:18:7: resources.one.props.timeout: want an integer, got a number (1.5)"},
		{"wrong type: a quoted bool", "enable: true", "enable: 'yes'",
			`s.yaml:24:13: resources.one.props.triggers[0].triggerConfig.enable: want a boolean (true or false), got "yes"`},
		{"wrong type inherited from the template", "runtime: go1", "runtime: 1",
			"s.yaml:8:5: template.fn.runtime (extended by resources.one): want a string, got an integer (1); quote it"},
		{"wrong type: a list for a mapping", "          triggerConfig:\n            cronExpression: '0 0 2 * * *'\n            enable: true\n", "          triggerConfig: [x]\n",
			"s.yaml:22:11: resources.one.props.triggers[0].triggerConfig: want a mapping, got a list"},
		{"unknown var", "${vars.region}", "${vars.regoin}",
			`s.yaml:7:5: template.fn.region: ${vars.regoin}: unknown var "regoin" (vars: region)`},
		{"var of a var that does not exist", "  region: cn-hangzhou\n", "  region: ${vars.zone}\n",
			`s.yaml:4:3: vars.region: ${vars.zone}: unknown var "zone" (vars: region)`},
		{"bad env() expression", "  region: cn-hangzhou\n", "  region: ${env(FC_REGION)}\n",
			"s.yaml:4:3: vars.region: ${env(FC_REGION)}: malformed env(): write ${env('NAME')} or ${env('NAME', 'default')}"},
		{"env() without a default, unset", "  region: cn-hangzhou\n", "  region: ${env('SYAML_TEST_UNSET')}\n",
			"s.yaml:4:3: vars.region: ${env('SYAML_TEST_UNSET')}: environment variable SYAML_TEST_UNSET is not set"},
		{"spaces inside ${...}", "${vars.region}", "${ vars.region }",
			"s.yaml:7:5: template.fn.region: ${ vars.region }: no spaces inside ${...}"},
		{"bad cron", "'0 0 2 * * *'", "'0 2 * * *'",
			`s.yaml:23:13: resources.one.props.triggers[0].triggerConfig.cronExpression: cron expression "0 2 * * *": want 6 fields`},
		{"cron out of range", "'0 0 2 * * *'", "'0 0 24 * * *'",
			`s.yaml:23:13: resources.one.props.triggers[0].triggerConfig.cronExpression: cron expression "0 0 24 * * *": end of range (24) above maximum (23)`},
		{"extend of a missing template", "      name: fn\n", "      name: fnx\n",
			`s.yaml:15:7: resources.one.extend.name: unknown template "fnx" (templates: fn)`},
		{"duplicate key", "      timeout: 60\n", "      timeout: 60\n      timeout: 61\n",
			"s.yaml:19:7: resources.one.props.timeout: duplicate key (first at line 18)"},
		{"null var referenced", "  region: cn-hangzhou\n", "  region: cn-hangzhou\n  nothing:\n  alias: ${vars.nothing}\n",
			"s.yaml:6:3: vars.alias: ${vars.nothing}: the var is null (s preview reports it as not found); give it a value"},
		{"YAML merge key", "    component: fc3\n", "    component: fc3\n    <<: {x: 1}\n",
			"s.yaml:14:5: resources.one: YAML merge keys (<<) are not supported; use template and extend"},
		{"unquoted date", "      timeout: 60\n", "      timeout: 60\n      description: 2026-01-01\n",
			`s.yaml:19:7: resources.one.props.description: "2026-01-01" is an unquoted date`},
		{"out of range", "timeout: 60", "timeout: 0",
			"s.yaml:18:7: resources.one.props.timeout: 0 is out of range: want 1 to 86400"},
		{"missing required prop", "    handler: main\n", "",
			"s.yaml:15:5: resources.one.props.handler: missing"},
	} {
		t.Run(tc.class, func(t *testing.T) {
			require.Equal(t, 1, strings.Count(errBase, tc.old), "the case must change exactly one place: %q", tc.old)
			_, err := Load([]byte(strings.Replace(errBase, tc.old, tc.new, 1)), "/p/s.yaml", noEnv)
			require.Error(t, err)
			first, _, _ := strings.Cut(err.Error(), "\n")
			t.Log(first)
			assert.True(t, strings.HasPrefix(first, tc.want), "got  %s\nwant %s", first, tc.want)
			assert.NotEmpty(t, Errors(err), "the error is an *Error or an ErrorList")
		})
	}
}

// Typed decoding reports every problem at once, in file order.
func TestDecodeReportsEveryProblem(t *testing.T) {
	t.Parallel()
	yml := strings.NewReplacer(
		"timeout: 60", "timeout: abc\n      memorySize: 12.5",
		"cronExpression:", "cronExpresion:",
		"runtime: go1", "runtime: go1\n    colour: blue",
	).Replace(errBase)
	_, err := Parse([]byte(yml), "s.yaml", noEnv)
	var list ErrorList
	require.ErrorAs(t, err, &list)
	var got []string
	for _, e := range list {
		got = append(got, e.Error())
	}
	assert.Equal(t, []string{
		"s.yaml:9:5: template.fn.colour (extended by resources.one): unknown key (not one of the 40 keys of the fc3 component's function props)",
		`s.yaml:19:7: resources.one.props.timeout: want an integer, got "abc"`,
		"s.yaml:20:7: resources.one.props.memorySize: want an integer, got a number (12.5)",
		"s.yaml:25:13: resources.one.props.triggers[0].triggerConfig.cronExpresion: unknown key (did you mean cronExpression?)",
	}, got)
	assert.Equal(t, strings.Join(got, "\n"), err.Error())
	assert.Len(t, Errors(err), 4)
}
