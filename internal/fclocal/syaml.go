package fclocal

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/robfig/cron/v3"
	"gopkg.in/yaml.v3"
)

// Project is a resolved s.yaml: its fc3 functions, in file order.
type Project struct {
	// Path is the absolute path of the file; Dir its directory, against
	// which code directories and action paths are resolved.
	Path, Dir string
	// Name is the top-level name; Edition the top-level edition.
	Name, Edition string
	Functions     []*Function
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

// Trigger types fclocal knows. Timer and HTTP triggers are served; the
// others are accepted and listed, never fired.
const (
	TriggerTimer       = "timer"
	TriggerHTTP        = "http"
	TriggerEventBridge = "eventbridge"
)

// knownTriggerTypes are FC 3.0's trigger types.
var knownTriggerTypes = []string{TriggerTimer, TriggerHTTP, TriggerEventBridge, "oss", "log", "mns_topic", "cdn_events", "tablestore"}

// Trigger is one entry of a function's triggers.
type Trigger struct {
	Name, Type, Description string
	Timer                   *TimerConfig // Type timer
	HTTP                    *HTTPConfig  // Type http
	// Config is the raw triggerConfig (every type).
	Config map[string]any
}

// Served reports whether fclocal fires this trigger (timer or HTTP).
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

// fc3 schema defaults for asyncInvokeConfig.
const (
	DefaultMaxAsyncRetryAttempts     = 3
	DefaultMaxAsyncEventAgeInSeconds = 18000
	// Function defaults (fc3 component).
	DefaultTimeoutSeconds = 3
	DefaultMemorySizeMB   = 512
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

// LookupEnv reads an environment variable for ${env(...)}.
type LookupEnv func(string) (string, bool)

// LoadFile reads and resolves an s.yaml.
func LoadFile(path string, lookup LookupEnv) (*Project, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, err
	}
	data, err := os.ReadFile(abs)
	if err != nil {
		return nil, err
	}
	return Load(data, abs, lookup)
}

// Load resolves s.yaml content. path is where it lives (its directory
// anchors relative paths; its base name prefixes errors). lookup supplies
// ${env(...)}; nil means no variable is set (defaults apply).
//
// Resolution follows `s preview`: ${vars.a.b} (a whole-value reference
// keeps the var's YAML type, one embedded in a string interpolates a
// scalar), ${env('NAME')} and ${env('NAME','default')} (always a string),
// template + extend {name, ignore} (maps deep-merged, the resource's props
// on top, lists replaced, ignored template keys dropped). Every other
// ${...} form (config, resources, this, file, path, json, ...) is an error,
// as is any problem that would make the functions run differently from
// FC: each error names the file, line where known, and prop path.
func Load(data []byte, path string, lookup LookupEnv) (*Project, error) {
	if lookup == nil {
		lookup = func(string) (string, bool) { return "", false }
	}
	file := filepath.Base(path)
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("%s: not valid YAML: %w", file, err)
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) != 1 || doc.Content[0].Kind != yaml.MappingNode {
		return nil, fmt.Errorf("%s: the document must be a mapping", file)
	}
	root := doc.Content[0]
	r := &resolver{
		file:     file,
		lookup:   lookup,
		vars:     mapValue(root, "vars"),
		varCache: map[string]*yaml.Node{},
	}
	p := &Project{Path: path, Dir: filepath.Dir(path)}
	for _, key := range []string{"name", "edition"} {
		n := mapValue(root, key)
		if n == nil {
			continue
		}
		v, err := r.resolve(n, key)
		if err != nil {
			return nil, err
		}
		if v.Kind != yaml.ScalarNode {
			return nil, r.errAt(n, key, "want a string")
		}
		if key == "name" {
			p.Name = v.Value
		} else {
			p.Edition = v.Value
		}
	}
	resNode := mapValue(root, "resources")
	if resNode == nil || resNode.Kind != yaml.MappingNode || len(resNode.Content) == 0 {
		return nil, fmt.Errorf("%s: resources: missing, empty or not a mapping", file)
	}
	templates := mapValue(root, "template")
	for i := 0; i+1 < len(resNode.Content); i += 2 {
		name := resNode.Content[i].Value
		fn, err := r.function(p, name, resNode.Content[i+1], templates)
		if err != nil {
			return nil, err
		}
		p.Functions = append(p.Functions, fn)
	}
	if err := p.link(file); err != nil {
		return nil, err
	}
	return p, nil
}

