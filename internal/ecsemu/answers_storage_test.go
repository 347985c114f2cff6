package ecsemu_test

// The disk, snapshot and tag answers in ECS's typed shape, the documented
// error codes of invalid values, and the tag actions' edge cases.

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"strings"
	"testing"
	"time"

	ecs7 "github.com/alibabacloud-go/ecs-20140526/v7/client"
	"github.com/alibabacloud-go/tea/tea"
	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/requests"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/ecs"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/fc-ecs-release/fc-ecs-release/internal/ecsemu"
	"github.com/fc-ecs-release/fc-ecs-release/internal/ecsemu/ecsemutest"
)

// strictDecode decodes an answer into an official SDK response model,
// refusing any field the model does not have and any JSON type that does
// not fit it.
func strictDecode(t *testing.T, body []byte, into any) {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	require.NoError(t, dec.Decode(into), "body %s", body)
}

// storageFixture: a subscription instance with an ESSD AutoPL data disk, a
// pay-as-you-go one whose kept data disk is Available after its release,
// and snapshots (one accomplished, one progressing).
func storageFixture(t *testing.T) (env *ecsemutest.Env, disks map[string]ecsemu.Disk, done, running string) {
	t.Helper()
	keep := false
	env = start(t, ecsemu.Options{SnapshotDelay: 10 * time.Minute})
	env.AddFleet(t,
		ecsemu.Instance{InstanceId: "i-prepaid", InstanceChargeType: ecsemu.PrePaid, ImageId: "m-image0001",
			Disks: &ecsemu.FleetDiskSet{Disk: []ecsemu.FleetDisk{{Category: "cloud_auto", Size: 100, DiskName: "auto-pl"}}}},
		ecsemu.Instance{InstanceId: "i-postpaid",
			Disks: &ecsemu.FleetDiskSet{Disk: []ecsemu.FleetDisk{{Category: "cloud_ssd", Size: 50, DeleteWithInstance: &keep}}}},
	)
	disks = map[string]ecsemu.Disk{}
	for _, d := range env.Emu.Disks() {
		disks[d.InstanceId+"/"+d.Type] = d
	}
	snap := func(diskID string) string {
		req := snapshotReq(diskID)
		req.SnapshotName = "shape"
		req.RetentionDays = requests.NewInteger(30)
		req.Tag = &[]ecs.CreateSnapshotTag{{Key: "k", Value: "v"}}
		resp, err := env.Client.CreateSnapshot(req)
		require.NoError(t, err)
		return resp.SnapshotId
	}
	done = snap(disks["i-prepaid/system"].DiskId)
	require.NoError(t, env.Emu.Advance(10*time.Minute))
	running = snap(disks["i-postpaid/data"].DiskId)
	require.NoError(t, env.Emu.Advance(4*time.Minute))
	_, err := env.Client.DeleteInstance(deleteReq("i-postpaid", true))
	require.NoError(t, err)
	return env, disks, done, running
}

