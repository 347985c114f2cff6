package docs_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gopkg.in/yaml.v3"

	"github.com/fc-ecs-release/fc-ecs-release/internal/ecsemu"
	"github.com/fc-ecs-release/fc-ecs-release/internal/handlertest"
	"github.com/fc-ecs-release/fc-ecs-release/internal/syaml"
	"github.com/fc-ecs-release/fc-ecs-release/shared/handler"
)

// timerPayload is the payload of the one timer in a triggers example.
func timerPayload(t *testing.T, b block) (name, payload string) {
	t.Helper()
	var triggers []struct {
		TriggerName   string `yaml:"triggerName"`
		TriggerConfig struct {
			Payload string `yaml:"payload"`
		} `yaml:"triggerConfig"`
	}
	require.NoError(t, yaml.Unmarshal([]byte(b.text), &triggers))
	require.Len(t, triggers, 1, b.where())
	return triggers[0].TriggerName, triggers[0].TriggerConfig.Payload
}

// The cookbook's pair of timers, end to end on the emulator's CloudMonitor
// over eight days: the nightly stop takes what has been idle for a day and
// nothing else; the morning release takes what has been stopped for a
// week, and not what ran during it.
func TestIdleCookbookPolicies(t *testing.T) {
	p, err := syaml.LoadFile(sYAMLPath, noEnv)
	require.NoError(t, err)
	w := newWorld(t, p)
	stopName, stopPayload := timerPayload(t, exampleNamed(t, "idle-stop"))
	relName, relPayload := timerPayload(t, exampleNamed(t, "idle-release"))

	now := w.Env.Emu.Now()
	ago := func(d time.Duration) string { return now.Add(-d).UTC().Format("2006-01-02T15:04Z") }
	dev := func(id, profile string, age time.Duration) ecsemu.Instance {
		return ecsemu.Instance{InstanceId: id, InstanceName: id, CreationTime: ago(age), StartTime: ago(age),
			Tags:    handlertest.Tags("pool", "dev", "ecs-release:managed", "true"),
			Metrics: &ecsemu.MetricSpec{Profile: profile}}
	}
	stopped := func(id string, since time.Duration) ecsemu.Instance {
		in := dev(id, ecsemu.ProfileIdle, 20*24*time.Hour)
		in.Status, in.StoppedTime = ecsemu.StatusStopped, ago(since)
		return in
	}
	prod := dev("i-prod", ecsemu.ProfileIdle, 72*time.Hour)
	prod.Tags = handlertest.Tags("pool", "prod", "ecs-release:managed", "true")
	w.Env.AddFleet(t,
		dev("i-idle", ecsemu.ProfileIdle, 72*time.Hour), dev("i-busy", ecsemu.ProfileBusy, 72*time.Hour),
		dev("i-spiky", ecsemu.ProfileSpiky, 72*time.Hour), dev("i-new", ecsemu.ProfileIdle, 2*time.Hour),
		stopped("i-stopped9d", 9*24*time.Hour), stopped("i-stopped2d", 2*24*time.Hour), prod)

	stop := func() *handler.Response {
		return invoke(t, w, "ecs-stop", handlertest.TimerEvent(t, stopName, stopPayload))
	}
	release := func() *handler.Response {
		return invoke(t, w, "ecs-release", handlertest.TimerEvent(t, relName, relPayload))
	}

	// Night 0.
	s := stop()
	assert.Equal(t, map[string]string{"i-idle": handler.OutcomeStopping, "i-busy": handler.OutcomeSkipped,
		"i-spiky": handler.OutcomeSkipped, "i-new": handler.OutcomeSkipped}, handlertest.Outcomes(s))
	assert.Equal(t, handler.CodeBusy, handlertest.OutcomeOf(s, "i-spiky").Code)
	assert.Equal(t, handler.CodeInsufficientData, handlertest.OutcomeOf(s, "i-new").Code)
	// Morning 0: only what has not run for a week.
	r := release()
	assert.Equal(t, map[string]string{"i-stopped9d": handler.OutcomeReleased, "i-stopped2d": handler.OutcomeSkipped, "i-idle": handler.OutcomeSkipped}, handlertest.Outcomes(r))
	assert.Equal(t, handler.CodeRan, handlertest.OutcomeOf(r, "i-stopped2d").Code)
	assert.Contains(t, handlertest.OutcomeOf(r, "i-stopped2d").Reason, "ran in the last 7d")

	// Three days on: the instance stopped on night 0 ran within the week.
	w.Advance(3 * 24 * time.Hour)
	r = release()
	assert.Equal(t, handler.CodeRan, handlertest.OutcomeOf(r, "i-idle").Code)
	assert.Equal(t, handler.OutcomeSkipped, handlertest.OutcomeOf(r, "i-stopped2d").Outcome, "stopped 5 days ago")

	// Eight days after night 0: both have stayed stopped for a week.
	w.Advance(5 * 24 * time.Hour)
	r = release()
	assert.Equal(t, handler.OutcomeReleased, handlertest.OutcomeOf(r, "i-idle").Outcome)
	assert.Equal(t, handler.OutcomeReleased, handlertest.OutcomeOf(r, "i-stopped2d").Outcome)
	for _, id := range []string{"i-busy", "i-spiky", "i-new", "i-prod"} {
		in, ok := w.Env.Emu.Instance(id)
		require.True(t, ok, id)
		assert.Equal(t, ecsemu.StatusRunning, in.Status, "%s is never touched", id)
	}
}
