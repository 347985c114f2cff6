package guard_test

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/fc-ecs-release/fc-ecs-release/shared/config"
	"github.com/fc-ecs-release/fc-ecs-release/shared/ecs"
	"github.com/fc-ecs-release/fc-ecs-release/shared/guard"
)

func TestGuardMatrix(t *testing.T) {
	t.Parallel()
	scope := &config.Tag{Key: "managed", Value: "true"}
	p := guard.Policy{ProtectTag: config.Tag{Key: "protect", Value: "true"}, ManagedTag: scope}
	base := func() ecs.Instance {
		return ecs.Instance{ID: "i-a", ChargeType: ecs.PostPaid, Tags: map[string]string{"managed": "true"}}
	}
	with := func(f func(*ecs.Instance)) ecs.Instance { in := base(); f(&in); return in }
	all := []guard.Action{guard.Stop, guard.Release, guard.SetAutoRelease, guard.CancelAutoRelease, guard.UndoAutoRelease}
	every := func(code string) map[guard.Action]string {
		m := map[guard.Action]string{}
		for _, a := range all {
			m[a] = code
		}
		return m
	}
	cases := []struct {
		name string
		in   ecs.Instance
		want map[guard.Action]string // action → code; absent = allowed
	}{
		{"plain managed instance", base(), nil},
		{"protection tag", with(func(i *ecs.Instance) { i.Tags["protect"] = "true" }),
			map[guard.Action]string{guard.Stop: guard.CodeProtected, guard.Release: guard.CodeProtected, guard.SetAutoRelease: guard.CodeProtected}},
		{"protection tag with another value", with(func(i *ecs.Instance) { i.Tags["protect"] = "false" }), nil},
		{"deletion protection", with(func(i *ecs.Instance) { i.DeletionProtection = true }),
			map[guard.Action]string{guard.Release: guard.CodeDeletionProtection, guard.SetAutoRelease: guard.CodeDeletionProtection}},
		{"prepaid", with(func(i *ecs.Instance) { i.ChargeType = ecs.PrePaid }),
			map[guard.Action]string{guard.Release: guard.CodePrePaid, guard.SetAutoRelease: guard.CodePrePaid, guard.CancelAutoRelease: guard.CodePrePaid, guard.UndoAutoRelease: guard.CodePrePaid}},
		{"security lock", with(func(i *ecs.Instance) { i.Locks = []string{"security"} }), every(guard.CodeLockedSecurity)},
		{"financial lock", with(func(i *ecs.Instance) { i.Locks = []string{"financial"} }), every(guard.CodeLockedFinancial)},
		{"recycling lock, as ECS capitalises it", with(func(i *ecs.Instance) { i.Locks = []string{"Recycling"} }), every(guard.CodeLockedRecycling)},
		{"several locks: the first in the fixed order", with(func(i *ecs.Instance) { i.Locks = []string{"recycling", "financial"} }), every(guard.CodeLockedFinancial)},
		{"an undocumented lock", with(func(i *ecs.Instance) { i.Locks = []string{"Migrating Now"} }), every("locked:migrating-now")},
		{"auto scaling member", with(func(i *ecs.Instance) { i.Tags[ecs.TagScalingGroupID] = "asg-1" }),
			map[guard.Action]string{guard.Stop: guard.CodeAutoScaling, guard.Release: guard.CodeAutoScaling, guard.SetAutoRelease: guard.CodeAutoScaling}},
		{"ACK node by cluster tag", with(func(i *ecs.Instance) { i.Tags[ecs.TagACKCluster] = "c-1" }),
			map[guard.Action]string{guard.Stop: guard.CodeKubernetesNode, guard.Release: guard.CodeKubernetesNode, guard.SetAutoRelease: guard.CodeKubernetesNode}},
		{"ACK node by node pool tag", with(func(i *ecs.Instance) { i.Tags[ecs.TagACKNodePool] = "np-1" }),
			map[guard.Action]string{guard.Stop: guard.CodeKubernetesNode, guard.Release: guard.CodeKubernetesNode, guard.SetAutoRelease: guard.CodeKubernetesNode}},
		{"ACK node by another ACK tag", with(func(i *ecs.Instance) { i.Tags["ack.alibabacloud.com/cluster-id"] = "c-1" }),
			map[guard.Action]string{guard.Stop: guard.CodeKubernetesNode, guard.Release: guard.CodeKubernetesNode, guard.SetAutoRelease: guard.CodeKubernetesNode}},
		{"ACK node in a scaling group: the node wins", with(func(i *ecs.Instance) { i.Tags[ecs.TagACKNodePool] = "np-1"; i.Tags[ecs.TagScalingGroupID] = "asg-1" }),
			map[guard.Action]string{guard.Stop: guard.CodeKubernetesNode, guard.Release: guard.CodeKubernetesNode, guard.SetAutoRelease: guard.CodeKubernetesNode}},
		{"locked ACK node: who owns it comes first", with(func(i *ecs.Instance) { i.Tags[ecs.TagACKCluster] = "c-1"; i.Locks = []string{"security"} }),
			map[guard.Action]string{guard.Stop: guard.CodeKubernetesNode, guard.Release: guard.CodeKubernetesNode, guard.SetAutoRelease: guard.CodeKubernetesNode,
				guard.CancelAutoRelease: guard.CodeLockedSecurity, guard.UndoAutoRelease: guard.CodeLockedSecurity}},
		{"protected scaling group member", with(func(i *ecs.Instance) { i.Tags["protect"] = "true"; i.Tags[ecs.TagScalingGroupID] = "asg-1" }),
			map[guard.Action]string{guard.Stop: guard.CodeProtected, guard.Release: guard.CodeProtected, guard.SetAutoRelease: guard.CodeProtected}},
		{"protected and out of scope: the sweep may still take back its time", with(func(i *ecs.Instance) { i.Tags = map[string]string{"protect": "true"}; i.DeletionProtection = true }),
			map[guard.Action]string{guard.Stop: guard.CodeOutOfScope, guard.Release: guard.CodeOutOfScope, guard.SetAutoRelease: guard.CodeOutOfScope, guard.CancelAutoRelease: guard.CodeOutOfScope}},
		{"outside scope", with(func(i *ecs.Instance) { delete(i.Tags, "managed") }),
			map[guard.Action]string{guard.Stop: guard.CodeOutOfScope, guard.Release: guard.CodeOutOfScope, guard.SetAutoRelease: guard.CodeOutOfScope, guard.CancelAutoRelease: guard.CodeOutOfScope}},
		{"scope tag with another value", with(func(i *ecs.Instance) { i.Tags["managed"] = "no" }),
			map[guard.Action]string{guard.Stop: guard.CodeOutOfScope, guard.Release: guard.CodeOutOfScope, guard.SetAutoRelease: guard.CodeOutOfScope, guard.CancelAutoRelease: guard.CodeOutOfScope}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			for _, a := range all {
				v := p.Check(a, tc.in)
				assert.Equal(t, tc.want[a], v.Code, "%s", a)
				if v.Code != "" {
					assert.NotEmpty(t, v.Reason)
				}
			}
		})
	}
	in := base()
	assert.True(t, p.KeepsNoAutoRelease(in).Allowed())
	in.DeletionProtection = true
	assert.Equal(t, guard.CodeDeletionProtection, p.KeepsNoAutoRelease(in).Code)
	in.Tags["protect"] = "true"
	assert.Equal(t, guard.CodeProtected, p.KeepsNoAutoRelease(in).Code)
	delete(in.Tags, "managed")
	assert.Equal(t, guard.CodeOutOfScope, p.KeepsNoAutoRelease(in).Code)
	in = base()
	in.Tags[ecs.TagScalingGroupID] = "asg-1"
	assert.Equal(t, guard.CodeAutoScaling, p.KeepsNoAutoRelease(in).Code, "the sweep takes back its time from a scaling group member")
	in.Tags[ecs.TagACKCluster] = "c-1"
	assert.Equal(t, guard.CodeKubernetesNode, p.KeepsNoAutoRelease(in).Code, "and from an ACK node")
	noScope := guard.Policy{ProtectTag: p.ProtectTag}
	assert.True(t, noScope.Check(guard.Release, ecs.Instance{ChargeType: ecs.PostPaid}).Allowed(), "without MANAGED_TAG there is no scope")
}

