package deploy

// Checks over ../s.yaml that neither `s verify` (it does not look inside
// triggerConfig and has no additionalProperties: false) nor `s deploy` (it
// only logs schema errors) make: runtime/handler pairing, the exact go1 build
// step, string environment values, 6-field timer crons, JSON payloads and
// filter patterns, destination ARNs, and allow-listed trigger keys.
//
// s.yaml is read by internal/syaml, the reader the local runner shares:
// resolved the way `s preview` renders it (${vars.x}, ${env('NAME','default')},
// template/extend) and decoded strictly (an unknown key or a value of the
// wrong type is a problem too). The checks below run over its resolved
// node tree, where YAML types are still visible.

import (
	"bytes"
	"debug/elf"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gopkg.in/yaml.v3"

	"github.com/fc-ecs-release/fc-ecs-release/internal/ecsemu"
	"github.com/fc-ecs-release/fc-ecs-release/internal/syaml"
	"github.com/fc-ecs-release/fc-ecs-release/internal/syaml/cron"
	"github.com/fc-ecs-release/fc-ecs-release/shared/config"
	"github.com/fc-ecs-release/fc-ecs-release/shared/request"
)

const sYAMLPath = "../s.yaml"

// noEnv resolves every ${env(...)} to its default, so the checks see what a
// deploy from a clean shell would get, whatever the developer has exported.
func noEnv(string) (string, bool) { return "", false }

func envMap(m map[string]string) syaml.LookupEnv {
	return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
}

// ---------------------------------------------------------------------------
// yaml.Node helpers over the resolved document

func scalar(n *yaml.Node) string {
	if n == nil || n.Kind != yaml.ScalarNode {
		return ""
	}
	return n.Value
}

func joinPath(at, key string) string {
	if at == "" {
		return key
	}
	return at + "." + key
}

// resource returns the resolved resource of that name (its props merged
// over its template), or nil.
func resource(d *syaml.Document, name string) *yaml.Node {
	if r := d.Resource(name); r != nil {
		return r.Node
	}
	return nil
}

// describe names a node's YAML type for messages.
func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		return fmt.Sprintf("%s %q", n.ShortTag(), n.Value)
	}
	return "an unexpected node"
}

// ---------------------------------------------------------------------------
// The checker. Every check appends problems; an empty list means valid.

type problems []string

func (p *problems) add(at, format string, args ...any) {
	*p = append(*p, at+": "+fmt.Sprintf(format, args...))
}

// checkSYAML loads and checks an s.yaml. A file that cannot be resolved is
// one problem; the strict decoding's problems (unknown keys, wrong types)
// are reported along with the checks' own.
func checkSYAML(data []byte, getenv syaml.LookupEnv) problems {
	d, err := syaml.Resolve(data, "s.yaml", getenv)
	if err != nil {
		return problems{err.Error()}
	}
	var p problems
	for _, e := range syaml.Errors(d.Decode()) {
		p = append(p, e.Error())
	}
	p = append(p, checkVars(d)...)
	return append(p, checkFile(d)...)
}

// checkVars: a var must not refer to another var. s preview renders such a
// chain only one level deep inside template (the rendered template keeps
// the inner ${env(...)}), so its output would disagree with the resolved
// file; write ${env(...)} in each var instead. Checked on the file as
// written.
func checkVars(d *syaml.Document) problems {
	var p problems
	var walk func(n *yaml.Node, at string)
	walk = func(n *yaml.Node, at string) {
		switch n.Kind {
		case yaml.ScalarNode:
			for _, m := range varRef.FindAllString(n.Value, -1) {
				p.add(at, "%s: a var must not refer to another var (s preview leaves the chain half-rendered in template); use ${env(...)} directly", m)
			}
		case yaml.MappingNode:
			for i := 0; i+1 < len(n.Content); i += 2 {
				walk(n.Content[i+1], joinPath(at, n.Content[i].Value))
			}
		case yaml.SequenceNode:
			for i, c := range n.Content {
				walk(c, fmt.Sprintf("%s[%d]", at, i))
			}
		}
	}
	if vars := syaml.MapValue(d.Raw, "vars"); vars != nil {
		walk(vars, "vars")
	}
	return p
}

var varRef = regexp.MustCompile(`\$\{vars\.[^}]*\}`)

// The project's functions: resource name = directory under functions/ =
// request.Function.
var projectFunctions = []string{"stop", "release", "autorelease"}

func checkFile(d *syaml.Document) problems {
	var p problems
	if v := syaml.MapValue(d.Root, "edition"); scalar(v) != "3.0.0" {
		p.add("edition", "want 3.0.0")
	}
	if len(d.Resources) == 0 {
		p.add("resources", "no resources")
	}
	functionNames := map[string]string{} // functionName -> resource
	for _, name := range d.ResourceNames() {
		fn := scalar(syaml.MapValue(syaml.MapValue(resource(d, name), "props"), "functionName"))
		if prev, dup := functionNames[fn]; dup && fn != "" {
			p.add("resources."+name+".props.functionName", "%q is also the functionName of resource %s", fn, prev)
		}
		functionNames[fn] = name
	}
	for _, name := range d.ResourceNames() {
		p = append(p, checkResource(name, resource(d, name), functionNames)...)
	}
	return p
}

