package ecsemu_test

// The hazards of the real cloud the emulator models (docs/emulator.md,
// "Hazards the emulator models"): Auto Scaling groups and ACK node pools
// replacing what a caller stops or releases, economical mode and stock,
// spot interruptions and their events, operation locks, regions. Every
// behaviour is driven through the real SDK over HTTP (or the admin API),
// and time moves with Advance.

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	ecs7 "github.com/alibabacloud-go/ecs-20140526/v7/client"
	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/requests"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/ecs"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/fc-ecs-release/fc-ecs-release/internal/ecsemu"
	"github.com/fc-ecs-release/fc-ecs-release/internal/ecsemu/ecsemutest"
)

// otherRegion is a second region for the cross-region tests.
const otherRegion = ecsemutest.OtherRegion

func tagSet(kv ...string) ecsemu.TagSet {
	var s ecsemu.TagSet
	for i := 0; i+1 < len(kv); i += 2 {
		s.Tag = append(s.Tag, ecsemu.Tag{TagKey: kv[i], TagValue: kv[i+1]})
	}
	return s
}

func sdkTags(in *ecs.Instance) map[string]string {
	out := map[string]string{}
	for _, t := range in.Tags.Tag {
		out[t.TagKey] = t.TagValue
	}
	return out
}

func stopWith(c *ecs.Client, id, mode string) error {
	r := stopReq(id)
	r.StoppedMode = mode
	_, err := c.StopInstance(r)
	return err
}

func exists(env *ecsemutest.Env, id string) bool {
	_, ok := env.Emu.Instance(id)
	return ok
}

// --- Auto Scaling -----------------------------------------------------------

func TestHazardScalingGroupReplacesAndReleases(t *testing.T) {
	t.Parallel()
	env := start(t, ecsemu.Options{StopDelay: 30 * time.Second, PendingDelay: 10 * time.Second, StartDelay: 20 * time.Second})
	member := func(id, creation string) ecsemu.Instance {
		in := ecsemu.Instance{InstanceId: id, InstanceType: "ecs.c7.large", Tags: tagSet(ecsemu.TagScalingGroup, "asg-web", "app", "web")}
		if creation != "" {
			in.AutoScaling = &ecsemu.AutoScalingMember{CreationType: creation, GracePeriod: "10m"}
		}
		return in
	}
	env.AddFleet(t, member("i-asg1", ""), member("i-asg2", ecsemu.CreationAutoCreated), member("i-asgman", ecsemu.CreationAttached))
	g, ok := env.Emu.ScalingGroup("asg-web")
	require.True(t, ok)
	assert.Equal(t, 3, g.DesiredCapacity, "one per member by default")
	assert.Equal(t, "10m0s", g.GracePeriod)
	assert.Equal(t, []ecsemu.ScalingMember{{"i-asg1", "AutoCreated"}, {"i-asg2", "AutoCreated"}, {"i-asgman", "Attached"}}, g.Members)
	assert.Equal(t, "asg-web", sdkTags(describe(t, env.Client, "i-asg1"))[ecsemu.TagScalingGroup], "the system tag is visible")

	// A stop by the caller: unhealthy, removed, replaced at once.
	require.NoError(t, stopWith(env.Client, "i-asg1", "StopCharging"))
	g, _ = env.Emu.ScalingGroup("asg-web")
	assert.Equal(t, []string{"i-asg1"}, g.Unhealthy)
	require.Len(t, g.Launched, 1)
	repl := g.Launched[0]
	assert.Equal(t, []ecsemu.ScalingMember{{"i-asg2", "AutoCreated"}, {"i-asgman", "Attached"}, {repl, "AutoCreated"}}, g.Members)
	in := describe(t, env.Client, repl)
	require.NotNil(t, in, "the replacement is a new instance, as RunInstances makes it")
	assert.Equal(t, ecsemu.StatusPending, in.Status)
	assert.Equal(t, "ecs.c7.large", in.InstanceType)
	assert.Equal(t, map[string]string{ecsemu.TagScalingGroup: "asg-web", "app": "web"}, sdkTags(in))
	require.NoError(t, env.Emu.Advance(30*time.Second))
	assert.Equal(t, ecsemu.StatusRunning, describe(t, env.Client, repl).Status)

	// The stopped AutoCreated member lives out the grace period, then
	// Auto Scaling releases it.
	require.NoError(t, env.Emu.Advance(10*time.Minute-30*time.Second-time.Second))
	assert.Equal(t, ecsemu.StatusStopped, describe(t, env.Client, "i-asg1").Status, "not released before the grace period")
	require.NoError(t, env.Emu.Advance(time.Second))
	assert.Nil(t, describe(t, env.Client, "i-asg1"), "released after the grace period")
	g, _ = env.Emu.ScalingGroup("asg-web")
	assert.Equal(t, []string{"i-asg1"}, g.Released)
	assert.Len(t, g.Launched, 1, "its release launches nothing more")

	// An Attached member is only detached: tag removed, left as it is.
	require.NoError(t, stopWith(env.Client, "i-asgman", "KeepCharging"))
	require.NoError(t, env.Emu.Advance(time.Hour))
	man := describe(t, env.Client, "i-asgman")
	require.NotNil(t, man, "a manually attached member is never released")
	assert.Equal(t, ecsemu.StatusStopped, man.Status)
	assert.Equal(t, map[string]string{"app": "web"}, sdkTags(man))
	g, _ = env.Emu.ScalingGroup("asg-web")
	assert.Equal(t, []string{"i-asgman"}, g.Detached)
	assert.Len(t, g.Launched, 2)

	// A release through the API also triggers a replacement (desired
	// capacity).
	_, err := env.Client.DeleteInstance(deleteReq("i-asg2", true))
	require.NoError(t, err)
	g, _ = env.Emu.ScalingGroup("asg-web")
	require.Len(t, g.Launched, 3)
	assert.Len(t, g.Members, 3, "desired capacity kept")
	assert.Equal(t, []string{"i-asg1"}, g.Released, "Released lists Auto Scaling's releases only")

	// The system tag cannot be set or removed through the API.
	tr := ecs.CreateTagResourcesRequest()
	tr.ResourceType, tr.ResourceId = "instance", &[]string{repl}
	tr.Tag = &[]ecs.TagResourcesTag{{Key: ecsemu.TagScalingGroup, Value: "asg-other"}}
	_, err = env.Client.TagResources(tr)
	requireServerError(t, err, 400, "InvalidTagKey.Malformed")
	ur := ecs.CreateUntagResourcesRequest()
	ur.ResourceType, ur.ResourceId, ur.TagKey = "instance", &[]string{repl}, &[]string{ecsemu.TagScalingGroup}
	_, err = env.Client.UntagResources(ur)
	requireServerError(t, err, 400, "InvalidTagKey.Malformed")
	ur = ecs.CreateUntagResourcesRequest()
	ur.ResourceType, ur.ResourceId, ur.All = "instance", &[]string{repl}, requests.NewBoolean(true)
	_, err = env.Client.UntagResources(ur)
	require.NoError(t, err)
	assert.Equal(t, map[string]string{ecsemu.TagScalingGroup: "asg-web"}, sdkTags(describe(t, env.Client, repl)), "All spares system tags")
}

