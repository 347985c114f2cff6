package syaml

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// RenderJSON renders the resolved document as JSON in the shape
// `s preview -o json` (Serverless Devs 3) prints: the top-level keys in
// file order, vars and template resolved, and each resource with its
// component, actions, extend and props, props deep-merged over the
// template. The conventions of that output, matched here:
//
//   - A mapping entry whose value is null is left out, at every level
//     (vars, template, props, the top level: `access:` with no value
//     disappears). A null list item stays null.
//   - extend stays in each resource as written, and the template section
//     stays in the output, resolved, even though props already carry it.
//   - A resource always has props: {} when it has none and extends
//     nothing.
//   - Numbers are JSON numbers, whatever their YAML spelling (0x1F is 31,
//     1.50 is 1.5, 1e3 is 1000); a quoted number stays a string. An
//     infinite or NaN float becomes null (what JSON.stringify writes), an
//     integer beyond 2^53 is written as a double prints.
//   - A number or bool embedded in a string by ${vars.x} is written as
//     JavaScript writes it: "hex=${vars.hex}" with hex: 0x1F gives
//     "hex=31" (this is done while resolving, so the local runner sees the
//     same string).
//   - Keys are never resolved, so an actions hook such as
//     pre-${regex('deploy')} appears as written.
//
// Where s preview would print something odd (an unquoted date becomes
// {}), Resolve fails instead; where s preview fails (a reference to a null
// var, spaces inside ${...}, an unset variable without a default), so does
// Resolve. One known difference is not reproduced: within the template
// section, s preview renders a var that refers to another var only one
// level deep (its output keeps the inner ${env(...)}); here it is resolved
// fully, as both resolve the resources' props. deploy/syaml_test.go refuses
// such chains in s.yaml.
func (d *Document) RenderJSON() ([]byte, error) {
	var b bytes.Buffer
	if err := writeJSON(&b, d.Root, ""); err != nil {
		return nil, err
	}
	b.WriteByte('\n')
	return b.Bytes(), nil
}

func writeJSON(b *bytes.Buffer, n *yaml.Node, indent string) error {
	inner := indent + "  "
	switch n.Kind {
	case yaml.MappingNode:
		var kept []int
		for i := 0; i+1 < len(n.Content); i += 2 {
			if !isNull(n.Content[i+1]) {
				kept = append(kept, i)
			}
		}
		if len(kept) == 0 {
			b.WriteString("{}")
			return nil
		}
		b.WriteString("{\n")
		for j, i := range kept {
			b.WriteString(inner)
			writeString(b, n.Content[i].Value)
			b.WriteString(": ")
			if err := writeJSON(b, n.Content[i+1], inner); err != nil {
				return err
			}
			if j < len(kept)-1 {
				b.WriteByte(',')
			}
			b.WriteByte('\n')
		}
		b.WriteString(indent + "}")
	case yaml.SequenceNode:
		if len(n.Content) == 0 {
			b.WriteString("[]")
			return nil
		}
		b.WriteString("[\n")
		for i, c := range n.Content {
			b.WriteString(inner)
			if err := writeJSON(b, c, inner); err != nil {
				return err
			}
			if i < len(n.Content)-1 {
				b.WriteByte(',')
			}
			b.WriteByte('\n')
		}
		b.WriteString(indent + "]")
	case yaml.ScalarNode:
		return writeScalar(b, n)
	default:
		return fmt.Errorf("line %d: cannot render a %v node", n.Line, n.Kind)
	}
	return nil
}

func writeScalar(b *bytes.Buffer, n *yaml.Node) error {
	switch n.ShortTag() {
	case "!!str":
		writeString(b, n.Value)
		return nil
	case "!!null":
		b.WriteString("null")
		return nil
	case "!!bool", "!!int", "!!float":
		var v any
		if err := n.Decode(&v); err != nil {
			return fmt.Errorf("line %d: %v", n.Line, err)
		}
		s, ok := jsString(v)
		if !ok {
			return fmt.Errorf("line %d: cannot render %s %q", n.Line, n.ShortTag(), n.Value)
		}
		if s == "Infinity" || s == "-Infinity" || s == "NaN" {
			s = "null" // what JSON.stringify writes
		}
		b.WriteString(s)
		return nil
	}
	return fmt.Errorf("line %d: cannot render %s %q", n.Line, n.ShortTag(), n.Value)
}

// scalarText is how Serverless Devs writes a scalar into a string (an
// embedded ${...}): the JavaScript text of the value js-yaml reads, so
// 0x1F is "31" and 1.50 is "1.5". Strings are themselves.
func scalarText(n *yaml.Node) string {
	switch n.ShortTag() {
	case "!!bool", "!!int", "!!float":
		var v any
		if n.Decode(&v) == nil {
			if s, ok := jsString(v); ok {
				return s
			}
		}
	}
	return n.Value
}

// jsString formats a decoded YAML scalar as JavaScript's String() would.
func jsString(v any) (string, bool) {
	switch x := v.(type) {
	case bool:
		return strconv.FormatBool(x), true
	case int:
		return jsInt(int64(x)), true
	case int64:
		return jsInt(x), true
	case uint64:
		if x <= 1<<53 {
			return strconv.FormatUint(x, 10), true
		}
		return jsNumber(float64(x)), true
	case float64:
		return jsNumber(x), true
	}
	return "", false
}

func jsInt(x int64) string {
	if x <= 1<<53 && x >= -(1<<53) {
		return strconv.FormatInt(x, 10)
	}
	return jsNumber(float64(x)) // beyond a double's integers, as JS has it
}

// jsNumber formats a float64 as Number.prototype.toString does: the
// shortest digits that read back the same, in exponent form from 1e21 up
// and below 1e-6.
func jsNumber(f float64) string {
	switch {
	case math.IsNaN(f):
		return "NaN"
	case math.IsInf(f, 1):
		return "Infinity"
	case math.IsInf(f, -1):
		return "-Infinity"
	case f == 0:
		return "0" // -0 included
	}
	if a := math.Abs(f); a >= 1e21 || a < 1e-6 {
		s := strconv.FormatFloat(f, 'e', -1, 64) // 1e+21, 1.5e-07
		mant, exp, _ := strings.Cut(s, "e")
		sign := exp[:1]
		exp = strings.TrimLeft(exp[1:], "0")
		return mant + "e" + sign + exp
	}
	return strconv.FormatFloat(f, 'f', -1, 64)
}

// writeString writes s as a JSON string without escaping <, > and &.
func writeString(b *bytes.Buffer, s string) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s)
	b.Write(bytes.TrimRight(buf.Bytes(), "\n"))
}
