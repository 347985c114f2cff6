package syaml

import (
	"bytes"
	"errors"
	"fmt"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// componentPattern matches the fc3 component (optionally namespaced or
// versioned): the one whose props are typed.
var componentPattern = regexp.MustCompile(`^(?:devsapp/)?fc3(?:@[A-Za-z0-9.\-]+)?$`)

// IsFC3 reports whether a component name is the fc3 component.
func IsFC3(component string) bool { return componentPattern.MatchString(component) }

// Decode fills the typed fields of the document and its resources from
// the resolved nodes, with Decoder.KnownFields(true): every unknown key and
// every value of the wrong type is reported (an *Error, or an ErrorList in
// file order when there are several), each with its line, column and key
// path. Props are typed for fc3
// resources; trigger configs by trigger type (timer, http, eventbridge);
// logConfig and vpcConfig when they are mappings.
func (d *Document) Decode() error {
	var errs []*Error
	var top topLevel
	errs = append(errs, d.decodeStrict(d.Root, &top, plainPath(""))...)
	d.Edition, d.Name, d.Access, d.Vars, d.Actions = top.Edition, top.Name, top.Access, top.Vars, top.Actions
	for _, r := range d.Resources {
		errs = append(errs, r.decode()...)
	}
	d.decoded, d.decodeErr = true, asError(errs)
	return d.decodeErr
}

func (r *Resource) decode() []*Error {
	d := r.doc
	var spec resourceSpec
	errs := d.decodeStrict(r.Node, &spec, plainPath("resources."+r.Name))
	r.Component, r.Actions, r.Extend = spec.Component, spec.Actions, spec.Extend
	r.Props = nil
	if !IsFC3(r.Component) {
		return errs
	}
	props := r.PropsNode()
	var p Props
	errs = append(errs, d.decodeStrict(props, &p, r.propPath(""))...)
	r.Props = &p
	for i := range p.Triggers {
		t := &p.Triggers[i]
		at := indexPath("triggers", i) + ".triggerConfig"
		cfg := Get(props, at)
		if isNull(cfg) {
			continue
		}
		switch t.TriggerType {
		case TriggerTimer:
			t.Timer = &TimerTriggerConfig{}
			errs = append(errs, d.decodeStrict(cfg, t.Timer, r.propPath(at))...)
		case TriggerHTTP:
			t.HTTP = &HTTPTriggerConfig{}
			errs = append(errs, d.decodeStrict(cfg, t.HTTP, r.propPath(at))...)
		case TriggerEventBridge:
			t.EventBridge = &EventBridgeTriggerConfig{}
			errs = append(errs, d.decodeStrict(cfg, t.EventBridge, r.propPath(at))...)
		default:
			if cfg.Kind != yaml.MappingNode {
				errs = append(errs, d.errorAt(cfg, r.where(cfg, at), "want a mapping, got %s", describe(cfg)))
			}
		}
	}
	if n := MapValue(props, "logConfig"); autoOrMapping(d, n, r.propPath("logConfig"), &errs) {
		p.Log = &LogConfig{}
		errs = append(errs, d.decodeStrict(n, p.Log, r.propPath("logConfig"))...)
	}
	if n := MapValue(props, "vpcConfig"); autoOrMapping(d, n, r.propPath("vpcConfig"), &errs) {
		p.VPC = &VPCConfig{}
		errs = append(errs, d.decodeStrict(n, p.VPC, r.propPath("vpcConfig"))...)
	}
	return errs
}

// autoOrMapping reports whether n is a mapping to decode; "auto" and null
// are accepted as they are, anything else is an error.
func autoOrMapping(d *Document, n *yaml.Node, name pathFunc, errs *[]*Error) bool {
	switch {
	case isNull(n), n.Kind == yaml.ScalarNode && n.ShortTag() == "!!str" && n.Value == "auto":
		return false
	case n.Kind != yaml.MappingNode:
		*errs = append(*errs, d.errorAt(n, name(n, ""), `want "auto" or a mapping, got %s`, describe(n)))
		return false
	}
	return true
}

// pathFunc names the node found at rel (a path relative to the decoded
// node) for an error.
type pathFunc func(n *yaml.Node, rel string) string

func plainPath(prefix string) pathFunc {
	return func(_ *yaml.Node, rel string) string { return joinPath(prefix, rel) }
}

// propPath names a node of the merged props: under the template when the
// value was inherited from it, under the resource otherwise. prefix is the
// path of the decoded node inside props.
func (r *Resource) propPath(prefix string) pathFunc {
	return func(n *yaml.Node, rel string) string { return r.where(n, joinPath(prefix, rel)) }
}

// where names the props value n found at path (relative to props).
func (r *Resource) where(n *yaml.Node, path string) string {
	if n != nil && r.inherited[n] {
		return "template." + r.Template + "." + path + " (extended by resources." + r.Name + ")"
	}
	return joinPath("resources."+r.Name+".props", path)
}

func (d *Document) errorAt(n *yaml.Node, path, format string, args ...any) *Error {
	e := &Error{File: d.File, Path: path, Msg: fmt.Sprintf(format, args...)}
	e.Line, e.Column = position(d.keys, n)
	return e
}

// ---------------------------------------------------------------------------
// Strict decoding

// decodeStrict decodes n into out (a pointer to a struct) with
// Decoder.KnownFields(true) and returns every problem, located on n's own
// nodes.
//
// yaml.v3's Decoder reads text, so n is written out and read back; its
// errors give lines of that text, which are mapped back to n's nodes by
// walking the re-read tree alongside n. Scalar types are checked first on
// n itself (yaml.v3 would accept 1.5 for an int, false for a string, or
// "yes" for a bool), so of the decoder's errors only the unknown keys are
// kept.
func (d *Document) decodeStrict(n *yaml.Node, out any, name pathFunc) []*Error {
	var errs []*Error
	checkTypes(n, reflect.TypeOf(out), "", func(at *yaml.Node, rel, msg string) {
		errs = append(errs, d.errorAt(at, name(at, rel), "%s", msg))
	})
	shapeErrors := len(errs) > 0

	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(plainCopy(n)); err != nil {
		return append(errs, d.errorAt(n, name(n, ""), "cannot re-encode for decoding: %v", err))
	}
	_ = enc.Close()
	var back yaml.Node
	if err := yaml.Unmarshal(buf.Bytes(), &back); err != nil || len(back.Content) != 1 {
		return append(errs, d.errorAt(n, name(n, ""), "cannot re-read for decoding: %v", err))
	}
	keys := map[int][]keyAt{}
	indexKeys(n, back.Content[0], "", keys)

	dec := yaml.NewDecoder(bytes.NewReader(buf.Bytes()))
	dec.KnownFields(true)
	err := dec.Decode(out)
	if err == nil {
		return errs
	}
	var te *yaml.TypeError
	if !errors.As(err, &te) {
		return append(errs, d.errorAt(n, name(n, ""), "%v", err))
	}
	for _, msg := range te.Errors {
		if line, field, typ, isField := parseFieldNotFound(msg); isField {
			if k, found := findKey(keys[line], field); found {
				errs = append(errs, d.errorAt(k.key, name(k.key, k.path), "%s", unknownKeyMessage(field, typ, out)))
				continue
			}
		}
		if shapeErrors && strings.Contains(msg, "cannot unmarshal") {
			continue // already reported, better located, by checkTypes
		}
		// Not expected: locate it by its line as well as possible.
		at, rel := n, ""
		if ks := keys[lineOf(msg)]; len(ks) > 0 {
			at, rel = ks[0].key, ks[0].path
		}
		errs = append(errs, d.errorAt(at, name(at, rel), "%s", strings.TrimSpace(linePrefix.ReplaceAllString(msg, ""))))
	}
	return errs
}

var (
	fieldNotFound = regexp.MustCompile(`^line (\d+): field (.+) not found in type (\S+)$`)
	linePrefix    = regexp.MustCompile(`^line \d+: `)
	lineNumber    = regexp.MustCompile(`^line (\d+):`)
)

func parseFieldNotFound(msg string) (line int, field, typ string, ok bool) {
	m := fieldNotFound.FindStringSubmatch(msg)
	if m == nil {
		return 0, "", "", false
	}
	line, _ = strconv.Atoi(m[1])
	return line, m[2], m[3], true
}

func lineOf(msg string) int {
	if m := lineNumber.FindStringSubmatch(msg); m != nil {
		n, _ := strconv.Atoi(m[1])
		return n
	}
	return 0
}

func findKey(keys []keyAt, name string) (keyAt, bool) {
	for _, k := range keys {
		if k.key.Value == name {
			return k, true
		}
	}
	return keyAt{}, false
}

// keyAt is a mapping key of the decoded node: the original key node and
// its path, indexed by the line of the re-read text it sits on.
type keyAt struct {
	key  *yaml.Node
	path string
}

// indexKeys walks orig and its re-read copy together.
func indexKeys(orig, back *yaml.Node, path string, out map[int][]keyAt) {
	if orig == nil || back == nil || orig.Kind != back.Kind || len(orig.Content) != len(back.Content) {
		return
	}
	switch orig.Kind {
	case yaml.MappingNode:
		for i := 0; i+1 < len(orig.Content); i += 2 {
			p := joinPath(path, orig.Content[i].Value)
			out[back.Content[i].Line] = append(out[back.Content[i].Line], keyAt{key: orig.Content[i], path: p})
			indexKeys(orig.Content[i+1], back.Content[i+1], p, out)
		}
	case yaml.SequenceNode:
		for i := range orig.Content {
			indexKeys(orig.Content[i], back.Content[i], indexPath(path, i), out)
		}
	}
}

// plainCopy copies n in block style without comments, anchors or
// positions: every mapping key lands on a line of its own when encoded.
func plainCopy(n *yaml.Node) *yaml.Node {
	c := &yaml.Node{Kind: n.Kind, Tag: n.Tag, Value: n.Value}
	if n.Kind == yaml.ScalarNode {
		c.Style = n.Style &^ yaml.FlowStyle
	}
	for _, ch := range n.Content {
		c.Content = append(c.Content, plainCopy(ch))
	}
	return c
}

// unknownKeyMessage explains an unknown key, suggesting the closest known
// one.
func unknownKeyMessage(field, typeName string, out any) string {
	known := knownKeys(reflect.TypeOf(out), typeName)
	if best := closest(field, known); best != "" {
		return fmt.Sprintf("unknown key (did you mean %s?)", best)
	}
	if len(known) == 0 {
		return "unknown key"
	}
	if len(known) <= 12 {
		return fmt.Sprintf("unknown key (known: %s)", strings.Join(known, ", "))
	}
	return fmt.Sprintf("unknown key (not one of the %d keys of %s)", len(known), describeType(typeName))
}

func describeType(typeName string) string {
	switch typeName {
	case "syaml.Props":
		return "the fc3 component's function props"
	case "syaml.topLevel":
		return "an s.yaml's top level"
	}
	return typeName
}

// knownKeys lists the yaml keys of the struct type named typeName, found
// among the types reachable from t.
func knownKeys(t reflect.Type, typeName string) []string {
	seen := map[reflect.Type]bool{}
	var find func(t reflect.Type) []string
	find = func(t reflect.Type) []string {
		for t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice || t.Kind() == reflect.Map {
			t = t.Elem()
		}
		if t.Kind() != reflect.Struct || seen[t] {
			return nil
		}
		seen[t] = true
		if t.String() == typeName {
			var keys []string
			for field := range t.Fields() {
				if k := yamlName(field); k != "" {
					keys = append(keys, k)
				}
			}
			return keys
		}
		for field := range t.Fields() {
			if yamlName(field) == "" {
				continue
			}
			if keys := find(field.Type); keys != nil {
				return keys
			}
		}
		return nil
	}
	return find(t)
}

// closest returns the known key nearest to field, if it is plausibly a
// misspelling of it.
func closest(field string, known []string) string {
	best, bestDist := "", 3
	for _, k := range known {
		if strings.EqualFold(k, field) {
			return k
		}
		if d := editDistance(strings.ToLower(field), strings.ToLower(k)); d < bestDist {
			best, bestDist = k, d
		}
	}
	return best
}

func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

func yamlName(f reflect.StructField) string {
	tag := f.Tag.Get("yaml")
	name, _, _ := strings.Cut(tag, ",")
	if name == "-" || !f.IsExported() {
		return ""
	}
	if name == "" {
		return strings.ToLower(f.Name)
	}
	return name
}

var nodeType = reflect.TypeFor[yaml.Node]()

// checkTypes checks n's scalars against the Go types they decode into:
// strings must be YAML strings, integers integers, bools true or false,
// numbers integers or floats; structs and maps want mappings, slices
// lists. A null is an unset value, except as an entry of a map or list of
// scalars (an environment variable with no value, say). Raw fields (any,
// yaml.Node) are not checked; unknown keys are left to the decoder.
func checkTypes(n *yaml.Node, t reflect.Type, path string, report func(*yaml.Node, string, string)) {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t.Kind() == reflect.Interface || t == nodeType || isNull(n) {
		return
	}
	switch t.Kind() {
	case reflect.Struct:
		if n.Kind != yaml.MappingNode {
			report(n, path, "want a mapping, got "+describe(n))
			return
		}
		fields := map[string]reflect.Type{}
		for field := range t.Fields() {
			if k := yamlName(field); k != "" {
				fields[k] = field.Type
			}
		}
		for i := 0; i+1 < len(n.Content); i += 2 {
			if ft, ok := fields[n.Content[i].Value]; ok {
				checkTypes(n.Content[i+1], ft, joinPath(path, n.Content[i].Value), report)
			}
		}
	case reflect.Map:
		if n.Kind != yaml.MappingNode {
			report(n, path, "want a mapping, got "+describe(n))
			return
		}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			p := joinPath(path, k.Value)
			if isNull(v) && isScalarKind(t.Elem()) {
				report(v, p, "want "+scalarWant(t.Elem())+", got null"+nullHint(t.Elem()))
				continue
			}
			checkTypes(v, t.Elem(), p, report)
		}
	case reflect.Slice:
		if n.Kind != yaml.SequenceNode {
			report(n, path, "want a list, got "+describe(n))
			return
		}
		for i, c := range n.Content {
			p := indexPath(path, i)
			if isNull(c) && isScalarKind(t.Elem()) {
				report(c, p, "want "+scalarWant(t.Elem())+", got null")
				continue
			}
			checkTypes(c, t.Elem(), p, report)
		}
	default:
		want := scalarWant(t)
		tag := n.ShortTag()
		ok := n.Kind == yaml.ScalarNode
		switch t.Kind() {
		case reflect.String:
			ok = ok && tag == "!!str"
		case reflect.Bool:
			ok = ok && tag == "!!bool"
		case reflect.Float32, reflect.Float64:
			ok = ok && (tag == "!!int" || tag == "!!float")
		default:
			ok = ok && tag == "!!int"
		}
		if !ok {
			msg := "want " + want + ", got " + describe(n)
			if t.Kind() == reflect.String && n.Kind == yaml.ScalarNode {
				msg += "; quote it"
			}
			report(n, path, msg)
		}
	}
}

func isScalarKind(t reflect.Type) bool {
	return slices.Contains([]reflect.Kind{reflect.String, reflect.Bool, reflect.Int, reflect.Int64, reflect.Float64}, t.Kind())
}

func scalarWant(t reflect.Type) string {
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "a boolean (true or false)"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Struct, reflect.Map:
		return "a mapping"
	case reflect.Slice:
		return "a list"
	}
	return "an integer"
}

func nullHint(t reflect.Type) string {
	if t.Kind() == reflect.String {
		return " (write '' for an empty string)"
	}
	return ""
}
