package bench

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http/httptest"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/aliyun/fc-runtime-go-sdk/fccontext"
	"github.com/stretchr/testify/require"

	"github.com/fc-ecs-release/fc-ecs-release/internal/ecsemu"
	"github.com/fc-ecs-release/fc-ecs-release/shared/handler"
)

// BenchmarkChain runs stop -> release in this process against the
// emulator, for CPU and allocation profiles of the handlers at fleet scale
// (BENCH_CHAIN_INSTANCES, default 10,000):
//
//	go test ./internal/bench -run '^$' -bench Chain -benchtime 1x -cpuprofile cpu.out -memprofile mem.out
//
// The emulator shares the process: look at the handler's packages
// (pprof -focus 'shared/') to see the functions' own work.
func BenchmarkChain(b *testing.B) {
	n := 10000
	if s := os.Getenv("BENCH_CHAIN_INSTANCES"); s != "" {
		n, _ = strconv.Atoi(s)
	}
	for b.Loop() {
		b.StopTimer()
		var trace *slog.Logger
		if f := os.Getenv("BENCH_CHAIN_TRACE"); f != "" {
			tf, err := os.Create(f)
			require.NoError(b, err)
			defer tf.Close()
			trace = slog.New(slog.NewJSONHandler(tf, nil))
		}
		emu, err := ecsemu.New(ecsemu.Options{Latency: 20 * time.Millisecond, StopDelay: 5 * time.Second, MaxRecordedCalls: 1, Logger: trace})
		require.NoError(b, err)
		srv := httptest.NewServer(emu)
		fleet := make([]ecsemu.Instance, n)
		old := time.Now().Add(-48 * time.Hour).UTC().Format("2006-01-02T15:04Z")
		for i := range fleet {
			fleet[i] = ecsemu.Instance{CreationTime: old, Tags: ecsemu.TagSet{Tag: []ecsemu.Tag{{TagKey: "ecs-release:managed", TagValue: "true"}, {TagKey: "pool", TagValue: "bench"}}}}
		}
		_, err = emu.AddInstances(fleet)
		require.NoError(b, err)
		env := map[string]string{
			"ECS_ENDPOINT": srv.URL, "DRY_RUN": "false", "DEFAULT_REGION": emu.Region(), "MANAGED_TAG": "ecs-release:managed=true",
			"MAX_INSTANCES": strconv.Itoa(n), "ECS_MAX_QPS": "2000",
			"WAIT_MIN_DELAY": "200ms", "WAIT_MAX_DELAY": "200ms", "DEADLINE_MARGIN": "10s",
		}
		deps := handler.Deps{Getenv: func(k string) string { return env[k] }, Log: io.Discard}
		ctx := fccontext.NewContext(context.Background(), &fccontext.FcContext{RequestID: "bench", Region: emu.Region(),
			Credentials: fccontext.Credentials{AccessKeyId: emu.AccessKeyID(), AccessKeySecret: emu.AccessKeySecret(), SecurityToken: "bench-token"}})
		ctx, cancel := context.WithTimeout(ctx, 15*time.Minute)
		payload, _ := json.Marshal(map[string]any{"selector": map[string]any{"tags": map[string]string{"pool": "bench"}}, "then": "release", "reason": "benchmark"})
		timer, _ := json.Marshal(map[string]any{"triggerTime": time.Now().UTC().Format(time.RFC3339), "triggerName": "bench", "payload": string(payload)})
		b.StartTimer()

		out, err := handler.NewStop(deps).Handle(ctx, timer)
		require.NoError(b, err)
		stopAnswer, err := json.Marshal(out)
		require.NoError(b, err)
		record, _ := json.Marshal(map[string]any{
			"timestamp":       time.Now().UnixMilli(),
			"requestContext":  map[string]any{"requestId": "bench", "functionArn": "acs:fc:cn-hangzhou:123456789012:functions/ecs-stop", "condition": "", "approximateInvokeCount": 1},
			"requestPayload":  string(timer),
			"responseContext": map[string]any{"statusCode": 200, "functionError": ""},
			"responsePayload": string(stopAnswer),
		})
		_, err = handler.NewRelease(deps).Handle(ctx, record)
		require.NoError(b, err)

		b.StopTimer()
		cancel()
		srv.Close()
		if left := len(emu.Instances()); left != 0 {
			b.Fatalf("%d instances left", left)
		}
		b.StartTimer()
	}
}
