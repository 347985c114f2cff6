package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"time"

	"github.com/fc-ecs-release/fc-ecs-release/internal/ecsemu"
	"github.com/fc-ecs-release/fc-ecs-release/internal/fcruntime"
	"github.com/fc-ecs-release/fc-ecs-release/shared/answer"
)

// Options of a run.
type Options struct {
	Instances         int           // fleet size for our path
	BaselineInstances int           // fleet size the baseline runs at (then extrapolated)
	Latency           time.Duration // emulator latency per API call
	StopDelay         time.Duration // emulator Stopping → Stopped
	BaselinePoll      time.Duration // how often the baseline polls DescribeInstances
	ColdStarts        int           // cold starts measured per binary (median reported)
	// Env adds or overrides function environment variables.
	Env map[string]string
	// LogDir, if set, receives each function's output as <fn>.log.
	LogDir string
	// Log receives progress lines (nil: none).
	Log func(format string, args ...any)
	// SkipIdle leaves out the idle policy's measurement.
	SkipIdle bool
}

// Report is the benchmark's result. JSON names are the documented ones.
type Report struct {
	Instances             int     `json:"instances"`
	Calls                 int     `json:"calls"`
	BaselineCalls         int     `json:"baseline_calls"`
	CallsRatio            float64 `json:"calls_ratio"`
	WallSeconds           float64 `json:"wall_seconds"`
	BaselineWallSeconds   float64 `json:"baseline_wall_seconds"`
	LimitSeconds          float64 `json:"limit_seconds"`
	WallToLimit           float64 `json:"wall_to_limit"`
	PeakRSSBytes          int64   `json:"peak_rss_bytes"`
	ColdStartSeconds      float64 `json:"cold_start_seconds"`
	HelloColdStartSeconds float64 `json:"hello_cold_start_seconds"`
	ColdStartRatio        float64 `json:"cold_start_ratio"`
	BinaryBytes           int64   `json:"binary_bytes"`
	// Details.
	BinaryBytesByFunction map[string]int64 `json:"binary_bytes_by_function"`
	CallsByAction         map[string]int   `json:"calls_by_action"`
	Released              int              `json:"released"`
	BaselineMeasuredN     int              `json:"baseline_measured_instances"`
	BaselineMeasuredCalls int              `json:"baseline_measured_calls"`
	BaselineMeasuredWall  float64          `json:"baseline_measured_wall_seconds"`
	BaselineExtrapolated  bool             `json:"baseline_extrapolated"`
	LatencySeconds        float64          `json:"latency_seconds"`
	StopDelaySeconds      float64          `json:"stop_delay_seconds"`
	StopSeconds           float64          `json:"stop_seconds"`
	ReleaseSeconds        float64          `json:"release_seconds"`
	PeakRSSByFunction     map[string]int64 `json:"peak_rss_by_function"`
	// Idle is the idle policy's CloudMonitor reads (nil when skipped).
	Idle *IdleReport `json:"idle,omitempty"`
}

