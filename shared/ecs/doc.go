// Package ecs is the functions' ECS layer over the Alibaba Cloud SDK: a
// client built per invocation (credentials from the FC context or the
// environment, ECS_ENDPOINT to reach the emulator, explicit timeouts), the
// batched operations the functions need (list by selector page by page,
// stop, release with batch splitting, status reads, auto-release time,
// disks and snapshots, instance detail for receipts), the classification of
// ECS error codes into sentinels usable with errors.Is, retries with
// exponential backoff and jitter inside the deadline, a client-side rate
// limit, and counters of API calls and retries.
//
// The SDK has no context.Context; every call here checks the context first
// and derives its read timeout from the remaining time. The SDK client is
// not safe for concurrent use (its per-request timeout is written into a
// shared http.Client), so a Client keeps one SDK client per worker.
package ecs
