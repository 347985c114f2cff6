// Package drills holds the reliability and security drills of the three
// functions (issue #8). They are ordinary go tests (go test ./drills/),
// bounded in time: each drives the real handlers (shared/handler) through
// the real SDK against the ECS emulator (internal/ecsemu), with a fake
// clock whose sleeps move the emulator's clock, so backoff, waits and
// deadlines cost no wall time. Real concurrency is used only where it is
// the point (two invocations at once, one event delivered three times at
// once) and to run the hostile inputs side by side against one emulator.
// The emulator's call record is the witness: what was released, how often,
// and that nothing else was touched.
//
// What each drill proves:
//
//   - TestFaultDrill: a 500-instance scheduled cleanup (stop with
//     then:"release", its answer handed to release as FC's onSuccess
//     destination record) under 30% throttling, 10% 5xx and latency
//     spikes, with protected, deletion-protected, PrePaid, security-locked
//     and out-of-scope instances among the targets. Every eligible
//     instance is released exactly once (one effective DeleteInstances per
//     instance, ClientToken replays counted once) and is gone; every
//     guarded instance gets no mutating call and is unchanged. Every
//     invocation ends inside its deadline or fails with a retryable error
//     naming the unfinished instances, and FC's retries of the same event
//     finish the job (with a 60 s deadline they must).
//   - TestDeadlineDrill: a release with snapshot:true cut by its deadline
//     mid-saga (instances stuck in Stopping, snapshots progressing) and
//     retried as FC's async retry does it (same event, new invocation) for
//     a CloudEvent, a destination record and a direct invoke: nothing
//     released twice, nothing forgotten, exactly one snapshot per disk. A
//     direct request re-sent under new request ids converges too (the
//     retry meets the earlier snapshot still progressing: the failure is
//     retryable) — there, snapshots may be taken twice.
//   - TestConcurrencyDrill: two invocations over overlapping instance sets
//     at once: each instance released once, only released /
//     already-released outcomes.
//   - TestDuplicateDrill: one job-completion CloudEvent delivered three
//     times, in a row and at once; a destination record arriving after the
//     instance was released by hand or by another event: already-released,
//     success, no further mutating call.
//   - TestHostileInputDrill: hundreds of malformed or hostile inputs in
//     every trigger shape (timer, FC HTTP, CloudEvent single and batch,
//     destination record, AWS EventBridge, API Gateway v2, function URL,
//     bare request) through all three functions: a clear 4xx answer (HTTP
//     shapes, with an {"error":{"code","message"}} body) or an error, no
//     panic, no mutating ECS call.
//   - TestSecretsDrill: a full cycle and failing invocations (wrong
//     secret, persistent throttling) with distinctive credentials: no log
//     line and no answer contains the secret or the STS token.
//   - TestAuthorizationDrill: over the FC HTTP trigger, instances outside
//     MANAGED_TAG are refused by id and unreachable by selector; an event
//     cannot turn DRY_RUN off, raise MAX_INSTANCES or switch a guard off
//     (unknown fields are refused); the protection tag and deletion
//     protection hold under force:true.
//   - TestSimHandOverReleasedAsRead: seeded worlds in which release acts
//     on a hand-over's planning read page by page while operators change
//     the instances, deletes are throttled and a page's read is refused:
//     no DeleteInstances on an instance that was, at that call, not
//     Stopped, protected, deletion-protected, locked or started since the
//     hand-over; nothing deleted twice; a receipt for each deleted
//     instance; an outcome for every instance; every untouched instance
//     released.
//
// Each drill logs a one-line figure summary ("figures {...}": faults
// injected, calls retried, instances released and kept, inputs tried,
// nothing lost) and, when DRILLS_REPORT names a file, appends it there as
// one JSON object per line:
//
//	DRILLS_REPORT=/tmp/drills.jsonl go test -race -count=1 ./drills/
//
// Fault counts come from the emulator's call record (Call.Injected, Code,
// Spike); retries from the handlers' "summary" log records.
package drills
