package e2e

import (
	"reflect"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/fc-ecs-release/fc-ecs-release/internal/ecsemu"
	"github.com/fc-ecs-release/fc-ecs-release/shared/ecs"
	"github.com/fc-ecs-release/fc-ecs-release/shared/handler"
)

// The cloud's hazards under the real binaries: instances Auto Scaling or
// ACK owns, operation locks of each reason, and economical mode as ECS
// applies (or refuses) it. Each ends in its safe outcome with its code.

func lockSet(reasons ...string) ecsemu.LockSet {
	var ls ecsemu.LockSet
	for _, r := range reasons {
		ls.LockReason = append(ls.LockReason, ecsemu.LockReason{LockReason: r})
	}
	return ls
}

func outcomeOf(r *handler.Response, id string) handler.InstanceOutcome {
	for _, o := range r.Instances {
		if o.InstanceID == id {
			return o
		}
	}
	return handler.InstanceOutcome{}
}

// namedBy reports whether a mutating call named the instance.
func (s *stack) namedBy(id string) []string {
	var out []string
	for _, c := range s.mutating() {
		for _, v := range c.Params {
			if v == id {
				out = append(out, c.Action)
				break
			}
		}
	}
	return out
}

func TestOwnedAndLockedInstancesUnderTheRuntime(t *testing.T) {
	t.Parallel()
	s := newStack(t, quick, nil)
	fleet := []ecsemu.Instance{
		{InstanceName: "asg-member", Status: ecsemu.StatusStopped, Tags: managed(ecs.TagScalingGroupID, "asg-web")},
		{InstanceName: "ack-node", Status: ecsemu.StatusStopped, Tags: managed(ecs.TagACKCluster, "c-prod")},
		{InstanceName: "ack-pool-node", Status: ecsemu.StatusStopped, Tags: managed(ecs.TagACKNodePool, "np-gpu", ecs.TagScalingGroupID, "asg-np-gpu")},
		{InstanceName: "locked-security", Status: ecsemu.StatusStopped, OperationLocks: lockSet("security"), Tags: managed()},
		{InstanceName: "locked-financial", Status: ecsemu.StatusStopped, OperationLocks: lockSet("financial"), Tags: managed()},
		{InstanceName: "locked-recycling", Status: ecsemu.StatusStopped, OperationLocks: lockSet("Recycling"), Tags: managed()},
		{InstanceName: "fine", Status: ecsemu.StatusStopped, Tags: managed()},
	}
	ids, err := s.add(fleet)
	require.NoError(t, err)
	want := []string{handler.CodeAutoScaling, handler.CodeKubernetesNode, handler.CodeKubernetesNode,
		handler.CodeLockedSecurity, handler.CodeLockedFinancial, handler.CodeLockedRecycling}
	guarded := ids[:len(want)]

	r := s.response("release", mustJSON(t, map[string]any{"instanceIds": ids, "force": true, "reason": "hazard drill"}))
	for i, code := range want {
		assert.Equal(t, handler.OutcomeSkipped, outcomes(r)[ids[i]], fleet[i].InstanceName)
		assert.Equal(t, code, codeOf(r, ids[i]), fleet[i].InstanceName)
		assert.NotEmpty(t, reasonOf(r, ids[i]), fleet[i].InstanceName)
	}
	assert.Equal(t, handler.OutcomeReleased, outcomes(r)[ids[len(want)]])

	// Stop and autorelease skip them with the same codes.
	stop := s.response("stop", mustJSON(t, map[string]any{"instanceIds": guarded, "then": "release"}))
	ar := s.response("autorelease", mustJSON(t, map[string]any{"instanceIds": guarded, "after": "3h"}))
	for i, code := range want {
		assert.Equal(t, code, codeOf(stop, ids[i]), "stop: %s", fleet[i].InstanceName)
		assert.Equal(t, code, codeOf(ar, ids[i]), "autorelease: %s", fleet[i].InstanceName)
	}
	assert.Empty(t, stop.Next, "nothing handed over")

	// "autoScaling": "include" reaches the member, never the ACK node.
	r = s.response("release", mustJSON(t, map[string]any{"instanceIds": guarded[:3], "autoScaling": "include"}))
	assert.Equal(t, handler.OutcomeReleased, outcomes(r)[ids[0]])
	assert.Equal(t, handler.CodeKubernetesNode, codeOf(r, ids[1]))
	assert.Equal(t, handler.CodeKubernetesNode, codeOf(r, ids[2]))

	for _, id := range guarded[1:] {
		assert.Empty(t, s.namedBy(id), "no mutating call names %s", id)
		_, exists := s.emu.Instance(id)
		assert.True(t, exists, "%s never released", id)
	}
}

