package ecs

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/requests"

	"github.com/fc-ecs-release/fc-ecs-release/shared/resource"
	"github.com/fc-ecs-release/fc-ecs-release/shared/waiter"
)

// Disk is a disk of an instance.
type Disk = resource.Disk

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
	err := c.regionDisks(ctx, want, add)
	return out, err
}

// regionDisks pages the region's disks and hands each attached disk of
// want to add, once. Page 1 (by number) gives the count; the other pages
// are read by number, Concurrency at a time, as the listing of instances
// does. Disks created or deleted meanwhile shift the pages: that shows as a
// changed TotalCount or as fewer distinct disks than it, and then a
// NextToken pass (whose tokens do not shift) picks up what was missed.
func (c *Client) regionDisks(ctx context.Context, want map[string]bool, add func(Disk)) error {
	seen := map[string]bool{}
	deliver := func(page []apiDisk) error {
		for _, d := range page {
			if seen[d.DiskId] {
				continue
			}
			seen[d.DiskId] = true
			if d.InstanceId != "" && want[d.InstanceId] {
				add(d.disk())
			}
		}
		return nil
	}
	read := func(ctx context.Context, n int) (*describeDisksResponse, error) {
		req := newDescribeDisksRequest()
		req.PageNumber = requests.NewInteger(n)
		req.PageSize = requests.NewInteger(BatchSize)
		return do(ctx, c, "DescribeDisks", req, API.DescribeDisks)
	}
	first, err := read(ctx, 1)
	if err != nil {
		return err
	}
	total := first.TotalCount
	_ = deliver(first.Disks.Disk)
	var shifted atomic.Bool
	pages := (total + BatchSize - 1) / BatchSize
	err = inOrder(ctx, "DescribeDisks", c.readWorkers(), 2, pages, func(ctx context.Context, n int) ([]apiDisk, error) {
		resp, err := read(ctx, n)
		if err != nil {
			return nil, err
		}
		if resp.TotalCount != total {
			shifted.Store(true)
		}
		return resp.Disks.Disk, nil
	}, deliver)
	if err != nil {
		return err
	}
	if !shifted.Load() && len(seen) >= total {
		return nil
	}
	return c.describeDisks(ctx, "", want, func(d Disk) {
		if !seen[d.ID] {
			seen[d.ID] = true
			add(d)
		}
	})
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
			add(d.disk())
		}
		if resp.NextToken == "" || resp.NextToken == req.NextToken {
			return nil
		}
		req.NextToken = resp.NextToken
	}
}

// Limits of CreateSnapshot: the name 2–128 characters starting with a
// letter, the description 2–256 characters.
const (
	MaxSnapshotName        = 128
	MaxSnapshotDescription = 256
)

// SnapshotOptions name and tag the snapshots. They must be derived from the
// request only (no timestamps): ECS answers a ClientToken reused with other
// parameters with IdempotentParameterMismatch.
type SnapshotOptions struct {
	Name        string // 2-128 chars, starts with a letter
	Description string // cut to 256 (characters and bytes) on a rune boundary
	Tags        map[string]string
}

// Tags this package puts on the snapshots it takes before a release.
const (
	// SnapshotTag marks them ("true"), so a retry can find and adopt them.
	SnapshotTag = "ecs-release:pre-release"
	// SnapshotStartTag holds the instance's StartTime (as DescribeInstances
	// shows it) when the snapshot was taken. While the instance's StartTime
	// still reads the same, it has not run since, so its disks are what the
	// snapshot holds.
	SnapshotStartTag = "ecs-release:instance-start"
)

// SnapshotPlan is what snapshotting one instance takes: its disks, and per
// disk an earlier snapshot to adopt or a new one to take.
type SnapshotPlan struct {
	InstanceID string
	// Start is the instance's StartTime as ECS shows it (minute precision).
	Start string
	Disks []Disk
	// Adopt maps a disk to a snapshot this package took of it while the
	// instance stood stopped with this same Start: progressing or
	// accomplished, as good as a new one (a retried saga, even under a new
	// request id, neither snapshots twice nor waits on its own earlier
	// snapshot forever).
	Adopt map[string]string
	// Failed lists per disk the snapshots of that kind that failed: each
	// one changes the ClientToken of the next attempt, so a retry takes a
	// new snapshot instead of getting the failed one back.
	Failed map[string][]string
}

// ToCreate lists the disks that need a new snapshot.
func (p *SnapshotPlan) ToCreate() []Disk {
	var out []Disk
	for _, d := range p.Disks {
		if _, ok := p.Adopt[d.ID]; !ok {
			out = append(out, d)
		}
	}
	return out
}

// PlanSnapshots reads the disks of the instances (as seen in instances,
// which must be current) and this package's snapshots of them, and plans
// each. An instance without disks gets an ErrSnapshotFailed error.
func (c *Client) PlanSnapshots(ctx context.Context, instances []Instance) (map[string]*SnapshotPlan, map[string]error) {
	return c.PlanSnapshotsWith(ctx, instances, nil)
}