// link checks names across functions and resolves destination ARNs.
func (p *Project) link(file string) error {
	seen := map[string]string{}
	for _, f := range p.Functions {
		if other, dup := seen[f.Name]; dup {
			return fmt.Errorf("%s: resources.%s.props.functionName: %q is also the functionName of resource %s", file, f.Resource, f.Name, other)
		}
		seen[f.Name] = f.Resource
	}
	for _, f := range p.Functions {
		for _, d := range []struct {
			dst  *Destination
			when string
		}{{f.Async.OnSuccess, "onSuccess"}, {f.Async.OnFailure, "onFailure"}} {
			if d.dst == nil {
				continue
			}
			where := fmt.Sprintf("%s: resources.%s.props.asyncInvokeConfig.destinationConfig.%s.destination", file, f.Resource, d.when)
			target := p.FunctionNamed(d.dst.Function)
			if target == nil || target.Name != d.dst.Function {
				return fmt.Errorf("%s: %q names function %q, which this file does not define (functions: %s)",
					where, d.dst.ARN, d.dst.Function, strings.Join(p.FunctionNames(), ", "))
			}
			if target.Region != d.dst.Region {
				return fmt.Errorf("%s: %q is in region %s but function %s is deployed to %s",
					where, d.dst.ARN, d.dst.Region, target.Name, target.Region)
			}
		}
	}
	// A destination cycle would invoke itself forever.
	for _, f := range p.Functions {
		path := []string{f.Name}
		var walk func(cur *Function) error
		walk = func(cur *Function) error {
			for _, d := range []*Destination{cur.Async.OnSuccess, cur.Async.OnFailure} {
				if d == nil {
					continue
				}
				if d.Function == f.Name {
					return fmt.Errorf("%s: resources.%s.props.asyncInvokeConfig: destination cycle %s -> %s: each async success or failure would invoke the chain again",
						file, f.Resource, strings.Join(path, " -> "), d.Function)
				}
				if slices.Contains(path, d.Function) {
					continue
				}
				path = append(path, d.Function)
				if err := walk(p.FunctionNamed(d.Function)); err != nil {
					return err
				}
				path = path[:len(path)-1]
			}
			return nil
		}
		if err := walk(f); err != nil {
			return err
		}
	}
	return nil
}

// ---------------------------------------------------------------------------
// Resolution of ${...}

type resolver struct {
	file     string
	lookup   LookupEnv
	vars     *yaml.Node
	varCache map[string]*yaml.Node
	varStack []string
}

// Error is an s.yaml problem: where (file, line, prop path) and what.
type Error struct {
	File string
	Line int // 0 when not known (values after template merging)
	Path string
	Msg  string
}

func (e *Error) Error() string {
	loc := e.File
	if e.Line > 0 {
		loc += fmt.Sprintf(":%d", e.Line)
	}
	if e.Path != "" {
		loc += ": " + e.Path
	}
	return loc + ": " + e.Msg
}

func (r *resolver) errAt(n *yaml.Node, path, format string, args ...any) error {
	line := 0
	if n != nil {
		line = n.Line
	}
	return &Error{File: r.file, Line: line, Path: path, Msg: fmt.Sprintf(format, args...)}
}

func mapValue(n *yaml.Node, key string) *yaml.Node {
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i+1]
		}
	}
	return nil
}

func joinPath(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// resolve returns a copy of n with every ${...} resolved.
func (r *resolver) resolve(n *yaml.Node, path string) (*yaml.Node, error) {
	switch n.Kind {
	case yaml.AliasNode:
		return r.resolve(n.Alias, path)
	case yaml.MappingNode:
		out := *n
		out.Content = make([]*yaml.Node, 0, len(n.Content))
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := n.Content[i]
			if k.Value == "<<" {
				return nil, r.errAt(k, path, "YAML merge keys (<<) are not supported; use template and extend")
			}
			v, err := r.resolve(n.Content[i+1], joinPath(path, k.Value))
			if err != nil {
				return nil, err
			}
			kc := *k
			out.Content = append(out.Content, &kc, v)
		}
		return &out, nil
	case yaml.SequenceNode:
		out := *n
		out.Content = make([]*yaml.Node, 0, len(n.Content))
		for i, c := range n.Content {
			v, err := r.resolve(c, fmt.Sprintf("%s[%d]", path, i))
			if err != nil {
				return nil, err
			}
			out.Content = append(out.Content, v)
		}
		return &out, nil
	case yaml.ScalarNode:
		if n.Tag != "!!str" || !strings.Contains(n.Value, "${") {
			c := *n
			return &c, nil
		}
		return r.interpolate(n, path)
	}
	c := *n
	return &c, nil
}

