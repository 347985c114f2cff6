// Package handlertest drives the three handlers in-process against the ECS
// emulator, for the handler tests and the reliability drills: a World is an
// emulator whose clock and the handlers' fake clock stand at the same
// instant and move together (every backoff or wait sleep advances both),
// the deployment's environment, and a log sink, plus helpers to build
// events and read answers.
package handlertest

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
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

// DefaultToken is the STS token every invocation carries; no log line or
// answer may ever contain it.
const DefaultToken = "drill-sts-token-4b1d-never-logged"

// World is one emulator with a fake clock, a handler clock that moves with
// it (every backoff or wait sleep advances both), the deployment's
// environment and a log sink shared by the three handlers.
type World struct {
	T     testing.TB
	Env   *ecsemutest.Env
	Clock *clock.Fake
	Vars  map[string]string
	Token string

	logMu sync.Mutex
	logs  bytes.Buffer
	reqN  atomic.Int64
	// invocations counts Handle calls.
	Invocations atomic.Int64

	// events are world changes due at emulator times (see At).
	evMu   sync.Mutex
	events []event
}

// event is a world change due at an emulator time.
type event struct {
	at time.Time
	fn func()
}

// NewWorld starts an emulator whose clock and the handlers' fake clock
// stand at the same instant (the wall clock, so request timestamps pass the
// emulator's skew check and real contexts never expire during a drill).
func NewWorld(t testing.TB, opts ecsemu.Options, vars map[string]string) *World {
	return NewWorldWith(t, WorldOptions{Emulator: opts, Vars: vars})
}

// WorldOptions configure NewWorldWith.
type WorldOptions struct {
	// Start is where both clocks stand at first (zero: the wall clock). A
	// fixed start makes a world repeatable; the emulator then skips its
	// wall-clock timestamp check. Pick it in the future so that the real
	// contexts' deadlines, set on the fake clock, never pass in real time.
	Start    time.Time
	Emulator ecsemu.Options
	Vars     map[string]string
	// Front, if set, wraps the emulator's HTTP handler: a gateway in front
	// of ECS (the functions' ECS_ENDPOINT points at it).
	Front func(http.Handler) http.Handler
}

// NewWorldWith starts a world as configured.
func NewWorldWith(t testing.TB, o WorldOptions) *World {
	t.Helper()
	start := o.Start
	if start.IsZero() {
		start = time.Now().UTC().Truncate(time.Second)
	} else {
		o.Emulator.SkipTimestampCheck = true
	}
	opts := o.Emulator
	opts.Clock = clock.NewFake(start)
	env := ecsemutest.Start(t, opts)
	endpoint := env.Endpoint()
	if o.Front != nil {
		front := httptest.NewServer(o.Front(env.Emu))
		t.Cleanup(front.Close)
		endpoint = front.URL
	}
	fake := clock.NewFake(start)
	w := &World{T: t, Env: env, Clock: fake, Token: DefaultToken, Vars: map[string]string{
		"ECS_ENDPOINT":    endpoint,
		"DEFAULT_REGION":  env.Emu.Region(),
		"WAIT_MIN_DELAY":  "2s",
		"WAIT_MAX_DELAY":  "10s",
		"DEADLINE_MARGIN": "10s",
		// The client-side limiter runs on real time; the emulator's faults
		// are what the drills exercise.
		"ECS_MAX_QPS": "10000",
	}}
	maps.Copy(w.Vars, o.Vars)
	// Called from the handlers' goroutines: no require here.
	fake.OnSleep = func(d time.Duration) { w.advanceEmulator(d) }
	return w
}

// Advance moves both clocks, as time passing between two invocations.
func (w *World) Advance(d time.Duration) {
	w.Clock.Advance(d)
	w.advanceEmulator(d)
}

