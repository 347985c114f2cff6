package handler_test

import (
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/fc-ecs-release/fc-ecs-release/internal/ecsemu"
	"github.com/fc-ecs-release/fc-ecs-release/internal/handlertest"
	"github.com/fc-ecs-release/fc-ecs-release/shared/ecs"
	"github.com/fc-ecs-release/fc-ecs-release/shared/handler"
)

// The cloud's hazards: instances another service owns (Auto Scaling, ACK),
// operation locks of every reason, and economical mode as ECS applies it.

func locks(reasons ...string) ecsemu.LockSet {
	var ls ecsemu.LockSet
	for _, r := range reasons {
		ls.LockReason = append(ls.LockReason, ecsemu.LockReason{LockReason: r})
	}
	return ls
}

// mutatingActions lists the actions of the calls that would mutate, in
// order, those refused included (an injected error is refused before the
// emulator looks at the instance).
var mutatingActions = []string{"StopInstances", "DeleteInstances", "CreateSnapshot", "ModifyInstanceAutoReleaseTime", "TagResources", "UntagResources"}

func actions(w *world) []string {
	var out []string
	for _, c := range w.Env.Emu.Calls() {
		if slices.Contains(mutatingActions, c.Action) {
			out = append(out, c.Action)
		}
	}
	return out
}