func TestHazardScalingGroupConfiguration(t *testing.T) {
	t.Parallel()
	env := start(t, ecsemu.Options{})
	env.AddFleet(t, ecsemu.Instance{InstanceId: "i-g1", Tags: tagSet(ecsemu.TagScalingGroup, "asg-1"),
		AutoScaling: &ecsemu.AutoScalingMember{DesiredCapacity: new(3)}})
	g, _ := env.Emu.ScalingGroup("asg-1")
	assert.Equal(t, 3, g.DesiredCapacity)
	assert.Len(t, g.Launched, 2, "a desired capacity above the fleet's members launches the difference")
	assert.Equal(t, ecsemu.DefaultScalingGracePeriod.String(), g.GracePeriod)

	// The library and the admin API change a group.
	require.NoError(t, env.Emu.ConfigureScalingGroup("asg-1", ecsemu.ScalingGroupConfig{DesiredCapacity: new(4)}))
	g, _ = env.Emu.ScalingGroup("asg-1")
	assert.Len(t, g.Members, 4)
	code, m := admin(t, env, "POST", "scaling-group?scalingGroupId=asg-1&gracePeriod=90s", "")
	require.Equal(t, 200, code, "%v", m)
	assert.Equal(t, "1m30s", m["GracePeriod"])
	require.NoError(t, stopWith(env.Client, "i-g1", "KeepCharging"))
	require.NoError(t, env.Emu.Advance(90*time.Second))
	assert.False(t, exists(env, "i-g1"), "released after the new grace period")
	code, m = admin(t, env, "GET", "scaling-groups", "")
	require.Equal(t, 200, code)
	groups := m["ScalingGroups"].([]any)
	require.Len(t, groups, 1)
	assert.Equal(t, []any{"i-g1"}, groups[0].(map[string]any)["Released"])
	code, _ = admin(t, env, "POST", "scaling-group?scalingGroupId=asg-nosuch&desiredCapacity=1", "")
	assert.Equal(t, 404, code)
	code, _ = admin(t, env, "POST", "scaling-group?scalingGroupId=asg-1&desiredCapacity=-1", "")
	assert.Equal(t, 400, code)

	// Members of one group must agree on the group's settings.
	_, err := env.Emu.AddInstances([]ecsemu.Instance{
		{Tags: tagSet(ecsemu.TagScalingGroup, "asg-2"), AutoScaling: &ecsemu.AutoScalingMember{GracePeriod: "1m"}},
		{Tags: tagSet(ecsemu.TagScalingGroup, "asg-2"), AutoScaling: &ecsemu.AutoScalingMember{GracePeriod: "2m"}},
	})
	assert.ErrorContains(t, err, "disagree on GracePeriod")
	_, err = env.Emu.AddInstances([]ecsemu.Instance{{RegionId: otherRegion, Tags: tagSet(ecsemu.TagScalingGroup, "asg-1")}})
	assert.ErrorContains(t, err, "region")
}

// --- ACK node pools ---------------------------------------------------------

func TestHazardNodePoolRefills(t *testing.T) {
	t.Parallel()
	const refill = 3 * time.Minute
	env := start(t, ecsemu.Options{NodePoolRefillDelay: refill, StopDelay: 10 * time.Second})
	node := func(id, pool string) ecsemu.Instance {
		tags := tagSet(ecsemu.TagACKCluster, "c-k8s1", "team", "ml")
		if pool != "" {
			tags.Tag = append(tags.Tag, ecsemu.Tag{TagKey: ecsemu.TagACKNodePool, TagValue: pool})
		}
		return ecsemu.Instance{InstanceId: id, InstanceType: "ecs.g7.xlarge", Tags: tags}
	}
	env.AddFleet(t, node("i-node1", "np-gpu"), node("i-node2", "np-gpu"), node("i-loose", ""))
	pools := env.Emu.NodePools()
	require.Len(t, pools, 1)
	assert.Equal(t, ecsemu.NodePool{ClusterId: "c-k8s1", NodePoolId: "np-gpu", RegionId: region, Replaced: []string{}, Launched: []string{}}, pools[0])

	count := func() int { return len(env.Emu.Instances()) }
	require.NoError(t, stopWith(env.Client, "i-node1", "StopCharging"))
	p, _ := env.Emu.NodePool("np-gpu")
	assert.Equal(t, []string{"i-node1"}, p.Replaced)
	assert.Equal(t, 1, p.Pending)
	require.NoError(t, env.Emu.Advance(refill-time.Second))
	assert.Equal(t, 3, count(), "no new node before the refill delay")
	require.NoError(t, env.Emu.Advance(time.Second))
	p, _ = env.Emu.NodePool("np-gpu")
	require.Len(t, p.Launched, 1)
	assert.Zero(t, p.Pending)
	n := describe(t, env.Client, p.Launched[0])
	require.NotNil(t, n)
	assert.Equal(t, map[string]string{ecsemu.TagACKCluster: "c-k8s1", ecsemu.TagACKNodePool: "np-gpu", "team": "ml"}, sdkTags(n))
	assert.Equal(t, "ecs.g7.xlarge", n.InstanceType)
	assert.Equal(t, ecsemu.StatusStopped, describe(t, env.Client, "i-node1").Status, "the stopped node is left as it is")

	// A node released through the API is replaced too; a node already
	// replaced is not replaced again; a node of no pool is not replaced.
	_, err := env.Client.DeleteInstance(deleteReq("i-node2", true))
	require.NoError(t, err)
	_, err = env.Client.DeleteInstance(deleteReq("i-node1", false))
	require.NoError(t, err)
	require.NoError(t, stopWith(env.Client, "i-loose", "KeepCharging"))
	require.NoError(t, env.Emu.Advance(refill))
	p, _ = env.Emu.NodePool("np-gpu")
	assert.Equal(t, []string{"i-node1", "i-node2"}, p.Replaced)
	assert.Len(t, p.Launched, 2)
	code, m := admin(t, env, "GET", "node-pools", "")
	require.Equal(t, 200, code)
	assert.Len(t, m["NodePools"], 1)
}

