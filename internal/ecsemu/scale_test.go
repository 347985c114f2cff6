package ecsemu_test

// The emulator at fleet scale: BenchmarkFleetCleanup makes the calls of a
// fleet cleanup (list by tag, page the region's disks, stop, wait, release,
// verify) over HTTP with the real SDK, so that a CPU profile shows what the
// emulator spends per call as the store grows:
//
//	ECSEMU_BENCH_INSTANCES=50000 go test ./internal/ecsemu -run '^$' -bench FleetCleanup -benchtime 1x -cpuprofile cpu.out
//	go tool pprof -top -cum -focus 'ecsemu\.\(\*Emulator\)\.ServeHTTP' ecsemu.test cpu.out

import (
	"encoding/json"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/requests"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/ecs"
	"github.com/stretchr/testify/require"

	"github.com/fc-ecs-release/fc-ecs-release/internal/ecsemu"
	"github.com/fc-ecs-release/fc-ecs-release/internal/ecsemu/ecsemutest"
)

func BenchmarkFleetCleanup(b *testing.B) {
	n := 10000
	if s := os.Getenv("ECSEMU_BENCH_INSTANCES"); s != "" {
		var err error
		n, err = strconv.Atoi(s)
		require.NoError(b, err)
	}
	tags := []ecsemu.Tag{{TagKey: "ecs-release:managed", TagValue: "true"}, {TagKey: "pool", TagValue: "bench"}}
	for b.Loop() {
		b.StopTimer()
		env := ecsemutest.Start(b, ecsemu.Options{StopDelay: 5 * time.Second, MaxRecordedCalls: 1, SkipTimestampCheck: true})
		env.AddRunning(b, n, tags...)
		c := env.Client
		b.StartTimer()

		ids := listByTag(b, c, tags)
		require.Len(b, ids, n)
		require.Len(b, regionDisks(b, c), n)
		batches := chunks(ids, 100)
		for _, batch := range batches {
			req := ecs.CreateStopInstancesRequest()
			req.InstanceId = &batch
			_, err := c.StopInstances(req)
			require.NoError(b, err)
			// Each batch comes due at its own time, as when the stops
			// are spread over real time.
			env.Clock.Advance(10 * time.Millisecond)
		}
		// Wait: poll the batches while their stops come due one by one
		// (each poll finds a new one due), then once more.
		env.Clock.Advance(5*time.Second - time.Duration(len(batches))*10*time.Millisecond)
		for range 2 {
			for _, batch := range batches {
				env.Clock.Advance(10 * time.Millisecond)
				describeByIDs(b, c, batch)
			}
		}
		for _, batch := range batches {
			req := ecs.CreateDeleteInstancesRequest()
			req.InstanceId = &batch
			_, err := c.DeleteInstances(req)
			require.NoError(b, err)
		}
		for _, batch := range batches {
			require.Empty(b, describeByIDs(b, c, batch))
		}

		b.StopTimer()
		env.Server.Close()
		b.StartTimer()
	}
}

// listByTag lists the instances with every tag, page by page (PageNumber,
// 100 a page), as shared/ecs does.
func listByTag(b *testing.B, c *ecs.Client, tags []ecsemu.Tag) []string {
	var ids []string
	for page := 1; ; page++ {
		req := ecs.CreateDescribeInstancesRequest()
		t := make([]ecs.DescribeInstancesTag, len(tags))
		for i, tag := range tags {
			t[i] = ecs.DescribeInstancesTag{Key: tag.TagKey, Value: tag.TagValue}
		}
		req.Tag = &t
		req.PageNumber = requests.NewInteger(page)
		req.PageSize = requests.NewInteger(100)
		resp, err := c.DescribeInstances(req)
		require.NoError(b, err)
		for _, in := range resp.Instances.Instance {
			ids = append(ids, in.InstanceId)
		}
		if page*100 >= resp.TotalCount {
			return ids
		}
	}
}

// regionDisks pages every disk of the region with NextToken, 100 a page.
func regionDisks(b *testing.B, c *ecs.Client) []string {
	var ids []string
	req := ecs.CreateDescribeDisksRequest()
	req.MaxResults = requests.NewInteger(100)
	for {
		resp, err := c.DescribeDisks(req)
		require.NoError(b, err)
		for _, d := range resp.Disks.Disk {
			ids = append(ids, d.DiskId)
		}
		if resp.NextToken == "" {
			return ids
		}
		req.NextToken = resp.NextToken
	}
}

func describeByIDs(b *testing.B, c *ecs.Client, ids []string) []ecs.Instance {
	raw, _ := json.Marshal(ids)
	req := ecs.CreateDescribeInstancesRequest()
	req.InstanceIds = string(raw)
	req.PageSize = requests.NewInteger(100)
	resp, err := c.DescribeInstances(req)
	require.NoError(b, err)
	return resp.Instances.Instance
}

func chunks(ids []string, size int) [][]string {
	var out [][]string
	for len(ids) > size {
		out = append(out, ids[:size])
		ids = ids[size:]
	}
	return append(out, ids)
}
