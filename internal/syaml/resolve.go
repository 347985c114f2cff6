package syaml

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// LookupEnv reads an environment variable for ${env(...)}; os.LookupEnv
// fits. nil means no variable is set (every default applies).
type LookupEnv func(name string) (string, bool)

// Document is an s.yaml read and resolved, as `s preview` renders it.
//
// Resolve fills the node trees; Decode then fills the typed fields (the
// top level here, each resource's in Resource). Parse does both.
type Document struct {
	// Path is where the file lives (absolute for ResolveFile and ParseFile);
	// Dir is its directory, against which code directories and action
	// paths are resolved. File is its base name, which prefixes errors.
	Path, Dir, File string

	// Raw is the top-level mapping as written: nothing resolved. Checks
	// about how the file is written (rather than what it means) read it.
	Raw *yaml.Node
	// Root is the resolved top-level mapping in `s preview`'s shape: every
	// ${vars...} and ${env(...)} replaced (in vars and template too), YAML
	// anchors expanded, and each resource's props deep-merged over the
	// template it extends. Nodes keep the line and column they were
	// written at; a value substituted for a whole-value ${...} takes the
	// position of the reference.
	Root *yaml.Node
	// Resources are the entries of resources, in file order. Their Node is
	// the one inside Root.
	Resources []*Resource

	// Typed top level, filled by Decode.
	Edition, Name, Access string
	Vars                  map[string]any
	// Actions are the global actions (hook -> steps).
	Actions map[string][]ActionStep

	decoded   bool
	decodeErr error
	keys      map[*yaml.Node]*yaml.Node // value -> key in Root, to place errors
}

// Resource is one entry of resources.
type Resource struct {
	Name string
	// Node is the resolved resource mapping (component, actions, extend,
	// props...), props merged over the extended template.
	Node *yaml.Node
	// Template is the name of the extended template, "" if none.
	Template string

	// Typed fields, filled by Decode. Props is set for an fc3 component
	// only (other components' props are not modelled).
	Component string
	Actions   map[string][]ActionStep
	Extend    *Extend
	Props     *Props

	doc *Document
	// inherited holds the nodes of the merged props that came from the
	// template, so that errors can point at the template.
	inherited map[*yaml.Node]bool
}

// PropsNode is the resource's merged props mapping (nil if it has none).
func (r *Resource) PropsNode() *yaml.Node { return MapValue(r.Node, "props") }

// Resource returns the resource of that name, or nil.
func (d *Document) Resource(name string) *Resource {
	for _, r := range d.Resources {
		if r.Name == name {
			return r
		}
	}
	return nil
}

// ResourceNames lists the resources in file order.
func (d *Document) ResourceNames() []string {
	names := make([]string, len(d.Resources))
	for i, r := range d.Resources {
		names[i] = r.Name
	}
	return names
}

// ResolveFile reads and resolves the s.yaml at path (see Resolve).
func ResolveFile(path string, lookup LookupEnv) (*Document, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, err
	}
	data, err := os.ReadFile(abs)
	if err != nil {
		return nil, err
	}
	return Resolve(data, abs, lookup)
}

// ParseFile reads, resolves and decodes the s.yaml at path (see Parse).
func ParseFile(path string, lookup LookupEnv) (*Document, error) {
	d, err := ResolveFile(path, lookup)
	if err != nil {
		return nil, err
	}
	if err := d.Decode(); err != nil {
		return nil, err
	}
	return d, nil
}

// Parse resolves s.yaml content and decodes it into the typed structs.
func Parse(data []byte, path string, lookup LookupEnv) (*Document, error) {
	d, err := Resolve(data, path, lookup)
	if err != nil {
		return nil, err
	}
	if err := d.Decode(); err != nil {
		return nil, err
	}
	return d, nil
}

