package syaml

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The repository's s.yaml decodes without a problem: every key it uses is
// modelled, and the typed values are what the file says.
func TestDecodeRepoSYAML(t *testing.T) {
	t.Parallel()
	d, err := ParseFile(repoSYAML, noEnv)
	require.NoError(t, err)
	assert.Equal(t, "3.0.0", d.Edition)
	assert.Equal(t, "fc-ecs-release", d.Name)
	assert.Equal(t, "default", d.Access)
	assert.Equal(t, "cn-hangzhou", d.Vars["region"])
	assert.Equal(t, []string{"stop", "release", "autorelease"}, d.ResourceNames())

	stop := d.Resource("stop")
	assert.Equal(t, "fc3", stop.Component)
	assert.Equal(t, &Extend{Name: "goFunction"}, stop.Extend)
	require.Len(t, stop.Actions["pre-deploy"], 1)
	assert.Equal(t, "./", stop.Actions["pre-deploy"][0].Path)
	p := stop.Props
	require.NotNil(t, p)
	assert.Equal(t, "ecs-stop", p.FunctionName)
	assert.Equal(t, "go1", p.Runtime)
	assert.Equal(t, 600, *p.Timeout)
	assert.Equal(t, 128, *p.MemorySize)
	assert.True(t, *p.InternetAccess)
	assert.Equal(t, "acs:ram::123456789012:role/ecs-release-fc", p.Role)
	assert.Equal(t, "true", p.EnvironmentVariables["DRY_RUN"])
	assert.Equal(t, "", p.EnvironmentVariables["ECS_ENDPOINT"])
	require.NotNil(t, p.Log, "logConfig is a mapping, decoded")
	assert.Equal(t, LogConfig{Project: "ecs-release-logs", Logstore: "fc-ecs-release", EnableRequestMetrics: new(true), EnableInstanceMetrics: new(false), LogBeginRule: "DefaultRegex"}, *p.Log)
	require.Len(t, p.Triggers, 2)
	timer := p.Triggers[0]
	require.NotNil(t, timer.Timer)
	assert.Equal(t, "CRON_TZ=Asia/Shanghai 0 0 2 * * *", timer.Timer.CronExpression)
	assert.True(t, *timer.Timer.Enable)
	assert.Contains(t, *timer.Timer.Payload, `"then":"release"`)
	require.NotNil(t, p.Triggers[1].HTTP)
	assert.Equal(t, []string{"POST"}, p.Triggers[1].HTTP.Methods)
	assert.Equal(t, "acs:fc:cn-hangzhou:123456789012:functions/ecs-release", p.AsyncInvokeConfig.DestinationConfig.OnSuccess.Destination)

	eb := d.Resource("release").Props.Triggers[1]
	require.NotNil(t, eb.EventBridge)
	assert.True(t, *eb.EventBridge.AsyncInvocationType)
	assert.Equal(t, "Default", eb.EventBridge.EventSourceConfig.EventSourceType)
}

//go:fix inline

const decodeBase = `edition: 3.0.0
name: d
resources:
  f:
    component: fc3
    props:
      functionName: f
      region: cn-hangzhou
      runtime: go1
      handler: main
      code: ./code
`