var (
	functionNamePattern = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_-]{0,127}$`)
	roleARNPattern      = regexp.MustCompile(`^acs:ram::\d+:role/[A-Za-z0-9._-]{1,64}$`)
	regionIDPattern     = regexp.MustCompile(`^[a-z]{2}-[a-z0-9-]+$`)
)

// expectedBuild is the one pre-deploy step each function must have.
func expectedBuild(fn string) string {
	return "GOOS=linux GOARCH=amd64 CGO_ENABLED=0 go build -o dist/" + fn + "/main ./functions/" + fn
}

func checkResource(name string, res *yaml.Node, functionNames map[string]string) problems {
	var p problems
	at := "resources." + name
	if !slices.Contains(projectFunctions, name) {
		p.add(at, "unknown resource; this project deploys %s (one per functions/<name>)", strings.Join(projectFunctions, ", "))
	}
	if c := scalar(syaml.MapValue(res, "component")); c != "fc3" {
		p.add(at+".component", "%q: want fc3", c)
	}
	props := syaml.MapValue(res, "props")
	if props == nil || props.Kind != yaml.MappingNode {
		p.add(at+".props", "missing")
		return p
	}
	pa := at + ".props"

	// runtime/handler pairing: go1 runs the executable named by handler,
	// and the build writes it as `main`.
	if rt := scalar(syaml.MapValue(props, "runtime")); rt != "go1" {
		p.add(pa+".runtime", "%q: want go1 (fc-runtime-go-sdk's fc.Start only works in the go1 runtime)", rt)
	}
	if h := scalar(syaml.MapValue(props, "handler")); h != "main" {
		p.add(pa+".handler", "%q: runtime go1 runs the executable named by handler; the build writes dist/%s/main, so want main", h, name)
	}
	fname := scalar(syaml.MapValue(props, "functionName"))
	if !functionNamePattern.MatchString(fname) {
		p.add(pa+".functionName", "%q: want 1-128 letters, digits, _ or -, not starting with a digit or -", fname)
	}
	if r := scalar(syaml.MapValue(props, "region")); !regionIDPattern.MatchString(r) {
		p.add(pa+".region", "%q: want a region ID such as cn-hangzhou", r)
	}
	if role := scalar(syaml.MapValue(props, "role")); !roleARNPattern.MatchString(role) {
		p.add(pa+".role", "%q: want acs:ram::<accountId>:role/<name>", role)
	}
	checkInt(&p, props, pa, "timeout", 1, 86400, 0)
	checkInt(&p, props, pa, "memorySize", 128, 32768, 64)

	// Build step and code directory.
	want := expectedBuild(name)
	steps := syaml.MapValue(syaml.MapValue(res, "actions"), "pre-deploy")
	if steps == nil || steps.Kind != yaml.SequenceNode || len(steps.Content) == 0 {
		p.add(at+".actions.pre-deploy", "missing; want one step `run: %s` with `path: ./`", want)
	} else {
		for i, st := range steps.Content {
			sa := fmt.Sprintf("%s.actions.pre-deploy[%d]", at, i)
			if run := scalar(syaml.MapValue(st, "run")); run != want {
				p.add(sa+".run", "%q: want exactly %q", run, want)
			}
			if pth := scalar(syaml.MapValue(st, "path")); path.Clean(pth) != "." {
				p.add(sa+".path", "%q: want ./ (the module root, where ./functions/%s resolves)", pth, name)
			}
		}
	}
	if code := scalar(syaml.MapValue(props, "code")); path.Clean(code) != "dist/"+name {
		p.add(pa+".code", "%q: want ./dist/%s, the directory the pre-deploy build writes main into", code, name)
	}

	p = append(p, checkEnv(pa+".environmentVariables", syaml.MapValue(props, "environmentVariables"), name)...)
	p = append(p, checkAsync(pa+".asyncInvokeConfig", syaml.MapValue(props, "asyncInvokeConfig"), fname, scalar(syaml.MapValue(props, "region")), functionNames)...)

	triggers := syaml.MapValue(props, "triggers")
	if triggers != nil && triggers.Kind != yaml.SequenceNode {
		p.add(pa+".triggers", "want a list")
		return p
	}
	seen := map[string]bool{}
	if triggers != nil {
		for i, tr := range triggers.Content {
			ta := fmt.Sprintf("%s.triggers[%d]", pa, i)
			if tn := scalar(syaml.MapValue(tr, "triggerName")); tn != "" {
				if seen[tn] {
					p.add(ta+".triggerName", "%q is used twice in this function", tn)
				}
				seen[tn] = true
			}
			p = append(p, checkTrigger(ta, tr, name)...)
		}
	}
	return p
}

func checkInt(p *problems, m *yaml.Node, at, key string, lo, hi, step int) {
	n := syaml.MapValue(m, key)
	if n == nil {
		p.add(joinPath(at, key), "missing")
		return
	}
	v, err := strconv.Atoi(n.Value)
	if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!int" || err != nil {
		p.add(joinPath(at, key), "%s: want an integer", describe(n))
		return
	}
	if v < lo || v > hi || (step > 0 && v%step != 0) {
		extra := ""
		if step > 0 {
			extra = fmt.Sprintf(" in steps of %d", step)
		}
		p.add(joinPath(at, key), "%d: want %d to %d%s", v, lo, hi, extra)
	}
}

// specEnv is the functions' configuration: every function gets all of it.
var specEnv = []string{
	"DRY_RUN", "PROTECT_TAG", "MANAGED_TAG", "MAX_INSTANCES", "STOPPED_MODE", "TTL_TAG", "EXPIRE_TAG",
	"ECS_MAX_QPS", "DEFAULT_REGION", "WAIT_MIN_DELAY", "WAIT_MAX_DELAY", "DEADLINE_MARGIN", "SWEEP_SPREAD", "ECS_ENDPOINT",
	"CMS_MAX_QPS", "CMS_ENDPOINT",
	"NOTIFY_DINGTALK_URL", "NOTIFY_DINGTALK_SECRET", "NOTIFY_FEISHU_URL", "NOTIFY_FEISHU_SECRET", "NOTIFY_WECOM_URL",
	"NOTIFY_SLACK_URL", "NOTIFY_WEBHOOK_URL", "NOTIFY_ON", "NOTIFY_LANG", "OWNER_TAG", "WARN_BEFORE",
}

// functionEnv is the configuration only one function reads, set on that
// function alone (by resource name): SPOT_SNAPSHOT is release's.
var functionEnv = map[string][]string{
	"release": {config.EnvSpotSnapshot},
}

// envFor is every variable the function of that resource must have.
func envFor(resource string) []string {
	return append(slices.Clone(specEnv), functionEnv[resource]...)
}

var envKeyPattern = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_]*$`)

func checkEnv(at string, env *yaml.Node, resource string) problems {
	var p problems
	if env == nil || env.Kind != yaml.MappingNode {
		p.add(at, "missing or not a mapping")
		return p
	}
	size := 0
	for i := 0; i+1 < len(env.Content); i += 2 {
		k, v := env.Content[i].Value, env.Content[i+1]
		ka := at + "." + k
		size += len(k) + len(v.Value)
		switch {
		case !envKeyPattern.MatchString(k):
			p.add(ka, "bad variable name: want a letter, then letters, digits or _")
		case strings.HasPrefix(k, "FC_"):
			p.add(ka, "the FC_ prefix is reserved by Function Compute")
		case !slices.Contains(envFor(resource), k):
			owner := ""
			for fn, keys := range functionEnv {
				if slices.Contains(keys, k) {
					owner = fn
				}
			}
			if owner != "" {
				p.add(ka, "only resource %s reads %s: set it there, not on %s", owner, k, resource)
				break
			}
			p.add(ka, "unknown variable (a typo?): the functions read %s", strings.Join(envFor(resource), ", "))
		}
		// FC takes a map of strings: a YAML bool, number or null is refused
		// at deploy time ("DRY_RUN: false" must be "DRY_RUN: 'false'").
		if v.Kind != yaml.ScalarNode || v.ShortTag() != "!!str" {
			p.add(ka, "value is %s, not a string: quote it (FC environment variables are strings)", describe(v))
		}
	}
	if size > 4096 {
		p.add(at, "%d bytes; FC allows 4 KB of environment variables", size)
	}
	for _, k := range envFor(resource) {
		if syaml.MapValue(env, k) == nil {
			p.add(at, "%s is missing (set every variable explicitly)", k)
		}
	}
	if ep := syaml.MapValue(env, "CMS_ENDPOINT"); ep != nil && ep.Value != "" {
		p.add(at+".CMS_ENDPOINT", "%q: must be empty in s.yaml (it points CloudMonitor calls at a local emulator)", ep.Value)
	}
	if ep := syaml.MapValue(env, "ECS_ENDPOINT"); ep != nil && ep.Value != "" {
		p.add(at+".ECS_ENDPOINT", "%q: must be empty in s.yaml (it points the SDK at a local emulator)", ep.Value)
	}
	return p
}

// destinationARN is the FC 3.0 function ARN form, explicit account id.
var destinationARN = regexp.MustCompile(`^acs:fc:[a-z0-9-]+:\d+:functions/[A-Za-z0-9_-]+$`)

func checkAsync(at string, cfg *yaml.Node, self, region string, functionNames map[string]string) problems {
	var p problems
	if cfg == nil {
		return p
	}
	if cfg.Kind != yaml.MappingNode {
		p.add(at, "want a mapping")
		return p
	}
	for _, k := range syaml.MapKeys(cfg) {
		if !slices.Contains([]string{"maxAsyncRetryAttempts", "maxAsyncEventAgeInSeconds", "asyncTask", "qualifier", "destinationConfig"}, k) {
			p.add(at+"."+k, "unknown key")
		}
	}
	if syaml.MapValue(cfg, "maxAsyncRetryAttempts") != nil {
		checkInt(&p, cfg, at, "maxAsyncRetryAttempts", 0, 8, 0)
	}
	if syaml.MapValue(cfg, "maxAsyncEventAgeInSeconds") != nil {
		checkInt(&p, cfg, at, "maxAsyncEventAgeInSeconds", 1, 2592000, 0)
	}
	dc := syaml.MapValue(cfg, "destinationConfig")
	for _, k := range syaml.MapKeys(dc) {
		da := at + ".destinationConfig." + k
		if k != "onSuccess" && k != "onFailure" {
			p.add(da, "unknown key: want onSuccess or onFailure")
			continue
		}
		arn := scalar(syaml.MapValue(syaml.MapValue(dc, k), "destination"))
		if !destinationARN.MatchString(arn) {
			p.add(da+".destination", "%q is not an FC 3.0 function ARN acs:fc:<region>:<accountId>:functions/<name>", arn)
			continue
		}
		parts := strings.Split(arn, ":")
		target := strings.TrimPrefix(parts[4], "functions/")
		switch {
		case parts[2] != region:
			p.add(da+".destination", "%q is in region %s, the function in %s", arn, parts[2], region)
		case target == self && k == "onSuccess":
			p.add(da+".destination", "%q names the function itself (an invocation loop)", arn)
		// onFailure may name the function itself: it answers a failure
		// record with a report and never fails on it, so nothing loops.
		case functionNames[target] == "":
			p.add(da+".destination", "%q names function %q, which this s.yaml does not define", arn, target)
		}
	}
	return p
}

