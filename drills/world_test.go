package drills_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	fcevents "github.com/aliyun/fc-runtime-go-sdk/events"
	"github.com/aliyun/fc-runtime-go-sdk/fccontext"
	awsevents "github.com/aws/aws-lambda-go/events"
	"github.com/stretchr/testify/require"

	"github.com/fc-ecs-release/fc-ecs-release/internal/ecsemu"
	"github.com/fc-ecs-release/fc-ecs-release/internal/ecsemu/ecsemutest"
	"github.com/fc-ecs-release/fc-ecs-release/shared/clock"
	"github.com/fc-ecs-release/fc-ecs-release/shared/ecs"
	"github.com/fc-ecs-release/fc-ecs-release/shared/handler"
)

// Tags and settings the drills share.
const (
	managedKey = "ecs-release:managed"
	managedTag = managedKey + "=true"
	protectKey = "ecs-release:protect"
	// defaultToken is the STS token every drill invocation carries; no log
	// line or answer may ever contain it.
	defaultToken = "drill-sts-token-4b1d-never-logged"
)

// world is one emulator with a fake clock, a handler clock that moves with
// it (every backoff or wait sleep advances both), the deployment's
// environment and a log sink shared by the three handlers.
type world struct {
	t     testing.TB
	env   *ecsemutest.Env
	clock *clock.Fake
	vars  map[string]string
	token string

	logMu sync.Mutex
	logs  bytes.Buffer
	reqN  atomic.Int64
	// invocations counts Handle calls.
	invocations atomic.Int64
}

// newWorld starts an emulator whose clock and the handlers' fake clock
// stand at the same instant (the wall clock, so request timestamps pass the
// emulator's skew check and real contexts never expire during a drill).
func newWorld(t testing.TB, opts ecsemu.Options, vars map[string]string) *world {
	t.Helper()
	start := time.Now().UTC().Truncate(time.Second)
	opts.Clock = ecsemu.NewFakeClock(start)
	env := ecsemutest.Start(t, opts)
	fake := clock.NewFake(start)
	// Called from the handlers' goroutines: no require here.
	fake.OnSleep = func(d time.Duration) { _ = env.Emu.Advance(d) }
	w := &world{t: t, env: env, clock: fake, token: defaultToken, vars: map[string]string{
		"ECS_ENDPOINT":    env.Endpoint(),
		"DEFAULT_REGION":  env.Emu.Region(),
		"WAIT_MIN_DELAY":  "2s",
		"WAIT_MAX_DELAY":  "10s",
		"DEADLINE_MARGIN": "10s",
		// The client-side limiter runs on real time; the emulator's faults
		// are what the drills exercise.
		"ECS_MAX_QPS": "10000",
	}}
	for k, v := range vars {
		w.vars[k] = v
	}
	return w
}

// advance moves both clocks, as time passing between two invocations.
func (w *world) advance(d time.Duration) {
	w.clock.Advance(d)
	require.NoError(w.t, w.env.Emu.Advance(d))
}

func (w *world) Write(p []byte) (int, error) {
	w.logMu.Lock()
	defer w.logMu.Unlock()
	return w.logs.Write(p)
}

func (w *world) logText() string {
	w.logMu.Lock()
	defer w.logMu.Unlock()
	return w.logs.String()
}

// logRecords returns the JSON log records with the given msg ("" = all).
func (w *world) logRecords(msg string) []map[string]any {
	var out []map[string]any
	for _, line := range strings.Split(w.logText(), "\n") {
		if line == "" {
			continue
		}
		var rec map[string]any
		require.NoError(w.t, json.Unmarshal([]byte(line), &rec), "every log line is one JSON record: %s", line)
		if msg == "" || rec["msg"] == msg {
			out = append(out, rec)
		}
	}
	return out
}

func (w *world) deps() handler.Deps {
	return handler.Deps{
		Getenv: func(k string) string { return w.vars[k] },
		Clock:  w.clock,
		Log:    w,
		ECS:    ecs.Config{Rand: func() float64 { return 0.5 }},
	}
}

// call is one FC invocation: its request id (FC keeps it across the async
// retries of one event and sends the retry count along), deadline and
// credentials.
type call struct {
	requestID string
	retry     int
	timeout   time.Duration
	secret    string // "" = the emulator's
}

// ctx builds the FC context of an invocation: STS credentials (the
// emulator's key pair plus the world's token) and a deadline timeout ahead
// on the fake clock.
func (w *world) ctx(c call) context.Context {
	if c.requestID == "" {
		c.requestID = w.newRequestID()
	}
	if c.timeout == 0 {
		c.timeout = 10 * time.Minute
	}
	secret := c.secret
	if secret == "" {
		secret = w.env.Emu.AccessKeySecret()
	}
	fc := &fccontext.FcContext{
		RequestID:  c.requestID,
		Region:     w.env.Emu.Region(),
		RetryCount: c.retry,
		Credentials: fccontext.Credentials{
			AccessKeyId: w.env.Emu.AccessKeyID(), AccessKeySecret: secret, SecurityToken: w.token,
		},
	}
	ctx := fccontext.NewContext(context.Background(), fc)
	ctx, cancel := context.WithDeadline(ctx, w.clock.Now().Add(c.timeout))
	w.t.Cleanup(cancel)
	return ctx
}

