// Package answer is the functions' wire contract: the JSON answer every
// function returns (and logs, and hands to FC's destinations), shared as
// one set of types by the functions, the local runner, the notifier and
// the benchmark. It links no SDK (package resource holds the instance and
// disk shapes), so the tools that only read answers build quickly.
package answer

import (
	"github.com/fc-ecs-release/fc-ecs-release/shared/request"
	"github.com/fc-ecs-release/fc-ecs-release/shared/resource"
)

// Outcomes: what happened to one instance.
const (
	OutcomeStopping               = "stopping"
	OutcomeAlreadyStopped         = "already-stopped"
	OutcomeReleased               = "released"
	OutcomeAlreadyReleased        = "already-released"
	OutcomeAutoReleaseSet         = "auto-release-set"
	OutcomeAutoReleaseCancelled   = "auto-release-cancelled"
	OutcomeSkipped                = "skipped"
	OutcomeFailed                 = "failed"
	OutcomeWouldStop              = "would-stop"
	OutcomeWouldRelease           = "would-release"
	OutcomeWouldSetAutoRelease    = "would-set-auto-release"
	OutcomeWouldCancelAutoRelease = "would-cancel-auto-release"
	// OutcomeStatus answers autorelease's HTTP GET: the current setting,
	// no action taken.
	OutcomeStatus = "status"
)

// Acted reports whether an outcome is an action this invocation took:
// something was stopped, released, or given or relieved of an auto-release
// time. ("already-…" outcomes found the work done.)
func Acted(outcome string) bool {
	switch outcome {
	case OutcomeStopping, OutcomeReleased, OutcomeAutoReleaseSet, OutcomeAutoReleaseCancelled:
		return true
	}
	return false
}

// Preview reports whether an outcome is a dry run's "would …".
func Preview(outcome string) bool {
	switch outcome {
	case OutcomeWouldStop, OutcomeWouldRelease, OutcomeWouldSetAutoRelease, OutcomeWouldCancelAutoRelease:
		return true
	}
	return false
}

// Flags note what an outcome alone does not say; the answer's summary
// counts each flag beside the outcomes.
const (
	// FlagStoppedStillCharging: the instance ends stopped (not released or
	// handed to release) while it still costs its vCPU and memory — the
	// stop asked StopCharging, and ECS reports KeepCharging or
	// Not-applicable (or the request's stoppedModeFallback stopped it in
	// KeepCharging).
	FlagStoppedStillCharging = "stopped-still-charging"
)

// Warning codes.
const (
	// WarningReleaseSoon: the instance has an auto-release time within
	// WARN_BEFORE (set by this sweep or found on it).
	WarningReleaseSoon = "release-soon"
	// WarningStillBilling: something this invocation left behind keeps
	// billing — disks or an elastic IP that outlive a release, the compute
	// of an instance stopped in KeepCharging.
	WarningStillBilling = "still-billing"
)

// ErrorInfo is the error of one instance: Code is ECS's error code (or
// Unfinished, SnapshotFailed, NotVerified), Message the detail.
type ErrorInfo struct {
	Code      string `json:"code"`
	Message   string `json:"message"`
	Retryable bool   `json:"retryable,omitempty"`
}

// InstanceOutcome is what happened to one instance, and why.
type InstanceOutcome struct {
	InstanceID string `json:"instanceId"`
	// Name and Owner are the instance's name and the value of its owner
	// tag (OWNER_TAG), as last read; notifications group by Owner.
	Name    string `json:"name,omitempty"`
	Owner   string `json:"owner,omitempty"`
	Outcome string `json:"outcome"`
	// Code is set on every skipped and failed outcome.
	Code   string     `json:"code,omitempty"`
	Reason string     `json:"reason,omitempty"`
	Error  *ErrorInfo `json:"error,omitempty"`
	// Request is the 1-based number of the request (batch element or
	// hand-over) the outcome belongs to, when the invocation carried more
	// than one.
	Request         int      `json:"request,omitempty"`
	SnapshotIDs     []string `json:"snapshotIds,omitempty"`
	AutoReleaseTime string   `json:"autoReleaseTime,omitempty"`
	Status          string   `json:"status,omitempty"`
	// StoppedMode is the StoppedMode ECS reports for an instance stop or
	// release leaves Stopped (StopCharging, KeepCharging, Not-applicable):
	// the mode ECS applied, read once the instance is Stopped. It is not
	// known for one still Stopping (outcome "stopping"): the next read
	// tells (release's, for a hand-over).
	StoppedMode string `json:"stoppedMode,omitempty"`
	// Flags: see the Flag* constants.
	Flags []string `json:"flags,omitempty"`
	// Receipt answers a spot interruption: what ECS's reclaim takes, what
	// survives it, the snapshots started before it.
	Receipt *Receipt `json:"receipt,omitempty"`
}

// Warning is something people should know before it costs them: an
// instance about to be released, a leftover that keeps billing.
type Warning struct {
	Code       string `json:"code"`
	InstanceID string `json:"instanceId"`
	Name       string `json:"name,omitempty"`
	Owner      string `json:"owner,omitempty"`
	Message    string `json:"message"`
	// AutoReleaseTime is when the instance will be released
	// (WarningReleaseSoon).
	AutoReleaseTime string `json:"autoReleaseTime,omitempty"`
	// Resources are what keeps billing (WarningStillBilling): disk IDs,
	// elastic IP allocation IDs, "compute".
	Resources []string `json:"resources,omitempty"`
	// PerHour is what it costs an hour, when the price could be read.
	PerHour *float64 `json:"perHour,omitempty"`
	// Currency of PerHour.
	Currency string `json:"currency,omitempty"`
}

