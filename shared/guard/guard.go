// Package guard decides, per instance and action, whether the functions may
// act, and says why not (SPEC §5). Every skip carries a stable code and a
// readable reason. The guards only ever forbid: nothing in a request can
// switch one off.
package guard

import (
	"fmt"

	"github.com/fc-ecs-release/fc-ecs-release/shared/config"
	"github.com/fc-ecs-release/fc-ecs-release/shared/ecs"
)

// Action is what a function is about to do to an instance.
type Action int

// Actions.
const (
	Stop Action = iota
	Release
	SetAutoRelease
	CancelAutoRelease
)

func (a Action) String() string {
	return [...]string{"stop", "release", "set auto-release time", "cancel auto-release time"}[a]
}

// Codes of the guards.
const (
	CodeProtected          = "protected"
	CodeDeletionProtection = "deletion-protection"
	CodePrePaid            = "prepaid"
	CodeSecurityLock       = "security-lock"
	CodeOutsideScope       = "outside-managed-scope"
)

// Verdict is a guard's refusal; the zero Verdict allows.
type Verdict struct {
	Code   string
	Reason string
}

// Allowed reports whether no guard refused.
func (v Verdict) Allowed() bool { return v.Code == "" }

// Policy holds the deployment's guard settings.
type Policy struct {
	ProtectTag config.Tag
	ManagedTag *config.Tag
}

// PolicyFrom takes the guard settings from the configuration.
func PolicyFrom(c *config.Config) Policy {
	return Policy{ProtectTag: c.ProtectTag, ManagedTag: c.ManagedTag}
}

// Check runs the guards for one action on one instance, in a fixed order,
// and returns the first refusal.
//
//   - managed scope: outside MANAGED_TAG, nothing is done (this is what
//     keeps an HTTP caller from touching arbitrary instances);
//   - protection tag: never stopped, released or modified;
//   - security lock: skipped for every action;
//   - PrePaid: never released, no auto-release time (setting or cancelling);
//   - deletion protection: never released, and no auto-release time is
//     set, because native auto-release ignores deletion protection.
func (p Policy) Check(a Action, in ecs.Instance) Verdict {
	if p.ManagedTag != nil {
		if v, ok := in.Tags[p.ManagedTag.Key]; !ok || v != p.ManagedTag.Value {
			return Verdict{CodeOutsideScope, fmt.Sprintf("outside the managed scope: the instance lacks tag %s (MANAGED_TAG)", p.ManagedTag)}
		}
	}
	if v, ok := in.Tags[p.ProtectTag.Key]; ok && v == p.ProtectTag.Value {
		return Verdict{CodeProtected, fmt.Sprintf("protected by tag %s: never stopped, released or modified", p.ProtectTag)}
	}
	if in.SecurityLocked() {
		return Verdict{CodeSecurityLock, "locked for security reasons (OperationLocks: security)"}
	}
	switch a {
	case Release, SetAutoRelease, CancelAutoRelease:
		if in.ChargeType == ecs.PrePaid {
			return Verdict{CodePrePaid, "subscription (PrePaid) instance: never released and never given an auto-release time"}
		}
	}
	switch a {
	case Release:
		if in.DeletionProtection {
			return Verdict{CodeDeletionProtection, "deletion protection is on: never released (and never switched off by this tool)"}
		}
	case SetAutoRelease:
		if in.DeletionProtection {
			return Verdict{CodeDeletionProtection, "deletion protection is on: a native auto-release time would release it anyway, so none is set"}
		}
	}
	return Verdict{}
}