func (w *world) newRequestID() string {
	return fmt.Sprintf("drill-req-%04d", w.reqN.Add(1))
}

// result is what one invocation gave back, and how long it took on the
// fake clock.
type result struct {
	out     any
	err     error
	elapsed time.Duration
	timeout time.Duration
}

// handle runs one invocation of h on event. A panic fails the drill with
// the event that caused it instead of killing the test binary.
func (w *world) handle(h *handler.Handler, event string, c call) (res result) {
	w.t.Helper()
	if c.timeout == 0 {
		c.timeout = 10 * time.Minute
	}
	ctx := w.ctx(c)
	w.invocations.Add(1)
	began := w.clock.Now()
	defer func() {
		if p := recover(); p != nil {
			w.t.Errorf("handler panicked: %v\nevent: %.300s", p, event)
			res.err = fmt.Errorf("panic: %v", p)
		}
	}()
	out, err := h.Handle(ctx, json.RawMessage(event))
	return result{out: out, err: err, elapsed: w.clock.Now().Sub(began), timeout: c.timeout}
}

// response decodes a plain (non-HTTP) answer.
func response(t testing.TB, out any) *handler.Response {
	t.Helper()
	require.NotNil(t, out)
	raw, err := json.Marshal(out)
	require.NoError(t, err)
	var resp handler.Response
	require.NoError(t, json.Unmarshal(raw, &resp))
	return &resp
}

// httpAnswer reads the status and body of an answer in any HTTP shape.
func httpAnswer(t testing.TB, out any) (int, string) {
	t.Helper()
	switch r := out.(type) {
	case fcevents.HTTPTriggerResponse:
		return r.StatusCode, r.Body
	case awsevents.APIGatewayV2HTTPResponse:
		return r.StatusCode, r.Body
	case awsevents.LambdaFunctionURLResponse:
		return r.StatusCode, r.Body
	}
	t.Fatalf("not an HTTP answer: %T", out)
	return 0, ""
}

// httpResponse decodes the Response body of a 200 HTTP answer.
func httpResponse(t testing.TB, out any) *handler.Response {
	t.Helper()
	status, body := httpAnswer(t, out)
	require.Equal(t, 200, status, body)
	var resp handler.Response
	require.NoError(t, json.Unmarshal([]byte(body), &resp))
	return &resp
}

func outcomes(resp *handler.Response) map[string]string {
	out := map[string]string{}
	for _, o := range resp.Instances {
		out[o.InstanceID] = o.Outcome
	}
	return out
}

func outcomeOf(resp *handler.Response, id string) handler.InstanceOutcome {
	for _, o := range resp.Instances {
		if o.InstanceID == id {
			return o
		}
	}
	return handler.InstanceOutcome{}
}

func tags(kv ...string) ecsemu.TagSet {
	var ts ecsemu.TagSet
	for i := 0; i+1 < len(kv); i += 2 {
		ts.Tag = append(ts.Tag, ecsemu.Tag{TagKey: kv[i], TagValue: kv[i+1]})
	}
	return ts
}

func mustJSON(t testing.TB, v any) string {
	t.Helper()
	raw, err := json.Marshal(v)
	require.NoError(t, err)
	return string(raw)
}

// destinationRecord wraps a stop answer as FC's onSuccess destination
// record (responsePayload as a JSON string, or inline).
func destinationRecord(t testing.TB, stopAnswer *handler.Response, inline bool) string {
	t.Helper()
	payload := any(stopAnswer)
	if !inline {
		payload = mustJSON(t, stopAnswer)
	}
	return mustJSON(t, map[string]any{
		"timestamp":       time.Now().UnixMilli(),
		"requestContext":  map[string]any{"requestId": stopAnswer.RequestID, "functionArn": "acs:fc:cn-hangzhou:123456789012:functions/ecs-stop", "condition": "", "approximateInvokeCount": 1},
		"requestPayload":  `{"triggerTime":"2026-11-26T02:00:00Z"}`,
		"responseContext": map[string]any{"statusCode": 200, "functionError": ""},
		"responsePayload": payload,
	})
}

// timerEvent is an FC timer event whose payload is the request JSON.
func timerEvent(t testing.TB, name, payload string) string {
	return mustJSON(t, map[string]any{"triggerTime": "2026-11-26T02:00:00Z", "triggerName": name, "payload": payload})
}

// fcHTTPEvent is an FC 3.0 HTTP trigger event (version v1).
func fcHTTPEvent(t testing.TB, method, path, body string, query map[string]string) string {
	if query == nil {
		query = map[string]string{}
	}
	return mustJSON(t, map[string]any{
		"version": "v1", "rawPath": path, "body": body, "isBase64Encoded": false,
		"headers":         map[string]string{"Content-Type": "application/json", "Authorization": "Bearer drill-caller"},
		"queryParameters": query,
		"requestContext":  map[string]any{"requestId": "http-drill", "http": map[string]string{"method": method, "path": path, "sourceIp": "198.51.100.7"}},
	})
}

