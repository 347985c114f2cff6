package bench

import (
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestMedian(t *testing.T) {
	for _, c := range []struct {
		in   []float64
		want float64
	}{
		{nil, 0},
		{[]float64{3}, 3},
		{[]float64{1, 2}, 1.5},
		{[]float64{1, 2, 10}, 2},
		{[]float64{1, 2, 3, 10}, 2.5},
	} {
		assert.Equal(t, c.want, median(c.in), c.in)
	}
}

func TestStatsOf(t *testing.T) {
	assert.Equal(t, Stats{}, statsOf(nil))
	in := []float64{7, 1, 4}
	assert.Equal(t, Stats{Min: 1, Median: 4, Max: 7}, statsOf(in))
	assert.Equal(t, []float64{7, 1, 4}, in, "the samples are not reordered")
	assert.Equal(t, Stats{Min: 2, Median: 3, Max: 4}, statsOf([]float64{4, 2}))
}

func TestMedianRun(t *testing.T) {
	assert.Equal(t, -1, medianRun(nil))
	assert.Equal(t, 0, medianRun([]RunReport{{Calls: 9}}))
	// Lower middle by calls: 700 (index 2) of 690, 700, 710, 720.
	assert.Equal(t, 2, medianRun([]RunReport{{Calls: 720}, {Calls: 690}, {Calls: 700}, {Calls: 710}}))
	// Equal calls: by wall time.
	assert.Equal(t, 1, medianRun([]RunReport{{Calls: 5, WallSeconds: 3}, {Calls: 5, WallSeconds: 2}, {Calls: 5, WallSeconds: 1}}))
}

// The minimum at 10,000 instances, one system disk each, one instance
// type: 4 × 100 pages, 100 DescribeDisks pages, 2 DescribePrice calls.
func TestMinimumCalls(t *testing.T) {
	m := minimumCalls(10000, 10000, 1)
	assert.Equal(t, MinimumCalls{List: 100, Stop: 100, SeeStopped: 100, Delete: 100, DescribeDisks: 100, DescribePrice: 2}, m)
	assert.Equal(t, 502, m.Total())
	assert.Equal(t, 4*10+10+2, minimumCalls(1000, 1000, 1).Total())
	assert.Equal(t, 4*500+500+2, minimumCalls(50000, 50000, 1).Total())
	// Partial pages round up; disks and types count on their own.
	assert.Equal(t, 4*2+3+2, minimumCalls(101, 201, 1).Total())
	assert.Equal(t, 4*1+1+2, minimumCalls(1, 1, 1).Total())
	assert.Equal(t, 4*1+0+2*3, minimumCalls(100, 0, 3).Total())
	assert.Equal(t, 0, minimumCalls(0, 0, 0).Total())
}

// summarize: the stats over the runs, the minimum, the baseline at the
// size, and recheck calls only when every run reported them.
func TestSummarize(t *testing.T) {
	s := SizeReport{Instances: 200, Disks: 200, InstanceTypes: 1, LimitSeconds: 5, Runs: []RunReport{
		{Calls: 24, RecheckCalls: 2, RecheckReported: true, WallSeconds: 6, PeakRSSBytes: 30, CallsByAction: map[string]int{"a": 24}},
		{Calls: 30, RecheckCalls: 4, RecheckReported: true, WallSeconds: 7, PeakRSSBytes: 20, CallsByAction: map[string]int{"a": 30}},
		{Calls: 26, RecheckCalls: 3, RecheckReported: true, WallSeconds: 5.5, PeakRSSBytes: 25, CallsByAction: map[string]int{"a": 26}},
	}}
	s.summarize(BaselineReport{MeasuredInstances: 2, MeasuredCalls: 16, MeasuredWallSeconds: 12})
	assert.Equal(t, 4*2+2+2, s.MinimumCalls)
	assert.Equal(t, Stats{Min: 24, Median: 26, Max: 30}, s.Calls)
	assert.Equal(t, Stats{Min: 2, Median: 2.1666666666666665, Max: 2.5}, s.CallsToMinimum)
	assert.Equal(t, Stats{Min: 0.12, Median: 0.13, Max: 0.15}, s.CallsPerInstance)
	assert.Equal(t, Stats{Min: 2, Median: 3, Max: 4}, s.RecheckCalls)
	assert.True(t, s.RecheckReported)
	assert.Equal(t, Stats{Min: 1.1, Median: 1.2, Max: 1.4}, s.WallToLimit)
	assert.Equal(t, Stats{Min: 20, Median: 25, Max: 30}, s.PeakRSSBytes)
	assert.Equal(t, 2, s.MedianRun)
	assert.Equal(t, map[string]int{"a": 26}, s.CallsByAction)
	assert.Equal(t, 1600, s.BaselineCalls)
	assert.Equal(t, 1200.0, s.BaselineWallSeconds)
	assert.True(t, s.BaselineExtrapolated)
	assert.InDelta(t, 26.0/1600, s.CallsToBaseline, 1e-12)

	s.Runs[1].RecheckReported, s.Runs[1].RecheckCalls = false, 0
	s.summarize(BaselineReport{MeasuredInstances: 200, MeasuredCalls: 16, MeasuredWallSeconds: 12})
	assert.False(t, s.RecheckReported)
	assert.Equal(t, Stats{}, s.RecheckCalls, "one run did not report: 0")
	assert.False(t, s.BaselineExtrapolated)

	none := SizeReport{Instances: 10, MedianRun: -1}
	none.summarize(BaselineReport{})
	assert.False(t, none.RecheckReported)
	assert.Equal(t, -1, none.MedianRun)
	assert.Equal(t, 4+0+0, none.MinimumCalls, "no fleet read: no disks, no types")
}

// Verdicts: at 10,000 the cost targets, at 50,000 the growth against
// 10,000 and the memory, elsewhere none; a failed size gets none.
func TestJudge(t *testing.T) {
	size := func(n int, perInstance, toLimit, rss float64) SizeReport {
		return SizeReport{Instances: n, Runs: []RunReport{{}}, CallsPerInstance: Stats{Median: perInstance}, WallToLimit: Stats{Median: toLimit},
			CallsToMinimum: Stats{Median: 1.1}, CallsToBaseline: 0.009, PeakRSSBytes: Stats{Max: rss}}
	}
	r := &Report{ColdStartRatio: 1.2, BinaryBytes: 14e6, Idle: &IdleReport{Ratio: 1.3}, Sizes: []SizeReport{
		size(1000, 0.09, 1.1, 10<<20),
		size(10000, 0.072, 1.2, 40<<20),
		size(50000, 0.0785, 1.35, 70<<20),
	}}
	r.judge()
	assert.Equal(t, map[string]bool{TargetNameColdStart: true, TargetNameBinary: true, TargetNameIdle: false}, r.Verdicts)
	assert.Empty(t, r.Sizes[0].Verdicts)
	assert.Equal(t, map[string]bool{TargetNameCallsToBaseline: true, TargetNameCallsToMinimum: true, TargetNameWallToLimit: false, TargetNamePeakRSS: true}, r.Sizes[1].Verdicts)
	assert.Equal(t, map[string]bool{TargetNameCallsPerInstance: true, TargetNameWallGrowth: false, TargetNamePeakRSS: false}, r.Sizes[2].Verdicts)
	g := r.Sizes[2].Targets[TargetNameCallsPerInstance]
	assert.InDelta(t, 0.0785/0.072, g.Value, 1e-12)
	assert.Equal(t, TargetGrowth, g.Max)
	assert.Equal(t, float64(TargetPeakRSSGrowth), r.Sizes[2].Targets[TargetNamePeakRSS].Max)
	assert.Equal(t, float64(TargetPeakRSS), r.Sizes[1].Targets[TargetNamePeakRSS].Max)

	// Without a complete 10,000 run there is nothing to grow from.
	r.Sizes[1].Error = "run 1 of 1: stop failed"
	r.judge()
	assert.Empty(t, r.Sizes[1].Verdicts)
	assert.Equal(t, map[string]bool{TargetNamePeakRSS: false}, r.Sizes[2].Verdicts)
	assert.EqualError(t, r.Err(), "10000 instances: run 1 of 1: stop failed")
	assert.False(t, math.IsNaN(r.Sizes[2].Targets[TargetNamePeakRSS].Value))
}
