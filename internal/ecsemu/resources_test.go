package ecsemu_test

import (
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/requests"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/ecs"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/fc-ecs-release/fc-ecs-release/internal/ecsemu"
	"github.com/fc-ecs-release/fc-ecs-release/internal/ecsemu/ecsemutest"
)

// --- RunInstances -------------------------------------------------------------

func TestRunInstancesLifecycle(t *testing.T) {
	t.Parallel()
	env := start(t, ecsemu.Options{PendingDelay: 10 * time.Second, StartDelay: 20 * time.Second})
	req := ecs.CreateRunInstancesRequest()
	req.Amount = requests.NewInteger(3)
	req.InstanceName = "ci-runner"
	req.InstanceType = "ecs.g7.xlarge"
	req.ImageId = "ubuntu_24_04"
	req.ZoneId = region + "-h"
	req.InstanceChargeType = ecsemu.PostPaid
	req.Tag = &[]ecs.RunInstancesTag{{Key: "team", Value: "ci"}, {Key: "auto-release", Value: "true"}}
	req.AutoReleaseTime = ts(ecsemutest.Epoch.Add(2*time.Hour + 15*time.Second))
	resp, err := env.Client.RunInstances(req)
	require.NoError(t, err)
	ids := resp.InstanceIdSets.InstanceIdSet
	require.Len(t, ids, 3)
	assert.NotEmpty(t, resp.OrderId)
	assert.NotEmpty(t, resp.RequestId)
	for _, id := range ids {
		assert.Regexp(t, `^i-[a-z0-9]{20}$`, id)
	}

	// DescribeInstances finds them by tag, Pending, with every requested field.
	dreq := ecs.CreateDescribeInstancesRequest()
	dreq.Tag = &[]ecs.DescribeInstancesTag{{Key: "team", Value: "ci"}}
	dresp, err := env.Client.DescribeInstances(dreq)
	require.NoError(t, err)
	require.Len(t, dresp.Instances.Instance, 3)
	for i, in := range dresp.Instances.Instance {
		assert.Equal(t, ids[i], in.InstanceId)
		assert.Equal(t, ecsemu.StatusPending, in.Status)
		assert.Equal(t, "ci-runner", in.InstanceName)
		assert.Equal(t, "ecs.g7.xlarge", in.InstanceType)
		assert.Equal(t, "ubuntu_24_04", in.ImageId)
		assert.Equal(t, region+"-h", in.ZoneId)
		assert.Equal(t, ecsemu.PostPaid, in.InstanceChargeType)
		assert.Equal(t, minute(ecsemutest.Epoch.Add(2*time.Hour)), in.AutoReleaseTime)
		assert.Equal(t, minute(ecsemutest.Epoch), in.CreationTime)
		assert.Equal(t, "", in.StartTime, "never started yet")
		assert.ElementsMatch(t, []ecs.Tag{{TagKey: "team", TagValue: "ci"}, {TagKey: "auto-release", TagValue: "true"}}, in.Tags.Tag)
		// Tag.N tags the disks created with the instance too.
		dd := ecs.CreateDescribeDisksRequest()
		dd.RegionId = region
		dd.InstanceId = in.InstanceId
		disks, err := env.Client.DescribeDisks(dd)
		require.NoError(t, err)
		require.NotEmpty(t, disks.Disks.Disk)
		for _, d := range disks.Disks.Disk {
			assert.ElementsMatch(t, []ecs.Tag{{TagKey: "team", TagValue: "ci"}, {TagKey: "auto-release", TagValue: "true"}}, d.Tags.Tag, d.DiskId)
		}
	}

	steps := []struct {
		advance time.Duration
		want    string
	}{
		{9 * time.Second, ecsemu.StatusPending},
		{time.Second, ecsemu.StatusStarting},
		{19 * time.Second, ecsemu.StatusStarting},
		{time.Second, ecsemu.StatusRunning},
	}
	for _, st := range steps {
		require.NoError(t, env.Emu.Advance(st.advance))
		for _, id := range ids {
			assert.Equal(t, st.want, describe(t, env.Client, id).Status, "at %v", env.Emu.Now().Sub(ecsemutest.Epoch))
		}
	}
	assert.Equal(t, minute(ecsemutest.Epoch.Add(30*time.Second)), describe(t, env.Client, ids[0]).StartTime)

	// The auto-release time given at creation fires.
	require.NoError(t, env.Emu.Advance(2*time.Hour))
	assert.Empty(t, env.Emu.Instances())
}

