package ecs

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/requests"

	"github.com/fc-ecs-release/fc-ecs-release/shared/waiter"
)

// Disk is a disk of an instance.
type Disk struct {
	ID                 string `json:"diskId"`
	InstanceID         string `json:"instanceId,omitempty"`
	Type               string `json:"type"` // system | data
	Category           string `json:"category,omitempty"`
	SizeGiB            int    `json:"sizeGiB"`
	Device             string `json:"device,omitempty"`
	DeleteWithInstance bool   `json:"deleteWithInstance"`
}

// Snapshot statuses.
const (
	SnapshotProgressing  = "progressing"
	SnapshotAccomplished = "accomplished"
	SnapshotFailed       = "failed"
)

// perInstanceDiskLimit: up to this many instances, disks are read with one
// DescribeDisks per instance; above it, the region's disks are paged once
// and grouped, which costs fewer calls.
const perInstanceDiskLimit = 10

// Disks returns the disks attached to each instance.
func (c *Client) Disks(ctx context.Context, instanceIDs []string) (map[string][]Disk, error) {
	out := make(map[string][]Disk, len(instanceIDs))
	if len(instanceIDs) == 0 {
		return out, nil
	}
	var mu sync.Mutex
	add := func(d Disk) {
		mu.Lock()
		out[d.InstanceID] = append(out[d.InstanceID], d)
		mu.Unlock()
	}
	if len(instanceIDs) <= perInstanceDiskLimit {
		var firstErr error
		c.parallel(len(instanceIDs), func(i int) {
			err := c.describeDisks(ctx, instanceIDs[i], nil, add)
			mu.Lock()
			firstErr = cmpErr(firstErr, err)
			mu.Unlock()
		})
		return out, firstErr
	}
	want := make(map[string]bool, len(instanceIDs))
	for _, id := range instanceIDs {
		want[id] = true
	}
	err := c.describeDisks(ctx, "", want, add)
	return out, err
}

func cmpErr(first, err error) error {
	if first != nil {
		return first
	}
	return err
}

// describeDisks pages DescribeDisks (100 a page) for one instance, or the
// whole region when instanceID is "" (keeping the disks of want), and
// hands each attached disk to add as soon as its page arrives, so only a
// page of the SDK's large disk structs is held at a time.
func (c *Client) describeDisks(ctx context.Context, instanceID string, want map[string]bool, add func(Disk)) error {
	req := newDescribeDisksRequest()
	req.InstanceId = instanceID
	req.MaxResults = requests.NewInteger(BatchSize)
	for {
		resp, err := do(ctx, c, "DescribeDisks", req, API.DescribeDisks)
		if err != nil {
			return err
		}
		for _, d := range resp.Disks.Disk {
			if d.InstanceId == "" || (want != nil && !want[d.InstanceId]) {
				continue
			}
			add(Disk{ID: d.DiskId, InstanceID: d.InstanceId, Type: d.Type, Category: d.Category, SizeGiB: d.Size, Device: d.Device, DeleteWithInstance: d.DeleteWithInstance})
		}
		if resp.NextToken == "" || resp.NextToken == req.NextToken {
			return nil
		}
		req.NextToken = resp.NextToken
	}
}

// SnapshotOptions name and tag the snapshots.
type SnapshotOptions struct {
	Name        string // 2-128 chars, starts with a letter
	Description string
	Tags        map[string]string
}

