package handler_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/fc-ecs-release/fc-ecs-release/internal/ecsemu"
	"github.com/fc-ecs-release/fc-ecs-release/shared/handler"
)

// A fleet's cleanup reads each instance once after it stopped: release
// waits for a hand-over by reading only its first batch, then its planning
// read sees the instances Stopped and is also their status read and the
// check at the moment of release (nothing is read again), and the release
// is verified in one call when the pool is emptied.
func TestHandOverReadsEachInstanceOnceAfterItStopped(t *testing.T) {
	t.Parallel()
	w := newWorld(t, ecsemu.Options{StopDelay: 40 * time.Second}, map[string]string{"MAX_INSTANCES": "1000"})
	ids := addPool(w, 350, "fleet", nil)
	stop, err := w.invoke(handler.NewStop(w.Deps()), `{"selector":{"tags":{"pool":"fleet"}},"then":"release"}`)
	require.NoError(t, err)
	require.Len(t, stop.Next, 1)
	calls := w.Env.Emu.CallCounts()
	seen := len(w.Env.Emu.Calls())

	rel, err := w.invoke(handler.NewRelease(w.Deps()), destinationRecord(t, stop, false))
	require.NoError(t, err)
	assert.Equal(t, 350, rel.Summary.Counts[handler.OutcomeReleased])
	for _, id := range ids {
		assert.False(t, exists(w, id), id)
	}
	after := w.Env.Emu.CallCounts()
	describes := after["DescribeInstances"] - calls["DescribeInstances"]
	sums := w.LogRecords("summary")
	require.Len(t, sums, 2)
	purposes := sums[1]["apiCallsByPurpose"].(map[string]any)
	assert.Nil(t, purposes["recheck"], "no instance read again before its release: %v", purposes)
	assert.Equal(t, float64(1), purposes["verify"], "one call verifies the emptied pool")
	// Probes of the last batch while the instances stop, the planning read
	// of the other 250 (3 calls), the verify.
	probes := describes - 3 - 1
	reads := map[string]int{}
	for _, c := range w.Env.Emu.Calls()[seen:] {
		var named []string
		if c.Action == "DescribeInstances" && c.Params["InstanceIds"] != "" {
			require.NoError(t, json.Unmarshal([]byte(c.Params["InstanceIds"]), &named))
		}
		for _, id := range named {
			reads[id]++
		}
	}
	for i, id := range ids {
		if i >= 100 {
			assert.Equal(t, 1, reads[id], "%s: read once, by the planning read", id)
		} else {
			assert.Equal(t, probes, reads[id], "%s: read by every probe, the last of which is its planning read", id)
		}
	}
	assert.GreaterOrEqual(t, probes, 2, "the instances were still stopping when release began")
	assert.LessOrEqual(t, probes, 12, "a 40 s stop is waited out in rounds of one call")
	assert.Equal(t, 4, after["DeleteInstances"]-calls["DeleteInstances"], "batches of 100")
	assert.Equal(t, 4, after["DescribeDisks"]-calls["DescribeDisks"], "the region's 350 disks, 100 a page, read once for the receipts")
}