// Every owner and lock guard, for every function, at planning time: the
// code, no mutating call, the instance unchanged.
func TestHazardGuards(t *testing.T) {
	t.Parallel()
	member := tags(ecs.TagScalingGroupID, "asg-web")
	cases := []struct {
		name  string
		inst  ecsemu.Instance
		fn    func(handler.Deps) *handler.Handler
		event string // %q = the instance ID
		code  string
	}{
		{"scaling group member on stop", ecsemu.Instance{Tags: member}, handler.NewStop, `{"instanceIds":[%q]}`, handler.CodeAutoScaling},
		{"scaling group member on stop then release", ecsemu.Instance{Tags: member}, handler.NewStop, `{"instanceIds":[%q],"then":"release"}`, handler.CodeAutoScaling},
		{"scaling group member on release", ecsemu.Instance{Status: ecsemu.StatusStopped, Tags: member}, handler.NewRelease, `{"instanceIds":[%q],"force":true}`, handler.CodeAutoScaling},
		{"scaling group member said to be skipped", ecsemu.Instance{Status: ecsemu.StatusStopped, Tags: member}, handler.NewRelease, `{"instanceIds":[%q],"autoScaling":"skip"}`, handler.CodeAutoScaling},
		{"scaling group member on autorelease", ecsemu.Instance{Tags: member}, handler.NewAutoRelease, `{"instanceIds":[%q],"after":"2h"}`, handler.CodeAutoScaling},
		{"ACK node on stop", ecsemu.Instance{Tags: tags(ecs.TagACKCluster, "c-1")}, handler.NewStop, `{"instanceIds":[%q]}`, handler.CodeKubernetesNode},
		{"ACK node on release, forced", ecsemu.Instance{Tags: tags(ecs.TagACKNodePool, "np-1")}, handler.NewRelease, `{"instanceIds":[%q],"force":true}`, handler.CodeKubernetesNode},
		{"ACK node pool member, scaling group included", ecsemu.Instance{Tags: tags(ecs.TagACKNodePool, "np-1", ecs.TagScalingGroupID, "asg-np")}, handler.NewRelease, `{"instanceIds":[%q],"autoScaling":"include"}`, handler.CodeKubernetesNode},
		{"ACK node by selector", ecsemu.Instance{Tags: tags(ecs.TagACKCluster, "c-1", "pool", "gpu")}, handler.NewStop, `{"selector":{"tags":{"pool":"gpu"}},"autoScaling":"include","then":"release"}`, handler.CodeKubernetesNode},
		{"ACK node on autorelease", ecsemu.Instance{Tags: tags(ecs.TagACKCluster, "c-1")}, handler.NewAutoRelease, `{"instanceIds":[%q],"after":"2h"}`, handler.CodeKubernetesNode},
		{"security lock on stop", ecsemu.Instance{OperationLocks: locks("security")}, handler.NewStop, `{"instanceIds":[%q]}`, handler.CodeLockedSecurity},
		{"financial lock on stop", ecsemu.Instance{OperationLocks: locks("financial")}, handler.NewStop, `{"instanceIds":[%q]}`, handler.CodeLockedFinancial},
		{"recycling lock on release", ecsemu.Instance{Status: ecsemu.StatusStopped, OperationLocks: locks("Recycling")}, handler.NewRelease, `{"instanceIds":[%q]}`, handler.CodeLockedRecycling},
		{"dedicated host lock on release", ecsemu.Instance{Status: ecsemu.StatusStopped, OperationLocks: locks("dedicatedhostfinancial")}, handler.NewRelease, `{"instanceIds":[%q]}`, handler.CodeLockedDedicatedHostFinancial},
		{"refunded lock on autorelease", ecsemu.Instance{OperationLocks: locks("refunded")}, handler.NewAutoRelease, `{"instanceIds":[%q],"after":"2h"}`, handler.CodeLockedRefunded},
		{"several locks: the first in the fixed order", ecsemu.Instance{Status: ecsemu.StatusStopped, OperationLocks: locks("recycling", "security")}, handler.NewRelease, `{"instanceIds":[%q]}`, handler.CodeLockedSecurity},
		{"lock on a scaling group member that is included", ecsemu.Instance{Status: ecsemu.StatusStopped, Tags: member, OperationLocks: locks("financial")}, handler.NewRelease, `{"instanceIds":[%q],"autoScaling":"include"}`, handler.CodeLockedFinancial},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			w := newWorld(t, ecsemu.Options{}, nil)
			tc.inst.CreationTime = old(w)
			ids := w.Env.AddFleet(t, tc.inst)
			before, _ := w.Env.Emu.Instance(ids[0])
			event := tc.event
			if strings.Contains(event, "%") {
				event = fmt.Sprintf(tc.event, ids[0])
			}
			resp, err := w.invoke(tc.fn(w.Deps()), event)
			require.NoError(t, err)
			o := outcomeOf(resp, ids[0])
			assert.Equal(t, handler.OutcomeSkipped, o.Outcome)
			assert.Equal(t, tc.code, o.Code)
			assert.NotEmpty(t, o.Reason)
			assert.Empty(t, resp.Next, "nothing handed over")
			assert.Empty(t, w.Env.Emu.MutatingCalls(), "no mutating call")
			after, _ := w.Env.Emu.Instance(ids[0])
			assert.Equal(t, before, after, "unchanged")
		})
	}
}