func TestStorageAnswersFitTheOfficialModels(t *testing.T) {
	t.Parallel()
	env, disks, done, running := storageFixture(t)
	call := func(action string, p map[string]string) []byte {
		t.Helper()
		params := baseParams(env, action)
		maps.Copy(params, p)
		r := rawSigned(t, env, "POST", params)
		require.Equal(t, 200, r.Status, "%s: %s", action, r.Body)
		return r.Body
	}

	t.Run("DescribeDisks", func(t *testing.T) {
		for _, p := range []map[string]string{{"PageSize": "2"}, {"MaxResults": "10"}} {
			var body ecs7.DescribeDisksResponseBody
			strictDecode(t, call("DescribeDisks", p), &body)
			require.Equal(t, int32(3), tea.Int32Value(body.TotalCount))
		}
		var body ecs7.DescribeDisksResponseBody
		strictDecode(t, call("DescribeDisks", map[string]string{"MaxResults": "20"}), &body)
		got := map[string]*ecs7.DescribeDisksResponseBodyDisksDisk{}
		for _, d := range body.Disks.Disk {
			got[tea.StringValue(d.DiskId)] = d
		}
		sys := got[disks["i-prepaid/system"].DiskId]
		assert.Equal(t, "PrePaid", tea.StringValue(sys.DiskChargeType))
		assert.Equal(t, "m-image0001", tea.StringValue(sys.ImageId))
		assert.Equal(t, "PL1", tea.StringValue(sys.PerformanceLevel))
		assert.Equal(t, int32(3800), tea.Int32Value(sys.IOPS), "ESSD PL1: min{1800 + 50 × 40, 50000}")
		assert.Equal(t, "In_use", tea.StringValue(sys.Status))
		assert.False(t, tea.BoolValue(sys.Portable))
		assert.Regexp(t, `^\d{4}-\d\d-\d\dT\d\d:\d\dZ$`, tea.StringValue(sys.ExpiredTime))
		assert.Equal(t, strings.TrimPrefix(tea.StringValue(sys.DiskId), "d-"), tea.StringValue(sys.SerialNumber))
		require.Len(t, sys.Attachments.Attachment, 1)
		assert.Equal(t, "i-prepaid", tea.StringValue(sys.Attachments.Attachment[0].InstanceId))
		assert.Equal(t, "/dev/xvda", tea.StringValue(sys.Attachments.Attachment[0].Device))
		assert.Empty(t, sys.OperationLocks.OperationLock)

		auto := got[disks["i-prepaid/data"].DiskId]
		assert.Equal(t, "cloud_auto", tea.StringValue(auto.Category))
		assert.NotNil(t, auto.ProvisionedIops)
		assert.False(t, tea.BoolValue(auto.Portable), "a subscription data disk is not portable")
		assert.Equal(t, "auto-pl", tea.StringValue(auto.DiskName))

		kept := got[disks["i-postpaid/data"].DiskId]
		assert.Equal(t, "Available", tea.StringValue(kept.Status))
		assert.Equal(t, "", tea.StringValue(kept.InstanceId))
		assert.Equal(t, "", tea.StringValue(kept.Device))
		assert.Equal(t, "PostPaid", tea.StringValue(kept.DiskChargeType))
		assert.True(t, tea.BoolValue(kept.Portable))
		assert.Equal(t, "2999-09-08T16:00Z", tea.StringValue(kept.ExpiredTime))
		assert.NotEmpty(t, tea.StringValue(kept.DetachedTime))
		assert.Empty(t, kept.Attachments.Attachment)
		assert.Nil(t, kept.PerformanceLevel, "no performance level outside ESSDs")
	})
	t.Run("DescribeSnapshots", func(t *testing.T) {
		var body ecs7.DescribeSnapshotsResponseBody
		strictDecode(t, call("DescribeSnapshots", map[string]string{"PageSize": "10"}), &body)
		require.Len(t, body.Snapshots.Snapshot, 2)
		a, p := body.Snapshots.Snapshot[0], body.Snapshots.Snapshot[1]
		assert.Equal(t, done, tea.StringValue(a.SnapshotId))
		assert.Equal(t, "40", tea.StringValue(a.SourceDiskSize), "SourceDiskSize is a JSON string")
		assert.Equal(t, "accomplished", tea.StringValue(a.Status))
		assert.True(t, tea.BoolValue(a.Available))
		assert.Equal(t, int32(0), tea.Int32Value(a.RemainTime))
		assert.Equal(t, int32(30), tea.Int32Value(a.RetentionDays))
		assert.Equal(t, "user", tea.StringValue(a.SnapshotType))
		assert.Equal(t, "standard", tea.StringValue(a.Category))
		assert.Equal(t, "none", tea.StringValue(a.Usage))
		assert.Equal(t, "disk", tea.StringValue(a.SourceStorageType))
		assert.Equal(t, ts(ecsemutest.Epoch.Add(10*time.Minute)), tea.StringValue(a.LastModifiedTime))
		assert.NotEmpty(t, tea.StringValue(a.SnapshotSN))
		assert.Equal(t, running, tea.StringValue(p.SnapshotId))
		assert.Equal(t, "progressing", tea.StringValue(p.Status))
		assert.Equal(t, "40%", tea.StringValue(p.Progress))
		assert.Equal(t, int32(360), tea.Int32Value(p.RemainTime))
		assert.False(t, tea.BoolValue(p.Available), "a cloud_ssd snapshot is usable once accomplished")
		assert.Equal(t, "50", tea.StringValue(p.SourceDiskSize))
	})
	t.Run("CreateSnapshot", func(t *testing.T) {
		var body ecs7.CreateSnapshotResponseBody
		strictDecode(t, call("CreateSnapshot", map[string]string{"DiskId": disks["i-prepaid/data"].DiskId}), &body)
		assert.Regexp(t, `^s-`, tea.StringValue(body.SnapshotId))
		assert.NotEmpty(t, tea.StringValue(body.RequestId))
	})
	t.Run("tags", func(t *testing.T) {
		var tr ecs7.TagResourcesResponseBody
		strictDecode(t, call("TagResources", map[string]string{"ResourceType": "snapshot", "ResourceId.1": done, "Tag.1.Key": "x", "Tag.1.Value": "1"}), &tr)
		var lr ecs7.ListTagResourcesResponseBody
		strictDecode(t, call("ListTagResources", map[string]string{"ResourceType": "snapshot", "ResourceId.1": done}), &lr)
		require.Len(t, lr.TagResources.TagResource, 2)
		assert.Equal(t, "snapshot", tea.StringValue(lr.TagResources.TagResource[0].ResourceType))
		assert.Equal(t, "", tea.StringValue(lr.NextToken))
		var ur ecs7.UntagResourcesResponseBody
		strictDecode(t, call("UntagResources", map[string]string{"ResourceType": "snapshot", "ResourceId.1": done, "TagKey.1": "x"}), &ur)
	})
}

