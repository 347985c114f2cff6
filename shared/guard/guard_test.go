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
		{"security lock", with(func(i *ecs.Instance) { i.Locks = []string{"security"} }),
			map[guard.Action]string{guard.Stop: guard.CodeLocked, guard.Release: guard.CodeLocked, guard.SetAutoRelease: guard.CodeLocked, guard.CancelAutoRelease: guard.CodeLocked, guard.UndoAutoRelease: guard.CodeLocked}},
		{"financial lock", with(func(i *ecs.Instance) { i.Locks = []string{"financial"} }),
			map[guard.Action]string{guard.Stop: guard.CodeLocked, guard.Release: guard.CodeLocked, guard.SetAutoRelease: guard.CodeLocked, guard.CancelAutoRelease: guard.CodeLocked, guard.UndoAutoRelease: guard.CodeLocked}},
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
	noScope := guard.Policy{ProtectTag: p.ProtectTag}
	assert.True(t, noScope.Check(guard.Release, ecs.Instance{ChargeType: ecs.PostPaid}).Allowed(), "without MANAGED_TAG there is no scope")
}
