package request

import (
	"encoding/json"
	"fmt"
	"strings"
)

// parseInstanceARN splits an ECS instance ARN,
// acs:ecs:REGION:ACCOUNT:instance/ID, into region and ID. It is lenient
// about the account (ECS writes it in events); instanceIds take the strict
// form (ParseInstanceRef).
func parseInstanceARN(s string) (region, id string, ok bool) {
	region, account, id, ok := splitARN(s)
	if !ok || id == "" || strings.Contains(region, "/") || strings.Contains(account, "/") {
		return "", "", false
	}
	return region, id, true
}

// ecsEventFields are the fields of an ECS event this package reads, at the
// top of data (EventBridge form) or in data.content (CloudMonitor form).
type ecsEventFields struct {
	ResourceID string `json:"resourceId"`
	InstanceID string `json:"instanceId"`
	RegionID   string `json:"regionId"`
	State      string `json:"state"`
	Action     string `json:"action"`
}

// ecsEventData is the part of an ECS event's data this package reads.
// Other fields are ignored.
type ecsEventData struct {
	ecsEventFields
	Content *ecsEventFields `json:"content"`
}

// decodeECSEvent turns an ecs:Instance:* event into a request naming that
// one instance. The instance comes from the subject ARN and/or
// data[.content].resourceId / instanceId (a bare ID or an instance ARN); all
// that are present must agree. The region comes from the first instance ARN,
// else data[.content].regionId, else aliyunregionid. A spot interruption
// (ECSSpotInterruptionType) also carries data[.content].action into
// SpotInterruption. dataField is where data sits in the event ("" when the
// event is data itself, as a CloudMonitor event is).
func decodeECSEvent(typ, subject, regionID string, data json.RawMessage, dataField string) (Request, string, error) {
	if !strings.HasPrefix(typ, ecsInstanceTypePrefix) {
		return Request{}, "", unsupported("type", fmt.Sprintf(
			"ECS event type %s does not concern an instance; only %s* events are accepted", quote(typ), ecsInstanceTypePrefix))
	}
	var d ecsEventData
	if data != nil {
		if jsonKind(data) != "object" {
			return Request{}, "", invalid(dataField, "want a JSON object, got "+jsonKind(data))
		}
		if err := looseUnmarshal(data, &d); err != nil {
			return Request{}, "", within(dataField, err)
		}
	}
	at := func(field string) string { return joinPath(dataField, field) }
	type candidate struct{ field, id string }
	var cands []candidate
	arnRegion, arnField := "", ""
	add := func(field, v string) {
		if region, id, ok := parseInstanceARN(v); ok {
			v = id
			if arnRegion == "" {
				arnRegion, arnField = region, field
			}
		}
		cands = append(cands, candidate{field, v})
	}
	if _, _, ok := parseInstanceARN(subject); ok {
		add("subject", subject)
	}
	add(at("resourceId"), d.ResourceID)
	add(at("instanceId"), d.InstanceID)
	state, dataRegion, action, actionField := d.State, d.RegionID, d.Action, at("action")
	if c := d.Content; c != nil {
		add(at("content.resourceId"), c.ResourceID)
		add(at("content.instanceId"), c.InstanceID)
		state, dataRegion = firstNonEmpty(state, c.State), firstNonEmpty(dataRegion, c.RegionID)
		if action == "" {
			action, actionField = c.Action, at("content.action")
		}
	}
	var first candidate
	for _, c := range cands {
		if c.id == "" {
			continue
		}
		if err := checkInstanceID(c.field, c.id); err != nil {
			return Request{}, "", err
		}
		if first.id == "" {
			first = c
		} else if c.id != first.id {
			return Request{}, "", invalid(c.field, fmt.Sprintf("names %s but %s names %s", quote(c.id), first.field, quote(first.id)))
		}
	}
	if first.id == "" {
		field, want := "subject", "subject acs:ecs:REGION:ACCOUNT:instance/i-… or data.resourceId"
		if dataField == "" && subject == "" {
			field, want = "resourceId", "resourceId acs:ecs:REGION:ACCOUNT:instance/i-… or content.instanceId"
		}
		return Request{}, "", invalid(field, "the ECS event names no instance (want "+want+")")
	}
	region, regionField := regionID, "aliyunregionid"
	switch {
	case arnRegion != "":
		region, regionField = arnRegion, arnField
	case dataRegion != "":
		region, regionField = dataRegion, at("regionId")
	}
	r := Request{Region: region, InstanceIDs: []string{first.id}}
	if typ == ECSSpotInterruptionType {
		a, err := spotAction(actionField, action)
		if err != nil {
			return Request{}, "", err
		}
		r.SpotInterruption = a
	}
	if err := prepare(&r); err != nil {
		if e, ok := AsError(err); ok && e.Field == "region" {
			return Request{}, "", invalid(regionField, e.Message)
		}
		return Request{}, "", err
	}
	return r, state, nil
}

func firstNonEmpty(a, b string) string {
	if a != "" {
		return a
	}
	return b
}