// "autoScaling": "include" lets stop and release act on members (the
// caller accepts ESS's reaction); stop's hand-over carries the consent to
// release, and the other guards still hold.
func TestAutoScalingInclude(t *testing.T) {
	t.Parallel()
	w := newWorld(t, ecsemu.Options{}, nil)
	member := tags(ecs.TagScalingGroupID, "asg-batch")
	ids := w.Env.AddFleet(t,
		ecsemu.Instance{CreationTime: old(w), Tags: member},
		ecsemu.Instance{CreationTime: old(w), Tags: member, DeletionProtection: true},
		ecsemu.Instance{CreationTime: old(w)},
	)
	stop, err := w.invoke(handler.NewStop(w.Deps()), fmt.Sprintf(`{"instanceIds":[%q,%q,%q],"then":"release","autoScaling":"include"}`, ids[0], ids[1], ids[2]))
	require.NoError(t, err)
	assert.Equal(t, handler.OutcomeStopping, outcomeOf(stop, ids[0]).Outcome)
	assert.Equal(t, handler.CodeDeletionProtection, outcomeOf(stop, ids[1]).Code, "never released, so not stopped on the way")
	assert.Equal(t, handler.OutcomeStopping, outcomeOf(stop, ids[2]).Outcome)
	require.Len(t, stop.Next, 1)
	assert.Equal(t, "include", stop.Next[0].AutoScaling, "the hand-over keeps the consent")
	rel, err := w.invoke(handler.NewRelease(w.Deps()), destinationRecord(t, stop, false))
	require.NoError(t, err)
	assert.Equal(t, map[string]string{ids[0]: handler.OutcomeReleased, ids[2]: handler.OutcomeReleased}, outcomes(rel))

	// Without the consent in the hand-over (a record from before it was
	// given), release skips the member it finds stopped.
	ids = w.Env.AddFleet(t, ecsemu.Instance{CreationTime: old(w), Status: ecsemu.StatusStopped, Tags: member})
	stop, err = w.invoke(handler.NewStop(w.Deps()), fmt.Sprintf(`{"instanceIds":[%q],"then":"release","autoScaling":"include"}`, ids[0]))
	require.NoError(t, err)
	require.Len(t, stop.Next, 1)
	stop.Next[0].AutoScaling = ""
	rel, err = w.invoke(handler.NewRelease(w.Deps()), destinationRecord(t, stop, true))
	require.NoError(t, err)
	assert.Equal(t, handler.CodeAutoScaling, outcomeOf(rel, ids[0]).Code)
	assert.True(t, exists(w, ids[0]))

	// Two requests of a batch that differ only in autoScaling: a conflict.
	ids = w.Env.AddFleet(t, ecsemu.Instance{CreationTime: old(w), Status: ecsemu.StatusStopped, Tags: member})
	batch := "[" + mustJSON(t, cloudEvent("a1", fmt.Sprintf(`{"instanceIds":[%q],"autoScaling":"include"}`, ids[0]))) + "," +
		mustJSON(t, cloudEvent("a2", fmt.Sprintf(`{"instanceIds":[%q]}`, ids[0]))) + "]"
	resp, err := w.invoke(handler.NewRelease(w.Deps()), batch)
	require.NoError(t, err)
	byRequest := map[int]string{}
	for _, o := range resp.Instances {
		if o.InstanceID == ids[0] {
			byRequest[o.Request] = o.Code
		}
	}
	assert.Equal(t, map[int]string{1: handler.CodeConflict, 2: handler.CodeAutoScaling}, byRequest)
	assert.True(t, exists(w, ids[0]))
}

// The owner and lock guards hold at the moment of action: an instance that
// joins a scaling group, becomes an ACK node or is locked while release
// waits for it to stop is not released, and says why.
func TestHazardsAtTheMomentOfRelease(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name   string
		change func(e *ecsemu.Emulator, id string) error
		code   string
	}{
		{"joins a scaling group", func(e *ecsemu.Emulator, id string) error { return e.SetTag(id, ecs.TagScalingGroupID, "asg-1") }, handler.CodeAutoScaling},
		{"becomes an ACK node", func(e *ecsemu.Emulator, id string) error { return e.SetTag(id, ecs.TagACKNodePool, "np-1") }, handler.CodeKubernetesNode},
		{"security lock", func(e *ecsemu.Emulator, id string) error { return e.SetLock(id, "security", true) }, handler.CodeLockedSecurity},
		{"financial lock", func(e *ecsemu.Emulator, id string) error { return e.SetLock(id, "financial", true) }, handler.CodeLockedFinancial},
		{"recycling lock", func(e *ecsemu.Emulator, id string) error { return e.SetLock(id, "recycling", true) }, handler.CodeLockedRecycling},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			w := newWorld(t, ecsemu.Options{StopDelay: 10 * time.Second}, nil)
			ids := w.Env.AddFleet(t, ecsemu.Instance{CreationTime: old(w)})
			// The first sleep of the run is the wait for Stopped.
			w.After(time.Millisecond, func() { require.NoError(t, tc.change(w.Env.Emu, ids[0])) })
			resp, err := w.invoke(handler.NewRelease(w.Deps()), fmt.Sprintf(`{"instanceIds":[%q]}`, ids[0]))
			require.NoError(t, err)
			o := outcomeOf(resp, ids[0])
			assert.Equal(t, handler.OutcomeSkipped, o.Outcome)
			assert.Equal(t, tc.code, o.Code)
			assert.True(t, exists(w, ids[0]))
			assert.Equal(t, []string{"StopInstances"}, actions(w), "stopped, never released")
		})
	}
}