// Allowed keys per trigger type (fc3 TimerTriggerConfig, HTTPTriggerConfig,
// EventBridgeTriggerConfig). fc3's schema accepts any object here, so a
// misspelt key would otherwise deploy silently.
var (
	triggerKeys       = []string{"triggerName", "triggerType", "triggerConfig", "qualifier", "description", "sourceArn", "invocationRole"}
	triggerConfigKeys = map[string][]string{
		"timer":       {"cronExpression", "enable", "payload"},
		"http":        {"authType", "methods", "disableURLInternet", "authConfig"},
		"eventbridge": {"triggerEnable", "asyncInvocationType", "eventRuleFilterPattern", "eventSourceConfig", "eventSinkConfig", "runOptions"},
	}
	triggerConfigRequired = map[string][]string{
		"timer":       {"cronExpression", "enable"},
		"http":        {"authType", "methods"},
		"eventbridge": {"triggerEnable", "asyncInvocationType", "eventRuleFilterPattern", "eventSourceConfig"},
	}
	authTypes        = []string{"anonymous", "function", "jwt"}
	httpMethods      = []string{"HEAD", "DELETE", "POST", "GET", "OPTIONS", "PUT", "PATCH"}
	eventSourceTypes = []string{"Default", "MNS", "RocketMQ", "RabbitMQ", "Kafka", "DTS"}
)

func checkTrigger(at string, tr *yaml.Node, fn string) problems {
	var p problems
	if tr.Kind != yaml.MappingNode {
		p.add(at, "want a mapping")
		return p
	}
	for _, k := range syaml.MapKeys(tr) {
		if !slices.Contains(triggerKeys, k) {
			p.add(at+"."+k, "unknown trigger key: want one of %s", strings.Join(triggerKeys, ", "))
		}
	}
	if scalar(syaml.MapValue(tr, "triggerName")) == "" {
		p.add(at+".triggerName", "missing")
	}
	typ := scalar(syaml.MapValue(tr, "triggerType"))
	allowed, ok := triggerConfigKeys[typ]
	if !ok {
		p.add(at+".triggerType", "%q: this project uses timer, http and eventbridge triggers", typ)
		return p
	}
	ca := at + ".triggerConfig"
	cfg := syaml.MapValue(tr, "triggerConfig")
	if cfg == nil || cfg.Kind != yaml.MappingNode {
		p.add(ca, "missing or not a mapping")
		return p
	}
	for _, k := range syaml.MapKeys(cfg) {
		if !slices.Contains(allowed, k) {
			p.add(ca+"."+k, "unknown %s trigger key: want one of %s", typ, strings.Join(allowed, ", "))
		}
	}
	for _, k := range triggerConfigRequired[typ] {
		if syaml.MapValue(cfg, k) == nil {
			p.add(ca+"."+k, "missing (required for a %s trigger)", typ)
		}
	}
	wantBool := func(k string) {
		if n := syaml.MapValue(cfg, k); n != nil && n.ShortTag() != "!!bool" {
			p.add(ca+"."+k, "%s: want true or false (unquoted)", describe(n))
		}
	}
	switch typ {
	case "timer":
		wantBool("enable")
		if n := syaml.MapValue(cfg, "cronExpression"); n != nil {
			if _, err := cron.Parse(n.Value); err != nil || n.ShortTag() != "!!str" {
				if err == nil {
					err = errors.New("want a string")
				}
				p.add(ca+".cronExpression", "%v", err)
			}
		}
		if n := syaml.MapValue(cfg, "payload"); n != nil {
			if err := checkTimerPayload(n, fn, scalar(syaml.MapValue(tr, "triggerName"))); err != nil {
				p.add(ca+".payload", "%v", err)
			}
		}
	case "http":
		wantBool("disableURLInternet")
		auth := scalar(syaml.MapValue(cfg, "authType"))
		switch {
		case !slices.Contains(authTypes, auth):
			p.add(ca+".authType", "%q: want one of %s", auth, strings.Join(authTypes, ", "))
		case auth != "function":
			p.add(ca+".authType", "%q: these functions act on ECS instances, so HTTP callers must sign (authType: function)", auth)
		}
		if auth == "jwt" && syaml.MapValue(cfg, "authConfig") == nil {
			p.add(ca+".authConfig", "missing (authType jwt needs it)")
		}
		if m := syaml.MapValue(cfg, "methods"); m != nil {
			if m.Kind != yaml.SequenceNode || len(m.Content) == 0 {
				p.add(ca+".methods", "want a non-empty list")
			} else {
				seen := map[string]bool{}
				for _, x := range m.Content {
					if !slices.Contains(httpMethods, x.Value) {
						p.add(ca+".methods", "%q: want one of %s", x.Value, strings.Join(httpMethods, ", "))
					}
					if seen[x.Value] {
						p.add(ca+".methods", "%q listed twice", x.Value)
					}
					seen[x.Value] = true
				}
			}
		}
	case "eventbridge":
		wantBool("triggerEnable")
		wantBool("asyncInvocationType")
		if n := syaml.MapValue(cfg, "eventRuleFilterPattern"); n != nil {
			if err := jsonObjectString(n); err != nil {
				p.add(ca+".eventRuleFilterPattern", "%v", err)
			}
		}
		if n := syaml.MapValue(cfg, "eventSourceConfig"); n != nil {
			if st := scalar(syaml.MapValue(n, "eventSourceType")); !slices.Contains(eventSourceTypes, st) {
				p.add(ca+".eventSourceConfig.eventSourceType", "%q: want one of %s", st, strings.Join(eventSourceTypes, ", "))
			}
		}
	}
	return p
}

// jsonObjectString: a YAML string holding one JSON object.
func jsonObjectString(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!str" {
		return fmt.Errorf("%s: want a string holding JSON (quote it)", describe(n))
	}
	var obj map[string]any
	dec := json.NewDecoder(strings.NewReader(n.Value))
	if err := dec.Decode(&obj); err != nil || obj == nil {
		return fmt.Errorf("%q is not a JSON object: %v", n.Value, err)
	}
	if dec.More() {
		return fmt.Errorf("%q has data after the JSON object", n.Value)
	}
	return nil
}

// checkTimerPayload: the payload is a string holding a JSON object, and the
// timer event carrying it decodes into a valid request for fn.
func checkTimerPayload(n *yaml.Node, fn, triggerName string) error {
	if err := jsonObjectString(n); err != nil {
		return err
	}
	if !slices.Contains(projectFunctions, fn) {
		return nil
	}
	ev, _ := json.Marshal(map[string]string{"triggerTime": "2026-01-01T00:00:00Z", "triggerName": triggerName, "payload": n.Value})
	if _, err := request.Decode(ev, request.WithFunction(request.Function(fn))); err != nil {
		return fmt.Errorf("not a valid %s request: %v", fn, err)
	}
	return nil
}

// ---------------------------------------------------------------------------
// Tests over the real s.yaml

func loadReal(t *testing.T, getenv syaml.LookupEnv) *syaml.Document {
	t.Helper()
	d, err := syaml.ParseFile(sYAMLPath, getenv)
	require.NoError(t, err)
	return d
}

