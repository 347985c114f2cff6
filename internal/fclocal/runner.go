package fclocal

import (
	"bytes"
	"cmp"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"os/exec"
	"regexp"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/fc-ecs-release/fc-ecs-release/internal/fcruntime"
)

// FC payload limits.
const (
	// MaxAsyncPayloadBytes bounds async (and timer) payloads: 128 KB.
	MaxAsyncPayloadBytes = 128 << 10
	// MaxSyncPayloadBytes bounds synchronous payloads: 32 MB.
	MaxSyncPayloadBytes = 32 << 20
	// DefaultAccountID is the account used in ARNs and x-fc-account-id when
	// none is given (s.yaml's own default).
	DefaultAccountID = "123456789012"
)

// Destination conditions (requestContext.condition of a destination record).
// FC documents the field as the error code; its value on success is not
// documented, so a success record carries "".
const (
	ConditionHandledError   = "HandledInvocationError"   // the function returned an error or panicked
	ConditionUnhandledError = "UnhandledInvocationError" // timeout, crash, oversized answer
	ConditionEventAge       = "EventAgeExceeded"         // dropped: older than maxAsyncEventAgeInSeconds
)

// Options configure a Runner.
type Options struct {
	// Env overrides every function's environment (applied over s.yaml's
	// environmentVariables), e.g. ECS_ENDPOINT and --set values.
	Env map[string]string
	// Credentials are handed to every invocation (x-fc-* headers and
	// ALIBABA_CLOUD_* variables), as a function role's STS credentials.
	Credentials fcruntime.Credentials
	// AccountID is sent as x-fc-account-id and used in ARNs
	// (default DefaultAccountID).
	AccountID string
	// Region, if set, replaces every function's region.
	Region string
	// Binaries maps a function or resource name to a prebuilt executable,
	// used instead of CodeDir/Handler; such functions are not built.
	Binaries map[string]string
	// SkipBuild runs no pre-deploy action: the executables must exist.
	SkipBuild bool
	// BuildEnv is the environment of the pre-deploy commands
	// (default os.Environ()).
	BuildEnv []string
	// BuildLog receives the pre-deploy commands' output (nil: kept, and
	// shown in the error if a command fails).
	BuildLog io.Writer
	// Progress, if set, receives a line as each function's build starts
	// and one when it is done, with its time: a cold build takes a while.
	Progress io.Writer
	// FunctionLog receives the functions' stdout and stderr (nil: discarded).
	FunctionLog io.Writer
	// RetryBackoff is the wait before async retry n (1-based). Default:
	// DefaultRetryBackoff.
	RetryBackoff func(retry int) time.Duration
	// OnInvocation is called after every attempt (sync or async, including
	// dropped async events), from the goroutine that ran it.
	OnInvocation func(Invocation)
	// OnEvent is called for every event put on the local bus (PutEvent),
	// with the invocations it started, from the goroutine that put it.
	OnEvent func(EventRouting)
}

// DefaultRetryBackoff waits 1s before the first async retry, doubling up
// to 30s. FC does not document its interval for function-error retries.
func DefaultRetryBackoff(retry int) time.Duration {
	d := time.Second << max(retry-1, 0)
	if d > 30*time.Second || d <= 0 {
		d = 30 * time.Second
	}
	return d
}

// Invocation is one attempt of one invocation, as the runner saw it.
type Invocation struct {
	Function, Resource string
	// Trigger says what invoked it: "timer:<name>", "http:<name>",
	// "eventbridge:<name>", "destination:<onSuccess|onFailure>:<source
	// function>", "invoke".
	Trigger   string
	Async     bool
	RequestID string
	// Retry is the x-fc-retry-count of this attempt; MaxRetries the
	// function's maxAsyncRetryAttempts (async only).
	Retry, MaxRetries int
	Start             time.Time
	// Duration is the wall time of the attempt, process (re)start included.
	Duration time.Duration
	Event    []byte
	// Payload is the function's answer (success only).
	Payload []byte
	// Err is the function error (returned error, panic, timeout, crash).
	Err *fcruntime.FunctionError
	// RunErr is a failure to run the attempt at all (runner stopping).
	RunErr error
	// Dropped: the async event was older than maxAsyncEventAgeInSeconds
	// and was not run.
	Dropped bool
	// Next says what the runner did after an async attempt: a retry, a
	// destination delivery, or nothing.
	Next string
	// DestinationRequestID is the request id of the destination invocation
	// Next started, if any.
	DestinationRequestID string
}

