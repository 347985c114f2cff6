package handler

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/fc-ecs-release/fc-ecs-release/shared/answer"
	"io"
	"log/slog"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/aliyun/fc-runtime-go-sdk/fccontext"

	"github.com/fc-ecs-release/fc-ecs-release/shared/clock"
	"github.com/fc-ecs-release/fc-ecs-release/shared/config"
	"github.com/fc-ecs-release/fc-ecs-release/shared/ecs"
	"github.com/fc-ecs-release/fc-ecs-release/shared/ecs/sdkdebug"
	"github.com/fc-ecs-release/fc-ecs-release/shared/guard"
	"github.com/fc-ecs-release/fc-ecs-release/shared/notify"
	"github.com/fc-ecs-release/fc-ecs-release/shared/redact"
	"github.com/fc-ecs-release/fc-ecs-release/shared/request"
)

// Deps are what a Handler takes from its surroundings. The zero value of
// each field means the production default.
type Deps struct {
	// Getenv reads configuration (default os.Getenv).
	Getenv func(string) string
	// Clock drives waits, backoff and time decisions (default real).
	Clock clock.Clock
	// Log receives the JSON log records (default os.Stdout).
	Log io.Writer
	// ECS tunes the per-invocation ECS clients; Region, Credentials,
	// Endpoint, MaxQPS and ClientTokenPrefix are set per invocation.
	ECS ecs.Config
}

func (d Deps) withDefaults() Deps {
	if d.Getenv == nil {
		d.Getenv = os.Getenv
	}
	if d.Clock == nil {
		d.Clock = clock.Real{}
	}
	if d.Log == nil {
		d.Log = os.Stdout
	}
	return d
}

// Handler is one function. Its Handle method is what fc.Start runs.
type Handler struct {
	fn   request.Function
	deps Deps
	// prepare resolves and guards one plan without mutating anything.
	prepare func(inv *invocation, p config.Plan, origin string) (*prepared, error)
	// execute acts on every prepared request of the invocation (each with
	// its own options).
	execute func(r *run)
}

// NewStop returns the stop function.
func NewStop(d Deps) *Handler {
	return &Handler{fn: request.Stop, deps: d.withDefaults(), prepare: prepareStop, execute: executeStop}
}

// NewRelease returns the release function. It also answers spot
// interruptions (spot.go).
func NewRelease(d Deps) *Handler {
	return &Handler{fn: request.Release, deps: d.withDefaults(), prepare: prepareReleaseOrSpot, execute: executeReleaseOrSpot}
}

// NewAutoRelease returns the autorelease function.
func NewAutoRelease(d Deps) *Handler {
	return &Handler{fn: request.AutoRelease, deps: d.withDefaults(), prepare: prepareAutoRelease, execute: executeAutoRelease}
}

// invocation is the state of one Handle call.
type invocation struct {
	ctx       context.Context
	h         *Handler
	requestID string
	fc        *fccontext.FcContext
	cfg       *config.Config
	policy    guard.Policy
	log       *slog.Logger
	// logOut gathers the log's lines for few writes (see logBatcher).
	logOut *logBatcher
	// clock counts its sleeps: a read taken before a sleep (a wait, a
	// backoff, a deferral) is stale.
	clock *sleepCounter
	start time.Time
	// trigger is the kind of event that invoked the function (the decoded
	// request's source).
	trigger string
	// redact masks the invocation's secrets in every log line, outcome and
	// error it writes.
	redact *redact.Redactor

	// streaming: release acts on its hand-over as the planning read
	// arrives (stream.go); streamed: it has sent a DeleteInstances so.
	streaming, streamed bool

	mu      sync.Mutex
	clients map[string]*ecs.Client
	// known labels every instance the invocation found, from its last
	// read: the name and owner its outcomes and warnings carry.
	known map[string]label
	// prices caches DescribePrice per region; ledger collects what the
	// actions save and leave billing (money.go).
	prices map[string]*ecs.Prices
	ledger ledger
	// preps are the invocation's prepared requests, once planned.
	preps []*prepared
	// recMu guards the response while outcomes are recorded.
	recMu sync.Mutex
}

