package ecsemu

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

const (
	maxTagsPerResource = 20
	maxTagResourceIDs  = 50
	listTagsPageSize   = 50
	maxTagFilters      = 5
)

// taggableTypes are the documented ResourceType values of the tag actions.
// The emulator holds instances, disks and snapshots; a resource of another
// documented type never exists here (ListTagResources finds none,
// TagResources answers InvalidResourceId.NotFound). Other values answer
// 404 InvalidResourceType.NotFound.
var taggableTypes = []string{"instance", "disk", "snapshot", "image", "securitygroup", "volume", "eni", "ddh",
	"ddhcluster", "keypair", "launchtemplate", "reservedinstance", "snapshotpolicy", "elasticityassurance",
	"capacityreservation", "command", "invocation", "activation", "managedinstance"}

func validateTags(tags []Tag) *apiError {
	seen := map[string]bool{}
	for _, t := range tags {
		k := t.TagKey
		if k == "" || len(k) > 128 || strings.HasPrefix(k, "acs:") || strings.HasPrefix(k, "aliyun") || strings.Contains(k, "http://") || strings.Contains(k, "https://") {
			return errf("InvalidTagKey.Malformed", "The specified Tag.n.Key %q is not valid.", k)
		}
		if len(t.TagValue) > 128 || strings.HasPrefix(t.TagValue, "acs:") || strings.Contains(t.TagValue, "http://") || strings.Contains(t.TagValue, "https://") {
			return errf("InvalidTagValue.Malformed", "The specified Tag.n.Value of key %q is not valid.", k)
		}
		if seen[k] {
			return errf("Duplicate.TagKey", "The Tag.N.Key %q is duplicated.", k)
		}
		seen[k] = true
	}
	return nil
}

// tagsOf returns a pointer to the tag list of a resource of the region.
func (e *Emulator) tagsOf(resourceType, id, region string) *[]Tag {
	switch resourceType {
	case "instance":
		if in := e.st.instances[id]; in != nil && in.region == region {
			return &in.tags
		}
	case "disk":
		if d := e.st.disks[id]; d != nil && d.region == region {
			return &d.tags
		}
	case "snapshot":
		if s := e.st.snapshots[id]; s != nil && s.region == region {
			return &s.tags
		}
	}
	return nil
}

func (c *rpc) tagTarget() (string, *apiError) {
	if c.region == "" {
		return "", errf("MissingParameter.RegionId", "The input parameter \"RegionId\" that is mandatory for processing this request is not supplied.")
	}
	rt := c.p.get("ResourceType")
	if rt == "" {
		return "", errf("MissingParameter.ResourceType", "The input parameter \"ResourceType\" that is mandatory for processing this request is not supplied.")
	}
	if !slices.Contains(taggableTypes, rt) {
		return "", errf("InvalidResourceType.NotFound", "The ResourceType provided does not exist in our records.")
	}
	return rt, nil
}

// resourceIDs reads ResourceId.N (at most 50), de-duplicated in order.
func (c *rpc) resourceIDs() ([]string, *apiError) {
	raw, err := c.indexedList("ResourceId")
	if err != nil {
		return nil, err
	}
	if len(raw) > maxTagResourceIDs {
		return nil, errf("NumberExceed.ResourceIds", "The ResourceIds parameter's number is exceed , Valid : %d", maxTagResourceIDs)
	}
	out := raw[:0:0]
	for _, id := range raw {
		if !slices.Contains(out, id) {
			out = append(out, id)
		}
	}
	return out, nil
}

func (e *Emulator) resolveTagResources(c *rpc, rt string) ([]*[]Tag, *apiError) {
	ids, err := c.resourceIDs()
	if err != nil {
		return nil, err
	}
	if len(ids) == 0 {
		return nil, errMissing("ResourceId")
	}
	lists := make([]*[]Tag, 0, len(ids))
	for _, id := range ids {
		tl := e.tagsOf(rt, id, c.region)
		if tl == nil {
			return nil, errf("InvalidResourceId.NotFound", "The specified ResourceIds are not found in our records.")
		}
		lists = append(lists, tl)
	}
	return lists, nil
}

func (e *Emulator) tagResources(c *rpc) (answer, *apiError) {
	rt, err := c.tagTarget()
	if err != nil {
		return nil, err
	}
	args, err := c.tagArgs()
	if err != nil {
		return nil, err
	}
	if len(args) == 0 {
		return nil, errf("MissingParameter.Tags", "The input parameter \"Tags\" that is mandatory for processing this request is not supplied.")
	}
	if len(args) > maxTagsPerResource {
		return nil, errf("NumberExceed.Tags", "The Tags parameter's number is exceed , Valid : %d", maxTagsPerResource)
	}
	// The classic SDK never sends an empty string, so a Key sent without
	// its Value is the empty value; a Value without its Key is an empty,
	// malformed key.
	tags := make([]Tag, len(args))
	for i, a := range args {
		tags[i] = Tag{TagKey: a.key, TagValue: a.value}
	}
	if err := validateTags(tags); err != nil {
		return nil, err
	}
	lists, err := e.resolveTagResources(c, rt)
	if err != nil {
		return nil, err
	}
	merged := make([][]Tag, len(lists))
	for i, tl := range lists {
		m := slices.Clone(*tl)
		for _, t := range tags {
			if j := slices.IndexFunc(m, func(x Tag) bool { return x.TagKey == t.TagKey }); j >= 0 {
				m[j].TagValue = t.TagValue
			} else {
				m = append(m, t)
			}
		}
		if len(m) > maxTagsPerResource {
			return nil, errf("QuotaExceed.Tags", "A resource can have at most %d tags.", maxTagsPerResource)
		}
		merged[i] = m
	}
	for i, tl := range lists {
		*tl = merged[i]
	}
	return &tagResourcesAnswer{}, nil
}

