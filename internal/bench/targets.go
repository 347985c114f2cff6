package bench

// Targets (issue: cleanup cost and speed at fleet scale). Each is the most
// a figure may be.
const (
	// TargetSize is the fleet size most targets are set at.
	TargetSize = 10_000
	// GrowthSize is the fleet size whose figures are compared with
	// TargetSize's: the cost per instance must not grow with the fleet.
	GrowthSize = 50_000

	// At TargetSize: the chain's calls against the baseline's (extrapolated),
	// against the minimum (median), its wall time against the limit
	// (median), and a function's peak RSS (largest over the runs).
	TargetCallsToBaseline = 0.01
	TargetCallsToMinimum  = 1.2
	TargetWallToLimit     = 1.15
	TargetPeakRSS         = 48 << 20
	// At GrowthSize: calls per instance and wall time against the limit
	// (medians), each at most 10% above TargetSize's, and a function's peak
	// RSS (largest over the runs).
	TargetGrowth        = 1.10
	TargetPeakRSSGrowth = 64 << 20

	// Once per benchmark: the release binary's cold start against a minimal
	// fc.Start binary's, the largest function binary, and the idle policy's
	// CloudMonitor calls against the minimum the API allows for the same
	// reads.
	TargetColdStartRatio = 1.5
	TargetBinaryBytes    = 25 << 20
	TargetIdleRatio      = 1.2
)

// Target is one target: the figure it is judged on (a JSON path in the
// report, or a ratio of two), its value, and the most it may be. The
// verdict is in the Verdicts beside it.
type Target struct {
	Measure string  `json:"measure"`
	Value   float64 `json:"value"`
	Max     float64 `json:"max"`
}

// Target names (keys of Targets and Verdicts).
const (
	TargetNameCallsToBaseline  = "calls_to_baseline"
	TargetNameCallsToMinimum   = "calls_to_minimum"
	TargetNameWallToLimit      = "wall_to_limit"
	TargetNamePeakRSS          = "peak_rss"
	TargetNameCallsPerInstance = "calls_per_instance_growth"
	TargetNameWallGrowth       = "wall_to_limit_growth"
	TargetNameColdStart        = "cold_start"
	TargetNameBinary           = "binary"
	TargetNameIdle             = "idle_calls_to_minimum"
)

// judged holds targets and their verdicts (empty where none is set).
type judged struct {
	Targets  map[string]Target `json:"targets"`
	Verdicts map[string]bool   `json:"verdicts"`
}

func (j *judged) reset() { j.Targets, j.Verdicts = map[string]Target{}, map[string]bool{} }

func (j *judged) addTarget(name, measure string, value, most float64) {
	j.Targets[name] = Target{Measure: measure, Value: value, Max: most}
	j.Verdicts[name] = value <= most
}

// judge fills in the targets and verdicts of the report and its sizes. A
// size whose runs did not all complete gets none; neither do growth
// targets without a complete TargetSize to compare with.
func (r *Report) judge() {
	r.reset()
	r.addTarget(TargetNameColdStart, "cold_start_ratio", r.ColdStartRatio, TargetColdStartRatio)
	r.addTarget(TargetNameBinary, "binary_bytes", float64(r.BinaryBytes), TargetBinaryBytes)
	if r.Idle != nil {
		r.addTarget(TargetNameIdle, "idle.ratio_to_minimum", r.Idle.Ratio, TargetIdleRatio)
	}
	var ref *SizeReport
	for i := range r.Sizes {
		if s := &r.Sizes[i]; s.Instances == TargetSize && s.complete() {
			ref = s
		}
	}
	for i := range r.Sizes {
		s := &r.Sizes[i]
		s.reset()
		if !s.complete() {
			continue
		}
		switch s.Instances {
		case TargetSize:
			s.addTarget(TargetNameCallsToBaseline, "calls.median / baseline_calls", s.CallsToBaseline, TargetCallsToBaseline)
			s.addTarget(TargetNameCallsToMinimum, "calls_to_minimum.median", s.CallsToMinimum.Median, TargetCallsToMinimum)
			s.addTarget(TargetNameWallToLimit, "wall_to_limit.median", s.WallToLimit.Median, TargetWallToLimit)
			s.addTarget(TargetNamePeakRSS, "peak_rss_bytes.max", s.PeakRSSBytes.Max, TargetPeakRSS)
		case GrowthSize:
			if ref != nil {
				s.addTarget(TargetNameCallsPerInstance, "calls_per_instance.median / the 10,000 median",
					ratio(s.CallsPerInstance.Median, ref.CallsPerInstance.Median), TargetGrowth)
				s.addTarget(TargetNameWallGrowth, "wall_to_limit.median / the 10,000 median",
					ratio(s.WallToLimit.Median, ref.WallToLimit.Median), TargetGrowth)
			}
			s.addTarget(TargetNamePeakRSS, "peak_rss_bytes.max", s.PeakRSSBytes.Max, TargetPeakRSSGrowth)
		}
	}
}
