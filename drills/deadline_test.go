package drills_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/fc-ecs-release/fc-ecs-release/internal/ecsemu"
	"github.com/fc-ecs-release/fc-ecs-release/internal/fclocal"
	"github.com/fc-ecs-release/fc-ecs-release/shared/handler"
	"github.com/fc-ecs-release/fc-ecs-release/shared/request"
)

// TestDeadlineDrill: a release with snapshot:true is cut by its deadline
// mid-saga (two instances stuck in Stopping, the others' snapshots still
// progressing), then retried the way FC's async retry does it: the same
// event in a new invocation (same request id, retry count + 1), after the
// stuck instances were let go and time passed. Nothing is released twice,
// nothing is forgotten, and every disk gets exactly one snapshot, whichever
// shape carried the event.
func TestDeadlineDrill(t *testing.T) {
	t.Parallel()
	shapes := []struct {
		name  string
		event func(t *testing.T, ids []string) string
	}{
		{"CloudEvent job record", func(t *testing.T, ids []string) string {
			return mustJSON(t, map[string]any{"specversion": "1.0", "id": "evt-deadline-1", "source": "batch.jobs", "type": "job:Completed",
				"data": map[string]any{"instanceIds": ids, "status": "succeeded", "snapshot": true, "jobId": "etl-9"}})
		}},
		// A destination record whose next has no stoppedAt is not stop's
		// hand-over (some other function's): a direct request.
		{"destination record", func(t *testing.T, ids []string) string {
			stop := &handler.Response{RequestID: "stop-req-deadline", Function: "stop", Instances: []handler.InstanceOutcome{},
				Next: []request.Request{{InstanceIDs: ids, Snapshot: true, Reason: "deadline drill", OriginRequestID: "stop-req-deadline"}}}
			return destinationRecord(t, stop, true)
		}},
		{"direct invoke", func(t *testing.T, ids []string) string {
			return mustJSON(t, map[string]any{"instanceIds": ids, "snapshot": true, "reason": "deadline drill"})
		}},
	}
	for _, shape := range shapes {
		t.Run(shape.name, func(t *testing.T) {
			t.Parallel()
			deadlineDrill(t, shape.name, shape.event, false)
		})
	}
	// An operator (or a platform that does not keep the request id) sends
	// the same direct request again: every retry is a new logical request,
	// so its ClientTokens differ. The retry must adopt the earlier attempt's
	// snapshots (taken since the instance last started) instead of asking
	// for new ones (IncorrectDiskStatus.CreatingSnapshot while they
	// progress, duplicates after): exactly one snapshot per disk, even when
	// a snapshot outlasts an invocation.
	t.Run("direct invoke, new request id per retry", func(t *testing.T) {
		t.Parallel()
		deadlineDrill(t, "direct invoke, new request id per retry", shapes[2].event, true)
	})
}