// --- the emulator's call record ---------------------------------------------

// namesInstance reports whether a call names the instance: by ID (one,
// numbered, a JSON list, a tag resource) or through one of its disks.
func namesInstance(c ecsemu.Call, id string, diskOwner map[string]string) bool {
	for k, v := range c.Params {
		switch {
		case (k == "InstanceId" || strings.HasPrefix(k, "InstanceId.") || strings.HasPrefix(k, "ResourceId.")) && v == id:
			return true
		case k == "InstanceIds" && strings.Contains(v, `"`+id+`"`):
			return true
		case k == "DiskId" && diskOwner[v] == id:
			return true
		}
	}
	return false
}

// diskOwners maps every disk now in the emulator to its instance.
func diskOwners(emu *ecsemu.Emulator) map[string]string {
	out := map[string]string{}
	for _, d := range emu.Disks() {
		out[d.DiskId] = d.InstanceId
	}
	return out
}

// deletesOf counts, per instance, the distinct successful DeleteInstances
// or DeleteInstance calls that named it. Calls with the same ClientToken
// count once: a replayed token is answered from the first call's result
// and releases nothing.
func deletesOf(calls []ecsemu.Call) map[string]int {
	seen := map[string]bool{}
	out := map[string]int{}
	for i, c := range calls {
		if c.Status != 200 || !c.Mutating || (c.Action != "DeleteInstances" && c.Action != "DeleteInstance") {
			continue
		}
		key := c.Params["ClientToken"]
		if key == "" {
			key = fmt.Sprintf("call-%d", i)
		}
		if seen[c.Action+"/"+key] {
			continue
		}
		seen[c.Action+"/"+key] = true
		for k, v := range c.Params {
			if k == "InstanceId" || strings.HasPrefix(k, "InstanceId.") {
				out[v]++
			}
		}
	}
	return out
}

// faultCounts counts the injected faults in a call record.
type faultCounts struct {
	Throttles, ServerErrors, Spikes, Calls int
}

func countFaults(calls []ecsemu.Call) faultCounts {
	var f faultCounts
	for _, c := range calls {
		f.Calls++
		if c.Injected && strings.HasPrefix(c.Code, "Throttling") {
			f.Throttles++
		}
		if c.Injected && c.Status >= 500 {
			f.ServerErrors++
		}
		if c.Spike > 0 {
			f.Spikes++
		}
	}
	return f
}

// retryStats sums the handlers' summary records: retries, throttled
// retries and API calls (attempts). Invocations counts every Handle call
// (an invocation refused before acting writes no summary).
type retryStats struct {
	Invocations, Retries, Throttled, APICalls int
}

func (w *world) retryStats() retryStats {
	s := retryStats{Invocations: int(w.invocations.Load())}
	for _, rec := range w.logRecords("summary") {
		s.Retries += intOf(rec["retries"])
		s.Throttled += intOf(rec["throttled"])
		s.APICalls += intOf(rec["apiCallsTotal"])
	}
	return s
}

func intOf(v any) int {
	f, _ := v.(float64)
	return int(f)
}

// --- figures ------------------------------------------------------------------

// figures are one drill's numbers for the README: what was injected, what
// the handlers retried, what happened to the instances, and that nothing
// was lost.
type figures struct {
	Drill            string `json:"drill"`
	Invocations      int    `json:"invocations,omitempty"`
	Instances        int    `json:"instances,omitempty"` // eligible for the action
	Released         int    `json:"released"`
	Kept             int    `json:"kept"` // guarded, out of scope or refused: untouched
	Throttles        int    `json:"throttlesInjected"`
	ServerErrors     int    `json:"serverErrorsInjected"`
	Spikes           int    `json:"latencySpikes"`
	ECSCalls         int    `json:"ecsCalls"`
	Retries          int    `json:"callsRetried"`
	ThrottledRetries int    `json:"throttledRetries"`
	Inputs           int    `json:"inputsTried,omitempty"`
	Snapshots        int    `json:"snapshots,omitempty"`
	Lost             int    `json:"lost"`              // eligible but neither released nor reported
	DoubleActions    int    `json:"releasedTwice"`     // instances with more than one effective delete
	MutatingRefused  int    `json:"mutatingOnRefused"` // mutating calls on refused input or guarded instances
	Note             string `json:"note,omitempty"`
}

var reportMu sync.Mutex

// report logs the figures on one line and, when DRILLS_REPORT names a file,
// appends them to it as one JSON object per line.
func report(t testing.TB, f figures) {
	t.Helper()
	raw, err := json.Marshal(f)
	require.NoError(t, err)
	t.Logf("figures %s", raw)
	path := os.Getenv("DRILLS_REPORT")
	if path == "" {
		return
	}
	reportMu.Lock()
	defer reportMu.Unlock()
	file, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	require.NoError(t, err)
	defer file.Close()
	_, err = file.Write(append(raw, '\n'))
	require.NoError(t, err)
}
