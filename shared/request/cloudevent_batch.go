package request

import (
	"encoding/json"
	"fmt"
)

// decodeCloudEventBatch reads a JSON array of CloudEvents, as streaming
// EventBridge sources deliver them: each element a JSON string holding one
// event, or the event object inline. Every element must decode; one bad
// element fails the whole batch (no partial action).
func decodeCloudEventBatch(raw []byte) (*Invocation, error) {
	var elems []json.RawMessage
	if err := json.Unmarshal(raw, &elems); err != nil {
		return nil, notJSON(err)
	}
	if len(elems) == 0 {
		return nil, unsupported("", "an empty array; want CloudEvents")
	}
	inv := &Invocation{Source: SourceCloudEventBatch}
	for i, el := range elems {
		at := fmt.Sprintf("[%d]", i)
		kind := jsonKind(el)
		if kind != "string" && kind != "object" {
			return nil, unsupported(at, "want a CloudEvent (an object, or a string holding one), got "+kind)
		}
		inner, err := unwrapJSONText(el)
		if err != nil {
			return nil, within(at, err)
		}
		if inner == nil {
			return nil, unsupported(at, "an empty string; want a CloudEvent")
		}
		obj, err := parseObject(inner)
		if err != nil {
			return nil, within(at, err)
		}
		if !obj.present("specversion") {
			return nil, unsupported(at+".specversion", "missing; every element of an array must be a CloudEvent")
		}
		r, info, err := decodeCloudEvent(obj)
		if err != nil {
			return nil, within(at, err)
		}
		inv.Requests = append(inv.Requests, r)
		inv.Events = append(inv.Events, info)
	}
	return inv, nil
}
