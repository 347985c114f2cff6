package bench

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"time"

	"github.com/fc-ecs-release/fc-ecs-release/internal/ecsemu"
	"github.com/fc-ecs-release/fc-ecs-release/internal/fcruntime"
	"github.com/fc-ecs-release/fc-ecs-release/shared/answer"
)

// Options of a benchmark.
type Options struct {
	// Sizes are the fleet sizes the chain runs at, in this order.
	Sizes []int
	// Runs is how often the chain runs at each size, each time on a fresh
	// emulator and fresh function processes.
	Runs              int
	BaselineInstances int           // fleet size the baseline runs at (then extrapolated to each size)
	IdleInstances     int           // fleet size the idle policy is measured at
	Latency           time.Duration // emulator latency per API call
	StopDelay         time.Duration // emulator Stopping → Stopped
	BaselinePoll      time.Duration // how often the baseline polls DescribeInstances
	ColdStarts        int           // cold starts measured per binary (median reported)
	// Env adds or overrides function environment variables.
	Env map[string]string
	// LogDir, if set, receives each run's function output as
	// <fn>-<instances>-<run>.log.
	LogDir string
	// Log receives progress lines (nil: none).
	Log func(format string, args ...any)
	// SkipIdle leaves out the idle policy's measurement.
	SkipIdle bool
}

func (o Options) validate() error {
	if len(o.Sizes) == 0 {
		return errors.New("bench: no fleet size")
	}
	for _, n := range o.Sizes {
		if n < 1 {
			return fmt.Errorf("bench: fleet size %d: at least 1", n)
		}
	}
	if o.Runs < 1 || o.BaselineInstances < 1 || o.ColdStarts < 1 || (!o.SkipIdle && o.IdleInstances < 1) {
		return errors.New("bench: Runs, BaselineInstances, ColdStarts and IdleInstances (unless SkipIdle) must be at least 1")
	}
	return nil
}

// Report is the benchmark's result. JSON names are the documented ones.
type Report struct {
	LatencySeconds   float64 `json:"latency_seconds"`
	StopDelaySeconds float64 `json:"stop_delay_seconds"`
	RunsPerSize      int     `json:"runs_per_size"`
	// MinimumFormula and LimitFormula say how each size's minimum_calls
	// and limit_seconds are derived.
	MinimumFormula string `json:"minimum_formula"`
	LimitFormula   string `json:"limit_formula"`
	// Sizes are the chain's figures per fleet size, in the order run.
	Sizes []SizeReport `json:"sizes"`
	// Baseline is measured once and extrapolated to each size.
	Baseline BaselineReport `json:"baseline"`
	// Measured once per benchmark.
	ColdStartSeconds      float64          `json:"cold_start_seconds"`
	HelloColdStartSeconds float64          `json:"hello_cold_start_seconds"`
	ColdStartRatio        float64          `json:"cold_start_ratio"`
	BinaryBytes           int64            `json:"binary_bytes"`
	BinaryBytesByFunction map[string]int64 `json:"binary_bytes_by_function"`
	// Idle is the idle policy's CloudMonitor reads (nil when skipped).
	Idle *IdleReport `json:"idle,omitempty"`
	// Targets and verdicts of the once-per-benchmark measures (cold start,
	// binary, idle); each size carries its own.
	judged
}

// Err reports the sizes whose runs did not all complete (nil if none).
func (r *Report) Err() error {
	var errs []error
	for _, s := range r.Sizes {
		if s.Error != "" {
			errs = append(errs, fmt.Errorf("%d instances: %s", s.Instances, s.Error))
		}
	}
	return errors.Join(errs...)
}

