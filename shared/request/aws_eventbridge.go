package request

import (
	"encoding/json"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"
)

// decodeAWSEventBridge reads an AWS EventBridge event; detail is a request
// or a job-completion record (same rule as CloudEvent data).
func decodeAWSEventBridge(raw []byte, obj object) (*Invocation, error) {
	if t := obj["time"]; t != nil && !isNull(t) {
		var ts time.Time
		if err := json.Unmarshal(t, &ts); err != nil {
			return nil, invalid("time", "want an RFC 3339 timestamp")
		}
	}
	var ev events.EventBridgeEvent
	if err := looseUnmarshal(raw, &ev); err != nil {
		return nil, err
	}
	if strings.TrimSpace(ev.DetailType) == "" {
		return nil, invalid("detail-type", "missing")
	}
	if strings.TrimSpace(ev.Source) == "" {
		return nil, invalid("source", "missing")
	}
	if ev.Detail == nil || isNull(ev.Detail) {
		return nil, invalid("detail", "missing; the detail must carry a request or a job-completion record")
	}
	info := EventInfo{ID: ev.ID, Source: ev.Source, Type: ev.DetailType}
	if !ev.Time.IsZero() {
		info.Time = ev.Time.UTC().Format(time.RFC3339)
	}
	r, err := decodeEventData(ev.Detail, &info)
	if err != nil {
		return nil, within("detail", err)
	}
	return &Invocation{Source: SourceAWSEventBridge, Requests: []Request{r}, Events: []EventInfo{info}}, nil
}
