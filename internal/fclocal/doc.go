// Package fclocal runs this project's Function Compute 3.0 functions
// locally, wired exactly as the Serverless Devs s.yaml says. It is the
// library behind cmd/fclocal and is meant to be imported by tests and
// benchmarks.
//
// # Pieces
//
//   - Load / LoadFile (aliases of internal/syaml's, the one s.yaml reader
//     this repository has) read an s.yaml (edition 3.0.0, component fc3)
//     the way `s preview` renders it: vars (nested), ${vars.x}, ${env('X')}
//     and ${env('X','default')}, template + extend {name, ignore} (deep
//     merge, the resource's props on top, lists replaced). They return the go1
//     functions with their pre-deploy `run` actions, environment, timeout,
//     memory, triggers (timer, http, eventbridge; other FC types are
//     listed, not fired) and asyncInvokeConfig, destination ARNs resolved to
//     functions of the file. Anything that cannot be resolved, or that FC
//     would reject or run differently (unknown var, ${config(...)},
//     ${resources...}, a bad or 5-field cron, a non-string environment
//     value, an ARN naming no function of the file, an unknown component or
//     trigger type, a destination cycle, ...) is an *Error naming the file,
//     the line where known and the prop path (template paths for inherited
//     values).
//   - ParseCron (internal/syaml/cron's) reads timer expressions as FC
//     does: 6 fields, seconds first, optional CRON_TZ=<zone> (UTC
//     otherwise), @every <duration>.
//   - Start builds the functions (each pre-deploy `run` with `sh -c` in its
//     path, as Serverless Devs does, but for this machine: the command's
//     leading GOOS=/GOARCH= become the host's) and runs each <code>/<handler> under
//     internal/fcruntime with the s.yaml environment plus overrides
//     (ECS_ENDPOINT, --set). A Runner then offers Invoke (synchronous, never
//     retried), InvokeAsync (FC's async path), FireTimer and StartTimers
//     (timers on schedule, never at start-up), HTTPHandler (the HTTP
//     triggers) and PutEvent (a local default event bus for the
//     EventBridge triggers; DeliverEmulatorEvents puts an in-process
//     emulator's events on it).
//   - RunDemo runs one scheduled cleanup cycle end to end against an
//     in-process ECS emulator with a demo fleet (the real cloud's hazards
//     included: a spot instance ECS interrupts during the cycle, whose
//     event reaches release, and a job-completion event naming an
//     instance of a second region by ARN) and reports per instance what
//     happened and why, with each outcome's code. Main is the command
//     line; its preview command fires s.yaml's timers once with DRY_RUN
//     forced on (against the emulator or, with --real, the real account)
//     and reports what they would do; fire asks a running `up` to fire a
//     timer now, put-event to put an event on its bus.
//
// # Choices
//
//   - HTTP triggers are served under the path prefix /<functionName>/ (the
//     function's FC identity, unique in the file); the function sees the
//     rest of the path as rawPath, as it would behind its fcapp.run URL.
//     Request headers and repeated query values are joined with commas; a
//     body that is not UTF-8 text of a textual (or absent) Content-Type is
//     base64-encoded with isBase64Encoded. A synchronous function error is
//     answered 502 with X-Fc-Error-Type; an answer that is not a
//     {statusCode,...} object is sent as a 200 JSON body (FC's behaviour in
//     both cases is undocumented). authType function/jwt signatures are not
//     checked.
//   - Async invocations keep their request id across retries; retry n
//     carries x-fc-retry-count n. Function errors (returned, panicked,
//     timed out, crashed) are retried maxAsyncRetryAttempts times after
//     Options.RetryBackoff (default 1s doubling to 30s: FC does not
//     document its interval). An event older than maxAsyncEventAgeInSeconds
//     is dropped before its next attempt and reported to onFailure.
//   - Destination records (DestinationRecord) carry requestPayload and
//     responsePayload as JSON strings (FC's documented sample), timestamp in
//     epoch ms, responseContext.statusCode 200 (the platform worked),
//     functionError "" on success, and condition "" on success, else
//     HandledInvocationError, UnhandledInvocationError (timeout, crash) or
//     EventAgeExceeded. On failure responsePayload is the error JSON. The
//     record is delivered as an async invocation of the destination, so the
//     destination's own retries apply.
//   - EventBridge triggers get the events put on the local bus (PutEvent):
//     every enabled trigger with eventSourceType Default whose
//     eventRuleFilterPattern the event matches (EventBridge's operators:
//     exact values, prefix, suffix, contains, anything-but, numeric, cidr,
//     exists; an unknown operator leaves the trigger undelivered, never
//     matched loosely) invokes its function once, with the event itself as
//     the payload (FC's event-driven mode: one CloudEvent per invocation),
//     asynchronously when asyncInvocationType is true, else synchronously
//     (one attempt: EventBridge's own retry strategy is not modelled).
//     The in-process emulator's events (ecsemu Subscribe) are put there in
//     EventBridge's form, on the goroutine that caused them, in order.
//   - Credentials: the emulator's key pair with an STS-like token made per
//     run (or, with --real, ALIBABA_CLOUD_* from the environment). They
//     reach the functions only through fcruntime (x-fc-* headers and
//     ALIBABA_CLOUD_* variables) and are never printed.
//
// # Not emulated
//
// Triggers other than timer, HTTP and EventBridge are not fired; EventBridge
// event sources other than the default bus, batching (runOptions) and
// EventBridge's retries are not modelled, and an emulator reached with
// --endpoint (or real ECS) puts no events on the local bus; ACS3 signatures
// are not verified; FC's scaling (one instance per function
// takes every invocation, see fcruntime) and async throttling retries are
// not modelled; async delays (x-fc-async-delay) and async task mode are not
// implemented; MNS/EventBridge/RocketMQ destinations are refused.
package fclocal