func TestEconomicalModeUnderTheRuntime(t *testing.T) {
	t.Parallel()
	s := newStack(t, quick, nil)
	ids, err := s.add([]ecsemu.Instance{
		{InstanceName: "stopped-keep-charging", Status: ecsemu.StatusStopped, StoppedMode: "KeepCharging", Tags: managed()},
		{InstanceName: "stopped-economical", Status: ecsemu.StatusStopped, StoppedMode: "StopCharging", Tags: managed()},
		{InstanceName: "refuses-economical", Tags: managed()},
		{InstanceName: "refuses-economical-fallback", Tags: managed()},
	})
	require.NoError(t, err)

	// Already stopped: the mode ECS applied, flagged when still charging,
	// counted in the summary.
	r := s.response("stop", mustJSON(t, map[string]any{"instanceIds": ids[:2]}))
	assert.Equal(t, "KeepCharging", outcomeOf(r, ids[0]).StoppedMode)
	assert.Equal(t, []string{handler.FlagStoppedStillCharging}, outcomeOf(r, ids[0]).Flags)
	assert.Equal(t, "StopCharging", outcomeOf(r, ids[1]).StoppedMode)
	assert.Empty(t, outcomeOf(r, ids[1]).Flags)
	assert.Equal(t, map[string]int{handler.OutcomeAlreadyStopped: 2, handler.FlagStoppedStillCharging: 1}, r.Summary.Counts)
	logged := false
	for _, rec := range s.records("stop", "summary") {
		out, _ := rec["outcomes"].(map[string]any)
		logged = logged || out[handler.FlagStoppedStillCharging] == float64(1)
	}
	assert.True(t, logged, "the summary log line counts it")

	// ECS refuses StopCharging: failed with its code, not stopped…
	const msg = "The specified instance does not support economical mode."
	s.emu.InjectError("StopInstances", ecs.CodeEconomicalModeUnsupported, msg, 1)
	r = s.response("stop", mustJSON(t, map[string]any{"instanceIds": ids[2:3]}))
	o := outcomeOf(r, ids[2])
	assert.Equal(t, handler.OutcomeFailed, o.Outcome)
	assert.Equal(t, handler.CodeEconomicalModeUnsupported, o.Code)
	require.NotNil(t, o.Error)
	assert.Equal(t, ecs.CodeEconomicalModeUnsupported, o.Error.Code)
	in, _ := s.emu.Instance(ids[2])
	assert.Equal(t, ecsemu.StatusRunning, in.Status)

	// …or, when the request allows it, stopped in KeepCharging and flagged.
	s.emu.InjectError("StopInstances", ecs.CodeEconomicalModeUnsupported, msg, 1)
	r = s.response("stop", mustJSON(t, map[string]any{"instanceIds": ids[3:4], "stoppedModeFallback": "KeepCharging"}))
	o = outcomeOf(r, ids[3])
	assert.Equal(t, handler.OutcomeStopping, o.Outcome)
	assert.Equal(t, []string{handler.FlagStoppedStillCharging}, o.Flags)
	assert.Equal(t, 1, r.Summary.Counts[handler.FlagStoppedStillCharging])
	in, _ = s.emu.Instance(ids[3])
	assert.Equal(t, "KeepCharging", in.StoppedMode)
}

// With the emulator's economical-mode rules: a local-disk instance
// (ecs.i3) refuses StopCharging; released through the chain anyway when
// the policy allows the fallback.
func TestLocalDiskInstanceThroughTheChain(t *testing.T) {
	t.Parallel()
	if _, ok := reflect.TypeFor[ecsemu.Instance]().FieldByName("EconomicalMode"); !ok {
		t.Skip("the emulator has no economical-mode rules yet (fleet field EconomicalMode)")
	}
	s := newStack(t, quick, nil)
	ids, err := s.add([]ecsemu.Instance{
		{InstanceName: "bigdata-1", InstanceType: "ecs.i3.xlarge", Tags: managed("pool", "bigdata")},
		{InstanceName: "bigdata-2", InstanceType: "ecs.i3.xlarge", Tags: managed("pool", "bigdata")},
	})
	require.NoError(t, err)
	r := s.response("stop", mustJSON(t, map[string]any{"instanceIds": ids[:1], "then": "release"}))
	assert.Equal(t, handler.CodeEconomicalModeUnsupported, codeOf(r, ids[0]))
	assert.Empty(t, r.Next, "not stopped, not handed over")

	timer := timerEvent(t, map[string]any{"instanceIds": ids, "then": "release", "stoppedModeFallback": "KeepCharging"})
	raw, err := s.invoke("stop", timer)
	require.NoError(t, err)
	rel := s.response("release", destination(t, "stop-chain", timer, raw))
	for _, id := range ids {
		assert.Equal(t, handler.OutcomeReleased, outcomes(rel)[id], id)
	}
	var modes []string
	for _, c := range s.emu.Calls() {
		if c.Action == "StopInstances" {
			modes = append(modes, c.Params["StoppedMode"])
		}
	}
	assert.True(t, slices.Contains(modes, "KeepCharging"), "fell back: %v", modes)
}