// OK reports whether the attempt ran and the function succeeded.
func (i Invocation) OK() bool { return i.RunErr == nil && i.Err == nil && !i.Dropped }

// Runner runs a Project's functions: builds them, keeps one fcruntime
// instance per function, and implements invocations, async retries and
// destinations, timers (StartTimers) and HTTP triggers (HTTPHandler).
type Runner struct {
	Project *Project
	// BuildTime is how long the pre-deploy actions took.
	BuildTime time.Duration

	opts   Options
	funcs  []*runFunc
	routes []*EventRoute
	ctx    context.Context
	cancel context.CancelFunc

	mu       sync.Mutex
	closed   bool
	inflight int
	idle     chan struct{}
	wg       sync.WaitGroup // async and timer goroutines
}

type runFunc struct {
	fn     *Function
	binary string
	env    []string
	inst   *fcruntime.Instance
}

// Env is the environment a function runs with: s.yaml's
// environmentVariables with overrides on top, as sorted KEY=VALUE.
func (rf *runFunc) envMap() map[string]string {
	m := map[string]string{}
	for _, kv := range rf.env {
		k, v, _ := strings.Cut(kv, "=")
		m[k] = v
	}
	return m
}

// Start builds the functions (their pre-deploy actions, unless SkipBuild
// or a Binaries entry) and starts one instance of each.
func Start(ctx context.Context, p *Project, opts Options) (*Runner, error) {
	if opts.AccountID == "" {
		opts.AccountID = DefaultAccountID
	}
	if opts.RetryBackoff == nil {
		opts.RetryBackoff = DefaultRetryBackoff
	}
	for k := range opts.Env {
		if !envKeyPattern.MatchString(k) {
			return nil, fmt.Errorf("environment override %q: invalid name (letters, digits and _, starting with a letter)", k)
		}
		if strings.HasPrefix(k, "FC_") {
			return nil, fmt.Errorf("environment override %s: the FC_ prefix is reserved by Function Compute", k)
		}
	}
	r := &Runner{Project: p, opts: opts, idle: make(chan struct{})}
	r.ctx, r.cancel = context.WithCancel(context.Background())
	var toBuild []*Function
	for _, f := range p.Functions {
		rf := &runFunc{fn: f, binary: f.Binary()}
		for _, key := range []string{f.Name, f.Resource} {
			if b, ok := opts.Binaries[key]; ok {
				rf.binary = b
			}
		}
		if rf.binary == f.Binary() && !opts.SkipBuild {
			toBuild = append(toBuild, f)
		}
		env := map[string]string{}
		maps.Copy(env, f.Env)
		maps.Copy(env, opts.Env)
		for k, v := range env {
			rf.env = append(rf.env, k+"="+v)
		}
		sort.Strings(rf.env)
		r.funcs = append(r.funcs, rf)
	}
	r.routes = eventRoutes(r.funcs)
	t0 := time.Now()
	if err := Build(ctx, toBuild, opts.BuildEnv, opts.BuildLog, opts.Progress); err != nil {
		r.cancel()
		return nil, err
	}
	r.BuildTime = time.Since(t0)
	for _, rf := range r.funcs {
		if err := checkExecutable(rf); err != nil {
			r.cancel()
			return nil, err
		}
	}
	out := opts.FunctionLog
	if out == nil {
		out = io.Discard
	} else {
		out = &lockedWriter{w: out}
	}
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		errs []error
	)
	for _, rf := range r.funcs {
		wg.Go(func() {
			region := rf.fn.Region
			if opts.Region != "" {
				region = opts.Region
			}
			inst, err := fcruntime.Start(ctx, fcruntime.Function{
				Name:        rf.fn.Name,
				Handler:     rf.fn.Handler,
				Binary:      rf.binary,
				Env:         rf.env,
				MemoryMB:    rf.fn.MemoryMB,
				Timeout:     rf.fn.Timeout,
				Region:      region,
				AccountID:   opts.AccountID,
				Credentials: opts.Credentials,
				Stdout:      out,
				Stderr:      out,
			})
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				errs = append(errs, fmt.Errorf("starting %s (resource %s): %w", rf.fn.Name, rf.fn.Resource, err))
				return
			}
			rf.inst = inst
		})
	}
	wg.Wait()
	if len(errs) > 0 {
		r.Close()
		return nil, errors.Join(errs...)
	}
	return r, nil
}