// CreateSnapshot snapshots one disk. Its ClientToken is derived from the
// client's token prefix and the disk, so a retried invocation gets the same
// snapshot back instead of a second one. The options must therefore be
// derived from the request only (no timestamps): ECS answers a token reused
// with other parameters with IdempotentParameterMismatch.
func (c *Client) CreateSnapshot(ctx context.Context, disk Disk, opts SnapshotOptions) (string, error) {
	req := newCreateSnapshotRequest()
	req.DiskId = disk.ID
	req.SnapshotName = opts.Name
	req.Description = opts.Description
	req.ClientToken = c.clientToken("snap", disk.ID)
	if len(opts.Tags) > 0 {
		keys := make([]string, 0, len(opts.Tags))
		for k := range opts.Tags {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		tags := make([]tagParam, len(keys))
		for i, k := range keys {
			tags[i] = tagParam{Key: k, Value: opts.Tags[k]}
		}
		req.Tag = &tags
	}
	resp, err := do(ctx, c, "CreateSnapshot", req, API.CreateSnapshot)
	if err != nil {
		return "", forInstance(err, disk.InstanceID)
	}
	return resp.SnapshotId, nil
}

// SnapshotStatuses reads snapshots by ID, 100 per call; a missing ID is
// absent from the map.
func (c *Client) SnapshotStatuses(ctx context.Context, ids []string) (map[string]string, error) {
	out := make(map[string]string, len(ids))
	var mu sync.Mutex
	var firstErr error
	parts := chunks(ids, BatchSize)
	c.parallel(len(parts), func(i int) {
		req := newDescribeSnapshotsRequest()
		raw, _ := json.Marshal(parts[i])
		req.SnapshotIds = string(raw)
		req.PageSize = requests.NewInteger(BatchSize)
		resp, err := do(ctx, c, "DescribeSnapshots", req, API.DescribeSnapshots)
		mu.Lock()
		defer mu.Unlock()
		if err != nil {
			firstErr = cmpErr(firstErr, err)
			return
		}
		for _, s := range resp.Snapshots.Snapshot {
			out[s.SnapshotId] = s.Status
		}
	})
	return out, firstErr
}

// SnapshotCheck is a waiter.CheckFunc: accomplished is done, failed or
// missing is terminal, progressing is pending.
func (c *Client) SnapshotCheck() waiter.CheckFunc {
	return func(ctx context.Context, ids []string) (map[string]waiter.Status, error) {
		st, err := c.SnapshotStatuses(ctx, ids)
		if err != nil {
			return nil, err
		}
		out := make(map[string]waiter.Status, len(ids))
		for _, id := range ids {
			switch s, ok := st[id]; {
			case !ok:
				out[id] = waiter.Status{State: waiter.Failed, Reason: "snapshot disappeared"}
			case s == SnapshotAccomplished:
				out[id] = waiter.Status{State: waiter.Done}
			case s == SnapshotFailed:
				out[id] = waiter.Status{State: waiter.Failed, Reason: "snapshot status is failed"}
			default:
				out[id] = waiter.Status{State: waiter.Pending}
			}
		}
		return out, nil
	}
}

// SnapshotTag marks the snapshots this package takes before a release, so
// a retry can find and adopt them.
const SnapshotTag = "ecs-release:pre-release"

// InstanceSnapshots is the outcome of snapshotting one instance.
type InstanceSnapshots struct {
	SnapshotIDs []string
	// Adopted counts snapshots of an earlier attempt reused instead of
	// taken again.
	Adopted int
	// Err is nil only when every disk's snapshot is accomplished. It wraps
	// ErrSnapshotFailed for a failed snapshot and ErrDeadline when the
	// snapshots were still progressing when time ran out.
	Err error
}

type snapshotInfo struct {
	id, disk, status string
	created          time.Time
}

// earlierSnapshots finds, per disk, the snapshots this package took of an
// instance (SnapshotTag) that are progressing or accomplished and were
// taken since the instance last started: while it stays stopped, its disks
// do not change, so such a snapshot is as good as a new one. This is what
// keeps a retried saga, even one with a new request id, from snapshotting
// twice or waiting forever on its own earlier snapshot.
func (c *Client) earlierSnapshots(ctx context.Context, in Instance) (map[string]snapshotInfo, error) {
	req := newDescribeSnapshotsRequest()
	req.InstanceId = in.ID
	req.MaxResults = requests.NewInteger(BatchSize)
	best := map[string]snapshotInfo{}
	for {
		resp, err := do(ctx, c, "DescribeSnapshots", req, API.DescribeSnapshots)
		if err != nil {
			return nil, err
		}
		for _, s := range resp.Snapshots.Snapshot {
			ours := false
			for _, t := range s.Tags.Tag {
				ours = ours || (t.TagKey == SnapshotTag && t.TagValue == "true")
			}
			created, err := ParseTime(s.CreationTime)
			if !ours || err != nil || in.StartTime.IsZero() || created.Before(in.StartTime) {
				continue
			}
			if s.Status != SnapshotAccomplished && s.Status != SnapshotProgressing {
				continue
			}
			cur, ok := best[s.SourceDiskId]
			// Prefer accomplished, then the newest.
			if !ok || (s.Status == SnapshotAccomplished && cur.status != SnapshotAccomplished) ||
				(s.Status == cur.status && created.After(cur.created)) {
				best[s.SourceDiskId] = snapshotInfo{id: s.SnapshotId, disk: s.SourceDiskId, status: s.Status, created: created}
			}
		}
		if resp.NextToken == "" || resp.NextToken == req.NextToken {
			return best, nil
		}
		req.NextToken = resp.NextToken
	}
}

// SnapshotInstances snapshots every disk of each instance (adopting a
// snapshot an earlier attempt took since the instance last started) and
// waits until all are accomplished. An instance is ready for release only
// if its InstanceSnapshots.Err is nil.
func (c *Client) SnapshotInstances(ctx context.Context, instances []Instance, opts SnapshotOptions, wopts waiter.Options) map[string]InstanceSnapshots {
	instanceIDs := make([]string, len(instances))
	for i, in := range instances {
		instanceIDs[i] = in.ID
	}
	out := make(map[string]InstanceSnapshots, len(instanceIDs))
	disks, err := c.Disks(ctx, instanceIDs)
	if err != nil {
		for _, id := range instanceIDs {
			out[id] = InstanceSnapshots{Err: forInstance(err, id)}
		}
		return out
	}
	tags := map[string]string{SnapshotTag: "true"}
	for k, v := range opts.Tags {
		tags[k] = v
	}
	opts.Tags = tags
	owner := map[string]string{}
	var all []string
	var mu sync.Mutex
	c.parallel(len(instanceIDs), func(i int) {
		id := instanceIDs[i]
		res := InstanceSnapshots{}
		if len(disks[id]) == 0 {
			res.Err = fmt.Errorf("%w: instance %s has no disks to snapshot", ErrSnapshotFailed, id)
		}
		earlier, err := c.earlierSnapshots(ctx, instances[i])
		if err != nil {
			res.Err = forInstance(err, id)
		}
		for _, d := range disks[id] {
			if res.Err != nil {
				break
			}
			if prev, ok := earlier[d.ID]; ok {
				res.SnapshotIDs = append(res.SnapshotIDs, prev.id)
				res.Adopted++
				continue
			}
			o := opts
			o.Description = fmt.Sprintf("%s disk %s (%s) of %s", opts.Description, d.ID, d.Type, id)
			snap, err := c.CreateSnapshot(ctx, d, o)
			if err != nil {
				res.Err = err
				break
			}
			res.SnapshotIDs = append(res.SnapshotIDs, snap)
		}
		mu.Lock()
		out[id] = res
		if res.Err == nil {
			for _, s := range res.SnapshotIDs {
				owner[s] = id
				all = append(all, s)
			}
		}
		mu.Unlock()
	})
	if len(all) == 0 {
		return out
	}
	if wopts.Clock == nil {
		wopts.Clock = c.cfg.Clock
	}
	wres, werr := waiter.Wait(ctx, all, c.SnapshotCheck(), wopts)
	done := make(map[string]bool, len(wres.Done))
	for _, snap := range wres.Done {
		done[snap] = true
	}
	// Every snapshot not seen accomplished leaves its instance unready,
	// whatever the reason (failed, still progressing, or the wait itself
	// failing): never report success for a snapshot not seen done.
	for _, snap := range all {
		id := owner[snap]
		r := out[id]
		if done[snap] || r.Err != nil {
			continue
		}
		if reason, failed := wres.Failed[snap]; failed {
			r.Err = fmt.Errorf("%w: snapshot %s of instance %s: %s", ErrSnapshotFailed, snap, id, reason)
		} else {
			cause := errors.New("still progressing")
			if werr != nil {
				cause = werr
			}
			r.Err = &APIError{Action: "DescribeSnapshots", InstanceID: id, Message: fmt.Sprintf("snapshot %s not accomplished before the deadline: %v", snap, cause), class: ErrDeadline, cause: cause}
		}
		out[id] = r
	}
	return out
}
