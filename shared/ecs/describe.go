package ecs

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"sync"

	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/requests"

	"github.com/fc-ecs-release/fc-ecs-release/shared/waiter"
)

// Describe reads the given instances, 100 per call (IDsPerRead; in
// parallel). An ID missing from the answer is gone: it is absent from the
// map.
func (c *Client) Describe(ctx context.Context, ids []string) (map[string]Instance, error) {
	parts := chunks(ids, c.IDsPerRead())
	out := make(map[string]Instance, len(ids))
	var mu sync.Mutex
	var firstErr error
	c.parallel(len(parts), func(i int) {
		found, err := c.describeChunk(ctx, parts[i])
		mu.Lock()
		defer mu.Unlock()
		if err != nil {
			if firstErr == nil {
				firstErr = err
			}
			return
		}
		maps.Copy(out, found)
	})
	if firstErr != nil {
		return out, firstErr
	}
	return out, nil
}

// DescribeInOrder reads the given instances as Describe does, and hands
// each call's IDs and what it found to deliver in the order of ids. Unlike
// Describe it never holds the whole read: a fleet's planning read is kept
// once, by the caller.
func (c *Client) DescribeInOrder(ctx context.Context, ids []string, deliver func(chunk []string, found map[string]Instance) error) error {
	parts := chunks(ids, c.IDsPerRead())
	type read struct {
		chunk []string
		found map[string]Instance
	}
	return inOrder(ctx, "DescribeInstances", c.readWorkers(), 0, len(parts)-1, func(ctx context.Context, i int) (read, error) {
		found, err := c.describeChunk(ctx, parts[i])
		return read{parts[i], found}, err
	}, func(r read) error { return deliver(r.chunk, r.found) })
}

// IDsPerRead is how many instances a read by ID asks for in one call
// (BatchSize unless Config.IDsPerRead says fewer).
func (c *Client) IDsPerRead() int {
	if n := c.cfg.IDsPerRead; n > 0 && n < BatchSize {
		return n
	}
	return BatchSize
}

// describeChunk reads up to 100 instances in one call.
func (c *Client) describeChunk(ctx context.Context, ids []string) (map[string]Instance, error) {
	req := newDescribeInstancesRequest()
	raw, _ := json.Marshal(ids)
	req.InstanceIds = string(raw)
	req.PageSize = requests.NewInteger(BatchSize)
	resp, err := do(ctx, c, "DescribeInstances", req, API.DescribeInstances)
	if err != nil {
		return nil, err
	}
	found := make(map[string]Instance, len(resp.Instances.Instance))
	for _, in := range resp.Instances.Instance {
		o := fromSDK(in)
		found[o.ID] = o
	}
	return found, nil
}

// Reasons the stop waiter gives.
const (
	ReasonGone      = "gone"
	ReasonRestarted = "restarted: the instance went back to %s while we waited for Stopped"
)

// StoppedCheck is a waiter.CheckFunc: Stopped or gone is done; Starting or
// Running after a stop request means someone restarted the instance, which
// is terminal for it; anything else is pending. It probes (see ProbeCheck).
func (c *Client) StoppedCheck() waiter.CheckFunc {
	return ProbeCheck(func(ctx context.Context, ids []string) (map[string]waiter.Status, error) {
		found, err := c.Describe(ctx, ids)
		if err != nil {
			return nil, err
		}
		out := make(map[string]waiter.Status, len(ids))
		for _, id := range ids {
			in, ok := found[id]
			out[id] = StoppedState(in, ok)
		}
		return out, nil
	})
}

// StoppedState classifies one instance read while waiting for Stopped
// (found is false when the read did not return it).
func StoppedState(in Instance, found bool) waiter.Status {
	switch {
	case !found:
		return waiter.Status{State: waiter.Done, Reason: ReasonGone}
	case in.Status == StatusStopped:
		return waiter.Status{State: waiter.Done}
	case in.Status == StatusStarting || in.Status == StatusRunning:
		return waiter.Status{State: waiter.Failed, Reason: fmt.Sprintf(ReasonRestarted, in.Status)}
	default:
		return waiter.Status{State: waiter.Pending}
	}
}

// ProbeCheck wraps a check of many instances: while more than one batch
// is pending it reads only the first batch (one call) until that batch has
// no pending instance left, and only then reads the rest. Instances
// stopped together finish together, so a fleet's wait costs a call per
// round instead of a call per 100 instances per round.
func ProbeCheck(check waiter.CheckFunc) waiter.CheckFunc {
	return func(ctx context.Context, ids []string) (map[string]waiter.Status, error) {
		if len(ids) <= BatchSize {
			return check(ctx, ids)
		}
		probe, err := check(ctx, ids[:BatchSize])
		if err != nil {
			return nil, err
		}
		for _, st := range probe {
			if st.State == waiter.Pending {
				return probe, nil
			}
		}
		rest, err := check(ctx, ids[BatchSize:])
		if err != nil {
			return nil, err
		}
		maps.Copy(rest, probe)
		return rest, nil
	}
}

// WaitStopped waits until every instance is Stopped or gone (see
// StoppedCheck), with the client's clock.
func (c *Client) WaitStopped(ctx context.Context, ids []string, opts waiter.Options) (waiter.Result, error) {
	if opts.Clock == nil {
		opts.Clock = c.cfg.Clock
	}
	return waiter.Wait(ctx, ids, c.StoppedCheck(), opts)
}

// Remaining reads which of ids still exist, to verify a release. Reading
// them by ID costs a call per 100. When more than 100 are asked and they
// all carry tags (the tags every one of them had at its last read), one
// DescribeInstances filtered by those tags is tried first: if its first
// page holds every instance that still carries them (TotalCount at most
// a page), that page is the whole answer — an ID it lacks no longer
// carries the tags it was released with, so it is gone — and the check
// costs one call however many were released (a pool emptied by a
// cleanup). Otherwise the IDs are read as usual (one call more).
func (c *Client) Remaining(ctx context.Context, ids []string, tags map[string]string) (map[string]Instance, error) {
	if len(ids) <= BatchSize || len(tags) == 0 {
		return c.Describe(ctx, ids)
	}
	if len(tags) > maxFilterTags {
		// Fewer tags filter less: still every instance that carries them.
		keys := slices.Sorted(maps.Keys(tags))
		tags = maps.Clone(tags)
		for _, k := range keys[maxFilterTags:] {
			delete(tags, k)
		}
	}
	req := c.listRequest(Selector{Tags: tags}, nil)
	req.PageNumber = requests.NewInteger(1)
	req.PageSize = requests.NewInteger(BatchSize)
	resp, err := do(ctx, c, "DescribeInstances", req, API.DescribeInstances)
	if err == nil && resp.TotalCount <= len(resp.Instances.Instance) {
		want := make(map[string]bool, len(ids))
		for _, id := range ids {
			want[id] = true
		}
		out := map[string]Instance{}
		for _, in := range resp.Instances.Instance {
			if want[in.InstanceId] {
				out[in.InstanceId] = fromSDK(in)
			}
		}
		return out, nil
	}
	return c.Describe(ctx, ids)
}

// SharedTags is the tags every instance carries with the same value (nil
// when there is none, or no instance).
func SharedTags(tagSets []map[string]string) map[string]string {
	if len(tagSets) == 0 {
		return nil
	}
	out := maps.Clone(tagSets[0])
	for _, tags := range tagSets[1:] {
		for k, v := range out {
			if got, ok := tags[k]; !ok || got != v {
				delete(out, k)
			}
		}
		if len(out) == 0 {
			return nil
		}
	}
	return out
}
