package idle

import (
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var now = time.Date(2026, 12, 1, 14, 7, 30, 0, time.UTC)

func rule() Rule {
	return Rule{Window: 24 * time.Hour, Period: 5 * time.Minute, CPUBelow: new(float64(5)), NetworkBelowBps: new(float64(10_000))}
}

// full is one point per period of the window, each value from v.
func full(r Rule, v func(i int) float64) []Point {
	start, _ := r.Span(now)
	var ps []Point
	for i := 1; i <= r.Expected(); i++ {
		x := v(i)
		ps = append(ps, Point{At: start.Add(time.Duration(i) * r.Period), Minimum: x / 2, Average: x * 0.8, Max: x})
	}
	return ps
}

func TestEvaluateExamples(t *testing.T) {
	t.Parallel()
	r := rule()
	start, end := r.Span(now)
	assert.Equal(t, time.Date(2026, 12, 1, 14, 5, 0, 0, time.UTC), end, "the last whole period")
	assert.Equal(t, 288, r.Expected())
	metrics := append([]string{CPU}, NetworkMetrics(false, false)...)
	low := func(int) float64 { return 1 }
	quiet := map[string][]Point{CPU: full(r, low), IntranetIn: full(r, func(int) float64 { return 800 }), IntranetOut: full(r, low)}

	v := r.Evaluate(start, end, metrics, quiet)
	assert.True(t, v.Idle, v.Reason)
	assert.Equal(t, CodeIdle, v.Code)
	assert.Contains(t, v.Reason, "CPU max 1% (288 of 288 points)")
	assert.Contains(t, v.Reason, "network IntranetInRate max 0.8 kbit/s")

	// One busy point anywhere: busy, with where and when.
	spiky := map[string][]Point{CPU: full(r, func(i int) float64 {
		if i == 100 {
			return 63
		}
		return 1
	}), IntranetIn: quiet[IntranetIn], IntranetOut: quiet[IntranetOut]}
	v = r.Evaluate(start, end, metrics, spiky)
	assert.False(t, v.Idle)
	assert.Equal(t, CodeBusy, v.Code)
	assert.Equal(t, "busy: CPU max 63% at 2026-11-30T22:25Z (threshold 5%)", v.Reason)
	// The same point averaged lower: Average compares 63*0.8.
	avg := r
	avg.CPUBelow = new(float64(60))
	avg.Average = true
	assert.True(t, avg.Evaluate(start, end, metrics, spiky).Idle, "50.4% average is below 60%")
	avg.Average = false
	assert.False(t, avg.Evaluate(start, end, metrics, spiky).Idle, "63% maximum is not")

	// Network in kbit/s against bit/s: 10 kbit/s = 10,000 bit/s.
	net := map[string][]Point{CPU: quiet[CPU], IntranetIn: quiet[IntranetIn], IntranetOut: full(r, func(int) float64 { return 10_000 })}
	v = r.Evaluate(start, end, metrics, net)
	assert.Equal(t, CodeBusy, v.Code)
	assert.Contains(t, v.Reason, "network IntranetOutRate max 10 kbit/s")

	// Brand new (half the window), stopped all window (nothing): not idle.
	half := map[string][]Point{CPU: quiet[CPU][144:], IntranetIn: quiet[IntranetIn][144:], IntranetOut: quiet[IntranetOut][144:]}
	v = r.Evaluate(start, end, metrics, half)
	assert.Equal(t, Verdict{Code: CodeInsufficientData, Reason: "insufficient data: 144 of 288 points of CPUUtilization in the last 24h (at least 260 needed)"}, v)
	v = r.Evaluate(start, end, metrics, nil)
	assert.False(t, v.Idle)
	assert.Equal(t, CodeInsufficientData, v.Code)
	// noData: idle turns both into idle, saying why.
	nd := r
	nd.NoDataIdle = true
	v = nd.Evaluate(start, end, metrics, nil)
	assert.True(t, v.Idle)
	assert.True(t, strings.HasPrefix(v.Reason, "idle by noData: insufficient data: 0 of 288"), v.Reason)
	// noData: required selects only what did not run at all.
	req := Rule{Window: r.Window, Period: r.Period, NoDataRequired: true}
	v = req.Evaluate(start, end, []string{CPU}, nil)
	assert.Equal(t, Verdict{Idle: true, Reason: "no datapoint in the last 24h: it did not run"}, v)
	v = req.Evaluate(start, end, []string{CPU}, map[string][]Point{CPU: quiet[CPU][280:]})
	assert.Equal(t, CodeRan, v.Code)
	assert.Equal(t, `ran in the last 24h: 8 of 288 points of CPUUtilization (noData "required" selects only an instance without any)`, v.Reason)
	// But a busy point is busy even with too few points.
	v = nd.Evaluate(start, end, metrics, map[string][]Point{CPU: spiky[CPU][90:110]})
	assert.Equal(t, CodeBusy, v.Code)
}

// The verdict, over thousands of random series (gaps, duplicates, points
// outside the window, spikes anywhere, either statistic), equals an
// independent oracle's.
func TestEvaluateMatchesOracle(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(16, 2026))
	for i := range 4000 {
		r := Rule{Window: time.Duration(6+rng.IntN(300)) * 5 * time.Minute, Period: 5 * time.Minute, Average: rng.IntN(2) == 0, NoDataIdle: rng.IntN(3) == 0, NoDataRequired: rng.IntN(8) == 0}
		if rng.IntN(4) > 0 {
			r.CPUBelow = new(float64(1 + rng.IntN(20)))
		}
		if r.CPUBelow == nil || rng.IntN(2) == 0 {
			r.NetworkBelowBps = new(float64(1000 * (1 + rng.IntN(50))))
		}
		classic, public := rng.IntN(2) == 0, rng.IntN(2) == 0
		metrics := append([]string{CPU}, NetworkMetrics(classic, public)...)
		start, end := r.Span(now)
		points := map[string][]Point{}
		for _, m := range metrics {
			if rng.IntN(10) == 0 || (r.NoDataRequired && rng.IntN(2) == 0) {
				continue // no data at all
			}
			gapFrom, gapLen := rng.IntN(r.Expected()+1), rng.IntN(1+r.Expected()/(1+rng.IntN(20)))
			for k := -3; k <= r.Expected()+3; k++ { // some points outside the window
				if k >= gapFrom && k < gapFrom+gapLen {
					continue
				}
				base := 0.5
				if m != CPU {
					base = 300
				}
				if rng.IntN(400) == 0 {
					base *= 1000 // a spike
				}
				p := Point{At: start.Add(time.Duration(k) * r.Period), Max: base * (1 + rng.Float64()), Average: base * rng.Float64()}
				points[m] = append(points[m], p)
				if rng.IntN(50) == 0 {
					points[m] = append(points[m], p) // a repeat
				}
			}
			rng.Shuffle(len(points[m]), func(a, b int) { points[m][a], points[m][b] = points[m][b], points[m][a] })
		}
		got := r.Evaluate(start, end, metrics, points)
		want := oracle(r, start, end, metrics, points)
		require.Equal(t, want.Idle, got.Idle, "case %d: %s", i, got.Reason)
		require.Equal(t, want.Code, got.Code, "case %d: %s", i, got.Reason)
		// Summaries of two disjoint parts of the window, merged, decide
		// the same (the functions summarize page by page).
		cut := start.Add(time.Duration(rng.IntN(r.Expected()+1)) * r.Period)
		sums := map[string]Summary{}
		for _, m := range metrics {
			sums[m] = r.Summarize(m, cut, end, points[m]).Merge(r.Summarize(m, start, cut, points[m]))
		}
		require.Equal(t, got, r.Decide(metrics, sums), "case %d: merged summaries", i)
	}
}

// oracle restates the rules plainly.
func oracle(r Rule, start, end time.Time, metrics []string, points map[string][]Point) Verdict {
	if r.NoDataRequired {
		for _, m := range metrics {
			for _, p := range points[m] {
				if p.At.After(start) && !p.At.After(end) {
					return Verdict{Code: CodeRan}
				}
			}
		}
		return Verdict{Idle: true}
	}
	covered := true
	for _, m := range metrics {
		limit := r.NetworkBelowBps
		if m == CPU {
			limit = r.CPUBelow
		}
		if limit == nil {
			continue
		}
		seen := map[int64]bool{}
		for _, p := range points[m] {
			if !p.At.After(start) || p.At.After(end) {
				continue
			}
			v := p.Max
			if r.Average {
				v = p.Average
			}
			if v >= *limit {
				return Verdict{Code: CodeBusy}
			}
			seen[p.At.Unix()] = true
		}
		if float64(len(seen)) < 0.9*float64(r.Expected()) {
			covered = false
		}
	}
	switch {
	case covered:
		return Verdict{Idle: true}
	case r.NoDataIdle:
		return Verdict{Idle: true, Code: CodeInsufficientData}
	}
	return Verdict{Code: CodeInsufficientData}
}