// And at the moment of a stop: a StopInstances call throttled and retried
// after a backoff is checked again, on a new read.
func TestHazardsAtTheMomentOfStop(t *testing.T) {
	t.Parallel()
	for name, tc := range map[string]struct {
		tag  []string
		lock string
		code string
	}{
		"joins a scaling group": {tag: []string{ecs.TagScalingGroupID, "asg-1"}, code: handler.CodeAutoScaling},
		"becomes an ACK node":   {tag: []string{ecs.TagACKCluster, "c-1"}, code: handler.CodeKubernetesNode},
		"recycling lock":        {lock: "recycling", code: handler.CodeLockedRecycling},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			w := newWorld(t, ecsemu.Options{}, nil)
			ids := w.Env.AddFleet(t, ecsemu.Instance{CreationTime: old(w)})
			w.Env.Emu.InjectError("StopInstances", "Throttling.User", "Request was denied due to user flow control.", 1)
			w.After(time.Millisecond, func() {
				if tc.lock != "" {
					require.NoError(t, w.Env.Emu.SetLock(ids[0], tc.lock, true))
					return
				}
				require.NoError(t, w.Env.Emu.SetTag(ids[0], tc.tag[0], tc.tag[1]))
			})
			resp, err := w.invoke(handler.NewStop(w.Deps()), fmt.Sprintf(`{"instanceIds":[%q]}`, ids[0]))
			require.NoError(t, err)
			assert.Equal(t, tc.code, outcomeOf(resp, ids[0]).Code)
			assert.Equal(t, []string{"StopInstances"}, actions(w), "only the throttled attempt")
			in, _ := w.Env.Emu.Instance(ids[0])
			assert.Equal(t, ecsemu.StatusRunning, in.Status)
		})
	}
}

