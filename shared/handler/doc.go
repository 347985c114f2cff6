// Package handler holds the three functions' behaviour (SPEC §4): stop,
// the release saga and autorelease. functions/*/main.go only wire a
// Handler into fc.Start; tests and the local runner call the same code.
//
// Every invocation: read the configuration (invalid → fail before any ECS
// call), decode the event into requests (invalid → a clear error in the
// caller's shape), merge each request with the configuration into a plan,
// resolve and guard the targets of every plan (read-only; the cap refuses
// the whole invocation), then act — or, in dry run, stop at the first
// mutating call on the same code path and answer would-….
//
// Answers follow one contract: instances (instanceId, outcome, reason,
// error{code,message,retryable}, snapshotIds, autoReleaseTime), summary
// (counts by outcome) and, for stop with then:"release", next (the request
// for release). Work cut short by the deadline or left failing after
// retries is reported as failed with a retryable error; for event sources
// the invocation then returns an error naming those instances so FC's
// async retry runs the request again, and every step is idempotent.
package handler
