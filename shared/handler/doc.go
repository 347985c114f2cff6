// Package handler holds the three functions' behaviour: stop, the release
// saga and autorelease. functions/*/main.go only wire a Handler into
// fc.Start; tests and the local runner call the same code.
//
// Every invocation: read the configuration (invalid → fail before any ECS
// call), decode the event into requests (invalid → a clear error in the
// caller's shape), merge each request with the configuration into a plan,
// resolve and guard the targets of every plan (read-only; one cap counts
// every instance of every request, and a refusal touches nothing), then run
// them together (run.go) — or, in dry run, stop at the first mutating call
// on the same code path and answer would-….
//
// A run keeps each request's own options for each of its instances, and
// checks at the moment of action: every mutating call is made on a fresh
// read with every guard run on it, and retried only after a backoff and a
// new read. Instances started under a minute ago are waited out, so that a
// later restart shows in ECS's minute-precision StartTime; a hand-over
// (stop's next, with stoppedAt) never stops an instance and skips one
// started since.
//
// A request's named instances are looked up region by region (its ARN's,
// the request's, the function's) and prepared once per region, each part
// with its region's client (regions.go). Release also answers spot
// interruptions: a receipt and, when asked, snapshots, never an action on
// the instance (spot.go).
//
// Answers follow one contract: instances (instanceId, outcome, code on
// every skip and failure, reason, request for batches, error{code,message,
// retryable}, snapshotIds, autoReleaseTime, stoppedMode, flags, receipt),
// summary
// (counts by outcome, and by flag)
// and, for stop with then:"release", next (one release request per request
// and stop time). Work cut short by the deadline or left failing after
// retries is reported as failed with a retryable error; for event sources
// the invocation then returns an error naming those instances so FC's
// async retry runs the request again, and every step is idempotent.
package handler
