package cron

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func utc(y int, m time.Month, d, h, min int) time.Time {
	return time.Date(y, m, d, h, min, 0, 0, time.UTC)
}

func TestTimeZones(t *testing.T) {
	t.Parallel()
	next := func(expr string, from time.Time, n int) []time.Time {
		t.Helper()
		s, err := Parse(expr)
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

func TestParse(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		expr, problem string // problem "" = valid
	}{
		{"0 0 2 * * *", ""},
		{"CRON_TZ=Asia/Shanghai 0 0 2 * * *", ""},
		{"TZ=Asia/Shanghai 0 0 2 * * *", ""},
		{"  0 0 2 * * *  ", ""},
		{"0 */15 * * * *", ""},
		{"0 0 8 ? * MON-FRI", ""},
		{"@every 5m", ""},
		{"CRON_TZ=UTC @every 1h", ""},
		{"0 2 * * *", "want 6 fields (seconds minutes hours day-of-month month day-of-week), got 5"},
		{"CRON_TZ=Asia/Shanghai 0 2 * * *", "got 5"},
		{"0 0 0 2 * * *", "got 7"},
		{"0 0 2 * * * 2026", "got 7"},
		{"0 0 25 * * *", "above maximum"},
		{"0 61 * * * *", "above maximum"},
		{"61 0 2 * * *", "above maximum"},
		{"0 0 2 * * FUNDAY", "failed to parse"},
		{"CRON_TZ=Mars/Olympus 0 0 2 * * *", `unknown time zone "Mars/Olympus"`},
		{"CRON_TZ= 0 0 2 * * *", `unknown time zone ""`},
		{"CRON_TZ=Asia/Shanghai", "no schedule"},
		{"@daily", "only @every"},
		{"@hourly", "only @every"},
		{"@every soon", "@every needs a duration"},
		{"@every 10ms", "at least 1s"},
		{"", "empty"},
	} {
		t.Run(tc.expr, func(t *testing.T) {
			s, err := Parse(tc.expr)
			if tc.problem == "" {
				require.NoError(t, err)
				assert.NotNil(t, s)
				return
			}
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.problem)
			assert.Contains(t, err.Error(), "cron expression", "the error quotes the expression")
		})
	}
	_, err := Parse("0 2 * * *")
	require.Error(t, err)
	assert.Contains(t, err.Error(), "'0 0 2 * * *'", "the 5-field error suggests the 6-field form")
}