func TestSYAMLHasNoProblems(t *testing.T) {
	data, err := os.ReadFile(sYAMLPath)
	require.NoError(t, err)
	for _, tc := range []struct {
		name string
		env  syaml.LookupEnv
	}{
		{"defaults", noEnv},
		{"overridden", envMap(map[string]string{
			"FC_REGION": "cn-shanghai", "ALIBABA_CLOUD_ACCOUNT_ID": "5000000000000001", "DRY_RUN": "false",
			"FC_ROLE_NAME": "my-role", "MAX_INSTANCES": "20", "MANAGED_TAG": "team=batch",
		})},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, pr := range checkSYAML(data, tc.env) {
				t.Error(pr)
			}
		})
	}
}

func TestSYAMLResources(t *testing.T) {
	f := loadReal(t, noEnv)
	assert.Equal(t, projectFunctions, f.ResourceNames(), "resources, in deploy order")
	for _, tc := range []struct {
		resource, functionName string
		timeout                int
		triggers               map[string]string // name -> type
		destination            string
	}{
		{"stop", "ecs-stop", 600, map[string]string{"nightly-cleanup": "timer", "http": "http"},
			"acs:fc:cn-hangzhou:123456789012:functions/ecs-release"},
		{"release", "ecs-release", 900, map[string]string{"http": "http", "job-completed": "eventbridge", "spot-interrupted": "eventbridge"}, ""},
		{"autorelease", "ecs-autorelease", 300, map[string]string{"hourly-sweep": "timer", "http": "http"}, ""},
	} {
		t.Run(tc.resource, func(t *testing.T) {
			res := resource(f, tc.resource)
			require.NotNil(t, res)
			props := syaml.MapValue(res, "props")
			assert.Equal(t, "fc3", scalar(syaml.MapValue(res, "component")))
			assert.Equal(t, "go1", scalar(syaml.MapValue(props, "runtime")))
			assert.Equal(t, "main", scalar(syaml.MapValue(props, "handler")))
			assert.Equal(t, tc.functionName, scalar(syaml.MapValue(props, "functionName")))
			assert.Equal(t, strconv.Itoa(tc.timeout), scalar(syaml.MapValue(props, "timeout")))
			assert.Equal(t, "128", scalar(syaml.MapValue(props, "memorySize")))
			assert.Equal(t, "./dist/"+tc.resource, scalar(syaml.MapValue(props, "code")))
			assert.Equal(t, "acs:ram::123456789012:role/ecs-release-fc", scalar(syaml.MapValue(props, "role")))
			assert.Equal(t, "true", scalar(syaml.MapValue(props, "internetAccess")))
			steps := syaml.MapValue(syaml.MapValue(res, "actions"), "pre-deploy")
			require.NotNil(t, steps)
			require.Len(t, steps.Content, 1)
			assert.Equal(t, expectedBuild(tc.resource), scalar(syaml.MapValue(steps.Content[0], "run")))

			got := map[string]string{}
			for _, tr := range syaml.MapValue(props, "triggers").Content {
				got[scalar(syaml.MapValue(tr, "triggerName"))] = scalar(syaml.MapValue(tr, "triggerType"))
			}
			assert.Equal(t, tc.triggers, got)
			dest := syaml.MapValue(syaml.MapValue(syaml.MapValue(syaml.MapValue(props, "asyncInvokeConfig"), "destinationConfig"), "onSuccess"), "destination")
			assert.Equal(t, tc.destination, scalar(dest))
			for _, tr := range syaml.MapValue(props, "triggers").Content {
				if scalar(syaml.MapValue(tr, "triggerType")) == "http" {
					assert.Equal(t, "function", scalar(syaml.MapValue(syaml.MapValue(tr, "triggerConfig"), "authType")), "HTTP triggers are signed")
				}
			}
		})
	}
	methods := func(fn string) []string {
		var out []string
		for _, tr := range syaml.MapValue(syaml.MapValue(resource(f, fn), "props"), "triggers").Content {
			if scalar(syaml.MapValue(tr, "triggerType")) == "http" {
				for _, m := range syaml.MapValue(syaml.MapValue(tr, "triggerConfig"), "methods").Content {
					out = append(out, m.Value)
				}
			}
		}
		return out
	}
	assert.Equal(t, []string{"POST"}, methods("stop"))
	assert.Equal(t, []string{"POST"}, methods("release"))
	assert.Equal(t, []string{"GET", "POST"}, methods("autorelease"), "GET ?instanceId= reports the current setting")
}

// wantEnv is the configuration a deploy from a clean shell gets.
var wantEnv = map[string]string{
	"DRY_RUN":         "true",
	"PROTECT_TAG":     "ecs-release:protect=true",
	"MANAGED_TAG":     "ecs-release:managed=true",
	"MAX_INSTANCES":   "100",
	"STOPPED_MODE":    "StopCharging",
	"TTL_TAG":         "ecs-release:ttl",
	"EXPIRE_TAG":      "ecs-release:expires",
	"ECS_MAX_QPS":     "50",
	"DEFAULT_REGION":  "cn-hangzhou",
	"WAIT_MIN_DELAY":  "5s",
	"WAIT_MAX_DELAY":  "30s",
	"DEADLINE_MARGIN": "30s",
	"SWEEP_SPREAD":    "10m",
	"ECS_ENDPOINT":    "",
	"CMS_MAX_QPS":     "10",
	"CMS_ENDPOINT":    "",
	// Notifications: every channel off unless the deploy shell sets it.
	"NOTIFY_DINGTALK_URL":    "",
	"NOTIFY_DINGTALK_SECRET": "",
	"NOTIFY_FEISHU_URL":      "",
	"NOTIFY_FEISHU_SECRET":   "",
	"NOTIFY_WECOM_URL":       "",
	"NOTIFY_SLACK_URL":       "",
	"NOTIFY_WEBHOOK_URL":     "",
	"NOTIFY_ON":              "actions,failures,warnings",
	"NOTIFY_LANG":            "en",
	"OWNER_TAG":              "owner",
	"WARN_BEFORE":            "24h",
}

// wantFunctionEnv is what a function of that resource gets besides wantEnv.
var wantFunctionEnv = map[string]map[string]string{
	"release": {"SPOT_SNAPSHOT": "false"},
}

func envOf(t *testing.T, f *syaml.Document, fn string) map[string]string {
	t.Helper()
	env := syaml.MapValue(syaml.MapValue(resource(f, fn), "props"), "environmentVariables")
	require.NotNil(t, env, "%s has no environmentVariables", fn)
	out := map[string]string{}
	for i := 0; i+1 < len(env.Content); i += 2 {
		v := env.Content[i+1]
		require.Equal(t, "!!str", v.ShortTag(), "%s: %s is %s, not a string", fn, env.Content[i].Value, describe(v))
		out[env.Content[i].Value] = v.Value
	}
	return out
}

func TestSYAMLEnvironment(t *testing.T) {
	f := loadReal(t, noEnv)
	for _, fn := range projectFunctions {
		t.Run(fn, func(t *testing.T) {
			env := envOf(t, f, fn)
			want := maps.Clone(wantEnv)
			maps.Copy(want, wantFunctionEnv[fn])
			assert.Equal(t, want, env)
			// The configuration the function will load is valid, and safe.
			cfg, err := config.Load(func(k string) string { return env[k] })
			require.NoError(t, err, "the deployed environment must be a valid configuration")
			assert.True(t, cfg.DryRun, "DRY_RUN defaults to true: a first deploy acts on nothing")
			require.NotNil(t, cfg.ManagedTag)
			assert.Equal(t, "ecs-release:managed=true", cfg.ManagedTag.String())
			assert.Equal(t, "StopCharging", cfg.StoppedMode)
			assert.Equal(t, 100, cfg.MaxInstances)
			assert.False(t, cfg.SpotSnapshot, "SPOT_SNAPSHOT defaults to false: a spot interruption gets its receipt, no snapshot")
		})
	}
}

