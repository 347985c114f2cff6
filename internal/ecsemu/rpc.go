package ecsemu

import (
	"cmp"
	"encoding/json"
	"slices"
	"strconv"
	"strings"
	"time"
)

// rpc is one API call being handled.
type rpc struct {
	p      params
	now    time.Time
	region string
}

// actionDef is one served action: whether it changes state, its handler,
// and the action-specific parameters it implements (".N" stands for an
// index; the gateway's common parameters are accepted everywhere). Any
// other parameter is refused with Emulator.UnsupportedParameter.
type actionDef struct {
	mutating bool
	run      func(e *Emulator, c *rpc) (answer, *apiError)
	params   []string
	// resp is a zero value of the action's answer type (docs and tests
	// list its fields); nil while the handler still answers with a map.
	resp answer
}

// actions is the explicit registry of served actions.
var actions = map[string]actionDef{
	"DescribeInstances":             {false, (*Emulator).describeInstances, []string{"InstanceIds", "Status", "InstanceChargeType", "LockReason", "Tag.N.Key", "Tag.N.Value", "InstanceName", "ZoneId", "VpcId", "VSwitchId", "SecurityGroupId", "InstanceType", "InstanceTypeFamily", "ImageId", "ResourceGroupId", "KeyPairName", "PrivateIpAddresses", "PublicIpAddresses", "InnerIpAddresses", "EipAddresses", "InternetChargeType", "InstanceNetworkType", "IoOptimized", "HttpEndpoint", "HttpTokens", "Filter.N.Key", "Filter.N.Value", "PageNumber", "PageSize", "NextToken", "MaxResults", "DryRun"}, &describeInstancesAnswer{}},
	"DescribeInstanceStatus":        {false, (*Emulator).describeInstanceStatus, []string{"InstanceId.N", "ZoneId", "PageNumber", "PageSize"}, &describeInstanceStatusAnswer{}},
	"DescribeInstanceAttribute":     {false, (*Emulator).describeInstanceAttribute, []string{"InstanceId"}, &instanceAttributeAnswer{}},
	"StopInstance":                  {true, (*Emulator).stopInstance, []string{"InstanceId", "ForceStop", "StoppedMode", "DryRun"}, &Response{}},
	"StopInstances":                 {true, (*Emulator).stopInstances, []string{"InstanceId.N", "ForceStop", "StoppedMode", "BatchOptimization", "DryRun"}, &batchAnswer{}},
	"StartInstance":                 {true, (*Emulator).startInstance, []string{"InstanceId", "DryRun"}, &Response{}},
	"StartInstances":                {true, (*Emulator).startInstances, []string{"InstanceId.N", "BatchOptimization", "DryRun"}, &batchAnswer{}},
	"DeleteInstance":                {true, (*Emulator).deleteInstance, []string{"InstanceId", "Force", "TerminateSubscription", "DryRun"}, &Response{}},
	"DeleteInstances":               {true, (*Emulator).deleteInstances, []string{"InstanceId.N", "Force", "TerminateSubscription", "ClientToken", "DryRun"}, &Response{}},
	"ModifyInstanceAutoReleaseTime": {true, (*Emulator).modifyInstanceAutoReleaseTime, []string{"InstanceId", "AutoReleaseTime"}, &Response{}},
	"ModifyInstanceAttribute":       {true, (*Emulator).modifyInstanceAttribute, []string{"InstanceId", "DeletionProtection", "InstanceName", "Description", "HostName"}, &Response{}},
	"RunInstances":                  {true, (*Emulator).runInstances, []string{"Amount", "AutoReleaseTime", "ClientToken", "DeletionProtection", "Description", "HostName", "ImageId", "InstanceChargeType", "InternetChargeType", "InstanceName", "InstanceType", "ResourceGroupId", "KeyPairName", "SecurityGroupId", "SecurityGroupIds.N", "SystemDisk.Category", "SystemDisk.DiskName", "SystemDisk.Size", "DataDisk.N.Size", "DataDisk.N.Category", "DataDisk.N.DiskName", "DataDisk.N.DeleteWithInstance", "VSwitchId", "ZoneId", "Tag.N.Key", "Tag.N.Value", "DryRun"}, &runInstancesAnswer{}},
	"DescribeDisks":                 {false, (*Emulator).describeDisks, []string{"DiskIds", "DiskType", "InstanceId", "ZoneId", "Category", "Status", "DiskName", "DeleteWithInstance", "Portable", "DiskChargeType", "SnapshotId", "Encrypted", "EnableShared", "MultiAttach", "KMSKeyId", "AutoSnapshotPolicyId", "EnableAutomatedSnapshotPolicy", "Tag.N.Key", "Tag.N.Value", "PageNumber", "PageSize", "NextToken", "MaxResults", "DryRun"}, &describeDisksAnswer{}},
	"CreateSnapshot":                {true, (*Emulator).createSnapshot, []string{"DiskId", "SnapshotName", "Description", "RetentionDays", "ClientToken", "Tag.N.Key", "Tag.N.Value"}, &createSnapshotAnswer{}},
	"DescribeSnapshots":             {false, (*Emulator).describeSnapshots, []string{"SnapshotIds", "Status", "InstanceId", "DiskId", "SnapshotName", "SnapshotType", "Category", "SourceDiskType", "Usage", "Encrypted", "KMSKeyId", "Tag.N.Key", "Tag.N.Value", "PageNumber", "PageSize", "NextToken", "MaxResults", "DryRun"}, &describeSnapshotsAnswer{}},
	"TagResources":                  {true, (*Emulator).tagResources, []string{"ResourceType", "ResourceId.N", "Tag.N.Key", "Tag.N.Value"}, &tagResourcesAnswer{}},
	"UntagResources":                {true, (*Emulator).untagResources, []string{"ResourceType", "ResourceId.N", "TagKey.N", "All"}, &untagResourcesAnswer{}},
	"DescribePrice":                 {false, (*Emulator).describePrice, []string{"ResourceType", "InstanceType", "PriceUnit", "Period", "Amount", "SystemDisk.Category", "SystemDisk.Size", "SystemDisk.PerformanceLevel", "DataDisk.N.Category", "DataDisk.N.Size", "DataDisk.N.PerformanceLevel", "InstanceNetworkType", "InternetChargeType", "InternetMaxBandwidthOut", "ZoneId", "SpotStrategy"}, &describePriceAnswer{}},
	"ListTagResources":              {false, (*Emulator).listTagResources, []string{"ResourceType", "ResourceId.N", "Tag.N.Key", "Tag.N.Value", "TagFilter.N.TagKey", "TagFilter.N.TagValues.N", "NextToken"}, &listTagResourcesAnswer{}},
}