// An instance stop leaves stopped records the StoppedMode ECS applied; one
// still charging for compute (StopCharging asked, KeepCharging or
// Not-applicable applied) is flagged stopped-still-charging and counted in
// the summary. Handed to release, PrePaid, or stopped in the mode asked: no
// flag.
func TestStoppedStillCharging(t *testing.T) {
	t.Parallel()
	w := newWorld(t, ecsemu.Options{}, nil)
	stopped := func(mode string) ecsemu.Instance {
		return ecsemu.Instance{CreationTime: old(w), Status: ecsemu.StatusStopped, StoppedMode: mode}
	}
	prepaid := stopped("KeepCharging")
	prepaid.InstanceChargeType = ecsemu.PrePaid
	ids := w.Env.AddFleet(t, stopped("KeepCharging"), stopped("Not-applicable"), stopped("StopCharging"), prepaid)
	req := fmt.Sprintf(`{"instanceIds":[%q,%q,%q,%q]}`, ids[0], ids[1], ids[2], ids[3])
	resp, err := w.invoke(handler.NewStop(w.Deps()), req)
	require.NoError(t, err)
	want := []struct {
		mode    string
		charges bool
	}{{"KeepCharging", true}, {"Not-applicable", true}, {"StopCharging", false}, {"KeepCharging", false}}
	for i, x := range want {
		o := outcomeOf(resp, ids[i])
		assert.Equal(t, handler.OutcomeAlreadyStopped, o.Outcome, ids[i])
		assert.Equal(t, x.mode, o.StoppedMode, ids[i])
		assert.Equal(t, x.charges, slices.Contains(o.Flags, handler.FlagStoppedStillCharging), ids[i])
	}
	assert.Equal(t, 2, resp.Summary.Counts[handler.FlagStoppedStillCharging])
	assert.Equal(t, 4, resp.Summary.Counts[handler.OutcomeAlreadyStopped])
	assert.Empty(t, w.Env.Emu.MutatingCalls())

	// KeepCharging asked: what was asked, no flag.
	resp, err = w.invoke(handler.NewStop(w.Deps()), fmt.Sprintf(`{"instanceIds":[%q],"stoppedMode":"KeepCharging"}`, ids[0]))
	require.NoError(t, err)
	assert.Empty(t, outcomeOf(resp, ids[0]).Flags)
	assert.Zero(t, resp.Summary.Counts[handler.FlagStoppedStillCharging])

	// Handed to release: release tells its end, stop flags nothing.
	resp, err = w.invoke(handler.NewStop(w.Deps()), fmt.Sprintf(`{"instanceIds":[%q],"then":"release"}`, ids[0]))
	require.NoError(t, err)
	assert.Equal(t, "KeepCharging", outcomeOf(resp, ids[0]).StoppedMode)
	assert.Empty(t, outcomeOf(resp, ids[0]).Flags)

	// A release that leaves it stopped (its snapshot failed) flags it, in
	// its log (the invocation fails for FC to retry) as in the answer.
	w.Env.Emu.FailSnapshotsOf(ids[1], true)
	r := w.Handle(handler.NewRelease(w.Deps()), handlertest.FCHTTPEvent(t, "POST", "/release", fmt.Sprintf(`{"instanceIds":[%q],"snapshot":true}`, ids[1]), nil), handlertest.Call{Timeout: 15 * time.Minute})
	require.NoError(t, r.Err)
	rel := handlertest.HTTPResponse(t, r.Out)
	o := outcomeOf(rel, ids[1])
	assert.Equal(t, handler.CodeSnapshotFailed, o.Code)
	assert.Equal(t, "Not-applicable", o.StoppedMode)
	assert.Equal(t, []string{handler.FlagStoppedStillCharging}, o.Flags)
	assert.Equal(t, 1, rel.Summary.Counts[handler.FlagStoppedStillCharging])
	flagged := false
	for _, rec := range w.LogRecords("instance") {
		if rec["instanceId"] == ids[1] && rec["stoppedMode"] == "Not-applicable" {
			flagged = flagged || fmt.Sprint(rec["flags"]) == "["+handler.FlagStoppedStillCharging+"]"
		}
	}
	assert.True(t, flagged, "the log line carries the mode and the flag")
	// A released instance charges nothing: no flag, whatever its mode was.
	rel, err = w.invoke(handler.NewRelease(w.Deps()), fmt.Sprintf(`{"instanceIds":[%q]}`, ids[0]))
	require.NoError(t, err)
	assert.Equal(t, handler.OutcomeReleased, outcomeOf(rel, ids[0]).Outcome)
	assert.Empty(t, outcomeOf(rel, ids[0]).Flags)
	assert.Empty(t, outcomeOf(rel, ids[0]).StoppedMode)
}

