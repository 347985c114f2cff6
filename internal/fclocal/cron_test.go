package fclocal

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Timers fire on their schedule, never at start-up, asynchronously, with
// FC's timer event; enable: false is respected.
func TestTimersFireOnSchedule(t *testing.T) {
	t.Parallel()
	yml := strings.Replace(testSYAML, "enable: false", "enable: true", 1)
	yml += `
  off:
    component: fc3
    extend:
      name: fn
    props:
      functionName: off
      triggers:
        - triggerName: never
          triggerType: timer
          triggerConfig: {cronExpression: '@every 1s', enable: false}
`
	r, rec := startTestRunner(t, yml, 10*time.Millisecond)
	started := time.Now()
	require.NoError(t, r.StartTimers())
	// Nothing fires at start-up: the first run comes one interval after
	// start (checked below on the runs' own start times, without a sleep).
	require.Eventually(t, func() bool { return len(rec.of("flaky")) >= 2 }, 5*time.Second, 20*time.Millisecond)
	invs := rec.of("flaky")
	assert.GreaterOrEqual(t, invs[0].Start.Sub(started), 900*time.Millisecond, "the first run is one interval after start")
	for _, inv := range invs {
		assert.True(t, inv.Async, "timers invoke asynchronously")
		assert.Equal(t, "timer:tick", inv.Trigger)
		require.True(t, inv.OK(), inv.Outcome())
		var ev TimerEvent
		require.NoError(t, json.Unmarshal(inv.Event, &ev))
		assert.Equal(t, "tick", ev.TriggerName)
		require.NotNil(t, ev.Payload)
		assert.Equal(t, `{"from":"tick"}`, *ev.Payload, "the payload is the configured string")
		at, err := time.Parse(time.RFC3339, ev.TriggerTime)
		require.NoError(t, err)
		assert.Equal(t, time.UTC, at.Location())
		assert.WithinDuration(t, inv.Start, at, time.Second)
	}
	assert.Empty(t, rec.of("off"), "enable: false never fires")
	_, err := r.FireTimer("off", "never", time.Now())
	assert.ErrorContains(t, err, "disabled")

	sched := r.Timers(time.Now())
	require.Len(t, sched, 2)
	assert.False(t, sched[0].Next.IsZero())
	assert.True(t, sched[1].Next.IsZero(), "a disabled timer has no next time")
}
