// Package fcruntime runs a real Function Compute 3.0 go1 function binary
// locally, the way FC runs it: it serves the runtime API that
// github.com/aliyun/fc-runtime-go-sdk (v0.3.1) polls, starts the binary with
// FC's environment, hands it invocations with FC's headers and collects the
// answers.
//
// Start launches one function process (an Instance) and waits until it polls;
// Invoke sends it one event and waits for the outcome; Stop ends it. Tests use
// it to exercise the unmodified function executables built with `go build`,
// and cmd/fclocal builds timers, HTTP triggers and async destinations on it.
//
// # What it implements
//
//   - The runtime API as the SDK's client uses it (fc/runtime_api_client.go):
//     GET /2020-11-11/runtime/invocation/next as a long poll that takes one
//     pending invocation (several polls may be outstanding; each gets a
//     different invocation), POST .../{id}/response, POST .../{id}/error
//     ({"errorMessage","errorType","stackTrace"}). Each process gets its own
//     listener on 127.0.0.1, named by FC_RUNTIME_API.
//   - The per-invocation headers the SDK turns into the handler's context
//     (fccontext.FromContext): x-fc-request-id, x-fc-function-deadline (epoch
//     ms; the handler's ctx deadline), x-fc-access-key-id,
//     x-fc-access-key-secret, x-fc-security-token, x-fc-function-name,
//     x-fc-function-handler, x-fc-function-memory, x-fc-function-timeout
//     (whole seconds), x-fc-region, x-fc-account-id, x-fc-retry-count and
//     x-fc-qualifier (LATEST).
//   - FC's environment: FC_FUNCTION_NAME, FC_FUNCTION_HANDLER,
//     FC_FUNCTION_MEMORY_SIZE, FC_REGION, FC_ACCOUNT_ID, FC_INSTANCE_ID (new
//     per process), FC_FUNC_CODE_PATH, ALIBABA_CLOUD_ACCESS_KEY_ID,
//     ALIBABA_CLOUD_ACCESS_KEY_SECRET, ALIBABA_CLOUD_SECURITY_TOKEN, plus
//     Function.Env. The caller's environment is not inherited. The working
//     directory is the binary's directory (FC's /code).
//   - Instance lifecycle: readiness is the first GET next, and the time from
//     exec to it is the cold start. An invocation that passes its deadline
//     gets a synthesised FunctionTimeout error and the process is killed, as
//     FC discards a timed-out instance. A process that exits before answering
//     fails its in-flight invocations with a ProcessExited error. A
//     replacement starts on the next Invoke, or at once if invocations are
//     queued. A process that dies before it ever polls fails the queue and is
//     not restarted in a loop.
//   - Measurements: ColdStart, Restarts, PID, and PeakRSS (VmHWM read while
//     running and by Stop; ru_maxrss, which can carry the parent's size, only
//     for a process that exited unread; Linux only).
//
// A handler panic is not a crash: SDK v0.3.1 recovers it, posts it to
// .../error with a stack trace and keeps serving, so the process survives
// and is not restarted.
//
// Credentials travel only as headers and environment variables. This package
// writes no logs, keeps them out of its error messages, and
// Credentials.String redacts them.
//
// # What it deliberately does not do
//
//   - HTTP-function mode (fc.StartHttp, x-fc-http-params) and lifecycle hooks
//     (initializer, preStop: x-fc-function-type). Only event handlers
//     (fc.Start) are served. Building the event an HTTP trigger or a timer
//     delivers is the caller's job.
//   - FC's scaling. A go1 instance takes one request at a time in FC 3.0, and
//     FC runs concurrent requests on separate instances. Here, concurrent
//     Invoke calls all go to the one process, where the SDK runs them in
//     goroutines. So a timeout kills the process under every invocation on
//     it, and those fail with ProcessExited.
//   - Resource limits and sandboxing. MemoryMB is reported but not enforced.
//     There is no CPU share, no freezing between invocations, no idle
//     reclaim, no read-only filesystem, and no network isolation.
//   - Async semantics: retries, destinations and event age. The caller does
//     them with RetryCount and Result.
//   - Service, version, tracing and log headers (x-fc-service-*,
//     x-fc-version-id, x-fc-tracing-*), request size limits, and rotating
//     credentials during an instance's life.
package fcruntime