func checkExecutable(rf *runFunc) error {
	st, err := os.Stat(rf.binary)
	if err != nil {
		return fmt.Errorf("function %s (resource %s): executable %s: %w (build it with its pre-deploy action, or run without --no-build)",
			rf.fn.Name, rf.fn.Resource, rf.binary, errors.Unwrap(err))
	}
	if st.IsDir() || st.Mode()&0o111 == 0 {
		return fmt.Errorf("function %s (resource %s): %s is not an executable file", rf.fn.Name, rf.fn.Resource, rf.binary)
	}
	return nil
}

// Build runs the pre-deploy `run` actions of fns, in order, each with
// `sh -c` in its path, as Serverless Devs does before a deploy. A failing
// command stops the build; its error includes the command's output.
// progress, if set, gets a line as each function's build starts and one
// with its time when it is done.
func Build(ctx context.Context, fns []*Function, env []string, log, progress io.Writer) error {
	if env == nil {
		env = os.Environ()
	}
	done := map[[2]string]bool{}
	for _, f := range fns {
		for _, a := range f.Actions {
			key := [2]string{a.Run, a.Dir}
			if done[key] {
				continue
			}
			done[key] = true
			var buf bytes.Buffer
			run, target := forHost(a.Run, runtime.GOOS, runtime.GOARCH)
			cmd := exec.CommandContext(ctx, "sh", "-c", run)
			cmd.Dir = a.Dir
			// A local run executes the functions here: build them for this
			// machine whatever the environment or s.yaml say (the action
			// keeps its own target for deploys).
			cmd.Env = append(slices.Clone(env), "GOOS="+runtime.GOOS, "GOARCH="+runtime.GOARCH)
			if log != nil {
				cmd.Stdout = io.MultiWriter(&buf, log)
			} else {
				cmd.Stdout = &buf
			}
			cmd.Stderr = cmd.Stdout
			began := time.Now()
			if progress != nil {
				note := ""
				if target != "" {
					note = fmt.Sprintf(" for %s/%s, this machine (s.yaml builds %s for deploys)", runtime.GOOS, runtime.GOARCH, target)
				}
				fmt.Fprintf(progress, "fclocal: building %s%s (%s) ...\n", f.Name, note, run)
			}
			if err := cmd.Run(); err != nil {
				return fmt.Errorf("resources.%s.actions.%s: `%s` in %s failed: %v\n%s", f.Resource, a.Hook, a.Run, a.Dir, err, tail(buf.String(), 4000))
			}
			if progress != nil {
				fmt.Fprintf(progress, "fclocal: built %s in %s\n", f.Name, time.Since(began).Round(10*time.Millisecond))
			}
		}
	}
	return nil
}

// forHost rewrites a pre-deploy command's leading GOOS=/GOARCH=
// assignments (as in `GOOS=linux GOARCH=amd64 CGO_ENABLED=0 go build …`)
// to goos and goarch, so that a local run builds executables this machine
// can start; the rest of the command is left byte for byte. target is what
// the command named ("linux/amd64"), empty if it named neither or already
// named goos/goarch.
func forHost(run, goos, goarch string) (rewritten, target string) {
	prefix := leadingAssignments.FindString(run)
	was := map[string]string{}
	newPrefix := goTargetVar.ReplaceAllStringFunc(prefix, func(a string) string {
		k, v, _ := strings.Cut(a, "=")
		was[k] = v
		if k == "GOOS" {
			return "GOOS=" + goos
		}
		return "GOARCH=" + goarch
	})
	wantOS, wantArch := cmp.Or(was["GOOS"], goos), cmp.Or(was["GOARCH"], goarch)
	if wantOS == goos && wantArch == goarch {
		return run, ""
	}
	return newPrefix + run[len(prefix):], wantOS + "/" + wantArch
}

var (
	// leadingAssignments are the NAME=value words before a command.
	leadingAssignments = regexp.MustCompile(`^\s*(?:[A-Za-z_][A-Za-z0-9_]*=[^\s'"` + "`" + `$]*\s+)+`)
	goTargetVar        = regexp.MustCompile(`\b(?:GOOS|GOARCH)=\S*`)
)

func tail(s string, n int) string {
	if len(s) > n {
		return "..." + s[len(s)-n:]
	}
	return s
}