// FailureReport is a function's answer to FC's onFailure destination
// record: work that was left after FC's last retry (or dropped as too
// old). The function reports it and acts on nothing.
type FailureReport struct {
	// Function is the function whose invocation failed (from the record's
	// functionArn), FunctionARN the ARN itself.
	Function    string `json:"function"`
	FunctionARN string `json:"functionArn,omitempty"`
	// Condition is FC's: HandledInvocationError, UnhandledInvocationError,
	// EventAgeExceeded, ...
	Condition string `json:"condition"`
	// Attempts is FC's approximateInvokeCount.
	Attempts  int    `json:"attempts,omitempty"`
	RequestID string `json:"requestId,omitempty"`
	// Error is the failed invocation's error message (secrets masked).
	Error string `json:"error,omitempty"`
	// InstanceIDs are the instances the work was about, as far as the
	// record tells (named by the error or by the request).
	InstanceIDs []string `json:"instanceIds,omitempty"`
	// Request describes the request that failed (reason, selector, ...).
	Request string `json:"request,omitempty"`
	// Advice says what to do now.
	Advice string `json:"advice"`
}

// Response is every function's answer.
type Response struct {
	RequestID string `json:"requestId"`
	Function  string `json:"function"`
	// Region is the function's region (or the region of its first
	// request); Trigger the shape of the event that invoked it: timer,
	// fc-http, cloudevent, cloudevent-batch, fc-destination,
	// fc-destination:onFailure, aws-eventbridge, cloudmonitor, direct, ...
	Region  string `json:"region,omitempty"`
	Trigger string `json:"trigger,omitempty"`
	DryRun  bool   `json:"dryRun"`
	// DryRunSource says who asked for the dry run: "deployment" or "request".
	DryRunSource string            `json:"dryRunSource,omitempty"`
	Instances    []InstanceOutcome `json:"instances"`
	Summary      Summary           `json:"summary"`
	Warnings     []Warning         `json:"warnings,omitempty"`
	// Failure is the report of an onFailure destination record.
	Failure *FailureReport `json:"failure,omitempty"`
	// Next is stop's hand-over to release (then:"release"): one request per
	// request of the invocation that handed anything over, each with its
	// own options and stoppedAt.
	Next []request.Request `json:"next,omitempty"`
}

// NewResponse is an empty answer.
func NewResponse(requestID, function string) *Response {
	return &Response{RequestID: requestID, Function: function, Instances: []InstanceOutcome{}, Summary: Summary{Counts: map[string]int{}}}
}

// Add appends an outcome and counts it (and its flags) in the summary.
func (r *Response) Add(o InstanceOutcome) {
	r.Instances = append(r.Instances, o)
	if r.Summary.Counts == nil {
		r.Summary.Counts = map[string]int{}
	}
	r.Summary.Counts[o.Outcome]++
	for _, f := range o.Flags {
		r.Summary.Counts[f]++
	}
}

// HandedOver counts the instances in Next.
func (r *Response) HandedOver() int {
	n := 0
	for _, req := range r.Next {
		n += len(req.InstanceIDs)
	}
	return n
}

// Receipt is the record of an instance's end: written (logged) for every
// instance release releases, enough to recreate it and the resources that
// outlive it and keep billing; and, in the answer, for a spot instance ECS
// is about to reclaim (the interruption's receipt: what the reclaim takes,
// what survives it, the snapshots started before it).
type Receipt struct {
	Instance    resource.Instance `json:"instance"`
	Disks       []resource.Disk   `json:"disks"`
	SnapshotIDs []string          `json:"snapshotIds,omitempty"`
	// StopRequestID and DeleteRequestID are the ECS requests that stopped
	// and released it (releases only).
	StopRequestID   string `json:"stopRequestId,omitempty"`
	DeleteRequestID string `json:"deleteRequestId,omitempty"`
	OriginRequestID string `json:"originRequestId,omitempty"`
	Reason          string `json:"reason,omitempty"`
	// SpotInterruption is the action ECS takes on the spot instance it
	// reclaims: "delete" or "stop" (interruption receipts only).
	SpotInterruption string `json:"spotInterruption,omitempty"`
	// Lost is what goes with the instance: the disks deleted with it, its
	// public IP (interruption receipts).
	Lost []string `json:"lost,omitempty"`
	// Leftovers keep billing after the instance is gone: disks not deleted
	// with the instance, an elastic IP.
	Leftovers []string `json:"leftovers,omitempty"`
	// Snapshots are the snapshots of the disks the reclaim deletes, one
	// per disk, taken before it (interruption receipts, when asked).
	Snapshots []ReceiptSnapshot `json:"snapshots,omitempty"`
}

// ReceiptSnapshot is a disk's snapshot in an interruption receipt.
type ReceiptSnapshot struct {
	DiskID     string `json:"diskId"`
	SnapshotID string `json:"snapshotId,omitempty"`
	// Status is ECS's (progressing, accomplished, failed) as read when the
	// answer was written, or would-snapshot in a dry run.
	Status string `json:"status"`
}

// StatusWouldSnapshot is a receipt snapshot's status in a dry run.
const StatusWouldSnapshot = "would-snapshot"
