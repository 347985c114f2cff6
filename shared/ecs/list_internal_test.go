package ecs

import (
	"context"
	"slices"
	"sync"
	"testing"

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

func TestListSurvivesInstancesReleasedDuringTheListing(t *testing.T) {
	t.Parallel()
	env := ecsemutest.Start(t, ecsemu.Options{})
	fleet := make([]ecsemu.Instance, 350)
	for i := range fleet {
		fleet[i].Status = ecsemu.StatusStopped
	}
	ids := env.AddFleet(t, fleet...)
	gone := ids[10:40] // on page 1: every later page shifts by 30
	cfg := Config{Region: env.Emu.Region(), Credentials: Credentials{AccessKeyID: env.Emu.AccessKeyID(), AccessKeySecret: env.Emu.AccessKeySecret()},
		Endpoint: Endpoint{Scheme: "HTTP", Host: env.Host()}, MaxQPS: -1, Concurrency: 1}
	real, err := NewAPI(cfg)
	require.NoError(t, err)
	api := &shiftingAPI{API: real, once: new(sync.Once), release: func() {
		req := sdkecs.CreateDeleteInstancesRequest()
		req.InstanceId = &gone
		_, err := env.NewClient(t, env.Emu.Region(), "").DeleteInstances(req)
		require.NoError(t, err)
	}}
	c, err := NewWithAPI(cfg, api)
	require.NoError(t, err)
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
	env := ecsemutest.Start(t, ecsemu.Options{})
	fleet := make([]ecsemu.Instance, 350)
	for i := range fleet {
		fleet[i].Status = ecsemu.StatusStopped
	}
	ids := env.AddFleet(t, fleet...)
	gone := ids[10:40] // their disks are on page 1: every later page shifts
	cfg := Config{Region: env.Emu.Region(), Credentials: Credentials{AccessKeyID: env.Emu.AccessKeyID(), AccessKeySecret: env.Emu.AccessKeySecret()},
		Endpoint: Endpoint{Scheme: "HTTP", Host: env.Host()}, MaxQPS: -1, Concurrency: 4}
	apis := make([]API, 4)
	for i := range apis {
		real, err := NewAPI(cfg)
		require.NoError(t, err)
		apis[i] = real
	}
	once := new(sync.Once)
	release := func() {
		req := sdkecs.CreateDeleteInstancesRequest()
		req.InstanceId = &gone
		_, err := env.NewClient(t, env.Emu.Region(), "").DeleteInstances(req)
		require.NoError(t, err)
	}
	for i := range apis {
		apis[i] = &shiftingAPI{API: apis[i], disks: true, once: once, release: release}
	}
	c, err := NewWithAPI(cfg, apis...)
	require.NoError(t, err)
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