func TestSYAMLEnvironmentOverrides(t *testing.T) {
	f := loadReal(t, envMap(map[string]string{
		"DRY_RUN": "false", "FC_REGION": "cn-shanghai", "ALIBABA_CLOUD_ACCOUNT_ID": "5000000000000001", "MAX_INSTANCES": "20",
		"SPOT_SNAPSHOT":       "true",
		"NOTIFY_DINGTALK_URL": "https://oapi.dingtalk.com/robot/send?access_token=tok123456", "NOTIFY_DINGTALK_SECRET": "SECabc",
		"NOTIFY_ON": "all", "NOTIFY_LANG": "zh",
	}))
	for _, fn := range projectFunctions {
		t.Run(fn, func(t *testing.T) {
			env := envOf(t, f, fn) // still strings, not a YAML bool or int
			assert.Equal(t, "false", env["DRY_RUN"])
			assert.Equal(t, "20", env["MAX_INSTANCES"])
			assert.Equal(t, "cn-shanghai", env["DEFAULT_REGION"])
			cfg, err := config.Load(func(k string) string { return env[k] })
			require.NoError(t, err)
			assert.False(t, cfg.DryRun)
			assert.Equal(t, fn == "release", cfg.SpotSnapshot, "SPOT_SNAPSHOT reaches release only")
			assert.Equal(t, "https://oapi.dingtalk.com/robot/send?access_token=tok123456", env["NOTIFY_DINGTALK_URL"], "the channel comes from the deploy shell")
			assert.Equal(t, "SECabc", env["NOTIFY_DINGTALK_SECRET"])
			require.NotNil(t, cfg.Notify)
			assert.True(t, cfg.Notify.Enabled())
			// Every function reports its own failures: onFailure is itself.
			self := syaml.MapValue(syaml.MapValue(syaml.MapValue(syaml.MapValue(syaml.MapValue(resource(f, fn), "props"), "asyncInvokeConfig"), "destinationConfig"), "onFailure"), "destination")
			name := scalar(syaml.MapValue(syaml.MapValue(resource(f, fn), "props"), "functionName"))
			assert.Equal(t, "acs:fc:cn-shanghai:5000000000000001:functions/"+name, scalar(self))
		})
	}
	dest := syaml.MapValue(syaml.MapValue(syaml.MapValue(syaml.MapValue(syaml.MapValue(resource(f, "stop"), "props"), "asyncInvokeConfig"), "destinationConfig"), "onSuccess"), "destination")
	assert.Equal(t, "acs:fc:cn-shanghai:5000000000000001:functions/ecs-release", scalar(dest))
}

func TestSYAMLTimerPayloads(t *testing.T) {
	f := loadReal(t, noEnv)
	for _, tc := range []struct {
		fn, trigger, cron string
		check             func(t *testing.T, r request.Request)
	}{
		{"stop", "nightly-cleanup", "CRON_TZ=Asia/Shanghai 0 0 2 * * *", func(t *testing.T, r request.Request) {
			require.NotNil(t, r.Selector)
			assert.Equal(t, "true", r.Selector.Tags["ecs-release:managed"], "the policy stays inside the managed scope")
			assert.Equal(t, request.ThenRelease, r.Then, "the nightly run hands off to release")
			assert.True(t, r.FallsBackToKeepCharging(), "an instance without economical mode is stopped in KeepCharging, then released, rather than left running")
			assert.NotEmpty(t, r.Reason)
		}},
		{"autorelease", "hourly-sweep", "0 0 * * * *", func(t *testing.T, r request.Request) {
			assert.True(t, r.Sweep)
			assert.NotEmpty(t, r.Reason)
		}},
	} {
		t.Run(tc.fn+"/"+tc.trigger, func(t *testing.T) {
			var cfg *yaml.Node
			for _, tr := range syaml.MapValue(syaml.MapValue(resource(f, tc.fn), "props"), "triggers").Content {
				if scalar(syaml.MapValue(tr, "triggerName")) == tc.trigger {
					cfg = syaml.MapValue(tr, "triggerConfig")
				}
			}
			require.NotNil(t, cfg)
			assert.Equal(t, tc.cron, scalar(syaml.MapValue(cfg, "cronExpression")))
			assert.Equal(t, "true", scalar(syaml.MapValue(cfg, "enable")))
			payload := syaml.MapValue(cfg, "payload")
			require.Equal(t, "!!str", payload.ShortTag(), "the payload is a string holding JSON")
			ev, _ := json.Marshal(map[string]string{"triggerTime": "2026-01-01T00:00:00Z", "triggerName": tc.trigger, "payload": payload.Value})
			inv, err := request.Decode(ev, request.WithFunction(request.Function(tc.fn)))
			require.NoError(t, err)
			require.Len(t, inv.Requests, 1)
			tc.check(t, inv.Requests[0])
		})
	}
}

// eventPattern returns the filter pattern of release's EventBridge trigger
// of that name.
func eventPattern(t *testing.T, f *syaml.Document, trigger string) map[string][]string {
	t.Helper()
	var pattern map[string][]string
	for _, tr := range syaml.MapValue(syaml.MapValue(resource(f, "release"), "props"), "triggers").Content {
		if scalar(syaml.MapValue(tr, "triggerName")) == trigger {
			require.Equal(t, "eventbridge", scalar(syaml.MapValue(tr, "triggerType")))
			require.NoError(t, json.Unmarshal([]byte(scalar(syaml.MapValue(syaml.MapValue(tr, "triggerConfig"), "eventRuleFilterPattern"))), &pattern))
		}
	}
	require.NotEmpty(t, pattern, "release has an eventbridge trigger %s with a filter pattern", trigger)
	return pattern
}

// matches: the event has, for every key of a flat pattern, one of the
// values it allows.
func matches(pattern map[string][]string, ev map[string]any) bool {
	for k, allowed := range pattern {
		s, ok := ev[k].(string)
		if !ok || !slices.Contains(allowed, s) {
			return false
		}
	}
	return true
}

// TestSYAMLEventBridgeJobEvent: a job-completion event that the trigger's
// filter pattern matches decodes into a release request.
func TestSYAMLEventBridgeJobEvent(t *testing.T) {
	f := loadReal(t, noEnv)
	pattern := eventPattern(t, f, "job-completed")
	for _, tc := range []struct {
		name, data string
		ids        []string
		keep       bool
	}{
		{"one instance succeeded", `{"instanceId":"i-bp1job0001","status":"succeeded","jobId":"j-42"}`, []string{"i-bp1job0001"}, false},
		{"several failed, keep", `{"instanceIds":["i-bp1job0001","i-bp1job0002"],"status":"failed","keepOnFailure":true}`, []string{"i-bp1job0001", "i-bp1job0002"}, true},
		{"by ARN, in another region", `{"instanceId":"acs:ecs:cn-shanghai:1234567890123456:instance/i-uf6job0001","status":"succeeded"}`, []string{"acs:ecs:cn-shanghai:1234567890123456:instance/i-uf6job0001"}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ev := map[string]any{
				"specversion": "1.0", "id": "evt-1", "source": "batch.jobs", "type": "job:Completed",
				"time": "2026-01-01T00:00:00Z", "datacontenttype": "application/json", "data": json.RawMessage(tc.data),
			}
			assert.True(t, matches(pattern, ev), "the filter pattern matches the documented event")
			assert.False(t, matches(eventPattern(t, f, "spot-interrupted"), ev), "the spot trigger does not take job events")
			raw, err := json.Marshal(ev)
			require.NoError(t, err)
			inv, err := request.Decode(raw, request.WithFunction(request.Release))
			require.NoError(t, err)
			require.Len(t, inv.Requests, 1)
			assert.Equal(t, tc.ids, inv.Requests[0].InstanceIDs)
			assert.Equal(t, tc.keep, inv.Requests[0].KeepAfterStop())
		})
	}
}

