package main

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/fc-ecs-release/fc-ecs-release/internal/bench"
)

// --help prints the usage and succeeds; a bad flag or argument fails, and
// a bad value names its flag.
func TestHelpAndBadArguments(t *testing.T) {
	for _, args := range [][]string{{"--help"}, {"-h"}} {
		var out, errOut bytes.Buffer
		require.NoError(t, run(context.Background(), args, &out, &errOut), args)
		for _, flag := range []string{"-instances", "-runs", "-idle-instances", "-skip-idle", "1000,10000,50000"} {
			assert.Contains(t, errOut.String(), flag)
		}
		assert.Contains(t, errOut.String(), "Usage: go run ./cmd/bench")
	}
	for _, c := range []struct {
		args []string
		want string // in the error
	}{
		{[]string{"--bogus"}, "bogus"},
		{[]string{"extra"}, `unexpected argument "extra"`},
		{[]string{"--instances", "0"}, "--instances"},
		{[]string{"--instances", "10,,x"}, `--instances "10,,x": item 2 is empty (want a comma-separated list of fleet sizes, e.g. 1000,10000)`},
		{[]string{"--instances", "10,x"}, `--instances "10,x": "x" is not a whole number`},
		{[]string{"--instances", ""}, "--instances"},
		{[]string{"--instances", "1000,-5"}, "--instances"},
		{[]string{"--instances", "1000,1000"}, "appears twice"},
		{[]string{"--runs", "0"}, "--runs 0: must be at least 1"},
		{[]string{"--idle-instances", "0"}, "--idle-instances"},
		{[]string{"--baseline-instances", "0"}, "--baseline-instances"},
		{[]string{"--cold-starts", "0"}, "--cold-starts"},
		{[]string{"--runs", "x"}, "-runs"},
	} {
		var out, errOut bytes.Buffer
		err := run(context.Background(), append(c.args, "--root", t.TempDir()), &out, &errOut)
		if assert.Error(t, err, c.args) {
			assert.Contains(t, err.Error()+errOut.String(), c.want, c.args)
		}
	}
}

func TestParseSizes(t *testing.T) {
	for _, c := range []struct {
		in   string
		want []int
	}{
		{"1000,10000,50000", []int{1000, 10000, 50000}},
		{"10000", []int{10000}},
		{" 50000 , 1000,10000 ", []int{1000, 10000, 50000}},
		{"1", []int{1}},
	} {
		got, err := parseSizes("instances", c.in)
		require.NoError(t, err, c.in)
		assert.Equal(t, c.want, got, c.in)
	}
	for in, want := range map[string]string{
		"":          `--instances "": item 1 is empty (want a comma-separated list of fleet sizes, e.g. 1000,10000)`,
		"10,,x":     `--instances "10,,x": item 2 is empty (want a comma-separated list of fleet sizes, e.g. 1000,10000)`,
		"10,":       `--instances "10,": item 2 is empty (want a comma-separated list of fleet sizes, e.g. 1000,10000)`,
		"0":         `--instances "0": 0: a fleet size must be at least 1`,
		"-3":        `--instances "-3": -3: a fleet size must be at least 1`,
		"1e4":       `--instances "1e4": "1e4" is not a whole number of instances`,
		"10_000":    `--instances "10_000": "10_000" is not a whole number of instances`,
		"5,5":       `--instances "5,5": 5 appears twice`,
		"1000;2000": `--instances "1000;2000": "1000;2000" is not a whole number of instances`,
	} {
		_, err := parseSizes("instances", in)
		assert.EqualError(t, err, want, in)
	}
}

func TestGroupedAndWrap(t *testing.T) {
	for n, want := range map[int]string{0: "0", 999: "999", 1000: "1,000", 50000: "50,000", 1234567: "1,234,567", -1000: "-1,000"} {
		assert.Equal(t, want, grouped(n))
	}
	assert.Equal(t, "721.5", count(721.5))
	assert.Equal(t, "3,512", count(3512))
	text := strings.Repeat("word ", 60)
	for line := range strings.SplitSeq(wrap("  ", text), "\n") {
		assert.LessOrEqual(t, len(line), width)
	}
}

