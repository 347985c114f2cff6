package ecs_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/fc-ecs-release/fc-ecs-release/internal/ecsemu"
	"github.com/fc-ecs-release/fc-ecs-release/shared/ecs"
)

// Spot snapshots: the same call (same token prefix, plan and options) gets
// the same snapshot back, whatever delivered it; a later plan adopts it;
// a release's plan never does (other marker).
func TestSpotSnapshotsAreTakenOncePerInterruption(t *testing.T) {
	t.Parallel()
	f := newFixture(t, ecsemu.Options{SnapshotDelay: time.Minute}, func(c *ecs.Config) { c.ClientTokenPrefix = "spot-prefix" })
	old := f.clock.Now().Add(-24 * time.Hour).Format(ecs.MinuteLayout)
	ids := f.env.AddFleet(t, ecsemu.Instance{CreationTime: old, SpotStrategy: ecsemu.SpotAsPriceGo,
		Disks: &ecsemu.FleetDiskSet{Disk: []ecsemu.FleetDisk{{Type: "data", Size: 100}}}})
	require.NoError(t, f.env.Emu.SpotInterrupt(ids[0]))
	ctx := f.ctx(t, time.Hour)
	described, err := f.c.Describe(ctx, ids)
	require.NoError(t, err)
	in := described[ids[0]]
	assert.True(t, in.Recycling(), "the interrupted instance carries the Recycling lock: %v", in.Locks)
	disks, err := f.c.Disks(ctx, ids)
	require.NoError(t, err)
	var data []ecs.Disk
	for _, d := range disks[ids[0]] {
		if d.Type == "data" {
			data = append(data, d)
		}
	}
	require.Len(t, data, 1)

	plan, err := f.c.PlanSpotSnapshots(ctx, in, data)
	require.NoError(t, err)
	require.Len(t, plan.ToCreate(), 1)
	opts := ecs.SnapshotOptions{Name: "ecs-release-spot", Description: "spot interruption of " + ids[0]}
	first, err := f.c.CreateSpotSnapshot(ctx, plan, data[0], opts)
	require.NoError(t, err, "a snapshot under the Recycling lock")
	again, err := f.c.CreateSpotSnapshot(ctx, plan, data[0], opts)
	require.NoError(t, err)
	assert.Equal(t, first, again, "the same interruption's snapshot, again: the ClientToken replays it")
	require.Len(t, f.env.Emu.Snapshots(), 1)

	later, err := f.c.PlanSpotSnapshots(ctx, in, data)
	require.NoError(t, err)
	assert.Empty(t, later.ToCreate())
	assert.Equal(t, first, later.Adopt[data[0].ID], "a later delivery adopts it")

	plans, errs := f.c.PlanSnapshots(ctx, []ecs.Instance{in})
	require.Empty(t, errs)
	assert.NotEmpty(t, plans[ids[0]].ToCreate(), "a release's snapshot plan never adopts a spot snapshot")

	in.Locks = []string{"recycling"}
	assert.True(t, in.Recycling(), "the lock's case does not matter")
}