func TestDecode(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, extra string
		want        string // "" = valid
	}{
		{"logConfig auto", "      logConfig: auto\n", ""},
		{"logConfig misspelt key", "      logConfig: {project: p, logStore: l}\n", "s.yaml:12:31: resources.f.props.logConfig.logStore: unknown key (did you mean logstore?)"},
		{"logConfig neither auto nor a mapping", "      logConfig: yes\n", `s.yaml:12:7: resources.f.props.logConfig: want "auto" or a mapping, got "yes"`},
		{"vpcConfig", "      vpcConfig: {vpcId: v, vSwitchIds: [a], securityGroupId: s}\n", ""},
		{"vpcConfig unknown key", "      vpcConfig: {vpcID: v}\n", "resources.f.props.vpcConfig.vpcID: unknown key (did you mean vpcId?)"},
		{"raw props take anything", "      nasConfig: {mountPoints: [{x: 1}]}\n      tags: [{key: a, value: b}]\n      instanceConcurrency: 10\n", ""},
		{"cpu takes an integer or a float", "      cpu: 1\n      diskSize: 512\n", ""},
		{"cpu is a number", "      cpu: 'one'\n", `resources.f.props.cpu: want a number, got "one"`},
		{"layers are strings", "      layers: [1]\n", "resources.f.props.layers[0]: want a string, got an integer (1); quote it"},
		{"an environment value of null", "      environmentVariables: {A: ~}\n", "resources.f.props.environmentVariables.A: want a string, got null (write '' for an empty string)"},
		{"other trigger types keep their config raw", "      triggers: [{triggerName: o, triggerType: oss, triggerConfig: {events: [x], anything: 1}}]\n", ""},
		{"eventbridge unknown key", "      triggers: [{triggerName: e, triggerType: eventbridge, triggerConfig: {triggerEnable: true, filter: x}}]\n", "triggers[0].triggerConfig.filter: unknown key (known: triggerEnable, asyncInvocationType, eventRuleFilterPattern, eventSourceConfig, eventSinkConfig, runOptions)"},
		{"eventSourceConfig unknown key", "      triggers: [{triggerName: e, triggerType: eventbridge, triggerConfig: {eventSourceConfig: {type: Default}}}]\n", "triggerConfig.eventSourceConfig.type: unknown key (known: eventSourceType, eventSourceParameters)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse([]byte(decodeBase+tc.extra), "s.yaml", noEnv)
			if tc.want == "" {
				require.NoError(t, err)
				return
			}
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
		})
	}
	// Actions are typed too, and the global ones.
	y := strings.Replace(decodeBase, "    props:\n", "    actions:\n      pre-deploy:\n        - run: make\n          dir: ./\n    props:\n", 1)
	_, err := Parse([]byte(y+"actions:\n  post-deploy:\n    - plugin: p\n      arg: {}\n"), "s.yaml", noEnv)
	require.Error(t, err)
	assert.Equal(t, "s.yaml:9:11: resources.f.actions.pre-deploy[0].dir: unknown key (known: run, path, component, plugin, args, allow_failure)\n"+
		"s.yaml:19:7: actions.post-deploy[0].arg: unknown key (did you mean args?)", err.Error())
}

// Props are typed for fc3 only; another component's props are left as
// they are (the local runner refuses the component, the deploy checks
// report it).
func TestDecodeOtherComponent(t *testing.T) {
	t.Parallel()
	d, err := Parse([]byte("resources:\n  site:\n    component: static\n    props: {www: ./public}\n"), "s.yaml", noEnv)
	require.NoError(t, err)
	assert.Equal(t, "static", d.Resource("site").Component)
	assert.Nil(t, d.Resource("site").Props)
	_, err = d.Project()
	assert.ErrorContains(t, err, `s.yaml:3:5: resources.site.component: "static" is not supported: fclocal runs fc3 functions only`)
	assert.True(t, IsFC3("devsapp/fc3@0.1.2"))
	assert.False(t, IsFC3("fc"))
}

// A document whose decoding failed has no project.
func TestProjectNeedsACleanDecode(t *testing.T) {
	t.Parallel()
	d, err := Resolve([]byte(strings.Replace(decodeBase, "handler: main", "handler: main\n      timeout: soon", 1)), "s.yaml", noEnv)
	require.NoError(t, err)
	decodeErr := d.Decode()
	require.Error(t, decodeErr)
	_, err = d.Project()
	assert.Equal(t, decodeErr, err)
	p, err := Load([]byte(decodeBase), "/p/s.yaml", noEnv)
	require.NoError(t, err)
	assert.Equal(t, "/p/code", p.Functions[0].CodeDir)
	assert.Same(t, p.Document.Resource("f").Props, p.Functions[0].Props)
}
