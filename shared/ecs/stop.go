package ecs

import (
	"context"
	"fmt"

	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/requests"
)

// Result is what happened to one instance in a batch operation.
type Result struct {
	InstanceID     string `json:"instanceId"`
	PreviousStatus string `json:"previousStatus,omitempty"`
	CurrentStatus  string `json:"currentStatus,omitempty"`
	// RequestID is the ECS request that acted (or failed) on the instance.
	RequestID string `json:"requestId,omitempty"`
	// Err is nil on success; otherwise classified (errors.Is with the
	// package's sentinels).
	Err error `json:"-"`
}

// StopOptions are sent on every StopInstances call.
type StopOptions struct {
	ForceStop bool
	// StoppedMode is required: StopCharging or KeepCharging. It is always
	// sent, because the server default depends on a console setting.
	StoppedMode string
}

// CodeEconomicalModeUnsupported is ECS's refusal of StoppedMode=StopCharging
// for an instance that has no economical mode (classic network, PrePaid,
// local disks, spot). Whether ECS refuses such a stop or stops the instance
// in KeepCharging without error is UNCONFIRMED (its documentation says
// both); the functions handle either.
const CodeEconomicalModeUnsupported = "InvalidInstanceId.NotSupport"

// EconomicalModeRefused reports whether err is ECS refusing a stop in
// economical mode (CodeEconomicalModeUnsupported).
func EconomicalModeRefused(err error) bool {
	return err != nil && Code(err) == CodeEconomicalModeUnsupported
}

// Stop sends StopInstances with BatchOptimization=SuccessFirst in batches of
// 100 (in parallel) and returns one result per instance, in input order.
// One instance's failure never fails the others.
func (c *Client) Stop(ctx context.Context, ids []string, opts StopOptions) ([]Result, error) {
	if opts.StoppedMode != StopCharging && opts.StoppedMode != KeepCharging {
		return nil, fmt.Errorf("%w: StoppedMode %q is not StopCharging or KeepCharging", ErrInvalidParameter, opts.StoppedMode)
	}
	parts := chunks(ids, BatchSize)
	results := make([][]Result, len(parts))
	c.parallel(len(parts), func(i int) {
		results[i] = c.stopBatch(ctx, parts[i], opts)
	})
	out := make([]Result, 0, len(ids))
	for _, r := range results {
		out = append(out, r...)
	}
	return out, nil
}

func (c *Client) stopBatch(ctx context.Context, ids []string, opts StopOptions) []Result {
	req := newStopInstancesRequest()
	batch := append([]string(nil), ids...)
	req.InstanceId = &batch
	req.BatchOptimization = "SuccessFirst"
	req.StoppedMode = opts.StoppedMode
	req.ForceStop = requests.NewBoolean(opts.ForceStop)
	resp, err := mutate(ctx, c, "StopInstances", req, API.StopInstances)
	out := make([]Result, len(ids))
	if err != nil {
		for i, id := range ids {
			out[i] = Result{InstanceID: id, Err: forInstance(err, id)}
		}
		return out
	}
	byID := make(map[string]instanceResponse, len(ids))
	for _, r := range resp.InstanceResponses.InstanceResponse {
		byID[r.InstanceId] = r
	}
	for i, id := range ids {
		r, ok := byID[id]
		switch {
		case !ok:
			out[i] = Result{InstanceID: id, RequestID: resp.RequestId, Err: instanceError("StopInstances", id, "", "no result for the instance in the StopInstances answer", resp.RequestId)}
		case r.Code == "200":
			out[i] = Result{InstanceID: id, PreviousStatus: r.PreviousStatus, CurrentStatus: r.CurrentStatus, RequestID: resp.RequestId}
		default:
			out[i] = Result{InstanceID: id, PreviousStatus: r.PreviousStatus, CurrentStatus: r.CurrentStatus, RequestID: resp.RequestId, Err: instanceError("StopInstances", id, r.Code, r.Message, resp.RequestId)}
		}
	}
	return out
}
