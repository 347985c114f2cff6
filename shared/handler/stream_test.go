package handler_test

import (
	"maps"
	"net/url"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/fc-ecs-release/fc-ecs-release/internal/ecsemu"
	"github.com/fc-ecs-release/fc-ecs-release/internal/handlertest"
	"github.com/fc-ecs-release/fc-ecs-release/shared/handler"
	"github.com/fc-ecs-release/fc-ecs-release/shared/request"
)

// handOver stops a pool of n and returns the IDs it handed over (in the
// order named) and release's event.
func handOver(t *testing.T, w *world, n int) ([]string, string) {
	ids := addPool(w, n, "batch", nil)
	stop, err := w.invoke(handler.NewStop(w.Deps()), `{"selector":{"tags":{"pool":"batch"}},"then":"release"}`)
	require.NoError(t, err)
	named := handlertest.HandedOver(stop)
	require.ElementsMatch(t, ids, named)
	return named, destinationRecord(t, stop, false)
}

// deletesOf counts the DeleteInstances that named each instance.
func deletesOf(w *world) map[string]int {
	out := map[string]int{}
	for _, c := range w.Env.Emu.MutatingCalls() {
		if c.Action != "DeleteInstances" {
			continue
		}
		for k, v := range c.Params {
			if strings.HasPrefix(k, "InstanceId.") {
				out[v]++
			}
		}
	}
	return out
}

// A hand-over's planning read is acted on as it arrives: each page's
// Stopped instances are released while the next pages are read, checked on
// that page's read like any release (guards, status, no start since the
// hand-over). What a guard refuses, or what was started again, is kept;
// what is still Stopping is waited for and released after.
func TestHandOverIsReleasedPageByPageAsItIsRead(t *testing.T) {
	t.Parallel()
	w := newWorld(t, ecsemu.Options{StopDelay: 30 * time.Second}, map[string]string{"MAX_INSTANCES": "1000"})
	named, event := handOver(t, w, 450)
	protected, locked, running, again := named[150], named[260], named[120], named[350]
	slow, slower := named[10], named[280]
	// Stopped at 30 s, except slow (70 s: the first page, which release
	// watches, so its planning read comes after 70 s) and slower (100 s).
	require.NoError(t, w.Env.Emu.SetStuck(true, slow, slower))
	w.After(70*time.Second, func() { require.NoError(t, w.Env.Emu.SetStuck(false, slow)) })
	w.After(100*time.Second, func() { require.NoError(t, w.Env.Emu.SetStuck(false, slower)) })
	w.After(10*time.Second, func() {
		require.NoError(t, w.Env.Emu.SetTag(protected, "ecs-release:protect", "true"))
		require.NoError(t, w.Env.Emu.SetDeletionProtection(locked, true))
	})
	// Started again by hand once Stopped: one is Running when release
	// reads it, the other Stopped again (at 62 s), with a later start.
	w.After(31*time.Second, func() {
		require.NoError(t, w.Env.Emu.OperatorStart(running))
		require.NoError(t, w.Env.Emu.OperatorStart(again))
	})
	w.After(32*time.Second, func() { require.NoError(t, w.Env.Emu.OperatorStop(again, false)) })
	w.Env.Emu.ResetCalls()
	rel, err := w.invoke(handler.NewRelease(w.Deps()), event)
	require.NoError(t, err)

	kept := map[string]bool{protected: true, locked: true, running: true, again: true}
	for id := range kept {
		assert.True(t, exists(w, id), "%s is kept", id)
		assert.Equal(t, handler.OutcomeSkipped, outcomeOf(rel, id).Outcome, "%s", id)
	}
	assert.Equal(t, handler.CodeRestarted, outcomeOf(rel, running).Code)
	assert.Equal(t, handler.CodeRestarted, outcomeOf(rel, again).Code)
	deletes := deletesOf(w)
	var want, released []string
	for _, id := range named {
		if kept[id] {
			assert.Zero(t, deletes[id], "%s: no DeleteInstances", id)
			continue
		}
		want = append(want, id)
		assert.Equal(t, 1, deletes[id], "%s: one DeleteInstances", id)
		assert.False(t, exists(w, id), "%s released", id)
	}
	for _, o := range rel.Instances {
		if o.Outcome == handler.OutcomeReleased {
			released = append(released, o.InstanceID)
		}
	}
	assert.Equal(t, want, released, "the released, in the order named")
	assert.Len(t, w.LogRecords("release receipt"), len(want), "a receipt each")

	// Released page by page: every DeleteInstances names instances of one
	// page of the read (100 IDs a page, in the order named), and the last
	// one slower alone. Released after the whole read, the ready would be
	// cut into batches of 100 across the pages the kept ones shortened.
	page := map[string]int{}
	for i, id := range named {
		page[id] = i / 100
	}
	var calls []int
	for _, c := range w.Env.Emu.MutatingCalls() {
		if c.Action != "DeleteInstances" {
			continue
		}
		pages, n := map[int]bool{}, 0
		for k, v := range c.Params {
			if strings.HasPrefix(k, "InstanceId.") {
				pages[page[v]] = true
				n++
			}
		}
		assert.Len(t, pages, 1, "one page per DeleteInstances: %v", pages)
		calls = append(calls, n)
	}
	require.Len(t, calls, 6)
	// Pages 1 to 5 side by side: the second lacks protected and running,
	// the third locked and slower, the fourth again.
	assert.ElementsMatch(t, []int{100, 98, 98, 99, 50}, calls[:5], "a call per page")
	assert.Equal(t, 1, calls[5], "then slower's, once Stopped")
}