// --- Economical mode and stock ---------------------------------------------

func TestHazardEconomicalMode(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name  string
		in    ecsemu.Instance
		mode  string // StoppedMode sent
		code  string // "": stopped
		after string // StoppedMode once Stopped
	}{
		{"general purpose", ecsemu.Instance{}, "StopCharging", "", "StopCharging"},
		{"compute-intensive ic5 has no local disks", ecsemu.Instance{InstanceType: "ecs.ic5.large"}, "StopCharging", "", "StopCharging"},
		{"local SSD i3", ecsemu.Instance{InstanceType: "ecs.i3.xlarge"}, "StopCharging", "InvalidInstanceId.NotSupport", ""},
		{"big data d2s", ecsemu.Instance{InstanceType: "ecs.d2s.5xlarge"}, "StopCharging", "InvalidInstanceId.NotSupport", ""},
		{"local SSD with KeepCharging", ecsemu.Instance{InstanceType: "ecs.i3.xlarge"}, "KeepCharging", "", "KeepCharging"},
		{"spot", ecsemu.Instance{SpotStrategy: ecsemu.SpotAsPriceGo}, "StopCharging", "InvalidInstanceId.NotSupport", ""},
		{"classic network", ecsemu.Instance{InstanceNetworkType: ecsemu.NetworkClassic}, "StopCharging", "", "Not-applicable"},
		{"PrePaid", ecsemu.Instance{InstanceChargeType: ecsemu.PrePaid}, "StopCharging", "", "KeepCharging"},
		{"GPU gn5", ecsemu.Instance{InstanceType: "ecs.gn5-c4g1.xlarge"}, "StopCharging", "", "KeepCharging"},
		{"memory re6", ecsemu.Instance{InstanceType: "ecs.re6.26xlarge"}, "StopCharging", "", "KeepCharging"},
		{"override: supported on i3", ecsemu.Instance{InstanceType: "ecs.i3.xlarge", EconomicalMode: ecsemu.EconomicalSupported}, "StopCharging", "", "StopCharging"},
		{"override: refused", ecsemu.Instance{EconomicalMode: ecsemu.EconomicalRefused}, "StopCharging", "InvalidInstanceId.NotSupport", ""},
		{"override: stops-keep-charging", ecsemu.Instance{EconomicalMode: ecsemu.EconomicalKeepCharging}, "StopCharging", "", "KeepCharging"},
		{"override: stops-not-applicable", ecsemu.Instance{EconomicalMode: ecsemu.EconomicalNotApplicable}, "StopCharging", "", "Not-applicable"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			env := start(t, ecsemu.Options{StopDelay: time.Minute})
			tc.in.InstanceId = "i-econ"
			env.AddFleet(t, tc.in)
			err := stopWith(env.Client, "i-econ", tc.mode)
			require.NoError(t, env.Emu.Advance(time.Minute))
			in := describe(t, env.Client, "i-econ")
			if tc.code != "" {
				requireServerError(t, err, 403, tc.code)
				assert.Equal(t, ecsemu.StatusRunning, in.Status, "a refused stop leaves it running")
				return
			}
			require.NoError(t, err)
			assert.Equal(t, ecsemu.StatusStopped, in.Status)
			assert.Equal(t, tc.after, in.StoppedMode)
		})
	}

	// StopInstances: AllTogether fails whole; SuccessFirst per instance.
	env := start(t, ecsemu.Options{})
	env.AddFleet(t, ecsemu.Instance{InstanceId: "i-ok"}, ecsemu.Instance{InstanceId: "i-local", InstanceType: "ecs.i2.xlarge"})
	req := ecs.CreateStopInstancesRequest()
	req.InstanceId, req.StoppedMode = &[]string{"i-ok", "i-local"}, "StopCharging"
	_, err := env.Client.StopInstances(req)
	requireServerError(t, err, 403, "InvalidInstanceId.NotSupport")
	assert.Equal(t, ecsemu.StatusRunning, status(t, env, "i-ok"), "nothing stopped")
	req = ecs.CreateStopInstancesRequest()
	req.InstanceId, req.StoppedMode, req.BatchOptimization = &[]string{"i-ok", "i-local"}, "StopCharging", "SuccessFirst"
	resp, err := env.Client.StopInstances(req)
	require.NoError(t, err)
	codes := map[string]string{}
	for _, r := range resp.InstanceResponses.InstanceResponse {
		codes[r.InstanceId] = r.Code
	}
	assert.Equal(t, map[string]string{"i-ok": "200", "i-local": "InvalidInstanceId.NotSupport"}, codes)

	// The admin endpoint overrides it, and the emulator's view shows it.
	in, _ := env.Emu.Instance("i-local")
	assert.Equal(t, ecsemu.EconomicalRefused, in.EconomicalMode)
	code, m := admin(t, env, "POST", "economical-mode?instanceId=i-local&mode=supported", "")
	require.Equal(t, 200, code, "%v", m)
	require.NoError(t, stopWith(env.Client, "i-local", "StopCharging"))
	code, _ = admin(t, env, "POST", "economical-mode?instanceId=i-local&mode=sometimes", "")
	assert.Equal(t, 400, code)
	code, _ = admin(t, env, "POST", "economical-mode?instanceId=i-nosuch&mode=refused", "")
	assert.Equal(t, 404, code)
}