func TestRunInstancesOptions(t *testing.T) {
	t.Parallel()
	t.Run("PrePaid", func(t *testing.T) {
		t.Parallel()
		env := start(t, ecsemu.Options{})
		req := ecs.CreateRunInstancesRequest()
		req.InstanceChargeType = ecsemu.PrePaid
		resp, err := env.Client.RunInstances(req)
		require.NoError(t, err)
		in := describe(t, env.Client, resp.InstanceIdSets.InstanceIdSet[0])
		require.NotNil(t, in)
		assert.Equal(t, ecsemu.PrePaid, in.InstanceChargeType)
		assert.NotEmpty(t, in.ExpiredTime)
		assert.Equal(t, ecsemu.StatusRunning, in.Status, "no delays: Running at once")
	})
	t.Run("defaults: one PostPaid instance", func(t *testing.T) {
		t.Parallel()
		env := start(t, ecsemu.Options{})
		resp, err := env.Client.RunInstances(ecs.CreateRunInstancesRequest())
		require.NoError(t, err)
		require.Len(t, resp.InstanceIdSets.InstanceIdSet, 1)
		in := describe(t, env.Client, resp.InstanceIdSets.InstanceIdSet[0])
		assert.Equal(t, ecsemu.PostPaid, in.InstanceChargeType)
		assert.Equal(t, "", in.AutoReleaseTime)
	})
	t.Run("DeletionProtection", func(t *testing.T) {
		t.Parallel()
		env := start(t, ecsemu.Options{})
		req := ecs.CreateRunInstancesRequest()
		req.DeletionProtection = requests.NewBoolean(true)
		resp, err := env.Client.RunInstances(req)
		require.NoError(t, err)
		id := resp.InstanceIdSets.InstanceIdSet[0]
		assert.True(t, describe(t, env.Client, id).DeletionProtection)
		_, err = env.Client.DeleteInstance(deleteReq(id, true))
		requireServerError(t, err, 403, "InvalidOperation.DeletionProtection")
	})
	t.Run("disks", func(t *testing.T) {
		t.Parallel()
		env := start(t, ecsemu.Options{})
		req := ecs.CreateRunInstancesRequest()
		req.SystemDiskSize = "60"
		req.SystemDiskCategory = "cloud_auto"
		req.DataDisk = &[]ecs.RunInstancesDataDisk{
			{Size: "100", DeleteWithInstance: "false", Category: "cloud_ssd"},
			{Size: "200"},
		}
		resp, err := env.Client.RunInstances(req)
		require.NoError(t, err)
		id := resp.InstanceIdSets.InstanceIdSet[0]
		dreq := ecs.CreateDescribeDisksRequest()
		dreq.InstanceId = id
		dresp, err := env.Client.DescribeDisks(dreq)
		require.NoError(t, err)
		require.Len(t, dresp.Disks.Disk, 3)
		sys, d1, d2 := dresp.Disks.Disk[0], dresp.Disks.Disk[1], dresp.Disks.Disk[2]
		assert.Equal(t, "system", sys.Type)
		assert.Equal(t, 60, sys.Size)
		assert.Equal(t, "cloud_auto", sys.Category)
		assert.True(t, sys.DeleteWithInstance)
		assert.Equal(t, "data", d1.Type)
		assert.Equal(t, 100, d1.Size)
		assert.Equal(t, "cloud_ssd", d1.Category)
		assert.False(t, d1.DeleteWithInstance)
		assert.Equal(t, 200, d2.Size)
		assert.True(t, d2.DeleteWithInstance, "data disks go with the instance by default")
	})
	t.Run("ClientToken replay returns the same instances", func(t *testing.T) {
		t.Parallel()
		env := start(t, ecsemu.Options{})
		req := func(amount int) *ecs.RunInstancesRequest {
			r := ecs.CreateRunInstancesRequest()
			r.Amount = requests.NewInteger(amount)
			r.ClientToken = "run-1"
			return r
		}
		first, err := env.Client.RunInstances(req(2))
		require.NoError(t, err)
		again, err := env.Client.RunInstances(req(2))
		require.NoError(t, err)
		assert.Equal(t, first.InstanceIdSets.InstanceIdSet, again.InstanceIdSets.InstanceIdSet)
		assert.Len(t, env.Emu.Instances(), 2)
		_, err = env.Client.RunInstances(req(3))
		requireServerError(t, err, 400, "IdempotentParameterMismatch")
		assert.Len(t, env.Emu.Instances(), 2)
	})

	at := func(d time.Duration) string { return ts(ecsemutest.Epoch.Add(d)) }
	errs := []struct {
		name   string
		setup  func(r *ecs.RunInstancesRequest)
		status int
		code   string
	}{
		{"DryRun", func(r *ecs.RunInstancesRequest) { r.DryRun = requests.NewBoolean(true) }, 400, "DryRunOperation"},
		{"Amount 0", func(r *ecs.RunInstancesRequest) { r.Amount = requests.NewInteger(0) }, 400, "InvalidParameter.Amount"},
		{"Amount 101", func(r *ecs.RunInstancesRequest) { r.Amount = requests.NewInteger(101) }, 400, "InvalidParameter.Amount"},
		{"bad charge type", func(r *ecs.RunInstancesRequest) { r.InstanceChargeType = "Free" }, 404, "InvalidInstanceChargeType.NotFound"},
		{"AutoReleaseTime too soon", func(r *ecs.RunInstancesRequest) { r.AutoReleaseTime = at(10 * time.Minute) }, 400, "InvalidAutoReleaseTime.Malformed"},
		{"AutoReleaseTime malformed", func(r *ecs.RunInstancesRequest) { r.AutoReleaseTime = "soon" }, 400, "InvalidAutoReleaseTime.Malformed"},
		{"AutoReleaseTime on PrePaid", func(r *ecs.RunInstancesRequest) {
			r.InstanceChargeType = ecsemu.PrePaid
			r.AutoReleaseTime = at(time.Hour)
		}, 403, "ChargeTypeViolation"},
		{"tag key acs:", func(r *ecs.RunInstancesRequest) { r.Tag = &[]ecs.RunInstancesTag{{Key: "acs:x", Value: "1"}} }, 400, "InvalidTagKey.Malformed"},
		{"duplicate tag key", func(r *ecs.RunInstancesRequest) {
			r.Tag = &[]ecs.RunInstancesTag{{Key: "a", Value: "1"}, {Key: "a", Value: "2"}}
		}, 400, "Duplicate.TagKey"},
		{"data disk too small", func(r *ecs.RunInstancesRequest) { r.DataDisk = &[]ecs.RunInstancesDataDisk{{Size: "5"}} }, 400, "InvalidParameter"},
	}
	for _, tc := range errs {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			env := start(t, ecsemu.Options{})
			req := ecs.CreateRunInstancesRequest()
			tc.setup(req)
			_, err := env.Client.RunInstances(req)
			requireServerError(t, err, tc.status, tc.code)
			assert.Empty(t, env.Emu.Instances(), "nothing created")
			assert.Empty(t, env.Emu.Disks())
		})
	}
}

