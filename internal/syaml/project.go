package syaml

import (
	"fmt"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/fc-ecs-release/fc-ecs-release/internal/syaml/cron"
)

// Project is an s.yaml as the local runner (internal/fclocal) runs it:
// its fc3 functions, in file order, checked against what FC would reject
// or run differently.
type Project struct {
	// Path is the path of the file; Dir its directory, against which code
	// directories and action paths are resolved.
	Path, Dir string
	// Name is the top-level name; Edition the top-level edition.
	Name, Edition string
	Functions     []*Function
	// Document is the resolved file the project was built from.
	Document *Document
}

// Function is one fc3 resource, its props merged over its template.
type Function struct {
	// Resource is the resource's key under resources; Name its functionName.
	Resource, Name string
	Description    string
	Region         string
	Runtime        string
	Handler        string
	// CodeDir is the absolute code directory; the executable is
	// CodeDir/Handler (go1).
	CodeDir string
	// Actions are the pre-deploy `run` steps, in order.
	Actions []Action
	// SkippedActions describes pre-deploy steps that are not shell commands
	// (component or plugin steps); they are listed, not run.
	SkippedActions []string
	Env            map[string]string
	Timeout        time.Duration
	MemoryMB       int
	Triggers       []*Trigger
	Async          AsyncConfig
	// Props are the typed props the function was built from.
	Props *Props
}

// Binary is the executable FC would start: CodeDir/Handler.
func (f *Function) Binary() string { return filepath.Join(f.CodeDir, f.Handler) }

// ARN is the function's FC 3.0 ARN for the given account.
func (f *Function) ARN(accountID string) string {
	return "acs:fc:" + f.Region + ":" + accountID + ":functions/" + f.Name
}

// Trigger returns the function's trigger of that name, or nil.
func (f *Function) Trigger(name string) *Trigger {
	for _, t := range f.Triggers {
		if t.Name == name {
			return t
		}
	}
	return nil
}

// HTTPTrigger returns the function's HTTP trigger, or nil.
func (f *Function) HTTPTrigger() *Trigger {
	for _, t := range f.Triggers {
		if t.HTTP != nil {
			return t
		}
	}
	return nil
}

// Action is a pre-deploy `run` step: Run is executed with `sh -c` in Dir.
type Action struct {
	Hook string // the actions key it came from, e.g. pre-deploy
	Run  string
	Dir  string // absolute
}

// Trigger types the local runner knows. Timer and HTTP triggers are
// served; the others are accepted and listed, never fired.
const (
	TriggerTimer       = "timer"
	TriggerHTTP        = "http"
	TriggerEventBridge = "eventbridge"
)

// KnownTriggerTypes are FC 3.0's trigger types.
var KnownTriggerTypes = []string{TriggerTimer, TriggerHTTP, TriggerEventBridge, "oss", "log", "mns_topic", "cdn_events", "tablestore"}

// Trigger is one entry of a function's triggers.
type Trigger struct {
	Name, Type, Description string
	Timer                   *TimerConfig // Type timer
	HTTP                    *HTTPConfig  // Type http
	// Config is the raw triggerConfig (every type).
	Config map[string]any
}

// Served reports whether the local runner fires this trigger (timer or
// HTTP).
func (t *Trigger) Served() bool { return t.Timer != nil || t.HTTP != nil }

// TimerConfig is a timer trigger's triggerConfig.
type TimerConfig struct {
	CronExpression string
	Schedule       cron.Schedule
	Enabled        bool
	// Payload is delivered as the event's payload string ("" = none).
	Payload    string
	HasPayload bool
}

// HTTPConfig is an HTTP trigger's triggerConfig.
type HTTPConfig struct {
	AuthType           string
	Methods            []string
	DisableURLInternet bool
}

// Allows reports whether the trigger accepts the method.
func (h *HTTPConfig) Allows(method string) bool {
	return slices.Contains(h.Methods, strings.ToUpper(method))
}

