package ecsemu

import (
	"slices"
	"strconv"
	"strings"
)

// Parameter readers shared by the disk, snapshot and tag actions. They read
// every index a repeated parameter is sent with: params.list stops at the
// first gap, which would silently drop Name.3 after Name.1 (an answer wider
// than ECS's for a filter).

// maxIndex bounds the N of Name.N; larger indexes are refused.
const maxIndex = 1_000_000

// repeated returns the values of prefix+N+suffix for every N sent, ordered
// by N. UNCONFIRMED: how ECS treats gaps in N (the SDKs never send them);
// the emulator takes every index sent.
func (c *rpc) repeated(prefix, suffix string) ([]int, map[int]string, *apiError) {
	var idx []int
	vals := map[int]string{}
	for k, v := range c.p {
		if len(k) <= len(prefix)+len(suffix) || !strings.HasPrefix(k, prefix) || !strings.HasSuffix(k, suffix) {
			continue
		}
		mid := k[len(prefix) : len(k)-len(suffix)]
		if strings.ContainsFunc(mid, func(r rune) bool { return r < '0' || r > '9' }) || mid[0] == '0' {
			continue
		}
		n, err := strconv.Atoi(mid)
		if err != nil || n > maxIndex {
			return nil, nil, errf("InvalidParameter", "The specified parameter \"%s\" is not valid: the index is out of range.", k)
		}
		idx = append(idx, n)
		vals[n] = v
	}
	slices.Sort(idx)
	return idx, vals, nil
}

// repeatedValues is repeated's values in order of N.
func (c *rpc) repeatedValues(name string) ([]string, *apiError) {
	idx, vals, err := c.repeated(name+".", "")
	if err != nil {
		return nil, err
	}
	out := make([]string, len(idx))
	for i, n := range idx {
		out[i] = vals[n]
	}
	return out, nil
}

// tagArg is one Tag.N as sent: Key and Value each present or not.
type tagArg struct {
	key, value       string
	hasKey, hasValue bool
}

// tagArgs reads Tag.N.Key / Tag.N.Value for every N sent, in order of N.
func (c *rpc) tagArgs() ([]tagArg, *apiError) {
	ki, keys, err := c.repeated("Tag.", ".Key")
	if err != nil {
		return nil, err
	}
	vi, vals, err := c.repeated("Tag.", ".Value")
	if err != nil {
		return nil, err
	}
	idx := slices.Compact(slices.Sorted(slices.Values(slices.Concat(ki, vi))))
	out := make([]tagArg, len(idx))
	for i, n := range idx {
		k, hk := keys[n]
		v, hv := vals[n]
		out[i] = tagArg{key: k, value: v, hasKey: hk, hasValue: hv}
	}
	return out, nil
}

// tagCond is one tag condition of a Describe* filter: the resource has the
// key and, when value is set, that value.
type tagCond struct {
	key   string
	value *string
}

// tagConds reads the Tag.N filter of DescribeDisks / DescribeSnapshots:
// at most 20 (400 InvalidTagCount), each with a Key (a Value without its
// Key is 400 InvalidTag.Mismatch). A Key without a Value matches any value
// of the key. UNCONFIRMED: the reference does not say what a Key alone
// selects in these actions; ListTagResources documents this meaning and
// DescribeInstances in the emulator does the same.
func (c *rpc) tagConds() ([]tagCond, *apiError) {
	args, err := c.tagArgs()
	if err != nil {
		return nil, err
	}
	if len(args) > 20 {
		return nil, errf("InvalidTagCount", "The specified tags are beyond the permitted range.")
	}
	out := make([]tagCond, len(args))
	for i, a := range args {
		if !a.hasKey || a.key == "" {
			return nil, errf("InvalidTag.Mismatch", "The specified Tag.n.Key and Tag.n.Value are not match.")
		}
		out[i] = tagCond{key: a.key}
		if a.hasValue {
			v := a.value
			out[i].value = &v
		}
	}
	return out, nil
}

// matchTags reports whether tags satisfy every condition.
func matchTags(tags []Tag, conds []tagCond) bool {
	for _, c := range conds {
		if !slices.ContainsFunc(tags, func(t Tag) bool { return t.TagKey == c.key && (c.value == nil || t.TagValue == *c.value) }) {
			return false
		}
	}
	return true
}

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
