package syaml

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"strings"
)

// Error is one s.yaml problem: where (file, line and column where known,
// key path) and what. Error() reads like
//
//	s.yaml:42:7: resources.stop.props.timeout: want an integer, got "abc"
//
// For a value a resource inherits from a template, Path names the template
// key and the resource, e.g.
// "template.goFunction.timeout (extended by resources.stop)".
type Error struct {
	File   string
	Line   int // 0 when not known
	Column int // 0 when not known
	Path   string
	Msg    string
}

func (e *Error) Error() string {
	loc := e.File
	if e.Line > 0 {
		loc += fmt.Sprintf(":%d", e.Line)
		if e.Column > 0 {
			loc += fmt.Sprintf(":%d", e.Column)
		}
	}
	if e.Path != "" {
		loc += ": " + e.Path
	}
	return loc + ": " + e.Msg
}

// ErrorList is several problems found in one pass (typed decoding reports
// every unknown key and wrong type it finds), in file order. Error() puts
// one per line.
type ErrorList []*Error

func (l ErrorList) Error() string {
	lines := make([]string, len(l))
	for i, e := range l {
		lines[i] = e.Error()
	}
	return strings.Join(lines, "\n")
}

// Unwrap lets errors.As find each *Error.
func (l ErrorList) Unwrap() []error {
	out := make([]error, len(l))
	for i, e := range l {
		out[i] = e
	}
	return out
}

// Errors flattens err into its problems: an ErrorList's entries, a single
// *Error, or nil when err carries neither.
func Errors(err error) []*Error {
	var l ErrorList
	if errors.As(err, &l) {
		return l
	}
	var e *Error
	if errors.As(err, &e) {
		return []*Error{e}
	}
	return nil
}

// asError returns nil, the only error, or the list sorted by position.
func asError(list []*Error) error {
	if len(list) == 0 {
		return nil
	}
	if len(list) == 1 {
		return list[0]
	}
	sorted := slices.Clone(list)
	slices.SortStableFunc(sorted, func(a, b *Error) int {
		return cmp.Or(cmp.Compare(a.Line, b.Line), cmp.Compare(a.Column, b.Column))
	})
	sorted = slices.CompactFunc(sorted, func(a, b *Error) bool { return a.Error() == b.Error() })
	return ErrorList(sorted)
}