// AsyncConfig is asyncInvokeConfig, with fc3's defaults.
type AsyncConfig struct {
	// MaxRetries is maxAsyncRetryAttempts: retries after the first attempt.
	MaxRetries int
	// MaxEventAge is maxAsyncEventAgeInSeconds.
	MaxEventAge time.Duration
	// Configured reports whether the resource had an asyncInvokeConfig.
	Configured bool
	OnSuccess  *Destination
	OnFailure  *Destination
}

// fc3 schema defaults, and FC limits.
const (
	DefaultMaxAsyncRetryAttempts     = 3
	DefaultMaxAsyncEventAgeInSeconds = 18000
	// Function defaults (fc3 component).
	DefaultTimeoutSeconds = 3
	DefaultMemorySizeMB   = 512
	// MaxPayloadBytes bounds an asynchronous invocation's payload, and so
	// a timer's payload: 128 KB.
	MaxPayloadBytes = 128 << 10
)

// Destination is an async destination that names a function of this file.
type Destination struct {
	ARN               string
	Region, AccountID string // from the ARN (AccountID may be empty)
	Function          string // the target's functionName
}

// FunctionNamed finds a function by functionName or resource name.
func (p *Project) FunctionNamed(name string) *Function {
	for _, f := range p.Functions {
		if f.Name == name {
			return f
		}
	}
	for _, f := range p.Functions {
		if f.Resource == name {
			return f
		}
	}
	return nil
}

// FunctionNames lists the function names, in file order.
func (p *Project) FunctionNames() []string {
	names := make([]string, len(p.Functions))
	for i, f := range p.Functions {
		names[i] = f.Name
	}
	return names
}

// LoadFile reads an s.yaml and builds its Project (see Load).
func LoadFile(path string, lookup LookupEnv) (*Project, error) {
	d, err := ParseFile(path, lookup)
	if err != nil {
		return nil, err
	}
	return d.Project()
}

// Load resolves and decodes s.yaml content (see Resolve and Decode) and
// builds its Project. path is where the content lives.
func Load(data []byte, path string, lookup LookupEnv) (*Project, error) {
	d, err := Parse(data, path, lookup)
	if err != nil {
		return nil, err
	}
	return d.Project()
}

// Project builds the functions the local runner runs, decoding the
// document first if that has not been done (a document that does not
// decode cleanly has no project: the decoding's error is returned). Besides the typed decoding,
// anything that would make the functions run differently from FC is an
// error: a component other than fc3, a runtime other than go1, a bad or
// 5-field cron, an environment variable FC would refuse, an out-of-range
// timeout or memory size, an unknown trigger type, an ARN naming no
// function of the file or another region, a destination cycle, ... Each
// error names the file, line and column, and the prop path (the template's
// for an inherited value).
func (d *Document) Project() (*Project, error) {
	if !d.decoded {
		_ = d.Decode()
	}
	if d.decodeErr != nil {
		return nil, d.decodeErr
	}
	p := &Project{Path: d.Path, Dir: d.Dir, Name: d.Name, Edition: d.Edition, Document: d}
	for _, r := range d.Resources {
		fn, err := r.function(d.Dir)
		if err != nil {
			return nil, err
		}
		p.Functions = append(p.Functions, fn)
	}
	if err := p.link(); err != nil {
		return nil, err
	}
	return p, nil
}

