package handler_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/fc-ecs-release/fc-ecs-release/internal/ecsemu"
	"github.com/fc-ecs-release/fc-ecs-release/shared/handler"
)

// A mutating call refused with throttling is retried only after a backoff
// and a new read: a protect tag added during the backoff holds.
func TestRetryAfterBackoffIsCheckedAgain(t *testing.T) {
	t.Parallel()
	w := newWorld(t, ecsemu.Options{}, nil)
	ids := w.Env.AddFleet(t, ecsemu.Instance{CreationTime: old(w), Status: ecsemu.StatusStopped})
	w.Env.Emu.InjectError("DeleteInstances", "Throttling.User", "Request was denied due to user flow control.", 1)
	// The first sleep of the run is the backoff after the throttled call.
	w.After(time.Millisecond, func() { require.NoError(t, w.Env.Emu.SetTag(ids[0], "ecs-release:protect", "true")) })
	resp, err := w.invoke(handler.NewRelease(w.Deps()), fmt.Sprintf(`{"instanceIds":[%q]}`, ids[0]))
	require.NoError(t, err)
	o := outcomeOf(resp, ids[0])
	assert.Equal(t, "skipped", o.Outcome)
	assert.Equal(t, handler.CodeProtected, o.Code)
	assert.True(t, exists(w, ids[0]))
	deletes := 0
	for _, c := range w.Env.Emu.Calls() {
		if c.Action == "DeleteInstances" {
			deletes++
		}
	}
	assert.Equal(t, 1, deletes, "only the throttled attempt; no retry on the stale read")
}

// An instance started under a minute ago is waited out before a release
// stops it: ECS shows StartTime to the minute, and only then can a later
// restart be told from this start.
func TestAJustStartedInstanceIsWaitedOut(t *testing.T) {
	t.Parallel()
	w := newWorld(t, ecsemu.Options{StopDelay: 10 * time.Second}, nil)
	ids := w.Env.AddFleet(t, ecsemu.Instance{}) // created and started now
	started := w.Env.Emu.Now()
	resp, err := w.invoke(handler.NewRelease(w.Deps()), fmt.Sprintf(`{"instanceIds":[%q]}`, ids[0]))
	require.NoError(t, err)
	assert.Equal(t, "released", outcomeOf(resp, ids[0]).Outcome)
	for _, c := range w.Env.Emu.MutatingCalls() {
		if c.Action == "StopInstances" {
			assert.False(t, c.Time.Before(started.Truncate(time.Minute).Add(time.Minute)), "stopped at %v, in the start's minute", c.Time)
		}
	}
	// Too little time left to wait the minute out: unfinished, retryable.
	ids = w.Env.AddFleet(t, ecsemu.Instance{})
	r := w.Handle(handler.NewRelease(w.Deps()), fmt.Sprintf(`{"instanceIds":[%q]}`, ids[0]), callWithTimeout(40*time.Second))
	require.Error(t, r.Err)
	assert.Contains(t, r.Err.Error(), "Unfinished")
	assert.True(t, exists(w, ids[0]))
}

// The same instance in two requests of one batch: acted on once with the
// same options, not at all with different ones.
func TestOneInstanceInSeveralRequests(t *testing.T) {
	t.Parallel()
	w := newWorld(t, ecsemu.Options{}, nil)
	ids := w.Env.AddFleet(t, ecsemu.Instance{CreationTime: old(w), Status: ecsemu.StatusStopped}, ecsemu.Instance{CreationTime: old(w), Status: ecsemu.StatusStopped})
	same, differ := ids[0], ids[1]
	batch := "[" + strings.Join([]string{
		mustJSON(t, cloudEvent("d1", fmt.Sprintf(`{"instanceIds":[%q,%q]}`, same, differ))),
		mustJSON(t, cloudEvent("d2", fmt.Sprintf(`{"instanceIds":[%q]}`, same))),
		mustJSON(t, cloudEvent("d3", fmt.Sprintf(`{"instanceIds":[%q],"dryRun":true}`, differ))),
	}, ",") + "]"
	resp, err := w.invoke(handler.NewRelease(w.Deps()), batch)
	require.NoError(t, err)
	byRequest := map[string]string{}
	for _, o := range resp.Instances {
		byRequest[fmt.Sprintf("%s/%d", o.InstanceID, o.Request)] = o.Outcome + "/" + o.Code
	}
	assert.Equal(t, map[string]string{
		same + "/1": "released/", same + "/2": "skipped/" + handler.CodeDuplicate,
		differ + "/1": "skipped/" + handler.CodeConflict, differ + "/3": "skipped/" + handler.CodeConflict,
	}, byRequest)
	assert.False(t, exists(w, same))
	assert.True(t, exists(w, differ), "a dry run and a release of the same instance: neither acts")
}

