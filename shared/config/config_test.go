package config_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/fc-ecs-release/fc-ecs-release/shared/config"
	"github.com/fc-ecs-release/fc-ecs-release/shared/request"
)

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestLoadDefaults(t *testing.T) {
	t.Parallel()
	c, err := config.Load(env(nil))
	require.NoError(t, err)
	assert.False(t, c.DryRun)
	assert.Equal(t, config.Tag{Key: "ecs-release:protect", Value: "true"}, c.ProtectTag)
	assert.Nil(t, c.ManagedTag)
	assert.Equal(t, 100, c.MaxInstances)
	assert.Equal(t, "StopCharging", c.StoppedMode)
	assert.Equal(t, 30*time.Second, c.DeadlineMargin)
}

func TestLoadValues(t *testing.T) {
	t.Parallel()
	c, err := config.Load(env(map[string]string{
		"DRY_RUN": "true", "PROTECT_TAG": "keep=yes", "MANAGED_TAG": "team=ci", "MAX_INSTANCES": "7",
		"STOPPED_MODE": "KeepCharging", "TTL_TAG": "ttl", "EXPIRE_TAG": "expires", "ECS_MAX_QPS": "12.5",
		"DEFAULT_REGION": "eu-central-1", "WAIT_MIN_DELAY": "1s", "WAIT_MAX_DELAY": "3s", "DEADLINE_MARGIN": "5s", "SWEEP_SPREAD": "0s",
	}))
	require.NoError(t, err)
	assert.True(t, c.DryRun)
	assert.Equal(t, "keep=yes", c.ProtectTag.String())
	require.NotNil(t, c.ManagedTag)
	assert.Equal(t, "team=ci", c.ManagedTag.String())
	assert.Equal(t, 7, c.MaxInstances)
	assert.Equal(t, 12.5, c.MaxQPS)
	assert.Equal(t, "eu-central-1", c.DefaultRegion)
}

func TestLoadNamesEveryBadVariable(t *testing.T) {
	t.Parallel()
	cases := map[string]string{
		"DRY_RUN": "maybe", "PROTECT_TAG": "no-equals", "MANAGED_TAG": "=v", "MAX_INSTANCES": "0",
		"STOPPED_MODE": "Hibernate", "TTL_TAG": "a=b", "ECS_MAX_QPS": "-3", "DEFAULT_REGION": "Not A Region",
		"WAIT_MIN_DELAY": "fast", "DEADLINE_MARGIN": "10ms", "SWEEP_SPREAD": "48h",
	}
	for name, value := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			_, err := config.Load(env(map[string]string{name: value}))
			require.Error(t, err)
			assert.Contains(t, err.Error(), name)
			assert.Contains(t, err.Error(), value)
		})
	}
	// Numbers at and past the edges of their types: refused, never wrapped.
	for name, values := range map[string][]string{
		"ECS_MAX_QPS":    {"NaN", "nan", "Inf", "+Inf", "1e400", "0", "10000.5"},
		"MAX_INSTANCES":  {"9223372036854775808", "-9223372036854775809", "1e3", "50001"},
		"WAIT_MAX_DELAY": {"2562048h", "9223372036854775807ns"},
		"SWEEP_SPREAD":   {"-1s", "25h"},
	} {
		for _, v := range values {
			_, err := config.Load(env(map[string]string{name: v}))
			assert.ErrorContains(t, err, name, "%s=%s", name, v)
		}
	}
	_, err := config.Load(env(map[string]string{"WAIT_MIN_DELAY": "10s", "WAIT_MAX_DELAY": "2s"}))
	assert.ErrorContains(t, err, "WAIT_MAX_DELAY")
	_, err = config.Load(env(cases))
	require.Error(t, err)
	for name := range cases {
		assert.Contains(t, err.Error(), name, "all problems are reported at once")
	}
}

func TestPlanMayOnlyNarrow(t *testing.T) {
	t.Parallel()
	dry := config.Config{DryRun: true, MaxInstances: 10, StoppedMode: "StopCharging", DefaultRegion: "cn-hangzhou"}
	no, yes := false, true
	p, err := dry.Plan(request.Request{DryRun: &no}, "")
	require.NoError(t, err)
	assert.True(t, p.DryRun, "a request cannot turn dry run off")
	assert.Equal(t, "deployment", p.DryRunSource)

	live := config.Config{MaxInstances: 10, StoppedMode: "StopCharging"}
	p, err = live.Plan(request.Request{DryRun: &yes, MaxInstances: 3, StoppedMode: "KeepCharging", Region: "us-west-1"}, "cn-beijing")
	require.NoError(t, err)
	assert.True(t, p.DryRun)
	assert.Equal(t, "request", p.DryRunSource)
	assert.Equal(t, 3, p.MaxInstances, "a lower cap is taken")
	assert.Equal(t, "KeepCharging", p.StoppedMode)
	assert.Equal(t, "us-west-1", p.Region)

	_, err = live.Plan(request.Request{MaxInstances: 11}, "cn-beijing")
	var pe *config.PlanError
	require.ErrorAs(t, err, &pe)
	assert.Equal(t, "maxInstances", pe.Field)

	p, err = live.Plan(request.Request{}, "cn-beijing")
	require.NoError(t, err)
	assert.Equal(t, "cn-beijing", p.Region, "falls back to the function's region")
	_, err = live.Plan(request.Request{}, "")
	assert.ErrorContains(t, err, "no region")
}