// At schedules a world change (an operator starting or tagging an
// instance, ...) at emulator time t. It runs when a handler's sleep (a
// wait, a backoff) or Advance carries the clocks past t, with the emulator
// standing exactly at t; changes due at the same time run in the order
// scheduled.
func (w *World) At(t time.Time, fn func()) {
	w.evMu.Lock()
	defer w.evMu.Unlock()
	i := len(w.events)
	for i > 0 && w.events[i-1].at.After(t) {
		i--
	}
	w.events = append(w.events, event{})
	copy(w.events[i+1:], w.events[i:])
	w.events[i] = event{at: t, fn: fn}
}

// After schedules a world change d after the emulator's current time.
func (w *World) After(d time.Duration, fn func()) { w.At(w.Env.Emu.Now().Add(d), fn) }

// advanceEmulator moves the emulator clock by d, stopping at each
// scheduled change due in that span to run it.
func (w *World) advanceEmulator(d time.Duration) {
	end := w.Env.Emu.Now().Add(d)
	for {
		w.evMu.Lock()
		if len(w.events) == 0 || w.events[0].at.After(end) {
			w.evMu.Unlock()
			break
		}
		ev := w.events[0]
		w.events = w.events[1:]
		w.evMu.Unlock()
		if gap := ev.at.Sub(w.Env.Emu.Now()); gap > 0 {
			_ = w.Env.Emu.Advance(gap)
		}
		ev.fn()
	}
	if gap := end.Sub(w.Env.Emu.Now()); gap > 0 {
		_ = w.Env.Emu.Advance(gap)
	}
}

func (w *World) Write(p []byte) (int, error) {
	w.logMu.Lock()
	defer w.logMu.Unlock()
	return w.logs.Write(p)
}

func (w *World) LogText() string {
	w.logMu.Lock()
	defer w.logMu.Unlock()
	return w.logs.String()
}

// LogRecords returns the JSON log records with the given msg ("" = all).
func (w *World) LogRecords(msg string) []map[string]any {
	var out []map[string]any
	for line := range strings.SplitSeq(w.LogText(), "\n") {
		if line == "" {
			continue
		}
		var rec map[string]any
		require.NoError(w.T, json.Unmarshal([]byte(line), &rec), "every log line is one JSON record: %s", line)
		if msg == "" || rec["msg"] == msg {
			out = append(out, rec)
		}
	}
	return out
}

func (w *World) Deps() handler.Deps {
	return handler.Deps{
		Getenv: func(k string) string { return w.Vars[k] },
		Clock:  w.Clock,
		Log:    w,
		ECS:    ecs.Config{Rand: func() float64 { return 0.5 }},
	}
}

// Call is one FC invocation: its request id (FC keeps it across the async
// retries of one event and sends the retry count along), deadline and
// credentials.
type Call struct {
	RequestID string
	Retry     int
	Timeout   time.Duration
	Secret    string // "" = the emulator's
}

// Ctx builds the FC context of an invocation: STS credentials (the
// emulator's key pair plus the world's token) and a deadline timeout ahead
// on the fake clock.
func (w *World) Ctx(c Call) context.Context {
	if c.RequestID == "" {
		c.RequestID = w.NewRequestID()
	}
	if c.Timeout == 0 {
		c.Timeout = 10 * time.Minute
	}
	secret := c.Secret
	if secret == "" {
		secret = w.Env.Emu.AccessKeySecret()
	}
	fc := &fccontext.FcContext{
		RequestID:  c.RequestID,
		Region:     w.Env.Emu.Region(),
		RetryCount: c.Retry,
		Credentials: fccontext.Credentials{
			AccessKeyId: w.Env.Emu.AccessKeyID(), AccessKeySecret: secret, SecurityToken: w.Token,
		},
	}
	ctx := fccontext.NewContext(context.Background(), fc)
	ctx, cancel := context.WithDeadline(ctx, w.Clock.Now().Add(c.Timeout))
	w.T.Cleanup(cancel)
	return ctx
}

func (w *World) NewRequestID() string {
	return fmt.Sprintf("drill-req-%04d", w.reqN.Add(1))
}

// Result is what one invocation gave back, and how long it took on the
// fake clock.
type Result struct {
	Out     any
	Err     error
	Elapsed time.Duration
	Timeout time.Duration
}