// ECS refuses to stop an instance in economical mode (403
// InvalidInstanceId.NotSupport): without stoppedModeFallback it fails with
// economical-mode-unsupported (not stopped, not retried); with it, it is
// stopped again in KeepCharging, checked again, and flagged.
func TestEconomicalModeRefused(t *testing.T) {
	t.Parallel()
	const msg = "The specified instance does not support economical mode."
	w := newWorld(t, ecsemu.Options{}, nil)
	ids := w.Env.AddFleet(t, ecsemu.Instance{CreationTime: old(w)}, ecsemu.Instance{CreationTime: old(w)})

	w.Env.Emu.InjectError("StopInstances", ecs.CodeEconomicalModeUnsupported, msg, 1)
	resp, err := w.invoke(handler.NewStop(w.Deps()), fmt.Sprintf(`{"instanceIds":[%q]}`, ids[0]))
	require.NoError(t, err, "not retryable: the invocation does not fail")
	o := outcomeOf(resp, ids[0])
	assert.Equal(t, handler.OutcomeFailed, o.Outcome)
	assert.Equal(t, handler.CodeEconomicalModeUnsupported, o.Code)
	require.NotNil(t, o.Error)
	assert.Equal(t, ecs.CodeEconomicalModeUnsupported, o.Error.Code)
	assert.False(t, o.Error.Retryable)
	in, _ := w.Env.Emu.Instance(ids[0])
	assert.Equal(t, ecsemu.StatusRunning, in.Status, "not stopped")
	assert.Equal(t, []string{"StopInstances"}, actions(w), "no second attempt")

	w.Env.Emu.ResetCalls()
	w.Env.Emu.InjectError("StopInstances", ecs.CodeEconomicalModeUnsupported, msg, 1)
	resp, err = w.invoke(handler.NewStop(w.Deps()), fmt.Sprintf(`{"instanceIds":[%q],"stoppedModeFallback":"KeepCharging"}`, ids[0]))
	require.NoError(t, err)
	o = outcomeOf(resp, ids[0])
	assert.Equal(t, handler.OutcomeStopping, o.Outcome)
	assert.Equal(t, []string{handler.FlagStoppedStillCharging}, o.Flags)
	assert.Equal(t, 1, resp.Summary.Counts[handler.FlagStoppedStillCharging])
	var modes []string
	for _, c := range w.Env.Emu.Calls() {
		if c.Action == "StopInstances" {
			modes = append(modes, c.Params["StoppedMode"])
		}
	}
	assert.Equal(t, []string{"StopCharging", "KeepCharging"}, modes, "asked StopCharging, then KeepCharging")
	in, _ = w.Env.Emu.Instance(ids[0])
	assert.Equal(t, "KeepCharging", in.StoppedMode)

	// Release: the fallback stop, then the release.
	w.Env.Emu.ResetCalls()
	w.Env.Emu.InjectError("StopInstances", ecs.CodeEconomicalModeUnsupported, msg, 1)
	resp, err = w.invoke(handler.NewRelease(w.Deps()), fmt.Sprintf(`{"instanceIds":[%q],"stoppedModeFallback":"KeepCharging"}`, ids[1]))
	require.NoError(t, err)
	assert.Equal(t, handler.OutcomeReleased, outcomeOf(resp, ids[1]).Outcome)
	assert.Empty(t, outcomeOf(resp, ids[1]).Flags, "released: charges nothing")
	assert.Equal(t, []string{"StopInstances", "StopInstances", "DeleteInstances"}, actions(w))
}