// interpolate resolves the ${...} expressions of a string scalar.
func (r *resolver) interpolate(n *yaml.Node, path string) (*yaml.Node, error) {
	s := n.Value
	var b strings.Builder
	for first := true; ; first = false {
		i := strings.Index(s, "${")
		if i < 0 {
			b.WriteString(s)
			break
		}
		j := strings.Index(s[i:], "}")
		if j < 0 {
			return nil, r.errAt(n, path, "unterminated ${ in %q", n.Value)
		}
		expr := strings.TrimSpace(s[i+2 : i+j])
		val, err := r.expression(n, path, expr)
		if err != nil {
			return nil, err
		}
		whole := first && i == 0 && i+j+1 == len(s)
		if whole {
			// A whole-value reference keeps the referenced node's type.
			c := *val
			c.Line, c.Column = n.Line, n.Column
			return &c, nil
		}
		if val.Kind != yaml.ScalarNode {
			return nil, r.errAt(n, path, "${%s} is a %s and cannot be embedded in the string %q", expr, kindName(val), n.Value)
		}
		if val.Tag == "!!null" {
			return nil, r.errAt(n, path, "${%s} is null and cannot be embedded in the string %q", expr, n.Value)
		}
		b.WriteString(s[:i])
		b.WriteString(val.Value)
		s = s[i+j+1:]
	}
	c := *n
	c.Value = b.String()
	c.Tag = "!!str"
	c.Style = yaml.SingleQuotedStyle
	return &c, nil
}

var (
	varRefPattern = regexp.MustCompile(`^vars((?:\.[A-Za-z0-9_-]+)+)$`)
	envPattern    = regexp.MustCompile(`^env\(\s*(?:'([^']*)'|"([^"]*)")\s*(?:,\s*(?:'([^']*)'|"([^"]*)")\s*)?\)$`)
	funcPattern   = regexp.MustCompile(`^([A-Za-z_]+)\s*\(`)
)

// expression resolves one ${...} body.
func (r *resolver) expression(n *yaml.Node, path, expr string) (*yaml.Node, error) {
	if m := varRefPattern.FindStringSubmatch(expr); m != nil {
		return r.variable(n, path, strings.Split(m[1][1:], "."))
	}
	if m := envPattern.FindStringSubmatch(expr); m != nil {
		name := m[1] + m[2]
		if name == "" {
			return nil, r.errAt(n, path, "${%s}: empty variable name", expr)
		}
		def, hasDef := m[3]+m[4], strings.Contains(expr, ",")
		v, ok := r.lookup(name)
		if !ok {
			if !hasDef {
				return nil, r.errAt(n, path, "${%s}: environment variable %s is not set and the expression has no default (write ${env('%s', 'default')})", expr, name, name)
			}
			v = def
		}
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: v}, nil
	}
	switch {
	case strings.HasPrefix(expr, "env"):
		return nil, r.errAt(n, path, "${%s}: malformed env(): write ${env('NAME')} or ${env('NAME', 'default')}", expr)
	case strings.HasPrefix(expr, "vars"):
		return nil, r.errAt(n, path, "${%s}: malformed variable reference: write ${vars.name} or ${vars.name.key}", expr)
	case strings.HasPrefix(expr, "resources."):
		return nil, r.errAt(n, path, "${%s}: references to other resources' props or deploy output are not resolved by fclocal (there is no deploy); use a var", expr)
	case strings.HasPrefix(expr, "this."):
		return nil, r.errAt(n, path, "${%s}: ${this...} is not resolved by fclocal; use a var", expr)
	}
	if m := funcPattern.FindStringSubmatch(expr); m != nil {
		if m[1] == "config" {
			return nil, r.errAt(n, path, "${%s}: ${config(...)} reads the Serverless Devs access (credentials), which fclocal does not use; use ${env('NAME', 'default')}", expr)
		}
		return nil, r.errAt(n, path, "${%s}: the %s() function is not supported by fclocal (only vars and env)", expr, m[1])
	}
	return nil, r.errAt(n, path, "${%s}: unsupported expression (fclocal resolves ${vars.x} and ${env('X', 'default')})", expr)
}

