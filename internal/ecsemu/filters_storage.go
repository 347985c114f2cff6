package ecsemu

import (
	"slices"
	"strings"
)

// optBool reads an optional boolean parameter: nil when absent.
func (c *rpc) optBool(name string) (*bool, *apiError) {
	if c.p.get(name) == "" {
		return nil, nil
	}
	b, err := c.boolParam(name)
	if err != nil {
		return nil, err
	}
	return &b, nil
}

// oneOf checks an optional enumerated parameter: "" or one of valid
// (compared with fold when fold is set); otherwise err.
func oneOf(v string, fold bool, err *apiError, valid ...string) *apiError {
	if v == "" || slices.ContainsFunc(valid, func(s string) bool { return s == v || (fold && strings.EqualFold(s, v)) }) {
		return nil
	}
	return err
}

// idFilter reads a JSON array of IDs (DiskIds, SnapshotIds): nil when the
// parameter is absent, an empty set for "[]" (documented: a valid filter
// that matches nothing). Malformed JSON answers malformed, more than 100
// IDs tooMany.
func (c *rpc) idFilter(name string, malformed, tooMany *apiError) (map[string]bool, *apiError) {
	raw, ok := c.p[name]
	if !ok {
		return nil, nil
	}
	ids, _, err := c.jsonIDs(name, 1<<30)
	if err != nil || (raw == "" && ids == nil) {
		return nil, malformed
	}
	if len(ids) > 100 {
		return nil, tooMany
	}
	set := make(map[string]bool, len(ids))
	for _, id := range ids {
		set[id] = true
	}
	return set, nil
}