// --- DescribeDisks ------------------------------------------------------------

func TestDescribeDisks(t *testing.T) {
	t.Parallel()
	keep := false
	env := start(t, ecsemu.Options{})
	ids := env.AddFleet(t,
		ecsemu.Instance{InstanceId: "i-one"},
		ecsemu.Instance{InstanceId: "i-two", Disks: &ecsemu.FleetDiskSet{Disk: []ecsemu.FleetDisk{
			{Type: "data", Size: 100, DeleteWithInstance: &keep, DiskName: "keep-me"},
			{Size: 50},
		}}},
		ecsemu.Instance{InstanceId: "i-three", Disks: &ecsemu.FleetDiskSet{Disk: []ecsemu.FleetDisk{
			{Type: "system", Size: 80, Category: "cloud_ssd"},
		}}},
		ecsemu.Instance{InstanceId: "i-other", RegionId: "cn-beijing"},
	)
	require.Len(t, ids, 4)
	all := env.Emu.Disks()
	require.Len(t, all, 6)
	byInstance := map[string][]ecsemu.Disk{}
	for _, d := range all {
		byInstance[d.InstanceId] = append(byInstance[d.InstanceId], d)
	}
	twoData := byInstance["i-two"][1].DiskId

	query := func(t *testing.T, setup func(r *ecs.DescribeDisksRequest)) []ecs.Disk {
		t.Helper()
		c := newClient(t, env, "")
		req := ecs.CreateDescribeDisksRequest()
		setup(req)
		resp, err := c.DescribeDisks(req)
		require.NoError(t, err)
		assert.Equal(t, len(resp.Disks.Disk), resp.TotalCount)
		return resp.Disks.Disk
	}

	t.Run("one system disk per instance", func(t *testing.T) {
		t.Parallel()
		disks := query(t, func(r *ecs.DescribeDisksRequest) {
			r.DiskType = "system"
			r.PageSize = requests.NewInteger(100)
		})
		require.Len(t, disks, 3, "the cn-beijing instance's disk is not in this region")
		got := map[string]ecs.Disk{}
		for _, d := range disks {
			assert.Equal(t, "system", d.Type)
			assert.Equal(t, "In_use", d.Status)
			assert.True(t, d.DeleteWithInstance)
			got[d.InstanceId] = d
		}
		assert.Equal(t, 40, got["i-one"].Size, "default system disk")
		assert.Equal(t, "cloud_essd", got["i-one"].Category)
		assert.Equal(t, 80, got["i-three"].Size, "fleet system disk replaces the default")
		assert.Equal(t, "cloud_ssd", got["i-three"].Category)
		assert.Contains(t, got, "i-two")
	})
	t.Run("by InstanceId, system disk first", func(t *testing.T) {
		t.Parallel()
		disks := query(t, func(r *ecs.DescribeDisksRequest) { r.InstanceId = "i-two" })
		require.Len(t, disks, 3)
		assert.Equal(t, "system", disks[0].Type)
		assert.Equal(t, "data", disks[1].Type)
		assert.Equal(t, "keep-me", disks[1].DiskName)
		assert.Equal(t, 100, disks[1].Size)
		assert.False(t, disks[1].DeleteWithInstance)
		assert.Equal(t, 50, disks[2].Size)
		for _, d := range disks {
			assert.Equal(t, "i-two", d.InstanceId)
			assert.NotEmpty(t, d.Device)
		}
	})
	t.Run("by InstanceId and DiskType data", func(t *testing.T) {
		t.Parallel()
		disks := query(t, func(r *ecs.DescribeDisksRequest) {
			r.InstanceId = "i-two"
			r.DiskType = "data"
		})
		assert.Len(t, disks, 2)
	})
	t.Run("by DiskIds", func(t *testing.T) {
		t.Parallel()
		disks := query(t, func(r *ecs.DescribeDisksRequest) {
			r.DiskIds = jsonList(twoData, byInstance["i-one"][0].DiskId, "d-nosuch")
		})
		require.Len(t, disks, 2)
		assert.Equal(t, byInstance["i-one"][0].DiskId, disks[0].DiskId, "creation order")
		assert.Equal(t, twoData, disks[1].DiskId)
	})
	t.Run("unknown InstanceId is an empty list", func(t *testing.T) {
		t.Parallel()
		assert.Empty(t, query(t, func(r *ecs.DescribeDisksRequest) { r.InstanceId = "i-nosuch" }))
	})
	t.Run("paging", func(t *testing.T) {
		t.Parallel()
		var seen []string
		token := ""
		for {
			c := newClient(t, env, "")
			req := ecs.CreateDescribeDisksRequest()
			req.MaxResults = requests.NewInteger(2)
			req.NextToken = token
			resp, err := c.DescribeDisks(req)
			require.NoError(t, err)
			for _, d := range resp.Disks.Disk {
				seen = append(seen, d.DiskId)
			}
			if token = resp.NextToken; token == "" {
				break
			}
		}
		assert.Len(t, seen, 5)
	})
	errs := []struct {
		name   string
		setup  func(r *ecs.DescribeDisksRequest)
		status int
		code   string
	}{
		{"101 DiskIds", func(r *ecs.DescribeDisksRequest) { r.DiskIds = jsonList(manyIDs(101)...) }, 403, "InvalidDiskIds.Malformed"},
		{"bad DiskType", func(r *ecs.DescribeDisksRequest) { r.DiskType = "floppy" }, 400, "InvalidDiskType.ValueNotSupported"},
		{"PageSize 101", func(r *ecs.DescribeDisksRequest) { r.PageSize = requests.NewInteger(101) }, 400, "InvalidParameter"},
		{"DryRun", func(r *ecs.DescribeDisksRequest) { r.DryRun = requests.NewBoolean(true) }, 400, "DryRunOperation"},
	}
	for _, tc := range errs {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c := newClient(t, env, "")
			req := ecs.CreateDescribeDisksRequest()
			tc.setup(req)
			_, err := c.DescribeDisks(req)
			requireServerError(t, err, tc.status, tc.code)
		})
	}
}