// variable resolves vars.<segs...>.
func (r *resolver) variable(n *yaml.Node, path string, segs []string) (*yaml.Node, error) {
	key := strings.Join(segs, ".")
	if v, ok := r.varCache[key]; ok {
		return v, nil
	}
	if slices.Contains(r.varStack, key) {
		return nil, r.errAt(n, path, "${vars.%s}: the var refers to itself (%s -> %s)", key, strings.Join(r.varStack, " -> "), key)
	}
	cur := r.vars
	if cur == nil {
		return nil, r.errAt(n, path, "${vars.%s}: unknown var (the file has no vars)", key)
	}
	for i, s := range segs {
		if cur.Kind == yaml.AliasNode {
			cur = cur.Alias
		}
		next := mapValue(cur, s)
		if next == nil {
			prefix := strings.Join(segs[:i+1], ".")
			if i == 0 {
				return nil, r.errAt(n, path, "${vars.%s}: unknown var %q (vars: %s)", key, s, strings.Join(mapKeys(r.vars), ", "))
			}
			return nil, r.errAt(n, path, "${vars.%s}: unknown var %s", key, prefix)
		}
		cur = next
	}
	r.varStack = append(r.varStack, key)
	v, err := r.resolve(cur, "vars."+key)
	r.varStack = r.varStack[:len(r.varStack)-1]
	if err != nil {
		return nil, err
	}
	r.varCache[key] = v
	return v, nil
}

func mapKeys(n *yaml.Node) []string {
	var keys []string
	if n != nil && n.Kind == yaml.MappingNode {
		for i := 0; i+1 < len(n.Content); i += 2 {
			keys = append(keys, n.Content[i].Value)
		}
	}
	return keys
}

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "mapping"
	case yaml.SequenceNode:
		return "list"
	}
	return "scalar"
}

// ---------------------------------------------------------------------------
// Resources

// props is a merged props map with provenance: which values came from the
// template (for error locations).
type props struct {
	m        map[string]any
	resource string
	template string          // extended template name, "" if none
	inherit  map[string]bool // prop paths whose value came from the template
	file     string
}

func (p *props) where(path string) string {
	if p.inherit[path] {
		return "template." + p.template + "." + path + " (extended by resources." + p.resource + ")"
	}
	return "resources." + p.resource + ".props." + path
}

func (p *props) errf(path, format string, args ...any) error {
	return &Error{File: p.file, Path: p.where(path), Msg: fmt.Sprintf(format, args...)}
}

var componentPattern = regexp.MustCompile(`^(?:devsapp/)?fc3(?:@[A-Za-z0-9.\-]+)?$`)

func (r *resolver) function(p *Project, name string, raw, templates *yaml.Node) (*Function, error) {
	base := "resources." + name
	if raw.Kind != yaml.MappingNode {
		return nil, r.errAt(raw, base, "want a mapping with component and props")
	}
	compNode := mapValue(raw, "component")
	if compNode == nil {
		return nil, r.errAt(raw, base+".component", "missing (fclocal runs component fc3)")
	}
	comp, err := r.resolve(compNode, base+".component")
	if err != nil {
		return nil, err
	}
	if comp.Kind != yaml.ScalarNode || !componentPattern.MatchString(comp.Value) {
		return nil, r.errAt(compNode, base+".component", "%q is not supported: fclocal runs fc3 functions only (component: fc3)", comp.Value)
	}
	propsNode := mapValue(raw, "props")
	if propsNode == nil || propsNode.Kind != yaml.MappingNode {
		return nil, r.errAt(raw, base+".props", "missing or not a mapping")
	}
	own, err := r.decodeMap(propsNode, base+".props")
	if err != nil {
		return nil, err
	}
	pr := &props{m: own, resource: name, inherit: map[string]bool{}, file: r.file}

	if ext := mapValue(raw, "extend"); ext != nil {
		tname, ignore, err := r.extend(ext, base+".extend")
		if err != nil {
			return nil, err
		}
		tnode := mapValue(templates, tname)
		if tnode == nil {
			return nil, r.errAt(ext, base+".extend.name", "unknown template %q (templates: %s)", tname, strings.Join(mapKeys(templates), ", "))
		}
		if tnode.Kind != yaml.MappingNode {
			return nil, r.errAt(tnode, "template."+tname, "want a mapping of props")
		}
		tmpl, err := r.decodeMap(tnode, "template."+tname)
		if err != nil {
			return nil, err
		}
		for _, k := range ignore {
			delete(tmpl, k)
		}
		pr.template = tname
		pr.m = mergeProps(tmpl, own, "", pr.inherit)
	}

	fn := &Function{Resource: name}
	if err := r.actions(fn, raw, base, p.Dir); err != nil {
		return nil, err
	}
	if err := pr.fill(fn, p.Dir); err != nil {
		return nil, err
	}
	return fn, nil
}

func (r *resolver) decodeMap(n *yaml.Node, path string) (map[string]any, error) {
	v, err := r.resolve(n, path)
	if err != nil {
		return nil, err
	}
	var m map[string]any
	if err := v.Decode(&m); err != nil {
		return nil, r.errAt(n, path, "%v", err)
	}
	if m == nil {
		m = map[string]any{}
	}
	return m, nil
}