// Run builds the binaries (from the module at root) and measures.
func Run(ctx context.Context, root string, o Options) (*Report, error) {
	logf := o.Log
	if logf == nil {
		logf = func(string, ...any) {}
	}
	dir, err := os.MkdirTemp("", "fc-ecs-release-bench-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	rep := &Report{Instances: o.Instances, BinaryBytesByFunction: map[string]int64{}, PeakRSSByFunction: map[string]int64{},
		LatencySeconds: o.Latency.Seconds(), StopDelaySeconds: o.StopDelay.Seconds()}
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

	logf("our path: stop -> destination -> release over %d instances", o.Instances)
	if err := ourPath(ctx, bins, o, rep); err != nil {
		return nil, err
	}
	logf("baseline: %d instances, one at a time", o.BaselineInstances)
	if err := baseline(ctx, o, rep); err != nil {
		return nil, err
	}
	if !o.SkipIdle {
		logf("idle policy: CloudMonitor reads over %d instances", o.Instances)
		if rep.Idle, err = idlePath(ctx, bins["stop"], o); err != nil {
			return nil, err
		}
	}
	// The limit: no client can finish before the instances have stopped,
	// and none can do it in fewer round trips than one to find them, one
	// to stop them, one to see them Stopped and one to release them (every
	// batch in parallel).
	rep.LimitSeconds = (o.StopDelay + 4*o.Latency).Seconds()
	rep.WallToLimit = ratio(rep.WallSeconds, rep.LimitSeconds)
	rep.CallsRatio = ratio(float64(rep.Calls), float64(rep.BaselineCalls))
	return rep, nil
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

func ourPath(ctx context.Context, bins map[string]string, o Options, rep *Report) error {
	emu, srv, err := newEmulator(o)
	if err != nil {
		return err
	}
	defer srv.Close()
	fleet := make([]ecsemu.Instance, o.Instances)
	old := time.Now().Add(-48 * time.Hour).UTC().Format("2006-01-02T15:04Z")
	for i := range fleet {
		fleet[i] = ecsemu.Instance{CreationTime: old, Tags: ecsemu.TagSet{Tag: []ecsemu.Tag{{TagKey: "ecs-release:managed", TagValue: "true"}, {TagKey: "pool", TagValue: "bench"}}}}
	}
	if _, err := emu.AddInstances(fleet); err != nil {
		return err
	}
	env := map[string]string{
		"ECS_ENDPOINT": srv.URL, "DRY_RUN": "false", "DEFAULT_REGION": emu.Region(), "MANAGED_TAG": "ecs-release:managed=true",
		"MAX_INSTANCES": strconv.Itoa(o.Instances), "ECS_MAX_QPS": "2000",
		"WAIT_MIN_DELAY": "200ms", "WAIT_MAX_DELAY": "200ms", "DEADLINE_MARGIN": "10s",
	}
	maps.Copy(env, o.Env)
	var list []string
	for k, v := range env {
		list = append(list, k+"="+v)
	}
	fns := map[string]*fcruntime.Instance{}
	for _, fn := range []string{"stop", "release"} {
		var out io.Writer
		if o.LogDir != "" {
			f, err := os.Create(filepath.Join(o.LogDir, fn+".log"))
			if err != nil {
				return err
			}
			defer f.Close()
			out = f
		}
		inst, err := fcruntime.Start(ctx, fcruntime.Function{Name: "ecs-" + fn, Handler: "main", Binary: bins[fn], Env: list,
			MemoryMB: 128, Timeout: 15 * time.Minute, Region: emu.Region(), Stdout: out, Stderr: out,
			Credentials: fcruntime.Credentials{AccessKeyID: emu.AccessKeyID(), AccessKeySecret: emu.AccessKeySecret(), SecurityToken: "bench-token"}})
		if err != nil {
			return err
		}
		defer inst.Stop()
		fns[fn] = inst
	}
	emu.ResetCalls()
	payload, _ := json.Marshal(map[string]any{"selector": map[string]any{"tags": map[string]string{"pool": "bench"}}, "then": "release", "reason": "benchmark"})
	timer, _ := json.Marshal(map[string]any{"triggerTime": time.Now().UTC().Format(time.RFC3339), "triggerName": "bench", "payload": string(payload)})

	start := time.Now()
	stopRes, err := fns["stop"].Invoke(ctx, timer, fcruntime.InvokeOptions{})
	if err != nil {
		return err
	}
	if stopRes.Err != nil {
		return fmt.Errorf("stop failed: %s", stopRes.Err.ErrorMessage)
	}
	rep.StopSeconds = time.Since(start).Seconds()
	var stop answer.Response
	if err := json.Unmarshal(stopRes.Payload, &stop); err != nil {
		return err
	}
	record, _ := json.Marshal(map[string]any{
		"timestamp":       time.Now().UnixMilli(),
		"requestContext":  map[string]any{"requestId": stopRes.RequestID, "functionArn": "acs:fc:cn-hangzhou:123456789012:functions/ecs-stop", "condition": "", "approximateInvokeCount": 1},
		"requestPayload":  string(timer),
		"responseContext": map[string]any{"statusCode": 200, "functionError": ""},
		"responsePayload": string(stopRes.Payload),
	})
	relStart := time.Now()
	relRes, err := fns["release"].Invoke(ctx, record, fcruntime.InvokeOptions{})
	if err != nil {
		return err
	}
	if relRes.Err != nil {
		return fmt.Errorf("release failed: %s", relRes.Err.ErrorMessage)
	}
	rep.WallSeconds = time.Since(start).Seconds()
	rep.ReleaseSeconds = time.Since(relStart).Seconds()
	var rel answer.Response
	if err := json.Unmarshal(relRes.Payload, &rel); err != nil {
		return err
	}
	rep.Released = rel.Summary.Counts[answer.OutcomeReleased]
	if rep.Released != o.Instances || len(emu.Instances()) != 0 {
		return fmt.Errorf("our path released %d of %d instances (%d left); summary %v", rep.Released, o.Instances, len(emu.Instances()), rel.Summary)
	}
	rep.CallsByAction = emu.CallCounts()
	for _, n := range rep.CallsByAction {
		rep.Calls += n
	}
	for fn, inst := range fns {
		inst.Stop()
		rep.PeakRSSByFunction[fn] = inst.PeakRSS()
		rep.PeakRSSBytes = max(rep.PeakRSSBytes, inst.PeakRSS())
	}
	return nil
}
