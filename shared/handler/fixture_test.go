package handler_test

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aliyun/fc-runtime-go-sdk/fccontext"
	"github.com/stretchr/testify/require"

	"github.com/fc-ecs-release/fc-ecs-release/internal/ecsemu"
	"github.com/fc-ecs-release/fc-ecs-release/internal/ecsemu/ecsemutest"
	"github.com/fc-ecs-release/fc-ecs-release/shared/clock"
	"github.com/fc-ecs-release/fc-ecs-release/shared/ecs"
	"github.com/fc-ecs-release/fc-ecs-release/shared/handler"
)

const (
	testToken = "sts-token-never-logged-7f3a"
)

// world is an emulator, a fake clock that drives it, an environment and a
// log buffer, shared by the three handlers under test.
type world struct {
	t     *testing.T
	env   *ecsemutest.Env
	clock *clock.Fake
	vars  map[string]string
	logMu sync.Mutex
	logs  bytes.Buffer
	reqN  int
}

func newWorld(t *testing.T, opts ecsemu.Options, vars map[string]string) *world {
	t.Helper()
	env := ecsemutest.Start(t, opts)
	fake := clock.NewFake(time.Now())
	fake.OnSleep = func(d time.Duration) { require.NoError(t, env.Emu.Advance(d)) }
	w := &world{t: t, env: env, clock: fake, vars: map[string]string{
		"ECS_ENDPOINT":    env.Endpoint(),
		"DEFAULT_REGION":  env.Emu.Region(),
		"WAIT_MIN_DELAY":  "2s",
		"WAIT_MAX_DELAY":  "10s",
		"DEADLINE_MARGIN": "10s",
	}}
	for k, v := range vars {
		w.vars[k] = v
	}
	return w
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

// logRecords returns the JSON log records with the given msg.
func (w *world) logRecords(msg string) []map[string]any {
	var out []map[string]any
	for _, line := range strings.Split(w.logText(), "\n") {
		if line == "" {
			continue
		}
		var rec map[string]any
		require.NoError(w.t, json.Unmarshal([]byte(line), &rec), line)
		if rec["msg"] == msg {
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

// ctx is an FC invocation context: request id, region, the emulator's key
// as STS credentials, and a deadline timeout ahead on the fake clock.
func (w *world) ctx(timeout time.Duration) context.Context {
	w.reqN++
	fc := &fccontext.FcContext{
		RequestID: "req-" + strings.Repeat("0", 3) + string(rune('a'+w.reqN%26)) + time.Now().Format("150405.000000"),
		Region:    w.env.Emu.Region(),
		Credentials: fccontext.Credentials{
			AccessKeyId: w.env.Emu.AccessKeyID(), AccessKeySecret: w.env.Emu.AccessKeySecret(), SecurityToken: testToken,
		},
	}
	ctx := fccontext.NewContext(context.Background(), fc)
	ctx, cancel := context.WithDeadline(ctx, w.clock.Now().Add(timeout))
	w.t.Cleanup(cancel)
	return ctx
}

// invoke runs a handler on a JSON event and decodes a plain (non-HTTP)
// answer into a Response.
func (w *world) invoke(h *handler.Handler, event string) (*handler.Response, error) {
	w.t.Helper()
	out, err := h.Handle(w.ctx(15*time.Minute), json.RawMessage(event))
	if err != nil {
		return nil, err
	}
	raw, jerr := json.Marshal(out)
	require.NoError(w.t, jerr)
	var resp handler.Response
	require.NoError(w.t, json.Unmarshal(raw, &resp))
	return &resp, nil
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

func mustJSON(t *testing.T, v any) string {
	raw, err := json.Marshal(v)
	require.NoError(t, err)
	return string(raw)
}

// destinationRecord wraps a stop answer as FC's onSuccess record.
func destinationRecord(t *testing.T, stopAnswer *handler.Response, inline bool) string {
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