// Handle runs one invocation of h on event. A panic fails the drill with
// the event that caused it instead of killing the test binary.
func (w *World) Handle(h *handler.Handler, event string, c Call) (res Result) {
	w.T.Helper()
	if c.Timeout == 0 {
		c.Timeout = 10 * time.Minute
	}
	ctx := w.Ctx(c)
	w.Invocations.Add(1)
	began := w.Clock.Now()
	defer func() {
		if p := recover(); p != nil {
			w.T.Errorf("handler panicked: %v\nevent: %.300s", p, event)
			res.Err = fmt.Errorf("panic: %v", p)
		}
	}()
	out, err := h.Handle(ctx, json.RawMessage(event))
	return Result{Out: out, Err: err, Elapsed: w.Clock.Now().Sub(began), Timeout: c.Timeout}
}

// Response decodes a plain (non-HTTP) answer.
func Response(t testing.TB, out any) *handler.Response {
	t.Helper()
	require.NotNil(t, out)
	raw, err := json.Marshal(out)
	require.NoError(t, err)
	var resp handler.Response
	require.NoError(t, json.Unmarshal(raw, &resp))
	return &resp
}

// HTTPAnswer reads the status and body of an answer in any HTTP shape.
func HTTPAnswer(t testing.TB, out any) (int, string) {
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

// HTTPResponse decodes the Response body of a 200 HTTP answer.
func HTTPResponse(t testing.TB, out any) *handler.Response {
	t.Helper()
	status, body := HTTPAnswer(t, out)
	require.Equal(t, 200, status, body)
	var resp handler.Response
	require.NoError(t, json.Unmarshal([]byte(body), &resp))
	return &resp
}

func Outcomes(resp *handler.Response) map[string]string {
	out := map[string]string{}
	for _, o := range resp.Instances {
		out[o.InstanceID] = o.Outcome
	}
	return out
}

func OutcomeOf(resp *handler.Response, id string) handler.InstanceOutcome {
	for _, o := range resp.Instances {
		if o.InstanceID == id {
			return o
		}
	}
	return handler.InstanceOutcome{}
}

func Tags(kv ...string) ecsemu.TagSet {
	var ts ecsemu.TagSet
	for i := 0; i+1 < len(kv); i += 2 {
		ts.Tag = append(ts.Tag, ecsemu.Tag{TagKey: kv[i], TagValue: kv[i+1]})
	}
	return ts
}

func MustJSON(t testing.TB, v any) string {
	t.Helper()
	raw, err := json.Marshal(v)
	require.NoError(t, err)
	return string(raw)
}

// DestinationRecord wraps a stop answer as FC's onSuccess destination
// record (responsePayload as a JSON string, or inline).
func DestinationRecord(t testing.TB, stopAnswer *handler.Response, inline bool) string {
	t.Helper()
	payload := any(stopAnswer)
	if !inline {
		payload = MustJSON(t, stopAnswer)
	}
	return MustJSON(t, map[string]any{
		"timestamp":       time.Now().UnixMilli(),
		"requestContext":  map[string]any{"requestId": stopAnswer.RequestID, "functionArn": "acs:fc:cn-hangzhou:123456789012:functions/ecs-stop", "condition": "", "approximateInvokeCount": 1},
		"requestPayload":  `{"triggerTime":"2026-11-26T02:00:00Z"}`,
		"responseContext": map[string]any{"statusCode": 200, "functionError": ""},
		"responsePayload": payload,
	})
}

// TimerEvent is an FC timer event whose payload is the request JSON.
func TimerEvent(t testing.TB, name, payload string) string {
	return MustJSON(t, map[string]any{"triggerTime": "2026-11-26T02:00:00Z", "triggerName": name, "payload": payload})
}

// FCHTTPEvent is an FC 3.0 HTTP trigger event (version v1).
func FCHTTPEvent(t testing.TB, method, path, body string, query map[string]string) string {
	if query == nil {
		query = map[string]string{}
	}
	return MustJSON(t, map[string]any{
		"version": "v1", "rawPath": path, "body": body, "isBase64Encoded": false,
		"headers":         map[string]string{"Content-Type": "application/json", "Authorization": "Bearer drill-caller"},
		"queryParameters": query,
		"requestContext":  map[string]any{"requestId": "http-drill", "http": map[string]string{"method": method, "path": path, "sourceIp": "198.51.100.7"}},
	})
}

// SecretForms are the encodings in which a secret could leak: raw,
// URL-encoded (query, path and ECS's percent-encoding, in either hex case),
// percent-encoded twice (as in a string to sign), JSON-escaped and base64.
// The checks here are the tests' own, independent of the code under test.
func SecretForms(secret string) map[string]string {
	pct := strings.NewReplacer("+", "%20", "*", "%2A", "%7E", "~").Replace(url.QueryEscape(secret))
	jsonEsc, _ := json.Marshal(secret)
	var noHTML bytes.Buffer
	enc := json.NewEncoder(&noHTML)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(secret)
	forms := map[string]string{
		"raw":                       secret,
		"query-escaped":             url.QueryEscape(secret),
		"path-escaped":              url.PathEscape(secret),
		"percent-encoded":           pct,
		"percent-encoded-lowercase": lowerHex(pct),
		"percent-encoded-twice":     strings.NewReplacer("+", "%20", "*", "%2A", "%7E", "~").Replace(url.QueryEscape(pct)),
		"json-escaped":              strings.Trim(string(jsonEsc), `"`),
		"json-escaped-no-html":      strings.Trim(strings.TrimSpace(noHTML.String()), `"`),
		"base64":                    base64.StdEncoding.EncodeToString([]byte(secret)),
		"base64-raw-url":            base64.RawURLEncoding.EncodeToString([]byte(secret)),
	}
	return forms
}

func lowerHex(s string) string {
	b := []byte(s)
	for i := 0; i+2 < len(b); i++ {
		if b[i] == '%' {
			for j := i + 1; j <= i+2; j++ {
				if b[j] >= 'A' && b[j] <= 'F' {
					b[j] += 'a' - 'A'
				}
			}
		}
	}
	return string(b)
}

// FindSecrets reports, without quoting them, which secrets appear in text
// in which encoding: "secret 1 (query-escaped) at byte 812". Empty when
// none does.
func FindSecrets(text string, secrets ...string) []string {
	var out []string
	for i, s := range secrets {
		if s == "" {
			continue
		}
		for name, form := range SecretForms(s) {
			if at := strings.Index(text, form); at >= 0 {
				out = append(out, fmt.Sprintf("secret %d (%s) at byte %d", i+1, name, at))
			}
		}
	}
	slices.Sort(out)
	return out
}

// HandedOver lists the instance IDs of every request in a stop answer's
// next, in order.
func HandedOver(resp *handler.Response) []string {
	var out []string
	for _, req := range resp.Next {
		out = append(out, req.InstanceIDs...)
	}
	return out
}

// Refusing is a gateway in front of ECS (WorldOptions.Front) that refuses,
// as ECS refuses a caller without the permission (403 Forbidden.RAM, not
// worth retrying), every call whose query refuse matches.
func Refusing(refuse func(q url.Values) bool) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
			if refuse(r.URL.Query()) {
				rw.Header().Set("Content-Type", "application/json")
				rw.WriteHeader(http.StatusForbidden)
				_, _ = fmt.Fprint(rw, `{"RequestId":"refused-by-test","Code":"Forbidden.RAM","Message":"refused by the test's gateway"}`)
				return
			}
			next.ServeHTTP(rw, r)
		})
	}
}

// RefusingReadsOf refuses every DescribeInstances that names the instance
// id holds ("" none), so that a test can refuse one page of a read and
// lift the refusal later.
func RefusingReadsOf(id *atomic.Value) func(http.Handler) http.Handler {
	return Refusing(func(q url.Values) bool {
		want, _ := id.Load().(string)
		return want != "" && q.Get("Action") == "DescribeInstances" && strings.Contains(q.Get("InstanceIds"), want)
	})
}
