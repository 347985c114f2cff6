package request

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"
	"unicode/utf8"
)

// ECS events: the CloudEvent source, and the type prefix this package acts on.
const (
	ecsEventSource        = "acs.ecs"
	ecsInstanceTypePrefix = "ecs:Instance:"
)

func decodeSingleCloudEvent(obj object) (*Invocation, error) {
	r, info, err := decodeCloudEvent(obj)
	if err != nil {
		return nil, err
	}
	return &Invocation{Source: SourceCloudEvent, Requests: []Request{r}, Events: []EventInfo{info}}, nil
}

// decodeCloudEvent reads one CloudEvents 1.0 envelope and classifies its data:
// an ECS event when source is "acs.ecs" or type starts with "ecs:"; else a
// job-completion record when data has "status" or "instanceId"; else a
// request. Envelope extensions (aliyun*, ...) are ignored.
func decodeCloudEvent(obj object) (Request, EventInfo, error) {
	var info EventInfo
	spec, err := obj.str("specversion")
	if err != nil {
		return Request{}, info, err
	}
	if spec != "1.0" {
		return Request{}, info, invalid("specversion", fmt.Sprintf("%s is not supported (want \"1.0\")", quote(spec)))
	}
	for _, f := range []struct {
		key      string
		dst      *string
		required bool
	}{
		{"source", &info.Source, true}, {"type", &info.Type, true},
		{"id", &info.ID, false}, {"subject", &info.Subject, false}, {"time", &info.Time, false},
	} {
		v, err := obj.str(f.key)
		if err != nil {
			return Request{}, info, err
		}
		if f.required && strings.TrimSpace(v) == "" {
			return Request{}, info, invalid(f.key, "missing; a CloudEvent needs specversion, source and type")
		}
		*f.dst = v
	}
	regionID, err := obj.str("aliyunregionid")
	if err != nil {
		return Request{}, info, err
	}
	data, dataField, err := cloudEventData(obj)
	if err != nil {
		return Request{}, info, err
	}
	if info.Source == ecsEventSource || strings.HasPrefix(info.Type, "ecs:") {
		info.Kind = DataECSEvent
		r, state, err := decodeECSEvent(info.Type, info.Subject, regionID, data, dataField)
		info.State = state
		return r, info, err
	}
	if data == nil {
		return Request{}, info, invalid("data", "missing; a CloudEvent must carry a request, a job-completion record or an ECS event")
	}
	r, err := decodeEventData(data, &info)
	return r, info, within(dataField, err)
}

// cloudEventData returns the event's data as JSON (nil when absent), from
// data (inline JSON, or a string holding JSON) or data_base64.
func cloudEventData(obj object) (json.RawMessage, string, error) {
	if obj.has("data") && obj.has("data_base64") {
		return nil, "", invalid("data_base64", "give data or data_base64, not both")
	}
	if obj.has("data_base64") {
		s, err := obj.str("data_base64")
		if err != nil {
			return nil, "", err
		}
		b, err := base64.StdEncoding.DecodeString(strings.TrimSpace(s))
		if err != nil {
			return nil, "", invalid("data_base64", "not valid base64")
		}
		if strings.TrimSpace(string(b)) == "" {
			return nil, "data_base64", nil
		}
		if !json.Valid(b) || !utf8.Valid(b) {
			return nil, "", invalid("data_base64", "does not hold valid JSON (UTF-8)")
		}
		return b, "data_base64", nil
	}
	if !obj.has("data") {
		return nil, "data", nil
	}
	data, err := unwrapJSONText(obj["data"])
	if err != nil {
		return nil, "", within("data", err)
	}
	if data != nil && isNull(data) {
		data = nil
	}
	return data, "data", nil
}

// decodeEventData reads CloudEvent data or EventBridge detail that is either
// a job-completion record (has "status" or "instanceId") or a request.
func decodeEventData(data json.RawMessage, info *EventInfo) (Request, error) {
	obj, err := parseObject(data)
	if err != nil {
		return Request{}, err
	}
	if obj.present("status") || obj.present("instanceId") {
		info.Kind = DataJobRecord
		return decodeJobRecord(data, obj, info)
	}
	info.Kind = DataRequest
	return decodeRequest(data)
}
