package syaml

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// repoSYAML is the repository's s.yaml.
var repoSYAML = filepath.Join("..", "..", "s.yaml")

// noEnv: no variable is set, so every ${env(...)} default applies.
func noEnv(string) (string, bool) { return "", false }

func envOf(m map[string]string) LookupEnv {
	return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
}

// The repository's s.yaml resolves into the three functions, wired as the
// chain needs them.
func TestLoadRepoSYAML(t *testing.T) {
	t.Parallel()
	p, err := LoadFile(repoSYAML, noEnv)
	require.NoError(t, err)
	root, _ := filepath.Abs(filepath.Join("..", ".."))
	assert.Equal(t, root, p.Dir)
	require.Equal(t, []string{"ecs-stop", "ecs-release", "ecs-autorelease"}, p.FunctionNames())

	stop := p.FunctionNamed("stop")
	require.NotNil(t, stop)
	assert.Equal(t, "ecs-stop", stop.Name)
	assert.Equal(t, "cn-hangzhou", stop.Region)
	assert.Equal(t, "go1", stop.Runtime)
	assert.Equal(t, filepath.Join(root, "dist", "stop", "main"), stop.Binary())
	require.Len(t, stop.Actions, 1)
	assert.Contains(t, stop.Actions[0].Run, "go build -o dist/stop/main ./functions/stop")
	assert.Equal(t, root, stop.Actions[0].Dir)
	assert.Equal(t, "true", stop.Env["DRY_RUN"], "s.yaml deploys in dry run by default")
	assert.Equal(t, "ecs-release:managed=true", stop.Env["MANAGED_TAG"])
	assert.Equal(t, "", stop.Env["ECS_ENDPOINT"])
	assert.Equal(t, 600*time.Second, stop.Timeout)
	require.NotNil(t, stop.Async.OnSuccess)
	assert.Equal(t, "ecs-release", stop.Async.OnSuccess.Function)
	assert.Equal(t, "123456789012", stop.Async.OnSuccess.AccountID)
	assert.Equal(t, 2, stop.Async.MaxRetries)
	nightly := stop.Trigger("nightly-cleanup")
	require.NotNil(t, nightly)
	require.NotNil(t, nightly.Timer)
	assert.True(t, nightly.Timer.Enabled)
	assert.Equal(t, "CRON_TZ=Asia/Shanghai 0 0 2 * * *", nightly.Timer.CronExpression)
	assert.Contains(t, nightly.Timer.Payload, `"then":"release"`)
	require.NotNil(t, stop.HTTPTrigger())
	assert.Equal(t, []string{"POST"}, stop.HTTPTrigger().HTTP.Methods)

	rel := p.FunctionNamed("ecs-release")
	require.NotNil(t, rel)
	assert.Equal(t, 3, rel.Async.MaxRetries)
	assert.Equal(t, 7200*time.Second, rel.Async.MaxEventAge)
	eb := rel.Trigger("job-completed")
	require.NotNil(t, eb, "the eventbridge trigger is listed")
	assert.Equal(t, TriggerEventBridge, eb.Type)
	assert.False(t, eb.Served())

	// ${env(...)} overrides reach every function and the destination ARN.
	p2, err := LoadFile(repoSYAML, envOf(map[string]string{"FC_REGION": "cn-shanghai", "DRY_RUN": "false", "ALIBABA_CLOUD_ACCOUNT_ID": "555"}))
	require.NoError(t, err)
	for _, f := range p2.Functions {
		assert.Equal(t, "cn-shanghai", f.Region, f.Name)
		assert.Equal(t, "false", f.Env["DRY_RUN"], f.Name)
		assert.Equal(t, "cn-shanghai", f.Env["DEFAULT_REGION"], f.Name)
	}
	assert.Equal(t, "acs:fc:cn-shanghai:555:functions/ecs-release", p2.FunctionNamed("stop").Async.OnSuccess.ARN)
}