func (e *Emulator) untagResources(c *rpc) (answer, *apiError) {
	rt, err := c.tagTarget()
	if err != nil {
		return nil, err
	}
	all, err := c.boolParam("All")
	if err != nil {
		return nil, err
	}
	keys, err := c.indexedList("TagKey")
	if err != nil {
		return nil, err
	}
	if len(keys) > maxTagsPerResource {
		return nil, errf("NumberExceed.Tags", "The Tags parameter's number is exceed , Valid : %d", maxTagsPerResource)
	}
	if len(keys) == 0 && !all {
		return nil, errMissing("TagKey")
	}
	// System tags (acs:…, such as Auto Scaling's
	// acs:autoscaling:scalingGroupId) cannot be removed: naming one is
	// refused and All keeps them (UNCONFIRMED: the code, and that All
	// spares them; TagResources documents refusing acs: keys).
	for _, k := range keys {
		if strings.HasPrefix(k, "acs:") {
			return nil, errf("InvalidTagKey.Malformed", "The specified TagKey %q is a system tag and cannot be removed.", k)
		}
	}
	lists, err := e.resolveTagResources(c, rt)
	if err != nil {
		return nil, err
	}
	// All takes effect only when no TagKey.N is given (documented).
	all = all && len(keys) == 0
	for _, tl := range lists {
		kept := []Tag{}
		for _, t := range *tl {
			if strings.HasPrefix(t.TagKey, "acs:") || (!all && !slices.Contains(keys, t.TagKey)) {
				kept = append(kept, t)
			}
		}
		*tl = kept
	}
	return &untagResourcesAnswer{}, nil
}

// listTagFilter is one TagFilter.N: a key pattern and value patterns.
type listTagFilter struct {
	key    string
	values []string
}

// fuzzy matches s against a TagFilter pattern as documented: "x*" is a
// prefix search, "*x*" an infix search, anything else an exact search.
// UNCONFIRMED: a "*" elsewhere (such as "*x", a suffix) is taken literally.
func fuzzy(pattern, s string) bool {
	switch {
	case len(pattern) >= 2 && strings.HasPrefix(pattern, "*") && strings.HasSuffix(pattern, "*"):
		return strings.Contains(s, pattern[1:len(pattern)-1])
	case strings.HasSuffix(pattern, "*"):
		return strings.HasPrefix(s, strings.TrimSuffix(pattern, "*"))
	}
	return pattern == s
}

// matches reports whether a resource's tags pass the filter: a fuzzy key
// alone selects resources with a matching key; an exact key with values
// selects resources whose value of the key matches one of them.
func (f listTagFilter) matches(tags []Tag) bool {
	return slices.ContainsFunc(tags, func(t Tag) bool {
		if len(f.values) == 0 {
			return fuzzy(f.key, t.TagKey)
		}
		return t.TagKey == f.key && slices.ContainsFunc(f.values, func(v string) bool { return fuzzy(v, t.TagValue) })
	})
}

// listTagFilters reads TagFilter.N.TagKey / TagFilter.N.TagValues.N (N ≤ 5
// both). UNCONFIRMED: values without their key, more than 5 values, and
// values with a fuzzy key (the reference says the key must then be exact)
// answer 400 InvalidParameter.
func (c *rpc) listTagFilters() ([]listTagFilter, *apiError) {
	var idx []int
	for k := range c.p {
		rest, ok := strings.CutPrefix(k, "TagFilter.")
		if !ok {
			continue
		}
		num, _, _ := strings.Cut(rest, ".")
		if n, err := strconv.Atoi(num); err == nil && n > 0 && !slices.Contains(idx, n) {
			idx = append(idx, n)
		}
	}
	slices.Sort(idx)
	if len(idx) > maxTagFilters {
		return nil, errf("InvalidParameter", "At most %d TagFilter entries are allowed.", maxTagFilters)
	}
	out := make([]listTagFilter, 0, len(idx))
	for _, n := range idx {
		key, ok := c.p[fmt.Sprintf("TagFilter.%d.TagKey", n)]
		values, err := c.indexedList(fmt.Sprintf("TagFilter.%d.TagValues", n))
		if err != nil {
			return nil, err
		}
		switch {
		case !ok || key == "":
			return nil, errf("InvalidParameter", "TagFilter.%d.TagKey is required with TagFilter.%d.TagValues.", n, n)
		case len(values) > maxTagFilters:
			return nil, errf("InvalidParameter", "At most %d values are allowed in TagFilter.%d.TagValues.", maxTagFilters, n)
		case len(values) > 0 && strings.Contains(key, "*"):
			return nil, errf("InvalidParameter", "TagFilter.%d.TagKey must be exact when TagFilter.%d.TagValues is set.", n, n)
		}
		out = append(out, listTagFilter{key: key, values: values})
	}
	return out, nil
}