// --- CreateSnapshot / DescribeSnapshots --------------------------------------

// systemDisk returns the ID of an instance's system disk.
func systemDisk(t *testing.T, env *ecsemutest.Env, id string) string {
	t.Helper()
	for _, d := range env.Emu.Disks() {
		if d.InstanceId == id && d.Type == "system" {
			return d.DiskId
		}
	}
	t.Fatalf("instance %s has no system disk", id)
	return ""
}

func snapshotReq(diskID string) *ecs.CreateSnapshotRequest {
	r := ecs.CreateCreateSnapshotRequest()
	r.DiskId = diskID
	return r
}

func TestSnapshots(t *testing.T) {
	t.Parallel()
	const delay = 5 * time.Minute
	t.Run("progressing then accomplished", func(t *testing.T) {
		t.Parallel()
		env := start(t, ecsemu.Options{SnapshotDelay: delay})
		env.AddFleet(t, ecsemu.Instance{InstanceId: "i-src"})
		disk := systemDisk(t, env, "i-src")
		req := snapshotReq(disk)
		req.SnapshotName = "before-release"
		req.Description = "taken by a test"
		req.RetentionDays = requests.NewInteger(7)
		req.Tag = &[]ecs.CreateSnapshotTag{{Key: "reason", Value: "release"}}
		resp, err := env.Client.CreateSnapshot(req)
		require.NoError(t, err)
		require.Regexp(t, `^s-[a-z0-9]{20}$`, resp.SnapshotId)

		get := func() ecs.Snapshot {
			t.Helper()
			dreq := ecs.CreateDescribeSnapshotsRequest()
			dreq.SnapshotIds = jsonList(resp.SnapshotId)
			dresp, err := env.Client.DescribeSnapshots(dreq)
			require.NoError(t, err)
			require.Len(t, dresp.Snapshots.Snapshot, 1)
			return dresp.Snapshots.Snapshot[0]
		}
		sn := get()
		assert.Equal(t, ecsemu.SnapshotProgressing, sn.Status)
		assert.Equal(t, "0%", sn.Progress)
		assert.Equal(t, "before-release", sn.SnapshotName)
		assert.Equal(t, "taken by a test", sn.Description)
		assert.Equal(t, disk, sn.SourceDiskId)
		assert.Equal(t, "40", sn.SourceDiskSize)
		assert.Equal(t, "system", sn.SourceDiskType)
		assert.Equal(t, 7, sn.RetentionDays)
		assert.Equal(t, ts(ecsemutest.Epoch), sn.CreationTime)
		require.Len(t, sn.Tags.Tag, 1)
		assert.Equal(t, "reason", sn.Tags.Tag[0].TagKey)

		// A second snapshot of the same disk waits for the first.
		_, err = env.Client.CreateSnapshot(snapshotReq(disk))
		requireServerError(t, err, 403, "IncorrectDiskStatus.CreatingSnapshot")

		require.NoError(t, env.Emu.Advance(delay/2))
		sn = get()
		assert.Equal(t, ecsemu.SnapshotProgressing, sn.Status)
		assert.Equal(t, "50%", sn.Progress)
		require.NoError(t, env.Emu.Advance(delay/2-time.Second))
		assert.Equal(t, ecsemu.SnapshotProgressing, get().Status)
		require.NoError(t, env.Emu.Advance(time.Second))
		sn = get()
		assert.Equal(t, ecsemu.SnapshotAccomplished, sn.Status)
		assert.Equal(t, "100%", sn.Progress)

		_, err = env.Client.CreateSnapshot(snapshotReq(disk))
		require.NoError(t, err, "once done, another snapshot may start")
	})
	t.Run("FailSnapshotsOf ends failed", func(t *testing.T) {
		t.Parallel()
		env := start(t, ecsemu.Options{SnapshotDelay: delay})
		env.AddFleet(t, ecsemu.Instance{InstanceId: "i-bad"}, ecsemu.Instance{InstanceId: "i-good"})
		env.Emu.FailSnapshotsOf("i-bad", true)
		bad, err := env.Client.CreateSnapshot(snapshotReq(systemDisk(t, env, "i-bad")))
		require.NoError(t, err)
		good, err := env.Client.CreateSnapshot(snapshotReq(systemDisk(t, env, "i-good")))
		require.NoError(t, err)
		require.NoError(t, env.Emu.Advance(delay))

		byStatus := func(s string) []string {
			req := ecs.CreateDescribeSnapshotsRequest()
			req.Status = s
			resp, err := env.Client.DescribeSnapshots(req)
			require.NoError(t, err)
			var ids []string
			for _, sn := range resp.Snapshots.Snapshot {
				ids = append(ids, sn.SnapshotId)
			}
			return ids
		}
		assert.Equal(t, []string{bad.SnapshotId}, byStatus(ecsemu.SnapshotFailed))
		assert.Equal(t, []string{good.SnapshotId}, byStatus(ecsemu.SnapshotAccomplished))
		assert.Empty(t, byStatus(ecsemu.SnapshotProgressing))
		assert.Len(t, byStatus("all"), 2)

		env.Emu.FailSnapshotsOf("i-bad", false)
		again, err := env.Client.CreateSnapshot(snapshotReq(systemDisk(t, env, "i-bad")))
		require.NoError(t, err)
		require.NoError(t, env.Emu.Advance(delay))
		assert.Contains(t, byStatus(ecsemu.SnapshotAccomplished), again.SnapshotId)
	})
	t.Run("DescribeSnapshots filters", func(t *testing.T) {
		t.Parallel()
		env := start(t, ecsemu.Options{})
		env.AddFleet(t, ecsemu.Instance{InstanceId: "i-a"}, ecsemu.Instance{InstanceId: "i-b"})
		var ids []string
		for _, in := range []string{"i-a", "i-b", "i-a"} {
			resp, err := env.Client.CreateSnapshot(snapshotReq(systemDisk(t, env, in)))
			require.NoError(t, err)
			ids = append(ids, resp.SnapshotId)
			require.NoError(t, env.Emu.Advance(time.Second))
		}
		list := func(setup func(r *ecs.DescribeSnapshotsRequest)) []string {
			req := ecs.CreateDescribeSnapshotsRequest()
			setup(req)
			resp, err := env.Client.DescribeSnapshots(req)
			require.NoError(t, err)
			var out []string
			for _, sn := range resp.Snapshots.Snapshot {
				out = append(out, sn.SnapshotId)
			}
			return out
		}
		assert.Equal(t, ids, list(func(r *ecs.DescribeSnapshotsRequest) {}))
		assert.Equal(t, []string{ids[0], ids[2]}, list(func(r *ecs.DescribeSnapshotsRequest) { r.InstanceId = "i-a" }))
		assert.Equal(t, []string{ids[1]}, list(func(r *ecs.DescribeSnapshotsRequest) { r.DiskId = systemDisk(t, env, "i-b") }))
		assert.Equal(t, []string{ids[2]}, list(func(r *ecs.DescribeSnapshotsRequest) { r.SnapshotIds = jsonList(ids[2], "s-nosuch") }))
		assert.Equal(t, []string{ids[1]}, list(func(r *ecs.DescribeSnapshotsRequest) {
			r.PageSize = requests.NewInteger(1)
			r.PageNumber = requests.NewInteger(2)
		}))
	})

	createErr := []struct {
		name   string
		fleet  ecsemu.Instance
		setup  func(r *ecs.CreateSnapshotRequest)
		status int
		code   string
	}{
		{name: "unknown disk", fleet: ecsemu.Instance{}, setup: func(r *ecs.CreateSnapshotRequest) { r.DiskId = "d-nosuch" }, status: 404, code: "InvalidDiskId.NotFound"},
		{name: "DiskId missing", fleet: ecsemu.Instance{}, setup: func(r *ecs.CreateSnapshotRequest) { r.DiskId = "" }, status: 400, code: "MissingParameter"},
		{name: "security lock", fleet: ecsemu.Instance{OperationLocks: ecsemu.LockSet{LockReason: []ecsemu.LockReason{{LockReason: "security"}}}},
			status: 403, code: "InstanceLockedForSecurity"},
		{name: "instance Stopping", fleet: ecsemu.Instance{Status: ecsemu.StatusStopping}, status: 400, code: "IncorrectInstanceStatus"},
		{name: "instance never started", fleet: ecsemu.Instance{Status: ecsemu.StatusPending}, status: 400, code: "IncorrectInstanceStatus"},
		{name: "name starts with a digit", fleet: ecsemu.Instance{}, setup: func(r *ecs.CreateSnapshotRequest) { r.SnapshotName = "1st" }, status: 400, code: "InvalidSnapshotName.Malformed"},
		{name: "name is a URL", fleet: ecsemu.Instance{}, setup: func(r *ecs.CreateSnapshotRequest) { r.SnapshotName = "http://x" }, status: 400, code: "InvalidSnapshotName.Malformed"},
		{name: "description too short", fleet: ecsemu.Instance{}, setup: func(r *ecs.CreateSnapshotRequest) { r.Description = "x" }, status: 404, code: "InvalidDescription.Malformed"},
		{name: "RetentionDays 0", fleet: ecsemu.Instance{}, setup: func(r *ecs.CreateSnapshotRequest) { r.RetentionDays = requests.NewInteger(0) }, status: 400, code: "InvalidRetentionDays.Malformed"},
	}
	for _, tc := range createErr {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			env := start(t, ecsemu.Options{StopDelay: time.Hour})
			tc.fleet.InstanceId = "i-snap"
			env.AddFleet(t, tc.fleet)
			req := snapshotReq(systemDisk(t, env, "i-snap"))
			if tc.setup != nil {
				tc.setup(req)
			}
			_, err := env.Client.CreateSnapshot(req)
			requireServerError(t, err, tc.status, tc.code)
			assert.Empty(t, env.Emu.Snapshots())
		})
	}

	describeErr := []struct {
		name   string
		setup  func(r *ecs.DescribeSnapshotsRequest)
		status int
		code   string
	}{
		{"bad Status", func(r *ecs.DescribeSnapshotsRequest) { r.Status = "done" }, 404, "InvalidStatus.NotFound"},
		{"101 SnapshotIds", func(r *ecs.DescribeSnapshotsRequest) { r.SnapshotIds = jsonList(manyIDs(101)...) }, 403, "InvalidSnapshotIds.Malformed"},
		{"DryRun", func(r *ecs.DescribeSnapshotsRequest) { r.DryRun = requests.NewBoolean(true) }, 400, "DryRunOperation"},
	}
	for _, tc := range describeErr {
		t.Run("DescribeSnapshots "+tc.name, func(t *testing.T) {
			t.Parallel()
			env := start(t, ecsemu.Options{})
			req := ecs.CreateDescribeSnapshotsRequest()
			tc.setup(req)
			_, err := env.Client.DescribeSnapshots(req)
			requireServerError(t, err, tc.status, tc.code)
		})
	}
}