// Resolve parses s.yaml content and resolves it the way `s preview` does.
// path is where the content lives: its directory anchors relative paths,
// its base name prefixes errors. lookup supplies ${env(...)}.
//
// Resolved are: ${vars.a.b} (a whole-value reference keeps the var's YAML
// type, one embedded in a string interpolates a scalar; vars may refer to
// vars), ${env('NAME')} and ${env('NAME', 'default')} (single or double
// quotes; always a string; an unset variable without a default is an
// error), and template + extend {name, ignore} (maps deep-merged with the
// resource's props on top, lists and scalars replaced, ignored template
// keys dropped; a dotted ignore entry drops a nested key). Every other
// ${...} form (config, resources, this, file, path, json, ...) is an
// error, as are YAML merge keys (<<), duplicate keys, unquoted dates and
// other explicit tags, a reference to a null var, and a template that does
// not exist. Keys are never resolved (an actions hook such as
// pre-${regex('deploy')} stays as written). The whole file is resolved,
// unused vars and templates included, as `s preview` does.
//
// The first problem is returned as an *Error naming the file, line and
// column, and key path.
func Resolve(data []byte, path string, lookup LookupEnv) (*Document, error) {
	if lookup == nil {
		lookup = func(string) (string, bool) { return "", false }
	}
	file := filepath.Base(path)
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, syntaxError(file, data, err)
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) != 1 || doc.Content[0].Kind != yaml.MappingNode {
		return nil, &Error{File: file, Msg: "the document must be a mapping (edition, name, vars, template, resources, ...)"}
	}
	raw := doc.Content[0]
	r := &resolver{
		file:     file,
		lookup:   lookup,
		vars:     MapValue(raw, "vars"),
		varCache: map[string]*yaml.Node{},
		keys:     map[*yaml.Node]*yaml.Node{},
	}
	recordKeys(raw, r.keys)
	d := &Document{Path: path, Dir: filepath.Dir(path), File: file, Raw: raw}
	if n := mapKey(raw, "extend"); n != nil {
		return nil, r.errAt(n, "extend", "extending another YAML file is not supported here; keep everything in this file")
	}
	if v := r.vars; v != nil && !isNull(v) && v.Kind != yaml.MappingNode {
		return nil, r.errAt(v, "vars", "want a mapping of vars, got %s", describe(v))
	}
	root, err := r.resolve(raw, "")
	if err != nil {
		return nil, err
	}
	d.Root = root
	recordKeys(root, r.keys)
	templates := MapValue(root, "template")
	if templates != nil && !isNull(templates) {
		if templates.Kind != yaml.MappingNode {
			return nil, r.errAt(templates, "template", "want a mapping of templates, got %s", describe(templates))
		}
		for i := 0; i+1 < len(templates.Content); i += 2 {
			if t := templates.Content[i+1]; t.Kind != yaml.MappingNode {
				return nil, r.errAt(t, "template."+templates.Content[i].Value, "want a mapping of props, got %s", describe(t))
			}
		}
	}
	resNode := MapValue(root, "resources")
	if resNode == nil || resNode.Kind != yaml.MappingNode || len(resNode.Content) == 0 {
		at := resNode
		if at == nil {
			at = raw
		}
		return nil, r.errAt(at, "resources", "missing, empty or not a mapping")
	}
	for i := 0; i+1 < len(resNode.Content); i += 2 {
		name := resNode.Content[i].Value
		res, err := r.resource(name, resNode.Content[i+1], templates)
		if err != nil {
			return nil, err
		}
		res.doc = d
		d.Resources = append(d.Resources, res)
	}
	d.keys = map[*yaml.Node]*yaml.Node{}
	recordKeys(root, d.keys)
	return d, nil
}

var yamlLinePattern = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// syntaxError turns a yaml.v3 parse error into an *Error with its line.
//
// yaml.v3 reports the line where the enclosing construct starts, and for
// some errors one less, so the line is found again: the first line at
// which the file, cut there, fails with the same problem (from a little
// before the reported line on). A cut that ends an unterminated construct
// still ends it there, which is where the problem shows.
func syntaxError(file string, data []byte, err error) error {
	m := yamlLinePattern.FindStringSubmatch(err.Error())
	if m == nil {
		return &Error{File: file, Msg: "not valid YAML: " + strings.TrimPrefix(err.Error(), "yaml: ")}
	}
	reported, _ := strconv.Atoi(m[1])
	line := reported
	lines := strings.SplitAfter(string(data), "\n")
	for n := max(1, reported-1); n <= len(lines); n++ {
		var probe yaml.Node
		perr := yaml.Unmarshal([]byte(strings.Join(lines[:n], "")), &probe)
		if pm := yamlLinePattern.FindStringSubmatch(fmt.Sprint(perr)); pm != nil && pm[2] == m[2] {
			line = n
			break
		}
	}
	return &Error{File: file, Line: line, Msg: "not valid YAML: " + m[2]}
}

// ---------------------------------------------------------------------------
// Resolution of ${...}

type resolver struct {
	file     string
	keys     map[*yaml.Node]*yaml.Node // value -> key, to place errors
	lookup   LookupEnv
	vars     *yaml.Node // the raw vars mapping
	varCache map[string]*yaml.Node
	varStack []string
}

func (r *resolver) errAt(n *yaml.Node, path, format string, args ...any) error {
	e := &Error{File: r.file, Path: path, Msg: fmt.Sprintf(format, args...)}
	e.Line, e.Column = position(r.keys, n)
	return e
}

