package bench

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestSmallRun runs the whole benchmark at a small scale: the chain
// releases every instance, the baseline is measured and extrapolated, and
// every figure the report promises is filled in. (Targets are checked by
// the bench command at scale, never timed here.)
func TestSmallRun(t *testing.T) {
	if testing.Short() {
		t.Skip("builds four binaries")
	}
	rep, err := Run(context.Background(), "../..", Options{
		Instances: 250, BaselineInstances: 2, Latency: time.Millisecond, StopDelay: 300 * time.Millisecond,
		BaselinePoll: 50 * time.Millisecond, ColdStarts: 1,
	})
	require.NoError(t, err)
	assert.Equal(t, 250, rep.Instances)
	assert.Equal(t, 250, rep.Released)
	assert.True(t, rep.BaselineExtrapolated)
	assert.Equal(t, 2, rep.BaselineMeasuredN)
	// Per instance the baseline makes a stop, at least one poll and a delete.
	assert.GreaterOrEqual(t, rep.BaselineMeasuredCalls, 2*3)
	assert.Equal(t, rep.BaselineMeasuredCalls*125, rep.BaselineCalls, "linear extrapolation")
	assert.Less(t, rep.Calls, rep.BaselineCalls)
	for _, action := range []string{"DescribeInstances", "StopInstances", "DeleteInstances"} {
		assert.Positive(t, rep.CallsByAction[action], action)
	}
	assert.Equal(t, 3, rep.CallsByAction["StopInstances"], "batches of 100")
	assert.Equal(t, 3, rep.CallsByAction["DeleteInstances"], "batches of 100")
	assert.Positive(t, rep.WallSeconds)
	assert.InDelta(t, 0.304, rep.LimitSeconds, 0.0001, "stop delay + 4 round trips")
	assert.Positive(t, rep.PeakRSSBytes)
	assert.Positive(t, rep.ColdStartSeconds)
	assert.Positive(t, rep.HelloColdStartSeconds)
	assert.Positive(t, rep.BinaryBytes)
	assert.Len(t, rep.BinaryBytesByFunction, 3)
}