// Actions lists the served action names, sorted.
func Actions() []string {
	out := make([]string, 0, len(actions))
	for name := range actions {
		out = append(out, name)
	}
	slices.Sort(out)
	return out
}

// IsMutating reports whether an action changes state.
func IsMutating(action string) bool { return actions[action].mutating }

func (c *rpc) requireRegion() *apiError {
	if c.region == "" {
		return errMissing("RegionId")
	}
	return nil
}

func (c *rpc) boolParam(name string) (bool, *apiError) {
	switch strings.ToLower(c.p.get(name)) {
	case "":
		return false, nil
	case "true":
		return true, nil
	case "false":
		return false, nil
	}
	return false, errInvalid(name)
}

func (c *rpc) intParam(name string, def, lo, hi int) (int, *apiError) {
	v := c.p.get(name)
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < lo || n > hi {
		return 0, errf("InvalidParameter", "The specified parameter \"%s\" is not valid: want an integer from %d to %d.", name, lo, hi)
	}
	return n, nil
}

func (c *rpc) dryRun() (bool, *apiError) { return c.boolParam("DryRun") }

// dryRunCheck is the DryRun of a read-only action whose parameters passed:
// 400 DryRunOperation when DryRun=true, nil otherwise.
func (c *rpc) dryRunCheck() *apiError {
	dry, err := c.dryRun()
	if err != nil {
		return err
	}
	if dry {
		return errf("DryRunOperation", msgDryRun)
	}
	return nil
}

// jsonIDs parses a JSON array of strings such as InstanceIds, at most max.
func (c *rpc) jsonIDs(name string, limit int) ([]string, bool, *apiError) {
	raw := c.p.get(name)
	if raw == "" {
		return nil, false, nil
	}
	var ids []string
	if err := json.Unmarshal([]byte(raw), &ids); err != nil {
		return nil, false, errf("InvalidParameter", "The specified parameter \"%s\" is not a JSON array of strings.", name)
	}
	if len(ids) > limit {
		return nil, false, errf("InvalidParameter", "The specified parameter \"%s\" has %d items; at most %d are allowed.", name, len(ids), limit)
	}
	return ids, true, nil
}

// lookup finds an instance by ID. Without a RegionId (the actions whose
// API has none: StopInstance, StartInstance, DeleteInstance,
// DescribeInstanceAttribute, ModifyInstanceAttribute) it is found in any
// region; a RegionId sent (the classic SDK always sends the client's, and
// the other actions require one) narrows the lookup to that region.
func (e *Emulator) lookup(c *rpc, id string) (*instance, *apiError) {
	in := e.st.instances[id]
	if in == nil || (c.region != "" && in.region != c.region) {
		return nil, errInstanceNotFound()
	}
	return in, nil
}

