package ecsemu_test

import (
	"fmt"
	"net/http"
	"sort"

	"testing"

	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/requests"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/ecs"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/fc-ecs-release/fc-ecs-release/internal/ecsemu"
	"github.com/fc-ecs-release/fc-ecs-release/internal/ecsemu/ecsemutest"
)

// filterFleet is a small fleet with distinct names, statuses, charge types
// and tags.
func filterFleet() []ecsemu.Instance {
	tags := func(kv ...string) ecsemu.TagSet {
		var s ecsemu.TagSet
		for i := 0; i < len(kv); i += 2 {
			s.Tag = append(s.Tag, ecsemu.Tag{TagKey: kv[i], TagValue: kv[i+1]})
		}
		return s
	}
	return []ecsemu.Instance{
		{InstanceId: "i-weba", InstanceName: "web-1", Status: ecsemu.StatusRunning, Tags: tags("env", "prod", "team", "ci")},
		{InstanceId: "i-webb", InstanceName: "web-2", Status: ecsemu.StatusStopped, Tags: tags("env", "dev")},
		{InstanceId: "i-dba", InstanceName: "db-1", Status: ecsemu.StatusRunning, InstanceChargeType: ecsemu.PrePaid, Tags: tags("team", "db")},
		{InstanceId: "i-batch", InstanceName: "batch-x", Status: ecsemu.StatusStopped, Tags: tags("auto-release", "")},
	}
}

func TestDescribeInstancesFilters(t *testing.T) {
	t.Parallel()
	type tag = ecs.DescribeInstancesTag
	cases := []struct {
		name  string
		setup func(r *ecs.DescribeInstancesRequest)
		want  []string
	}{
		{"no filter", func(r *ecs.DescribeInstancesRequest) {}, []string{"i-weba", "i-webb", "i-dba", "i-batch"}},
		{"InstanceIds", func(r *ecs.DescribeInstancesRequest) { r.InstanceIds = jsonList("i-dba", "i-weba") }, []string{"i-weba", "i-dba"}},
		{"InstanceIds with an unknown ID", func(r *ecs.DescribeInstancesRequest) { r.InstanceIds = jsonList("i-weba", "i-nosuch") }, []string{"i-weba"}},
		{"InstanceIds empty array", func(r *ecs.DescribeInstancesRequest) { r.InstanceIds = "[]" }, nil},
		{"Status Stopped", func(r *ecs.DescribeInstancesRequest) { r.Status = ecsemu.StatusStopped }, []string{"i-webb", "i-batch"}},
		{"Status Running", func(r *ecs.DescribeInstancesRequest) { r.Status = ecsemu.StatusRunning }, []string{"i-weba", "i-dba"}},
		{"Tag key and value", func(r *ecs.DescribeInstancesRequest) { r.Tag = &[]tag{{Key: "env", Value: "prod"}} }, []string{"i-weba"}},
		{"Tag key only", func(r *ecs.DescribeInstancesRequest) { r.Tag = &[]tag{{Key: "env"}} }, []string{"i-weba", "i-webb"}},
		{"Tag key only, empty tag value", func(r *ecs.DescribeInstancesRequest) { r.Tag = &[]tag{{Key: "auto-release"}} }, []string{"i-batch"}},
		{"two tags are ANDed", func(r *ecs.DescribeInstancesRequest) {
			r.Tag = &[]tag{{Key: "env", Value: "prod"}, {Key: "team", Value: "ci"}}
		}, []string{"i-weba"}},
		{"Tag value mismatch", func(r *ecs.DescribeInstancesRequest) { r.Tag = &[]tag{{Key: "env", Value: "staging"}} }, nil},
		{"InstanceName prefix *", func(r *ecs.DescribeInstancesRequest) { r.InstanceName = "web-*" }, []string{"i-weba", "i-webb"}},
		{"InstanceName suffix *", func(r *ecs.DescribeInstancesRequest) { r.InstanceName = "*-1" }, []string{"i-weba", "i-dba"}},
		{"InstanceName middle *", func(r *ecs.DescribeInstancesRequest) { r.InstanceName = "b*-x" }, []string{"i-batch"}},
		{"InstanceName exact", func(r *ecs.DescribeInstancesRequest) { r.InstanceName = "db-1" }, []string{"i-dba"}},
		{"InstanceName exact, no wildcard means no prefix match", func(r *ecs.DescribeInstancesRequest) { r.InstanceName = "web" }, nil},
		{"InstanceChargeType PrePaid", func(r *ecs.DescribeInstancesRequest) { r.InstanceChargeType = ecsemu.PrePaid }, []string{"i-dba"}},
		{"InstanceChargeType PostPaid and Status", func(r *ecs.DescribeInstancesRequest) {
			r.InstanceChargeType = ecsemu.PostPaid
			r.Status = ecsemu.StatusRunning
		}, []string{"i-weba"}},
		{"ZoneId of another zone", func(r *ecs.DescribeInstancesRequest) { r.ZoneId = region + "-z" }, nil},
	}
	env := start(t, ecsemu.Options{})
	env.AddFleet(t, filterFleet()...)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c := newClient(t, env, "")
			req := ecs.CreateDescribeInstancesRequest()
			req.PageSize = requests.NewInteger(100)
			tc.setup(req)
			resp, err := c.DescribeInstances(req)
			require.NoError(t, err)
			var got []string
			for _, in := range resp.Instances.Instance {
				got = append(got, in.InstanceId)
			}
			assert.Equal(t, tc.want, got)
			assert.Equal(t, len(tc.want), resp.TotalCount)
			assert.NotEmpty(t, resp.RequestId)
		})
	}
}