// The filters through the current official SDK (signature v3).
func TestStorageFiltersThroughV7(t *testing.T) {
	t.Parallel()
	env, disks, done, running := storageFixture(t)
	c := env.NewV7Client(t, region, "")
	dd, err := c.DescribeDisks(&ecs7.DescribeDisksRequest{RegionId: new(region), Category: new("cloud_auto"), DiskChargeType: new("PrePaid"), MaxResults: tea.Int32(50)})
	require.NoError(t, err)
	require.Len(t, dd.Body.Disks.Disk, 1)
	assert.Equal(t, disks["i-prepaid/data"].DiskId, tea.StringValue(dd.Body.Disks.Disk[0].DiskId))
	dd, err = c.DescribeDisks(&ecs7.DescribeDisksRequest{RegionId: new(region), Status: new("Available"), Portable: new(true)})
	require.NoError(t, err)
	require.Len(t, dd.Body.Disks.Disk, 1)
	assert.Equal(t, disks["i-postpaid/data"].DiskId, tea.StringValue(dd.Body.Disks.Disk[0].DiskId))
	ds, err := c.DescribeSnapshots(&ecs7.DescribeSnapshotsRequest{RegionId: new(region), SourceDiskType: new("Data"),
		Tag: []*ecs7.DescribeSnapshotsRequestTag{{Key: new("k"), Value: new("v")}}})
	require.NoError(t, err)
	require.Len(t, ds.Body.Snapshots.Snapshot, 1)
	assert.Equal(t, running, tea.StringValue(ds.Body.Snapshots.Snapshot[0].SnapshotId))
	assert.Equal(t, "50", tea.StringValue(ds.Body.Snapshots.Snapshot[0].SourceDiskSize))
	ds, err = c.DescribeSnapshots(&ecs7.DescribeSnapshotsRequest{RegionId: new(region), Status: new("accomplished"), SnapshotName: new("shape")})
	require.NoError(t, err)
	require.Len(t, ds.Body.Snapshots.Snapshot, 1)
	assert.Equal(t, done, tea.StringValue(ds.Body.Snapshots.Snapshot[0].SnapshotId))
}