func (r *resolver) extend(n *yaml.Node, path string) (string, []string, error) {
	v, err := r.resolve(n, path)
	if err != nil {
		return "", nil, err
	}
	var ext struct {
		Name   string   `yaml:"name"`
		Ignore []string `yaml:"ignore"`
	}
	if v.Kind != yaml.MappingNode {
		return "", nil, r.errAt(n, path, "want {name: <template>, ignore: [keys]}")
	}
	for _, k := range mapKeys(v) {
		if k != "name" && k != "ignore" {
			return "", nil, r.errAt(n, path+"."+k, "unknown key (extend takes name and ignore)")
		}
	}
	if err := v.Decode(&ext); err != nil {
		return "", nil, r.errAt(n, path, "want {name: <template>, ignore: [keys]}: %v", err)
	}
	if ext.Name == "" {
		return "", nil, r.errAt(n, path+".name", "missing")
	}
	return ext.Name, ext.Ignore, nil
}

// mergeProps deep-merges over onto base: maps key by key, everything else
// (lists included) replaced. inherit records the paths taken from base.
func mergeProps(base, over map[string]any, path string, inherit map[string]bool) map[string]any {
	out := make(map[string]any, len(base)+len(over))
	for k, v := range base {
		out[k] = v
		markInherited(joinPath(path, k), v, inherit)
	}
	for k, v := range over {
		p := joinPath(path, k)
		bm, bok := out[k].(map[string]any)
		om, ook := v.(map[string]any)
		if bok && ook {
			delete(inherit, p)
			out[k] = mergeProps(bm, om, p, inherit)
			continue
		}
		unmarkInherited(p, inherit)
		out[k] = v
	}
	return out
}

func markInherited(path string, v any, inherit map[string]bool) {
	inherit[path] = true
	if m, ok := v.(map[string]any); ok {
		for k, c := range m {
			markInherited(path+"."+k, c, inherit)
		}
	}
}

func unmarkInherited(path string, inherit map[string]bool) {
	for k := range inherit {
		if k == path || strings.HasPrefix(k, path+".") {
			delete(inherit, k)
		}
	}
}