func TestHazardNoStockAfterEconomicalStop(t *testing.T) {
	t.Parallel()
	env := start(t, ecsemu.Options{})
	env.AddFleet(t,
		ecsemu.Instance{InstanceId: "i-nostock", NoStockOnStart: true},
		ecsemu.Instance{InstanceId: "i-kept", NoStockOnStart: true},
		ecsemu.Instance{InstanceId: "i-later"},
	)
	require.NoError(t, stopWith(env.Client, "i-nostock", "StopCharging"))
	require.NoError(t, stopWith(env.Client, "i-kept", "KeepCharging"))
	require.NoError(t, stopWith(env.Client, "i-later", "StopCharging"))
	require.NoError(t, env.Emu.Advance(time.Minute))

	_, err := env.Client.StartInstance(startReq("i-nostock"))
	requireServerError(t, err, 403, "OperationDenied.NoStock")
	assert.Equal(t, ecsemu.StatusStopped, status(t, env, "i-nostock"))
	_, err = env.Client.StartInstance(startReq("i-kept"))
	require.NoError(t, err, "standard mode keeps the resources: the start has stock")

	// Opt in by the admin API; StartInstances SuccessFirst answers per instance.
	code, m := admin(t, env, "POST", "no-stock?instanceId=i-later&noStock=true", "")
	require.Equal(t, 200, code, "%v", m)
	req := ecs.CreateStartInstancesRequest()
	req.InstanceId, req.BatchOptimization = &[]string{"i-nostock", "i-later"}, "SuccessFirst"
	resp, err := env.Client.StartInstances(req)
	require.NoError(t, err)
	for _, r := range resp.InstanceResponses.InstanceResponse {
		assert.Equal(t, "OperationDenied.NoStock", r.Code, r.InstanceId)
		assert.Equal(t, ecsemu.StatusStopped, r.CurrentStatus)
	}
	// Stock back.
	require.NoError(t, env.Emu.SetNoStock("i-nostock", false))
	_, err = env.Client.StartInstance(startReq("i-nostock"))
	require.NoError(t, err)
}

// --- Spot interruptions and events -----------------------------------------

func TestHazardSpotInterruption(t *testing.T) {
	t.Parallel()
	env := start(t, ecsemu.Options{})
	keep := false
	env.AddFleet(t,
		ecsemu.Instance{InstanceId: "i-spot", InstanceName: "spot-1", SpotStrategy: ecsemu.SpotWithPriceLimit, SpotPriceLimit: 0.5,
			Disks: &ecsemu.FleetDiskSet{Disk: []ecsemu.FleetDisk{{Size: 100, DeleteWithInstance: &keep, DiskName: "scratch"}}}},
		ecsemu.Instance{InstanceId: "i-ondemand"},
	)
	in := describe(t, env.Client, "i-spot")
	assert.Equal(t, "SpotWithPriceLimit", in.SpotStrategy)
	assert.InDelta(t, 0.5, in.SpotPriceLimit, 1e-9)
	assert.Equal(t, 1, in.SpotDuration)
	assert.Equal(t, "Terminate", in.SpotInterruptionBehavior)
	assert.Equal(t, "NoSpot", describe(t, env.Client, "i-ondemand").SpotStrategy)

	var got []ecsemu.Event
	unsubscribe := env.Emu.Subscribe(func(ev ecsemu.Event) {
		got = append(got, ev)
		_, _ = env.Emu.Instance("i-spot") // a subscriber may call the emulator
	})
	defer unsubscribe()

	code, m := admin(t, env, "POST", "spot-interrupt?instanceId=i-spot", "")
	require.Equal(t, 200, code, "%v", m)
	assert.Equal(t, "2026-11-26T12:05:00Z", m["releaseAt"])

	// The lock, as DescribeInstances shows it and its filter finds it.
	in = describe(t, env.Client, "i-spot")
	assert.Equal(t, []ecs.LockReason{{LockReason: "Recycling"}}, in.OperationLocks.LockReason)
	dr := ecs.CreateDescribeInstancesRequest()
	dr.LockReason = "recycling"
	resp, err := env.Client.DescribeInstances(dr)
	require.NoError(t, err)
	require.Equal(t, 1, resp.TotalCount)
	assert.Equal(t, "i-spot", resp.Instances.Instance[0].InstanceId)
	requireServerError(t, stopWith(env.Client, "i-spot", "KeepCharging"), 403, "IncorrectInstanceStatus")

	// The event, to the subscriber, in both forms.
	require.Len(t, got, 1, "delivered before the admin call returned")
	ev := got[0]
	arn := "acs:ecs:cn-hangzhou:" + ecsemu.DefaultAccountID + ":instance/i-spot"
	var eb map[string]any
	raw, err := json.Marshal(ev)
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(raw, &eb))
	assert.NotEmpty(t, eb["id"])
	delete(eb, "id")
	assert.Equal(t, map[string]any{
		"source": "acs.ecs", "specversion": "1.0", "type": "ecs:Instance:PreemptibleInstanceInterruption",
		"subject": arn, "time": "2026-11-26T12:00:00Z", "datacontenttype": "application/json;charset=utf-8",
		"aliyunaccountid": ecsemu.DefaultAccountID, "aliyunpublishtime": "2026-11-26T12:00:00.000Z",
		"aliyuneventbusname": "default", "aliyunregionid": "cn-hangzhou",
		"data": map[string]any{"instanceId": "i-spot", "action": "delete"},
	}, eb)
	var cm map[string]any
	raw, err = json.Marshal(ev.CloudMonitor())
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(raw, &cm))
	assert.Equal(t, map[string]any{
		"id": ev.ID, "product": "ECS", "resourceId": arn, "level": "WARN", "instanceName": "spot-1",
		"regionId": "cn-hangzhou", "name": "Instance:PreemptibleInstanceInterruption", "userId": ecsemu.DefaultAccountID,
		"eventTime": "20261126T120000.000+0000", "content": map[string]any{"instanceId": "i-spot", "action": "delete"},
	}, cm)

	// The same, from GET /_emulator/events.
	code, m = admin(t, env, "GET", "events", "")
	require.Equal(t, 200, code)
	require.Len(t, m["events"], 1)
	assert.Equal(t, ev.ID, m["events"].([]any)[0].(map[string]any)["id"])
	assert.Equal(t, "i-spot", m["events"].([]any)[0].(map[string]any)["data"].(map[string]any)["instanceId"])
	code, m = admin(t, env, "GET", "events?format=cloudmonitor&type=ecs:Instance:PreemptibleInstanceInterruption", "")
	require.Equal(t, 200, code)
	require.Len(t, m["events"], 1)
	assert.Equal(t, cm, m["events"].([]any)[0])
	code, m = admin(t, env, "GET", "events?type=ecs:Instance:StateChange", "")
	require.Equal(t, 200, code)
	assert.Empty(t, m["events"])
	code, _ = admin(t, env, "GET", "events?format=xml", "")
	assert.Equal(t, 400, code)

	// Released five minutes later, not before; the kept disk survives.
	require.NoError(t, env.Emu.Advance(5*time.Minute-time.Second))
	assert.True(t, exists(env, "i-spot"), "not released before five minutes")
	require.NoError(t, env.Emu.Advance(time.Second))
	assert.False(t, exists(env, "i-spot"), "released five minutes after the notice")
	dd := ecs.CreateDescribeDisksRequest()
	dresp, err := env.Client.DescribeDisks(dd)
	require.NoError(t, err)
	var names []string
	for _, d := range dresp.Disks.Disk {
		if d.Status == "Available" {
			names = append(names, d.DiskName)
		}
	}
	assert.Equal(t, []string{"scratch"}, names, "disks as DeleteWithInstance says")

	// Not spot, unknown, twice: refused; nothing emitted.
	assert.ErrorContains(t, env.Emu.SpotInterrupt("i-ondemand"), "not a spot instance")
	code, _ = admin(t, env, "POST", "spot-interrupt?instanceId=i-ondemand", "")
	assert.Equal(t, 400, code)
	code, _ = admin(t, env, "POST", "spot-interrupt?instanceId=i-nosuch", "")
	assert.Equal(t, 404, code)
	assert.Len(t, env.Emu.Events(), 1)
	env.Emu.ResetEvents()
	assert.Empty(t, env.Emu.Events())
	unsubscribe()
	env.AddFleet(t, ecsemu.Instance{InstanceId: "i-spot2", SpotStrategy: ecsemu.SpotAsPriceGo})
	require.NoError(t, env.Emu.SpotInterrupt("i-spot2"))
	assert.ErrorContains(t, env.Emu.SpotInterrupt("i-spot2"), "already interrupted")
	assert.Len(t, got, 1, "an unsubscribed callback gets nothing")
	assert.Len(t, env.Emu.Events(), 1)
}