// SizeReport is the chain's figures at one fleet size: min, median and max
// over the runs, beside the minimum calls and the limit.
type SizeReport struct {
	Instances int `json:"instances"`
	// Disks (in the region) and InstanceTypes (distinct) are read from the
	// emulator once the fleet is in place; with Instances they give the
	// minimum (MinimumFormula).
	Disks              int          `json:"disks"`
	InstanceTypes      int          `json:"instance_types"`
	MinimumCalls       int          `json:"minimum_calls"`
	MinimumCallsByStep MinimumCalls `json:"minimum_calls_by_step"`
	LimitSeconds       float64      `json:"limit_seconds"`
	// Over the runs. Calls are every ECS call the emulator counted;
	// RecheckCalls the calls the functions report as made only for safety
	// checks (apiCallsByPurpose recheck + verify in their summary lines),
	// 0 when RecheckReported is false (the functions did not report them).
	Calls            Stats `json:"calls"`
	CallsPerInstance Stats `json:"calls_per_instance"`
	CallsToMinimum   Stats `json:"calls_to_minimum"`
	RecheckCalls     Stats `json:"recheck_calls"`
	RecheckReported  bool  `json:"recheck_reported"`
	WallSeconds      Stats `json:"wall_seconds"`
	WallToLimit      Stats `json:"wall_to_limit"`
	// FloorSeconds is the floor measured beside each run (see floor), and
	// WallToFloor each run's wall over its own floor.
	FloorSeconds   Stats `json:"floor_seconds"`
	WallToFloor    Stats `json:"wall_to_floor"`
	PeakRSSBytes   Stats `json:"peak_rss_bytes"`
	StopSeconds    Stats `json:"stop_seconds"`
	ReleaseSeconds Stats `json:"release_seconds"`
	// MedianRun indexes Runs: the run (lower middle by calls, then wall
	// time) whose calls by action and peak RSS by function are shown; -1
	// without runs.
	MedianRun         int              `json:"median_run"`
	CallsByAction     map[string]int   `json:"calls_by_action"`
	PeakRSSByFunction map[string]int64 `json:"peak_rss_by_function"`
	// The baseline extrapolated to this size; CallsToBaseline is the median
	// calls over the baseline's.
	BaselineCalls        int     `json:"baseline_calls"`
	BaselineWallSeconds  float64 `json:"baseline_wall_seconds"`
	BaselineExtrapolated bool    `json:"baseline_extrapolated"`
	CallsToBaseline      float64 `json:"calls_to_baseline"`
	// Runs are each completed run's figures.
	Runs []RunReport `json:"runs"`
	// Error says why a run failed; the runs after it at this size are not
	// made, and the size gets no verdicts.
	Error string `json:"error,omitempty"`
	judged
}

// complete: every run of the size was made.
func (s *SizeReport) complete() bool { return s.Error == "" && len(s.Runs) > 0 }

// RunReport is one run of the chain: one stop invocation, its answer
// handed to one release invocation as FC's destination record.
type RunReport struct {
	Calls             int              `json:"calls"`
	CallsByAction     map[string]int   `json:"calls_by_action"`
	CallsByPurpose    map[string]int   `json:"calls_by_purpose,omitempty"`
	RecheckCalls      int              `json:"recheck_calls"`
	RecheckReported   bool             `json:"recheck_reported"`
	WallSeconds       float64          `json:"wall_seconds"`
	FloorSeconds      float64          `json:"floor_seconds"`
	StopSeconds       float64          `json:"stop_seconds"`
	ReleaseSeconds    float64          `json:"release_seconds"`
	PeakRSSBytes      int64            `json:"peak_rss_bytes"`
	PeakRSSByFunction map[string]int64 `json:"peak_rss_by_function"`
	Released          int              `json:"released"`
	HandOverBytes     int              `json:"hand_over_bytes"`
}