func TestLoadResolvesVarsEnvTemplates(t *testing.T) {
	t.Parallel()
	const yml = `
edition: 3.0.0
name: ${env('APP', 'demo')}-app
vars:
  region: ${env('REGION', 'cn-beijing')}
  mem: 256
  log:
    project: proj-${vars.region}
  build:
    path: ./src
template:
  base:
    region: ${vars.region}
    runtime: go1
    handler: main
    memorySize: ${vars.mem}
    timeout: 60
    environmentVariables:
      A: '1'
      B: '2'
      P: ${vars.log.project}
    triggers:
      - triggerName: from-template
        triggerType: timer
        triggerConfig: {cronExpression: '0 0 * * * *', enable: true}
resources:
  one:
    component: fc3
    actions:
      pre-${regex('deploy|local')}:
        - run: echo build
          path: ${vars.build.path}
        - component: fc3 build
      post-deploy:
        - run: echo never
    extend:
      name: base
      ignore: [timeout]
    props:
      functionName: one
      code: ./code/one
      environmentVariables:
        B: '3'
        C: ${env('C_VALUE', 'c-default')}
      triggers:
        - triggerName: own
          triggerType: timer
          triggerConfig: {cronExpression: '@every 90s', enable: false}
`
	p, err := Load([]byte(yml), "/proj/s.yaml", envOf(map[string]string{"REGION": "cn-shanghai", "C_VALUE": "from-env"}))
	require.NoError(t, err)
	assert.Equal(t, "demo-app", p.Name)
	f := p.FunctionNamed("one")
	require.NotNil(t, f)
	assert.Equal(t, "cn-shanghai", f.Region)
	assert.Equal(t, 256, f.MemoryMB, "a whole-value ${vars.x} keeps the var's type")
	assert.Equal(t, time.Duration(DefaultTimeoutSeconds)*time.Second, f.Timeout, "extend.ignore drops the template's timeout")
	assert.Equal(t, map[string]string{"A": "1", "B": "3", "C": "from-env", "P": "proj-cn-shanghai"}, f.Env, "maps deep-merged, the resource on top")
	require.Len(t, f.Triggers, 1, "lists are replaced, not merged")
	assert.Equal(t, "own", f.Triggers[0].Name)
	assert.False(t, f.Triggers[0].Timer.Enabled)
	assert.Equal(t, "/proj/code/one", f.CodeDir)
	require.Len(t, f.Actions, 1)
	assert.Equal(t, Action{Hook: "pre-${regex('deploy|local')}", Run: "echo build", Dir: "/proj/src"}, f.Actions[0])
	assert.Equal(t, []string{"pre-${regex('deploy|local')}: component fc3 build"}, f.SkippedActions)
	assert.Equal(t, DefaultMaxAsyncRetryAttempts, f.Async.MaxRetries)
	assert.Equal(t, DefaultMaxAsyncEventAgeInSeconds*time.Second, f.Async.MaxEventAge)
}