// prepared is one request of the invocation, resolved and guarded.
type prepared struct {
	index   int // its position in the invocation
	plan    config.Plan
	origin  string            // the logical request behind it (idempotency tokens)
	client  *ecs.Client       // the plan's region
	targets []ecs.Instance    // allowed by the guards at the planning read, in order
	early   []InstanceOutcome // decided while preparing (not found, skipped)
	// readAt and readEpoch are when the planning read began (clock time
	// and sleep count).
	readAt    time.Time
	readEpoch uint64
	// disks, when set, gives the disks of the request's named instances,
	// read in the background from the start (a hand-over's receipts).
	disks func() map[string][]ecs.Disk
	// stream released instances during the planning read (stream.go).
	stream *releaseStream
	// extra per-function state
	autoRelease *autoReleasePlan
	// undo: the sweep's instances that carry an auto-release time this tool
	// set but must not any more (protected, deletion-protected, out of scope).
	undo  []ecs.Instance
	query bool
}

// Handle runs one invocation: fc.Start(h.Handle).
//
// The event is taken as []byte, not json.RawMessage: FC's runtime SDK
// hands a []byte parameter the body it read as it is, where a RawMessage
// would be a second copy of it (a stop's hand-over of 50,000 instances is
// about 10 MB). The body is only read, never changed or kept.
func (h *Handler) Handle(ctx context.Context, payload []byte) (any, error) {
	inv := h.newInvocation(ctx)
	// Every line is written before the function answers.
	defer func() { _ = inv.logOut.Flush() }()
	cfg, err := config.Load(h.deps.Getenv)
	if err != nil {
		inv.log.Error("invalid configuration", "error", err.Error())
		if d, derr := request.Decode(payload); derr == nil && d.Failure != nil {
			// A failure record is answered even so: failing it would send
			// it back to this function's onFailure — itself — again and
			// again until the configuration is fixed.
			inv.cfg = &config.Config{}
			if n, nerr := notify.Load(h.deps.Getenv); nerr == nil {
				inv.cfg.Notify, inv.cfg.OwnerTag = n, n.OwnerTag
			}
			inv.trigger = string(d.Source) + ":onFailure"
			return h.reportFailure(inv, d, err)
		}
		return request.Detect(payload).RespondError(inv.masked(&request.Error{Code: CodeInvalidConfiguration, Message: err.Error()}))
	}
	inv.cfg, inv.policy = cfg, guard.PolicyFrom(cfg)
	decoded, err := request.Decode(payload)
	if err != nil {
		if h.fn == request.Release && request.IsNothingHandedOver(err) {
			inv.log.Info("nothing to do", "reason", defaultReasonNothingHandedOver)
			resp := inv.newResponse(config.Plan{})
			inv.summarize(resp)
			return resp, nil
		}
		inv.log.Warn("invalid request", "error", err.Error())
		return request.Detect(payload).RespondError(inv.masked(err))
	}
	if decoded.Failure != nil {
		inv.trigger = string(decoded.Source) + ":onFailure"
		return h.reportFailure(inv, decoded, nil)
	}
	if err := decoded.ValidateFor(h.fn); err != nil {
		inv.log.Warn("invalid request", "error", err.Error())
		return decoded.RespondError(inv.masked(err))
	}
	inv.trigger = string(decoded.Source)
	inv.log.Info("invocation", "source", string(decoded.Source), "requests", len(decoded.Requests))
	resp, err := h.run(inv, decoded)
	if err != nil {
		inv.log.Warn("request refused", "error", err.Error())
		// The calls and retries made before the refusal (a read that
		// failed after its retries, a cap check) are still summarized.
		inv.summarize(inv.newResponse(config.Plan{}))
		return decoded.RespondError(inv.masked(err))
	}
	inv.tally(resp)
	if h.fn == request.AutoRelease {
		inv.warnReleaseSoon(resp)
	}
	if inv.notify(resp) && h.fn == request.AutoRelease {
		inv.markWarned(resp)
	}
	inv.summarize(resp)
	if len(resp.Next) > 0 {
		inv.warnIfTooLargeForFC(resp)
	}
	out, rerr := decoded.Respond(200, resp)
	if rerr != nil || decoded.Source.IsHTTP() {
		return out, rerr
	}
	if pending := retryable(resp); len(pending) > 0 {
		// The answer is in the logs; failing the invocation makes FC's
		// async retry run the request again.
		return nil, unfinishedError(h.fn, pending)
	}
	return out, nil
}

