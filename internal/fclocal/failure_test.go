package fclocal

import (
	"maps"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/fc-ecs-release/fc-ecs-release/internal/ecsemu"
	"github.com/fc-ecs-release/fc-ecs-release/internal/notifysink"
)

// The failure path end to end, as s.yaml wires it, with the real
// functions: ecs-stop's nightly run fails on every attempt (ECS refuses
// its reads), FC's retries run out, onFailure delivers the record to
// ecs-stop itself, which answers it with a report, notifies it, and makes
// no ECS call; nothing loops.
func TestOnFailureIsReportedAndNotified(t *testing.T) {
	t.Parallel()
	sink, err := notifysink.Start("127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(sink.Close)
	env := map[string]string{"DRY_RUN": "false"}
	maps.Copy(env, sink.Env())
	r, rec, emu := startRealRunner(t, []ecsemu.Instance{ephemeral("i-left1", 48*time.Hour)}, 300*time.Millisecond, env)
	emu.InjectError("DescribeInstances", "Forbidden.RAM", "the role may not describe instances", 1000)
	_, err = r.FireTimer("stop", "nightly-cleanup", time.Now())
	require.NoError(t, err)
	waitIdle(t, r, 40*time.Second)

	stops := rec.of("ecs-stop")
	require.Len(t, stops, 4, "three attempts (maxAsyncRetryAttempts 2), then the failure record")
	for _, inv := range stops[:3] {
		assert.False(t, inv.OK(), inv.Outcome())
	}
	report := stops[3]
	assert.Equal(t, "destination:onFailure:ecs-stop", report.Trigger)
	require.True(t, report.OK(), "a failure record is answered, never failed on: %s", report.Outcome())
	// As in FC, the report's success goes to stop's onSuccess: ecs-release
	// finds no hand-over in it and does nothing (and has no onSuccess).
	assert.Equal(t, "onSuccess -> ecs-release", report.Next)
	rels := rec.of("ecs-release")
	require.Len(t, rels, 1)
	require.True(t, rels[0].OK(), rels[0].Outcome())
	relAns, _, ok := Answer(rels[0].Payload)
	require.True(t, ok)
	assert.Empty(t, relAns.Instances)
	assert.Empty(t, rels[0].Next)
	ans, _, ok := Answer(report.Payload)
	require.True(t, ok)
	require.NotNil(t, ans.Failure)
	assert.Equal(t, "ecs-stop", ans.Failure.Function)
	assert.Equal(t, ConditionHandledError, ans.Failure.Condition)
	assert.Equal(t, 3, ans.Failure.Attempts)
	assert.Contains(t, ans.Failure.Error, "Forbidden.RAM")
	assert.Contains(t, ans.Failure.Request, "nightly cleanup")
	assert.Contains(t, ans.Failure.Advice, "run the stop again")
	assert.Empty(t, ans.Instances, "nothing acted on")
	// The report made no ECS call: every DescribeInstances was one of the
	// three attempts, and nothing mutated.
	assert.Empty(t, emu.MutatingCalls())
	for _, c := range emu.Calls() {
		assert.Equal(t, "DescribeInstances", c.Action)
	}
	// Every channel was told.
	var channels []string
	for _, m := range sink.Messages() {
		channels = append(channels, m.Channel)
		if m.Channel == notifysink.DingTalk {
			assert.Contains(t, m.Text, "HandledInvocationError")
			assert.Contains(t, m.Text, "Forbidden.RAM")
		}
	}
	assert.ElementsMatch(t, []string{notifysink.DingTalk, notifysink.Feishu, notifysink.WeCom, notifysink.Slack, notifysink.Webhook}, channels)
	for _, s := range notifysink.Secrets() {
		assert.False(t, strings.Contains(string(report.Payload), s), "the answer carries no channel secret")
	}
}