// Every broken snippet is refused with an error that names the problem and
// where it is.
func TestLoadErrors(t *testing.T) {
	t.Parallel()
	// file builds a one-or-two-function s.yaml; props are the first
	// resource's extra props (indented by 6).
	file := func(vars, props string) string {
		return `
edition: 3.0.0
name: broken
vars:
  region: cn-hangzhou
  logConfig:
    project: p
` + vars + `
template:
  t:
    region: ${vars.region}
    runtime: go1
    handler: main
    code: ./code
resources:
  a:
    component: fc3
    extend:
      name: t
    props:
      functionName: fn-a
` + props + `
  b:
    component: fc3
    extend:
      name: t
    props:
      functionName: fn-b
`
	}
	dest := func(arn string) string {
		return "      asyncInvokeConfig:\n        destinationConfig:\n          onSuccess:\n            destination: '" + arn + "'\n"
	}
	timer := func(cfg string) string {
		return "      triggers:\n        - triggerName: tick\n          triggerType: timer\n          triggerConfig: " + cfg + "\n"
	}
	cases := []struct {
		name, yml string
		want      []string
	}{
		{"unknown var", file("", "      description: ${vars.nope}\n"),
			[]string{"resources.a.props.description", `unknown var "nope"`}},
		{"unknown nested var", file("", "      description: x-${vars.logConfig.nope}\n"),
			[]string{"resources.a.props.description", "unknown var logConfig.nope"}},
		{"env without default, unset", file("", "      description: ${env('FCLOCAL_TEST_UNSET')}\n"),
			[]string{"resources.a.props.description", "FCLOCAL_TEST_UNSET is not set"}},
		{"config()", file("", "      role: acs:ram::${config('AccountID')}:role/x\n"),
			[]string{"resources.a.props.role", "${config(...)}"}},
		{"resources reference", file("", "      description: ${resources.b.output.url}\n"),
			[]string{"resources.a.props.description", "other resources"}},
		{"unsupported function", file("", "      description: ${file('./x')}\n"),
			[]string{"the file() function is not supported"}},
		{"unterminated expression", file("", "      description: ${vars.region\n"),
			[]string{"unterminated ${"}},
		{"var cycle", file("  x: ${vars.y}\n  y: ${vars.x}\n", "      description: ${vars.x}\n"),
			[]string{"refers to itself", "x -> y -> x"}},
		{"mapping embedded in a string", file("", "      description: log-${vars.logConfig}\n"),
			[]string{"is a mapping and cannot be embedded"}},
		{"unknown function in a destination ARN", file("", dest("acs:fc:cn-hangzhou:123:functions/ghost")),
			[]string{"asyncInvokeConfig.destinationConfig.onSuccess.destination", `names function "ghost"`, "fn-a, fn-b"}},
		{"FC 2.0 ARN", file("", dest("acs:fc:cn-hangzhou:123:services/s/functions/fn-b")),
			[]string{"onSuccess.destination", "FC 2.0"}},
		{"MNS destination", file("", dest("acs:mns:cn-hangzhou::/topics/t/messages")),
			[]string{"onSuccess.destination", "only function destinations"}},
		{"ARN in another region", file("", dest("acs:fc:cn-beijing:123:functions/fn-b")),
			[]string{"is in region cn-beijing but function fn-b is deployed to cn-hangzhou"}},
		{"destination cycle", file("", dest("acs:fc:cn-hangzhou:123:functions/fn-a")),
			[]string{"destination cycle fn-a -> fn-a", "each async success"}},
		{"five-field cron", file("", timer("{cronExpression: '0 2 * * *', enable: true}")),
			[]string{"triggers[0].triggerConfig.cronExpression", "want 6 fields", "got 5"}},
		{"bad cron time zone", file("", timer("{cronExpression: 'CRON_TZ=Mars/Olympus 0 0 2 * * *', enable: true}")),
			[]string{"cronExpression", `unknown time zone "Mars/Olympus"`}},
		{"cron out of range", file("", timer("{cronExpression: '0 0 25 * * *', enable: true}")),
			[]string{"cronExpression", "above maximum"}},
		{"@daily", file("", timer("{cronExpression: '@daily', enable: true}")),
			[]string{"only @every"}},
		{"misspelt timer key", file("", timer("{cronExpresion: '0 0 2 * * *', enable: true}")),
			[]string{"triggerConfig.cronExpresion", "unknown key"}},
		{"timer without enable", file("", timer("{cronExpression: '0 0 2 * * *'}")),
			[]string{"triggerConfig.enable", "missing"}},
		{"object payload", file("", timer("{cronExpression: '0 0 2 * * *', enable: true, payload: {a: 1}}")),
			[]string{"triggerConfig.payload", "want a string"}},
		{"bool env value", file("", "      environmentVariables:\n        DRY_RUN: false\n"),
			[]string{"resources.a.props.environmentVariables.DRY_RUN", "want a string, got a bool (false)"}},
		{"null env value", file("", "      environmentVariables:\n        ECS_ENDPOINT:\n"),
			[]string{"environmentVariables.ECS_ENDPOINT", "want a string, got null"}},
		{"number env value from a var", file("  max: 100\n", "      environmentVariables:\n        MAX_INSTANCES: ${vars.max}\n"),
			[]string{"environmentVariables.MAX_INSTANCES", "want a string, got an integer (100)"}},
		{"reserved env prefix", file("", "      environmentVariables:\n        FC_X: 'y'\n"),
			[]string{"environmentVariables.FC_X", "reserved"}},
		{"unknown component", strings.Replace(file("", ""), "component: fc3\n    extend:\n      name: t\n    props:\n      functionName: fn-b", "component: fc\n    props:\n      functionName: fn-b", 1),
			[]string{"resources.b.component", `"fc" is not supported`}},
		{"unknown template", strings.Replace(file("", ""), "name: t\n    props:\n      functionName: fn-b", "name: nope\n    props:\n      functionName: fn-b", 1),
			[]string{"resources.b.extend.name", `unknown template "nope"`}},
		{"runtime", file("", "      runtime: nodejs18\n"),
			[]string{"resources.a.props.runtime", `"nodejs18" is not supported`}},
		{"bad HTTP method", file("", "      triggers:\n        - {triggerName: h, triggerType: http, triggerConfig: {authType: anonymous, methods: [FETCH]}}\n"),
			[]string{"triggers[0].triggerConfig.methods[0]", "want one of"}},
		{"unknown trigger type", file("", "      triggers:\n        - {triggerName: h, triggerType: webhook, triggerConfig: {}}\n"),
			[]string{"triggers[0].triggerType", `unknown trigger type "webhook"`}},
		{"timeout out of range", file("", "      timeout: 100000\n"),
			[]string{"resources.a.props.timeout", "out of range"}},
		{"timeout as a string", file("", "      timeout: '600'\n"),
			[]string{"resources.a.props.timeout", "want an integer"}},
		{"missing functionName", strings.Replace(file("", ""), "      functionName: fn-b\n", "      description: no name\n", 1),
			[]string{"resources.b.props.functionName", "missing"}},
		{"duplicate functionName", strings.Replace(file("", ""), "functionName: fn-b", "functionName: fn-a", 1),
			[]string{"resources.b.props.functionName", `"fn-a" is also the functionName of resource a`}},
		{"retry attempts over 8", file("", "      asyncInvokeConfig:\n        maxAsyncRetryAttempts: 9\n"),
			[]string{"asyncInvokeConfig.maxAsyncRetryAttempts", "out of range"}},
		{"not YAML", "resources: [\n", []string{"not valid YAML"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Load([]byte(c.yml), "/x/s.yaml", noEnv)
			require.Error(t, err)
			t.Log(err)
			for _, w := range c.want {
				assert.Contains(t, err.Error(), w)
			}
			assert.True(t, strings.HasPrefix(err.Error(), "s.yaml"), "the error names the file: %v", err)
		})
	}

	// A non-string value inherited from the template is located there.
	tmplBad := strings.Replace(file("", ""), "    code: ./code\n", "    code: ./code\n    environmentVariables:\n      WAIT_MIN_DELAY: 5\n", 1)
	_, err := Load([]byte(tmplBad), "/x/s.yaml", noEnv)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "template.t.environmentVariables.WAIT_MIN_DELAY (extended by resources.a)")

	// The line and column are given.
	_, err = Load([]byte(file("", "      description: ${vars.nope}\n")), "/x/s.yaml", noEnv)
	require.Error(t, err)
	assert.Regexp(t, `^s\.yaml:\d+:\d+: `, err.Error())
}

// An onFailure destination may name the function itself (each function
// reports its own failures): a failure record is answered, never failed
// on, so it starts no chain. An onSuccess one may not.
func TestOnFailureMayNameItself(t *testing.T) {
	t.Parallel()
	yml := `
edition: 3.0.0
name: self
vars:
  region: cn-hangzhou
resources:
  a:
    component: fc3
    props:
      region: ${vars.region}
      runtime: go1
      handler: main
      code: ./code
      functionName: fn-a
      asyncInvokeConfig:
        destinationConfig:
          onFailure:
            destination: 'acs:fc:cn-hangzhou:123:functions/fn-a'
`
	p, err := Load([]byte(yml), "/x/s.yaml", noEnv)
	require.NoError(t, err)
	require.NotNil(t, p.Functions[0].Async.OnFailure)
	assert.Equal(t, "fn-a", p.Functions[0].Async.OnFailure.Function)
	_, err = Load([]byte(strings.Replace(yml, "onFailure", "onSuccess", 1)), "/x/s.yaml", noEnv)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "destination cycle fn-a -> fn-a")
}