// masked returns err with the invocation's secrets masked in its text,
// keeping a request error's code and field.
func (inv *invocation) masked(err error) error {
	if e, ok := request.AsError(err); ok {
		cp := *e
		cp.Message = inv.redact.String(e.Message)
		return &cp
	}
	return errors.New(inv.redact.String(err.Error()))
}

func unfinishedError(fn request.Function, pending []InstanceOutcome) error {
	parts := make([]string, 0, min(len(pending), 20))
	for i, o := range pending {
		if i == 20 {
			parts = append(parts, fmt.Sprintf("and %d more", len(pending)-20))
			break
		}
		parts = append(parts, o.InstanceID+" ("+o.Error.Code+")")
	}
	noun := "instances"
	if len(pending) == 1 {
		noun = "instance"
	}
	return fmt.Errorf("%s: %d %s unfinished, to be retried: %s", fn, len(pending), noun, strings.Join(parts, ", "))
}

func (h *Handler) newInvocation(ctx context.Context) *invocation {
	inv := &invocation{ctx: ctx, h: h, clock: &sleepCounter{Clock: h.deps.Clock}, clients: map[string]*ecs.Client{}, known: map[string]label{}, prices: map[string]*ecs.Prices{}}
	inv.start = inv.clock.Now()
	if fc, ok := fccontext.FromContext(ctx); ok && fc != nil {
		inv.fc = fc
		inv.requestID = fc.RequestID
	}
	if inv.requestID == "" {
		var b [8]byte
		_, _ = rand.Read(b[:])
		inv.requestID = "local-" + hex.EncodeToString(b[:])
	}
	creds, _ := ecs.CredentialsFor(ctx, h.deps.Getenv)
	inv.redact = redact.New(append(notify.EnvSecrets(h.deps.Getenv), creds.AccessKeySecret, creds.SecurityToken)...)
	inv.logOut = newLogBatcher(h.deps.Log)
	inv.clock.beforeSleep = func() { _ = inv.logOut.Flush() }
	inv.log = inv.newLogger()
	if sdkdebug.Removed != "" {
		inv.log.Warn("DEBUG=" + sdkdebug.Removed + " ignored: the Alibaba Cloud SDK's debug output prints signed request URLs with the STS token")
	}
	return inv
}

// newLogger is a logger of the invocation's lines with a handler of its
// own. A handler writes under its own lock, and the redaction of a line
// happens inside that write: goroutines that log many lines at once (the
// receipts of a fleet) each take their own, so that their lines are
// formatted and redacted side by side; they meet only in logOut.
func (inv *invocation) newLogger() *slog.Logger {
	return slog.New(slog.NewJSONHandler(inv.redact.Writer(inv.logOut), nil)).With("requestId", inv.requestID, "function", string(inv.h.fn))
}

func (inv *invocation) functionRegion() string {
	if inv.fc != nil {
		return inv.fc.Region
	}
	return ""
}

// run plans and prepares every request before acting on any, so an invalid
// or over-cap request in a batch leaves everything untouched. The cap
// counts the invocation: every instance any of its requests matched. (A
// lone hand-over to release acts during its own planning read, where
// nothing the read finds can pass the cap: stream.go.)
func (h *Handler) run(inv *invocation, decoded *request.Invocation) (*Response, error) {
	// Every request is planned before any is prepared: a request that
	// cannot be planned fails the invocation before anything is read or
	// done.
	plans := make([]config.Plan, len(decoded.Requests))
	for i, req := range decoded.Requests {
		plan, err := inv.cfg.Plan(req, inv.functionRegion())
		if err != nil {
			var pe *config.PlanError
			if errors.As(err, &pe) {
				return nil, &request.Error{Code: request.CodeInvalidRequest, Field: pe.Field, Message: pe.Message}
			}
			return nil, err
		}
		plans[i] = plan
	}
	inv.streaming = inv.streamable(plans)
	var preps []*prepared
	for i, req := range decoded.Requests {
		plan := plans[i]
		origin := req.OriginRequestID
		if origin == "" && i < len(decoded.Events) && decoded.Events[i].ID != "" {
			origin = "event:" + decoded.Events[i].ID
		}
		if origin == "" {
			origin = inv.requestID
		}
		// One part per region the request's instances are in (regions.go).
		parts, err := h.prepareRegions(inv, plan, origin)
		if err != nil {
			return nil, err
		}
		for _, pr := range parts {
			pr.index = i
			pr.query = decoded.Query != nil
		}
		preps = append(preps, parts...)
	}
	if n := matched(preps); n > inv.cfg.MaxInstances {
		return nil, &request.Error{Code: CodeCapExceeded, Field: "maxInstances", Message: fmt.Sprintf(
			"the invocation's %d requests match %d instances together, more than the cap of %d; nothing was done (send fewer at once, narrow them, or raise MAX_INSTANCES)", len(preps), n, inv.cfg.MaxInstances)}
	}
	inv.preps = preps
	resp := inv.newResponse(preps[0].plan)
	r := newRun(inv, resp, preps)
	h.execute(r)
	return resp, nil
}

