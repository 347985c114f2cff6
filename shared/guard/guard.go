// Package guard decides, per instance and action, whether the functions may
// act, and says why not. Every refusal carries a stable code and a readable
// reason. The guards only ever forbid: nothing in a request can switch one
// off, with one exception a caller must ask for by name — acting on Auto
// Scaling members (IncludingAutoScaling). They are run on the instance as
// read immediately before each mutating call, not only when a request is
// planned.
package guard

import (
	"fmt"
	"slices"
	"strings"

	"github.com/fc-ecs-release/fc-ecs-release/shared/config"
	"github.com/fc-ecs-release/fc-ecs-release/shared/ecs"
)

// Action is what a function is about to do to an instance, and whether
// the request accepts acting on Auto Scaling members
// (IncludingAutoScaling).
type Action int

// Actions.
const (
	Stop Action = iota
	Release
	SetAutoRelease
	// CancelAutoRelease is an explicit cancel. Cancelling only narrows
	// what happens to an instance, so the protection tag, deletion
	// protection, Auto Scaling and ACK never refuse it; the managed scope
	// still does (a caller has no business with instances outside it).
	CancelAutoRelease
	// UndoAutoRelease is the sweep taking back an auto-release time this
	// tool set, on an instance that has since become protected,
	// deletion-protected, an Auto Scaling member or an ACK node, or left
	// the managed scope: only what ECS itself refuses (a lock, a
	// subscription) stops it.
	UndoAutoRelease
)

// includeAutoScaling marks an action whose request accepts acting on Auto
// Scaling members ("autoScaling": "include").
const includeAutoScaling Action = 1 << 8

// IncludingAutoScaling is a with the request's consent to act on Auto
// Scaling members: the auto-scaling guard then lets them through (every
// other guard still holds). Only stop and release take it.
func (a Action) IncludingAutoScaling() Action { return a | includeAutoScaling }

// includesAutoScaling reports whether the request accepts acting on Auto
// Scaling members.
func (a Action) includesAutoScaling() bool { return a&includeAutoScaling != 0 }

// base is the action without the request's consents.
func (a Action) base() Action { return a &^ includeAutoScaling }

func (a Action) String() string {
	s := [...]string{"stop", "release", "set auto-release time", "cancel auto-release time", "take back an auto-release time"}[a.base()]
	if a.includesAutoScaling() {
		s += " (Auto Scaling members included)"
	}
	return s
}

// Codes of the guards: stable, for machines; the reasons are for people.
const (
	CodeProtected          = "protected"
	CodeDeletionProtection = "deletion-protection"
	CodePrePaid            = "prepaid"
	CodeOutOfScope         = "out-of-scope"
	// CodeAutoScaling: a member of an Auto Scaling (ESS) group (system tag
	// acs:autoscaling:scalingGroupId). Stopping it makes ESS mark it
	// unhealthy, release it and launch a replacement; releasing it fights
	// the group's desired capacity. Skipped unless the request says
	// "autoScaling": "include".
	CodeAutoScaling = "auto-scaling"
	// CodeKubernetesNode: a node of an ACK cluster (tag ack.aliyun.com or
	// ack.alibabacloud.com/…). Never stopped, released or given an
	// auto-release time; no request can change that.
	CodeKubernetesNode = "kubernetes-node"
	// CodeLockedPrefix starts the code of an operation lock: "locked:"
	// and the lock's reason in lower case (LockCode).
	CodeLockedPrefix = "locked:"
	// The lock codes of the reasons ECS documents.
	CodeLockedSecurity               = CodeLockedPrefix + "security"
	CodeLockedFinancial              = CodeLockedPrefix + "financial"
	CodeLockedDedicatedHostFinancial = CodeLockedPrefix + "dedicatedhostfinancial"
	CodeLockedRefunded               = CodeLockedPrefix + "refunded"
	CodeLockedRecycling              = CodeLockedPrefix + "recycling"
)

// lockOrder is the fixed order in which an instance with several locks is
// given its code: the first of its reasons in this list, else the first
// of the others in alphabetical order. Security first (a person has to
// look), then the account's arrears, then the platform taking the
// instance back. The reason text lists every lock.
var lockOrder = []string{"security", "financial", "dedicatedhostfinancial", "refunded", "recycling"}

// LockCode is the code of an instance's operation locks (reasons as ECS
// writes them, in any case; "" when there is none): "locked:" and the
// reason that comes first in the fixed order, lower-cased, with any
// character other than a-z, 0-9, '.', '_' and '-' replaced by '-'
// (an empty reason reads "unknown").
func LockCode(reasons []string) string {
	if len(reasons) == 0 {
		return ""
	}
	norm := make([]string, len(reasons))
	for i, r := range reasons {
		norm[i] = lockReason(r)
	}
	for _, r := range lockOrder {
		if slices.Contains(norm, r) {
			return CodeLockedPrefix + r
		}
	}
	slices.Sort(norm)
	return CodeLockedPrefix + norm[0]
}