// link checks names across functions and resolves destination ARNs.
func (p *Project) link() error {
	d := p.Document
	seen := map[string]string{}
	for _, f := range p.Functions {
		if other, dup := seen[f.Name]; dup {
			r := d.Resource(f.Resource)
			n := MapValue(r.PropsNode(), "functionName")
			return d.errorAt(n, r.where(n, "functionName"), "%q is also the functionName of resource %s", f.Name, other)
		}
		seen[f.Name] = f.Resource
	}
	for _, f := range p.Functions {
		r := d.Resource(f.Resource)
		for _, dst := range []struct {
			dst  *Destination
			when string
		}{{f.Async.OnSuccess, "onSuccess"}, {f.Async.OnFailure, "onFailure"}} {
			if dst.dst == nil {
				continue
			}
			path := "asyncInvokeConfig.destinationConfig." + dst.when + ".destination"
			n := Get(r.PropsNode(), path)
			target := p.FunctionNamed(dst.dst.Function)
			if target == nil || target.Name != dst.dst.Function {
				return d.errorAt(n, r.where(n, path), "%q names function %q, which this file does not define (functions: %s)",
					dst.dst.ARN, dst.dst.Function, strings.Join(p.FunctionNames(), ", "))
			}
			if target.Region != dst.dst.Region {
				return d.errorAt(n, r.where(n, path), "%q is in region %s but function %s is deployed to %s",
					dst.dst.ARN, dst.dst.Region, target.Name, target.Region)
			}
		}
	}
	// A cycle of onSuccess destinations would invoke itself forever. An
	// onFailure destination may close a cycle (even name the function
	// itself): it receives a failure record, which the functions answer
	// with a report and never fail on, so nothing follows it.
	for _, f := range p.Functions {
		chain := []string{f.Name}
		var visit func(cur *Function) error
		visit = func(cur *Function) error {
			for _, dst := range []*Destination{cur.Async.OnSuccess} {
				if dst == nil {
					continue
				}
				if dst.Function == f.Name {
					r := d.Resource(f.Resource)
					n := MapValue(r.PropsNode(), "asyncInvokeConfig")
					return d.errorAt(n, r.where(n, "asyncInvokeConfig"), "destination cycle %s -> %s: each async success would invoke the chain again",
						strings.Join(chain, " -> "), dst.Function)
				}
				if slices.Contains(chain, dst.Function) {
					continue
				}
				chain = append(chain, dst.Function)
				if err := visit(p.FunctionNamed(dst.Function)); err != nil {
					return err
				}
				chain = chain[:len(chain)-1]
			}
			return nil
		}
		if err := visit(f); err != nil {
			return err
		}
	}
	return nil
}

// builder checks one resource's typed props and fills its Function.
type builder struct {
	d     *Document
	r     *Resource
	props *yaml.Node
}

// errf reports a problem at path (relative to props), located at the
// node there or, for a missing key, at the nearest enclosing one.
func (b *builder) errf(path, format string, args ...any) error {
	n, _ := walk(b.props, path)
	return b.d.errorAt(n, b.r.where(n, path), format, args...)
}

// has reports whether path (relative to props) holds a non-null value.
func (b *builder) has(path string) bool { return !isNull(Get(b.props, path)) }

func (r *Resource) function(dir string) (*Function, error) {
	d := r.doc
	base := "resources." + r.Name
	compNode := MapValue(r.Node, "component")
	if isNull(compNode) {
		return nil, d.errorAt(r.Node, base+".component", "missing (fclocal runs component fc3)")
	}
	if !IsFC3(r.Component) {
		return nil, d.errorAt(compNode, base+".component", "%q is not supported: fclocal runs fc3 functions only (component: fc3)", r.Component)
	}
	fn := &Function{Resource: r.Name, Props: r.Props}
	if err := r.actions(fn, dir); err != nil {
		return nil, err
	}
	b := &builder{d: d, r: r, props: r.PropsNode()}
	if err := b.fill(fn, dir); err != nil {
		return nil, err
	}
	return fn, nil
}