// What is Stopped when the release reads it is released on that read,
// before the wait for the others (which would make the read stale and cost
// a re-read per batch); the rest follows once Stopped, and one read at the
// end verifies them all.
func TestStoppedAreReleasedBeforeTheWaitForTheOthers(t *testing.T) {
	t.Parallel()
	w := newWorld(t, ecsemu.Options{StopDelay: 40 * time.Second}, map[string]string{"MAX_INSTANCES": "1000"})
	ids := addPool(w, 300, "mixed", func(i int, in *ecsemu.Instance) {
		if i%2 == 0 {
			in.Status = ecsemu.StatusStopped
		}
	})
	rel, err := w.invoke(handler.NewRelease(w.Deps()), `{"selector":{"tags":{"pool":"mixed"}}}`)
	require.NoError(t, err)
	assert.Equal(t, 300, rel.Summary.Counts[handler.OutcomeReleased])
	for _, id := range ids {
		assert.False(t, exists(w, id), id)
	}
	sums := w.LogRecords("summary")
	require.Len(t, sums, 1)
	// The released are logged on every core: each once, with its receipt.
	released, receipts := map[string]int{}, map[string]int{}
	for _, rec := range w.LogRecords("instance") {
		if rec["outcome"] == handler.OutcomeReleased {
			released[rec["instanceId"].(string)]++
		}
	}
	for _, rec := range w.LogRecords("release receipt") {
		receipts[rec["instanceId"].(string)]++
	}
	for _, id := range ids {
		assert.Equal(t, 1, released[id], "one outcome line for %s", id)
		assert.Equal(t, 1, receipts[id], "one receipt for %s", id)
	}
	purposes := sums[0]["apiCallsByPurpose"].(map[string]any)
	assert.Nil(t, purposes["recheck"], "nothing read again before its release: %v", purposes)
	assert.Equal(t, float64(1), purposes["verify"], "one read verifies both releases")
	// The stopped half is deleted before the running half can be Stopped
	// (40 s after its stop); the running half after.
	var stoppedAt time.Time
	var deletes []time.Time
	for _, c := range w.Env.Emu.Calls() {
		switch c.Action {
		case "StopInstances":
			stoppedAt = c.Time
		case "DeleteInstances":
			deletes = append(deletes, c.Time)
		}
	}
	require.Len(t, deletes, 4)
	for i, at := range deletes {
		if i < 2 {
			assert.True(t, at.Before(stoppedAt.Add(40*time.Second)), "delete %d at %v: before the wait", i, at)
		} else {
			assert.False(t, at.Before(stoppedAt.Add(40*time.Second)), "delete %d at %v: after the wait", i, at)
		}
	}
	calls := w.Env.Emu.CallCounts()
	assert.Equal(t, 4, calls["DeleteInstances"], "150 stopped, then 150 once Stopped, in batches of 100")
}

// TestLinesAreWrittenBeforeAWait: the invocation's log lines are batched,
// but everything logged before a wait is written before the wait (a
// function killed at its timeout, which comes while it waits, has lost
// nothing it logged before).
func TestLinesAreWrittenBeforeAWait(t *testing.T) {
	t.Parallel()
	w := newWorld(t, ecsemu.Options{StopDelay: 40 * time.Second}, nil)
	id := w.Env.AddFleet(t, ecsemu.Instance{CreationTime: old(w), Tags: tags("pool", "wait")})[0]
	var during string
	ran := false
	w.After(20*time.Second, func() { during, ran = w.LogText(), true })
	rel, err := w.invoke(handler.NewRelease(w.Deps()), `{"instanceIds":["`+id+`"]}`)
	require.NoError(t, err)
	assert.Equal(t, 1, rel.Summary.Counts[handler.OutcomeReleased])
	require.True(t, ran, "the wait ran")
	assert.Contains(t, during, `"msg":"invocation"`, "logged before the wait, written before it")
	assert.NotContains(t, during, `"msg":"summary"`)
	assert.Contains(t, w.LogText(), `"msg":"summary"`, "everything is written before the answer")
}

// TestNamedInstancesKeepTheirOrder: a request naming a fleet is read 100
// IDs a call, several calls at once, and settled in the order it named
// them: the answer lists the released in that order and each gone one as
// not found, whichever call read it.
func TestNamedInstancesKeepTheirOrder(t *testing.T) {
	t.Parallel()
	w := newWorld(t, ecsemu.Options{}, map[string]string{"MAX_INSTANCES": "1000"})
	ids := addPool(w, 250, "named", func(_ int, in *ecsemu.Instance) { in.Status = ecsemu.StatusStopped })
	// Named in reverse, with three gone IDs among them (in the first,
	// second and last call's share).
	gone := []string{"i-gone00000000000000a", "i-gone00000000000000b", "i-gone00000000000000c"}
	var named []string
	for i := len(ids) - 1; i >= 0; i-- {
		named = append(named, ids[i])
		switch i {
		case 240:
			named = append(named, gone[0])
		case 120:
			named = append(named, gone[1])
		case 0:
			named = append(named, gone[2])
		}
	}
	rel, err := w.invoke(handler.NewRelease(w.Deps()), mustJSON(t, map[string]any{"instanceIds": named}))
	require.NoError(t, err)
	var released, notFound []string
	for _, o := range rel.Instances {
		switch {
		case o.Outcome == handler.OutcomeReleased:
			released = append(released, o.InstanceID)
		case o.Code == handler.CodeNotFound:
			notFound = append(notFound, o.InstanceID)
		}
	}
	var want []string
	for i := len(ids) - 1; i >= 0; i-- {
		want = append(want, ids[i])
	}
	assert.Equal(t, want, released, "released in the order named")
	assert.Equal(t, gone, notFound, "each gone ID reported, in the order named")
}
