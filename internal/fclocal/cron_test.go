package fclocal

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func utc(y int, m time.Month, d, h, min int) time.Time {
	return time.Date(y, m, d, h, min, 0, 0, time.UTC)
}

func TestCronTimeZones(t *testing.T) {
	t.Parallel()
	next := func(expr string, from time.Time, n int) []time.Time {
		t.Helper()
		s, err := ParseCron(expr)
		require.NoError(t, err, expr)
		var out []time.Time
		for range n {
			from = s.Next(from)
			out = append(out, from.UTC())
		}
		return out
	}
	// s.yaml's nightly cleanup: 02:00 Beijing time (UTC+8, no DST) is 18:00
	// UTC the day before.
	assert.Equal(t, []time.Time{utc(2026, 11, 26, 18, 0), utc(2026, 11, 27, 18, 0)},
		next("CRON_TZ=Asia/Shanghai 0 0 2 * * *", utc(2026, 11, 26, 12, 0), 2))
	// A half-hour zone without DST: 02:00 in Kolkata (UTC+5:30).
	assert.Equal(t, []time.Time{utc(2026, 11, 26, 20, 30)},
		next("CRON_TZ=Asia/Kolkata 0 0 2 * * *", utc(2026, 11, 26, 12, 0), 1))
	// Without CRON_TZ FC runs timers in UTC, whatever the machine's zone.
	assert.Equal(t, []time.Time{utc(2026, 11, 27, 2, 0)},
		next("0 0 2 * * *", utc(2026, 11, 26, 12, 0), 1))
	// s.yaml's hourly sweep.
	assert.Equal(t, []time.Time{utc(2026, 11, 26, 13, 0), utc(2026, 11, 26, 14, 0)},
		next("0 0 * * * *", utc(2026, 11, 26, 12, 0), 2))
	// TZ= is accepted like CRON_TZ=.
	assert.Equal(t, []time.Time{utc(2026, 11, 26, 18, 0)},
		next("TZ=Asia/Shanghai 0 0 2 * * *", utc(2026, 11, 26, 12, 0), 1))
	// @every: a fixed interval from now.
	from := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	assert.Equal(t, []time.Time{from.Add(90 * time.Second), from.Add(180 * time.Second)}, next("@every 90s", from, 2))

	// A DST zone. New York springs forward on 2026-03-08 (02:00 -> 03:00):
	// 02:30 does not exist that day and is skipped.
	assert.Equal(t, []time.Time{utc(2026, 3, 9, 6, 30)},
		next("CRON_TZ=America/New_York 0 30 2 * * *", utc(2026, 3, 7, 12, 0), 1),
		"02:30 EST on 03-08 does not exist: next is 02:30 EDT on 03-09 (06:30 UTC)")
	// It falls back on 2026-11-01 (02:00 -> 01:00): 01:30 happens twice,
	// and the timer fires at both (05:30 UTC as EDT, 06:30 UTC as EST).
	assert.Equal(t, []time.Time{utc(2026, 11, 1, 5, 30), utc(2026, 11, 1, 6, 30), utc(2026, 11, 2, 6, 30)},
		next("CRON_TZ=America/New_York 0 30 1 * * *", utc(2026, 10, 31, 12, 0), 3))
}

func TestCronRefused(t *testing.T) {
	t.Parallel()
	for expr, want := range map[string]string{
		"0 2 * * *":                        "want 6 fields (seconds minutes hours day-of-month month day-of-week), got 5",
		"CRON_TZ=Asia/Shanghai 0 2 * * *":  "got 5",
		"0 0 0 2 * * *":                    "got 7",
		"@daily":                           "only @every",
		"@every soon":                      "@every needs a duration",
		"@every 10ms":                      "at least 1s",
		"CRON_TZ=Nowhere/Town 0 0 2 * * *": `unknown time zone "Nowhere/Town"`,
		"CRON_TZ=Asia/Shanghai":            "no schedule",
		"61 0 2 * * *":                     "above maximum",
		"":                                 "empty",
	} {
		_, err := ParseCron(expr)
		if assert.Error(t, err, expr) {
			assert.Contains(t, err.Error(), want, expr)
		}
	}
	_, err := ParseCron("0 2 * * *")
	assert.Contains(t, err.Error(), "'0 0 2 * * *'", "the 5-field error suggests the 6-field form")
}

// Timers fire on their schedule, never at start-up, asynchronously, with
// FC's timer event; enable: false is respected.
func TestTimersFireOnSchedule(t *testing.T) {
	t.Parallel()
	yml := strings.Replace(testSYAML, "enable: false", "enable: true", 1)
	yml += `
  off:
    component: fc3
    extend:
      name: fn
    props:
      functionName: off
      triggers:
        - triggerName: never
          triggerType: timer
          triggerConfig: {cronExpression: '@every 1s', enable: false}
`
	r, rec := startTestRunner(t, yml, 10*time.Millisecond)
	started := time.Now()
	require.NoError(t, r.StartTimers())
	time.Sleep(400 * time.Millisecond)
	assert.Empty(t, rec.all(), "nothing fires at start-up")
	require.Eventually(t, func() bool { return len(rec.of("flaky")) >= 2 }, 5*time.Second, 20*time.Millisecond)
	invs := rec.of("flaky")
	assert.GreaterOrEqual(t, invs[0].Start.Sub(started), 900*time.Millisecond, "the first run is one interval after start")
	for _, inv := range invs {
		assert.True(t, inv.Async, "timers invoke asynchronously")
		assert.Equal(t, "timer:tick", inv.Trigger)
		require.True(t, inv.OK(), inv.Outcome())
		var ev TimerEvent
		require.NoError(t, json.Unmarshal(inv.Event, &ev))
		assert.Equal(t, "tick", ev.TriggerName)
		require.NotNil(t, ev.Payload)
		assert.Equal(t, `{"from":"tick"}`, *ev.Payload, "the payload is the configured string")
		at, err := time.Parse(time.RFC3339, ev.TriggerTime)
		require.NoError(t, err)
		assert.Equal(t, time.UTC, at.Location())
		assert.WithinDuration(t, inv.Start, at, time.Second)
	}
	assert.Empty(t, rec.of("off"), "enable: false never fires")
	_, err := r.FireTimer("off", "never", time.Now())
	assert.ErrorContains(t, err, "disabled")

	sched := r.Timers(time.Now())
	require.Len(t, sched, 2)
	assert.False(t, sched[0].Next.IsZero())
	assert.True(t, sched[1].Next.IsZero(), "a disabled timer has no next time")
}