// An interrupted spot member of a scaling group is replaced when it goes.
func TestHazardSpotMemberReplaced(t *testing.T) {
	t.Parallel()
	env := start(t, ecsemu.Options{})
	env.AddFleet(t, ecsemu.Instance{InstanceId: "i-spotm", SpotStrategy: ecsemu.SpotAsPriceGo, Tags: tagSet(ecsemu.TagScalingGroup, "asg-spot")})
	require.NoError(t, env.Emu.SpotInterrupt("i-spotm"))
	g, _ := env.Emu.ScalingGroup("asg-spot")
	assert.Empty(t, g.Launched, "still in service during the notice")
	require.NoError(t, env.Emu.Advance(6*time.Minute))
	g, _ = env.Emu.ScalingGroup("asg-spot")
	require.Len(t, g.Launched, 1)
	in, _ := env.Emu.Instance(g.Launched[0])
	assert.Equal(t, ecsemu.StatusRunning, in.Status, "launched at the release, five minutes ago")
	assert.Equal(t, ecsemu.SpotAsPriceGo, in.SpotStrategy)
	assert.Empty(t, in.OperationLocks.LockReason)
}

// --- Operation locks --------------------------------------------------------

func TestHazardLockRefusals(t *testing.T) {
	t.Parallel()
	type want struct{ stop, start, modify string } // "" allowed
	const (
		sec   = "InstanceLockedForSecurity"
		money = "InstanceExpiredOrInArrears"
		state = "IncorrectInstanceStatus"
	)
	cases := map[string]want{
		"security":               {sec, sec, sec},
		"financial":              {money, money, ""},
		"dedicatedhostfinancial": {money, money, ""},
		"recycling":              {state, state, ""},
		"Recycling":              {state, state, ""},
		"refunded":               {state, state, ""},
	}
	require.ElementsMatch(t, ecsemu.LockReasons, slices.Collect(func(yield func(string) bool) {
		for k := range cases {
			if !yield(k) {
				return
			}
		}
	}), "every known reason is covered")
	for reason, w := range cases {
		for _, byAdmin := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s admin=%v", reason, byAdmin), func(t *testing.T) {
				t.Parallel()
				env := start(t, ecsemu.Options{})
				run, stopped := ecsemu.Instance{InstanceId: "i-run"}, ecsemu.Instance{InstanceId: "i-stopped", Status: ecsemu.StatusStopped}
				lock := ecsemu.LockSet{LockReason: []ecsemu.LockReason{{LockReason: reason}}}
				if !byAdmin {
					run.OperationLocks, stopped.OperationLocks = lock, lock
				}
				env.AddFleet(t, run, stopped)
				if byAdmin {
					code, m := admin(t, env, "POST", "lock?instanceId=i-run,i-stopped&reason="+reason+"&locked=true", "")
					require.Equal(t, 200, code, "%v", m)
				}
				check := func(what string, err error, code string) {
					if code == "" {
						assert.NoError(t, err, what)
						return
					}
					requireServerError(t, err, 403, code)
				}
				check("stop", stopWith(env.Client, "i-run", "KeepCharging"), w.stop)
				_, err := env.Client.StartInstance(startReq("i-stopped"))
				check("start", err, w.start)
				_, err = env.Client.ModifyInstanceAutoReleaseTime(autoReleaseReq("i-stopped", ts(env.Emu.Now().Add(time.Hour))))
				check("modify", err, w.modify)
				// No lock refuses a release.
				req := ecs.CreateDeleteInstancesRequest()
				req.InstanceId, req.Force = &[]string{"i-run", "i-stopped"}, requests.NewBoolean(true)
				_, err = env.Client.DeleteInstances(req)
				require.NoError(t, err)
				assert.Empty(t, env.Emu.Instances())
			})
		}
	}

	// The admin endpoint: unlock, unknown reason, unknown instance; the
	// security-lock endpoint still works.
	env := start(t, ecsemu.Options{})
	env.AddFleet(t, ecsemu.Instance{InstanceId: "i-a"})
	code, _ := admin(t, env, "POST", "lock?instanceId=i-a&reason=financial", "")
	require.Equal(t, 200, code)
	code, _ = admin(t, env, "POST", "security-lock?instanceId=i-a", "")
	require.Equal(t, 200, code)
	in, _ := env.Emu.Instance("i-a")
	assert.Equal(t, []ecsemu.LockReason{{LockReason: "financial"}, {LockReason: "security"}}, in.OperationLocks.LockReason)
	code, _ = admin(t, env, "POST", "lock?instanceId=i-a&reason=financial&locked=false", "")
	require.Equal(t, 200, code)
	in, _ = env.Emu.Instance("i-a")
	assert.Equal(t, []ecsemu.LockReason{{LockReason: "security"}}, in.OperationLocks.LockReason)
	code, m := admin(t, env, "POST", "lock?instanceId=i-a&reason=overdue", "")
	assert.Equal(t, 400, code)
	assert.Contains(t, m["error"], "dedicatedhostfinancial")
	code, _ = admin(t, env, "POST", "lock?instanceId=i-nosuch&reason=security", "")
	assert.Equal(t, 404, code)
	code, _ = admin(t, env, "POST", "lock?reason=security", "")
	assert.Equal(t, 400, code)
	assert.Error(t, env.Emu.SetLock("i-a", "overdue", true))
	_, err := env.Emu.AddInstances([]ecsemu.Instance{{OperationLocks: ecsemu.LockSet{LockReason: []ecsemu.LockReason{{LockReason: "overdue"}}}}})
	assert.ErrorContains(t, err, "overdue")
}