// The emulator's economical-mode rules (fleet field EconomicalMode,
// derived from the instance type, network and charge type): a local-disk
// family refuses StopCharging; a classic-network instance stops in
// Not-applicable. Runs once the emulator has them.
func TestEconomicalModeAsTheEmulatorApplies(t *testing.T) {
	t.Parallel()
	if _, ok := reflect.TypeFor[ecsemu.Instance]().FieldByName("EconomicalMode"); !ok {
		t.Skip("the emulator has no economical-mode rules yet (fleet field EconomicalMode)")
	}
	w := newWorld(t, ecsemu.Options{}, nil)
	ids := w.Env.AddFleet(t,
		ecsemu.Instance{CreationTime: old(w), InstanceType: "ecs.i3.xlarge"},
		ecsemu.Instance{CreationTime: old(w), InstanceType: "ecs.i3.xlarge"},
		ecsemu.Instance{CreationTime: old(w), InstanceNetworkType: "classic"},
	)
	resp, err := w.invoke(handler.NewStop(w.Deps()), fmt.Sprintf(`{"instanceIds":[%q]}`, ids[0]))
	require.NoError(t, err)
	assert.Equal(t, handler.CodeEconomicalModeUnsupported, outcomeOf(resp, ids[0]).Code)
	resp, err = w.invoke(handler.NewStop(w.Deps()), fmt.Sprintf(`{"instanceIds":[%q],"stoppedModeFallback":"KeepCharging"}`, ids[1]))
	require.NoError(t, err)
	assert.Equal(t, []string{handler.FlagStoppedStillCharging}, outcomeOf(resp, ids[1]).Flags)
	// Classic network: stopped without error; the next read shows the mode.
	resp, err = w.invoke(handler.NewStop(w.Deps()), fmt.Sprintf(`{"instanceIds":[%q]}`, ids[2]))
	require.NoError(t, err)
	assert.Equal(t, handler.OutcomeStopping, outcomeOf(resp, ids[2]).Outcome)
	w.Advance(time.Minute)
	resp, err = w.invoke(handler.NewStop(w.Deps()), fmt.Sprintf(`{"instanceIds":[%q]}`, ids[2]))
	require.NoError(t, err)
	o := outcomeOf(resp, ids[2])
	assert.Equal(t, handler.OutcomeAlreadyStopped, o.Outcome)
	assert.Equal(t, "Not-applicable", o.StoppedMode)
	assert.Equal(t, []string{handler.FlagStoppedStillCharging}, o.Flags)
}

// The sweep gives no TTL-tagged scaling-group member or ACK node an
// auto-release time, and takes back one it set before the instance joined
// a group or a cluster.
func TestSweepAndOwnedInstances(t *testing.T) {
	t.Parallel()
	w := newWorld(t, ecsemu.Options{}, map[string]string{"SWEEP_SPREAD": "0s"})
	ids := w.Env.AddFleet(t,
		ecsemu.Instance{CreationTime: old(w), Tags: tags("ecs-release:ttl", "72h", ecs.TagScalingGroupID, "asg-1")},
		ecsemu.Instance{CreationTime: old(w), Tags: tags("ecs-release:ttl", "72h", ecs.TagACKCluster, "c-1")},
		ecsemu.Instance{CreationTime: old(w), Tags: tags("ecs-release:ttl", "72h")},
		ecsemu.Instance{CreationTime: old(w), Tags: tags("ecs-release:ttl", "72h")},
	)
	ar := handler.NewAutoRelease(w.Deps())
	resp, err := w.invoke(ar, `{"sweep":true}`)
	require.NoError(t, err)
	assert.Equal(t, handler.CodeAutoScaling, outcomeOf(resp, ids[0]).Code)
	assert.Equal(t, handler.CodeKubernetesNode, outcomeOf(resp, ids[1]).Code)
	assert.Equal(t, handler.OutcomeAutoReleaseSet, outcomeOf(resp, ids[2]).Outcome)
	assert.Equal(t, handler.OutcomeAutoReleaseSet, outcomeOf(resp, ids[3]).Outcome)
	for _, id := range ids[:2] {
		assert.Empty(t, mutatingOn(w, id))
	}

	require.NoError(t, w.Env.Emu.SetTag(ids[2], ecs.TagScalingGroupID, "asg-1"))
	require.NoError(t, w.Env.Emu.SetTag(ids[3], ecs.TagACKNodePool, "np-1"))
	resp, err = w.invoke(ar, `{"sweep":true}`)
	require.NoError(t, err)
	for _, id := range ids[2:] {
		assert.Equal(t, handler.OutcomeAutoReleaseCancelled, outcomeOf(resp, id).Outcome, id)
		in, _ := w.Env.Emu.Instance(id)
		assert.Empty(t, in.AutoReleaseTime, "%s: the time this tool set is taken back", id)
	}
}
