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
// BaselineInstances and is extrapolated linearly to Instances (the work is
// strictly sequential and per instance, so it scales linearly).
func baseline(ctx context.Context, o Options, rep *Report) error {
	emu, srv, err := newEmulator(o)
	if err != nil {
		return err
	}
	defer srv.Close()
	ids, err := emu.AddInstances(make([]ecsemu.Instance, o.BaselineInstances))
	if err != nil {
		return err
	}
	u, _ := url.Parse(srv.URL)
	client, err := ecssdk.NewClient(emu.Region(), sdk.NewConfig(), credentials.NewStaticAKCredentialsProvider(emu.AccessKeyID(), emu.AccessKeySecret()))
	if err != nil {
		return err
	}
	client.Domain = u.Host
	client.SetNoProxy(regexp.QuoteMeta(u.Host))
	emu.ResetCalls()
	start := time.Now()
	for _, id := range ids {
		if err := ctx.Err(); err != nil {
			return err
		}
		stop := sdkecs.CreateStopInstanceRequest()
		stop.InstanceId = id
		if _, err := client.StopInstance(stop); err != nil {
			return fmt.Errorf("baseline StopInstance: %w", err)
		}
		for {
			d := sdkecs.CreateDescribeInstancesRequest()
			d.InstanceIds = `["` + id + `"]`
			resp, err := client.DescribeInstances(d)
			if err != nil {
				return fmt.Errorf("baseline DescribeInstances: %w", err)
			}
			if len(resp.Instances.Instance) == 1 && resp.Instances.Instance[0].Status == "Stopped" {
				break
			}
			time.Sleep(o.BaselinePoll)
		}
		del := sdkecs.CreateDeleteInstanceRequest()
		del.InstanceId = id
		if _, err := client.DeleteInstance(del); err != nil {
			return fmt.Errorf("baseline DeleteInstance: %w", err)
		}
	}
	wall := time.Since(start)
	calls := 0
	for _, n := range emu.CallCounts() {
		calls += n
	}
	rep.BaselineMeasuredN, rep.BaselineMeasuredCalls, rep.BaselineMeasuredWall = o.BaselineInstances, calls, wall.Seconds()
	scale := float64(o.Instances) / float64(o.BaselineInstances)
	rep.BaselineExtrapolated = o.BaselineInstances != o.Instances
	rep.BaselineCalls = int(float64(calls)*scale + 0.5)
	rep.BaselineWallSeconds = wall.Seconds() * scale
	return nil
}
