package bench

import (
	"context"
	"fmt"
	"net/url"
	"regexp"
	"time"

	"github.com/aliyun/alibaba-cloud-sdk-go/sdk"
	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/auth/credentials"
	sdkecs "github.com/aliyun/alibaba-cloud-sdk-go/services/ecs"

	"github.com/fc-ecs-release/fc-ecs-release/internal/ecsemu"
	"github.com/fc-ecs-release/fc-ecs-release/internal/ecssdk"
)

// baseline runs the Alibaba Cloud sample's way on a fresh emulator with the
// same settings: one instance at a time, StopInstance, poll
// DescribeInstances until Stopped, DeleteInstance. It runs at
// BaselineInstances, once, and is extrapolated linearly to each fleet size
// (the work is strictly sequential and per instance, so it scales
// linearly).
func baseline(ctx context.Context, o Options) (BaselineReport, error) {
	rep := BaselineReport{PollSeconds: o.BaselinePoll.Seconds()}
	emu, srv, err := newEmulator(o)
	if err != nil {
		return rep, err
	}
	defer srv.Close()
	ids, err := emu.AddInstances(make([]ecsemu.Instance, o.BaselineInstances))
	if err != nil {
		return rep, err
	}
	u, _ := url.Parse(srv.URL)
	client, err := ecssdk.NewClient(emu.Region(), sdk.NewConfig(), credentials.NewStaticAKCredentialsProvider(emu.AccessKeyID(), emu.AccessKeySecret()))
	if err != nil {
		return rep, err
	}
	client.Domain = u.Host
	client.SetNoProxy(regexp.QuoteMeta(u.Host))
	emu.ResetCalls()
	start := time.Now()
	for _, id := range ids {
		if err := ctx.Err(); err != nil {
			return rep, err
		}
		stop := sdkecs.CreateStopInstanceRequest()
		stop.InstanceId = id
		if _, err := client.StopInstance(stop); err != nil {
			return rep, fmt.Errorf("baseline StopInstance: %w", err)
		}
		for {
			d := sdkecs.CreateDescribeInstancesRequest()
			d.InstanceIds = `["` + id + `"]`
			resp, err := client.DescribeInstances(d)
			if err != nil {
				return rep, fmt.Errorf("baseline DescribeInstances: %w", err)
			}
			if len(resp.Instances.Instance) == 1 && resp.Instances.Instance[0].Status == "Stopped" {
				break
			}
			time.Sleep(o.BaselinePoll)
		}
		del := sdkecs.CreateDeleteInstanceRequest()
		del.InstanceId = id
		if _, err := client.DeleteInstance(del); err != nil {
			return rep, fmt.Errorf("baseline DeleteInstance: %w", err)
		}
	}
	wall := time.Since(start)
	for _, n := range emu.CallCounts() {
		rep.MeasuredCalls += n
	}
	rep.MeasuredInstances, rep.MeasuredWallSeconds = o.BaselineInstances, wall.Seconds()
	return rep, nil
}

// BaselineReport is the baseline as measured.
type BaselineReport struct {
	MeasuredInstances   int     `json:"measured_instances"`
	MeasuredCalls       int     `json:"measured_calls"`
	MeasuredWallSeconds float64 `json:"measured_wall_seconds"`
	PollSeconds         float64 `json:"poll_seconds"`
}

// extrapolate scales the baseline linearly to n instances.
func (b BaselineReport) extrapolate(n int) (calls int, wallSeconds float64) {
	if b.MeasuredInstances == 0 {
		return 0, 0
	}
	scale := float64(n) / float64(b.MeasuredInstances)
	return int(float64(b.MeasuredCalls)*scale + 0.5), b.MeasuredWallSeconds * scale
}