// Function returns the function named name (functionName or resource name).
func (r *Runner) Function(name string) (*Function, error) {
	rf, err := r.lookup(name)
	if err != nil {
		return nil, err
	}
	return rf.fn, nil
}

// FunctionEnv is the environment function name runs with (secrets are
// not part of it: credentials travel separately).
func (r *Runner) FunctionEnv(name string) (map[string]string, error) {
	rf, err := r.lookup(name)
	if err != nil {
		return nil, err
	}
	return rf.envMap(), nil
}

func (r *Runner) lookup(name string) (*runFunc, error) {
	for _, rf := range r.funcs {
		if rf.fn.Name == name {
			return rf, nil
		}
	}
	for _, rf := range r.funcs {
		if rf.fn.Resource == name {
			return rf, nil
		}
	}
	return nil, fmt.Errorf("unknown function %q (functions: %s)", name, strings.Join(r.Project.FunctionNames(), ", "))
}

// Instance returns the fcruntime instance of a function (for measurements).
func (r *Runner) Instance(name string) (*fcruntime.Instance, error) {
	rf, err := r.lookup(name)
	if err != nil {
		return nil, err
	}
	return rf.inst, nil
}

// ARN is the function's ARN in this runner's account.
func (r *Runner) ARN(fn *Function) string {
	region := fn.Region
	if r.opts.Region != "" {
		region = r.opts.Region
	}
	return "acs:fc:" + region + ":" + r.opts.AccountID + ":functions/" + fn.Name
}

// NewRequestID returns an FC-style request id.
func NewRequestID() string {
	var b [14]byte
	_, _ = rand.Read(b[:])
	h := hex.EncodeToString(b[:])
	return "1-" + h[:8] + "-" + h[8:16] + "-" + h[16:]
}

type attempt struct {
	trigger   string
	async     bool
	requestID string
	retry     int
}

// call runs one attempt.
func (r *Runner) call(ctx context.Context, rf *runFunc, payload []byte, a attempt) Invocation {
	if a.requestID == "" {
		a.requestID = NewRequestID()
	}
	inv := Invocation{
		Function: rf.fn.Name, Resource: rf.fn.Resource, Trigger: a.trigger, Async: a.async,
		RequestID: a.requestID, Retry: a.retry, Start: time.Now(), Event: payload,
	}
	if a.async {
		inv.MaxRetries = rf.fn.Async.MaxRetries
	}
	res, err := rf.inst.Invoke(ctx, payload, fcruntime.InvokeOptions{RequestID: a.requestID, RetryCount: a.retry})
	inv.Duration = time.Since(inv.Start)
	switch {
	case err != nil:
		inv.RunErr = err
	case res.Err != nil:
		inv.Err = res.Err
	default:
		inv.Payload = res.Payload
	}
	return inv
}

func (r *Runner) emit(inv Invocation) {
	if r.opts.OnInvocation != nil {
		r.opts.OnInvocation(inv)
	}
}

// Invoke runs one synchronous invocation: never retried, no destination.
// The error is for an unknown function or a failure to run at all; a
// function error is in Invocation.Err.
func (r *Runner) Invoke(ctx context.Context, function string, payload []byte, trigger string) (Invocation, error) {
	rf, err := r.lookup(function)
	if err != nil {
		return Invocation{}, err
	}
	if len(payload) > MaxSyncPayloadBytes {
		return Invocation{}, fmt.Errorf("payload is %d bytes; synchronous invocations take at most %d", len(payload), MaxSyncPayloadBytes)
	}
	if trigger == "" {
		trigger = "invoke"
	}
	inv := r.call(ctx, rf, payload, attempt{trigger: trigger})
	r.emit(inv)
	return inv, inv.RunErr
}

// InvokeAsync queues an asynchronous invocation and returns its request id
// at once (FC's 202). The runner retries function errors up to
// maxAsyncRetryAttempts with x-fc-retry-count 1..N, drops an event older
// than maxAsyncEventAgeInSeconds, and delivers the destination record to
// onSuccess or onFailure. Wait waits for all of it.
func (r *Runner) InvokeAsync(function string, payload []byte, trigger string) (string, error) {
	rf, err := r.lookup(function)
	if err != nil {
		return "", err
	}
	if len(payload) > MaxAsyncPayloadBytes {
		return "", fmt.Errorf("payload is %d bytes; asynchronous invocations take at most %d (128 KB)", len(payload), MaxAsyncPayloadBytes)
	}
	if trigger == "" {
		trigger = "invoke"
	}
	id := NewRequestID()
	if err := r.submit(asyncEvent{rf: rf, id: id, payload: payload, trigger: trigger, submitted: time.Now()}); err != nil {
		return "", err
	}
	return id, nil
}

