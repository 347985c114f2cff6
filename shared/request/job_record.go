package request

import (
	"encoding/json"
	"fmt"
	"strings"
	"unicode/utf8"
)

// jobRecordFields are the keys a job-completion record may carry. The
// metadata keys (jobId ... time) are read for logging or ignored; region,
// reason, keepOnFailure, snapshot and dryRun pass into the request.
var jobRecordFields = []string{
	"instanceId", "instanceIds", "status",
	"jobId", "jobName", "jobType", "exitCode", "message", "startTime", "endTime", "time",
	"region", "regionId", "reason", "keepOnFailure", "snapshot", "dryRun",
}

type jobRecord struct {
	InstanceID    string          `json:"instanceId"`
	InstanceIDs   []string        `json:"instanceIds"`
	Status        string          `json:"status"`
	JobID         json.RawMessage `json:"jobId"` // string or number
	JobName       string          `json:"jobName"`
	JobType       json.RawMessage `json:"jobType"`
	ExitCode      json.RawMessage `json:"exitCode"`
	Message       json.RawMessage `json:"message"`
	StartTime     json.RawMessage `json:"startTime"`
	EndTime       json.RawMessage `json:"endTime"`
	Time          json.RawMessage `json:"time"`
	Region        string          `json:"region"`
	RegionID      string          `json:"regionId"`
	Reason        string          `json:"reason"`
	KeepOnFailure bool            `json:"keepOnFailure"`
	Snapshot      bool            `json:"snapshot"`
	DryRun        *bool           `json:"dryRun"`
}

// decodeJobRecord reads {instanceId | instanceIds, status, ...}: a batch job
// finished on these instances. Errors name fields relative to the record.
func decodeJobRecord(raw json.RawMessage, obj object, info *EventInfo) (Request, error) {
	if err := checkFields(obj, jobRecordFields, "a job-completion record"); err != nil {
		return Request{}, err
	}
	var rec jobRecord
	if err := strictUnmarshal(raw, &rec); err != nil {
		return Request{}, err
	}
	status := normalizeJobStatus(rec.Status)
	if status == "" {
		return Request{}, invalid("status", "missing; a job-completion record needs the job's status")
	}
	if err := checkJobStatus("status", status); err != nil {
		return Request{}, err
	}
	var ids []string
	if rec.InstanceID != "" {
		if err := checkInstanceRef("instanceId", rec.InstanceID); err != nil {
			return Request{}, err
		}
		ids = append(ids, rec.InstanceID)
	}
	if len(rec.InstanceIDs) > MaxInstanceIDs {
		return Request{}, invalid("instanceIds", fmt.Sprintf("%d instance IDs; at most %d", len(rec.InstanceIDs), MaxInstanceIDs))
	}
	for i, id := range rec.InstanceIDs {
		if err := checkInstanceRef(fmt.Sprintf("instanceIds[%d]", i), id); err != nil {
			return Request{}, err
		}
	}
	ids = append(ids, rec.InstanceIDs...)
	if len(ids) == 0 {
		return Request{}, invalid("instanceId", "missing; a job-completion record needs instanceId or instanceIds")
	}
	region := rec.Region
	if rec.RegionID != "" {
		if region != "" && region != rec.RegionID {
			return Request{}, invalid("regionId", fmt.Sprintf("%s disagrees with region %s", quote(rec.RegionID), quote(region)))
		}
		region = rec.RegionID
	}
	jobID, err := scalarText(rec.JobID)
	if err != nil {
		return Request{}, within("jobId", err)
	}
	info.JobID, info.JobName = jobID, rec.JobName
	r := Request{
		Region:        region,
		InstanceIDs:   ids,
		Snapshot:      rec.Snapshot,
		KeepOnFailure: rec.KeepOnFailure,
		DryRun:        rec.DryRun,
		Reason:        jobReason(rec.Reason, jobID, rec.JobName, status),
		JobStatus:     status,
	}
	if err := prepare(&r); err != nil {
		if e, ok := AsError(err); ok && e.Field == "region" && rec.RegionID != "" {
			return Request{}, invalid("regionId", e.Message)
		}
		return Request{}, err
	}
	return r, nil
}

// jobReason is the record's reason, or "job <id> (<name>) finished: <status>".
func jobReason(reason, jobID, jobName, status string) string {
	if reason != "" {
		return reason
	}
	var b strings.Builder
	b.WriteString("job")
	if jobID != "" {
		b.WriteString(" " + jobID)
	}
	if jobName != "" {
		b.WriteString(" (" + jobName + ")")
	}
	b.WriteString(" finished: " + status)
	return truncateRunes(b.String(), MaxReasonLength)
}

func truncateRunes(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n])
}

// scalarText renders a JSON string or number as text; absent or null is "".
func scalarText(raw json.RawMessage) (string, error) {
	switch k := jsonKind(raw); k {
	case "nothing", "null":
		return "", nil
	case "string":
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return "", notJSON(err)
		}
		return s, nil
	case "number":
		return string(raw), nil
	default:
		return "", invalid("", "want a string or a number, got "+k)
	}
}