func TestDescribeInstancesFields(t *testing.T) {
	t.Parallel()
	env := start(t, ecsemu.Options{})
	env.AddFleet(t, filterFleet()...)
	env.AddFleet(t, ecsemu.Instance{
		InstanceId: "i-locked", InstanceName: "locked", DeletionProtection: true,
		CreationTime: "2026-11-25T08:00Z", AutoReleaseTime: "2026-11-27T09:30:00Z",
		OperationLocks: ecsemu.LockSet{LockReason: []ecsemu.LockReason{{LockReason: "security"}}},
	})

	web := describe(t, env.Client, "i-weba")
	require.NotNil(t, web)
	assert.Equal(t, "web-1", web.InstanceName)
	assert.Equal(t, ecsemu.StatusRunning, web.Status)
	assert.Equal(t, ecsemu.PostPaid, web.InstanceChargeType)
	assert.Equal(t, region, web.RegionId)
	assert.Equal(t, region+"-a", web.ZoneId)
	assert.Equal(t, "Not-applicable", web.StoppedMode)
	assert.False(t, web.DeletionProtection)
	assert.Equal(t, "", web.AutoReleaseTime)
	assert.Equal(t, minute(ecsemutest.Epoch), web.CreationTime)
	assert.Equal(t, []ecs.Tag{{TagKey: "env", TagValue: "prod"}, {TagKey: "team", TagValue: "ci"}}, web.Tags.Tag)
	assert.NotNil(t, web.OperationLocks.LockReason, "an empty lock list is still a wrapper with an array")
	assert.Empty(t, web.OperationLocks.LockReason)

	stopped := describe(t, env.Client, "i-webb")
	require.NotNil(t, stopped)
	assert.Equal(t, "KeepCharging", stopped.StoppedMode)

	pre := describe(t, env.Client, "i-dba")
	require.NotNil(t, pre)
	assert.Equal(t, ecsemu.PrePaid, pre.InstanceChargeType)
	assert.Equal(t, "2027-11-26T12:00Z", pre.ExpiredTime, "a PrePaid instance expires a year after creation by default")

	locked := describe(t, env.Client, "i-locked")
	require.NotNil(t, locked)
	assert.True(t, locked.DeletionProtection)
	assert.Equal(t, "2026-11-25T08:00Z", locked.CreationTime)
	assert.Equal(t, "2026-11-27T09:30Z", locked.AutoReleaseTime)
	require.Len(t, locked.OperationLocks.LockReason, 1)
	assert.Equal(t, "security", locked.OperationLocks.LockReason[0].LockReason)

	// LockReason filter.
	req := ecs.CreateDescribeInstancesRequest()
	req.LockReason = "security"
	resp, err := env.Client.DescribeInstances(req)
	require.NoError(t, err)
	require.Len(t, resp.Instances.Instance, 1)
	assert.Equal(t, "i-locked", resp.Instances.Instance[0].InstanceId)
}

