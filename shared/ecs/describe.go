package ecs

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"sync"

	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/requests"

	"github.com/fc-ecs-release/fc-ecs-release/shared/waiter"
)

// Describe reads the given instances, 100 per call (in parallel). An ID
// missing from the answer is gone: it is absent from the map.
func (c *Client) Describe(ctx context.Context, ids []string) (map[string]Instance, error) {
	parts := chunks(ids, BatchSize)
	out := make(map[string]Instance, len(ids))
	var mu sync.Mutex
	var firstErr error
	c.parallel(len(parts), func(i int) {
		req := newDescribeInstancesRequest()
		raw, _ := json.Marshal(parts[i])
		req.InstanceIds = string(raw)
		req.PageSize = requests.NewInteger(BatchSize)
		resp, err := do(ctx, c, "DescribeInstances", req, API.DescribeInstances)
		mu.Lock()
		defer mu.Unlock()
		if err != nil {
			if firstErr == nil {
				firstErr = err
			}
			return
		}
		for _, in := range resp.Instances.Instance {
			out[in.InstanceId] = fromSDK(in)
		}
	})
	if firstErr != nil {
		return out, firstErr
	}
	return out, nil
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
