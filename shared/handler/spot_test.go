package handler_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/fc-ecs-release/fc-ecs-release/internal/ecsemu"
	"github.com/fc-ecs-release/fc-ecs-release/internal/handlertest"
	"github.com/fc-ecs-release/fc-ecs-release/shared/handler"
	"github.com/fc-ecs-release/fc-ecs-release/shared/request"
)

// spotFleet is a managed spot instance with a data disk deleted with it, a
// data disk kept and an elastic IP, and a managed bystander.
func spotFleet(t *testing.T, w *world) (spot, bystander string, disks map[string]ecsemu.Disk) {
	no, yes := false, true
	ids := w.Env.AddFleet(t,
		ecsemu.Instance{InstanceName: "spot-worker", CreationTime: old(w), SpotStrategy: ecsemu.SpotAsPriceGo, Tags: tags("ecs-release:managed", "true"),
			Disks: &ecsemu.FleetDiskSet{Disk: []ecsemu.FleetDisk{
				{Type: "data", Size: 100, Category: "cloud_essd", DeleteWithInstance: &yes},
				{Type: "data", Size: 50, Category: "cloud_efficiency", DeleteWithInstance: &no},
			}},
			EipAddress: ecsemu.EipAddress{AllocationId: "eip-spot1", IpAddress: "47.1.2.3"}},
		ecsemu.Instance{InstanceName: "bystander", CreationTime: old(w), Tags: tags("ecs-release:managed", "true")},
	)
	disks = map[string]ecsemu.Disk{}
	for _, d := range w.Env.Emu.Disks() {
		if d.InstanceId == ids[0] {
			disks[d.DiskId] = d
		}
	}
	require.Len(t, disks, 3)
	return ids[0], ids[1], disks
}

// interrupt interrupts a spot instance in the emulator and returns the
// event it emitted in its EventBridge and CloudMonitor forms.
func interrupt(t *testing.T, w *world, id string) (eventBridge, cloudMonitor string) {
	var got []ecsemu.Event
	stop := w.Env.Emu.Subscribe(func(ev ecsemu.Event) { got = append(got, ev) })
	require.NoError(t, w.Env.Emu.SpotInterrupt(id))
	stop()
	require.Len(t, got, 1)
	require.Equal(t, request.ECSSpotInterruptionType, got[0].Type)
	return mustJSON(t, got[0]), mustJSON(t, got[0].CloudMonitor())
}

func diskOf(disks map[string]ecsemu.Disk, del bool, typ string) string {
	for id, d := range disks {
		if d.DeleteWithInstance == del && d.Type == typ {
			return id
		}
	}
	return ""
}

