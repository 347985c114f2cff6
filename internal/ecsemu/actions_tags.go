package ecsemu

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
)

const (
	maxTagsPerResource = 20
	maxTagResourceIDs  = 50
	listTagsPageSize   = 50
)

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
	switch rt {
	case "":
		return "", errf("MissingParameter.ResourceType", "The input parameter \"ResourceType\" that is mandatory for processing this request is not supplied.")
	case "instance", "disk", "snapshot":
		return rt, nil
	}
	return "", errf("InvalidResourceType.NotFound", "The specified ResourceType %q is not found.", rt)
}

func (e *Emulator) resolveTagResources(c *rpc, rt string) ([]*[]Tag, *apiError) {
	ids, err := c.idList("ResourceId", maxTagResourceIDs)
	if err != nil {
		return nil, err
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

func (e *Emulator) tagResources(c *rpc) (map[string]any, *apiError) {
	rt, err := c.tagTarget()
	if err != nil {
		return nil, err
	}
	tags, _, err := c.tagPairs(1 << 30)
	if err != nil {
		return nil, err
	}
	if len(tags) == 0 {
		return nil, errf("MissingParameter.Tags", "The input parameter \"Tags\" that is mandatory for processing this request is not supplied.")
	}
	if len(tags) > maxTagsPerResource {
		return nil, errf("NumberExceed.Tags", "The maximum number of Tags is exceeded. Valid : %d", maxTagsPerResource)
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
		m := append([]Tag(nil), (*tl)...)
		for _, t := range tags {
			replaced := false
			for j := range m {
				if m[j].TagKey == t.TagKey {
					m[j].TagValue, replaced = t.TagValue, true
				}
			}
			if !replaced {
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
	return map[string]any{}, nil
}

func (e *Emulator) untagResources(c *rpc) (map[string]any, *apiError) {
	rt, err := c.tagTarget()
	if err != nil {
		return nil, err
	}
	all, err := c.boolParam("All")
	if err != nil {
		return nil, err
	}
	keys := c.p.list("TagKey")
	if len(keys) > maxTagsPerResource {
		return nil, errf("NumberExceed.Tags", "The maximum number of TagKey is exceeded. Valid : %d", maxTagsPerResource)
	}
	if len(keys) == 0 && !all {
		return nil, errMissing("TagKey")
	}
	lists, err := e.resolveTagResources(c, rt)
	if err != nil {
		return nil, err
	}
	drop := map[string]bool{}
	for _, k := range keys {
		drop[k] = true
	}
	for _, tl := range lists {
		var kept []Tag
		for _, t := range *tl {
			if !all && !drop[t.TagKey] {
				kept = append(kept, t)
			}
		}
		*tl = kept
	}
	return map[string]any{}, nil
}

type tagFilter struct {
	key    string
	values []string
}

func (e *Emulator) listTagResources(c *rpc) (map[string]any, *apiError) {
	rt, err := c.tagTarget()
	if err != nil {
		return nil, err
	}
	ids := c.p.list("ResourceId")
	if len(ids) > maxTagResourceIDs {
		return nil, errf("NumberExceed.ResourceIds", "The maximum number of ResourceIds is exceeded. Valid : %d", maxTagResourceIDs)
	}
	tags, hasValue, err := c.tagPairs(maxTagsPerResource)
	if err != nil {
		return nil, err
	}
	var filters []tagFilter
	for i := 1; ; i++ {
		key, ok := c.p[fmt.Sprintf("TagFilter.%d.TagKey", i)]
		if !ok {
			break
		}
		filters = append(filters, tagFilter{key: key, values: c.p.list(fmt.Sprintf("TagFilter.%d.TagValues", i))})
	}
	if len(filters) > 5 {
		return nil, errf("InvalidParameter", "At most 5 TagFilter entries are allowed.")
	}
	if len(tags) > 0 && len(filters) > 0 {
		return nil, errf("InvalidParameter", "Tag and TagFilter cannot be used together.")
	}
	if len(ids) == 0 && len(tags) == 0 && len(filters) == 0 {
		return nil, errMissing("ResourceId, Tag or TagFilter")
	}
	// The token names the next row by its resource's creation sequence and
	// the tag's index, so it stays valid while resources are released (or
	// tagged) between pages, like the Describe* tokens.
	var afterSeq int64
	afterIdx := 0
	if tok := c.p.get("NextToken"); tok != "" {
		seqStr, idxStr, ok := strings.Cut(strings.TrimPrefix(tok, "emu-tag-"), ".")
		n, serr := strconv.ParseInt(seqStr, 36, 64)
		i, ierr := strconv.Atoi(idxStr)
		if !ok || serr != nil || ierr != nil || n < 0 || i < 0 || !strings.HasPrefix(tok, "emu-tag-") {
			return nil, errf("InvalidParameter.NextToken", "The specified parameter \"NextToken\" is not valid.")
		}
		afterSeq, afterIdx = n, i
	}
	type res struct {
		seq  int64
		id   string
		tags []Tag
	}
	var candidates []res
	idSet := map[string]bool{}
	for _, id := range ids {
		idSet[id] = true
	}
	add := func(seq int64, id, region string, tl []Tag) {
		if region != c.region || (len(idSet) > 0 && !idSet[id]) {
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
	sort.Slice(candidates, func(i, j int) bool { return candidates[i].seq < candidates[j].seq })
	has := func(tl []Tag, key string, value *string, glob bool) bool {
		for _, t := range tl {
			if t.TagKey != key {
				continue
			}
			if value == nil {
				return true
			}
			if glob && strings.HasSuffix(*value, "*") && strings.HasPrefix(t.TagValue, strings.TrimSuffix(*value, "*")) {
				return true
			}
			if t.TagValue == *value {
				return true
			}
		}
		return false
	}
	type row struct {
		seq int64
		idx int
		out map[string]string
	}
	var rows []row
	for _, r := range candidates {
		ok := true
		for i, t := range tags {
			var v *string
			if hasValue[i] {
				v = &tags[i].TagValue
			}
			ok = ok && has(r.tags, t.TagKey, v, false)
		}
		for _, f := range filters {
			if len(f.values) == 0 {
				ok = ok && has(r.tags, f.key, nil, true)
				continue
			}
			any := false
			for i := range f.values {
				any = any || has(r.tags, f.key, &f.values[i], true)
			}
			ok = ok && any
		}
		if !ok {
			continue
		}
		for i, t := range r.tags {
			rows = append(rows, row{r.seq, i, map[string]string{"ResourceId": r.id, "ResourceType": rt, "TagKey": t.TagKey, "TagValue": t.TagValue}})
		}
	}
	start := sort.Search(len(rows), func(i int) bool {
		return rows[i].seq > afterSeq || (rows[i].seq == afterSeq && rows[i].idx >= afterIdx)
	})
	end := min(start+listTagsPageSize, len(rows))
	next := ""
	if end < len(rows) {
		next = "emu-tag-" + strconv.FormatInt(rows[end].seq, 36) + "." + strconv.Itoa(rows[end].idx)
	}
	page := make([]map[string]string, 0, end-start)
	for _, r := range rows[start:end] {
		page = append(page, r.out)
	}
	return map[string]any{"NextToken": next, "TagResources": map[string]any{"TagResource": page}}, nil
}
