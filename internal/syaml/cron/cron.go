// Package cron reads Function Compute timer expressions: the one parser
// behind the local runner's timers (internal/fclocal) and the deployment
// checks over s.yaml (deploy/).
//
// FC's rules: six fields with seconds first (seconds minutes hours
// day-of-month month day-of-week), an optional CRON_TZ=<zone> (or TZ=<zone>)
// prefix, UTC when there is none, and of the @ descriptors only
// @every <duration>. A five-field crontab line is refused, with a hint.
package cron

import (
	"fmt"
	"strings"
	"time"
	_ "time/tzdata" // CRON_TZ zones resolve without a system zoneinfo

	robfig "github.com/robfig/cron/v3"
)

// Schedule is a parsed expression: Next gives the fire time after a time.
type Schedule = robfig.Schedule

// parser reads the six-field form (and @every); Parse checks everything
// robfig/cron would let through but FC refuses before calling it.
var parser = robfig.NewParser(robfig.Second | robfig.Minute | robfig.Hour | robfig.Dom | robfig.Month | robfig.Dow | robfig.Descriptor)

// Parse parses a timer trigger's cronExpression the way FC reads it.
// Without CRON_TZ= the schedule runs in UTC (FC's rule), whatever the local
// time zone.
//
// Around a DST switch the schedule follows robfig/cron: a wall-clock time
// that does not exist that day (spring forward) is skipped that day, and
// one that happens twice (fall back) fires twice, an hour apart. FC warns
// that DST zones may skip or repeat runs; prefer UTC or a DST-free zone.
func Parse(expr string) (Schedule, error) {
	e := strings.TrimSpace(expr)
	body := e
	if strings.HasPrefix(body, "CRON_TZ=") || strings.HasPrefix(body, "TZ=") {
		i := strings.IndexAny(body, " \t")
		if i < 0 {
			return nil, fmt.Errorf("cron expression %q: a time zone prefix but no schedule", expr)
		}
		zone := body[strings.Index(body, "=")+1 : i]
		if _, err := time.LoadLocation(zone); err != nil || zone == "" {
			return nil, fmt.Errorf("cron expression %q: unknown time zone %q", expr, zone)
		}
		body = strings.TrimSpace(body[i:])
		e = "CRON_TZ=" + zone + " " + body
	} else {
		// Pin the zone: the parser would otherwise use the machine's.
		e = "CRON_TZ=UTC " + e
	}
	switch {
	case body == "":
		return nil, fmt.Errorf("cron expression %q: empty", expr)
	case strings.HasPrefix(body, "@"):
		if !strings.HasPrefix(body, "@every ") {
			return nil, fmt.Errorf("cron expression %q: of the @ forms FC accepts only @every <duration> (e.g. @every 5m)", expr)
		}
		d, err := time.ParseDuration(strings.TrimSpace(strings.TrimPrefix(body, "@every ")))
		if err != nil || d < time.Second {
			return nil, fmt.Errorf("cron expression %q: @every needs a duration of at least 1s, such as 90s or 1h30m", expr)
		}
	default:
		if n := len(strings.Fields(body)); n != 6 {
			hint := ""
			if n == 5 {
				hint = " (this looks like a 5-field crontab line: FC puts seconds first, e.g. '0 " + body + "')"
			}
			return nil, fmt.Errorf("cron expression %q: want 6 fields (seconds minutes hours day-of-month month day-of-week), got %d%s", expr, n, hint)
		}
	}
	s, err := parser.Parse(e)
	if err != nil {
		return nil, fmt.Errorf("cron expression %q: %v", expr, err)
	}
	return s, nil
}
