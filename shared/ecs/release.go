package ecs

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"slices"
	"strings"

	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/requests"
)

// ReleaseOptions are sent on every DeleteInstances call.
type ReleaseOptions struct {
	// Force releases instances that are not Stopped (a power-off).
	Force bool
}

// Release sends DeleteInstances in batches of 100 (in parallel). ECS fails
// a whole batch for one instance it cannot release; such a batch is split
// in halves until the instance that fails it stands alone, so every other
// instance is still released. A result with an ErrNotFound error means the
// instance was already gone. Retryable failures (throttling, 5xx,
// transport) are retried inside the deadline; if they persist, or the
// deadline comes, the batch's instances carry that error (unfinished, not
// judged).
func (c *Client) Release(ctx context.Context, ids []string, opts ReleaseOptions) []Result {
	parts := chunks(ids, BatchSize)
	results := make([][]Result, len(parts))
	c.parallel(len(parts), func(i int) {
		results[i] = c.releaseBatch(ctx, parts[i], opts)
	})
	out := make([]Result, 0, len(ids))
	for _, r := range results {
		out = append(out, r...)
	}
	return out
}

func (c *Client) releaseBatch(ctx context.Context, ids []string, opts ReleaseOptions) []Result {
	req := newDeleteInstancesRequest()
	batch := append([]string(nil), ids...)
	req.InstanceId = &batch
	req.Force = requests.NewBoolean(opts.Force)
	req.ClientToken = c.clientToken("del", ids...)
	resp, err := mutate(ctx, c, "DeleteInstances", req, API.DeleteInstances)
	if err == nil {
		out := make([]Result, len(ids))
		for i, id := range ids {
			out[i] = Result{InstanceID: id, RequestID: resp.RequestId}
		}
		return out
	}
	if len(ids) == 1 || !splittable(err) {
		out := make([]Result, len(ids))
		for i, id := range ids {
			out[i] = Result{InstanceID: id, Err: forInstance(err, id)}
		}
		return out
	}
	half := len(ids) / 2
	return append(c.releaseBatch(ctx, ids[:half], opts), c.releaseBatch(ctx, ids[half:], opts)...)
}

// splittable: the error is about some instance of the batch, so halving the
// batch isolates it. Retryable, deadline and auth failures are about the
// call, and splitting would only multiply them.
func splittable(err error) bool {
	if Retryable(err) || errors.Is(err, ErrDeadline) || errors.Is(err, ErrAuth) {
		return false
	}
	return true
}

// clientToken is an idempotency token for a batch: the configured prefix
// (the logical request) plus a hash of the sorted IDs, at most 64 ASCII
// characters. A retried invocation of the same request replays the call.
func (c *Client) clientToken(kind string, ids ...string) string {
	sorted := slices.Clone(ids)
	slices.Sort(sorted)
	h := sha256.Sum256([]byte(c.cfg.ClientTokenPrefix + "|" + kind + "|" + strings.Join(sorted, ",")))
	return kind + "-" + hex.EncodeToString(h[:20])
}