// A planning read that fails once some of its pages were released does
// not lose them: they are verified and get their receipts, the instances
// not read end failed (retryable, so FC retries the invocation), and the
// retry releases those. No instance is released twice, none is left.
func TestHandOverReadFailingAfterReleasesLosesNothing(t *testing.T) {
	t.Parallel()
	var refused atomic.Value
	w := &world{handlertest.NewWorldWith(t, handlertest.WorldOptions{Emulator: ecsemu.Options{StopDelay: 30 * time.Second},
		Vars: map[string]string{"MAX_INSTANCES": "1000"}, Front: handlertest.RefusingReadsOf(&refused)})}
	named, event := handOver(t, w, 450)
	// The probe reads the first 100; the planning read the rest, 100 a
	// call: the third of its calls (named[300:400]) is refused.
	refused.Store(named[300])
	first := w.Handle(handler.NewRelease(w.Deps()), event, callWithTimeout(15*time.Minute))
	require.Error(t, first.Err, "instances left to retry fail the invocation, so FC retries it")

	deletes := deletesOf(w)
	receipts := map[string]int{}
	for _, rec := range w.LogRecords("release receipt") {
		receipts[rec["instanceId"].(string)]++
	}
	outcome := map[string]map[string]any{}
	for _, rec := range w.LogRecords("instance") {
		outcome[rec["instanceId"].(string)] = rec
	}
	for i, id := range named {
		if i < 300 {
			assert.False(t, exists(w, id), "%s released", id)
			assert.Equal(t, 1, receipts[id], "%s: its receipt", id)
			assert.Equal(t, handler.OutcomeReleased, outcome[id]["outcome"], "%s", id)
			continue
		}
		assert.True(t, exists(w, id), "%s not read, not released", id)
		assert.Zero(t, deletes[id], "%s: no DeleteInstances", id)
		assert.Equal(t, handler.OutcomeFailed, outcome[id]["outcome"], "%s", id)
		assert.Equal(t, true, outcome[id]["retryable"], "%s", id)
		assert.Equal(t, "Forbidden.RAM", outcome[id]["errorCode"], "%s", id)
	}
	assert.Contains(t, w.LogText(), "refused by the test's gateway")

	// FC's retry of the same event, the read no longer refused.
	refused.Store("")
	retry, err := w.invoke(handler.NewRelease(w.Deps()), event)
	require.NoError(t, err)
	deletes = deletesOf(w)
	for i, id := range named {
		assert.False(t, exists(w, id), "%s released", id)
		assert.Equal(t, 1, deletes[id], "%s: one DeleteInstances over both invocations", id)
		if i >= 300 {
			assert.Equal(t, handler.OutcomeReleased, outcomeOf(retry, id).Outcome, "%s", id)
		} else {
			assert.Equal(t, handler.CodeNotFound, outcomeOf(retry, id).Code, "%s", id)
		}
	}
}