func TestDescribeInstancesRegion(t *testing.T) {
	t.Parallel()
	env := start(t, ecsemu.Options{})
	env.AddFleet(t, ecsemu.Instance{InstanceId: "i-hz"}, ecsemu.Instance{InstanceId: "i-sh", RegionId: "cn-shanghai"})
	sh := env.NewClient(t, "cn-shanghai", "")
	checkBodies(t, sh)

	resp, err := sh.DescribeInstances(ecs.CreateDescribeInstancesRequest())
	require.NoError(t, err)
	require.Len(t, resp.Instances.Instance, 1)
	assert.Equal(t, "i-sh", resp.Instances.Instance[0].InstanceId)

	// An instance of another region is not found through this region.
	_, err = sh.StopInstance(stopReq("i-hz"))
	requireServerError(t, err, http.StatusNotFound, "InvalidInstanceId.NotFound")
}

func TestDescribeInstancesErrors(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name   string
		setup  func(r *ecs.DescribeInstancesRequest)
		status int
		code   string
	}{
		{"101 InstanceIds", func(r *ecs.DescribeInstancesRequest) { r.InstanceIds = jsonList(manyIDs(101)...) }, 400, "InvalidParameter"},
		{"InstanceIds not JSON", func(r *ecs.DescribeInstancesRequest) { r.InstanceIds = "i-a,i-b" }, 400, "InvalidParameter"},
		{"unknown Status", func(r *ecs.DescribeInstancesRequest) { r.Status = "Sleeping" }, 404, "InvalidStatus.NotFound"},
		{"unknown InstanceChargeType", func(r *ecs.DescribeInstancesRequest) { r.InstanceChargeType = "Free" }, 404, "InvalidInstanceChargeType.NotFound"},
		{"unknown LockReason", func(r *ecs.DescribeInstancesRequest) { r.LockReason = "boredom" }, 404, "InvalidLockReason.NotFound"},
		{"PageSize 101", func(r *ecs.DescribeInstancesRequest) { r.PageSize = requests.NewInteger(101) }, 400, "InvalidParameter"},
		{"PageSize 0", func(r *ecs.DescribeInstancesRequest) { r.PageSize = requests.NewInteger(0) }, 400, "InvalidParameter"},
		{"PageNumber 0", func(r *ecs.DescribeInstancesRequest) { r.PageNumber = requests.NewInteger(0) }, 400, "InvalidParameter"},
		{"MaxResults 101", func(r *ecs.DescribeInstancesRequest) { r.MaxResults = requests.NewInteger(101) }, 400, "InvalidParameter"},
		{"NextToken not ours", func(r *ecs.DescribeInstancesRequest) { r.NextToken = "caeba0bbb2be03f84eb48b699f0a4883" }, 400, "InvalidParameter.NextToken"},
		{"21 tags", func(r *ecs.DescribeInstancesRequest) {
			tags := make([]ecs.DescribeInstancesTag, 21)
			for i := range tags {
				tags[i].Key = fmt.Sprintf("k%d", i)
			}
			r.Tag = &tags
		}, 400, "InvalidTagCount"},
		{"DryRun passes", func(r *ecs.DescribeInstancesRequest) { r.DryRun = requests.NewBoolean(true) }, 400, "DryRunOperation"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			env := start(t, ecsemu.Options{})
			env.AddRunning(t, 2)
			req := ecs.CreateDescribeInstancesRequest()
			tc.setup(req)
			_, err := env.Client.DescribeInstances(req)
			requireServerError(t, err, tc.status, tc.code)
			assert.Empty(t, env.Emu.MutatingCalls())
		})
	}
}

// bigFleet is the size of the pagination fleet: more than two full pages of
// 100.
const bigFleet = 253

func TestDescribeInstancesPageNumber(t *testing.T) {
	t.Parallel()
	env := start(t, ecsemu.Options{})
	ids := env.AddRunning(t, bigFleet)

	cases := []struct {
		name     string
		pageSize int // 0: not sent (default 10)
	}{
		{"PageSize 100", 100},
		{"PageSize 37", 37},
		{"default PageSize 10", 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c := newClient(t, env, "")
			size := tc.pageSize
			if size == 0 {
				size = 10
			}
			var seen []string
			for page := 1; ; page++ {
				req := ecs.CreateDescribeInstancesRequest()
				req.PageNumber = requests.NewInteger(page)
				if tc.pageSize != 0 {
					req.PageSize = requests.NewInteger(tc.pageSize)
				}
				resp, err := c.DescribeInstances(req)
				require.NoError(t, err)
				assert.Equal(t, bigFleet, resp.TotalCount)
				assert.Equal(t, page, resp.PageNumber)
				assert.Equal(t, size, resp.PageSize)
				if len(resp.Instances.Instance) == 0 {
					assert.Equal(t, (bigFleet+size-1)/size+1, page, "the first empty page follows the last full one")
					break
				}
				assert.LessOrEqual(t, len(resp.Instances.Instance), size)
				for _, in := range resp.Instances.Instance {
					seen = append(seen, in.InstanceId)
				}
				require.Less(t, page, 100, "pagination does not end")
			}
			assert.Equal(t, ids, seen, "every instance exactly once, in creation order")
		})
	}
}

