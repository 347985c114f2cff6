// Package guard decides, per instance and action, whether the functions may
// act, and says why not. Every refusal carries a stable code and a readable
// reason. The guards only ever forbid: nothing in a request can switch one
// off. They are run on the instance as read immediately before each
// mutating call, not only when a request is planned.
package guard

import (
	"fmt"
	"strings"

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
	// CancelAutoRelease is an explicit cancel. Cancelling only narrows
	// what happens to an instance, so the protection tag and deletion
	// protection never refuse it; the managed scope still does (a caller
	// has no business with instances outside it).
	CancelAutoRelease
	// UndoAutoRelease is the sweep taking back an auto-release time this
	// tool set, on an instance that has since become protected,
	// deletion-protected or left the managed scope: only what ECS itself
	// refuses (a lock, a subscription) stops it.
	UndoAutoRelease
)

func (a Action) String() string {
	return [...]string{"stop", "release", "set auto-release time", "cancel auto-release time", "take back an auto-release time"}[a]
}

// Codes of the guards: stable, for machines; the reasons are for people.
const (
	CodeProtected          = "protected"
	CodeDeletionProtection = "deletion-protection"
	CodePrePaid            = "prepaid"
	CodeLocked             = "locked"
	CodeOutOfScope         = "out-of-scope"
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

// InScope reports whether an instance carries MANAGED_TAG (always true
// without a managed scope).
func (p Policy) InScope(in ecs.Instance) bool {
	if p.ManagedTag == nil {
		return true
	}
	v, ok := in.Tags[p.ManagedTag.Key]
	return ok && v == p.ManagedTag.Value
}

// Protected reports whether an instance carries the protection tag.
func (p Policy) Protected(in ecs.Instance) bool {
	v, ok := in.Tags[p.ProtectTag.Key]
	return ok && v == p.ProtectTag.Value
}

// Check runs the guards for one action on one instance, in a fixed order,
// and returns the first refusal.
//
//   - managed scope: outside MANAGED_TAG nothing is done (this is what keeps
//     an HTTP caller from touching arbitrary instances), except the sweep
//     taking back its own auto-release time;
//   - protection tag: never stopped, released or given an auto-release time;
//   - any operation lock (security, financial, recycling, ...): skipped for
//     every action — ECS refuses most of them, and a locked instance is in a
//     state nobody should automate;
//   - PrePaid: never released, no auto-release time (set or cancelled);
//   - deletion protection: never released, and no auto-release time is
//     set, because native auto-release ignores deletion protection.
func (p Policy) Check(a Action, in ecs.Instance) Verdict {
	if a != UndoAutoRelease && !p.InScope(in) {
		return Verdict{CodeOutOfScope, fmt.Sprintf("outside the managed scope: the instance lacks tag %s (MANAGED_TAG)", p.ManagedTag)}
	}
	narrows := a == CancelAutoRelease || a == UndoAutoRelease
	if !narrows && p.Protected(in) {
		return Verdict{CodeProtected, fmt.Sprintf("protected by tag %s: never stopped, released or given an auto-release time", p.ProtectTag)}
	}
	if len(in.Locks) > 0 {
		return Verdict{CodeLocked, fmt.Sprintf("locked (OperationLocks: %s): not acted on", strings.Join(in.Locks, ", "))}
	}
	switch a {
	case Release, SetAutoRelease, CancelAutoRelease, UndoAutoRelease:
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

// KeepsNoAutoRelease reports whether an instance must not carry an
// auto-release time this tool set: it is protected, deletion-protected or
// outside the managed scope. The verdict says which.
func (p Policy) KeepsNoAutoRelease(in ecs.Instance) Verdict {
	switch {
	case !p.InScope(in):
		return Verdict{CodeOutOfScope, fmt.Sprintf("left the managed scope (tag %s)", p.ManagedTag)}
	case p.Protected(in):
		return Verdict{CodeProtected, fmt.Sprintf("protected by tag %s", p.ProtectTag)}
	case in.DeletionProtection:
		return Verdict{CodeDeletionProtection, "deletion protection is on (native auto-release would ignore it)"}
	}
	return Verdict{}
}