// TestSYAMLEventBridgeSpotEvent: the spot interruption event ECS sends, as
// the emulator emits it, is matched by the spot-interrupted trigger (and
// by no other) and decodes into release's answer to an interruption, in
// EventBridge's form as delivered and in CloudMonitor's.
func TestSYAMLEventBridgeSpotEvent(t *testing.T) {
	f := loadReal(t, noEnv)
	emu, err := ecsemu.New(ecsemu.Options{})
	require.NoError(t, err)
	_, err = emu.AddInstances([]ecsemu.Instance{{InstanceId: "i-bp1spot0001", SpotStrategy: "SpotAsPriceGo"}})
	require.NoError(t, err)
	require.NoError(t, emu.SpotInterrupt("i-bp1spot0001"))
	events := emu.Events()
	require.Len(t, events, 1)
	raw, err := json.Marshal(events[0])
	require.NoError(t, err)
	var ev map[string]any
	require.NoError(t, json.Unmarshal(raw, &ev))
	assert.True(t, matches(eventPattern(t, f, "spot-interrupted"), ev), "the trigger takes ECS's event: %s", raw)
	assert.False(t, matches(eventPattern(t, f, "job-completed"), ev), "the job trigger does not")

	cm, err := json.Marshal(events[0].CloudMonitor())
	require.NoError(t, err)
	for form, payload := range map[string][]byte{"eventbridge": raw, "cloudmonitor": cm} {
		t.Run(form, func(t *testing.T) {
			inv, err := request.Decode(payload, request.WithFunction(request.Release))
			require.NoError(t, err)
			require.Len(t, inv.Requests, 1)
			r := inv.Requests[0]
			assert.True(t, r.IsSpotInterruption())
			assert.Equal(t, request.SpotActionDelete, r.SpotInterruption)
			assert.Equal(t, []string{"i-bp1spot0001"}, r.InstanceIDs)
			assert.Equal(t, "cn-hangzhou", r.Region, "the region the event names")
		})
	}
	for _, fn := range []request.Function{request.Stop, request.AutoRelease} {
		_, err := request.Decode(raw, request.WithFunction(fn))
		assert.Error(t, err, "only release answers a spot interruption (%s refuses it)", fn)
	}
}

// TestFunctionsBuild builds each function exactly as its pre-deploy step does
// (static linux/amd64), into a temporary directory.
func TestFunctionsBuild(t *testing.T) {
	f := loadReal(t, noEnv)
	root, err := filepath.Abs("..")
	require.NoError(t, err)
	goBin, err := exec.LookPath("go")
	if err != nil {
		goBin = filepath.Join(os.Getenv("GOROOT"), "bin", "go")
	}
	for _, fn := range f.ResourceNames() {
		t.Run(fn, func(t *testing.T) {
			if st, err := os.Stat(filepath.Join(root, "functions", fn)); err != nil || !st.IsDir() {
				t.Skipf("functions/%s does not exist yet: the build check runs once the function lands", fn)
			}
			out := filepath.Join(t.TempDir(), "main")
			cmd := exec.Command(goBin, "build", "-o", out, "./functions/"+fn)
			cmd.Dir = root
			cmd.Env = append(os.Environ(), "GOOS=linux", "GOARCH=amd64", "CGO_ENABLED=0")
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			require.NoError(t, cmd.Run(), "go build ./functions/%s:\n%s", fn, stderr.String())
			bin, err := elf.Open(out)
			require.NoError(t, err, "functions/%s must be a main package that builds an executable", fn)
			defer bin.Close()
			assert.Equal(t, elf.EM_X86_64, bin.Machine, "go1 runs x86_64 Linux binaries")
			assert.Equal(t, elf.ET_EXEC, bin.Type)
			for _, prog := range bin.Progs {
				assert.NotEqual(t, elf.PT_INTERP, prog.Type, "the binary must be static (CGO_ENABLED=0)")
			}
		})
	}
}

// ---------------------------------------------------------------------------
// The checker itself

// baseYAML is a small valid s.yaml; each broken case changes one thing.
const baseYAML = `edition: 3.0.0
name: t
access: default
vars:
  region: ${env('FC_REGION', 'cn-hangzhou')}
  accountId: ${env('ALIBABA_CLOUD_ACCOUNT_ID', '123456789012')}
  dryRun: ${env('DRY_RUN', 'true')}
template:
  go:
    region: ${vars.region}
    runtime: go1
    handler: main
    memorySize: 128
    role: acs:ram::${vars.accountId}:role/r
    environmentVariables:
      DRY_RUN: ${vars.dryRun}
      PROTECT_TAG: 'ecs-release:protect=true'
      MANAGED_TAG: 'ecs-release:managed=true'
      MAX_INSTANCES: '100'
      STOPPED_MODE: StopCharging
      TTL_TAG: 'ecs-release:ttl'
      EXPIRE_TAG: 'ecs-release:expires'
      ECS_MAX_QPS: '50'
      DEFAULT_REGION: ${vars.region}
      WAIT_MIN_DELAY: 5s
      WAIT_MAX_DELAY: 30s
      DEADLINE_MARGIN: 30s
      SWEEP_SPREAD: 10m
      ECS_ENDPOINT: ''
      CMS_MAX_QPS: '10'
      CMS_ENDPOINT: ''
      NOTIFY_DINGTALK_URL: ''
      NOTIFY_DINGTALK_SECRET: ''
      NOTIFY_FEISHU_URL: ''
      NOTIFY_FEISHU_SECRET: ''
      NOTIFY_WECOM_URL: ''
      NOTIFY_SLACK_URL: ''
      NOTIFY_WEBHOOK_URL: ''
      NOTIFY_ON: 'actions,failures,warnings'
      NOTIFY_LANG: 'en'
      OWNER_TAG: 'owner'
      WARN_BEFORE: '24h'
resources:
  stop:
    component: fc3
    actions:
      pre-deploy:
        - run: GOOS=linux GOARCH=amd64 CGO_ENABLED=0 go build -o dist/stop/main ./functions/stop
          path: ./
    extend: {name: go}
    props:
      functionName: ecs-stop
      code: ./dist/stop
      timeout: 600
      asyncInvokeConfig:
        maxAsyncRetryAttempts: 2
        destinationConfig:
          onSuccess: {destination: 'acs:fc:${vars.region}:${vars.accountId}:functions/ecs-release'}
      triggers:
        - triggerName: nightly
          triggerType: timer
          triggerConfig:
            cronExpression: 'CRON_TZ=Asia/Shanghai 0 0 2 * * *'
            enable: true
            payload: '{"selector":{"tags":{"lifecycle":"ephemeral"}},"then":"release"}'
        - triggerName: http
          triggerType: http
          triggerConfig: {authType: function, methods: [POST]}
  release:
    component: fc3
    actions:
      pre-deploy:
        - run: GOOS=linux GOARCH=amd64 CGO_ENABLED=0 go build -o dist/release/main ./functions/release
          path: ./
    extend: {name: go}
    props:
      functionName: ecs-release
      code: ./dist/release
      timeout: 900
      environmentVariables:
        SPOT_SNAPSHOT: 'false'
      triggers:
        - triggerName: jobs
          triggerType: eventbridge
          triggerConfig:
            triggerEnable: true
            asyncInvocationType: true
            eventRuleFilterPattern: '{"source":["batch.jobs"]}'
            eventSourceConfig: {eventSourceType: Default}
`

func TestCheckerBaseIsValid(t *testing.T) {
	assert.Empty(t, checkSYAML([]byte(baseYAML), noEnv))
}

