package handler

import (
	"github.com/fc-ecs-release/fc-ecs-release/shared/answer"
	"github.com/fc-ecs-release/fc-ecs-release/shared/guard"
)

// Outcomes (see package answer).
const (
	OutcomeStopping               = answer.OutcomeStopping
	OutcomeAlreadyStopped         = answer.OutcomeAlreadyStopped
	OutcomeReleased               = answer.OutcomeReleased
	OutcomeAlreadyReleased        = answer.OutcomeAlreadyReleased
	OutcomeAutoReleaseSet         = answer.OutcomeAutoReleaseSet
	OutcomeAutoReleaseCancelled   = answer.OutcomeAutoReleaseCancelled
	OutcomeSkipped                = answer.OutcomeSkipped
	OutcomeFailed                 = answer.OutcomeFailed
	OutcomeWouldStop              = answer.OutcomeWouldStop
	OutcomeWouldRelease           = answer.OutcomeWouldRelease
	OutcomeWouldSetAutoRelease    = answer.OutcomeWouldSetAutoRelease
	OutcomeWouldCancelAutoRelease = answer.OutcomeWouldCancelAutoRelease
	OutcomeStatus                 = answer.OutcomeStatus
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

// FlagStoppedStillCharging: see package answer.
const FlagStoppedStillCharging = answer.FlagStoppedStillCharging

// Codes of invocation-level errors (request.Error.Code).
const (
	CodeInvalidConfiguration = "InvalidConfiguration"
	CodeCapExceeded          = "CapExceeded"
)

const (
	defaultReasonNothingHandedOver = "stop handed over no instances"
)

// The answer's types are the wire contract of package answer.
type (
	ErrorInfo       = answer.ErrorInfo
	InstanceOutcome = answer.InstanceOutcome
	Response        = answer.Response
	Warning         = answer.Warning
)

// retryable lists the instances whose failure a retry may fix.
func retryable(r *Response) []InstanceOutcome {
	var out []InstanceOutcome
	for _, o := range r.Instances {
		if o.Error != nil && o.Error.Retryable {
			out = append(out, o)
		}
	}
	return out
}
