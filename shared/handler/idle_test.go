package handler_test

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/fc-ecs-release/fc-ecs-release/internal/ecsemu"
	"github.com/fc-ecs-release/fc-ecs-release/internal/handlertest"
	"github.com/fc-ecs-release/fc-ecs-release/shared/handler"
)

// idleFleet is one instance of each kind the idle selector must tell
// apart, all tagged pool=ci, Running for three days unless said.
func idleFleet(w *world) []ecsemu.Instance {
	now := w.Env.Emu.Now()
	at := func(d time.Duration) string { return now.Add(-d).UTC().Format("2006-01-02T15:04Z") }
	in := func(id, profile string) ecsemu.Instance {
		return ecsemu.Instance{InstanceId: id, InstanceName: id, CreationTime: at(72 * time.Hour), StartTime: at(72 * time.Hour),
			Tags: tags("pool", "ci"), Metrics: &ecsemu.MetricSpec{Profile: profile}}
	}
	fresh := in("i-new", "idle")
	fresh.CreationTime, fresh.StartTime = at(2*time.Hour), at(2*time.Hour)
	stopped := in("i-stopped", "idle")
	stopped.Status, stopped.StoppedTime = ecsemu.StatusStopped, at(50*time.Hour)
	public := in("i-public", "idle")
	public.EipAddress = ecsemu.EipAddress{AllocationId: "eip-1", IpAddress: "47.0.0.1"}
	minute := now.Add(-3 * time.Hour).UTC().Truncate(time.Minute).Format(time.RFC3339)
	public.Metrics.Points = []ecsemu.MetricPoint{{Metric: "VPC_PublicIP_InternetOutRate", At: minute, Value: 50_000_000}}
	return []ecsemu.Instance{in("i-idle", "idle"), in("i-busy", "busy"), in("i-spiky", "spiky"), fresh, stopped, in("i-nodata", "no-data"), public}
}

const idlePolicy = `{"selector":{"tags":{"pool":"ci"},"idle":{"for":"24h","cpuBelow":5,"networkBelowKbps":10}},"dryRun":true,"reason":"idle for a day"}`

// Each kind of instance is selected or not exactly as documented, each
// with its reason, and only the idle one would be stopped.
func TestIdleSelectorEndToEnd(t *testing.T) {
	t.Parallel()
	w := newWorld(t, ecsemu.Options{}, nil)
	w.Env.AddFleet(t, idleFleet(w)...)
	resp, err := w.invoke(handler.NewStop(w.Deps()), idlePolicy)
	require.NoError(t, err)
	assert.Equal(t, map[string]string{
		"i-idle": handler.OutcomeWouldStop, "i-busy": handler.OutcomeSkipped, "i-spiky": handler.OutcomeSkipped,
		"i-new": handler.OutcomeSkipped, "i-stopped": handler.OutcomeSkipped, "i-nodata": handler.OutcomeSkipped,
		"i-public": handler.OutcomeSkipped,
	}, outcomes(resp))
	code := func(id string) string { return outcomeOf(resp, id).Code }
	reason := func(id string) string { return outcomeOf(resp, id).Reason }
	assert.Equal(t, handler.CodeBusy, code("i-busy"))
	assert.Regexp(t, `^busy: CPU max \d+(\.\d+)?% at \d{4}-\d\d-\d\dT\d\d:\d\dZ \(threshold 5%\)$`, reason("i-busy"))
	assert.Equal(t, handler.CodeBusy, code("i-spiky"))
	assert.Regexp(t, `^busy: CPU max 93% at \d{4}-\d\d-\d\dT14:0[05]Z`, reason("i-spiky"), "the one high point of the day")
	assert.Equal(t, handler.CodeBusy, code("i-public"))
	assert.Contains(t, reason("i-public"), "network VPC_PublicIP_InternetOutRate max 50000 kbit/s", "public traffic counts, in kbit/s")
	for _, id := range []string{"i-new", "i-stopped", "i-nodata"} {
		assert.Equal(t, handler.CodeInsufficientData, code(id), id)
		assert.True(t, strings.HasPrefix(reason(id), "insufficient data: "), reason(id))
	}
	assert.Contains(t, reason("i-nodata"), "insufficient data: 0 of 288 points")
	assert.Empty(t, w.Env.Emu.MutatingCalls(), "a dry run")

	// noData: idle selects what has no data, and says so.
	resp, err = w.invoke(handler.NewStop(w.Deps()), strings.Replace(idlePolicy, `"networkBelowKbps":10}`, `"networkBelowKbps":10,"noData":"idle"}`, 1))
	require.NoError(t, err)
	for _, id := range []string{"i-new", "i-nodata"} {
		assert.Equal(t, handler.OutcomeWouldStop, outcomeOf(resp, id).Outcome, id)
	}
	assert.Equal(t, handler.OutcomeAlreadyStopped, outcomeOf(resp, "i-stopped").Outcome)
	assert.Equal(t, handler.OutcomeSkipped, outcomeOf(resp, "i-busy").Outcome)
}

// A throttled CloudMonitor is retried: the same verdicts; an outage
// leaves everything unselected with a clear failure, never "idle".
func TestIdleSelectorThrottlingAndOutage(t *testing.T) {
	t.Parallel()
	w := newWorld(t, ecsemu.Options{}, nil)
	w.Env.AddFleet(t, idleFleet(w)...)
	base, err := w.invoke(handler.NewStop(w.Deps()), idlePolicy)
	require.NoError(t, err)

	w.Env.Emu.InjectError("DescribeMetricList", "Throttling.User", "Request was denied due to user flow control.", 3)
	throttled, err := w.invoke(handler.NewStop(w.Deps()), idlePolicy)
	require.NoError(t, err)
	assert.Equal(t, outcomes(base), outcomes(throttled))
	sums := w.LogRecords("summary")
	require.NotEmpty(t, sums)
	assert.GreaterOrEqual(t, sums[len(sums)-1]["throttled"], float64(3), "the throttled calls were retried")

	w.Env.Emu.InjectError("DescribeMetricList", "InternalError", "CloudMonitor is down", 10_000)
	res := w.Handle(handler.NewStop(w.Deps()), strings.Replace(idlePolicy, `"dryRun":true`, `"dryRun":false`, 1), handlertest.Call{})
	require.Error(t, res.Err)
	assert.Contains(t, res.Err.Error(), "CloudMonitor could not be read")
	assert.Contains(t, res.Err.Error(), "no instance is judged idle without its metrics")
	assert.Empty(t, w.Env.Emu.MutatingCalls(), "nothing stopped")
}