// matched counts the distinct instances the prepared requests matched
// (found, whether a guard allowed them or not).
func matched(preps []*prepared) int {
	seen := map[string]bool{}
	for _, pr := range preps {
		for _, in := range pr.targets {
			seen[in.ID] = true
		}
		for _, in := range pr.undo {
			seen[in.ID] = true
		}
		for _, o := range pr.early {
			if o.Code != CodeNotFound {
				seen[o.InstanceID] = true
			}
		}
	}
	return len(seen)
}

func (inv *invocation) newResponse(p config.Plan) *Response {
	resp := answer.NewResponse(inv.requestID, string(inv.h.fn))
	resp.DryRun, resp.DryRunSource, resp.Trigger = p.DryRun, p.DryRunSource, inv.trigger
	resp.Region = inv.functionRegion()
	if resp.Region == "" {
		resp.Region = p.Region
	}
	if resp.Region == "" && inv.cfg != nil {
		resp.Region = inv.cfg.DefaultRegion
	}
	return resp
}

// client returns the invocation's ECS client for a region.
func (inv *invocation) client(region, origin string) (*ecs.Client, error) {
	return inv.cachedClient(region+"|"+origin, func() (*ecs.Client, error) {
		base := inv.baseConfig(origin, inv.cfg.MaxQPS)
		if inv.h.deps.ECS.Concurrency != 0 {
			base.Concurrency = inv.h.deps.ECS.Concurrency
		}
		// Every mutating call is made once per read: the run re-reads and
		// re-checks before it retries (see run.act).
		base.MutationAttempts = 1
		return ecs.NewForInvocation(inv.ctx, region, inv.h.deps.Getenv, base)
	})
}

// baseConfig is the deployment's client configuration for one invocation:
// the rate limit qps, workers sized from it, the invocation's clock, and
// idempotency tokens derived from origin.
func (inv *invocation) baseConfig(origin string, qps float64) ecs.Config {
	base := inv.h.deps.ECS
	base.MaxQPS = qps
	base.Concurrency = concurrencyFor(qps)
	base.ReadConcurrency = min(maxPageReads, base.Concurrency)
	base.Clock = inv.clock
	base.ClientTokenPrefix = origin
	return base
}

// cachedClient returns the invocation's client under key, building it the
// first time; a client that cannot be built is a configuration error.
func (inv *invocation) cachedClient(key string, build func() (*ecs.Client, error)) (*ecs.Client, error) {
	inv.mu.Lock()
	defer inv.mu.Unlock()
	if c, ok := inv.clients[key]; ok {
		return c, nil
	}
	c, err := build()
	if err != nil {
		return nil, &request.Error{Code: CodeInvalidConfiguration, Message: err.Error()}
	}
	inv.clients[key] = c
	return c, nil
}

// fcAsyncPayloadLimit is FC's limit on an asynchronous event, and so on
// what a destination can carry to the next function.
const fcAsyncPayloadLimit = 128 << 10

// warnIfTooLargeForFC logs when stop's answer (which FC hands to release
// in the destination record) is larger than FC delivers.
func (inv *invocation) warnIfTooLargeForFC(resp *Response) {
	size, exact := answerSize(resp)
	if size <= fcAsyncPayloadLimit {
		return
	}
	key := "bytes"
	if !exact {
		key = "atLeastBytes"
	}
	inv.log.Warn("the hand-over to release is larger than FC's 128 KB async payload limit; FC may not deliver it: lower MAX_INSTANCES or narrow the policy",
		key, size, "instances", resp.HandedOver())
}

