package ecs

import (
	"context"

	"github.com/fc-ecs-release/fc-ecs-release/shared/resource"
)

// Spot (preemptible) instances. ECS puts the Recycling operation lock on a
// spot instance it is about to reclaim, and announces the interruption
// about five minutes before it releases the instance.
const (
	// LockRecycling is the lock reason of a spot instance being reclaimed
	// (DescribeInstances writes "Recycling"; compared without case).
	LockRecycling = resource.LockRecycling
	// SpotSnapshotTag marks ("true") the snapshots taken of a spot instance
	// ECS is reclaiming. They are never adopted by a release's snapshot
	// step (SnapshotTag): they were taken of a running instance.
	SpotSnapshotTag = "ecs-release:spot-interruption"
)

// PlanSpotSnapshots plans snapshots of the given disks of an instance ECS
// is reclaiming: per disk, a snapshot this package already took of it for
// this interruption (SpotSnapshotTag, same instance StartTime) to adopt, or
// a new one. An instance under the Recycling lock does not start again, so
// its StartTime names the interruption.
func (c *Client) PlanSpotSnapshots(ctx context.Context, in Instance, disks []Disk) (*SnapshotPlan, error) {
	p := &SnapshotPlan{InstanceID: in.ID, Start: FormatMinute(in.StartTime), Disks: disks, Adopt: map[string]string{}, Failed: map[string][]string{}}
	if len(disks) == 0 {
		return p, nil
	}
	if err := c.ourSnapshots(ctx, p, SpotSnapshotTag); err != nil {
		return nil, forInstance(err, in.ID)
	}
	return p, nil
}

// CreateSpotSnapshot snapshots one disk of a spot plan (a mutating call),
// tagged SpotSnapshotTag and with the instance's StartTime. Its ClientToken
// is derived from the client's token prefix, the disk, that StartTime and
// the failed snapshots before it — not from the request: every delivery of
// the same interruption (FC's retries, EventBridge delivering twice, its
// CloudMonitor twin) gets the same snapshot back, provided the client's
// token prefix is the same (the functions use a fixed one for these) and
// so are opts (derive them from the instance only).
func (c *Client) CreateSpotSnapshot(ctx context.Context, p *SnapshotPlan, disk Disk, opts SnapshotOptions) (string, error) {
	return c.createSnapshot(ctx, p, disk, opts, "spot-snap", SpotSnapshotTag)
}
