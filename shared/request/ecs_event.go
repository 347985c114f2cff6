package request

import (
	"encoding/json"
	"fmt"
	"strings"
)

// parseInstanceARN splits an ECS instance ARN,
// acs:ecs:REGION:ACCOUNT:instance/ID, into region and ID.
func parseInstanceARN(s string) (region, id string, ok bool) {
	rest, found := strings.CutPrefix(s, "acs:ecs:")
	if !found {
		return "", "", false
	}
	region, rest, found = strings.Cut(rest, ":")
	if !found || strings.Contains(region, "/") {
		return "", "", false
	}
	account, rest, found := strings.Cut(rest, ":")
	if !found || strings.Contains(account, "/") {
		return "", "", false
	}
	id, found = strings.CutPrefix(rest, "instance/")
	if !found || id == "" {
		return "", "", false
	}
	return region, id, true
}

// ecsEventData is the part of an ECS event's data this package reads. The
// EventBridge form carries the fields at the top of data; the CloudMonitor
// form wraps them in "content". Other fields are ignored.
type ecsEventData struct {
	ResourceID string `json:"resourceId"`
	InstanceID string `json:"instanceId"`
	RegionID   string `json:"regionId"`
	State      string `json:"state"`
	Content    *struct {
		ResourceID string `json:"resourceId"`
		InstanceID string `json:"instanceId"`
		RegionID   string `json:"regionId"`
		State      string `json:"state"`
	} `json:"content"`
}

// decodeECSEvent turns an ecs:Instance:* event into a request naming that
// one instance. The instance comes from the subject ARN and/or
// data[.content].resourceId / instanceId (a bare ID or an instance ARN); all
// that are present must agree. The region comes from the first instance ARN,
// else data[.content].regionId, else aliyunregionid.
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
	add(dataField+".resourceId", d.ResourceID)
	add(dataField+".instanceId", d.InstanceID)
	state, dataRegion := d.State, d.RegionID
	if c := d.Content; c != nil {
		add(dataField+".content.resourceId", c.ResourceID)
		add(dataField+".content.instanceId", c.InstanceID)
		state, dataRegion = firstNonEmpty(state, c.State), firstNonEmpty(dataRegion, c.RegionID)
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
		return Request{}, "", invalid("subject", "the ECS event names no instance (want subject acs:ecs:REGION:ACCOUNT:instance/i-… or data.resourceId)")
	}
	region, regionField := regionID, "aliyunregionid"
	switch {
	case arnRegion != "":
		region, regionField = arnRegion, arnField
	case dataRegion != "":
		region, regionField = dataRegion, dataField+".regionId"
	}
	r := Request{Region: region, InstanceIDs: []string{first.id}}
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