// answerSize is the size of an answer's JSON: exact for an answer near
// FC's limit, and for a larger one a lower bound counted from its IDs and
// outcomes alone, without encoding it (a stop of 50,000 instances answers
// about 10 MB; the function's runtime encodes it once more to send it).
func answerSize(resp *Response) (size int, exact bool) {
	for _, o := range resp.Instances {
		// {"instanceId":"…","outcome":"…"}, at the least.
		size += len(`{"instanceId":"","outcome":""},`) + len(o.InstanceID) + len(o.Outcome)
	}
	for _, r := range resp.Next {
		for _, id := range r.InstanceIDs {
			size += len(`"",`) + len(id)
		}
	}
	if size > 2*fcAsyncPayloadLimit {
		return size, false
	}
	raw, err := json.Marshal(resp)
	if err != nil {
		return size, false
	}
	return len(raw), true
}

// concurrencyFor sizes the ECS worker pool from the rate limit: about one
// worker per 10 calls a second (a call takes tens of milliseconds), between
// 2 and 64 — so that a fleet's 100 stop or delete batches are made in a few
// round trips — of which at most maxPageReads read pages of instances or
// disks at once (each holds about half a megabyte while it is decoded).
func concurrencyFor(qps float64) int {
	return min(64, max(2, int(qps/10+0.999)))
}

// maxPageReads bounds the page reads in flight (see ecs.Config.ReadConcurrency).
const maxPageReads = 16

// record adds an outcome to the response and logs it (safe for
// concurrent use; the runs record from one goroutine, in a fixed order).
func (inv *invocation) record(resp *Response, o InstanceOutcome, ecsRequestID string) {
	inv.recMu.Lock()
	defer inv.recMu.Unlock()
	inv.logOutcome(inv.log, inv.addLocked(resp, o), ecsRequestID)
}

// addUnlogged adds an outcome to the response and returns its index in
// resp.Instances, for the caller to log (logOutcome) later.
func (inv *invocation) addUnlogged(resp *Response, o InstanceOutcome) int {
	inv.recMu.Lock()
	defer inv.recMu.Unlock()
	inv.addLocked(resp, o)
	return len(resp.Instances) - 1
}

// addLocked labels, masks and adds an outcome (recMu held).
func (inv *invocation) addLocked(resp *Response, o InstanceOutcome) InstanceOutcome {
	inv.label(&o.Name, &o.Owner, o.InstanceID)
	o.Reason = inv.redact.String(o.Reason)
	if o.Error != nil {
		e := *o.Error
		e.Message = inv.redact.String(e.Message)
		o.Error = &e
	}
	resp.Add(o)
	return o
}

// logOutcome logs an outcome as added.
func (inv *invocation) logOutcome(log *slog.Logger, o InstanceOutcome, ecsRequestID string) {
	attrs := []any{"instanceId", o.InstanceID, "outcome", o.Outcome}
	if o.Code != "" {
		attrs = append(attrs, "code", o.Code)
	}
	if o.Request != 0 {
		attrs = append(attrs, "request", o.Request)
	}
	if o.Reason != "" {
		attrs = append(attrs, "reason", o.Reason)
	}
	if o.Error != nil {
		attrs = append(attrs, "errorCode", o.Error.Code, "error", o.Error.Message, "retryable", o.Error.Retryable)
	}
	if ecsRequestID != "" {
		attrs = append(attrs, "ecsRequestId", ecsRequestID)
	}
	if len(o.SnapshotIDs) > 0 {
		attrs = append(attrs, "snapshotIds", o.SnapshotIDs)
	}
	if o.AutoReleaseTime != "" {
		attrs = append(attrs, "autoReleaseTime", o.AutoReleaseTime)
	}
	if o.StoppedMode != "" {
		attrs = append(attrs, "stoppedMode", o.StoppedMode)
	}
	if len(o.Flags) > 0 {
		attrs = append(attrs, "flags", o.Flags)
	}
	level := slog.LevelInfo
	if o.Outcome == OutcomeFailed {
		level = slog.LevelWarn
	}
	log.Log(inv.ctx, level, "instance", attrs...)
}

// label is what the invocation keeps of an instance it read: small, so
// that a run over thousands of instances stays small.
type label struct {
	name, owner, region string
	// warned is its ReleaseWarningMarker tag.
	warned string
}