// The interruption's answer: a receipt of what the reclaim takes, a
// snapshot of the data disk it deletes, started once however often the
// event arrives, in either form; ECS reclaims the instance, the function
// never acts on it.
func TestSpotInterruptionReceiptAndSnapshot(t *testing.T) {
	t.Parallel()
	w := newWorld(t, ecsemu.Options{SnapshotDelay: 2 * time.Minute}, map[string]string{"SPOT_SNAPSHOT": "true", "MANAGED_TAG": "ecs-release:managed=true"})
	spot, bystander, disks := spotFleet(t, w)
	lost, kept, system := diskOf(disks, true, "data"), diskOf(disks, false, "data"), diskOf(disks, true, "system")
	eb, cm := interrupt(t, w, spot)

	resp, err := w.invoke(handler.NewRelease(w.Deps()), eb)
	require.NoError(t, err)
	require.Len(t, resp.Instances, 1)
	o := outcomeOf(resp, spot)
	assert.Equal(t, handler.OutcomeSkipped, o.Outcome, o.Reason)
	assert.Equal(t, handler.CodeSpotInterruption, o.Code)
	require.Len(t, o.SnapshotIDs, 1)
	rc := o.Receipt
	require.NotNil(t, rc, "the answer carries the receipt")
	assert.Equal(t, request.SpotActionDelete, rc.SpotInterruption)
	assert.Equal(t, spot, rc.Instance.ID)
	assert.Equal(t, "eip-spot1", rc.Instance.EIPAllocationID)
	require.Len(t, rc.Disks, 3)
	for _, d := range rc.Disks {
		want := disks[d.ID]
		assert.Equal(t, want.Size, d.SizeGiB, d.ID)
		assert.Equal(t, want.Category, d.Category, d.ID)
		assert.Equal(t, want.DeleteWithInstance, d.DeleteWithInstance, d.ID)
	}
	require.Len(t, rc.Snapshots, 1, "the data disk the reclaim deletes, and only it")
	assert.Equal(t, handler.ReceiptSnapshot{DiskID: lost, SnapshotID: o.SnapshotIDs[0], Status: "progressing"}, rc.Snapshots[0])
	assert.Equal(t, o.SnapshotIDs, rc.SnapshotIDs)
	lostText, leftText := strings.Join(rc.Lost, "\n"), strings.Join(rc.Leftovers, "\n")
	assert.Contains(t, lostText, lost)
	assert.Contains(t, lostText, system)
	assert.NotContains(t, lostText, kept)
	assert.Contains(t, leftText, kept)
	assert.Contains(t, leftText, "eip-spot1")
	// What survives keeps billing: a still-billing warning names it.
	require.Len(t, resp.Warnings, 1)
	assert.Equal(t, "still-billing", resp.Warnings[0].Code)
	assert.Equal(t, spot, resp.Warnings[0].InstanceID)
	assert.ElementsMatch(t, []string{kept, "eip-spot1"}, resp.Warnings[0].Resources)
	assert.Contains(t, resp.Warnings[0].Message, "reclaimed by ECS (spot)")
	require.NotNil(t, resp.Summary.StillBilling)
	assert.Positive(t, resp.Summary.StillBilling.Disks)

	snaps := w.Env.Emu.Snapshots()
	require.Len(t, snaps, 1)
	assert.Equal(t, lost, snaps[0].SourceDiskId)
	assert.Equal(t, []string{"CreateSnapshot"}, mutatingOn(w, spot), "a snapshot, nothing else")
	assert.Empty(t, mutatingOn(w, bystander))
	assert.True(t, exists(w, spot), "ECS reclaims it, not the function")
	require.Len(t, w.LogRecords("spot interruption receipt"), 1)

	// FC's retry of the same event, then the CloudMonitor twin: the same
	// snapshot, no second one.
	for _, event := range []string{eb, cm} {
		again, err := w.invoke(handler.NewRelease(w.Deps()), event)
		require.NoError(t, err)
		a := outcomeOf(again, spot)
		assert.Equal(t, handler.CodeSpotInterruption, a.Code)
		assert.Equal(t, o.SnapshotIDs, a.SnapshotIDs)
	}
	assert.Len(t, w.Env.Emu.Snapshots(), 1)
	assert.Equal(t, []string{"CreateSnapshot"}, mutatingOn(w, spot))

	// ECS reclaims it five minutes after the interruption; the snapshot
	// outlives it.
	w.Advance(ecsemu.SpotNoticePeriod)
	assert.False(t, exists(w, spot))
	assert.True(t, exists(w, bystander))
	snaps = w.Env.Emu.Snapshots()
	require.Len(t, snaps, 1)
	assert.Equal(t, "accomplished", snaps[0].Status)

	// A delivery after the reclaim finds nothing.
	late, err := w.invoke(handler.NewRelease(w.Deps()), eb)
	require.NoError(t, err)
	assert.Equal(t, handler.CodeNotFound, outcomeOf(late, spot).Code)
}

// Without SPOT_SNAPSHOT (or snapshot in the request) the answer is the
// receipt alone; in a dry run, the snapshots it would start.
func TestSpotInterruptionWithoutSnapshotAndInDryRun(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name  string
		vars  map[string]string
		snaps []string
	}{
		{"no snapshot asked", nil, nil},
		{"dry run", map[string]string{"SPOT_SNAPSHOT": "true", "DRY_RUN": "true"}, []string{handler.StatusWouldSnapshot}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			w := newWorld(t, ecsemu.Options{}, tc.vars)
			spot, _, _ := spotFleet(t, w)
			eb, _ := interrupt(t, w, spot)
			resp, err := w.invoke(handler.NewRelease(w.Deps()), eb)
			require.NoError(t, err)
			o := outcomeOf(resp, spot)
			assert.Equal(t, handler.CodeSpotInterruption, o.Code)
			require.NotNil(t, o.Receipt)
			assert.Len(t, o.Receipt.Disks, 3)
			var statuses []string
			for _, s := range o.Receipt.Snapshots {
				statuses = append(statuses, s.Status)
			}
			assert.Equal(t, tc.snaps, statuses)
			assert.Empty(t, o.SnapshotIDs)
			assert.Empty(t, w.Env.Emu.MutatingCalls())
		})
	}
}

// An HTTP request may ask for the same answer (snapshot in the request);
// an instance without the Recycling lock gets the receipt and no snapshot
// (not-interrupted); one outside the managed scope gets nothing.
func TestSpotInterruptionOverHTTPAndItsRefusals(t *testing.T) {
	t.Parallel()
	w := newWorld(t, ecsemu.Options{}, map[string]string{"MANAGED_TAG": "ecs-release:managed=true"})
	spot, calm, _ := spotFleet(t, w)
	outside := w.Env.AddFleet(t, ecsemu.Instance{CreationTime: old(w), SpotStrategy: ecsemu.SpotAsPriceGo})[0]
	require.NoError(t, w.Env.Emu.SpotInterrupt(spot))
	require.NoError(t, w.Env.Emu.SpotInterrupt(outside))

	body := fmt.Sprintf(`{"instanceIds":[%q,%q,%q],"spotInterruption":"delete","snapshot":true}`, spot, calm, outside)
	r := w.Handle(handler.NewRelease(w.Deps()), handlertest.FCHTTPEvent(t, "POST", "/release", body, nil), handlertest.Call{})
	require.NoError(t, r.Err)
	resp := handlertest.HTTPResponse(t, r.Out)
	assert.Equal(t, handler.CodeSpotInterruption, outcomeOf(resp, spot).Code)
	assert.Len(t, outcomeOf(resp, spot).SnapshotIDs, 1, "the request asked for the snapshot")
	c := outcomeOf(resp, calm)
	assert.Equal(t, handler.CodeNotInterrupted, c.Code)
	require.NotNil(t, c.Receipt, "what a reclaim would take")
	assert.Empty(t, c.Receipt.Snapshots)
	assert.Equal(t, handler.CodeOutOfScope, outcomeOf(resp, outside).Code)
	assert.Nil(t, outcomeOf(resp, outside).Receipt)
	assert.Empty(t, mutatingOn(w, calm))
	assert.Empty(t, mutatingOn(w, outside))
	assert.True(t, exists(w, calm))

	// Sent to stop, the interruption is refused, naming the field.
	_, err := w.invoke(handler.NewStop(w.Deps()), fmt.Sprintf(`{"instanceIds":[%q],"spotInterruption":"delete"}`, spot))
	e, ok := request.AsError(err)
	require.True(t, ok, "%v", err)
	assert.Equal(t, "spotInterruption", e.Field)
}