func TestDescribeInstancesNextToken(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name       string
		maxResults int // 0: not sent
		// deleteAfterPage lists, per page number (1-based), the indexes into
		// the fleet released right after that page was read.
		deleteAfterPage map[int][]int
	}{
		{name: "MaxResults 100", maxResults: 100},
		{name: "MaxResults 7", maxResults: 7},
		{name: "deleted between pages", maxResults: 50, deleteAfterPage: map[int][]int{
			// 10: already seen; 50: the very instance the token points to;
			// 51, 120, 252: not yet seen (252 is the last one).
			1: {10, 50, 51, 120, 252},
			// 99: last of page 2; 100..102: the next token's target and after.
			2: {99, 100, 101, 102, 0},
			3: {200, 201, 202, 203, 204, 205, 206, 207, 208, 209},
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			env := start(t, ecsemu.Options{})
			ids := env.AddRunning(t, bigFleet)
			deleted := map[string]int{} // id → page after which it was deleted
			seenAt := map[string]int{}  // id → page it was seen on
			count := map[string]int{}
			token := ""
			for page := 1; ; page++ {
				req := ecs.CreateDescribeInstancesRequest()
				if tc.maxResults != 0 {
					req.MaxResults = requests.NewInteger(tc.maxResults)
				}
				req.NextToken = token
				// PageNumber is ignored once NextToken/MaxResults are in use.
				req.PageNumber = requests.NewInteger(3)
				resp, err := env.Client.DescribeInstances(req)
				require.NoError(t, err)
				assert.LessOrEqual(t, len(resp.Instances.Instance), tc.maxResults)
				for _, in := range resp.Instances.Instance {
					count[in.InstanceId]++
					seenAt[in.InstanceId] = page
				}
				var del []string
				for _, i := range tc.deleteAfterPage[page] {
					del = append(del, ids[i])
					deleted[ids[i]] = page
				}
				if len(del) > 0 {
					dreq := ecs.CreateDeleteInstancesRequest()
					dreq.InstanceId = &del
					dreq.Force = requests.NewBoolean(true)
					_, err := env.Client.DeleteInstances(dreq)
					require.NoError(t, err)
				}
				token = resp.NextToken
				if token == "" {
					break
				}
				require.Less(t, page, 100, "pagination does not end")
			}
			for _, id := range ids {
				when, wasDeleted := deleted[id]
				switch {
				case !wasDeleted:
					assert.Equal(t, 1, count[id], "surviving instance %s seen exactly once", id)
				case count[id] > 0:
					assert.Equal(t, 1, count[id], "deleted instance %s seen at most once", id)
					assert.LessOrEqual(t, seenAt[id], when, "deleted instance %s seen after its deletion", id)
				}
			}
			assert.Len(t, env.Emu.Instances(), bigFleet-len(deleted))
		})
	}
}