// listRow is one row of ListTagResources with its position: the
// resource's creation sequence and the tag's index.
type listRow struct {
	seq int64
	idx int
	row TagResource
}

func (e *Emulator) listTagResources(c *rpc) (answer, *apiError) {
	rt, err := c.tagTarget()
	if err != nil {
		return nil, err
	}
	ids, err := c.resourceIDs()
	if err != nil {
		return nil, err
	}
	args, err := c.tagArgs()
	if err != nil {
		return nil, err
	}
	if len(args) > maxTagsPerResource {
		return nil, errf("NumberExceed.Tags", "The Tags parameter's number is exceed , Valid : %d", maxTagsPerResource)
	}
	conds := make([]tagCond, len(args))
	for i, a := range args {
		if !a.hasKey || a.key == "" {
			// Documented: a Tag.N.Value alone is InvalidParameter.TagValue.
			return nil, errf("InvalidParameter.TagValue", "The specified parameter Tag.%d.Value is sent without its Tag.%d.Key.", i+1, i+1)
		}
		conds[i] = tagCond{key: a.key}
		if a.hasValue {
			v := a.value
			conds[i].value = &v
		}
	}
	filters, err := c.listTagFilters()
	if err != nil {
		return nil, err
	}
	if len(conds) > 0 && len(filters) > 0 {
		return nil, errf("InvalidParameter", "Tag and TagFilter cannot be used together.")
	}
	if len(ids) == 0 && len(conds) == 0 && len(filters) == 0 {
		return nil, errMissing("ResourceId, Tag or TagFilter")
	}
	// The token names the next row by its resource's creation sequence and
	// the tag's index, so it stays valid while resources are released (or
	// tagged) between pages, like the Describe* tokens.
	var after listRow
	if tok := c.p.get("NextToken"); tok != "" {
		seqStr, idxStr, ok := strings.Cut(strings.TrimPrefix(tok, "emu-tag-"), ".")
		n, serr := strconv.ParseInt(seqStr, 36, 64)
		i, ierr := strconv.Atoi(idxStr)
		if !ok || serr != nil || ierr != nil || n < 0 || i < 0 || !strings.HasPrefix(tok, "emu-tag-") {
			return nil, errf("InvalidParameter.NextToken", "The specified parameter \"NextToken\" is not valid.")
		}
		after.seq, after.idx = n, i
	}
	type res struct {
		seq  int64
		id   string
		tags []Tag
	}
	var candidates []res
	add := func(seq int64, id, region string, tl []Tag) {
		if region != c.region || (len(ids) > 0 && !slices.Contains(ids, id)) {
			return
		}
		if !matchTags(tl, conds) || slices.ContainsFunc(filters, func(f listTagFilter) bool { return !f.matches(tl) }) {
			return
		}
		candidates = append(candidates, res{seq, id, tl})
	}
	switch rt {
	case "instance":
		for _, in := range e.st.instances {
			add(in.seq, in.id, in.region, in.tags)
		}
	case "disk":
		for _, d := range e.st.disks {
			add(d.seq, d.id, d.region, d.tags)
		}
	case "snapshot":
		for _, s := range e.st.snapshots {
			add(s.seq, s.id, s.region, s.tags)
		}
	}
	slices.SortFunc(candidates, func(a, b res) int { return cmp.Compare(a.seq, b.seq) })
	var rows []listRow
	for _, r := range candidates {
		for i, t := range r.tags {
			rows = append(rows, listRow{r.seq, i, TagResource{ResourceId: r.id, ResourceType: rt, TagKey: t.TagKey, TagValue: t.TagValue}})
		}
	}
	start, _ := slices.BinarySearchFunc(rows, after, func(r, a listRow) int {
		return cmp.Or(cmp.Compare(r.seq, a.seq), cmp.Compare(r.idx, a.idx))
	})
	end := min(start+listTagsPageSize, len(rows))
	out := &listTagResourcesAnswer{TagResources: TagResourceSet{TagResource: make([]TagResource, 0, end-start)}}
	if end < len(rows) {
		out.NextToken = "emu-tag-" + strconv.FormatInt(rows[end].seq, 36) + "." + strconv.Itoa(rows[end].idx)
	}
	for _, r := range rows[start:end] {
		out.TagResources.TagResource = append(out.TagResources.TagResource, r.row)
	}
	return out, nil
}