// position is where an error about n points: at the key of a mapping
// entry (the key path names it), at n itself otherwise.
func position(keys map[*yaml.Node]*yaml.Node, n *yaml.Node) (line, column int) {
	if n == nil {
		return 0, 0
	}
	if k := keys[n]; k != nil && k.Line > 0 {
		return k.Line, k.Column
	}
	return n.Line, n.Column
}

// recordKeys records, for every mapping value under n, its key.
func recordKeys(n *yaml.Node, keys map[*yaml.Node]*yaml.Node) {
	if n == nil {
		return
	}
	if n.Kind == yaml.MappingNode {
		for i := 0; i+1 < len(n.Content); i += 2 {
			keys[n.Content[i+1]] = n.Content[i]
		}
	}
	if n.Kind != yaml.AliasNode {
		for _, c := range n.Content {
			recordKeys(c, keys)
		}
	}
}

// scalarTags are the tags a resolved scalar may carry: YAML's core schema,
// which both yaml.v3 and Serverless Devs read the same way.
var scalarTags = []string{"!!str", "!!int", "!!float", "!!bool", "!!null"}

// resolve returns a deep copy of n with every ${...} resolved, aliases
// expanded and anchors and comments dropped.
func (r *resolver) resolve(n *yaml.Node, path string) (*yaml.Node, error) {
	switch n.Kind {
	case yaml.AliasNode:
		return r.resolve(n.Alias, path)
	case yaml.MappingNode:
		out := &yaml.Node{Kind: n.Kind, Tag: n.Tag, Style: n.Style, Line: n.Line, Column: n.Column}
		out.Content = make([]*yaml.Node, 0, len(n.Content))
		seen := map[string]*yaml.Node{}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := n.Content[i]
			if k.Kind == yaml.AliasNode {
				k = k.Alias
			}
			if k.Kind != yaml.ScalarNode {
				return nil, r.errAt(k, path, "a mapping key must be a scalar, got %s", describe(k))
			}
			if k.Value == "<<" && k.ShortTag() == "!!merge" {
				return nil, r.errAt(k, path, "YAML merge keys (<<) are not supported; use template and extend")
			}
			kp := joinPath(path, k.Value)
			if first, dup := seen[k.Value]; dup {
				return nil, r.errAt(k, kp, "duplicate key (first at line %d)", first.Line)
			}
			seen[k.Value] = k
			var v *yaml.Node
			var err error
			if path == "" && k.Value == "vars" && n.Content[i+1].Kind == yaml.MappingNode {
				v, err = r.resolveVars(n.Content[i+1])
			} else {
				v, err = r.resolve(n.Content[i+1], kp)
			}
			if err != nil {
				return nil, err
			}
			kc := &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: k.Value, Style: k.Style, Line: k.Line, Column: k.Column}
			out.Content = append(out.Content, kc, v)
		}
		return out, nil
	case yaml.SequenceNode:
		out := &yaml.Node{Kind: n.Kind, Tag: n.Tag, Style: n.Style, Line: n.Line, Column: n.Column}
		out.Content = make([]*yaml.Node, 0, len(n.Content))
		for i, c := range n.Content {
			v, err := r.resolve(c, indexPath(path, i))
			if err != nil {
				return nil, err
			}
			out.Content = append(out.Content, v)
		}
		return out, nil
	case yaml.ScalarNode:
		tag := n.ShortTag()
		switch {
		case tag == "!!timestamp":
			return nil, r.errAt(n, path, "%q is an unquoted date: Serverless Devs reads it as a date object (s preview renders it as {}); quote it", n.Value)
		case !slices.Contains(scalarTags, tag):
			return nil, r.errAt(n, path, "the tag %s is not supported (only plain YAML strings, numbers, booleans and null)", n.Tag)
		case tag == "!!str" && strings.Contains(n.Value, "${"):
			return r.interpolate(n, path)
		}
		return &yaml.Node{Kind: n.Kind, Tag: tag, Value: n.Value, Style: n.Style, Line: n.Line, Column: n.Column}, nil
	}
	return nil, r.errAt(n, path, "unexpected YAML node")
}