func TestDescribeInstanceStatus(t *testing.T) {
	t.Parallel()
	env := start(t, ecsemu.Options{})
	env.AddFleet(t, filterFleet()...)
	more := env.AddRunning(t, 60)

	t.Run("by InstanceId.N", func(t *testing.T) {
		t.Parallel()
		c := newClient(t, env, "")
		req := ecs.CreateDescribeInstanceStatusRequest()
		req.InstanceId = &[]string{"i-webb", "i-weba", "i-nosuch"}
		resp, err := c.DescribeInstanceStatus(req)
		require.NoError(t, err)
		assert.Equal(t, 2, resp.TotalCount)
		assert.Equal(t, []ecs.InstanceStatus{
			{InstanceId: "i-weba", Status: ecsemu.StatusRunning},
			{InstanceId: "i-webb", Status: ecsemu.StatusStopped},
		}, resp.InstanceStatuses.InstanceStatus)
	})
	t.Run("pages of 50", func(t *testing.T) {
		t.Parallel()
		c := newClient(t, env, "")
		var seen []string
		for page := 1; page <= 3; page++ {
			req := ecs.CreateDescribeInstanceStatusRequest()
			req.PageSize = requests.NewInteger(50)
			req.PageNumber = requests.NewInteger(page)
			resp, err := c.DescribeInstanceStatus(req)
			require.NoError(t, err)
			assert.Equal(t, 64, resp.TotalCount)
			assert.Equal(t, page, resp.PageNumber)
			assert.Equal(t, 50, resp.PageSize)
			for _, s := range resp.InstanceStatuses.InstanceStatus {
				seen = append(seen, s.InstanceId)
			}
		}
		assert.Equal(t, append([]string{"i-weba", "i-webb", "i-dba", "i-batch"}, more...), seen)
	})
	t.Run("default page is 10", func(t *testing.T) {
		t.Parallel()
		c := newClient(t, env, "")
		resp, err := c.DescribeInstanceStatus(ecs.CreateDescribeInstanceStatusRequest())
		require.NoError(t, err)
		assert.Len(t, resp.InstanceStatuses.InstanceStatus, 10)
		assert.Equal(t, 1, resp.PageNumber)
		assert.Equal(t, 10, resp.PageSize)
	})
	t.Run("PageSize 51", func(t *testing.T) {
		t.Parallel()
		c := newClient(t, env, "")
		req := ecs.CreateDescribeInstanceStatusRequest()
		req.PageSize = requests.NewInteger(51)
		_, err := c.DescribeInstanceStatus(req)
		requireServerError(t, err, 400, "InvalidParameter")
	})
	t.Run("101 InstanceId", func(t *testing.T) {
		t.Parallel()
		c := newClient(t, env, "")
		req := ecs.CreateDescribeInstanceStatusRequest()
		ids := manyIDs(101)
		req.InstanceId = &ids
		_, err := c.DescribeInstanceStatus(req)
		requireServerError(t, err, 403, "InvalidParameter.ToManyInstanceIds")
	})
}

func TestDescribeInstanceAttribute(t *testing.T) {
	t.Parallel()
	env := start(t, ecsemu.Options{})
	env.AddFleet(t, filterFleet()...)

	t.Run("found", func(t *testing.T) {
		t.Parallel()
		c := newClient(t, env, "")
		req := ecs.CreateDescribeInstanceAttributeRequest()
		req.InstanceId = "i-dba"
		resp, err := c.DescribeInstanceAttribute(req)
		require.NoError(t, err)
		assert.Equal(t, "i-dba", resp.InstanceId)
		assert.Equal(t, "db-1", resp.InstanceName)
		assert.Equal(t, ecsemu.StatusRunning, resp.Status)
		assert.Equal(t, ecsemu.PrePaid, resp.InstanceChargeType)
		assert.Equal(t, region, resp.RegionId)
		assert.Equal(t, "ecs.g7.large", resp.InstanceType)
		assert.Equal(t, 2, resp.Cpu)
		assert.Equal(t, 8192, resp.Memory)
		assert.Equal(t, minute(ecsemutest.Epoch), resp.CreationTime)
		assert.NotEmpty(t, resp.VpcAttributes.VpcId)
		assert.NotEmpty(t, resp.VpcAttributes.PrivateIpAddress.IpAddress)
		assert.NotEmpty(t, resp.SecurityGroupIds.SecurityGroupId)
		assert.NotEmpty(t, resp.RequestId)
	})
	t.Run("not found", func(t *testing.T) {
		t.Parallel()
		c := newClient(t, env, "")
		req := ecs.CreateDescribeInstanceAttributeRequest()
		req.InstanceId = "i-nosuch"
		_, err := c.DescribeInstanceAttribute(req)
		requireServerError(t, err, 404, "InvalidInstanceId.NotFound")
	})
	t.Run("InstanceId missing", func(t *testing.T) {
		t.Parallel()
		c := newClient(t, env, "")
		_, err := c.DescribeInstanceAttribute(ecs.CreateDescribeInstanceAttributeRequest())
		requireServerError(t, err, 400, "MissingParameter")
	})
}

// sortedIDs returns the IDs of instances, sorted.
func sortedIDs(list []ecsemu.Instance) []string {
	out := make([]string, len(list))
	for i, in := range list {
		out[i] = in.InstanceId
	}
	sort.Strings(out)
	return out
}