// --- tags -------------------------------------------------------------------

func tagReq(rt string, ids []string, kv ...string) *ecs.TagResourcesRequest {
	r := ecs.CreateTagResourcesRequest()
	r.ResourceType = rt
	r.ResourceId = &ids
	var tags []ecs.TagResourcesTag
	for i := 0; i < len(kv); i += 2 {
		tags = append(tags, ecs.TagResourcesTag{Key: kv[i], Value: kv[i+1]})
	}
	r.Tag = &tags
	return r
}

func tagsOf(t *testing.T, env *ecsemutest.Env, id string) map[string]string {
	t.Helper()
	in, ok := env.Emu.Instance(id)
	require.True(t, ok)
	out := map[string]string{}
	for _, tg := range in.Tags.Tag {
		out[tg.TagKey] = tg.TagValue
	}
	return out
}

func TestTagResources(t *testing.T) {
	t.Parallel()
	t.Run("add, overwrite, untag", func(t *testing.T) {
		t.Parallel()
		env := start(t, ecsemu.Options{})
		ids := env.AddRunning(t, 2, ecsemu.Tag{TagKey: "team", TagValue: "ci"})
		_, err := env.Client.TagResources(tagReq("instance", ids, "env", "prod", "team", "qa", "empty", ""))
		require.NoError(t, err)
		for _, id := range ids {
			assert.Equal(t, map[string]string{"team": "qa", "env": "prod", "empty": ""}, tagsOf(t, env, id))
		}
		// DescribeInstances sees the new tags.
		dreq := ecs.CreateDescribeInstancesRequest()
		dreq.Tag = &[]ecs.DescribeInstancesTag{{Key: "env", Value: "prod"}}
		dresp, err := env.Client.DescribeInstances(dreq)
		require.NoError(t, err)
		assert.Equal(t, 2, dresp.TotalCount)

		ureq := ecs.CreateUntagResourcesRequest()
		ureq.ResourceType = "instance"
		ureq.ResourceId = &[]string{ids[0]}
		ureq.TagKey = &[]string{"env", "not-there"}
		_, err = env.Client.UntagResources(ureq)
		require.NoError(t, err)
		assert.Equal(t, map[string]string{"team": "qa", "empty": ""}, tagsOf(t, env, ids[0]))
		assert.Equal(t, map[string]string{"team": "qa", "env": "prod", "empty": ""}, tagsOf(t, env, ids[1]))

		ureq = ecs.CreateUntagResourcesRequest()
		ureq.ResourceType = "instance"
		ureq.ResourceId = &[]string{ids[1]}
		ureq.All = requests.NewBoolean(true)
		_, err = env.Client.UntagResources(ureq)
		require.NoError(t, err)
		assert.Empty(t, tagsOf(t, env, ids[1]))
	})
	t.Run("disks and snapshots", func(t *testing.T) {
		t.Parallel()
		env := start(t, ecsemu.Options{})
		env.AddFleet(t, ecsemu.Instance{InstanceId: "i-tag"})
		disk := systemDisk(t, env, "i-tag")
		_, err := env.Client.TagResources(tagReq("disk", []string{disk}, "k", "v"))
		require.NoError(t, err)
		sn, err := env.Client.CreateSnapshot(snapshotReq(disk))
		require.NoError(t, err)
		_, err = env.Client.TagResources(tagReq("snapshot", []string{sn.SnapshotId}, "s", "1"))
		require.NoError(t, err)
		assert.Equal(t, []ecsemu.Tag{{TagKey: "k", TagValue: "v"}}, env.Emu.Disks()[0].Tags.Tag)
		assert.Equal(t, []ecsemu.Tag{{TagKey: "s", TagValue: "1"}}, env.Emu.Snapshots()[0].Tags.Tag)
	})

	errs := []struct {
		name   string
		req    func(ids []string) *ecs.TagResourcesRequest
		status int
		code   string
	}{
		{"unknown resource", func(ids []string) *ecs.TagResourcesRequest {
			return tagReq("instance", append(ids, "i-nosuch"), "a", "b")
		}, 404, "InvalidResourceId.NotFound"},
		{"bad ResourceType", func(ids []string) *ecs.TagResourcesRequest { return tagReq("bucket", ids, "a", "b") }, 404, "InvalidResourceType.NotFound"},
		{"ResourceType missing", func(ids []string) *ecs.TagResourcesRequest { return tagReq("", ids, "a", "b") }, 404, "MissingParameter.ResourceType"},
		{"no tags", func(ids []string) *ecs.TagResourcesRequest { return tagReq("instance", ids) }, 404, "MissingParameter.Tags"},
		{"21 tags", func(ids []string) *ecs.TagResourcesRequest {
			var kv []string
			for i := range 21 {
				kv = append(kv, fmt.Sprintf("k%d", i), "v")
			}
			return tagReq("instance", ids, kv...)
		}, 400, "NumberExceed.Tags"},
		{"51 resources", func(ids []string) *ecs.TagResourcesRequest { return tagReq("instance", manyIDs(51), "a", "b") }, 400, "NumberExceed.ResourceIds"},
		{"key acs:", func(ids []string) *ecs.TagResourcesRequest { return tagReq("instance", ids, "acs:a", "b") }, 400, "InvalidTagKey.Malformed"},
		{"key aliyun", func(ids []string) *ecs.TagResourcesRequest { return tagReq("instance", ids, "aliyun-x", "b") }, 400, "InvalidTagKey.Malformed"},
		{"key too long", func(ids []string) *ecs.TagResourcesRequest {
			return tagReq("instance", ids, strings.Repeat("k", 129), "b")
		}, 400, "InvalidTagKey.Malformed"},
		{"value with URL", func(ids []string) *ecs.TagResourcesRequest { return tagReq("instance", ids, "a", "see https://x") }, 400, "InvalidTagValue.Malformed"},
		{"duplicate key", func(ids []string) *ecs.TagResourcesRequest { return tagReq("instance", ids, "a", "1", "a", "2") }, 400, "Duplicate.TagKey"},
		{"over 20 tags on the resource", func(ids []string) *ecs.TagResourcesRequest {
			var kv []string
			for i := range 20 {
				kv = append(kv, fmt.Sprintf("new%d", i), "v")
			}
			return tagReq("instance", ids, kv...) // the instance already has one tag
		}, 403, "QuotaExceed.Tags"},
	}
	for _, tc := range errs {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			env := start(t, ecsemu.Options{})
			ids := env.AddRunning(t, 1, ecsemu.Tag{TagKey: "team", TagValue: "ci"})
			_, err := env.Client.TagResources(tc.req(ids))
			requireServerError(t, err, tc.status, tc.code)
			assert.Equal(t, map[string]string{"team": "ci"}, tagsOf(t, env, ids[0]), "tags unchanged")
		})
	}
	t.Run("UntagResources without keys", func(t *testing.T) {
		t.Parallel()
		env := start(t, ecsemu.Options{})
		ids := env.AddRunning(t, 1)
		req := ecs.CreateUntagResourcesRequest()
		req.ResourceType = "instance"
		req.ResourceId = &ids
		_, err := env.Client.UntagResources(req)
		requireServerError(t, err, 400, "MissingParameter")
	})
}

