package handler

import (
	"github.com/fc-ecs-release/fc-ecs-release/shared/guard"
	"github.com/fc-ecs-release/fc-ecs-release/shared/request"
)

// Outcomes.
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

// Codes: every skipped or failed outcome carries one, beside its reason.
// They are stable (for machines and tests); reasons are for people.
const (
	// Guards (see package guard).
	CodeProtected          = guard.CodeProtected
	CodeDeletionProtection = guard.CodeDeletionProtection
	CodePrePaid            = guard.CodePrePaid
	CodeOutOfScope         = guard.CodeOutOfScope
	CodeAutoScaling        = guard.CodeAutoScaling
	CodeKubernetesNode     = guard.CodeKubernetesNode
	// An operation lock: "locked:" and its reason in lower case
	// (guard.LockCode); these are the reasons ECS documents.
	CodeLockedSecurity               = guard.CodeLockedSecurity
	CodeLockedFinancial              = guard.CodeLockedFinancial
	CodeLockedDedicatedHostFinancial = guard.CodeLockedDedicatedHostFinancial
	CodeLockedRefunded               = guard.CodeLockedRefunded
	CodeLockedRecycling              = guard.CodeLockedRecycling
	// CodeRestarted: the instance started (or is running) since the stop
	// or the read a release relies on; it is not stopped again or released.
	CodeRestarted = "restarted"
	// CodeNotFound: not in the region asked for (when it was looked for).
	CodeNotFound = "not-found"
	// CodeWrongStatus: the instance is in a status the action does not
	// apply to (Pending, Starting, ...).
	CodeWrongStatus = "wrong-status"
	// CodeKept: a failed job's instance, stopped and kept (keepOnFailure).
	CodeKept = "kept"
	// CodeConflict: named by several requests of one invocation with
	// different options; not acted on. CodeDuplicate: named again by a
	// later request with the same options; acted on once, by the first.
	CodeConflict  = "conflict"
	CodeDuplicate = "duplicate"
	// Autorelease: the sweep's reasons to leave an instance alone.
	CodeNoTTL          = "no-ttl"
	CodeInvalidTTL     = "invalid-ttl"
	CodeHasAutoRelease = "has-auto-release-time"
	CodeNoCreationTime = "no-creation-time"
	// CodeNotOurs: an auto-release time on an instance that must not carry
	// one, set by someone else (or changed since this tool set it): reported,
	// not changed.
	CodeNotOurs = "not-ours"
	// Failures.
	CodeUnfinished     = "unfinished"      // the deadline came first; retryable
	CodeSnapshotFailed = "snapshot-failed" // retryable
	CodeNotVerified    = "not-verified"    // retryable
	CodeECSError       = "ecs-error"       // error.code holds ECS's code
	// CodeEconomicalModeUnsupported: ECS refused to stop the instance in
	// economical mode (403 InvalidInstanceId.NotSupport, in error.code) and
	// the request did not allow stoppedModeFallback: not stopped, not
	// retryable.
	CodeEconomicalModeUnsupported = "economical-mode-unsupported"
)

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

// Codes of invocation-level errors (request.Error.Code).
const (
	CodeInvalidConfiguration = "InvalidConfiguration"
	CodeCapExceeded          = "CapExceeded"
)

const (
	defaultReasonNothingHandedOver = "stop handed over no instances"
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
	Outcome    string `json:"outcome"`
	// Code is set on every skipped and failed outcome (see the Code*
	// constants).
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
	// survives it, the snapshots started before it (see receipt.go).
	Receipt *Receipt `json:"receipt,omitempty"`
}

// Response is every function's answer.
type Response struct {
	RequestID string `json:"requestId"`
	Function  string `json:"function"`
	DryRun    bool   `json:"dryRun"`
	// DryRunSource says who asked for the dry run: "deployment" or "request".
	DryRunSource string            `json:"dryRunSource,omitempty"`
	Instances    []InstanceOutcome `json:"instances"`
	Summary      map[string]int    `json:"summary"`
	// Next is stop's hand-over to release (then:"release"): one request per
	// request of the invocation that handed anything over, each with its
	// own options and stoppedAt.
	Next []request.Request `json:"next,omitempty"`
}

func (r *Response) add(o InstanceOutcome) {
	r.Instances = append(r.Instances, o)
	r.Summary[o.Outcome]++
	for _, f := range o.Flags {
		r.Summary[f]++
	}
}

// retryable lists the instances whose failure a retry may fix.
func (r *Response) retryable() []InstanceOutcome {
	var out []InstanceOutcome
	for _, o := range r.Instances {
		if o.Error != nil && o.Error.Retryable {
			out = append(out, o)
		}
	}
	return out
}

// handedOver counts the instances in Next.
func (r *Response) handedOver() int {
	n := 0
	for _, req := range r.Next {
		n += len(req.InstanceIDs)
	}
	return n
}