// actions reads the resource's pre-deploy steps.
func (r *Resource) actions(fn *Function, dir string) error {
	acts := MapValue(r.Node, "actions")
	if isNull(acts) {
		return nil
	}
	for i := 0; i+1 < len(acts.Content); i += 2 {
		hook, stepsNode := acts.Content[i].Value, acts.Content[i+1]
		if !hookRunsOnDeploy(hook) || isNull(stepsNode) {
			continue
		}
		for j, step := range r.Actions[hook] {
			stepNode := stepsNode.Content[j]
			spath := fmt.Sprintf("resources.%s.actions.%s[%d]", r.Name, hook, j)
			runNode := MapValue(stepNode, "run")
			if runNode == nil {
				desc := "a step"
				if step.Component != "" {
					desc = "component " + step.Component
				}
				if step.Plugin != "" {
					desc = "plugin " + step.Plugin
				}
				fn.SkippedActions = append(fn.SkippedActions, hook+": "+desc)
				continue
			}
			if strings.TrimSpace(step.Run) == "" {
				return r.doc.errorAt(runNode, spath+".run", "want a shell command string")
			}
			at := dir
			if MapValue(stepNode, "path") != nil {
				if filepath.IsAbs(step.Path) {
					at = filepath.Clean(step.Path)
				} else {
					at = filepath.Join(dir, step.Path)
				}
			}
			fn.Actions = append(fn.Actions, Action{Hook: hook, Run: step.Run, Dir: at})
		}
	}
	return nil
}

var regexHook = regexp.MustCompile(`^pre-\$\{regex\(\s*'([^']*)'\s*\)\}$`)

// hookRunsOnDeploy reports whether an actions key runs before `s deploy`.
func hookRunsOnDeploy(hook string) bool {
	if hook == "pre-deploy" {
		return true
	}
	if m := regexHook.FindStringSubmatch(hook); m != nil {
		re, err := regexp.Compile(m[1])
		return err == nil && re.MatchString("deploy")
	}
	return false
}