func TestStorageInvalidValues(t *testing.T) {
	t.Parallel()
	env, disks, done, _ := storageFixture(t)
	disk := disks["i-prepaid/system"].DiskId
	many := jsonList(manyIDs(101)...)
	type tc struct {
		name   string
		call   func(c *ecs.Client) error
		status int
		code   string
	}
	dd := func(set func(r *ecs.DescribeDisksRequest)) func(c *ecs.Client) error {
		return func(c *ecs.Client) error {
			r := ecs.CreateDescribeDisksRequest()
			set(r)
			_, err := c.DescribeDisks(r)
			return err
		}
	}
	ds := func(set func(r *ecs.DescribeSnapshotsRequest)) func(c *ecs.Client) error {
		return func(c *ecs.Client) error {
			r := ecs.CreateDescribeSnapshotsRequest()
			set(r)
			_, err := c.DescribeSnapshots(r)
			return err
		}
	}
	cs := func(set func(r *ecs.CreateSnapshotRequest)) func(c *ecs.Client) error {
		return func(c *ecs.Client) error {
			r := snapshotReq(disks["i-prepaid/data"].DiskId)
			set(r)
			_, err := c.CreateSnapshot(r)
			return err
		}
	}
	tags21 := make([]ecs.DescribeDisksTag, 21)
	for i := range tags21 {
		tags21[i] = ecs.DescribeDisksTag{Key: fmt.Sprintf("k%d", i)}
	}
	cases := []tc{
		{"DescribeDisks DiskType", dd(func(r *ecs.DescribeDisksRequest) { r.DiskType = "boot" }), 400, "InvalidDiskType.ValueNotSupported"},
		{"DescribeDisks Category", dd(func(r *ecs.DescribeDisksRequest) { r.Category = "floppy" }), 400, "InvalidCategory.ValueNotSupported"},
		{"DescribeDisks Status", dd(func(r *ecs.DescribeDisksRequest) { r.Status = "in_use" }), 400, "InvalidStatus.ValueNotSupported"},
		{"DescribeDisks DiskChargeType", dd(func(r *ecs.DescribeDisksRequest) { r.DiskChargeType = "Free" }), 404, "InvalidDiskChargeType.NotFound"},
		{"DescribeDisks MultiAttach", dd(func(r *ecs.DescribeDisksRequest) { r.MultiAttach = "Yes" }), 403, "InvalidParameter.MultiAttach"},
		{"DescribeDisks DiskIds not JSON", dd(func(r *ecs.DescribeDisksRequest) { r.DiskIds = "d-1,d-2" }), 400, "InvalidParameter.DiskIds"},
		{"DescribeDisks 101 DiskIds", dd(func(r *ecs.DescribeDisksRequest) { r.DiskIds = many }), 403, "InvalidDiskIds.Malformed"},
		{"DescribeDisks Portable", dd(func(r *ecs.DescribeDisksRequest) { r.Portable = "maybe" }), 400, "InvalidParameter"},
		{"DescribeDisks Tag value alone", dd(func(r *ecs.DescribeDisksRequest) { r.Tag = &[]ecs.DescribeDisksTag{{Value: "v"}} }), 400, "InvalidTag.Mismatch"},
		{"DescribeDisks 21 tags", dd(func(r *ecs.DescribeDisksRequest) { r.Tag = &tags21 }), 400, "InvalidTagCount"},
		{"DescribeDisks unknown SnapshotId", dd(func(r *ecs.DescribeDisksRequest) { r.SnapshotId = "s-nosuch" }), 400, "InvalidSnapshot.NotFound"},
		{"DescribeDisks MaxResults", dd(func(r *ecs.DescribeDisksRequest) { r.MaxResults = "ten" }), 400, "InvalidParameter"},
		{"DescribeDisks LockReason (not implemented)", dd(func(r *ecs.DescribeDisksRequest) { r.LockReason = "security" }), 400, "Emulator.UnsupportedParameter"},
		{"DescribeSnapshots Status", ds(func(r *ecs.DescribeSnapshotsRequest) { r.Status = "done" }), 404, "InvalidStatus.NotFound"},
		{"DescribeSnapshots SnapshotType", ds(func(r *ecs.DescribeSnapshotsRequest) { r.SnapshotType = "manual" }), 404, "InvalidSnapshotType.NotFound"},
		{"DescribeSnapshots Category", ds(func(r *ecs.DescribeSnapshotsRequest) { r.Category = "fast" }), 403, "InvalidSnapshotCategory.Malformed"},
		{"DescribeSnapshots SourceDiskType", ds(func(r *ecs.DescribeSnapshotsRequest) { r.SourceDiskType = "root" }), 404, "InvalidSourceDiskType"},
		{"DescribeSnapshots Usage", ds(func(r *ecs.DescribeSnapshotsRequest) { r.Usage = "used" }), 404, "InvalidUsage"},
		{"DescribeSnapshots 101 SnapshotIds", ds(func(r *ecs.DescribeSnapshotsRequest) { r.SnapshotIds = many }), 403, "InvalidSnapshotIds.Malformed"},
		{"DescribeSnapshots Tag value alone", ds(func(r *ecs.DescribeSnapshotsRequest) { r.Tag = &[]ecs.DescribeSnapshotsTag{{Value: "v"}} }), 400, "InvalidTag.Mismatch"},
		{"DescribeSnapshots SnapshotLinkId (not implemented)", ds(func(r *ecs.DescribeSnapshotsRequest) { r.SnapshotLinkId = `["sl-1"]` }), 400, "Emulator.UnsupportedParameter"},
		{"CreateSnapshot name starts with auto", cs(func(r *ecs.CreateSnapshotRequest) { r.SnapshotName = "auto-nightly" }), 400, "InvalidSnapshotName.Malformed"},
		{"CreateSnapshot name with a space", cs(func(r *ecs.CreateSnapshotRequest) { r.SnapshotName = "my snap" }), 400, "InvalidSnapshotName.Malformed"},
		{"CreateSnapshot description is a URL", cs(func(r *ecs.CreateSnapshotRequest) { r.Description = "https://example.com" }), 404, "InvalidDescription.Malformed"},
		{"CreateSnapshot RetentionDays", cs(func(r *ecs.CreateSnapshotRequest) { r.RetentionDays = requests.NewInteger(65537) }), 400, "InvalidRetentionDays.Malformed"},
		{"CreateSnapshot ClientToken too long", cs(func(r *ecs.CreateSnapshotRequest) { r.ClientToken = strings.Repeat("t", 65) }), 403, "InvalidClientToken.Malformed"},
		{"CreateSnapshot InstantAccess (not implemented)", cs(func(r *ecs.CreateSnapshotRequest) { r.InstantAccess = "true" }), 400, "Emulator.UnsupportedParameter"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			requireServerError(t, tc.call(newClient(t, env, "")), tc.status, tc.code)
		})
	}
	t.Run("CreateSnapshot ClientToken reused with other parameters", func(t *testing.T) {
		r := snapshotReq(disk)
		r.ClientToken = "token-1"
		first, err := env.Client.CreateSnapshot(r)
		require.NoError(t, err)
		again, err := env.Client.CreateSnapshot(r)
		require.NoError(t, err)
		assert.Equal(t, first.SnapshotId, again.SnapshotId)
		r.SnapshotName = "other"
		_, err = env.Client.CreateSnapshot(r)
		requireServerError(t, err, 403, "IdempotentParameterMismatch")
	})
	assert.NotEmpty(t, done)
}