// actions reads the resource's pre-deploy steps.
func (r *resolver) actions(fn *Function, raw *yaml.Node, base, dir string) error {
	acts := mapValue(raw, "actions")
	if acts == nil {
		return nil
	}
	if acts.Kind != yaml.MappingNode {
		return r.errAt(acts, base+".actions", "want a mapping of hooks")
	}
	for i := 0; i+1 < len(acts.Content); i += 2 {
		hook := acts.Content[i].Value
		if !hookRunsOnDeploy(hook) {
			continue
		}
		path := base + ".actions." + hook
		steps, err := r.resolve(acts.Content[i+1], path)
		if err != nil {
			return err
		}
		if steps.Kind != yaml.SequenceNode {
			return r.errAt(acts.Content[i+1], path, "want a list of steps")
		}
		for j, s := range steps.Content {
			spath := fmt.Sprintf("%s[%d]", path, j)
			var step map[string]any
			if err := s.Decode(&step); err != nil {
				return r.errAt(s, spath, "want a step mapping (run/path, component or plugin)")
			}
			run, hasRun := step["run"]
			if !hasRun {
				desc := "a step"
				for _, k := range []string{"component", "plugin"} {
					if v, ok := step[k]; ok {
						desc = fmt.Sprintf("%s %v", k, v)
					}
				}
				fn.SkippedActions = append(fn.SkippedActions, hook+": "+desc)
				continue
			}
			rs, ok := run.(string)
			if !ok || strings.TrimSpace(rs) == "" {
				return r.errAt(s, spath+".run", "want a shell command string")
			}
			d := dir
			if pv, ok := step["path"]; ok {
				ps, ok := pv.(string)
				if !ok {
					return r.errAt(s, spath+".path", "want a directory string")
				}
				if filepath.IsAbs(ps) {
					d = filepath.Clean(ps)
				} else {
					d = filepath.Join(dir, ps)
				}
			}
			fn.Actions = append(fn.Actions, Action{Hook: hook, Run: rs, Dir: d})
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

var (
	functionNamePattern = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_-]{0,127}$`)
	regionPattern       = regexp.MustCompile(`^[a-z]{2,}(-[a-z0-9]+)+$`)
	envKeyPattern       = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_]*$`)
	triggerNamePattern  = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_-]{0,127}$`)
	fcARNPattern        = regexp.MustCompile(`^acs:fc:([a-z0-9-]+):([0-9]*):functions/([^/:]+)$`)
	httpMethods         = []string{"GET", "POST", "PUT", "DELETE", "HEAD", "PATCH", "OPTIONS"}
	httpAuthTypes       = []string{"anonymous", "function", "jwt"}
)

func withArticle(name string) string {
	switch name {
	case "null":
		return name
	case "integer":
		return "an integer"
	}
	return "a " + name
}

func typeName(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case bool:
		return "bool"
	case int, int64, uint64:
		return "integer"
	case float64:
		return "number"
	case string:
		return "string"
	case []any:
		return "list"
	case map[string]any:
		return "mapping"
	}
	return fmt.Sprintf("%T", v)
}

func (p *props) str(m map[string]any, base, key string, required bool) (string, error) {
	v, ok := m[key]
	path := joinPath(base, key)
	if !ok || v == nil {
		if required {
			return "", p.errf(path, "missing")
		}
		return "", nil
	}
	s, ok := v.(string)
	if !ok {
		return "", p.errf(path, "want a string, got %s (%v)", typeName(v), v)
	}
	return s, nil
}

func (p *props) integer(m map[string]any, base, key string, def, lo, hi int) (int, error) {
	v, ok := m[key]
	path := joinPath(base, key)
	if !ok || v == nil {
		return def, nil
	}
	n, ok := v.(int)
	if !ok {
		return 0, p.errf(path, "want an integer from %d to %d, got %s (%v)", lo, hi, typeName(v), v)
	}
	if n < lo || n > hi {
		return 0, p.errf(path, "%d is out of range: want %d to %d", n, lo, hi)
	}
	return n, nil
}

func (p *props) boolean(m map[string]any, base, key string, required bool) (bool, bool, error) {
	v, ok := m[key]
	path := joinPath(base, key)
	if !ok || v == nil {
		if required {
			return false, false, p.errf(path, "missing (a required boolean)")
		}
		return false, false, nil
	}
	b, ok := v.(bool)
	if !ok {
		return false, false, p.errf(path, "want a boolean (true/false), got %s (%v)", typeName(v), v)
	}
	return b, true, nil
}

func (p *props) mapping(m map[string]any, base, key string) (map[string]any, error) {
	v, ok := m[key]
	if !ok || v == nil {
		return nil, nil
	}
	mm, ok := v.(map[string]any)
	if !ok {
		return nil, p.errf(joinPath(base, key), "want a mapping, got %s", typeName(v))
	}
	return mm, nil
}

func (p *props) onlyKeys(m map[string]any, base string, known ...string) error {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if !slices.Contains(known, k) {
			return p.errf(joinPath(base, k), "unknown key (known: %s)", strings.Join(known, ", "))
		}
	}
	return nil
}

// fill checks the merged props and copies them into fn.
func (p *props) fill(fn *Function, dir string) error {
	m := p.m
	var err error
	if fn.Name, err = p.str(m, "", "functionName", true); err != nil {
		return err
	}
	if !functionNamePattern.MatchString(fn.Name) {
		return p.errf("functionName", "%q is not a valid function name (letters, digits, _ and -, not starting with a digit or -, at most 128)", fn.Name)
	}
	if fn.Description, err = p.str(m, "", "description", false); err != nil {
		return err
	}
	if fn.Region, err = p.str(m, "", "region", true); err != nil {
		return err
	}
	if !regionPattern.MatchString(fn.Region) {
		return p.errf("region", "%q is not a region ID such as cn-hangzhou", fn.Region)
	}
	if fn.Runtime, err = p.str(m, "", "runtime", true); err != nil {
		return err
	}
	if fn.Runtime != "go1" {
		return p.errf("runtime", "%q is not supported: fclocal runs go1 functions (an executable built with fc-runtime-go-sdk)", fn.Runtime)
	}
	if fn.Handler, err = p.str(m, "", "handler", true); err != nil {
		return err
	}
	if fn.Handler == "" || strings.ContainsAny(fn.Handler, `/\`) {
		return p.errf("handler", "%q: for go1 the handler is the executable's file name in the code directory", fn.Handler)
	}
	if v, ok := m["code"]; ok {
		if _, isMap := v.(map[string]any); isMap {
			return p.errf("code", "an OSS code location cannot be run locally; give a local directory")
		}
	}
	code, err := p.str(m, "", "code", true)
	if err != nil {
		return err
	}
	if filepath.IsAbs(code) {
		fn.CodeDir = filepath.Clean(code)
	} else {
		fn.CodeDir = filepath.Join(dir, code)
	}
	t, err := p.integer(m, "", "timeout", DefaultTimeoutSeconds, 1, 86400)
	if err != nil {
		return err
	}
	fn.Timeout = time.Duration(t) * time.Second
	if fn.MemoryMB, err = p.integer(m, "", "memorySize", DefaultMemorySizeMB, 128, 32768); err != nil {
		return err
	}
	if fn.MemoryMB%64 != 0 {
		return p.errf("memorySize", "%d is not a multiple of 64", fn.MemoryMB)
	}
	if err := p.env(fn); err != nil {
		return err
	}
	if err := p.triggers(fn); err != nil {
		return err
	}
	return p.async(fn)
}

func (p *props) env(fn *Function) error {
	env, err := p.mapping(p.m, "", "environmentVariables")
	if err != nil {
		return err
	}
	fn.Env = map[string]string{}
	keys := make([]string, 0, len(env))
	for k := range env {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	size := 0
	for _, k := range keys {
		path := "environmentVariables." + k
		if !envKeyPattern.MatchString(k) {
			return p.errf(path, "invalid name: letters, digits and _, starting with a letter")
		}
		if strings.HasPrefix(k, "FC_") {
			return p.errf(path, "the FC_ prefix is reserved by Function Compute")
		}
		s, ok := env[k].(string)
		if !ok {
			return p.errf(path, "is %s (%v), not a string: FC environment variables must be strings; quote the value", withArticle(typeName(env[k])), env[k])
		}
		fn.Env[k] = s
		size += len(k) + len(s)
	}
	if size > 4096 {
		return p.errf("environmentVariables", "%d bytes in total; FC allows at most 4 KB", size)
	}
	return nil
}

func (p *props) triggers(fn *Function) error {
	v, ok := p.m["triggers"]
	if !ok || v == nil {
		return nil
	}
	list, ok := v.([]any)
	if !ok {
		return p.errf("triggers", "want a list, got %s", typeName(v))
	}
	names := map[string]bool{}
	httpCount := 0
	for i, item := range list {
		base := fmt.Sprintf("triggers[%d]", i)
		tm, ok := item.(map[string]any)
		if !ok {
			return p.errf(base, "want a mapping, got %s", typeName(item))
		}
		if err := p.onlyKeys(tm, base, "triggerName", "triggerType", "triggerConfig", "description", "qualifier", "sourceArn", "invocationRole"); err != nil {
			return err
		}
		t := &Trigger{}
		var err error
		if t.Name, err = p.str(tm, base, "triggerName", true); err != nil {
			return err
		}
		if !triggerNamePattern.MatchString(t.Name) {
			return p.errf(base+".triggerName", "%q is not a valid trigger name", t.Name)
		}
		if names[t.Name] {
			return p.errf(base+".triggerName", "duplicate trigger name %q", t.Name)
		}
		names[t.Name] = true
		if t.Type, err = p.str(tm, base, "triggerType", true); err != nil {
			return err
		}
		if !slices.Contains(knownTriggerTypes, t.Type) {
			return p.errf(base+".triggerType", "unknown trigger type %q (FC 3.0 types: %s)", t.Type, strings.Join(knownTriggerTypes, ", "))
		}
		if t.Description, err = p.str(tm, base, "description", false); err != nil {
			return err
		}
		cfg, err := p.mapping(tm, base, "triggerConfig")
		if err != nil {
			return err
		}
		if cfg == nil {
			return p.errf(base+".triggerConfig", "missing")
		}
		t.Config = cfg
		cbase := base + ".triggerConfig"
		switch t.Type {
		case TriggerTimer:
			if t.Timer, err = p.timer(cfg, cbase); err != nil {
				return err
			}
		case TriggerHTTP:
			httpCount++
			if httpCount > 1 {
				return p.errf(base, "a function has at most one HTTP trigger")
			}
			if t.HTTP, err = p.http(cfg, cbase); err != nil {
				return err
			}
		}
		fn.Triggers = append(fn.Triggers, t)
	}
	return nil
}

func (p *props) timer(cfg map[string]any, base string) (*TimerConfig, error) {
	if err := p.onlyKeys(cfg, base, "cronExpression", "enable", "payload"); err != nil {
		return nil, err
	}
	expr, err := p.str(cfg, base, "cronExpression", true)
	if err != nil {
		return nil, err
	}
	sched, err := ParseCron(expr)
	if err != nil {
		return nil, p.errf(base+".cronExpression", "%v", err)
	}
	enabled, _, err := p.boolean(cfg, base, "enable", true)
	if err != nil {
		return nil, err
	}
	tc := &TimerConfig{CronExpression: expr, Schedule: sched, Enabled: enabled}
	if v, ok := cfg["payload"]; ok && v != nil {
		s, ok := v.(string)
		if !ok {
			return nil, p.errf(base+".payload", "want a string (FC delivers it as event.payload), got %s; write the JSON in quotes", typeName(v))
		}
		if len(s) > MaxAsyncPayloadBytes {
			return nil, p.errf(base+".payload", "%d bytes; timer payloads are limited to %d bytes", len(s), MaxAsyncPayloadBytes)
		}
		tc.Payload, tc.HasPayload = s, true
	}
	return tc, nil
}

func (p *props) http(cfg map[string]any, base string) (*HTTPConfig, error) {
	if err := p.onlyKeys(cfg, base, "authType", "methods", "disableURLInternet", "authConfig"); err != nil {
		return nil, err
	}
	hc := &HTTPConfig{}
	var err error
	if hc.AuthType, err = p.str(cfg, base, "authType", true); err != nil {
		return nil, err
	}
	if !slices.Contains(httpAuthTypes, hc.AuthType) {
		return nil, p.errf(base+".authType", "%q: want one of %s", hc.AuthType, strings.Join(httpAuthTypes, ", "))
	}
	mv, ok := cfg["methods"]
	list, isList := mv.([]any)
	if !ok || !isList || len(list) == 0 {
		return nil, p.errf(base+".methods", "want a non-empty list of HTTP methods (%s)", strings.Join(httpMethods, ", "))
	}
	for i, m := range list {
		s, ok := m.(string)
		if !ok || !slices.Contains(httpMethods, s) {
			return nil, p.errf(fmt.Sprintf("%s.methods[%d]", base, i), "%v: want one of %s (upper case)", m, strings.Join(httpMethods, ", "))
		}
		if !slices.Contains(hc.Methods, s) {
			hc.Methods = append(hc.Methods, s)
		}
	}
	if hc.DisableURLInternet, _, err = p.boolean(cfg, base, "disableURLInternet", false); err != nil {
		return nil, err
	}
	return hc, nil
}

func (p *props) async(fn *Function) error {
	fn.Async = AsyncConfig{MaxRetries: DefaultMaxAsyncRetryAttempts, MaxEventAge: DefaultMaxAsyncEventAgeInSeconds * time.Second}
	cfg, err := p.mapping(p.m, "", "asyncInvokeConfig")
	if err != nil || cfg == nil {
		return err
	}
	base := "asyncInvokeConfig"
	if err := p.onlyKeys(cfg, base, "maxAsyncRetryAttempts", "maxAsyncEventAgeInSeconds", "destinationConfig", "asyncTask", "qualifier"); err != nil {
		return err
	}
	fn.Async.Configured = true
	if fn.Async.MaxRetries, err = p.integer(cfg, base, "maxAsyncRetryAttempts", DefaultMaxAsyncRetryAttempts, 0, 8); err != nil {
		return err
	}
	age, err := p.integer(cfg, base, "maxAsyncEventAgeInSeconds", DefaultMaxAsyncEventAgeInSeconds, 1, 2592000)
	if err != nil {
		return err
	}
	fn.Async.MaxEventAge = time.Duration(age) * time.Second
	dc, err := p.mapping(cfg, base, "destinationConfig")
	if err != nil || dc == nil {
		return err
	}
	dbase := base + ".destinationConfig"
	if err := p.onlyKeys(dc, dbase, "onSuccess", "onFailure"); err != nil {
		return err
	}
	for _, when := range []string{"onSuccess", "onFailure"} {
		d, err := p.mapping(dc, dbase, when)
		if err != nil {
			return err
		}
		if d == nil {
			continue
		}
		wbase := dbase + "." + when
		if err := p.onlyKeys(d, wbase, "destination"); err != nil {
			return err
		}
		arn, err := p.str(d, wbase, "destination", true)
		if err != nil {
			return err
		}
		m := fcARNPattern.FindStringSubmatch(arn)
		if m == nil {
			msg := "want an FC 3.0 function ARN acs:fc:<region>:<accountId>:functions/<name>"
			switch {
			case strings.Contains(arn, ":services/"):
				msg += " (the services/ form is FC 2.0)"
			case strings.HasPrefix(arn, "acs:") && !strings.HasPrefix(arn, "acs:fc:"):
				msg += " (only function destinations are delivered locally)"
			}
			return p.errf(wbase+".destination", "%q: %s", arn, msg)
		}
		dst := &Destination{ARN: arn, Region: m[1], AccountID: m[2], Function: m[3]}
		if when == "onSuccess" {
			fn.Async.OnSuccess = dst
		} else {
			fn.Async.OnFailure = dst
		}
	}
	return nil
}