func TestListTagResources(t *testing.T) {
	t.Parallel()
	env := start(t, ecsemu.Options{})
	team := env.AddRunning(t, 30, ecsemu.Tag{TagKey: "team", TagValue: "ci"}, ecsemu.Tag{TagKey: "env", TagValue: "prod"})
	other := env.AddRunning(t, 5, ecsemu.Tag{TagKey: "team", TagValue: "db"})
	untagged := env.AddRunning(t, 3)

	type row struct{ id, key, value string }
	list := func(t *testing.T, setup func(r *ecs.ListTagResourcesRequest)) []row {
		t.Helper()
		c := newClient(t, env, "")
		var rows []row
		token := ""
		for pages := 0; ; pages++ {
			req := ecs.CreateListTagResourcesRequest()
			req.ResourceType = "instance"
			setup(req)
			req.NextToken = token
			resp, err := c.ListTagResources(req)
			require.NoError(t, err)
			assert.LessOrEqual(t, len(resp.TagResources.TagResource), 50)
			for _, tr := range resp.TagResources.TagResource {
				assert.Equal(t, "instance", tr.ResourceType)
				rows = append(rows, row{tr.ResourceId, tr.TagKey, tr.TagValue})
			}
			if token = resp.NextToken; token == "" {
				break
			}
			require.Less(t, pages, 10)
		}
		return rows
	}
	ids := func(rows []row) []string {
		seen := map[string]bool{}
		var out []string
		for _, r := range rows {
			if !seen[r.id] {
				seen[r.id] = true
				out = append(out, r.id)
			}
		}
		sort.Strings(out)
		return out
	}
	sorted := func(in ...[]string) []string {
		var out []string
		for _, s := range in {
			out = append(out, s...)
		}
		sort.Strings(out)
		return out
	}

	t.Run("Tag key and value, paged with NextToken", func(t *testing.T) {
		t.Parallel()
		rows := list(t, func(r *ecs.ListTagResourcesRequest) { r.Tag = &[]ecs.ListTagResourcesTag{{Key: "team", Value: "ci"}} })
		assert.Len(t, rows, 60, "one row per (resource, tag): 30 instances × 2 tags, over two pages")
		assert.Equal(t, sorted(team), ids(rows))
		count := map[row]int{}
		for _, r := range rows {
			count[r]++
		}
		for r, n := range count {
			assert.Equal(t, 1, n, "row %v seen once", r)
		}
	})
	t.Run("Tag key only", func(t *testing.T) {
		t.Parallel()
		rows := list(t, func(r *ecs.ListTagResourcesRequest) { r.Tag = &[]ecs.ListTagResourcesTag{{Key: "team"}} })
		assert.Equal(t, sorted(team, other), ids(rows))
	})
	t.Run("ResourceId", func(t *testing.T) {
		t.Parallel()
		rows := list(t, func(r *ecs.ListTagResourcesRequest) { r.ResourceId = &[]string{team[0], other[0], untagged[0]} })
		assert.ElementsMatch(t, []row{{team[0], "team", "ci"}, {team[0], "env", "prod"}, {other[0], "team", "db"}}, rows)
	})
	t.Run("TagFilter with *", func(t *testing.T) {
		t.Parallel()
		rows := list(t, func(r *ecs.ListTagResourcesRequest) {
			r.TagFilter = &[]ecs.ListTagResourcesTagFilter{{TagKey: "team", TagValues: &[]string{"d*"}}}
		})
		assert.Equal(t, sorted(other), ids(rows))
	})
	t.Run("first page has a NextToken", func(t *testing.T) {
		t.Parallel()
		c := newClient(t, env, "")
		req := ecs.CreateListTagResourcesRequest()
		req.ResourceType = "instance"
		req.Tag = &[]ecs.ListTagResourcesTag{{Key: "env", Value: "prod"}, {Key: "team", Value: "ci"}}
		resp, err := c.ListTagResources(req)
		require.NoError(t, err)
		assert.Len(t, resp.TagResources.TagResource, 50)
		assert.NotEmpty(t, resp.NextToken)
	})
	errs := []struct {
		name   string
		setup  func(r *ecs.ListTagResourcesRequest)
		status int
		code   string
	}{
		{"no selector", func(r *ecs.ListTagResourcesRequest) {}, 400, "MissingParameter"},
		{"bad NextToken", func(r *ecs.ListTagResourcesRequest) {
			r.ResourceId = &[]string{team[0]}
			r.NextToken = "garbage"
		}, 400, "InvalidParameter.NextToken"},
		{"51 ResourceIds", func(r *ecs.ListTagResourcesRequest) { ids := manyIDs(51); r.ResourceId = &ids }, 400, "NumberExceed.ResourceIds"},
		{"Tag with TagFilter", func(r *ecs.ListTagResourcesRequest) {
			r.Tag = &[]ecs.ListTagResourcesTag{{Key: "team", Value: "ci"}}
			r.TagFilter = &[]ecs.ListTagResourcesTagFilter{{TagKey: "env"}}
		}, 400, "InvalidParameter"},
		{"bad ResourceType", func(r *ecs.ListTagResourcesRequest) {
			r.ResourceType = "bucket"
			r.ResourceId = &[]string{team[0]}
		}, 404, "InvalidResourceType.NotFound"},
	}
	for _, tc := range errs {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c := newClient(t, env, "")
			req := ecs.CreateListTagResourcesRequest()
			req.ResourceType = "instance"
			tc.setup(req)
			_, err := c.ListTagResources(req)
			requireServerError(t, err, tc.status, tc.code)
		})
	}
}