// resolveVars resolves the vars section var by var, through the same cache
// as the references, so that a cycle is reported in the order written.
func (r *resolver) resolveVars(n *yaml.Node) (*yaml.Node, error) {
	out := &yaml.Node{Kind: n.Kind, Tag: n.Tag, Style: n.Style, Line: n.Line, Column: n.Column}
	seen := map[string]*yaml.Node{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Kind != yaml.ScalarNode || (k.Value == "<<" && k.ShortTag() == "!!merge") {
			return r.resolve(n, "vars") // reports the key
		}
		kp := "vars." + k.Value
		if first, dup := seen[k.Value]; dup {
			return nil, r.errAt(k, kp, "duplicate key (first at line %d)", first.Line)
		}
		seen[k.Value] = k
		var rv *yaml.Node
		var err error
		if isNull(v) || v.Kind == yaml.AliasNode && isNull(v.Alias) {
			// A null var is kept (s preview drops it from its output); only
			// a reference to it is an error.
			rv, err = r.resolve(v, kp)
		} else if rv, err = r.variable(k, kp, []string{k.Value}); err == nil {
			rv = copyNode(rv)
		}
		if err != nil {
			return nil, err
		}
		kc := &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: k.Value, Style: k.Style, Line: k.Line, Column: k.Column}
		out.Content = append(out.Content, kc, rv)
	}
	return out, nil
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
		raw := s[i+2 : i+j]
		expr := strings.TrimSpace(raw)
		if expr != raw {
			return nil, r.errAt(n, path, "${%s}: no spaces inside ${...}: Serverless Devs does not resolve them (s preview reports the reference as not found); write ${%s}", raw, expr)
		}
		val, err := r.expression(n, path, expr)
		if err != nil {
			return nil, err
		}
		if first && i == 0 && i+j+1 == len(s) {
			// A whole-value reference keeps the referenced node's type and
			// takes the reference's position.
			c := copyNode(val)
			c.Line, c.Column = n.Line, n.Column
			return c, nil
		}
		if val.Kind != yaml.ScalarNode {
			return nil, r.errAt(n, path, "${%s} is a %s and cannot be embedded in the string %q", expr, kindName(val), n.Value)
		}
		b.WriteString(s[:i])
		b.WriteString(scalarText(val))
		s = s[i+j+1:]
	}
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: b.String(), Line: n.Line, Column: n.Column}, nil
}

var (
	varRefPattern = regexp.MustCompile(`^vars((?:\.[A-Za-z0-9_-]+)+)$`)
	envPattern    = regexp.MustCompile(`^env\(\s*(?:'([^']*)'|"([^"]*)")\s*(?:,\s*(?:'([^']*)'|"([^"]*)")\s*)?\)$`)
	funcPattern   = regexp.MustCompile(`^([A-Za-z_]+)\s*\(`)
)