// remember keeps the label of an instance from its latest read.
func (inv *invocation) remember(in ecs.Instance) {
	l := label{name: in.Name, region: in.Region, warned: in.Tags[ReleaseWarningMarker]}
	if inv.cfg != nil {
		l.owner = in.Tags[inv.cfg.OwnerTag]
	}
	inv.mu.Lock()
	defer inv.mu.Unlock()
	inv.known[in.ID] = l
}

// label fills in an instance's name and owner (its OWNER_TAG value) from
// the invocation's reads, where they are not set already.
func (inv *invocation) label(name, owner *string, id string) {
	inv.mu.Lock()
	l, ok := inv.known[id]
	inv.mu.Unlock()
	if !ok {
		return
	}
	if *name == "" {
		*name = l.name
	}
	if *owner == "" {
		*owner = l.owner
	}
}

// summarize logs the invocation's summary: counts, API calls, retries, time.
func (inv *invocation) summarize(resp *Response) {
	calls := map[string]int{}
	byPurpose := map[ecs.Purpose]int{}
	total, retries, throttled := 0, 0, 0
	inv.mu.Lock()
	for _, c := range inv.clients {
		st := c.Stats()
		for k, v := range st.Calls {
			calls[k] += v
		}
		for k, v := range st.ByPurpose {
			byPurpose[k] += v
		}
		total += st.TotalCalls
		retries += st.TotalRetries
		throttled += st.Throttled
	}
	inv.mu.Unlock()
	inv.log.Info("summary", "outcomes", resp.Summary, "instances", len(resp.Instances), "dryRun", resp.DryRun,
		"apiCalls", calls, "apiCallsTotal", total, "apiCallsByPurpose", byPurpose, "retries", retries, "throttled", throttled,
		"durationMs", inv.clock.Now().Sub(inv.start).Milliseconds())
}

// failure turns an error into an instance outcome.
func failure(id string, err error) InstanceOutcome {
	code := ecs.Code(err)
	retryable := ecs.Retryable(err) || errors.Is(err, ecs.ErrDeadline)
	class := CodeECSError
	switch {
	case errors.Is(err, ecs.ErrDeadline):
		code, class = "Unfinished", CodeUnfinished
	case errors.Is(err, ecs.ErrSnapshotFailed) && code == "":
		code, class = "SnapshotFailed", CodeSnapshotFailed
		retryable = true
	case code == "":
		code = "Error"
	}
	return InstanceOutcome{InstanceID: id, Outcome: OutcomeFailed, Code: class, Error: &ErrorInfo{Code: code, Message: err.Error(), Retryable: retryable}}
}

// retryableFailure is failure's outcome marked worth retrying whatever
// the error: the instance was left untouched, or its step is idempotent
// (a later run resumes it), so FC's retry can only finish the work.
func retryableFailure(id string, err error) InstanceOutcome {
	o := failure(id, err)
	o.Error.Retryable = true
	return o
}

// unfinished is the outcome of work the deadline cut short.
func unfinished(id, what string) InstanceOutcome {
	return InstanceOutcome{InstanceID: id, Outcome: OutcomeFailed, Code: CodeUnfinished, Error: &ErrorInfo{Code: "Unfinished", Message: what + " before the invocation deadline; a retry resumes it", Retryable: true}}
}

// skipped is a skipped outcome with its code and reason.
func skipped(id, code, reason string) InstanceOutcome {
	return InstanceOutcome{InstanceID: id, Outcome: OutcomeSkipped, Code: code, Reason: reason}
}

// concurrency is how many ECS calls the invocation makes at once.
func (inv *invocation) concurrency() int {
	if c := inv.h.deps.ECS.Concurrency; c > 0 {
		return c
	}
	return concurrencyFor(inv.cfg.MaxQPS)
}

// timeLeftAfter reports whether the margin still remains after d.
func (inv *invocation) timeLeftAfter(d time.Duration) bool {
	rem, ok := clock.Remaining(inv.ctx, inv.clock)
	return !ok || rem-d > inv.cfg.DeadlineMargin
}

// timeLeft reports whether at least the configured margin remains before
// the deadline (always true without a deadline).
func (inv *invocation) timeLeft() bool {
	rem, ok := clock.Remaining(inv.ctx, inv.clock)
	return !ok || rem > inv.cfg.DeadlineMargin
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