func TestTagActionsEdges(t *testing.T) {
	t.Parallel()
	env := start(t, ecsemu.Options{})
	ids := env.AddRunning(t, 3)
	tagAll := func(kv ...string) {
		_, err := env.Client.TagResources(tagReq("instance", ids, kv...))
		require.NoError(t, err)
	}
	tagAll("team", "backend", "env", "prod", "tier", "web")
	_, err := env.Client.TagResources(tagReq("instance", ids[1:2], "team", "frontend", "owner", "ops"))
	require.NoError(t, err)
	list := func(setup func(r *ecs.ListTagResourcesRequest)) map[string][]string {
		t.Helper()
		req := ecs.CreateListTagResourcesRequest()
		req.ResourceType = "instance"
		setup(req)
		resp, err := env.Client.ListTagResources(req)
		require.NoError(t, err)
		out := map[string][]string{}
		for _, r := range resp.TagResources.TagResource {
			out[r.ResourceId] = append(out[r.ResourceId], r.TagKey+"="+r.TagValue)
		}
		return out
	}
	filter := func(key string, values ...string) func(r *ecs.ListTagResourcesRequest) {
		return func(r *ecs.ListTagResourcesRequest) {
			f := ecs.ListTagResourcesTagFilter{TagKey: key}
			if len(values) > 0 {
				f.TagValues = &values
			}
			r.TagFilter = &[]ecs.ListTagResourcesTagFilter{f}
		}
	}
	t.Run("TagFilter fuzzy key and values", func(t *testing.T) {
		assert.Len(t, list(filter("te*")), 3, "prefix")
		assert.Len(t, list(filter("*wn*")), 1, "infix: only the second has owner")
		assert.Len(t, list(filter("own")), 0, "exact")
		assert.Len(t, list(filter("*ner")), 0, "a leading * alone is not a search method (UNCONFIRMED)")
		assert.Equal(t, []string{ids[1]}, keys(list(filter("team", "*ont*"))))
		assert.Equal(t, []string{ids[1]}, keys(list(filter("team", "front*"))))
		assert.Len(t, list(filter("team", "backend", "frontend")), 3)
	})
	t.Run("a documented type the emulator does not hold has no resources", func(t *testing.T) {
		req := ecs.CreateListTagResourcesRequest()
		req.ResourceType = "image"
		req.Tag = &[]ecs.ListTagResourcesTag{{Key: "team"}}
		resp, err := env.Client.ListTagResources(req)
		require.NoError(t, err)
		assert.Empty(t, resp.TagResources.TagResource)
		_, err = env.Client.TagResources(tagReq("image", []string{"m-nosuch"}, "a", "b"))
		requireServerError(t, err, 404, "InvalidResourceId.NotFound")
	})
	errs := []struct {
		name   string
		setup  func(r *ecs.ListTagResourcesRequest)
		status int
		code   string
	}{
		{"Tag value alone", func(r *ecs.ListTagResourcesRequest) { r.Tag = &[]ecs.ListTagResourcesTag{{Value: "prod"}} }, 400, "InvalidParameter.TagValue"},
		{"values with a fuzzy key", filter("te*", "backend"), 400, "InvalidParameter"},
		{"six TagFilters", func(r *ecs.ListTagResourcesRequest) {
			f := make([]ecs.ListTagResourcesTagFilter, 6)
			for i := range f {
				f[i].TagKey = fmt.Sprintf("k%d", i)
			}
			r.TagFilter = &f
		}, 400, "InvalidParameter"},
		{"21 tags", func(r *ecs.ListTagResourcesRequest) {
			tags := make([]ecs.ListTagResourcesTag, 21)
			for i := range tags {
				tags[i].Key = fmt.Sprintf("k%d", i)
			}
			r.Tag = &tags
		}, 400, "NumberExceed.Tags"},
	}
	for _, tc := range errs {
		t.Run(tc.name, func(t *testing.T) {
			req := ecs.CreateListTagResourcesRequest()
			req.ResourceType = "instance"
			tc.setup(req)
			_, err := env.Client.ListTagResources(req)
			requireServerError(t, err, tc.status, tc.code)
		})
	}
	t.Run("every index is read, gaps included", func(t *testing.T) {
		p := baseParams(env, "ListTagResources")
		p["ResourceType"] = "instance"
		p["Tag.1.Key"], p["Tag.1.Value"] = "env", "prod"
		p["Tag.3.Key"], p["Tag.3.Value"] = "team", "frontend"
		r := rawSigned(t, env, "GET", p)
		require.Equal(t, 200, r.Status, "%s", r.Body)
		var body ecs7.ListTagResourcesResponseBody
		strictDecode(t, r.Body, &body)
		for _, row := range body.TagResources.TagResource {
			assert.Equal(t, ids[1], tea.StringValue(row.ResourceId), "Tag.3 narrows the answer too")
		}
		assert.NotEmpty(t, body.TagResources.TagResource)

		p = baseParams(env, "UntagResources")
		p["ResourceType"] = "instance"
		p["ResourceId.2"] = ids[2]
		p["TagKey.5"] = "tier"
		r = rawSigned(t, env, "GET", p)
		require.Equal(t, 200, r.Status, "%s", r.Body)
		in, ok := env.Emu.Instance(ids[2])
		require.True(t, ok)
		assert.Equal(t, []ecsemu.Tag{{TagKey: "team", TagValue: "backend"}, {TagKey: "env", TagValue: "prod"}}, in.Tags.Tag)
	})
	t.Run("UntagResources: All only without TagKey", func(t *testing.T) {
		req := ecs.CreateUntagResourcesRequest()
		req.ResourceType = "instance"
		req.ResourceId = &[]string{ids[0]}
		req.TagKey = &[]string{"tier"}
		req.All = requests.NewBoolean(true)
		_, err := env.Client.UntagResources(req)
		require.NoError(t, err)
		in, ok := env.Emu.Instance(ids[0])
		require.True(t, ok)
		assert.Equal(t, []ecsemu.Tag{{TagKey: "team", TagValue: "backend"}, {TagKey: "env", TagValue: "prod"}}, in.Tags.Tag)
	})
}

func keys(m map[string][]string) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}