// ErrClosed is returned for work submitted after Close.
var ErrClosed = errors.New("fclocal: runner closed")

type asyncEvent struct {
	rf        *runFunc
	id        string
	payload   []byte
	trigger   string
	submitted time.Time
}

func (r *Runner) submit(ev asyncEvent) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return ErrClosed
	}
	r.inflight++
	r.wg.Add(1)
	go r.runAsync(ev)
	return nil
}

func (r *Runner) doneAsync() {
	r.mu.Lock()
	r.inflight--
	if r.inflight == 0 {
		close(r.idle)
		r.idle = make(chan struct{})
	}
	r.mu.Unlock()
}

// Wait waits until no async invocation is queued, running, retrying or
// delivering to a destination (destination invocations included).
func (r *Runner) Wait(ctx context.Context) error {
	for {
		r.mu.Lock()
		if r.inflight == 0 {
			r.mu.Unlock()
			return nil
		}
		ch := r.idle
		r.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

func (r *Runner) runAsync(ev asyncEvent) {
	defer r.wg.Done()
	defer r.doneAsync()
	fn := ev.rf.fn
	var last Invocation
	for retry := 0; ; retry++ {
		if age := time.Since(ev.submitted); age > fn.Async.MaxEventAge {
			inv := Invocation{
				Function: fn.Name, Resource: fn.Resource, Trigger: ev.trigger, Async: true,
				RequestID: ev.id, Retry: retry, MaxRetries: fn.Async.MaxRetries, Start: time.Now(),
				Event: ev.payload, Dropped: true,
			}
			msg := fmt.Sprintf("event dropped: %s old, over maxAsyncEventAgeInSeconds (%d)", age.Round(time.Millisecond), int(fn.Async.MaxEventAge/time.Second))
			inv.Err = &fcruntime.FunctionError{ErrorType: ConditionEventAge, ErrorMessage: msg}
			if last.Err != nil {
				msg += "; last error: " + last.Err.Error()
			}
			inv.Next, inv.DestinationRequestID = r.deliver(ev, "onFailure", fn.Async.OnFailure, ConditionEventAge, msg, last.Payload, errorPayload(last.Err), retry)
			if inv.Next == "" {
				inv.Next = "dropped (no onFailure destination)"
			}
			r.emit(inv)
			return
		}
		inv := r.call(r.ctx, ev.rf, ev.payload, attempt{trigger: ev.trigger, async: true, requestID: ev.id, retry: retry})
		last = inv
		switch {
		case inv.RunErr != nil:
			inv.Next = "abandoned: " + inv.RunErr.Error()
			r.emit(inv)
			return
		case inv.Err == nil:
			inv.Next, inv.DestinationRequestID = r.deliver(ev, "onSuccess", fn.Async.OnSuccess, "", "", inv.Payload, nil, retry+1)
			r.emit(inv)
			return
		case retry >= fn.Async.MaxRetries:
			cond := ConditionHandledError
			if isUnhandled(inv.Err) {
				cond = ConditionUnhandledError
			}
			inv.Next, inv.DestinationRequestID = r.deliver(ev, "onFailure", fn.Async.OnFailure, cond, inv.Err.Error(), nil, errorPayload(inv.Err), retry+1)
			if inv.Next == "" {
				inv.Next = fmt.Sprintf("failed after %s; no onFailure destination", Plural(retry+1, "attempt"))
			} else {
				inv.Next = fmt.Sprintf("failed after %s; %s", Plural(retry+1, "attempt"), inv.Next)
			}
			r.emit(inv)
			return
		}
		d := r.opts.RetryBackoff(retry + 1)
		inv.Next = fmt.Sprintf("retry %d/%d in %s", retry+1, fn.Async.MaxRetries, d)
		r.emit(inv)
		t := time.NewTimer(d)
		select {
		case <-t.C:
		case <-r.ctx.Done():
			t.Stop()
			return
		}
	}
}

// isUnhandled reports an error FC would call unhandled: a timeout or a
// crash the runtime detected, rather than an error the function returned.
func isUnhandled(e *fcruntime.FunctionError) bool {
	switch e.ErrorType {
	case fcruntime.ErrorTypeTimeout, fcruntime.ErrorTypeProcessExited, fcruntime.ErrorTypeResponseTooLarge, fcruntime.ErrorTypeInvalidErrorPayload:
		return true
	}
	return false
}

func errorPayload(e *fcruntime.FunctionError) []byte {
	if e == nil {
		return nil
	}
	b, _ := json.Marshal(e)
	return b
}

// DestinationRecord is what FC delivers to an async destination
// (FC 3.0 result-callback docs). fclocal writes requestPayload and responsePayload
// as JSON strings holding the payload bytes, the form of FC's documented
// sample; receivers should also accept inline objects.
type DestinationRecord struct {
	// Timestamp is when the record was made, epoch milliseconds.
	Timestamp       int64                      `json:"timestamp"`
	RequestContext  DestinationRequestContext  `json:"requestContext"`
	RequestPayload  string                     `json:"requestPayload"`
	ResponseContext DestinationResponseContext `json:"responseContext"`
	ResponsePayload string                     `json:"responsePayload"`
}

// DestinationRequestContext identifies the source invocation.
type DestinationRequestContext struct {
	RequestID   string `json:"requestId"`
	FunctionARN string `json:"functionArn"`
	// Condition is "" on success, else ConditionHandledError,
	// ConditionUnhandledError or ConditionEventAge.
	Condition string `json:"condition"`
	// ApproximateInvokeCount is the number of attempts made.
	ApproximateInvokeCount int `json:"approximateInvokeCount"`
}

// DestinationResponseContext is the source invocation's outcome:
// statusCode 200 (the platform worked; a function error is in
// functionError), functionError "" on success.
type DestinationResponseContext struct {
	StatusCode    int    `json:"statusCode"`
	FunctionError string `json:"functionError"`
}

// deliver sends the destination record of ev to dst, if configured, as an
// async invocation of the destination function. It returns a description
// and the new request id.
func (r *Runner) deliver(ev asyncEvent, when string, dst *Destination, condition, functionError string, response, errPayload []byte, count int) (string, string) {
	if dst == nil {
		return "", ""
	}
	if when == "onFailure" && strings.HasPrefix(ev.trigger, "destination:onFailure:") {
		// The failure of a failure record's own invocation is not sent on
		// again: with onFailure naming the function itself, that could
		// loop (the functions never fail on a failure record).
		return "onFailure: NOT delivered: the invocation answered a failure record (no loop)", ""
	}
	target, err := r.lookup(dst.Function)
	if err != nil { // Load checked it
		return when + ": " + err.Error(), ""
	}
	if response == nil {
		response = errPayload
	}
	rec := DestinationRecord{
		Timestamp: time.Now().UnixMilli(),
		RequestContext: DestinationRequestContext{
			RequestID: ev.id, FunctionARN: r.ARN(ev.rf.fn), Condition: condition, ApproximateInvokeCount: count,
		},
		RequestPayload:  string(ev.payload),
		ResponseContext: DestinationResponseContext{StatusCode: 200, FunctionError: functionError},
		ResponsePayload: string(response),
	}
	body, _ := json.Marshal(rec)
	id := NewRequestID()
	if len(body) > MaxAsyncPayloadBytes {
		return fmt.Sprintf("%s -> %s NOT delivered: the record is %d bytes, over the async limit", when, target.fn.Name, len(body)), ""
	}
	err = r.submit(asyncEvent{rf: target, id: id, payload: body, trigger: "destination:" + when + ":" + ev.rf.fn.Name, submitted: time.Now()})
	if err != nil {
		return fmt.Sprintf("%s -> %s NOT delivered: %v", when, target.fn.Name, err), ""
	}
	return fmt.Sprintf("%s -> %s", when, target.fn.Name), id
}

// Close stops timers, abandons queued async work and stops the functions.
func (r *Runner) Close() {
	r.mu.Lock()
	r.closed = true
	r.mu.Unlock()
	r.cancel()
	r.wg.Wait()
	var wg sync.WaitGroup
	for _, rf := range r.funcs {
		if rf.inst != nil {
			wg.Go(func() { rf.inst.Stop() })
		}
	}
	wg.Wait()
}

type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}
