package fclocal

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/fc-ecs-release/fc-ecs-release/internal/ecsemu"
	"github.com/fc-ecs-release/fc-ecs-release/shared/handler"
)

func ephemeral(id string, age time.Duration) ecsemu.Instance {
	return ecsemu.Instance{
		InstanceId:   id,
		CreationTime: time.Now().Add(-age).UTC().Format("2006-01-02T15:04Z"),
		Tags: ecsemu.TagSet{Tag: []ecsemu.Tag{
			{TagKey: "ecs-release:managed", TagValue: "true"},
			{TagKey: "lifecycle", TagValue: "ephemeral"},
		}},
	}
}

// The chain as s.yaml wires it, with the real functions: the stop timer
// fires (its payload from s.yaml), ecs-stop runs asynchronously, and its
// onSuccess destination delivers the stop answer to ecs-release, which
// waits for Stopped and releases.
func TestDestinationChainStopToRelease(t *testing.T) {
	t.Parallel()
	fleet := []ecsemu.Instance{ephemeral("i-chain1", 48*time.Hour), ephemeral("i-chain2", 30*time.Hour), ephemeral("i-young", time.Hour)}
	r, rec, emu := startRealRunner(t, fleet, 300*time.Millisecond, map[string]string{"DRY_RUN": "false"})
	at := time.Now()
	stopID, err := r.FireTimer("stop", "nightly-cleanup", at)
	require.NoError(t, err)
	waitIdle(t, r, 40*time.Second)

	stops := rec.of("ecs-stop")
	require.Len(t, stops, 1)
	stop := stops[0]
	require.True(t, stop.OK(), stop.Outcome())
	assert.Equal(t, stopID, stop.RequestID)
	assert.Equal(t, "timer:nightly-cleanup", stop.Trigger)
	var ev TimerEvent
	require.NoError(t, json.Unmarshal(stop.Event, &ev))
	assert.Equal(t, "nightly-cleanup", ev.TriggerName)
	assert.Equal(t, at.UTC().Format(time.RFC3339), ev.TriggerTime)
	stopAns, _, ok := Answer(stop.Payload)
	require.True(t, ok)
	assert.False(t, stopAns.DryRun)
	assert.Equal(t, map[string]int{handler.OutcomeStopping: 2}, stopAns.Summary.Counts)
	require.Len(t, stopAns.Next, 1)
	assert.ElementsMatch(t, []string{"i-chain1", "i-chain2"}, stopAns.Next[0].InstanceIDs)
	assert.Equal(t, "onSuccess -> ecs-release", stop.Next)

	rels := rec.of("ecs-release")
	require.Len(t, rels, 1, "one destination delivery, no retry needed")
	rel := rels[0]
	assert.Equal(t, "destination:onSuccess:ecs-stop", rel.Trigger)
	assert.Equal(t, stop.DestinationRequestID, rel.RequestID)
	d := destinationRecord(t, rel)
	assert.Equal(t, stopID, d.RequestContext.RequestID)
	assert.Equal(t, "acs:fc:cn-hangzhou:123456789012:functions/ecs-stop", d.RequestContext.FunctionARN)
	assert.Equal(t, 1, d.RequestContext.ApproximateInvokeCount)
	assert.Equal(t, string(stop.Event), d.RequestPayload, "requestPayload is the timer event")
	assert.Equal(t, string(stop.Payload), d.ResponsePayload, "responsePayload is the stop answer, byte for byte")
	assert.Equal(t, DestinationResponseContext{StatusCode: 200}, d.ResponseContext)

	require.True(t, rel.OK(), rel.Outcome())
	relAns, _, ok := Answer(rel.Payload)
	require.True(t, ok)
	assert.Equal(t, map[string]int{handler.OutcomeReleased: 2}, relAns.Summary.Counts)
	for _, id := range []string{"i-chain1", "i-chain2"} {
		_, exists := emu.Instance(id)
		assert.False(t, exists, "%s released", id)
	}
	young, ok := emu.Instance("i-young")
	require.True(t, ok)
	assert.Equal(t, ecsemu.StatusRunning, young.Status, "younger than olderThan: untouched")
	assert.Equal(t, 1, emu.CallCounts()["DeleteInstances"])
}
