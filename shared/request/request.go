package request

import (
	"slices"
	"strings"
	"time"
)

// Request is the one request model shared by the stop, release and
// autorelease functions. JSON names are the wire format; a Request
// marshals and decodes back (as a bare request) to an equal value.
type Request struct {
	Region          string    `json:"region,omitempty"`
	InstanceIDs     []string  `json:"instanceIds,omitempty"`
	Selector        *Selector `json:"selector,omitempty"`
	StoppedMode     string    `json:"stoppedMode,omitempty"` // StopCharging | KeepCharging; empty = configuration decides
	ForceStop       bool      `json:"forceStop,omitempty"`
	Force           bool      `json:"force,omitempty"`
	Snapshot        bool      `json:"snapshot,omitempty"`
	Then            string    `json:"then,omitempty"` // "" or "release"
	KeepOnFailure   bool      `json:"keepOnFailure,omitempty"`
	AutoReleaseTime string    `json:"autoReleaseTime,omitempty"` // RFC 3339, UTC ("Z")
	After           string    `json:"after,omitempty"`           // Go duration
	Cancel          bool      `json:"cancel,omitempty"`
	Sweep           bool      `json:"sweep,omitempty"`
	DryRun          *bool     `json:"dryRun,omitempty"` // nil = not said; an event may only turn dry run on
	MaxInstances    int       `json:"maxInstances,omitempty"`
	Reason          string    `json:"reason,omitempty"`
	OriginRequestID string    `json:"originRequestId,omitempty"`
	JobStatus       string    `json:"jobStatus,omitempty"` // lower case, from job-completion records
	// StoppedAt (RFC 3339, UTC) marks a hand-over: stop sets it on each
	// request it hands to release, to when it read the instances stopping
	// or stopped (or stopped them). Release then acts only on instances
	// that have not started since, and never stops one.
	StoppedAt string `json:"stoppedAt,omitempty"`
	// AutoScaling says what stop and release do with members of an Auto
	// Scaling group: "skip" (the default) or "include" (see hazards.go).
	AutoScaling string `json:"autoScaling,omitempty"`
	// StoppedModeFallback: "KeepCharging" lets a stop that ECS refuses in
	// economical mode (StopCharging) be made again in KeepCharging; empty,
	// such an instance fails (see hazards.go).
	StoppedModeFallback string `json:"stoppedModeFallback,omitempty"`
	// SpotInterruption marks the answer to a spot interruption: "delete"
	// or "stop", the action ECS takes (see spot_event.go). Release only;
	// the function reports and snapshots, and never acts on the instance.
	SpotInterruption string `json:"spotInterruption,omitempty"`
}

// Selector finds target instances by their attributes.
type Selector struct {
	Tags       map[string]string `json:"tags,omitempty"` // all must match; value "*" = any value
	Name       string            `json:"name,omitempty"` // glob, '*' matches any run of characters
	Status     []string          `json:"status,omitempty"`
	OlderThan  string            `json:"olderThan,omitempty"` // Go duration, against CreationTime
	Expired    bool              `json:"expired,omitempty"`
	ChargeType string            `json:"chargeType,omitempty"` // PostPaid (default when empty) | PrePaid
	// Idle narrows the selection to instances CloudMonitor shows idle.
	Idle *IdleSpec `json:"idle,omitempty"`
}

// Accepted enumerations.
const (
	StoppedModeStopCharging = "StopCharging"
	StoppedModeKeepCharging = "KeepCharging"

	ThenRelease = "release"

	ChargeTypePostPaid = "PostPaid"
	ChargeTypePrePaid  = "PrePaid"
)

// instanceStatuses are the ECS statuses a selector may name.
var instanceStatuses = []string{"Pending", "Running", "Starting", "Stopping", "Stopped"}

// InstanceStatuses returns the ECS statuses a selector may name.
func InstanceStatuses() []string { return slices.Clone(instanceStatuses) }

// IsDryRun reports whether the request asks for a dry run.
func (r Request) IsDryRun() bool { return r.DryRun != nil && *r.DryRun }

// IsHandOver reports whether the request is stop's hand-over (StoppedAt set).
func (r Request) IsHandOver() bool { return r.StoppedAt != "" }

// StoppedAtTime is the parsed StoppedAt; false when empty or invalid.
func (r Request) StoppedAtTime() (time.Time, bool) {
	if r.StoppedAt == "" {
		return time.Time{}, false
	}
	t, err := parseUTC(r.StoppedAt)
	return t, err == nil
}

// HasTargets reports whether the request names instances or a selector.
func (r Request) HasTargets() bool { return len(r.InstanceIDs) > 0 || r.Selector != nil }

// AfterDuration is the parsed After; 0 when empty or invalid (Decode rejects
// invalid values, so after Decode 0 means "not set").
func (r Request) AfterDuration() time.Duration { return parseDuration(r.After) }

// AutoReleaseAt is the parsed AutoReleaseTime; false when empty or invalid.
func (r Request) AutoReleaseAt() (time.Time, bool) {
	if r.AutoReleaseTime == "" {
		return time.Time{}, false
	}
	t, err := parseUTC(r.AutoReleaseTime)
	if err != nil {
		return time.Time{}, false
	}
	return t, true
}

// OlderThanDuration is the parsed OlderThan; 0 when empty or invalid.
func (s Selector) OlderThanDuration() time.Duration { return parseDuration(s.OlderThan) }

// EffectiveChargeType is ChargeType with the PostPaid default applied.
func (s Selector) EffectiveChargeType() string {
	if s.ChargeType == "" {
		return ChargeTypePostPaid
	}
	return s.ChargeType
}

// JobOutcome classifies JobStatus.
type JobOutcome int

const (
	JobNone      JobOutcome = iota // no job status (not a job-completion event)
	JobSucceeded                   // a known success value
	JobFailed                      // a known failure value
	JobUnknown                     // a status this package does not recognise
)

// Known job status values (after lower-casing). See doc.go.
var (
	jobSuccessStatuses = []string{"succeeded", "success", "successful", "completed", "complete", "done", "finished", "ok"}
	jobFailureStatuses = []string{"failed", "failure", "fail", "error", "errored", "aborted", "cancelled", "canceled",
		"timeout", "timedout", "timed_out", "timed-out", "killed", "crashed", "oom", "oomkilled"}
)

// JobOutcome classifies JobStatus into success, failure or unknown.
func (r Request) JobOutcome() JobOutcome {
	status := normalizeJobStatus(r.JobStatus)
	switch {
	case status == "":
		return JobNone
	case slices.Contains(jobSuccessStatuses, status):
		return JobSucceeded
	case slices.Contains(jobFailureStatuses, status):
		return JobFailed
	default:
		return JobUnknown
	}
}

// KeepAfterStop reports whether keepOnFailure applies: the request came from
// a job-completion record whose status is not a known success, and the
// caller asked to keep failed jobs' instances. Unknown statuses count as
// failures here: keeping an instance is the reversible choice.
func (r Request) KeepAfterStop() bool {
	if !r.KeepOnFailure {
		return false
	}
	o := r.JobOutcome()
	return o == JobFailed || o == JobUnknown
}

func parseDuration(s string) time.Duration {
	if s == "" {
		return 0
	}
	d, err := time.ParseDuration(s)
	if err != nil || d <= 0 {
		return 0
	}
	return d
}

func parseUTC(s string) (time.Time, error) {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, err
	}
	if !strings.HasSuffix(s, "Z") {
		return time.Time{}, errNotUTC
	}
	return t.UTC(), nil
}