// DeleteInstance(s) of a security-locked instance release every disk,
// DeleteWithInstance or not (documented).
func TestHazardSecurityLockedReleaseTakesEveryDisk(t *testing.T) {
	t.Parallel()
	env := start(t, ecsemu.Options{})
	keep := false
	disks := &ecsemu.FleetDiskSet{Disk: []ecsemu.FleetDisk{{Size: 50, DeleteWithInstance: &keep}}}
	security := ecsemu.LockSet{LockReason: []ecsemu.LockReason{{LockReason: "security"}}}
	env.AddFleet(t,
		ecsemu.Instance{InstanceId: "i-locked", Status: ecsemu.StatusStopped, OperationLocks: security, Disks: disks},
		ecsemu.Instance{InstanceId: "i-plain", Status: ecsemu.StatusStopped, Disks: disks},
		ecsemu.Instance{InstanceId: "i-locked1", Status: ecsemu.StatusStopped, OperationLocks: security, Disks: disks},
	)
	attached := func(id string) (n int) {
		for _, d := range env.Emu.Disks() {
			if d.InstanceId == id {
				n++
			}
		}
		return n
	}
	available := func() (n int) {
		for _, d := range env.Emu.Disks() {
			if d.Status == ecsemu.DiskAvailable {
				n++
			}
		}
		return n
	}
	require.Equal(t, 2, attached("i-locked"))

	req := ecs.CreateDeleteInstancesRequest()
	req.InstanceId = &[]string{"i-locked"}
	_, err := env.Client.DeleteInstances(req)
	require.NoError(t, err, "a security lock does not refuse a release")
	assert.Zero(t, available(), "the kept data disk went with the security-locked instance")

	_, err = env.Client.DeleteInstance(deleteReq("i-plain", false))
	require.NoError(t, err)
	assert.Equal(t, 1, available(), "an unlocked instance's kept disk survives")

	_, err = env.Client.DeleteInstance(deleteReq("i-locked1", false))
	require.NoError(t, err)
	assert.Equal(t, 1, available(), "DeleteInstance too")
}

// --- Regions ----------------------------------------------------------------