// A request that includes Auto Scaling members lets them through the
// auto-scaling guard for stop and release; every other guard still holds,
// and an ACK node stays refused whatever the request says.
func TestIncludingAutoScaling(t *testing.T) {
	t.Parallel()
	p := guard.Policy{ProtectTag: config.Tag{Key: "protect", Value: "true"}}
	member := ecs.Instance{ID: "i-a", ChargeType: ecs.PostPaid, Tags: map[string]string{ecs.TagScalingGroupID: "asg-1"}}
	for _, a := range []guard.Action{guard.Stop, guard.Release} {
		assert.Equal(t, guard.CodeAutoScaling, p.Check(a, member).Code, "%s", a)
		assert.True(t, p.Check(a.IncludingAutoScaling(), member).Allowed(), "%s", a.IncludingAutoScaling())
	}
	locked := member
	locked.Locks = []string{"financial"}
	assert.Equal(t, guard.CodeLockedFinancial, p.Check(guard.Release.IncludingAutoScaling(), locked).Code)
	protected := ecs.Instance{ID: "i-b", ChargeType: ecs.PostPaid, Tags: map[string]string{ecs.TagScalingGroupID: "asg-1", "protect": "true"}}
	assert.Equal(t, guard.CodeProtected, p.Check(guard.Stop.IncludingAutoScaling(), protected).Code)
	dp := member
	dp.DeletionProtection = true
	assert.Equal(t, guard.CodeDeletionProtection, p.Check(guard.Release.IncludingAutoScaling(), dp).Code)
	node := ecs.Instance{ID: "i-c", ChargeType: ecs.PostPaid, Tags: map[string]string{ecs.TagScalingGroupID: "asg-1", ecs.TagACKNodePool: "np-1"}}
	assert.Equal(t, guard.CodeKubernetesNode, p.Check(guard.Release.IncludingAutoScaling(), node).Code, "no request acts on an ACK node")
	assert.Contains(t, guard.Stop.IncludingAutoScaling().String(), "Auto Scaling members included")
}

func TestLockCode(t *testing.T) {
	t.Parallel()
	for want, reasons := range map[string][]string{
		"":                                     []string{},
		guard.CodeLockedSecurity:               {"recycling", "security", "financial"},
		guard.CodeLockedFinancial:              {"Recycling", "FINANCIAL"},
		guard.CodeLockedRecycling:              {"Recycling"},
		guard.CodeLockedRefunded:               {"zeta", "refunded"},
		guard.CodeLockedDedicatedHostFinancial: {"dedicatedhostfinancial", "recycling"},
		"locked:alpha":                         {"zeta", "Alpha"},
		"locked:unknown":                       {" "},
	} {
		assert.Equal(t, want, guard.LockCode(reasons), "%v", reasons)
		if want != "" {
			assert.True(t, guard.IsLockCode(want))
		}
	}
	assert.False(t, guard.IsLockCode(guard.CodeProtected))
}