// PlanSnapshotsWith is PlanSnapshots with the disks of the instances known
// already read (a key present in known, even with no disks, is not read
// again): one read of the disks serves the receipts and the snapshots.
// The caller checks again, at the moment of release, that no disk was
// attached since that read.
func (c *Client) PlanSnapshotsWith(ctx context.Context, instances []Instance, known map[string][]Disk) (map[string]*SnapshotPlan, map[string]error) {
	var ids []string
	for _, in := range instances {
		if _, ok := known[in.ID]; !ok {
			ids = append(ids, in.ID)
		}
	}
	plans := make(map[string]*SnapshotPlan, len(instances))
	errs := map[string]error{}
	disks, err := c.Disks(ctx, ids)
	if err != nil {
		for _, id := range ids {
			errs[id] = forInstance(err, id)
		}
		return plans, errs
	}
	for _, in := range instances {
		if d, ok := known[in.ID]; ok {
			disks[in.ID] = d
		}
	}
	var mu sync.Mutex
	c.parallel(len(instances), func(i int) {
		in := instances[i]
		p := &SnapshotPlan{InstanceID: in.ID, Start: FormatMinute(in.StartTime), Disks: disks[in.ID], Adopt: map[string]string{}, Failed: map[string][]string{}}
		var perr error
		if len(p.Disks) == 0 {
			perr = fmt.Errorf("%w: instance %s has no disks to snapshot", ErrSnapshotFailed, in.ID)
		} else {
			perr = c.ourSnapshots(ctx, p, SnapshotTag)
		}
		mu.Lock()
		defer mu.Unlock()
		if perr != nil {
			errs[in.ID] = forInstance(perr, in.ID)
			return
		}
		plans[in.ID] = p
	})
	return plans, errs
}

// ourSnapshots fills a plan's Adopt and Failed from the instance's
// snapshots that carry marker ("true": SnapshotTag, or SpotSnapshotTag) and
// the plan's Start.
func (c *Client) ourSnapshots(ctx context.Context, p *SnapshotPlan, marker string) error {
	req := newDescribeSnapshotsRequest()
	req.InstanceId = p.InstanceID
	req.MaxResults = requests.NewInteger(BatchSize)
	type best struct {
		id, status string
		created    time.Time
	}
	chosen := map[string]best{}
	for {
		resp, err := do(ctx, c, "DescribeSnapshots", req, API.DescribeSnapshots)
		if err != nil {
			return err
		}
		for _, s := range resp.Snapshots.Snapshot {
			tags := map[string]string{}
			for _, t := range s.Tags.Tag {
				tags[t.TagKey] = t.TagValue
			}
			if tags[marker] != "true" || p.Start == "" || tags[SnapshotStartTag] != p.Start {
				continue
			}
			created, _ := ParseTime(s.CreationTime)
			switch s.Status {
			case SnapshotFailed:
				p.Failed[s.SourceDiskId] = append(p.Failed[s.SourceDiskId], s.SnapshotId)
			case SnapshotAccomplished, SnapshotProgressing:
				cur, ok := chosen[s.SourceDiskId]
				// Prefer accomplished, then the newest.
				if !ok || (s.Status == SnapshotAccomplished && cur.status != SnapshotAccomplished) ||
					(s.Status == cur.status && created.After(cur.created)) {
					chosen[s.SourceDiskId] = best{s.SnapshotId, s.Status, created}
				}
			}
		}
		if resp.NextToken == "" || resp.NextToken == req.NextToken {
			break
		}
		req.NextToken = resp.NextToken
	}
	for _, d := range p.Disks {
		if b, ok := chosen[d.ID]; ok {
			p.Adopt[d.ID] = b.id
		}
	}
	return nil
}

// CreateSnapshot snapshots one disk of a plan (a mutating call: see
// Config.MutationAttempts), tagged with SnapshotTag and the plan's Start.
// Its ClientToken is derived from the client's token prefix, the disk, the
// instance's Start and the failed snapshots before it: a retried call gets
// the same snapshot back, a retry after a failure or after the instance ran
// again gets a new one.
func (c *Client) CreateSnapshot(ctx context.Context, p *SnapshotPlan, disk Disk, opts SnapshotOptions) (string, error) {
	return c.createSnapshot(ctx, p, disk, opts, "snap", SnapshotTag)
}

// createSnapshot is CreateSnapshot with the token's kind and the marker
// tag of the snapshot's purpose.
func (c *Client) createSnapshot(ctx context.Context, p *SnapshotPlan, disk Disk, opts SnapshotOptions, kind, marker string) (string, error) {
	req := newCreateSnapshotRequest()
	req.DiskId = disk.ID
	req.SnapshotName = CutRunes(opts.Name, MaxSnapshotName)
	req.Description = CutRunes(opts.Description, MaxSnapshotDescription)
	req.ClientToken = c.clientToken(kind, append([]string{disk.ID, "start=" + p.Start}, p.Failed[disk.ID]...)...)
	tags := map[string]string{marker: "true", SnapshotStartTag: p.Start}
	for k, v := range opts.Tags {
		tags[k] = TagValue(v)
	}
	req.Tag = tagParams(tags)
	resp, err := mutate(ctx, c, "CreateSnapshot", req, API.CreateSnapshot)
	if err != nil {
		return "", forInstance(err, p.InstanceID)
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