// A streamed DeleteInstances that fails in a way worth retrying
// (throttling) is retried like any other: after a backoff, on a new read,
// checked again.
func TestStreamedDeleteThrottledIsRetriedOnANewRead(t *testing.T) {
	t.Parallel()
	w := newWorld(t, ecsemu.Options{StopDelay: 30 * time.Second}, map[string]string{"MAX_INSTANCES": "1000"})
	named, event := handOver(t, w, 250)
	w.Env.Emu.ResetCalls()
	w.Env.Emu.InjectError("DeleteInstances", "Throttling.User", "Request was denied due to user flow control.", 1)
	rel, err := w.invoke(handler.NewRelease(w.Deps()), event)
	require.NoError(t, err)
	for _, id := range named {
		assert.False(t, exists(w, id), "%s released", id)
		assert.Equal(t, handler.OutcomeReleased, outcomeOf(rel, id).Outcome, "%s", id)
	}
	// The throttled call's instances were read again before the retry,
	// after a sleep; every instance was deleted once.
	var throttled []string
	var at time.Time
	reread, retried := false, false
	for _, c := range w.Env.Emu.Calls() {
		switch {
		case c.Action == "DeleteInstances" && c.Injected:
			at = c.Time
			for k, v := range c.Params {
				if strings.HasPrefix(k, "InstanceId.") {
					throttled = append(throttled, v)
				}
			}
		case c.Action == "DescribeInstances" && throttled != nil && strings.Contains(c.Params["InstanceIds"], throttled[0]):
			reread = true
		case c.Action == "DeleteInstances" && throttled != nil && slices.Contains(slices.Collect(maps.Values(c.Params)), throttled[0]):
			retried = true
			assert.True(t, reread, "read again before the retry")
			assert.True(t, c.Time.After(at), "the retry waits a backoff (%s, then %s)", at, c.Time)
		}
	}
	require.NotEmpty(t, throttled)
	assert.True(t, retried)
	done := map[string]int{}
	for _, c := range w.Env.Emu.Calls() {
		if c.Action == "DeleteInstances" && !c.Injected {
			for k, v := range c.Params {
				if strings.HasPrefix(k, "InstanceId.") {
					done[v]++
				}
			}
		}
	}
	for _, id := range named {
		assert.Equal(t, 1, done[id], "%s: deleted once", id)
	}
	sums := w.LogRecords("summary")
	purposes := sums[len(sums)-1]["apiCallsByPurpose"].(map[string]any)
	assert.NotNil(t, purposes["recheck"], "the retry's read is a recheck: %v", purposes)
}

// A hand-over names an instance its region does not have: it is looked up
// in the next region after the first region's part released its
// instances. When that lookup fails, what was released keeps its
// receipts; the instance not found yet ends failed (retryable), not lost.
func TestHandOverLaterRegionFailingAfterReleasesLosesNothing(t *testing.T) {
	t.Parallel()
	refuseRegion := handlertest.Refusing(func(q url.Values) bool {
		return q.Get("Action") == "DescribeInstances" && q.Get("RegionId") == "cn-hangzhou"
	})
	w := &world{handlertest.NewWorldWith(t, handlertest.WorldOptions{Vars: map[string]string{"MAX_INSTANCES": "1000"}, Front: refuseRegion})}
	fleet := make([]ecsemu.Instance, 150)
	for i := range fleet {
		fleet[i] = ecsemu.Instance{CreationTime: old(w), StartTime: old(w), Status: ecsemu.StatusStopped, RegionId: "cn-shanghai"}
	}
	shanghai := w.Env.AddFleet(t, fleet...)
	elsewhere := w.Env.AddFleet(t, ecsemu.Instance{CreationTime: old(w), StartTime: old(w), Status: ecsemu.StatusStopped})[0]
	stop := &handler.Response{RequestID: "stop-req-regions", Function: "stop", Instances: []handler.InstanceOutcome{},
		Next: []request.Request{{Region: "cn-shanghai", InstanceIDs: append(slices.Clone(shanghai), elsewhere), Reason: "regions",
			OriginRequestID: "stop-req-regions", StoppedAt: w.Env.Emu.Now().UTC().Truncate(time.Second).Format(time.RFC3339)}}}
	res := w.Handle(handler.NewRelease(w.Deps()), destinationRecord(t, stop, true), callWithTimeout(15*time.Minute))
	require.Error(t, res.Err, "an instance left to retry fails the invocation")
	receipts := map[string]int{}
	for _, rec := range w.LogRecords("release receipt") {
		receipts[rec["instanceId"].(string)]++
	}
	for _, id := range shanghai {
		assert.False(t, exists(w, id), "%s released", id)
		assert.Equal(t, 1, receipts[id], "%s: its receipt", id)
	}
	assert.True(t, exists(w, elsewhere))
	var last map[string]any
	for _, rec := range w.LogRecords("instance") {
		if rec["instanceId"] == elsewhere {
			last = rec
		}
	}
	require.NotNil(t, last, "an outcome for %s", elsewhere)
	assert.Equal(t, handler.OutcomeFailed, last["outcome"])
	assert.Equal(t, true, last["retryable"])
}
