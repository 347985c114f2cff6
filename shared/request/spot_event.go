package request

import (
	"fmt"
	"strings"
	"time"
)

// Spot (preemptible) instance interruptions. ECS announces that it is
// about to reclaim a spot instance with the event
// ecs:Instance:PreemptibleInstanceInterruption, about five minutes before
// it does, after putting the Recycling operation lock on the instance. The
// event reaches a function in two forms:
//
//   - EventBridge (a CloudEvent): source acs.ecs, subject
//     acs:ecs:REGION:ACCOUNT:instance/ID, aliyunregionid, and data
//     {"instanceId": "i-…", "action": "delete"};
//   - CloudMonitor (an event subscription pushing to the function, or the
//     same object as a CloudEvent's data): {"product": "ECS", "resourceId":
//     "acs:ecs:REGION:ACCOUNT:instance/ID", "level": "WARN", "instanceName":
//     …, "regionId": …, "name": "Instance:PreemptibleInstanceInterruption",
//     "content": {"instanceId": "i-…", "action": "delete"}}.
//
// Either decodes into a request naming the instance (in the region the
// event names) with SpotInterruption set to the action. Only the release
// function answers it (ValidateFor): with a receipt of what the reclaim
// takes, and snapshots of the data disks when asked; it never stops,
// releases or changes the instance — ECS reclaims it.
//
// Choices where the references are vague (UNCONFIRMED):
//   - action: "delete" (the instance is released) or "stop" (a spot
//     instance whose interruption mode is stop); absent means "delete";
//     any other value is refused, naming the field.
//   - The CloudMonitor form delivered on its own is told from a bare
//     request by its product and name keys (see doc.go), product compared
//     without case; its name gets the "ecs:" prefix to become the type.
const (
	// ECSSpotInterruptionType is the EventBridge type of the event.
	ECSSpotInterruptionType = "ecs:Instance:PreemptibleInstanceInterruption"
	// SpotActionDelete: ECS releases the instance.
	SpotActionDelete = "delete"
	// SpotActionStop: ECS stops the instance (interruption mode stop).
	SpotActionStop = "stop"
)

// IsSpotInterruption reports whether the request answers a spot
// interruption (SpotInterruption set).
func (r Request) IsSpotInterruption() bool { return r.SpotInterruption != "" }

// spotAction reads an event's action field: "" is delete.
func spotAction(field, action string) (string, error) {
	switch a := strings.ToLower(strings.TrimSpace(action)); a {
	case "", SpotActionDelete:
		return SpotActionDelete, nil
	case SpotActionStop:
		return SpotActionStop, nil
	default:
		return "", invalid(field, fmt.Sprintf("%s is not a spot interruption action this function knows (want %q or %q)", quote(action), SpotActionDelete, SpotActionStop))
	}
}

// validateSpot checks spotInterruption on its own (Validate).
func (r Request) validateSpot() error {
	switch r.SpotInterruption {
	case "", SpotActionDelete, SpotActionStop:
		return nil
	}
	return invalid("spotInterruption", fmt.Sprintf("%s is not supported (want %q or %q)", quote(r.SpotInterruption), SpotActionDelete, SpotActionStop))
}

// validateSpotFor: only the release function answers a spot interruption,
// and none of the options that make it act on the instance go with one.
func (r Request) validateSpotFor(fn Function) error {
	if !r.IsSpotInterruption() {
		return nil
	}
	if fn != Release {
		return invalid("spotInterruption", fmt.Sprintf("spot interruption events (%s) are answered by the release function; route them to it", ECSSpotInterruptionType))
	}
	for _, f := range []struct {
		name string
		set  bool
	}{{"force", r.Force}, {"stoppedAt", r.StoppedAt != ""}, {"keepOnFailure", r.KeepOnFailure}} {
		if f.set {
			return invalid(f.name, "not used with spotInterruption: ECS reclaims the instance, this function never stops or releases it")
		}
	}
	return nil
}

// SourceCloudMonitor is a CloudMonitor event delivered on its own (an event
// subscription pushing to the function).
const SourceCloudMonitor Source = "cloudmonitor"

// isCloudMonitorEvent: a top-level object with product and name, and
// content or resourceId. No request has any of these fields.
func isCloudMonitorEvent(obj object) bool {
	return obj.present("product") && obj.present("name") && (obj.present("content") || obj.present("resourceId"))
}

// decodeCloudMonitor reads a CloudMonitor ECS event: product ECS, name
// Instance:*, the instance in resourceId / content.instanceId. It decodes
// as the ECS event of type "ecs:" + name.
func decodeCloudMonitor(raw []byte, obj object) (*Invocation, error) {
	product, err := obj.str("product")
	if err != nil {
		return nil, err
	}
	name, err := obj.str("name")
	if err != nil {
		return nil, err
	}
	id, err := obj.str("id")
	if err != nil {
		return nil, err
	}
	if !strings.EqualFold(strings.TrimSpace(product), "ECS") {
		return nil, unsupported("product", fmt.Sprintf("a CloudMonitor event of %s; only ECS instance events are accepted", quote(product)))
	}
	if !strings.HasPrefix(name, "Instance:") {
		return nil, unsupported("name", fmt.Sprintf("the CloudMonitor event %s does not concern an instance; only Instance:* events are accepted", quote(name)))
	}
	typ := "ecs:" + name
	r, state, err := decodeECSEvent(typ, "", "", raw, "")
	if err != nil {
		return nil, err
	}
	info := EventInfo{ID: id, Source: string(SourceCloudMonitor), Type: typ, Kind: DataECSEvent, State: state}
	if t, err := obj.str("eventTime"); err == nil && t != "" {
		// CloudMonitor writes 20190409T121826.922+0800.
		if ts, perr := time.Parse("20060102T150405.999-0700", t); perr == nil {
			info.Time = ts.UTC().Format(time.RFC3339)
		}
	}
	return &Invocation{Source: SourceCloudMonitor, Requests: []Request{r}, Events: []EventInfo{info}}, nil
}
