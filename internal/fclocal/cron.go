package fclocal

import (
	"encoding/json"
	"time"

	"github.com/robfig/cron/v3"

	fccron "github.com/fc-ecs-release/fc-ecs-release/internal/syaml/cron"
)

// ParseCron parses a timer trigger's cronExpression the way FC reads it:
// six fields with seconds first, an optional CRON_TZ=<zone> (UTC
// otherwise), @every <duration>; see internal/syaml/cron.
func ParseCron(expr string) (cron.Schedule, error) { return fccron.Parse(expr) }

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
