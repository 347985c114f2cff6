package handler

import (
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

// Error codes of this package (instance errors from ECS carry ECS codes).
const (
	CodeUnfinished           = "Unfinished"
	CodeRestarted            = "Restarted"
	CodeNotVerified          = "NotVerified"
	CodeSnapshotFailed       = "SnapshotFailed"
	CodeInvalidConfiguration = "InvalidConfiguration"
	CodeCapExceeded          = "CapExceeded"
)

const (
	defaultReasonAlreadyStopping   = "already stopping"
	defaultReasonNothingHandedOver = "stop handed over no instances"
)

// ErrorInfo is the error of one instance.
type ErrorInfo struct {
	Code      string `json:"code"`
	Message   string `json:"message"`
	Retryable bool   `json:"retryable,omitempty"`
}

// InstanceOutcome is what happened to one instance, and why.
type InstanceOutcome struct {
	InstanceID      string     `json:"instanceId"`
	Outcome         string     `json:"outcome"`
	Reason          string     `json:"reason,omitempty"`
	Error           *ErrorInfo `json:"error,omitempty"`
	SnapshotIDs     []string   `json:"snapshotIds,omitempty"`
	AutoReleaseTime string     `json:"autoReleaseTime,omitempty"`
	Status          string     `json:"status,omitempty"`
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
	// Next is stop's hand-over to release (then:"release").
	Next *request.Request `json:"next,omitempty"`
}

func (r *Response) add(o InstanceOutcome) {
	r.Instances = append(r.Instances, o)
	r.Summary[o.Outcome]++
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