// Run builds the binaries (from the module at root) and measures. An
// error in a run is reported in its size (Report.Err) and the other sizes
// still run; Run itself fails on what stops the whole benchmark (a build,
// a cold start, the baseline, the idle policy, a cancelled ctx).
func Run(ctx context.Context, root string, o Options) (*Report, error) {
	if err := o.validate(); err != nil {
		return nil, err
	}
	logf := o.Log
	if logf == nil {
		logf = func(string, ...any) {}
	}
	if o.LogDir != "" {
		if err := os.MkdirAll(o.LogDir, 0o755); err != nil {
			return nil, err
		}
	}
	dir, err := os.MkdirTemp("", "fc-ecs-release-bench-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	rep := &Report{BinaryBytesByFunction: map[string]int64{}, RunsPerSize: o.Runs,
		LatencySeconds: o.Latency.Seconds(), StopDelaySeconds: o.StopDelay.Seconds(),
		MinimumFormula: MinimumFormula, LimitFormula: LimitFormula}
	bins := map[string]string{}
	for name, pkg := range map[string]string{"stop": "./functions/stop", "release": "./functions/release", "autorelease": "./functions/autorelease", "hello": "./internal/bench/hellofn"} {
		out := filepath.Join(dir, name, "main")
		logf("building %s", pkg)
		// The build s.yaml's pre-deploy action runs.
		cmd := exec.CommandContext(ctx, "go", "build", "-o", out, pkg)
		cmd.Dir = root
		cmd.Env = append(os.Environ(), "GOOS=linux", "GOARCH=amd64", "CGO_ENABLED=0")
		if b, err := cmd.CombinedOutput(); err != nil {
			return nil, fmt.Errorf("building %s: %v\n%s", pkg, err, b)
		}
		bins[name] = out
		if name != "hello" {
			st, err := os.Stat(out)
			if err != nil {
				return nil, err
			}
			rep.BinaryBytesByFunction[name] = st.Size()
			rep.BinaryBytes = max(rep.BinaryBytes, st.Size())
		}
	}

	logf("measuring cold starts (%d each)", o.ColdStarts)
	cold, err := coldStart(ctx, bins["release"], o.ColdStarts)
	if err != nil {
		return nil, err
	}
	hello, err := coldStart(ctx, bins["hello"], o.ColdStarts)
	if err != nil {
		return nil, err
	}
	rep.ColdStartSeconds, rep.HelloColdStartSeconds = cold.Seconds(), hello.Seconds()
	rep.ColdStartRatio = ratio(cold.Seconds(), hello.Seconds())

	logf("baseline: %d instances, one at a time", o.BaselineInstances)
	if rep.Baseline, err = baseline(ctx, o); err != nil {
		return nil, err
	}
	for _, n := range o.Sizes {
		s := runSize(ctx, bins, o, n, logf)
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		s.summarize(rep.Baseline)
		rep.Sizes = append(rep.Sizes, s)
	}
	if !o.SkipIdle {
		logf("idle policy: CloudMonitor reads over %d instances", o.IdleInstances)
		if rep.Idle, err = idlePath(ctx, bins["stop"], o); err != nil {
			return nil, err
		}
	}
	rep.judge()
	return rep, nil
}

// limit: no client can finish before the instances have stopped, and none
// can do it in fewer round trips than one to find them, one to stop them,
// one to see them Stopped and one to release them (every batch in
// parallel). The same at every fleet size.
func limit(o Options) time.Duration { return o.StopDelay + 4*o.Latency }

// runSize runs the chain o.Runs times over n instances; it stops at the
// first failed run.
func runSize(ctx context.Context, bins map[string]string, o Options, n int, logf func(string, ...any)) SizeReport {
	s := SizeReport{Instances: n, LimitSeconds: limit(o).Seconds(), MedianRun: -1}
	for run := 1; run <= o.Runs; run++ {
		logf("chain: stop -> destination -> release over %d instances, run %d of %d", n, run, o.Runs)
		// Each measurement starts on a collected heap: the emulator and the
		// floor's client share this process.
		runtime.GC()
		r, fleet, err := runChain(ctx, bins, o, n, run)
		if err == nil {
			logf("floor: the same work by a bare client over %d instances, run %d of %d", n, run, o.Runs)
			runtime.GC()
			var fl time.Duration
			fl, err = floor(ctx, o, n)
			r.FloorSeconds = fl.Seconds()
		}
		if fleet.set {
			if run == 1 {
				s.Disks, s.InstanceTypes = fleet.disks, fleet.types
			} else if err == nil && (fleet.disks != s.Disks || fleet.types != s.InstanceTypes) {
				err = fmt.Errorf("the fleet differs between runs: %d disks and %d instance types, %d and %d before", fleet.disks, fleet.types, s.Disks, s.InstanceTypes)
			}
		}
		if err != nil {
			s.Error = fmt.Sprintf("run %d of %d: %v", run, o.Runs, err)
			logf("%d instances: %s", n, s.Error)
			break
		}
		logf("%d instances, run %d of %d: %d calls, %.2f s (floor %.2f s), peak RSS %.1f MiB", n, run, o.Runs, r.Calls, r.WallSeconds, r.FloorSeconds, float64(r.PeakRSSBytes)/(1<<20))
		s.Runs = append(s.Runs, r)
	}
	return s
}

