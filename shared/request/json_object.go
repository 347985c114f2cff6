package request

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"reflect"
	"slices"
	"strings"
)

// object is a JSON object split into its members (keys are exact, unique).
type object map[string]json.RawMessage

// has reports whether key is present with a non-null value.
func (o object) has(key string) bool {
	v, ok := o[key]
	return ok && !isNull(v)
}

// present reports whether key is present at all (null included).
func (o object) present(key string) bool {
	_, ok := o[key]
	return ok
}

// str returns the string member key; absent or null gives "". Any other JSON
// type is an error naming key.
func (o object) str(key string) (string, error) {
	v, ok := o[key]
	if !ok || isNull(v) {
		return "", nil
	}
	var s string
	if err := json.Unmarshal(v, &s); err != nil {
		return "", invalid(key, "want a string, got "+jsonKind(v))
	}
	return s, nil
}

// parseObject splits raw into members. A value that is not a JSON object, or
// repeats a key, is an *Error (Field "" or the repeated key).
func parseObject(raw []byte) (object, error) {
	obj, dup, err := scanObject(raw)
	if err != nil {
		return nil, err
	}
	if dup != "" {
		return nil, invalid(dup, "duplicate field")
	}
	return obj, nil
}

// scanObject parses raw as one JSON object. On a repeated key it keeps the
// first value and reports the key in dup, so shape detection can still work.
func scanObject(raw []byte) (obj object, dup string, err error) {
	if !json.Valid(raw) {
		return nil, "", invalid("", "not valid JSON")
	}
	if k := jsonKind(raw); k != "object" {
		return nil, "", invalid("", "want a JSON object, got "+k)
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	if _, err := dec.Token(); err != nil { // '{'
		return nil, "", notJSON(err)
	}
	obj = object{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, "", notJSON(err)
		}
		key, ok := tok.(string)
		if !ok {
			return nil, "", invalid("", "not valid JSON: object key is not a string")
		}
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return nil, "", notJSON(err)
		}
		if _, seen := obj[key]; seen {
			if dup == "" {
				dup = key
			}
			continue
		}
		obj[key] = v
	}
	if _, err := dec.Token(); err != nil { // '}'
		return nil, "", notJSON(err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, "", invalid("", "not valid JSON: data after the object")
	}
	return obj, dup, nil
}

func notJSON(err error) error {
	return invalid("", "not valid JSON: "+strings.TrimPrefix(err.Error(), "json: "))
}

// jsonKind names the JSON type of raw from its first significant byte. It
// does not validate; "invalid JSON" means raw cannot start any JSON value.
func jsonKind(raw []byte) string {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return "nothing"
	}
	switch c := raw[0]; {
	case c == '{':
		return "object"
	case c == '[':
		return "array"
	case c == '"':
		return "string"
	case c == 't' || c == 'f':
		return "boolean"
	case c == 'n':
		return "null"
	case c == '-' || (c >= '0' && c <= '9'):
		return "number"
	default:
		return "invalid JSON"
	}
}

func isNull(raw []byte) bool { return string(bytes.TrimSpace(raw)) == "null" }

// unwrapJSONText accepts either an inline JSON value or a JSON string that
// holds JSON text, and returns the inner JSON (still unparsed). An empty or
// all-blank string yields nil.
func unwrapJSONText(raw json.RawMessage) (json.RawMessage, error) {
	if jsonKind(raw) != "string" {
		return raw, nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return nil, notJSON(err)
	}
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, nil
	}
	if !json.Valid([]byte(s)) {
		return nil, invalid("", "the string does not hold valid JSON")
	}
	return json.RawMessage(s), nil
}

// checkFields rejects members not in known, suggesting the spelling when
// only the case differs (encoding/json would silently accept it).
func checkFields(obj object, known []string, what string) error {
	for _, key := range slices.Sorted(maps.Keys(obj)) {
		if slices.Contains(known, key) {
			continue
		}
		for _, k := range known {
			if strings.EqualFold(k, key) {
				return invalid(key, fmt.Sprintf("unknown field in %s; did you mean %q?", what, k))
			}
		}
		return invalid(key, fmt.Sprintf("unknown field in %s (known: %s)", what, strings.Join(known, ", ")))
	}
	return nil
}

// strictUnmarshal decodes raw into v, refusing unknown fields, and turns type
// errors into *Error naming the JSON path.
func strictUnmarshal(raw []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	return typeError(dec.Decode(v))
}

// looseUnmarshal decodes raw into v, ignoring unknown fields (for platform
// envelopes), with the same error mapping.
func looseUnmarshal(raw []byte, v any) error {
	return typeError(json.Unmarshal(raw, v))
}

func typeError(err error) error {
	if err == nil {
		return nil
	}
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		return invalid(te.Field, fmt.Sprintf("want %s, got %s", kindName(te.Type), te.Value))
	}
	if e, ok := AsError(err); ok {
		return e
	}
	return invalid("", strings.TrimPrefix(err.Error(), "json: "))
}

func kindName(t reflect.Type) string {
	if t == nil {
		return "another type"
	}
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "an integer"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Slice, reflect.Array:
		return "an array"
	case reflect.Map, reflect.Struct, reflect.Pointer:
		return "an object"
	default:
		return t.String()
	}
}