// In one batch beside a spot interruption, a release of the interrupted
// instance is refused by its lock, and the interruption answered; a spot
// interruption and a release naming an instance that both would act on
// differ: neither acts (conflict).
func TestSpotInterruptionBesideARelease(t *testing.T) {
	t.Parallel()
	w := newWorld(t, ecsemu.Options{}, map[string]string{"SPOT_SNAPSHOT": "true"})
	spot, calm, _ := spotFleet(t, w)
	eb, _ := interrupt(t, w, spot)
	batch := "[" + eb + "," + mustJSON(t, cloudEvent("rel-1", fmt.Sprintf(`{"instanceIds":[%q]}`, spot))) + "]"
	resp, err := w.invoke(handler.NewRelease(w.Deps()), batch)
	require.NoError(t, err)
	require.Len(t, resp.Instances, 2)
	codes := map[int]string{}
	for _, o := range resp.Instances {
		codes[o.Request] = o.Code
	}
	assert.Equal(t, map[int]string{1: handler.CodeSpotInterruption, 2: handler.CodeLockedRecycling}, codes)
	assert.Equal(t, []string{"CreateSnapshot"}, mutatingOn(w, spot))
	assert.True(t, exists(w, spot))

	batch = "[" + mustJSON(t, cloudEvent("s-1", fmt.Sprintf(`{"instanceIds":[%q],"spotInterruption":"delete"}`, calm))) + "," +
		mustJSON(t, cloudEvent("rel-2", fmt.Sprintf(`{"instanceIds":[%q]}`, calm))) + "]"
	resp, err = w.invoke(handler.NewRelease(w.Deps()), batch)
	require.NoError(t, err)
	require.Len(t, resp.Instances, 2)
	for _, o := range resp.Instances {
		assert.Equal(t, handler.CodeConflict, o.Code)
	}
	assert.Empty(t, mutatingOn(w, calm))
	assert.True(t, exists(w, calm))
}

// A snapshot ECS refuses for a while (5xx) is retried after a backoff and a
// new read, inside the invocation; one it refuses for good fails the
// instance (code snapshot-failed, not retryable) and keeps the receipt.
func TestSpotSnapshotFailures(t *testing.T) {
	t.Parallel()
	w := newWorld(t, ecsemu.Options{}, map[string]string{"SPOT_SNAPSHOT": "true"})
	spot, _, _ := spotFleet(t, w)
	eb, _ := interrupt(t, w, spot)

	w.Env.Emu.InjectError("CreateSnapshot", "InternalError", "injected", 2)
	resp, err := w.invoke(handler.NewRelease(w.Deps()), eb)
	require.NoError(t, err)
	o := outcomeOf(resp, spot)
	assert.Equal(t, handler.CodeSpotInterruption, o.Code, o.Reason)
	assert.Len(t, o.SnapshotIDs, 1)
	assert.Len(t, w.Env.Emu.Snapshots(), 1)

	w2 := newWorld(t, ecsemu.Options{}, map[string]string{"SPOT_SNAPSHOT": "true"})
	spot2, _, _ := spotFleet(t, w2)
	eb2, _ := interrupt(t, w2, spot2)
	w2.Env.Emu.InjectError("CreateSnapshot", "QuotaExceed.Snapshot", "injected", 1)
	resp, err = w2.invoke(handler.NewRelease(w2.Deps()), eb2)
	require.NoError(t, err, "not retryable: the invocation succeeds with the failure in its answer")
	o = outcomeOf(resp, spot2)
	assert.Equal(t, handler.OutcomeFailed, o.Outcome)
	assert.Equal(t, handler.CodeSnapshotFailed, o.Code)
	require.NotNil(t, o.Error)
	assert.Equal(t, "QuotaExceed.Snapshot", o.Error.Code)
	assert.False(t, o.Error.Retryable)
	require.NotNil(t, o.Receipt, "the receipt stays")
	assert.Empty(t, w2.Env.Emu.Snapshots())
}