// paging is the shared pagination of Describe* actions: PageNumber/PageSize,
// or NextToken/MaxResults (NextToken wins). Tokens are opaque, hold the
// creation sequence of the next item, and stay valid while items are
// deleted between pages.
type paging struct {
	tokenMode  bool
	after      int64
	pageNumber int
	size       int
}

func (c *rpc) paging(maxSize, defSize int) (paging, *apiError) {
	if tok, ok := c.p["NextToken"]; ok || c.p.get("MaxResults") != "" {
		size, err := c.intParam("MaxResults", defSize, 1, maxSize)
		if err != nil {
			return paging{}, err
		}
		pg := paging{tokenMode: true, size: size}
		if tok != "" {
			n, perr := strconv.ParseInt(strings.TrimPrefix(tok, "emu-"), 36, 64)
			if perr != nil || !strings.HasPrefix(tok, "emu-") || n < 0 {
				return paging{}, errf("InvalidParameter.NextToken", "The specified parameter \"NextToken\" is not valid.")
			}
			pg.after = n
		}
		return pg, nil
	}
	num, err := c.intParam("PageNumber", 1, 1, 1<<30)
	if err != nil {
		return paging{}, err
	}
	size, err := c.intParam("PageSize", defSize, 1, maxSize)
	if err != nil {
		return paging{}, err
	}
	return paging{pageNumber: num, size: size}, nil
}

// Page is the paging block of a Describe* answer. In PageNumber mode it
// carries TotalCount, PageNumber, PageSize and, when more results exist, the
// NextToken of the next page (tools such as the aliyun CLI's --pager follow
// it); in NextToken mode it carries TotalCount and NextToken ("" on the last
// page). What ECS writes for PageNumber and PageSize in NextToken mode is not
// documented; the emulator leaves them out.
type Page struct {
	TotalCount int    `json:"TotalCount"`
	PageNumber int    `json:"PageNumber,omitempty"`
	PageSize   int    `json:"PageSize,omitempty"`
	NextToken  string `json:"NextToken"`
}

// token is the opaque NextToken that resumes at the item with sequence seq.
func token(seq int64) string { return "emu-" + strconv.FormatInt(seq, 36) }

// pageOf cuts one page out of items (sorted by seq) and fills the paging
// block of the answer.
func pageOf[T any](pg paging, items []T, seq func(T) int64, out *Page) []T {
	out.TotalCount = len(items)
	var start int
	if pg.tokenMode {
		start, _ = slices.BinarySearchFunc(items, pg.after, func(it T, after int64) int { return cmp.Compare(seq(it), after) })
	} else {
		out.PageNumber, out.PageSize = pg.pageNumber, pg.size
		start = min((pg.pageNumber-1)*pg.size, len(items))
	}
	end := min(start+pg.size, len(items))
	out.NextToken = ""
	if end < len(items) {
		out.NextToken = token(seq(items[end]))
	}
	return items[start:end]
}

// glob matches s against a pattern where * is any run of characters.
func glob(pattern, s string) bool {
	parts := strings.Split(pattern, "*")
	if len(parts) == 1 {
		return pattern == s
	}
	if !strings.HasPrefix(s, parts[0]) {
		return false
	}
	s = s[len(parts[0]):]
	for _, mid := range parts[1 : len(parts)-1] {
		i := strings.Index(s, mid)
		if i < 0 {
			return false
		}
		s = s[i+len(mid):]
	}
	return strings.HasSuffix(s, parts[len(parts)-1])
}

// checkAutoReleaseTime validates a requested AutoReleaseTime: the format
// yyyy-MM-ddTHH:mm:ssZ, truncated to the minute, 30 minutes to 3 years ahead.
func checkAutoReleaseTime(v string, now time.Time) (time.Time, *apiError) {
	t, err := time.Parse(layoutSecond, v)
	if err != nil {
		return time.Time{}, errf("InvalidAutoReleaseTime.Malformed", msgAutoReleaseInvalid)
	}
	t = t.Truncate(time.Minute)
	if t.Before(now.Add(30*time.Minute)) || t.After(now.AddDate(3, 0, 0)) {
		return time.Time{}, errf("InvalidAutoReleaseTime.Malformed", "%s The time must be at least 30 minutes and at most 3 years from now.", msgAutoReleaseInvalid)
	}
	return t, nil
}
