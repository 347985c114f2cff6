package drills_test

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/fc-ecs-release/fc-ecs-release/internal/ecsemu"
	"github.com/fc-ecs-release/fc-ecs-release/shared/handler"
)

// TestConcurrencyDrill: two release invocations over overlapping instance
// sets run at once (real goroutines against one emulator, a little real
// latency so their calls interleave). Every instance is released once, and
// each invocation reports only idempotent outcomes: released or
// already-released, never failed.
func TestConcurrencyDrill(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name  string
		build func(t *testing.T, a, b []string) (string, string)
	}{
		{"two direct requests", func(t *testing.T, a, b []string) (string, string) {
			return mustJSON(t, map[string]any{"instanceIds": a, "reason": "first"}), mustJSON(t, map[string]any{"instanceIds": b, "reason": "second"})
		}},
		{"job event and destination record", func(t *testing.T, a, b []string) (string, string) {
			job := mustJSON(t, map[string]any{"specversion": "1.0", "id": "evt-conc", "source": "batch.jobs", "type": "job:Completed",
				"data": map[string]any{"instanceIds": a, "status": "done"}})
			// stop's hand-over of b, as FC's onSuccess destination delivers it.
			rec := mustJSON(t, map[string]any{
				"requestContext":  map[string]any{"requestId": "stop-conc"},
				"requestPayload":  "{}",
				"responseContext": map[string]any{"statusCode": 200},
				"responsePayload": map[string]any{"requestId": "stop-conc", "next": map[string]any{"instanceIds": b, "stoppedMode": "StopCharging", "originRequestId": "stop-conc"}},
			})
			return job, rec
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			concurrencyDrill(t, tc.name, tc.build)
		})
	}
}

func concurrencyDrill(t *testing.T, name string, build func(t *testing.T, a, b []string) (string, string)) {
	const n = 60
	w := newWorld(t, ecsemu.Options{StopDelay: 20 * time.Second, Latency: time.Millisecond, Seed: 77}, map[string]string{"MAX_INSTANCES": "100"})
	var fleet []ecsemu.Instance
	for i := range n {
		in := ecsemu.Instance{InstanceName: fmt.Sprintf("worker-%02d", i)}
		if i%3 == 0 {
			in.Status = ecsemu.StatusStopped
		}
		fleet = append(fleet, in)
	}
	ids := w.Env.AddFleet(t, fleet...)
	a, b := ids[:40], ids[20:] // 20 instances in both
	evA, evB := build(t, a, b)

	h := handler.NewRelease(w.Deps())
	results := make([]result, 2)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i, ev := range []string{evA, evB} {
		wg.Go(func() {
			<-start
			results[i] = w.Handle(h, ev, call{})
		})
	}
	close(start)
	wg.Wait()

	released := map[string]int{}
	seen := map[string]bool{}
	for i, r := range results {
		require.NoError(t, r.Err, "invocation %d", i)
		resp := response(t, r.Out)
		for _, o := range resp.Instances {
			seen[o.InstanceID] = true
			assert.Contains(t, []string{"released", "already-released"}, o.Outcome, "invocation %d, %s: %s %v", i, o.InstanceID, o.Reason, o.Error)
			if o.Outcome == "released" {
				released[o.InstanceID]++
			}
		}
		assert.Len(t, resp.Instances, 40, "invocation %d answers for each of its instances", i)
	}
	notFound := 0
	for _, c := range w.Env.Emu.Calls() {
		if c.Action == "DeleteInstances" && c.Code == "InvalidInstanceId.NotFound" {
			notFound++
		}
	}
	deletes := deletesOf(w.Env.Emu.Calls())
	lost, twice := 0, 0
	for _, id := range ids {
		_, exists := w.Env.Emu.Instance(id)
		assert.False(t, exists, "%s is gone", id)
		assert.Equal(t, 1, deletes[id], "%s released exactly once", id)
		assert.Equal(t, 1, released[id], "%s reported released by exactly one invocation", id)
		if exists || !seen[id] {
			lost++
		}
		if deletes[id] > 1 {
			twice++
		}
	}
	faults, stats := countFaults(w.Env.Emu.Calls()), w.retryStats()
	report(t, figures{
		Drill: "concurrency/" + name, Invocations: stats.Invocations, Instances: n, Released: n - lost,
		ECSCalls: faults.Calls, Retries: stats.Retries, Lost: lost, DoubleActions: twice,
		Note: fmt.Sprintf("two concurrent releases over 40+40 instances sharing 20; %d DeleteInstances batches hit an instance the other had released (split, already-released)", notFound),
	})
}