// The sweep takes back its own time from an instance that left the managed
// scope, and reports (without touching) a time someone else set on a
// protected one. (Someone else's time on an instance outside the scope is
// none of its business: not reported.)
func TestSweepTakesBackItsTimesOnly(t *testing.T) {
	t.Parallel()
	w := newWorld(t, ecsemu.Options{}, map[string]string{"SWEEP_SPREAD": "0s", "MANAGED_TAG": "ecs-release:managed=true"})
	ids := w.Env.AddFleet(t,
		ecsemu.Instance{CreationTime: old(w), Tags: tags("ecs-release:managed", "true", "ecs-release:ttl", "72h")},
		ecsemu.Instance{CreationTime: old(w), Tags: tags("ecs-release:managed", "true", "ecs-release:ttl", "72h")},
	)
	ar := handler.NewAutoRelease(w.Deps())
	_, err := w.invoke(ar, `{"sweep":true}`)
	require.NoError(t, err)
	for _, id := range ids {
		in, _ := w.Env.Emu.Instance(id)
		require.NotEmpty(t, in.AutoReleaseTime)
		assert.Contains(t, in.Tags.Tag, ecsemu.Tag{TagKey: handler.AutoReleaseMarker, TagValue: in.AutoReleaseTime}, "marked with the time it set")
	}
	require.NoError(t, w.Env.Emu.RemoveTag(ids[0], "ecs-release:managed"))
	require.NoError(t, w.Env.Emu.SetTag(ids[1], "ecs-release:protect", "true"))
	theirs := w.Env.Emu.Now().Add(7 * time.Hour)
	require.NoError(t, w.Env.Emu.SetAutoReleaseTime(ids[1], theirs)) // someone else moved it
	resp, err := w.invoke(ar, `{"sweep":true}`)
	require.NoError(t, err)
	assert.Equal(t, "auto-release-cancelled", outcomeOf(resp, ids[0]).Outcome)
	in0, _ := w.Env.Emu.Instance(ids[0])
	assert.Empty(t, in0.AutoReleaseTime, "the time this tool set is taken back")
	for _, tag := range in0.Tags.Tag {
		assert.NotEqual(t, handler.AutoReleaseMarker, tag.TagKey, "and its marker")
	}
	o := outcomeOf(resp, ids[1])
	assert.Equal(t, "skipped", o.Outcome)
	assert.Equal(t, handler.CodeNotOurs, o.Code)
	in1, _ := w.Env.Emu.Instance(ids[1])
	assert.Equal(t, theirs.Truncate(time.Minute).Format("2006-01-02T15:04Z"), in1.AutoReleaseTime, "someone else's time is not changed")
}

// A failed job's instance asked to be kept is stopped, not handed over.
func TestStopDoesNotHandOverAKeptInstance(t *testing.T) {
	t.Parallel()
	w := newWorld(t, ecsemu.Options{}, nil)
	ids := w.Env.AddFleet(t, ecsemu.Instance{CreationTime: old(w)}, ecsemu.Instance{CreationTime: old(w)})
	batch := "[" + mustJSON(t, cloudEvent("k1", fmt.Sprintf(`{"instanceIds":[%q],"then":"release","keepOnFailure":true,"jobStatus":"oom"}`, ids[0]))) + "," +
		mustJSON(t, cloudEvent("k2", fmt.Sprintf(`{"instanceIds":[%q],"then":"release","snapshot":true}`, ids[1]))) + "]"
	stop, err := w.invoke(handler.NewStop(w.Deps()), batch)
	require.NoError(t, err)
	assert.Equal(t, handler.CodeKept, outcomeOf(stop, ids[0]).Code)
	require.Len(t, stop.Next, 1)
	assert.Equal(t, []string{ids[1]}, stop.Next[0].InstanceIDs)
	assert.True(t, stop.Next[0].Snapshot, "that request's own options")
	assert.Equal(t, "event:k2", stop.Next[0].OriginRequestID)
}