// summarize computes the size's figures from its runs and the baseline.
func (s *SizeReport) summarize(b BaselineReport) {
	s.MinimumCallsByStep = minimumCalls(s.Instances, s.Disks, s.InstanceTypes)
	s.MinimumCalls = s.MinimumCallsByStep.Total()
	var calls, perInstance, toMinimum, rechecks, wall, toLimit, floors, toFloor, rss, stop, release []float64
	s.RecheckReported = len(s.Runs) > 0
	for _, r := range s.Runs {
		calls = append(calls, float64(r.Calls))
		perInstance = append(perInstance, ratio(float64(r.Calls), float64(s.Instances)))
		toMinimum = append(toMinimum, ratio(float64(r.Calls), float64(s.MinimumCalls)))
		rechecks = append(rechecks, float64(r.RecheckCalls))
		wall = append(wall, r.WallSeconds)
		toLimit = append(toLimit, ratio(r.WallSeconds, s.LimitSeconds))
		floors = append(floors, r.FloorSeconds)
		toFloor = append(toFloor, ratio(r.WallSeconds, r.FloorSeconds))
		rss = append(rss, float64(r.PeakRSSBytes))
		stop = append(stop, r.StopSeconds)
		release = append(release, r.ReleaseSeconds)
		s.RecheckReported = s.RecheckReported && r.RecheckReported
	}
	s.Calls, s.CallsPerInstance, s.CallsToMinimum = statsOf(calls), statsOf(perInstance), statsOf(toMinimum)
	s.RecheckCalls = Stats{}
	if s.RecheckReported {
		s.RecheckCalls = statsOf(rechecks)
	}
	s.WallSeconds, s.WallToLimit, s.PeakRSSBytes = statsOf(wall), statsOf(toLimit), statsOf(rss)
	s.FloorSeconds, s.WallToFloor = statsOf(floors), statsOf(toFloor)
	s.StopSeconds, s.ReleaseSeconds = statsOf(stop), statsOf(release)
	s.MedianRun, s.CallsByAction, s.PeakRSSByFunction = medianRun(s.Runs), nil, nil
	if s.MedianRun >= 0 {
		m := s.Runs[s.MedianRun]
		s.CallsByAction, s.PeakRSSByFunction = m.CallsByAction, m.PeakRSSByFunction
	}
	s.BaselineCalls, s.BaselineWallSeconds = b.extrapolate(s.Instances)
	s.BaselineExtrapolated = b.MeasuredInstances != s.Instances
	s.CallsToBaseline = ratio(s.Calls.Median, float64(s.BaselineCalls))
}

func ratio(a, b float64) float64 {
	if b == 0 {
		return 0
	}
	return a / b
}

// coldStart is the median, over n fresh processes, of the time from exec
// to the first response under the local runtime.
func coldStart(ctx context.Context, bin string, n int) (time.Duration, error) {
	var samples []time.Duration
	for i := range n {
		start := time.Now()
		inst, err := fcruntime.Start(ctx, fcruntime.Function{Name: "cold", Binary: bin, Timeout: 10 * time.Second,
			Env: []string{"DEFAULT_REGION=cn-hangzhou"}})
		if err != nil {
			return 0, err
		}
		// An invalid request answers without any ECS call: the work measured
		// is start-up plus one decode, the same for both binaries.
		_, err = inst.Invoke(ctx, []byte(`{"coldStart":`+strconv.Itoa(i)+`}`), fcruntime.InvokeOptions{})
		samples = append(samples, time.Since(start))
		inst.Stop()
		if err != nil {
			return 0, err
		}
	}
	slices.Sort(samples)
	return samples[len(samples)/2], nil
}

func newEmulator(o Options) (*ecsemu.Emulator, *httptest.Server, error) {
	emu, err := ecsemu.New(ecsemu.Options{Latency: o.Latency, StopDelay: o.StopDelay, MaxRecordedCalls: 1})
	if err != nil {
		return nil, nil, err
	}
	return emu, httptest.NewServer(emu), nil
}

// fleetFacts are what the minimum is computed from, read from the
// emulator once the fleet is in place (set: they were read).
type fleetFacts struct {
	set          bool
	disks, types int
}

