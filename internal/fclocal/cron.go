package fclocal

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"
	_ "time/tzdata" // CRON_TZ zones resolve without a system zoneinfo

	"github.com/robfig/cron/v3"
)

// cronParser reads FC timer expressions: six fields with seconds first
// (seconds minutes hours day-of-month month day-of-week), an optional
// CRON_TZ=<zone> (or TZ=<zone>) prefix, and the @every <duration> form.
var cronParser = cron.NewParser(cron.Second | cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow | cron.Descriptor)

// ParseCron parses a timer trigger's cronExpression the way FC reads it.
// Without CRON_TZ= the schedule runs in UTC (FC's rule), whatever the local
// time zone. Five-field (minute-first) expressions are refused, and of the
// @ descriptors only @every is accepted, as FC documents.
//
// Around a DST switch the schedule follows robfig/cron: a wall-clock time
// that does not exist that day (spring forward) is skipped that day, and
// one that happens twice (fall back) fires twice, an hour apart. FC warns
// that DST zones may skip or repeat runs; prefer UTC or a DST-free zone.
func ParseCron(expr string) (cron.Schedule, error) {
	e := strings.TrimSpace(expr)
	body := e
	if strings.HasPrefix(body, "CRON_TZ=") || strings.HasPrefix(body, "TZ=") {
		i := strings.IndexAny(body, " \t")
		if i < 0 {
			return nil, fmt.Errorf("cron expression %q: a time zone prefix but no schedule", expr)
		}
		zone := body[strings.Index(body, "=")+1 : i]
		if _, err := time.LoadLocation(zone); err != nil {
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
	s, err := cronParser.Parse(e)
	if err != nil {
		return nil, fmt.Errorf("cron expression %q: %v", expr, err)
	}
	return s, nil
}

// TimerEvent is the event FC delivers for a timer trigger.
type TimerEvent struct {
	TriggerTime string  `json:"triggerTime"`
	TriggerName string  `json:"triggerName"`
	Payload     *string `json:"payload,omitempty"`
}

// timerEvent builds the event of trigger t firing at at.
func timerEvent(t *Trigger, at time.Time) []byte {
	ev := TimerEvent{TriggerTime: at.UTC().Format(time.RFC3339), TriggerName: t.Name}
	if t.Timer.HasPayload {
		p := t.Timer.Payload
		ev.Payload = &p
	}
	b, _ := json.Marshal(ev)
	return b
}