func deadlineDrill(t *testing.T, shape string, event func(t *testing.T, ids []string) string, newIDs bool) {
	const timeout = 5 * time.Minute
	snapshotDelay := 8 * time.Minute // longer than an invocation
	w := newWorld(t, ecsemu.Options{StopDelay: 30 * time.Second, SnapshotDelay: snapshotDelay}, nil)
	dataDisk := &ecsemu.FleetDiskSet{Disk: []ecsemu.FleetDisk{{Type: "data", Size: 100}}}
	var fleet []ecsemu.Instance
	for i := range 8 {
		in := ecsemu.Instance{InstanceName: fmt.Sprintf("etl-%d", i), Disks: dataDisk, CreationTime: w.Env.Emu.Now().Add(-24 * time.Hour).Format("2006-01-02T15:04Z")}
		if i >= 6 {
			in.Status = ecsemu.StatusStopped
		}
		fleet = append(fleet, in)
	}
	ids := w.Env.AddFleet(t, fleet...)
	stuck := ids[:2]
	require.NoError(t, w.Env.Emu.SetStuck(true, stuck...))
	disks := map[string]string{} // disk → instance
	for _, d := range w.Env.Emu.Disks() {
		disks[d.DiskId] = d.InstanceId
	}
	require.Len(t, disks, 16, "a system and a data disk each")

	h := handler.NewRelease(w.Deps())
	ev := event(t, ids)
	requestID := "drill-deadline-" + strings.ReplaceAll(shape, " ", "-")

	// The first invocation: cut while two instances are stuck in Stopping
	// and the others' snapshots progress.
	first := w.Handle(h, ev, call{RequestID: requestID, Timeout: timeout})
	require.Error(t, first.Err, "unfinished work fails the invocation so FC retries it")
	assert.LessOrEqual(t, first.Elapsed, timeout)
	assert.Contains(t, first.Err.Error(), "8 instances unfinished")
	for _, id := range ids {
		assert.Contains(t, first.Err.Error(), id, "the error names every unfinished instance")
		_, exists := w.Env.Emu.Instance(id)
		assert.True(t, exists, "nothing released without its completed snapshots")
	}
	snaps := w.Env.Emu.Snapshots()
	assert.Len(t, snaps, 12, "the six stopped instances' disks are being snapshotted")
	for _, s := range snaps {
		assert.Equal(t, "progressing", s.Status)
	}

	// FC retries: the stuck instances finish stopping, a minute passes.
	require.NoError(t, w.Env.Emu.SetStuck(false, stuck...))
	invocations, cuts := 1, 1
	var final *handler.Response
	for retry := 1; retry <= 4 && final == nil; retry++ {
		w.Advance(time.Minute)
		c := call{RequestID: requestID, Retry: retry, Timeout: timeout}
		if newIDs {
			c = call{Timeout: timeout}
		}
		r := w.Handle(h, ev, c)
		invocations++
		assert.LessOrEqual(t, r.Elapsed, timeout)
		if r.Err != nil {
			cuts++
			assert.Contains(t, r.Err.Error(), "unfinished, to be retried")
			continue
		}
		final = response(t, r.Out)
	}
	require.NotNil(t, final, "FC's retries finish the release")
	assert.Greater(t, invocations, 2, "a retry was cut as well (snapshots take longer than one invocation)")
	for _, id := range ids {
		o := outcomeOf(final, id)
		if o.Outcome == "skipped" {
			// Released by an earlier attempt: this one did not see it.
			assert.Equal(t, handler.CodeNotFound, o.Code, "%s: %+v", id, o)
		} else {
			assert.Contains(t, []string{"released", "already-released"}, o.Outcome, "%s: %+v", id, o)
		}
		_, exists := w.Env.Emu.Instance(id)
		assert.False(t, exists, "%s is gone: nothing forgotten", id)
	}

	perDisk, extra := map[string]int{}, 0
	for _, s := range w.Env.Emu.Snapshots() {
		perDisk[s.SourceDiskId]++
		assert.Equal(t, "accomplished", s.Status, s.SnapshotId)
	}
	for d, in := range disks {
		assert.Equal(t, 1, perDisk[d], "disk %s of %s: exactly one snapshot", d, in)
		extra += max(perDisk[d]-1, 0)
	}
	calls := w.Env.Emu.Calls()
	deletes, twice, lost := deletesOf(calls), 0, 0
	for _, id := range ids {
		assert.Equal(t, 1, deletes[id], "%s released exactly once", id)
		if deletes[id] > 1 {
			twice++
		}
		if deletes[id] == 0 {
			lost++
		}
	}
	// Every receipt lists the snapshots taken before the release.
	receipts := w.LogRecords("release receipt")
	assert.Len(t, receipts, len(ids), "one receipt per released instance")
	for _, r := range receipts {
		rec, _ := r["receipt"].(map[string]any)
		assert.Len(t, rec["snapshotIds"], 2, "receipt of %v names a snapshot of each disk", r["instanceId"])
	}
	faults, stats := countFaults(calls), w.retryStats()
	report(t, figures{
		Drill: "deadline/" + shape, Invocations: stats.Invocations, Instances: len(ids), Released: len(ids) - lost,
		ECSCalls: faults.Calls, Retries: stats.Retries, Snapshots: len(w.Env.Emu.Snapshots()),
		Lost: lost, DoubleActions: twice,
		Note: fmt.Sprintf("release with snapshot cut %s by a %v deadline (2 stuck in Stopping, snapshots take %v); %s, %s", fclocal.Plural(cuts, "time"), timeout, snapshotDelay, fclocal.Plural(len(disks), "disk"), fclocal.Plural(extra, "extra snapshot")),
	})
}
