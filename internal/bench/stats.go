package bench

import (
	"cmp"
	"slices"

	"github.com/fc-ecs-release/fc-ecs-release/shared/ecs"
)

// Stats are the least, the median and the largest of one figure over the
// runs of a size.
type Stats struct {
	Min    float64 `json:"min"`
	Median float64 `json:"median"`
	Max    float64 `json:"max"`
}

// statsOf summarizes samples (the zero Stats for none).
func statsOf(samples []float64) Stats {
	if len(samples) == 0 {
		return Stats{}
	}
	s := slices.Clone(samples)
	slices.Sort(s)
	return Stats{Min: s[0], Median: median(s), Max: s[len(s)-1]}
}

// median of sorted samples: the middle one, or the mean of the two middle
// ones for an even count (0 for none).
func median(sorted []float64) float64 {
	n := len(sorted)
	switch {
	case n == 0:
		return 0
	case n%2 == 1:
		return sorted[n/2]
	default:
		return (sorted[n/2-1] + sorted[n/2]) / 2
	}
}

// medianRun is the index of the run whose details stand for the size: the
// lower middle one ordered by calls, then by wall time.
func medianRun(runs []RunReport) int {
	if len(runs) == 0 {
		return -1
	}
	idx := make([]int, len(runs))
	for i := range idx {
		idx[i] = i
	}
	slices.SortStableFunc(idx, func(a, b int) int {
		return cmp.Or(cmp.Compare(runs[a].Calls, runs[b].Calls), cmp.Compare(runs[a].WallSeconds, runs[b].WallSeconds))
	})
	return idx[(len(idx)-1)/2]
}

// PricingFunctions is the number of the chain's functions that price what
// they act on (stop and release): each makes one DescribePrice call per
// distinct instance type.
const PricingFunctions = 2

// MinimumFormula says how MinimumCalls is derived; the table prints it and
// the JSON carries it.
const MinimumFormula = "4 × ceil(N/100) + ceil(D/100) + P: N instances (a list that finds them, StopInstances, " +
	"the status read that sees them Stopped, DeleteInstances; 100 instances a call each), " +
	"D disks in the region (DescribeDisks, 100 a page), P = 2 × distinct instance types " +
	"(one DescribePrice per pricing function, stop and release, per type)"

// LimitFormula says how the limit is derived.
const LimitFormula = "stop delay + 4 round trips (find, stop, see Stopped, release; every batch in parallel)"

// MinimumCalls are the calls a stop → release chain cannot avoid, by step
// (see MinimumFormula).
type MinimumCalls struct {
	List          int `json:"list"`
	Stop          int `json:"stop"`
	SeeStopped    int `json:"see_stopped"`
	Delete        int `json:"delete"`
	DescribeDisks int `json:"describe_disks"`
	DescribePrice int `json:"describe_price"`
}

// Total is the minimum number of calls.
func (m MinimumCalls) Total() int {
	return m.List + m.Stop + m.SeeStopped + m.Delete + m.DescribeDisks + m.DescribePrice
}

// minimumCalls for a fleet of instances, disks in the region and distinct
// instance types: ECS takes at most ecs.BatchSize (100) instances a call
// and returns at most that many disks a page.
func minimumCalls(instances, disks, instanceTypes int) MinimumCalls {
	pages := ceilDiv(instances, ecs.BatchSize)
	return MinimumCalls{List: pages, Stop: pages, SeeStopped: pages, Delete: pages,
		DescribeDisks: ceilDiv(disks, ecs.BatchSize), DescribePrice: PricingFunctions * instanceTypes}
}
