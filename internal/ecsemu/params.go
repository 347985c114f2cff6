package ecsemu

import (
	"cmp"
	"slices"
	"strconv"
	"strings"
)

// Readers of repeated parameters (Name.N, Name.N.Field), shared by every
// action. They read every index sent: stopping at the first gap would
// silently drop Name.3 after Name.1 and answer wider than ECS would.

// indexed reads every Name.N.Field parameter (N ≥ 1, no gaps required) and
// returns the entries in index order. A parameter after a gap is read like
// any other, so none is silently left out (UNCONFIRMED: how ECS treats
// gaps; the SDKs never send them). An index too large to read is refused.
func (c *rpc) indexed(name string) ([]indexedEntry, *apiError) {
	byIndex := map[int]map[string]string{}
	prefix := name + "."
	for k, v := range c.p {
		rest, ok := strings.CutPrefix(k, prefix)
		if !ok {
			continue
		}
		num, field, _ := strings.Cut(rest, ".")
		if num == "" || num[0] == '0' || strings.ContainsFunc(num, func(r rune) bool { return r < '0' || r > '9' }) {
			continue // not Name.N (the gateway refused what it does not know)
		}
		n, err := strconv.Atoi(num)
		if err != nil || n > 1_000_000 {
			return nil, errf("InvalidParameter", "The specified parameter \"%s\" is not valid: the index is out of range.", k)
		}
		if byIndex[n] == nil {
			byIndex[n] = map[string]string{}
		}
		byIndex[n][field] = v
	}
	out := make([]indexedEntry, 0, len(byIndex))
	for n, fields := range byIndex {
		out = append(out, indexedEntry{n: n, fields: fields})
	}
	slices.SortFunc(out, func(a, b indexedEntry) int { return cmp.Compare(a.n, b.n) })
	return out, nil
}

// indexedEntry is Name.N: its index and its fields ("" for Name.N itself).
type indexedEntry struct {
	n      int
	fields map[string]string
}

func (x indexedEntry) get(field string) (string, bool) {
	v, ok := x.fields[field]
	return v, ok
}

// indexedList reads Name.1, Name.2, ... (every index, in index order).
func (c *rpc) indexedList(name string) ([]string, *apiError) {
	entries, err := c.indexed(name)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, x := range entries {
		if v, ok := x.get(""); ok {
			out = append(out, v)
		}
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
	entries, err := c.indexed("Tag")
	if err != nil {
		return nil, err
	}
	out := make([]tagArg, 0, len(entries))
	for _, x := range entries {
		k, hk := x.get("Key")
		v, hv := x.get("Value")
		if !hk && !hv {
			continue
		}
		out = append(out, tagArg{key: k, value: v, hasKey: hk, hasValue: hv})
	}
	return out, nil
}

// tagCond is one tag condition of a Describe* filter: the resource has the
// key and, when value is set, that value.
type tagCond struct {
	key   string
	value *string
}

// tagConds reads the Tag.N filter of DescribeInstances, DescribeDisks and
// DescribeSnapshots:
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