// Releasing what a listing found, page by page, is the natural way to use
// ListTagResources; the rest of the listing must still be seen.
func TestListTagResourcesReleaseBetweenPages(t *testing.T) {
	t.Parallel()
	env := start(t, ecsemu.Options{})
	// 3 tags each: 120 rows, pages of 50 cut through an instance's rows.
	ids := env.AddRunning(t, 40, ecsemu.Tag{TagKey: "team", TagValue: "ci"},
		ecsemu.Tag{TagKey: "a", TagValue: "1"}, ecsemu.Tag{TagKey: "b", TagValue: "2"})
	rows := map[string]int{}
	token := ""
	for page := 0; ; page++ {
		req := ecs.CreateListTagResourcesRequest()
		req.ResourceType = "instance"
		req.Tag = &[]ecs.ListTagResourcesTag{{Key: "team", Value: "ci"}}
		req.NextToken = token
		resp, err := env.Client.ListTagResources(req)
		require.NoError(t, err)
		var found []string
		for _, tr := range resp.TagResources.TagResource {
			key := tr.ResourceId + "/" + tr.TagKey
			rows[key]++
			if tr.TagKey == "b" { // an instance's last row: release it
				found = append(found, tr.ResourceId)
			}
		}
		if len(found) > 0 {
			dreq := ecs.CreateDeleteInstancesRequest()
			dreq.InstanceId = &found
			dreq.Force = requests.NewBoolean(true)
			_, err = env.Client.DeleteInstances(dreq)
			require.NoError(t, err)
		}
		if token = resp.NextToken; token == "" {
			break
		}
		require.Less(t, page, 10)
	}
	for _, id := range ids {
		for _, k := range []string{"team", "a", "b"} {
			assert.Equal(t, 1, rows[id+"/"+k], "row %s/%s seen exactly once", id, k)
		}
	}
	assert.Empty(t, env.Emu.Instances(), "every instance was found and released")
}