// EnvNamePattern is what FC accepts as an environment variable name.
var EnvNamePattern = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_]*$`)

var (
	functionNamePattern = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_-]{0,127}$`)
	regionPattern       = regexp.MustCompile(`^[a-z]{2,}(-[a-z0-9]+)+$`)
	triggerNamePattern  = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_-]{0,127}$`)
	fcARNPattern        = regexp.MustCompile(`^acs:fc:([a-z0-9-]+):([0-9]*):functions/([^/:]+)$`)
	httpMethods         = []string{"GET", "POST", "PUT", "DELETE", "HEAD", "PATCH", "OPTIONS"}
	httpAuthTypes       = []string{"anonymous", "function", "jwt"}
)

// integer checks an optional integer prop against its range.
func (b *builder) integer(path string, v *int, def, lo, hi int) (int, error) {
	if v == nil {
		return def, nil
	}
	if *v < lo || *v > hi {
		return 0, b.errf(path, "%d is out of range: want %d to %d", *v, lo, hi)
	}
	return *v, nil
}

// fill checks the merged props and copies them into fn.
func (b *builder) fill(fn *Function, dir string) error {
	p := b.r.Props
	for _, k := range []string{"functionName", "region", "runtime", "handler", "code"} {
		if !b.has(k) {
			return b.errf(k, "missing")
		}
	}
	fn.Name = p.FunctionName
	if !functionNamePattern.MatchString(fn.Name) {
		return b.errf("functionName", "%q is not a valid function name (letters, digits, _ and -, not starting with a digit or -, at most 128)", fn.Name)
	}
	fn.Description = p.Description
	fn.Region = p.Region
	if !regionPattern.MatchString(fn.Region) {
		return b.errf("region", "%q is not a region ID such as cn-hangzhou", fn.Region)
	}
	fn.Runtime = p.Runtime
	if fn.Runtime != "go1" {
		return b.errf("runtime", "%q is not supported: fclocal runs go1 functions (an executable built with fc-runtime-go-sdk)", fn.Runtime)
	}
	fn.Handler = p.Handler
	if fn.Handler == "" || strings.ContainsAny(fn.Handler, `/\`) {
		return b.errf("handler", "%q: for go1 the handler is the executable's file name in the code directory", fn.Handler)
	}
	switch code := p.Code.(type) {
	case map[string]any:
		return b.errf("code", "an OSS code location cannot be run locally; give a local directory")
	case string:
		if filepath.IsAbs(code) {
			fn.CodeDir = filepath.Clean(code)
		} else {
			fn.CodeDir = filepath.Join(dir, code)
		}
	default:
		return b.errf("code", "want a local directory, got %s", describe(Get(b.props, "code")))
	}
	t, err := b.integer("timeout", p.Timeout, DefaultTimeoutSeconds, 1, 86400)
	if err != nil {
		return err
	}
	fn.Timeout = time.Duration(t) * time.Second
	if fn.MemoryMB, err = b.integer("memorySize", p.MemorySize, DefaultMemorySizeMB, 128, 32768); err != nil {
		return err
	}
	if fn.MemoryMB%64 != 0 {
		return b.errf("memorySize", "%d is not a multiple of 64", fn.MemoryMB)
	}
	if err := b.env(fn); err != nil {
		return err
	}
	if err := b.triggers(fn); err != nil {
		return err
	}
	return b.async(fn)
}

func (b *builder) env(fn *Function) error {
	env := b.r.Props.EnvironmentVariables
	fn.Env = map[string]string{}
	keys := make([]string, 0, len(env))
	for k := range env {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	size := 0
	for _, k := range keys {
		path := "environmentVariables." + k
		if !EnvNamePattern.MatchString(k) {
			return b.errf(path, "invalid name: letters, digits and _, starting with a letter")
		}
		if strings.HasPrefix(k, "FC_") {
			return b.errf(path, "the FC_ prefix is reserved by Function Compute")
		}
		fn.Env[k] = env[k]
		size += len(k) + len(env[k])
	}
	if size > 4096 {
		return b.errf("environmentVariables", "%d bytes in total; FC allows at most 4 KB", size)
	}
	return nil
}

func (b *builder) triggers(fn *Function) error {
	names := map[string]bool{}
	httpCount := 0
	for i := range b.r.Props.Triggers {
		tp := &b.r.Props.Triggers[i]
		base := indexPath("triggers", i)
		for _, k := range []string{"triggerName", "triggerType", "triggerConfig"} {
			if !b.has(base + "." + k) {
				return b.errf(base+"."+k, "missing")
			}
		}
		t := &Trigger{Name: tp.TriggerName, Type: tp.TriggerType, Description: tp.Description}
		if !triggerNamePattern.MatchString(t.Name) {
			return b.errf(base+".triggerName", "%q is not a valid trigger name", t.Name)
		}
		if names[t.Name] {
			return b.errf(base+".triggerName", "duplicate trigger name %q", t.Name)
		}
		names[t.Name] = true
		if !slices.Contains(KnownTriggerTypes, t.Type) {
			return b.errf(base+".triggerType", "unknown trigger type %q (FC 3.0 types: %s)", t.Type, strings.Join(KnownTriggerTypes, ", "))
		}
		t.Config, _ = tp.TriggerConfig.(map[string]any)
		if t.Config == nil {
			return b.errf(base+".triggerConfig", "want a mapping")
		}
		cbase := base + ".triggerConfig"
		var err error
		switch t.Type {
		case TriggerTimer:
			if t.Timer, err = b.timer(tp.Timer, cbase); err != nil {
				return err
			}
		case TriggerHTTP:
			httpCount++
			if httpCount > 1 {
				return b.errf(base, "a function has at most one HTTP trigger")
			}
			if t.HTTP, err = b.http(tp.HTTP, cbase); err != nil {
				return err
			}
		}
		fn.Triggers = append(fn.Triggers, t)
	}
	return nil
}

func (b *builder) timer(cfg *TimerTriggerConfig, base string) (*TimerConfig, error) {
	if !b.has(base + ".cronExpression") {
		return nil, b.errf(base+".cronExpression", "missing")
	}
	sched, err := cron.Parse(cfg.CronExpression)
	if err != nil {
		return nil, b.errf(base+".cronExpression", "%v", err)
	}
	if cfg.Enable == nil {
		return nil, b.errf(base+".enable", "missing (a required boolean)")
	}
	tc := &TimerConfig{CronExpression: cfg.CronExpression, Schedule: sched, Enabled: *cfg.Enable}
	if cfg.Payload != nil {
		if len(*cfg.Payload) > MaxPayloadBytes {
			return nil, b.errf(base+".payload", "%d bytes; timer payloads are limited to %d bytes", len(*cfg.Payload), MaxPayloadBytes)
		}
		tc.Payload, tc.HasPayload = *cfg.Payload, true
	}
	return tc, nil
}

func (b *builder) http(cfg *HTTPTriggerConfig, base string) (*HTTPConfig, error) {
	if !b.has(base + ".authType") {
		return nil, b.errf(base+".authType", "missing")
	}
	hc := &HTTPConfig{AuthType: cfg.AuthType}
	if !slices.Contains(httpAuthTypes, hc.AuthType) {
		return nil, b.errf(base+".authType", "%q: want one of %s", hc.AuthType, strings.Join(httpAuthTypes, ", "))
	}
	if len(cfg.Methods) == 0 {
		return nil, b.errf(base+".methods", "want a non-empty list of HTTP methods (%s)", strings.Join(httpMethods, ", "))
	}
	for i, m := range cfg.Methods {
		if !slices.Contains(httpMethods, m) {
			return nil, b.errf(indexPath(base+".methods", i), "%s: want one of %s (upper case)", m, strings.Join(httpMethods, ", "))
		}
		if !slices.Contains(hc.Methods, m) {
			hc.Methods = append(hc.Methods, m)
		}
	}
	if cfg.DisableURLInternet != nil {
		hc.DisableURLInternet = *cfg.DisableURLInternet
	}
	return hc, nil
}

func (b *builder) async(fn *Function) error {
	fn.Async = AsyncConfig{MaxRetries: DefaultMaxAsyncRetryAttempts, MaxEventAge: DefaultMaxAsyncEventAgeInSeconds * time.Second}
	cfg := b.r.Props.AsyncInvokeConfig
	if cfg == nil {
		return nil
	}
	base := "asyncInvokeConfig"
	fn.Async.Configured = true
	var err error
	if fn.Async.MaxRetries, err = b.integer(base+".maxAsyncRetryAttempts", cfg.MaxAsyncRetryAttempts, DefaultMaxAsyncRetryAttempts, 0, 8); err != nil {
		return err
	}
	age, err := b.integer(base+".maxAsyncEventAgeInSeconds", cfg.MaxAsyncEventAgeInSeconds, DefaultMaxAsyncEventAgeInSeconds, 1, 2592000)
	if err != nil {
		return err
	}
	fn.Async.MaxEventAge = time.Duration(age) * time.Second
	if cfg.DestinationConfig == nil {
		return nil
	}
	for _, w := range []struct {
		when   string
		target *DestinationTarget
		set    **Destination
	}{
		{"onSuccess", cfg.DestinationConfig.OnSuccess, &fn.Async.OnSuccess},
		{"onFailure", cfg.DestinationConfig.OnFailure, &fn.Async.OnFailure},
	} {
		if w.target == nil {
			continue
		}
		at := base + ".destinationConfig." + w.when + ".destination"
		if !b.has(at) {
			return b.errf(at, "missing")
		}
		arn := w.target.Destination
		m := fcARNPattern.FindStringSubmatch(arn)
		if m == nil {
			msg := "want an FC 3.0 function ARN acs:fc:<region>:<accountId>:functions/<name>"
			switch {
			case strings.Contains(arn, ":services/"):
				msg += " (the services/ form is FC 2.0)"
			case strings.HasPrefix(arn, "acs:") && !strings.HasPrefix(arn, "acs:fc:"):
				msg += " (only function destinations are delivered locally)"
			}
			return b.errf(at, "%q: %s", arn, msg)
		}
		*w.set = &Destination{ARN: arn, Region: m[1], AccountID: m[2], Function: m[3]}
	}
	return nil
}