// supported is appended to the messages about expressions left unresolved.
const supported = "only ${vars.x} and ${env('NAME', 'default')} are resolved"

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
		return nil, r.errAt(n, path, "${%s}: references to other resources' props or deploy output are not resolved here (there is no deploy); use a var", expr)
	case strings.HasPrefix(expr, "this."):
		return nil, r.errAt(n, path, "${%s}: ${this...} is not resolved here; use a var (%s)", expr, supported)
	}
	if m := funcPattern.FindStringSubmatch(expr); m != nil {
		if m[1] == "config" {
			return nil, r.errAt(n, path, "${%s}: ${config(...)} reads the Serverless Devs access (credentials), which is not used here; %s", expr, supported)
		}
		return nil, r.errAt(n, path, "${%s}: the %s() function is not supported (%s)", expr, m[1], supported)
	}
	return nil, r.errAt(n, path, "${%s}: unsupported expression (%s)", expr, supported)
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
	if cur == nil || isNull(cur) {
		return nil, r.errAt(n, path, "${vars.%s}: unknown var (the file has no vars)", key)
	}
	for i, s := range segs {
		if cur.Kind == yaml.AliasNode {
			cur = cur.Alias
		}
		next := MapValue(cur, s)
		if next == nil {
			if i == 0 {
				return nil, r.errAt(n, path, "${vars.%s}: unknown var %q (vars: %s)", key, s, strings.Join(MapKeys(r.vars), ", "))
			}
			return nil, r.errAt(n, path, "${vars.%s}: unknown var %s", key, strings.Join(segs[:i+1], "."))
		}
		cur = next
	}
	if cur.Kind == yaml.AliasNode {
		cur = cur.Alias
	}
	if isNull(cur) {
		return nil, r.errAt(n, path, "${vars.%s}: the var is null (s preview reports it as not found); give it a value", key)
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

// ---------------------------------------------------------------------------
// Resources: template + extend

// resource merges a resolved resource's props over its template.
func (r *resolver) resource(name string, node, templates *yaml.Node) (*Resource, error) {
	base := "resources." + name
	if node.Kind != yaml.MappingNode {
		return nil, r.errAt(node, base, "want a mapping with component and props, got %s", describe(node))
	}
	res := &Resource{Name: name, Node: node, inherited: map[*yaml.Node]bool{}}
	props := MapValue(node, "props")
	if props != nil && !isNull(props) && props.Kind != yaml.MappingNode {
		return nil, r.errAt(props, base+".props", "want a mapping, got %s", describe(props))
	}
	if isNull(props) {
		props = &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map", Line: node.Line, Column: node.Column}
	}
	ext := MapValue(node, "extend")
	if ext == nil || isNull(ext) {
		// s preview always renders a props mapping, {} when there is none.
		mapSet(node, "props", props)
		return res, nil
	}
	tname, ignore, err := r.extend(ext, base+".extend")
	if err != nil {
		return nil, err
	}
	tnode := MapValue(templates, tname)
	if tnode == nil {
		at := MapValue(ext, "name")
		names := MapKeys(templates)
		if len(names) == 0 {
			return nil, r.errAt(at, base+".extend.name", "unknown template %q (the file has no templates)", tname)
		}
		return nil, r.errAt(at, base+".extend.name", "unknown template %q (templates: %s)", tname, strings.Join(names, ", "))
	}
	tmpl := copyNode(tnode)
	for _, k := range ignore {
		deletePath(tmpl, k)
	}
	markAll(tmpl, res.inherited)
	res.Template = tname
	mapSet(node, "props", mergeNodes(tmpl, props))
	return res, nil
}

// extend reads a resolved extend: {name, ignore}.
func (r *resolver) extend(n *yaml.Node, path string) (string, []string, error) {
	if n.Kind != yaml.MappingNode {
		return "", nil, r.errAt(n, path, "want {name: <template>, ignore: [keys]}, got %s", describe(n))
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if k := n.Content[i]; k.Value != "name" && k.Value != "ignore" {
			return "", nil, r.errAt(k, path+"."+k.Value, "unknown key (extend takes name and ignore)")
		}
	}
	nameNode := MapValue(n, "name")
	if nameNode == nil || isNull(nameNode) {
		return "", nil, r.errAt(n, path+".name", "missing")
	}
	if nameNode.Kind != yaml.ScalarNode || nameNode.ShortTag() != "!!str" || nameNode.Value == "" {
		return "", nil, r.errAt(nameNode, path+".name", "want a template name, got %s", describe(nameNode))
	}
	var ignore []string
	if ig := MapValue(n, "ignore"); ig != nil && !isNull(ig) {
		if ig.Kind != yaml.SequenceNode {
			return "", nil, r.errAt(ig, path+".ignore", "want a list of template keys, got %s", describe(ig))
		}
		for i, k := range ig.Content {
			if k.Kind != yaml.ScalarNode || k.ShortTag() != "!!str" {
				return "", nil, r.errAt(k, indexPath(path+".ignore", i), "want a template key, got %s", describe(k))
			}
			ignore = append(ignore, k.Value)
		}
	}
	return nameNode.Value, ignore, nil
}

// deletePath drops a key, or a nested key given as a.b.c.
func deletePath(n *yaml.Node, path string) {
	keys := strings.Split(path, ".")
	for _, k := range keys[:len(keys)-1] {
		if n = MapValue(n, k); n == nil {
			return
		}
	}
	mapDelete(n, keys[len(keys)-1])
}

// mergeNodes deep-merges over onto base (a copy the caller owns): mappings
// key by key, over winning; anything else (lists included) replaced.
func mergeNodes(base, over *yaml.Node) *yaml.Node {
	if base.Kind != yaml.MappingNode || over.Kind != yaml.MappingNode {
		return over
	}
	out := &yaml.Node{Kind: yaml.MappingNode, Tag: over.Tag, Style: over.Style, Line: over.Line, Column: over.Column}
	out.Content = append(out.Content, base.Content...)
	for i := 0; i+1 < len(over.Content); i += 2 {
		k, v := over.Content[i], over.Content[i+1]
		replaced := false
		for j := 0; j+1 < len(out.Content); j += 2 {
			if out.Content[j].Value == k.Value {
				// The resource's own key: an error about it points there.
				out.Content[j] = k
				out.Content[j+1] = mergeNodes(out.Content[j+1], v)
				replaced = true
				break
			}
		}
		if !replaced {
			out.Content = append(out.Content, k, v)
		}
	}
	return out
}

func markAll(n *yaml.Node, set map[*yaml.Node]bool) {
	set[n] = true
	for _, c := range n.Content {
		markAll(c, set)
	}
}