// Every action that takes a RegionId reaches an instance, disk or
// snapshot only in its own region; the region-less ones find it anywhere
// unless a RegionId is sent.
func TestHazardRegionIsolation(t *testing.T) {
	t.Parallel()
	env := start(t, ecsemu.Options{StartDelay: time.Minute})
	env.AddFleet(t,
		ecsemu.Instance{InstanceId: "i-hz", Tags: tagSet("k", "v")},
		ecsemu.Instance{InstanceId: "i-sh", RegionId: otherRegion, Status: ecsemu.StatusStopped, Tags: tagSet("k", "v")},
	)
	sh := env.NewClient(t, otherRegion, "")
	checkBodies(t, sh)
	var shDisk string
	for _, d := range env.Emu.Disks() {
		if d.InstanceId == "i-sh" {
			shDisk = d.DiskId
			assert.Equal(t, otherRegion, d.RegionId)
			assert.Equal(t, otherRegion+"-a", d.ZoneId)
		}
	}
	_, err := sh.CreateSnapshot(snapshotReq(shDisk))
	require.NoError(t, err)

	hz := env.Client // cn-hangzhou
	// Describe*: the other region's resources are not there.
	// (A request is built per call: the SDK writes the client's region
	// into it.)
	di := func() *ecs.DescribeInstancesRequest {
		r := ecs.CreateDescribeInstancesRequest()
		r.InstanceIds = jsonList("i-hz", "i-sh")
		return r
	}
	resp, err := hz.DescribeInstances(di())
	require.NoError(t, err)
	require.Equal(t, 1, resp.TotalCount)
	assert.Equal(t, "i-hz", resp.Instances.Instance[0].InstanceId)
	resp, err = sh.DescribeInstances(di())
	require.NoError(t, err)
	require.Equal(t, 1, resp.TotalCount)
	assert.Equal(t, "i-sh", resp.Instances.Instance[0].InstanceId)
	sr := ecs.CreateDescribeInstanceStatusRequest()
	sr.InstanceId = &[]string{"i-sh"}
	sresp, err := hz.DescribeInstanceStatus(sr)
	require.NoError(t, err)
	assert.Zero(t, sresp.TotalCount)
	dd := func() *ecs.DescribeDisksRequest {
		r := ecs.CreateDescribeDisksRequest()
		r.InstanceId = "i-sh"
		return r
	}
	dresp, err := hz.DescribeDisks(dd())
	require.NoError(t, err)
	assert.Zero(t, dresp.TotalCount)
	dresp, err = sh.DescribeDisks(dd())
	require.NoError(t, err)
	assert.Equal(t, 1, dresp.TotalCount)
	ds := func() *ecs.DescribeSnapshotsRequest {
		r := ecs.CreateDescribeSnapshotsRequest()
		r.InstanceId = "i-sh"
		return r
	}
	snresp, err := hz.DescribeSnapshots(ds())
	require.NoError(t, err)
	assert.Zero(t, snresp.TotalCount)
	snresp, err = sh.DescribeSnapshots(ds())
	require.NoError(t, err)
	assert.Equal(t, 1, snresp.TotalCount)
	lt := func() *ecs.ListTagResourcesRequest {
		r := ecs.CreateListTagResourcesRequest()
		r.ResourceType, r.ResourceId = "instance", &[]string{"i-sh"}
		return r
	}
	lresp, err := hz.ListTagResources(lt())
	require.NoError(t, err)
	assert.Empty(t, lresp.TagResources.TagResource)
	lresp, err = sh.ListTagResources(lt())
	require.NoError(t, err)
	assert.Len(t, lresp.TagResources.TagResource, 1)

	// Mutations: 404 in the wrong region, nothing changed.
	batch := func(ids ...string) *[]string { return &ids }
	stop := ecs.CreateStopInstancesRequest()
	stop.InstanceId = batch("i-sh")
	_, err = hz.StopInstances(stop)
	requireServerError(t, err, 404, "InvalidInstanceId.NotFound")
	startr := ecs.CreateStartInstancesRequest()
	startr.InstanceId = batch("i-sh")
	_, err = hz.StartInstances(startr)
	requireServerError(t, err, 404, "InvalidInstanceId.NotFound")
	del := ecs.CreateDeleteInstancesRequest()
	del.InstanceId = batch("i-sh")
	_, err = hz.DeleteInstances(del)
	requireServerError(t, err, 404, "InvalidInstanceId.NotFound")
	tr := ecs.CreateTagResourcesRequest()
	tr.ResourceType, tr.ResourceId, tr.Tag = "instance", batch("i-sh"), &[]ecs.TagResourcesTag{{Key: "x", Value: "y"}}
	_, err = hz.TagResources(tr)
	requireServerError(t, err, 404, "InvalidResourceId.NotFound")
	tr.ResourceType, tr.ResourceId = "disk", batch(shDisk)
	_, err = hz.TagResources(tr)
	requireServerError(t, err, 404, "InvalidResourceId.NotFound")
	ur := ecs.CreateUntagResourcesRequest()
	ur.ResourceType, ur.ResourceId, ur.TagKey = "instance", batch("i-sh"), batch("k")
	_, err = hz.UntagResources(ur)
	requireServerError(t, err, 404, "InvalidResourceId.NotFound")
	// The region-less actions: the classic SDK sends its RegionId, which
	// narrows the lookup.
	_, err = hz.StartInstance(startReq("i-sh"))
	requireServerError(t, err, 404, "InvalidInstanceId.NotFound")
	_, err = hz.DeleteInstance(deleteReq("i-sh", false))
	requireServerError(t, err, 404, "InvalidInstanceId.NotFound")
	_, err = hz.ModifyInstanceAutoReleaseTime(autoReleaseReq("i-sh", ts(env.Emu.Now().Add(time.Hour))))
	requireServerError(t, err, 404, "NoSuchResource")
	mr := protectReq("i-sh", true)
	_, err = hz.ModifyInstanceAttribute(mr)
	requireServerError(t, err, 404, "InvalidInstanceId.NotFound")
	ar := ecs.CreateDescribeInstanceAttributeRequest()
	ar.InstanceId = "i-sh"
	_, err = hz.DescribeInstanceAttribute(ar)
	requireServerError(t, err, 404, "InvalidInstanceId.NotFound")
	_, err = hz.CreateSnapshot(snapshotReq(shDisk))
	requireServerError(t, err, 404, "InvalidDiskId.NotFound")
	in, _ := env.Emu.Instance("i-sh")
	assert.Equal(t, ecsemu.StatusStopped, in.Status)
	assert.Equal(t, []ecsemu.Tag{{TagKey: "k", TagValue: "v"}}, in.Tags.Tag)

	// The v7 SDK sends no RegionId to the region-less actions: found anywhere.
	v7 := env.NewV7Client(t, ecsemu.DefaultRegion, "")
	_, err = v7.StartInstance(&ecs7.StartInstanceRequest{InstanceId: new("i-sh")})
	require.NoError(t, err)
	assert.Equal(t, ecsemu.StatusStarting, status(t, env, "i-sh"))

	// RunInstances creates in the client's region.
	run := ecs.CreateRunInstancesRequest()
	rresp, err := sh.RunInstances(run)
	require.NoError(t, err)
	created, _ := env.Emu.Instance(rresp.InstanceIdSets.InstanceIdSet[0])
	assert.Equal(t, otherRegion, created.RegionId)
	assert.Equal(t, otherRegion+"-a", created.ZoneId)
}

