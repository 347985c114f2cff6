package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"net/http/httptest"
	"slices"
	"strconv"
	"time"

	"github.com/fc-ecs-release/fc-ecs-release/internal/ecsemu"
	"github.com/fc-ecs-release/fc-ecs-release/internal/fcruntime"
	"github.com/fc-ecs-release/fc-ecs-release/shared/answer"
	"github.com/fc-ecs-release/fc-ecs-release/shared/ecs"
)

// The idle policy the benchmark measures: a day at 5-minute periods, CPU
// and network thresholds (a dry run: only the reads are measured).
const (
	idleWindow  = 24 * time.Hour
	idlePeriod  = 5 * time.Minute
	idlePayload = `{"selector":{"tags":{"pool":"bench"},"idle":{"for":"24h","cpuBelow":5,"networkBelowKbps":10}},"dryRun":true,"reason":"benchmark: idle for a day"}`
)

// IdleReport is the CloudMonitor side of the benchmark.
type IdleReport struct {
	Instances int `json:"instances"`
	// Calls are the DescribeMetricList calls of the idle policy; Minimum
	// the fewest the API allows for the same reads (per metric, the
	// instances read for it: at most 50 a call and 1,440 datapoints a
	// page, so max(ceil(n/50), ceil(points/1440))).
	Calls          int            `json:"calls"`
	Minimum        int            `json:"minimum_calls"`
	Ratio          float64        `json:"ratio_to_minimum"`
	CallsPer1000   float64        `json:"calls_per_1000_instances"`
	CallsByMetric  map[string]int `json:"calls_by_metric"`
	ReadsByMetric  map[string]int `json:"instances_read_by_metric"`
	Selected       int            `json:"selected"`
	SkippedByCode  map[string]int `json:"skipped_by_code"`
	Seconds        float64        `json:"seconds"`
	PeakRSSBytes   int64          `json:"peak_rss_bytes"`
	ECSCalls       int            `json:"ecs_calls"`
	PointsExpected int            `json:"points_per_instance_and_metric"`
}

// idlePath runs the stop binary's idle policy over o.IdleInstances instances
// (40% idle, 40% busy, 10% spiky, 10% without data; every fifth with an
// elastic IP) and counts CloudMonitor's calls beside the minimum.
func idlePath(ctx context.Context, bin string, o Options) (*IdleReport, error) {
	emu, err := ecsemu.New(ecsemu.Options{Latency: o.Latency, StopDelay: o.StopDelay})
	if err != nil {
		return nil, err
	}
	srv := httptest.NewServer(emu)
	defer srv.Close()
	started := emu.Now().Add(-72 * time.Hour).UTC().Format("2006-01-02T15:04Z")
	fleet := make([]ecsemu.Instance, o.IdleInstances)
	noData := map[string]bool{}
	for i := range fleet {
		profile := ecsemu.ProfileIdle
		switch i % 10 {
		case 4, 5, 6, 7:
			profile = ecsemu.ProfileBusy
		case 8:
			profile = ecsemu.ProfileSpiky
		case 9:
			profile = ecsemu.ProfileNoData
		}
		in := ecsemu.Instance{InstanceId: fmt.Sprintf("i-idlebench%05d", i), CreationTime: started, StartTime: started,
			Tags:    ecsemu.TagSet{Tag: []ecsemu.Tag{{TagKey: "ecs-release:managed", TagValue: "true"}, {TagKey: "pool", TagValue: "bench"}}},
			Metrics: &ecsemu.MetricSpec{Profile: profile}}
		if i%5 == 0 {
			in.EipAddress = ecsemu.EipAddress{AllocationId: fmt.Sprintf("eip-%05d", i), IpAddress: "47.0.0.1"}
		}
		if profile == ecsemu.ProfileNoData {
			noData[in.InstanceId] = true
		}
		fleet[i] = in
	}
	if _, err := emu.AddInstances(fleet); err != nil {
		return nil, err
	}
	env := map[string]string{
		"ECS_ENDPOINT": srv.URL, "DEFAULT_REGION": emu.Region(), "MANAGED_TAG": "ecs-release:managed=true",
		"MAX_INSTANCES": strconv.Itoa(o.IdleInstances), "ECS_MAX_QPS": "2000", "CMS_MAX_QPS": "1000", "DEADLINE_MARGIN": "10s",
	}
	maps.Copy(env, o.Env)
	var list []string
	for k, v := range env {
		list = append(list, k+"="+v)
	}
	inst, err := fcruntime.Start(ctx, fcruntime.Function{Name: "ecs-stop", Handler: "main", Binary: bin, Env: list,
		MemoryMB: 128, Timeout: 15 * time.Minute, Region: emu.Region(),
		Credentials: fcruntime.Credentials{AccessKeyID: emu.AccessKeyID(), AccessKeySecret: emu.AccessKeySecret(), SecurityToken: "bench-token"}})
	if err != nil {
		return nil, err
	}
	defer inst.Stop()
	emu.ResetCalls()
	timer, _ := json.Marshal(map[string]any{"triggerTime": time.Now().UTC().Format(time.RFC3339), "triggerName": "idle-bench", "payload": idlePayload})
	start := time.Now()
	res, err := inst.Invoke(ctx, timer, fcruntime.InvokeOptions{})
	if err != nil {
		return nil, err
	}
	if res.Err != nil {
		return nil, fmt.Errorf("idle policy failed: %s", res.Err.ErrorMessage)
	}
	rep := &IdleReport{Instances: o.IdleInstances, Seconds: time.Since(start).Seconds(), CallsByMetric: map[string]int{}, ReadsByMetric: map[string]int{},
		SkippedByCode: map[string]int{}, PointsExpected: int(idleWindow / idlePeriod)}
	inst.Stop()
	rep.PeakRSSBytes = inst.PeakRSS()
	var ans answer.Response
	if err := json.Unmarshal(res.Payload, &ans); err != nil {
		return nil, err
	}
	for _, o := range ans.Instances {
		switch o.Outcome {
		case answer.OutcomeWouldStop:
			rep.Selected++
		case answer.OutcomeSkipped:
			rep.SkippedByCode[o.Code]++
		}
	}
	// What was read, from the emulator's record of the calls.
	read := map[string]map[string]bool{}
	for _, c := range emu.Calls() {
		if c.Action != "DescribeMetricList" {
			rep.ECSCalls++
			continue
		}
		m := c.Params["MetricName"]
		rep.CallsByMetric[m]++
		rep.Calls++
		var dims []map[string]string
		if err := json.Unmarshal([]byte(c.Params["Dimensions"]), &dims); err != nil {
			return nil, fmt.Errorf("a DescribeMetricList call's Dimensions: %w", err)
		}
		if read[m] == nil {
			read[m] = map[string]bool{}
		}
		for _, d := range dims {
			read[m][d["instanceId"]] = true
		}
	}
	for _, m := range slices.Sorted(maps.Keys(read)) {
		n, points := len(read[m]), 0
		for id := range read[m] {
			if !noData[id] {
				points += rep.PointsExpected
			}
		}
		rep.ReadsByMetric[m] = n
		rep.Minimum += max(ceilDiv(n, ecs.MaxMetricInstances), ceilDiv(points, ecs.MetricPageLength))
	}
	rep.Ratio = ratio(float64(rep.Calls), float64(rep.Minimum))
	rep.CallsPer1000 = float64(rep.Calls) * 1000 / float64(o.IdleInstances)
	return rep, nil
}

func ceilDiv(a, b int) int { return (a + b - 1) / b }
