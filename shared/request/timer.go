package request

import (
	"strings"
)

// decodeTimer reads an FC timer event {triggerTime, triggerName, payload}.
// payload is a string holding the request JSON; empty, blank, null or absent
// means the default (empty) request.
func decodeTimer(obj object) (*Invocation, error) {
	name, err := obj.str("triggerName")
	if err != nil {
		return nil, err
	}
	at, err := obj.str("triggerTime")
	if err != nil {
		return nil, err
	}
	var r Request
	if p, ok := obj["payload"]; ok && !isNull(p) {
		if k := jsonKind(p); k != "string" {
			return nil, invalid("payload", "want a string holding the request JSON, got "+k)
		}
		s, _ := obj.str("payload")
		if strings.TrimSpace(s) != "" {
			if r, err = decodeRequest([]byte(s)); err != nil {
				return nil, within("payload", err)
			}
		}
	}
	return &Invocation{
		Source:   SourceTimer,
		Requests: []Request{r},
		Timer:    &TimerInfo{TriggerName: name, TriggerTime: at},
	}, nil
}