// --- Fleet files --------------------------------------------------------------

const hazardFleet = `[
 {"InstanceId":"i-asg","Tags":{"Tag":[{"TagKey":"acs:autoscaling:scalingGroupId","TagValue":"asg-rt"}]},
  "AutoScaling":{"CreationType":"Attached","DesiredCapacity":1,"GracePeriod":"2m0s"}},
 {"InstanceId":"i-node","Tags":{"Tag":[{"TagKey":"ack.aliyun.com","TagValue":"c-1"},{"TagKey":"ack.alibabacloud.com/nodepool-id","TagValue":"np-1"}]}},
 {"InstanceId":"i-spot","SpotStrategy":"SpotWithPriceLimit","SpotPriceLimit":0.25,"SpotDuration":0},
 {"InstanceId":"i-local","RegionId":"cn-shanghai","InstanceType":"ecs.i3.xlarge","EconomicalMode":"stops-keep-charging","NoStockOnStart":true},
 {"InstanceId":"i-locks","OperationLocks":{"LockReason":[{"LockReason":"financial","LockMsg":"overdue"},{"LockReason":"Recycling"}]}}
]`

// A fleet with every hazard field loads, shows in the emulator's views and
// loads again from them unchanged; bad values are refused.
func TestHazardFleetRoundTrip(t *testing.T) {
	t.Parallel()
	fleet, err := ecsemu.ParseFleet(strings.NewReader(hazardFleet))
	require.NoError(t, err)
	env := start(t, ecsemu.Options{})
	env.AddFleet(t, fleet...)
	first := env.Emu.Instances()
	byID := map[string]ecsemu.Instance{}
	for _, in := range first {
		byID[in.InstanceId] = in
	}
	assert.Equal(t, &ecsemu.AutoScalingMember{CreationType: "Attached", DesiredCapacity: new(1), GracePeriod: "2m0s"}, byID["i-asg"].AutoScaling)
	assert.Equal(t, "SpotWithPriceLimit", byID["i-spot"].SpotStrategy)
	assert.Equal(t, new(0), byID["i-spot"].SpotDuration)
	assert.Equal(t, ecsemu.EconomicalRefused, byID["i-spot"].EconomicalMode, "derived")
	assert.Equal(t, ecsemu.EconomicalKeepCharging, byID["i-local"].EconomicalMode, "as set")
	assert.True(t, byID["i-local"].NoStockOnStart)
	assert.Equal(t, "cn-shanghai", byID["i-local"].RegionId)
	assert.Equal(t, []ecsemu.LockReason{{LockReason: "financial", LockMsg: "overdue"}, {LockReason: "Recycling"}}, byID["i-locks"].OperationLocks.LockReason)
	assert.Len(t, env.Emu.NodePools(), 1)

	// The answers carry none of the extensions.
	raw := rawSigned(t, env, "GET", baseParams(env, "DescribeInstances"))
	require.Equal(t, 200, raw.Status)
	for _, ext := range []string{"EconomicalMode", "NoStockOnStart", "AutoScaling", "Disks"} {
		assert.NotContains(t, string(raw.Body), `"`+ext+`"`)
	}

	again, err := json.Marshal(first)
	require.NoError(t, err)
	fleet2, err := ecsemu.ParseFleet(strings.NewReader(string(again)))
	require.NoError(t, err)
	env2 := start(t, ecsemu.Options{})
	env2.AddFleet(t, fleet2...)
	assert.Equal(t, first, env2.Emu.Instances(), "the views load back unchanged")

	bad := map[string]string{
		"SpotStrategy":             `[{"SpotStrategy":"Cheap"}]`,
		"SpotPriceLimit":           `[{"SpotPriceLimit":0.5}]`,
		"needs a SpotPriceLimit":   `[{"SpotStrategy":"SpotWithPriceLimit"}]`,
		"pay-as-you-go":            `[{"SpotStrategy":"SpotAsPriceGo","InstanceChargeType":"PrePaid"}]`,
		"SpotDuration":             `[{"SpotStrategy":"SpotAsPriceGo","SpotDuration":7}]`,
		"SpotInterruptionBehavior": `[{"SpotStrategy":"SpotAsPriceGo","SpotInterruptionBehavior":"Hibernate"}]`,
		"EconomicalMode":           `[{"EconomicalMode":"sometimes"}]`,
		"lock reason":              `[{"OperationLocks":{"LockReason":[{"LockReason":"overdue"}]}}]`,
		"AutoScaling is set":       `[{"AutoScaling":{}}]`,
		"CreationType":             `[{"Tags":{"Tag":[{"TagKey":"acs:autoscaling:scalingGroupId","TagValue":"g"}]},"AutoScaling":{"CreationType":"Borrowed"}}]`,
		"GracePeriod":              `[{"Tags":{"Tag":[{"TagKey":"acs:autoscaling:scalingGroupId","TagValue":"g"}]},"AutoScaling":{"GracePeriod":"soon"}}]`,
		"no value":                 `[{"Tags":{"Tag":[{"TagKey":"acs:autoscaling:scalingGroupId","TagValue":""}]}}]`,
		"disagree on DesiredCapacity": `[{"Tags":{"Tag":[{"TagKey":"acs:autoscaling:scalingGroupId","TagValue":"g"}]},"AutoScaling":{"DesiredCapacity":1}},
			{"Tags":{"Tag":[{"TagKey":"acs:autoscaling:scalingGroupId","TagValue":"g"}]},"AutoScaling":{"DesiredCapacity":2}}]`,
	}
	for want, text := range bad {
		f, err := ecsemu.ParseFleet(strings.NewReader(text))
		require.NoError(t, err, want)
		_, err = env.Emu.AddInstances(f)
		assert.ErrorContains(t, err, want)
	}
}