func TestCheckerCatchesBrokenYAML(t *testing.T) {
	for _, tc := range []struct {
		name     string
		old, new string // replaced once in baseYAML
		problem  []string
	}{
		{"unquoted bool env", "DRY_RUN: ${vars.dryRun}", "DRY_RUN: false",
			[]string{"environmentVariables.DRY_RUN", "!!bool", "not a string"}},
		{"unquoted int env", "MAX_INSTANCES: '100'", "MAX_INSTANCES: 100",
			[]string{"environmentVariables.MAX_INSTANCES", "!!int", "not a string"}},
		{"bool var injected into env", "dryRun: ${env('DRY_RUN', 'true')}", "dryRun: true",
			[]string{"environmentVariables.DRY_RUN", "!!bool", "not a string"}},
		{"env var typo", "SWEEP_SPREAD: 10m", "SWEEP_SPRED: 10m",
			[]string{"SWEEP_SPRED", "unknown variable", "SWEEP_SPREAD is missing"}},
		{"endpoint set", "ECS_ENDPOINT: ''", "ECS_ENDPOINT: 'http://127.0.0.1:8080'",
			[]string{"ECS_ENDPOINT", "must be empty"}},
		{"release's variable on every function", "SWEEP_SPREAD: 10m", "SWEEP_SPREAD: 10m\n      SPOT_SNAPSHOT: 'true'",
			[]string{"resources.stop.props.environmentVariables.SPOT_SNAPSHOT", "only resource release reads SPOT_SNAPSHOT"}},
		{"release without its variable", "      environmentVariables:\n        SPOT_SNAPSHOT: 'false'\n", "",
			[]string{"resources.release.props.environmentVariables", "SPOT_SNAPSHOT is missing"}},
		{"unquoted bool in release's variable", "SPOT_SNAPSHOT: 'false'", "SPOT_SNAPSHOT: false",
			[]string{"environmentVariables.SPOT_SNAPSHOT", "!!bool", "not a string"}},
		{"5-field cron", "0 0 2 * * *'", "0 2 * * *'",
			[]string{"cronExpression", "want 6 fields", "got 5"}},
		{"bad cron field", "0 0 2 * * *'", "0 0 26 * * *'",
			[]string{"cronExpression", "above maximum"}},
		{"enable as a string", "enable: true", "enable: 'true'",
			[]string{"triggerConfig.enable", "want true or false"}},
		{"bad ARN (FC 2.0 form)", "functions/ecs-release'", "services/svc/functions/ecs-release'",
			[]string{"destination", "not an FC 3.0 function ARN"}},
		{"ARN without account", "${vars.region}:${vars.accountId}:functions", "${vars.region}::functions",
			[]string{"destination", "not an FC 3.0 function ARN"}},
		{"destination not defined here", "functions/ecs-release'", "functions/ecs-gone'",
			[]string{"destination", `"ecs-gone"`, "does not define"}},
		{"destination loops to itself", "functions/ecs-release'", "functions/ecs-stop'",
			[]string{"destination", "names the function itself"}},
		{"unknown timer key", "cronExpression:", "cronExpresion:",
			[]string{"triggerConfig.cronExpresion", "unknown timer trigger key", "cronExpression: missing"}},
		{"unknown http key", "{authType: function, methods: [POST]}", "{authType: function, methods: [POST], cors: true}",
			[]string{"triggerConfig.cors", "unknown http trigger key"}},
		{"unknown eventbridge key", "triggerEnable: true", "triggerEnable: true\n            filter: x",
			[]string{"triggerConfig.filter", "unknown eventbridge trigger key"}},
		{"unknown trigger-level key", "- triggerName: http", "- triggerName: http\n          trigerConfig: {}",
			[]string{"trigerConfig", "unknown trigger key"}},
		{"bogus authType", "authType: function", "authType: bogus",
			[]string{"authType", `"bogus"`, "anonymous, function, jwt"}},
		{"anonymous HTTP", "authType: function", "authType: anonymous",
			[]string{"authType", "must sign"}},
		{"bad HTTP method", "methods: [POST]", "methods: [POST, FETCH]",
			[]string{"methods", `"FETCH"`}},
		{"payload not JSON", `payload: '{"selector"`, `payload: '{selector"`,
			[]string{"payload", "not a JSON object"}},
		{"payload not a string", `payload: '{"selector":{"tags":{"lifecycle":"ephemeral"}},"then":"release"}'`, `payload: {then: release}`,
			[]string{"payload", "want a string holding JSON"}},
		{"payload not a valid request", `"then":"release"}'`, `"then":"release","sweep":true}'`,
			[]string{"payload", "not a valid stop request", "sweep"}},
		{"filter pattern not JSON", `'{"source":["batch.jobs"]}'`, `'{"source":["batch.jobs"]'`,
			[]string{"eventRuleFilterPattern", "not a JSON object"}},
		{"wrong runtime", "runtime: go1", "runtime: custom.debian12",
			[]string{"runtime", `"custom.debian12"`, "want go1"}},
		{"handler not main", "handler: main", "handler: bootstrap",
			[]string{"handler", `"bootstrap"`, "want main"}},
		{"build without CGO_ENABLED=0", "GOARCH=amd64 CGO_ENABLED=0 go build -o dist/stop", "GOARCH=amd64 go build -o dist/stop",
			[]string{"pre-deploy[0].run", "want exactly"}},
		{"build of the wrong package", "-o dist/release/main ./functions/release", "-o dist/release/main ./functions/stop",
			[]string{"resources.release.actions.pre-deploy[0].run", "want exactly"}},
		{"code dir mismatch", "code: ./dist/stop", "code: ./dist",
			[]string{"props.code", "want ./dist/stop"}},
		{"wrong component", "component: fc3\n    actions:\n      pre-deploy:\n        - run: GOOS=linux GOARCH=amd64 CGO_ENABLED=0 go build -o dist/release",
			"component: fc\n    actions:\n      pre-deploy:\n        - run: GOOS=linux GOARCH=amd64 CGO_ENABLED=0 go build -o dist/release",
			[]string{"resources.release.component", "want fc3"}},
		{"timeout too long", "timeout: 900", "timeout: 90000",
			[]string{"timeout", "want 1 to 86400"}},
		{"retries out of range", "maxAsyncRetryAttempts: 2", "maxAsyncRetryAttempts: 9",
			[]string{"maxAsyncRetryAttempts", "want 0 to 8"}},
		{"unknown var", "region: ${vars.region}", "region: ${vars.regoin}",
			[]string{"s.yaml:10:5: template.go.region", "${vars.regoin}", `unknown var "regoin"`}},
		{"var refers to a var", "dryRun: ${env('DRY_RUN', 'true')}", "dryRun: ${vars.region}",
			[]string{"vars.dryRun", "must not refer to another var"}},
		{"unsupported expression", "region: ${vars.region}", "region: ${config('Region')}",
			[]string{"config('Region')", "only ${vars.x} and ${env"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			require.Equal(t, 1, strings.Count(baseYAML, tc.old), "the case must change exactly one place: %q", tc.old)
			broken := strings.Replace(baseYAML, tc.old, tc.new, 1)
			got := checkSYAML([]byte(broken), noEnv)
			require.NotEmpty(t, got, "the checker must catch: %s", tc.name)
			all := strings.Join(got, "\n")
			t.Log(all)
			for _, want := range tc.problem {
				assert.Contains(t, all, want, "problems:\n%s", all)
			}
		})
	}
}

// ---------------------------------------------------------------------------
// RAM policies (deploy/trust-policy.json, deploy/ram-policy.json)

type ramStatement struct {
	Effect    string
	Action    stringOrList
	Resource  stringOrList
	Principal map[string]stringOrList
	Condition map[string]map[string]string
}

type ramPolicy struct {
	Version   string
	Statement []ramStatement
}

// stringOrList: RAM accepts "x" or ["x", ...].
type stringOrList []string

func (s *stringOrList) UnmarshalJSON(b []byte) error {
	var one string
	if err := json.Unmarshal(b, &one); err == nil {
		*s = []string{one}
		return nil
	}
	var many []string
	if err := json.Unmarshal(b, &many); err != nil {
		return err
	}
	*s = many
	return nil
}

func loadPolicy(t *testing.T, file string) ramPolicy {
	t.Helper()
	data, err := os.ReadFile(file)
	require.NoError(t, err)
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields() // a misspelt element would be ignored by nobody
	var p ramPolicy
	require.NoError(t, dec.Decode(&p), file)
	require.Equal(t, "1", p.Version, file)
	require.NotEmpty(t, p.Statement, file)
	return p
}

