package bench

import (
	"context"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestSmallRun runs the whole benchmark at a small scale: two sizes, two
// runs each; the chain releases every instance in every run, the baseline
// is measured once and extrapolated to each size, the minimum is derived
// from the fleet, and every figure the report promises is filled in and
// consistent with the runs. (Targets are checked by the bench command at
// scale, never timed here.)
func TestSmallRun(t *testing.T) {
	if testing.Short() {
		t.Skip("builds four binaries")
	}
	rep, err := Run(context.Background(), "../..", Options{
		Sizes: []int{150, 250}, Runs: 2, BaselineInstances: 2, Latency: time.Millisecond, StopDelay: 300 * time.Millisecond,
		BaselinePoll: 50 * time.Millisecond, ColdStarts: 1, SkipIdle: true,
	})
	require.NoError(t, err)
	require.NoError(t, rep.Err())
	assert.Equal(t, 2, rep.RunsPerSize)
	assert.Equal(t, MinimumFormula, rep.MinimumFormula)
	assert.Equal(t, LimitFormula, rep.LimitFormula)
	assert.Equal(t, 2, rep.Baseline.MeasuredInstances)
	// Per instance the baseline makes a stop, at least one poll and a delete.
	assert.GreaterOrEqual(t, rep.Baseline.MeasuredCalls, 2*3)
	assert.Positive(t, rep.Baseline.MeasuredWallSeconds)
	assert.Positive(t, rep.ColdStartSeconds)
	assert.Positive(t, rep.HelloColdStartSeconds)
	assert.Positive(t, rep.BinaryBytes)
	assert.Len(t, rep.BinaryBytesByFunction, 3)
	assert.Nil(t, rep.Idle)
	assert.Contains(t, rep.Verdicts, TargetNameColdStart)
	assert.Contains(t, rep.Verdicts, TargetNameBinary)
	assert.NotContains(t, rep.Verdicts, TargetNameIdle, "skipped")

	require.Len(t, rep.Sizes, 2)
	for i, n := range []int{150, 250} {
		s := rep.Sizes[i]
		t.Run(strconv.Itoa(n), func(t *testing.T) {
			assert.Equal(t, n, s.Instances)
			require.Len(t, s.Runs, 2)
			// One 40 GiB system disk per instance, one instance type: 4 pages of
			// instances per step, a DescribeDisks page per 100 disks, and a
			// DescribePrice per pricing function.
			pages := (n + 99) / 100
			assert.Equal(t, n, s.Disks)
			assert.Equal(t, 1, s.InstanceTypes)
			assert.Equal(t, MinimumCalls{List: pages, Stop: pages, SeeStopped: pages, Delete: pages, DescribeDisks: pages, DescribePrice: 2}, s.MinimumCallsByStep)
			assert.Equal(t, 5*pages+2, s.MinimumCalls)
			assert.InDelta(t, 0.304, s.LimitSeconds, 1e-9, "stop delay + 4 round trips")

			var calls, walls, rss, rechecks, toFloor []float64
			for _, r := range s.Runs {
				assert.Equal(t, n, r.Released)
				sum := 0
				for _, c := range r.CallsByAction {
					sum += c
				}
				assert.Equal(t, r.Calls, sum, "calls are the emulator's count over every action")
				assert.Equal(t, pages, r.CallsByAction["StopInstances"], "batches of 100")
				assert.Equal(t, pages, r.CallsByAction["DeleteInstances"], "batches of 100")
				assert.Positive(t, r.CallsByAction["DescribeInstances"])
				assert.GreaterOrEqual(t, r.Calls, s.MinimumCalls)
				assert.Positive(t, r.WallSeconds)
				assert.GreaterOrEqual(t, r.WallSeconds, r.StopSeconds)
				assert.GreaterOrEqual(t, r.WallSeconds, r.ReleaseSeconds)
				// The floor released the same fleet (floor fails otherwise), and no
				// client beats the stop delay.
				assert.GreaterOrEqual(t, r.FloorSeconds, 0.3)
				toFloor = append(toFloor, r.WallSeconds/r.FloorSeconds)
				assert.Positive(t, r.HandOverBytes)
				require.Len(t, r.PeakRSSByFunction, 2)
				assert.Equal(t, max(r.PeakRSSByFunction["stop"], r.PeakRSSByFunction["release"]), r.PeakRSSBytes)
				assert.Positive(t, r.PeakRSSBytes)
				if r.RecheckReported {
					assert.Equal(t, r.CallsByPurpose["recheck"]+r.CallsByPurpose["verify"], r.RecheckCalls)
					assert.LessOrEqual(t, r.RecheckCalls, r.Calls)
				} else {
					assert.Zero(t, r.RecheckCalls)
					assert.Nil(t, r.CallsByPurpose)
				}
				calls = append(calls, float64(r.Calls))
				walls = append(walls, r.WallSeconds)
				rss = append(rss, float64(r.PeakRSSBytes))
				rechecks = append(rechecks, float64(r.RecheckCalls))
			}
			for name, st := range map[string]Stats{"calls": s.Calls, "calls_per_instance": s.CallsPerInstance, "calls_to_minimum": s.CallsToMinimum,
				"recheck_calls": s.RecheckCalls, "wall_seconds": s.WallSeconds, "wall_to_limit": s.WallToLimit, "peak_rss_bytes": s.PeakRSSBytes,
				"stop_seconds": s.StopSeconds, "release_seconds": s.ReleaseSeconds, "floor_seconds": s.FloorSeconds, "wall_to_floor": s.WallToFloor} {
				assert.LessOrEqual(t, st.Min, st.Median, name)
				assert.LessOrEqual(t, st.Median, st.Max, name)
			}
			assert.Equal(t, slices.Min(calls), s.Calls.Min)
			assert.Equal(t, slices.Max(calls), s.Calls.Max)
			assert.InDelta(t, (calls[0]+calls[1])/2, s.Calls.Median, 1e-9, "the median of two runs is their mean")
			assert.InDelta(t, s.Calls.Median/float64(s.MinimumCalls), s.CallsToMinimum.Median, 1e-9)
			assert.InDelta(t, s.Calls.Min/float64(s.MinimumCalls), s.CallsToMinimum.Min, 1e-9)
			assert.InDelta(t, s.Calls.Max/float64(s.MinimumCalls), s.CallsToMinimum.Max, 1e-9)
			assert.InDelta(t, s.Calls.Median/float64(n), s.CallsPerInstance.Median, 1e-9)
			assert.GreaterOrEqual(t, s.CallsToMinimum.Min, 1.0, "no run beats the minimum")
			assert.Equal(t, slices.Max(walls), s.WallSeconds.Max)
			assert.InDelta(t, s.WallSeconds.Median/s.LimitSeconds, s.WallToLimit.Median, 1e-9)
			assert.InDelta(t, s.WallSeconds.Min/s.LimitSeconds, s.WallToLimit.Min, 1e-9)
			assert.Equal(t, slices.Max(rss), s.PeakRSSBytes.Max)
			assert.Equal(t, statsOf(toFloor), s.WallToFloor, "each run over its own floor")
			assert.Equal(t, s.Runs[0].RecheckReported && s.Runs[1].RecheckReported, s.RecheckReported)
			if s.RecheckReported {
				assert.Equal(t, statsOf(rechecks), s.RecheckCalls)
			} else {
				assert.Equal(t, Stats{}, s.RecheckCalls, "not reported: 0")
			}
			require.Contains(t, []int{0, 1}, s.MedianRun)
			assert.Equal(t, s.Runs[s.MedianRun].CallsByAction, s.CallsByAction)
			assert.Equal(t, s.Runs[s.MedianRun].PeakRSSByFunction, s.PeakRSSByFunction)
			// The baseline, extrapolated linearly to this size.
			assert.True(t, s.BaselineExtrapolated)
			assert.Equal(t, rep.Baseline.MeasuredCalls*n/2, s.BaselineCalls, "linear extrapolation")
			assert.InDelta(t, rep.Baseline.MeasuredWallSeconds*float64(n)/2, s.BaselineWallSeconds, 1e-9)
			assert.InDelta(t, s.Calls.Median/float64(s.BaselineCalls), s.CallsToBaseline, 1e-9)
			assert.Less(t, s.Calls.Max, float64(s.BaselineCalls))
			assert.Empty(t, s.Verdicts, "no target at this size")
			assert.Empty(t, s.Error)
		})
	}
}
