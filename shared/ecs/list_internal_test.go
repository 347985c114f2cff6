package ecs

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	sdkecs "github.com/aliyun/alibaba-cloud-sdk-go/services/ecs"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/fc-ecs-release/fc-ecs-release/internal/ecsemu"
	"github.com/fc-ecs-release/fc-ecs-release/internal/ecsemu/ecsemutest"
)

// shiftingAPI releases instances right after the first page of instances
// (or, with disks set, of disks), so page numbers shift under the paging.
type shiftingAPI struct {
	API
	disks   bool
	once    *sync.Once
	release func()
}

func (s *shiftingAPI) DescribeInstances(r *describeInstancesRequest) (*describeInstancesResponse, error) {
	resp, err := s.API.DescribeInstances(r)
	if !s.disks {
		s.once.Do(s.release)
	}
	return resp, err
}

func (s *shiftingAPI) DescribeDisks(r *describeDisksRequest) (*describeDisksResponse, error) {
	resp, err := s.API.DescribeDisks(r)
	if s.disks {
		s.once.Do(s.release)
	}
	return resp, err
}

// emulatorConfig is a client configuration for env's emulator.
func emulatorConfig(env *ecsemutest.Env, concurrency int) Config {
	return Config{Region: env.Emu.Region(), Credentials: Credentials{AccessKeyID: env.Emu.AccessKeyID(), AccessKeySecret: env.Emu.AccessKeySecret()},
		Endpoint: Endpoint{Scheme: "HTTP", Host: env.Host()}, MaxQPS: -1, Concurrency: concurrency}
}

// shiftingClient starts an emulator with 350 stopped instances and a
// client over it whose first page of instances (or, with disks, of disks)
// releases gone, ids[10:40], which stand on page 1: every later page
// shifts by 30.
func shiftingClient(t *testing.T, disks bool, concurrency int) (c *Client, ids, gone []string) {
	env := ecsemutest.Start(t, ecsemu.Options{})
	fleet := make([]ecsemu.Instance, 350)
	for i := range fleet {
		fleet[i].Status = ecsemu.StatusStopped
	}
	ids = env.AddFleet(t, fleet...)
	gone = ids[10:40]
	cfg := emulatorConfig(env, concurrency)
	once := new(sync.Once)
	release := func() {
		req := sdkecs.CreateDeleteInstancesRequest()
		req.InstanceId = &gone
		_, err := env.NewClient(t, env.Emu.Region(), "").DeleteInstances(req)
		require.NoError(t, err)
	}
	apis := make([]API, concurrency)
	for i := range apis {
		real, err := NewAPI(cfg)
		require.NoError(t, err)
		apis[i] = &shiftingAPI{API: real, disks: disks, once: once, release: release}
	}
	c, err := NewWithAPI(cfg, apis...)
	require.NoError(t, err)
	return c, ids, gone
}

func TestListSurvivesInstancesReleasedDuringTheListing(t *testing.T) {
	t.Parallel()
	c, ids, gone := shiftingClient(t, false, 1)
	seen := map[string]int{}
	require.NoError(t, c.List(context.Background(), Selector{}, func(page []Instance) error {
		for _, in := range page {
			seen[in.ID]++
		}
		return nil
	}))
	for _, id := range ids {
		if slices.Contains(gone, id) {
			continue
		}
		assert.Equal(t, 1, seen[id], "instance %s listed exactly once", id)
	}
	assert.Greater(t, c.Stats().Calls["DescribeInstances"], 4, "the shift was noticed and a NextToken pass made")
}

// The region's disks are paged by number in parallel: instances released
// meanwhile shift the pages, and the disks of every instance still there
// are found anyway (each once).
func TestDisksSurviveInstancesReleasedDuringThePaging(t *testing.T) {
	t.Parallel()
	c, ids, gone := shiftingClient(t, true, 4)
	disks, err := c.Disks(context.Background(), ids)
	require.NoError(t, err)
	for _, id := range ids {
		if slices.Contains(gone, id) {
			continue
		}
		assert.Len(t, disks[id], 1, "instance %s: its disk, once", id)
	}
	assert.Greater(t, c.Stats().Calls["DescribeDisks"], 4, "the shift was noticed and a NextToken pass made")
}

// TestInOrderEndsWithItsContext: a listing whose invocation ends (FC's
// timeout cancels its context) returns a deadline error instead of waiting
// for items that will never be asked for — whether the context ended
// before the first item or between two.
func TestInOrderEndsWithItsContext(t *testing.T) {
	t.Parallel()
	run := func(ctx context.Context, deliver func(int) error) error {
		done := make(chan error, 1)
		go func() {
			done <- inOrder(ctx, "DescribeInstances", 4, 1, 50, func(ctx context.Context, n int) (int, error) { return n, nil }, deliver)
		}()
		select {
		case err := <-done:
			return err
		case <-time.After(30 * time.Second):
			t.Fatal("inOrder did not return after its context ended")
			return nil
		}
	}
	for range 200 { // the window and the context's end race: try both orders often
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		err := run(ctx, func(int) error { return nil })
		require.Error(t, err)
		assert.ErrorIs(t, err, ErrDeadline)
		assert.Contains(t, err.Error(), "DescribeInstances")
	}
	ctx, cancel := context.WithCancel(context.Background())
	var got []int
	err := run(ctx, func(n int) error {
		got = append(got, n)
		if n == 10 {
			cancel()
		}
		return nil
	})
	assert.ErrorIs(t, err, ErrDeadline)
	assert.Equal(t, 10, got[9], "delivered in order until the end")
	assert.Less(t, len(got), 50)
	// Undisturbed, everything arrives in order.
	got = nil
	require.NoError(t, run(context.Background(), func(n int) error { got = append(got, n); return nil }))
	want := make([]int, 50)
	for i := range want {
		want[i] = i + 1
	}
	assert.Equal(t, want, got)
}