// sampleReport has a size without targets, 10,000 with them, and 50,000
// failed; recheck calls are reported at one size only.
func sampleReport() *bench.Report {
	run := func(calls int, wall float64) bench.RunReport {
		return bench.RunReport{Calls: calls, WallSeconds: wall, StopSeconds: wall - 1, ReleaseSeconds: 1, Released: 10000, HandOverBytes: 2_000_000,
			CallsByAction:     map[string]int{"StopInstances": 1, "DeleteInstances": 1, "DescribeInstances": 3},
			PeakRSSByFunction: map[string]int64{"stop": 12 << 20, "release": 14 << 20}, PeakRSSBytes: 14 << 20}
	}
	r := &bench.Report{
		LatencySeconds: 0.02, StopDelaySeconds: 5, RunsPerSize: 2, MinimumFormula: bench.MinimumFormula, LimitFormula: bench.LimitFormula,
		Baseline:         bench.BaselineReport{MeasuredInstances: 2, MeasuredCalls: 16, MeasuredWallSeconds: 10.3, PollSeconds: 1},
		ColdStartSeconds: 0.004, HelloColdStartSeconds: 0.003, ColdStartRatio: 1.33, BinaryBytes: 14 << 20,
		Idle: &bench.IdleReport{Instances: 10000, Calls: 3800, Minimum: 3800, Ratio: 1, CallsByMetric: map[string]int{"cpu": 1},
			ReadsByMetric: map[string]int{"cpu": 2}, SkippedByCode: map[string]int{"busy": 3}},
	}
	for _, n := range []int{1000, 10000} {
		s := bench.SizeReport{Instances: n, Disks: n, InstanceTypes: 1, MinimumCalls: 5*n/100 + 2, LimitSeconds: 5.08,
			Runs: []bench.RunReport{run(n/10, 7.1), run(n/10+2, 7.3)}, MedianRun: 0,
			Calls: bench.Stats{Min: float64(n / 10), Median: float64(n/10) + 1, Max: float64(n/10) + 2}, WallSeconds: bench.Stats{Min: 7.1, Median: 7.2, Max: 7.3},
			WallToLimit: bench.Stats{Min: 1.4, Median: 1.42, Max: 1.44}, FloorSeconds: bench.Stats{Min: 5.5, Median: 5.6, Max: 5.7},
			WallToFloor: bench.Stats{Min: 1.25, Median: 1.29, Max: 1.3}, PeakRSSBytes: bench.Stats{Min: 14 << 20, Median: 14 << 20, Max: 14 << 20},
			CallsByAction: map[string]int{"StopInstances": 1, "DeleteInstances": 1, "DescribeInstances": 3}, PeakRSSByFunction: map[string]int64{"stop": 12 << 20, "release": 14 << 20},
			BaselineCalls: 8 * n, BaselineWallSeconds: 5.1 * float64(n), BaselineExtrapolated: true, CallsToBaseline: 0.0125}
		s.CallsToMinimum = bench.Stats{Min: s.Calls.Min / float64(s.MinimumCalls), Median: s.Calls.Median / float64(s.MinimumCalls), Max: s.Calls.Max / float64(s.MinimumCalls)}
		if n == 10000 {
			s.RecheckReported, s.RecheckCalls = true, bench.Stats{Min: 11, Median: 12, Max: 13}
			s.Runs[0].RecheckReported, s.Runs[0].CallsByPurpose = true, map[string]int{"work": 1000, "recheck": 12}
			s.Targets = map[string]bench.Target{bench.TargetNameWallToLimit: {Measure: "wall_to_limit.median", Value: 1.42, Max: 1.15},
				bench.TargetNameCallsToMinimum: {Measure: "calls_to_minimum.median", Value: 1.99, Max: 1.2}}
			s.Verdicts = map[string]bool{bench.TargetNameWallToLimit: false, bench.TargetNameCallsToMinimum: false}
		}
		r.Sizes = append(r.Sizes, s)
	}
	r.Sizes = append(r.Sizes, bench.SizeReport{Instances: 50000, MinimumCalls: 2502, LimitSeconds: 5.08, MedianRun: -1,
		Error: "run 1 of 2: stop failed: MAX_INSTANCES=50000: want an integer from 1 to 10000"})
	r.Targets = map[string]bench.Target{bench.TargetNameColdStart: {Value: 1.33, Max: 1.5}}
	r.Verdicts = map[string]bool{bench.TargetNameColdStart: true}
	return r
}

// The table prints counts and sizes as text, never as Go maps, keeps to
// 100 columns, says where recheck calls were not reported, and shows a
// failed size with its error.
func TestTable(t *testing.T) {
	var out bytes.Buffer
	printTable(&out, sampleReport())
	text := out.String()
	assert.NotContains(t, text, "map[")
	assert.False(t, strings.Contains(text, "%!"), text)
	for line := range strings.SplitSeq(text, "\n") {
		assert.LessOrEqual(t, len([]rune(line)), width, line)
	}
	assert.Contains(t, text, "calls by action: DeleteInstances=1 DescribeInstances=3 StopInstances=1")
	assert.Contains(t, text, "peak RSS by function: release 14.0 MiB, stop 12.0 MiB")
	assert.Contains(t, text, "calls by purpose (the functions' count): recheck=12 work=1000")
	assert.Contains(t, text, "minimum calls = 4 × ceil(N/100) + ceil(D/100) + P")
	assert.Contains(t, text, "limit = stop delay + 4 round trips")
	assert.Contains(t, text, "not reported")
	assert.Contains(t, text, "not reported at 1,000:")
	assert.Contains(t, text, "7.20 (7.10–7.30)")
	assert.Contains(t, text, "1.42 (1.40–1.44)")
	assert.Contains(t, text, "wall / floor, 10,000 instances    7.20 s        floor 5.60 (5.50–5.70) s           1.29 (1.25–1.30)")
	assert.Contains(t, text, "floor: measured beside each run")
	assert.Contains(t, text, "0 of 2 met")
	assert.Contains(t, text, "none")
	assert.Contains(t, text, "50,000 instances FAILED: run 1 of 2: stop failed")
	assert.Contains(t, text, "not measured: a run failed")
	assert.Contains(t, text, "wall / limit (median)")
	assert.Contains(t, text, "MISSED")
	assert.Contains(t, text, "cold start / hello's")
	assert.Contains(t, text, "CloudMonitor calls, idle policy")
	assert.Contains(t, text, "measured once at 2 instances (16 calls, 10.3 s)")
}