func TestTrustPolicy(t *testing.T) {
	p := loadPolicy(t, "trust-policy.json")
	require.Len(t, p.Statement, 1)
	st := p.Statement[0]
	assert.Equal(t, "Allow", st.Effect)
	assert.Equal(t, stringOrList{"sts:AssumeRole"}, st.Action)
	assert.Equal(t, map[string]stringOrList{"Service": {"fc.aliyuncs.com"}}, st.Principal, "only Function Compute may assume the role")
}

// ecsCalls lists the API actions the shared code calls: every ECS action
// named in shared/ecs's newRPC("Action") (the one place ECS requests are
// built) and every CloudMonitor action its CMS requests name
// (InitWithApiInfo(cmsProduct, cmsVersion, "Action", ...)), outside
// tests, as RAM names them (ecs:…, cms:…).
func ecsCalls(t *testing.T) []string {
	t.Helper()
	re := regexp.MustCompile(`\bnewRPC\("([A-Z][A-Za-z]+)"\)|InitWithApiInfo\(cmsProduct, cmsVersion, "([A-Z][A-Za-z]+)"`)
	var calls []string
	err := filepath.WalkDir("../shared", func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".go") || strings.HasSuffix(p, "_test.go") {
			return err
		}
		src, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		for _, m := range re.FindAllStringSubmatch(string(src), -1) {
			a := "ecs:" + m[1]
			if m[2] != "" {
				a = "cms:" + m[2]
			}
			if !slices.Contains(calls, a) {
				calls = append(calls, a)
			}
		}
		return nil
	})
	require.NoError(t, err)
	slices.Sort(calls)
	return calls
}

func TestRAMPolicy(t *testing.T) {
	p := loadPolicy(t, "ram-policy.json")
	f := loadReal(t, noEnv)
	managed := envOf(t, f, "stop")["MANAGED_TAG"]
	key, value, ok := strings.Cut(managed, "=")
	require.True(t, ok, "MANAGED_TAG %q", managed)
	tagCondition := map[string]map[string]string{"StringEquals": {"acs:ResourceTag/" + key: value}}

	// allowed[action] = statements that allow it
	allowed := map[string][]ramStatement{}
	for i, st := range p.Statement {
		require.Equal(t, "Allow", st.Effect, "statement %d", i)
		require.NotEmpty(t, st.Action, "statement %d", i)
		require.NotEmpty(t, st.Resource, "statement %d", i)
		for _, a := range st.Action {
			assert.NotContains(t, a, "*", "statement %d: no wildcard actions (least privilege)", i)
			allowed[a] = append(allowed[a], st)
		}
	}

	t.Run("every ECS call the code makes is allowed", func(t *testing.T) {
		calls := ecsCalls(t)
		require.NotEmpty(t, calls, "found no ECS calls under ../shared")
		for _, a := range calls {
			assert.Contains(t, allowed, a, "the functions call %s; add it to deploy/ram-policy.json", a)
		}
	})
	// Release's answer to a spot interruption (the spot-interrupted
	// trigger) reads the instance (in the region its event names, any
	// region), its disks and the snapshots it already took, and with
	// SPOT_SNAPSHOT=true snapshots the data disks, tags given at creation.
	t.Run("the spot interruption path is allowed", func(t *testing.T) {
		for _, a := range []string{"ecs:DescribeInstances", "ecs:DescribeDisks", "ecs:DescribeSnapshots", "ecs:CreateSnapshot"} {
			assert.Contains(t, allowed, a, "release's answer to a spot interruption calls %s", a)
		}
		for _, st := range allowed["ecs:CreateSnapshot"] {
			for _, r := range st.Resource {
				assert.True(t, strings.HasPrefix(r, "acs:ecs:*:*:"), "%s: every region (the event names the instance's)", r)
			}
		}
	})
	t.Run("reads are unconditioned", func(t *testing.T) {
		for a, sts := range allowed {
			if strings.HasPrefix(a, "ecs:Describe") {
				for _, st := range sts {
					assert.Equal(t, stringOrList{"*"}, st.Resource, a)
					assert.Empty(t, st.Condition, "%s: tag conditions on Describe work only when the request filters by the tag", a)
				}
			}
		}
	})
	// The sweep takes back its own auto-release time on an instance that
	// has left the managed scope: that cancel (and removing the marker) is
	// allowed on instances that carry the marker tag, and only those.
	markerCondition := map[string]map[string]string{"StringLike": {"acs:ResourceTag/ecs-release:auto-release": "*"}}
	t.Run("instance writes need the managed tag", func(t *testing.T) {
		for _, a := range []string{"ecs:StopInstance", "ecs:StopInstances", "ecs:DeleteInstance", "ecs:DeleteInstances", "ecs:ModifyInstanceAutoReleaseTime", "ecs:TagResources", "ecs:UntagResources"} {
			require.Contains(t, allowed, a)
			for _, st := range allowed[a] {
				assert.Equal(t, stringOrList{"acs:ecs:*:*:instance/*"}, st.Resource, a)
				if (a == "ecs:ModifyInstanceAutoReleaseTime" || a == "ecs:UntagResources") && reflect.DeepEqual(markerCondition, st.Condition) {
					continue
				}
				assert.Equal(t, tagCondition, st.Condition, "%s must be conditioned on the managed tag %s (s.yaml MANAGED_TAG)", a, managed)
			}
		}
		for _, a := range []string{"ecs:StopInstances", "ecs:DeleteInstances", "ecs:TagResources"} {
			for _, st := range allowed[a] {
				assert.NotEqual(t, markerCondition, st.Condition, "%s: the marker never widens stops, releases or tagging", a)
			}
		}
	})
	t.Run("snapshots: managed disks only", func(t *testing.T) {
		var resources []string
		for _, st := range allowed["ecs:CreateSnapshot"] {
			for _, r := range st.Resource {
				resources = append(resources, r)
				switch r {
				case "acs:ecs:*:*:disk/*":
					assert.Equal(t, tagCondition, st.Condition, "the disk must carry the managed tag")
				case "acs:ecs:*:*:snapshot/*":
					// The new snapshot has no tags to evaluate yet.
				default:
					t.Errorf("ecs:CreateSnapshot on unexpected resource %s", r)
				}
			}
		}
		assert.ElementsMatch(t, []string{"acs:ecs:*:*:disk/*", "acs:ecs:*:*:snapshot/*"}, resources)
	})
	t.Run("only ECS writes are instance, disk and snapshot scoped", func(t *testing.T) {
		for a, sts := range allowed {
			if !strings.HasPrefix(a, "ecs:") || strings.HasPrefix(a, "ecs:Describe") {
				continue
			}
			for _, st := range sts {
				for _, r := range st.Resource {
					assert.Regexp(t, `^acs:ecs:\*:\*:(instance|disk|snapshot)/\*$`, r, a)
				}
			}
		}
	})
	t.Run("invoke the destinations only (onSuccess, and each function's own onFailure)", func(t *testing.T) {
		var dests []string
		for _, name := range f.ResourceNames() {
			dc := syaml.MapValue(syaml.MapValue(syaml.MapValue(resource(f, name), "props"), "asyncInvokeConfig"), "destinationConfig")
			for _, k := range syaml.MapKeys(dc) {
				arn := scalar(syaml.MapValue(syaml.MapValue(dc, k), "destination"))
				if d := "acs:fc:*:*:" + arn[strings.LastIndex(arn, ":")+1:]; !slices.Contains(dests, d) {
					dests = append(dests, d)
				}
			}
		}
		require.NotEmpty(t, dests)
		var got []string
		for _, st := range allowed["fc:InvokeFunction"] {
			got = append(got, st.Resource...)
		}
		assert.ElementsMatch(t, dests, got)
		for a := range allowed {
			assert.True(t, strings.HasPrefix(a, "ecs:") || a == "fc:InvokeFunction" || a == "cms:DescribeMetricList", "unexpected action %s", a)
		}
	})
}