// addFleet adds the chain's fleet, n instances created two days ago with
// the managed tag and pool=bench (every other field the emulator's default),
// in one call, and reads back the disks in the region and the distinct
// instance types.
func addFleet(emu *ecsemu.Emulator, n int) (fleetFacts, error) {
	fleet := make([]ecsemu.Instance, n)
	old := time.Now().Add(-48 * time.Hour).UTC().Format("2006-01-02T15:04Z")
	for i := range fleet {
		fleet[i] = ecsemu.Instance{CreationTime: old, Tags: ecsemu.TagSet{Tag: []ecsemu.Tag{{TagKey: "ecs-release:managed", TagValue: "true"}, {TagKey: "pool", TagValue: "bench"}}}}
	}
	if _, err := emu.AddInstances(fleet); err != nil {
		return fleetFacts{}, err
	}
	region := emu.Region()
	f := fleetFacts{set: true}
	types := map[string]bool{}
	for _, in := range emu.Instances() {
		if in.RegionId == region {
			types[in.InstanceType] = true
		}
	}
	for _, d := range emu.Disks() {
		if d.RegionId == region {
			f.disks++
		}
	}
	f.types = len(types)
	return f, nil
}

// runChain runs stop -> release once over n instances, on a fresh emulator
// and fresh function processes.
func runChain(ctx context.Context, bins map[string]string, o Options, n, run int) (RunReport, fleetFacts, error) {
	rep := RunReport{PeakRSSByFunction: map[string]int64{}}
	emu, srv, err := newEmulator(o)
	if err != nil {
		return rep, fleetFacts{}, err
	}
	defer srv.Close()
	fleet, err := addFleet(emu, n)
	if err != nil {
		return rep, fleet, err
	}
	env := map[string]string{
		"ECS_ENDPOINT": srv.URL, "DRY_RUN": "false", "DEFAULT_REGION": emu.Region(), "MANAGED_TAG": "ecs-release:managed=true",
		"MAX_INSTANCES": strconv.Itoa(n), "ECS_MAX_QPS": "2000",
		"WAIT_MIN_DELAY": "200ms", "WAIT_MAX_DELAY": "200ms", "DEADLINE_MARGIN": "10s",
	}
	maps.Copy(env, o.Env)
	var list []string
	for k, v := range env {
		list = append(list, k+"="+v)
	}
	fns := map[string]*fcruntime.Instance{}
	summaries := map[string]*summaryCollector{}
	var writers []*lineWriter
	var logFiles []*bufio.Writer
	for _, fn := range []string{"stop", "release"} {
		// stdout is split into lines and read for the summary; with LogDir
		// stdout and stderr also go, line by line, to the function's log.
		col := &summaryCollector{}
		stdout := &lineWriter{onLine: col.line}
		var stderr io.Writer
		if o.LogDir != "" {
			f, err := os.Create(filepath.Join(o.LogDir, fmt.Sprintf("%s-%d-%d.log", fn, n, run)))
			if err != nil {
				return rep, fleet, err
			}
			// Buffered: a release of 10,000 instances logs 20,000 lines, and
			// a write(2) each here would slow the function's own writes.
			// Whatever happens, the log is written out before it is closed.
			buf := bufio.NewWriterSize(f, 1<<20)
			defer func() {
				_ = buf.Flush()
				_ = f.Close()
			}()
			logFiles = append(logFiles, buf)
			sink := &lockedWriter{w: buf}
			errw := &lineWriter{out: sink}
			stdout.out, stderr = sink, errw
			writers = append(writers, errw)
		}
		writers = append(writers, stdout)
		inst, err := fcruntime.Start(ctx, fcruntime.Function{Name: "ecs-" + fn, Handler: "main", Binary: bins[fn], Env: list,
			MemoryMB: 128, Timeout: 15 * time.Minute, Region: emu.Region(), Stdout: stdout, Stderr: stderr,
			Credentials: fcruntime.Credentials{AccessKeyID: emu.AccessKeyID(), AccessKeySecret: emu.AccessKeySecret(), SecurityToken: "bench-token"}})
		if err != nil {
			return rep, fleet, err
		}
		defer inst.Stop()
		fns[fn], summaries[fn] = inst, col
	}
	emu.ResetCalls()
	payload, _ := json.Marshal(map[string]any{"selector": map[string]any{"tags": map[string]string{"pool": "bench"}}, "then": "release", "reason": "benchmark"})
	timer, _ := json.Marshal(map[string]any{"triggerTime": time.Now().UTC().Format(time.RFC3339), "triggerName": "bench", "payload": string(payload)})

	start := time.Now()
	stopRes, err := fns["stop"].Invoke(ctx, timer, fcruntime.InvokeOptions{})
	if err != nil {
		return rep, fleet, err
	}
	if stopRes.Err != nil {
		return rep, fleet, fmt.Errorf("stop failed: %s", stopRes.Err.ErrorMessage)
	}
	rep.StopSeconds = time.Since(start).Seconds()
	var stop struct {
		Summary answer.Summary `json:"summary"`
	}
	if err := json.Unmarshal(stopRes.Payload, &stop); err != nil {
		return rep, fleet, fmt.Errorf("stop's answer: %w", err)
	}
	// The hand-over: stop's answer in FC's destination record (held in
	// this process, twice, while release runs).
	record, _ := json.Marshal(map[string]any{
		"timestamp":       time.Now().UnixMilli(),
		"requestContext":  map[string]any{"requestId": stopRes.RequestID, "functionArn": "acs:fc:cn-hangzhou:123456789012:functions/ecs-stop", "condition": "", "approximateInvokeCount": 1},
		"requestPayload":  string(timer),
		"responseContext": map[string]any{"statusCode": 200, "functionError": ""},
		"responsePayload": string(stopRes.Payload),
	})
	rep.HandOverBytes = len(record)
	relStart := time.Now()
	relRes, err := fns["release"].Invoke(ctx, record, fcruntime.InvokeOptions{})
	if err != nil {
		return rep, fleet, err
	}
	if relRes.Err != nil {
		return rep, fleet, fmt.Errorf("release failed: %s", relRes.Err.ErrorMessage)
	}
	rep.WallSeconds = time.Since(start).Seconds()
	rep.ReleaseSeconds = time.Since(relStart).Seconds()
	var rel struct {
		Summary answer.Summary `json:"summary"`
	}
	if err := json.Unmarshal(relRes.Payload, &rel); err != nil {
		return rep, fleet, fmt.Errorf("release's answer: %w", err)
	}
	rep.Released = rel.Summary.Counts[answer.OutcomeReleased]
	if left := len(emu.Instances()); rep.Released != n || left != 0 {
		return rep, fleet, fmt.Errorf("the chain released %d of %d instances (%d left; hand-over %d bytes); stop's summary %v, release's %v",
			rep.Released, n, left, rep.HandOverBytes, stop.Summary, rel.Summary)
	}
	rep.CallsByAction = emu.CallCounts()
	for _, c := range rep.CallsByAction {
		rep.Calls += c
	}
	// Stop waits for each process to exit and its output to be drained:
	// the summary lines are all in then. Stop reads each process's peak RSS
	// (VmHWM) just before it ends it.
	for fn, inst := range fns {
		inst.Stop()
		rss := inst.PeakRSS()
		rep.PeakRSSByFunction[fn] = rss
		rep.PeakRSSBytes = max(rep.PeakRSSBytes, rss)
	}
	for _, w := range writers {
		if err := w.Close(); err != nil {
			return rep, fleet, fmt.Errorf("writing a function log: %w", err)
		}
	}
	for _, f := range logFiles {
		if err := f.Flush(); err != nil {
			return rep, fleet, fmt.Errorf("writing a function log: %w", err)
		}
	}
	rep.RecheckReported = true
	for _, fn := range []string{"stop", "release"} {
		byPurpose, ok := summaries[fn].result()
		if !ok {
			rep.RecheckReported, rep.CallsByPurpose = false, nil
			break
		}
		if rep.CallsByPurpose == nil {
			rep.CallsByPurpose = map[string]int{}
		}
		for k, v := range byPurpose {
			rep.CallsByPurpose[k] += v
		}
	}
	if rep.RecheckReported {
		for _, p := range checkPurposes {
			rep.RecheckCalls += rep.CallsByPurpose[p]
		}
	}
	return rep, fleet, nil
}
