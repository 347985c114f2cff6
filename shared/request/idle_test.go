package request

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestIdleSelectorDecodes(t *testing.T) {
	t.Parallel()
	inv, err := Decode([]byte(`{"selector":{"tags":{"pool":"ci"},"idle":{"for":"24h","cpuBelow":5,"networkBelowKbps":10,"statistic":"Average","period":"15m","noData":"idle"}}}`), WithFunction(Stop))
	require.NoError(t, err)
	idle := inv.Requests[0].Selector.Idle
	require.NotNil(t, idle)
	assert.Equal(t, 24*time.Hour, idle.Window())
	assert.Equal(t, 15*time.Minute, idle.PeriodDuration())
	assert.Equal(t, StatisticAverage, idle.EffectiveStatistic())
	assert.True(t, idle.NoDataIsIdle())
	assert.InDelta(t, 5, *idle.CPUBelow, 0)
	assert.InDelta(t, 10, *idle.NetworkBelowKbps, 0)

	// Defaults: Maximum, 5 minutes, keep; days as a window; idle alone is
	// a selector.
	inv, err = Decode([]byte(`{"selector":{"idle":{"for":"7d","cpuBelow":2}}}`), WithFunction(Release))
	require.NoError(t, err)
	idle = inv.Requests[0].Selector.Idle
	assert.Equal(t, 7*24*time.Hour, idle.Window())
	assert.Equal(t, DefaultIdlePeriod, idle.PeriodDuration())
	assert.Equal(t, StatisticMaximum, idle.EffectiveStatistic())
	assert.False(t, idle.NoDataIsIdle())

	// noData "required" needs no threshold.
	inv, err = Decode([]byte(`{"selector":{"status":["Stopped"],"idle":{"for":"7d","noData":"required"}}}`), WithFunction(Release))
	require.NoError(t, err)
	assert.True(t, inv.Requests[0].Selector.Idle.NoDataIsRequired())
}

// Every bad idle selector is refused, naming the field and the problem.
func TestIdleSelectorRefusals(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, body, field, msg string
	}{
		{"no window", `{"cpuBelow":5}`, "selector.idle.for", "missing"},
		{"bad window", `{"for":"a day","cpuBelow":5}`, "selector.idle.for", "not a duration"},
		{"window of days overflowing", `{"for":"99999999999999999999d","cpuBelow":5}`, "selector.idle.for", "not a number of days"},
		{"window too short", `{"for":"20m","cpuBelow":5}`, "selector.idle.for", "shorter than 6 periods"},
		{"beyond 1m retention", `{"for":"40d","period":"1m","cpuBelow":5}`, "selector.idle.for", "31 days"},
		{"beyond 5m retention", `{"for":"100d","cpuBelow":5}`, "selector.idle.for", "91 days"},
		{"bad period", `{"for":"24h","period":"2m","cpuBelow":5}`, "selector.idle.period", "1m, 5m or 15m"},
		{"no threshold", `{"for":"24h"}`, "selector.idle.cpuBelow", "needs a threshold"},
		{"cpu zero", `{"for":"24h","cpuBelow":0}`, "selector.idle.cpuBelow", "above 0"},
		{"cpu over 100", `{"for":"24h","cpuBelow":101}`, "selector.idle.cpuBelow", "at most 100"},
		{"cpu not a number", `{"for":"24h","cpuBelow":"5"}`, "selector.idle.cpuBelow", ""},
		{"cpu overflowing", `{"for":"24h","cpuBelow":1e999}`, "selector.idle.cpuBelow", ""},
		{"network negative", `{"for":"24h","networkBelowKbps":-1}`, "selector.idle.networkBelowKbps", "above 0"},
		{"network too big", `{"for":"24h","networkBelowKbps":1e12}`, "selector.idle.networkBelowKbps", "at most"},
		{"statistic", `{"for":"24h","cpuBelow":5,"statistic":"Minimum"}`, "selector.idle.statistic", "Maximum"},
		{"noData", `{"for":"24h","cpuBelow":5,"noData":"busy"}`, "selector.idle.noData", "keep"},
		{"unknown field", `{"for":"24h","cpuBelow":5,"memBelow":5}`, "selector.idle.memBelow", "unknown field"},
		{"case-folded field", `{"for":"24h","CPUBelow":5}`, "selector.idle.CPUBelow", "cpuBelow"},
		{"not an object", `"24h"`, "selector.idle", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			inv, err := Decode([]byte(`{"selector":{"tags":{"pool":"ci"},"idle":` + tc.body + `}}`))
			require.Error(t, err)
			assert.Nil(t, inv)
			e, ok := AsError(err)
			require.True(t, ok, "%T", err)
			assert.Equal(t, tc.field, e.Field, e.Error())
			assert.Contains(t, e.Error(), tc.msg)
		})
	}
	// Not for autorelease.
	_, err := Decode([]byte(`{"selector":{"idle":{"for":"24h","cpuBelow":5}},"after":"2h"}`), WithFunction(AutoRelease))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "selector.idle")
}