// IsLockCode reports whether code is an operation lock's.
func IsLockCode(code string) bool { return strings.HasPrefix(code, CodeLockedPrefix) }

func lockReason(r string) string {
	r = strings.ToLower(strings.TrimSpace(r))
	if r == "" {
		return "unknown"
	}
	return strings.Map(func(c rune) rune {
		if (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-' {
			return c
		}
		return '-'
	}, r)
}

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
//   - managed scope (out-of-scope): outside MANAGED_TAG nothing is done
//     (this is what keeps an HTTP caller from touching arbitrary
//     instances), except the sweep taking back its own auto-release time;
//   - protection tag (protected): never stopped, released or given an
//     auto-release time;
//   - ACK node (kubernetes-node): never stopped, released or given an
//     auto-release time — the cluster owns it: drain it and scale its node
//     pool instead;
//   - Auto Scaling member (auto-scaling): not stopped, released or given
//     an auto-release time unless the request includes them (stop and
//     release only) — ESS owns it;
//   - any operation lock (locked:<reason>): skipped for every action — ECS
//     refuses most of them, and a locked instance is in a state nobody
//     should automate;
//   - PrePaid (prepaid): never released, no auto-release time (set or
//     cancelled);
//   - deletion protection (deletion-protection): never released, and no
//     auto-release time is set, because native auto-release ignores
//     deletion protection.
//
// The first four are settled by who owns the instance and do not change
// with a retry; they come before the lock, which does.
func (p Policy) Check(a Action, in ecs.Instance) Verdict {
	act := a.base()
	if act != UndoAutoRelease && !p.InScope(in) {
		return Verdict{CodeOutOfScope, fmt.Sprintf("outside the managed scope: the instance lacks tag %s (MANAGED_TAG)", p.ManagedTag)}
	}
	narrows := act == CancelAutoRelease || act == UndoAutoRelease
	if !narrows && p.Protected(in) {
		return Verdict{CodeProtected, fmt.Sprintf("protected by tag %s: never stopped, released or given an auto-release time", p.ProtectTag)}
	}
	if !narrows {
		if tag, ok := in.KubernetesNode(); ok {
			return Verdict{CodeKubernetesNode, fmt.Sprintf("a Kubernetes node of an ACK cluster (tag %s): never stopped, released or given an auto-release time by this tool; drain it and scale its node pool in ACK instead", tag)}
		}
		if group, ok := in.ScalingGroup(); ok && !a.includesAutoScaling() {
			return Verdict{CodeAutoScaling, fmt.Sprintf("a member of Auto Scaling group %s (tag %s): stopping it makes ESS replace it, releasing it fights the group's desired capacity; not acted on unless the request says \"autoScaling\": \"include\" (to remove members, scale the group in: RemoveInstances or a lower desired capacity)", group, ecs.TagScalingGroupID)}
		}
	}
	if len(in.Locks) > 0 {
		return Verdict{LockCode(in.Locks), fmt.Sprintf("locked (OperationLocks: %s): not acted on", strings.Join(in.Locks, ", "))}
	}
	switch act {
	case Release, SetAutoRelease, CancelAutoRelease, UndoAutoRelease:
		if in.ChargeType == ecs.PrePaid {
			return Verdict{CodePrePaid, "subscription (PrePaid) instance: never released and never given an auto-release time"}
		}
	}
	switch act {
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
// auto-release time this tool set: it is protected, an ACK node, an Auto
// Scaling member, deletion-protected or outside the managed scope. The
// verdict says which.
func (p Policy) KeepsNoAutoRelease(in ecs.Instance) Verdict {
	tag, node := in.KubernetesNode()
	group, member := in.ScalingGroup()
	switch {
	case !p.InScope(in):
		return Verdict{CodeOutOfScope, fmt.Sprintf("left the managed scope (tag %s)", p.ManagedTag)}
	case p.Protected(in):
		return Verdict{CodeProtected, fmt.Sprintf("protected by tag %s", p.ProtectTag)}
	case node:
		return Verdict{CodeKubernetesNode, fmt.Sprintf("a Kubernetes node of an ACK cluster (tag %s)", tag)}
	case member:
		return Verdict{CodeAutoScaling, fmt.Sprintf("a member of Auto Scaling group %s", group)}
	case in.DeletionProtection:
		return Verdict{CodeDeletionProtection, "deletion protection is on (native auto-release would ignore it)"}
	}
	return Verdict{}
}
