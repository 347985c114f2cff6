package ecsemu

import (
	"fmt"
	"slices"
	"strings"
)

// Operation lock reasons (OperationLocks.LockReason). DescribeInstances
// documents the LockReason filter values financial, security, recycling,
// dedicatedhostfinancial and refunded; the spot interruption guide and
// the DescribeInstances samples write an interrupted spot instance's lock
// as Recycling, which is what the emulator sets (LockRecycling). Both
// spellings are accepted in fleet files and by the admin API, and the
// LockReason filter matches either (UNCONFIRMED: ECS's own matching).
const (
	LockFinancial              = "financial"
	LockSecurity               = "security"
	LockRecycling              = "Recycling"
	LockRecyclingLower         = "recycling"
	LockDedicatedHostFinancial = "dedicatedhostfinancial"
	LockRefunded               = "refunded"
)

// LockReasons lists the lock reasons the emulator knows, in the order the
// docs list them (plus the Recycling spelling).
var LockReasons = []string{LockFinancial, LockSecurity, LockRecyclingLower, LockRecycling, LockDedicatedHostFinancial, LockRefunded}

func validLockReason(r string) bool { return slices.Contains(LockReasons, r) }

// lockOp is an operation an operation lock may refuse.
type lockOp int

const (
	opStart    lockOp = iota // StartInstance(s)
	opStop                   // StopInstance(s)
	opDelete                 // DeleteInstance(s)
	opModify                 // ModifyInstanceAttribute, ModifyInstanceAutoReleaseTime
	opSnapshot               // CreateSnapshot of an attached disk
)

// lockRefusal is the error a lock of the given reason answers op with, or
// nil when the lock does not refuse it. What each lock refuses:
//
//   - security: documented ("API behavior when an instance is locked for
//     security reasons"): StartInstance, ModifyInstanceAttribute,
//     ModifyInstanceAutoReleaseTime and CreateSnapshot of an In_use disk
//     fail with InstanceLockedForSecurity; DeleteInstance(s) are
//     unaffected (and release every disk, see store.releaseAt). StopInstance
//     is refused too: its own reference says a security-locked instance
//     cannot be stopped, while the lock page lists it as unaffected
//     (UNCONFIRMED which holds; the refusal is the safer reading).
//   - financial and dedicatedhostfinancial (overdue payment of the
//     instance or its dedicated host): stop and start answer 403
//     InstanceExpiredOrInArrears (documented for StopInstance: "pay-as-you-go
//     in arrears"; UNCONFIRMED for StartInstance, which also documents
//     InsufficientBalance); release, modification and snapshots are
//     unaffected (UNCONFIRMED).
//   - recycling / Recycling (an interrupted spot instance waiting to be
//     released) and refunded (a refunded subscription waiting to be
//     released): stop and start answer 403 IncorrectInstanceStatus;
//     release, modification and snapshots are unaffected (UNCONFIRMED: no
//     documented behaviour).
func lockRefusal(reason string, op lockOp) *apiError {
	switch reason {
	case LockSecurity:
		switch op {
		case opDelete:
			return nil
		case opSnapshot:
			return errf("InstanceLockedForSecurity", "The disk attached instance is locked due to security.")
		}
		return errf("InstanceLockedForSecurity", msgLocked)
	case LockFinancial, LockDedicatedHostFinancial:
		if op == opStart || op == opStop {
			return errf("InstanceExpiredOrInArrears", "The specified operation is denied as your instance is expired or your account is in arrears (lock %s).", reason)
		}
	case LockRecycling, LockRecyclingLower, LockRefunded:
		if op == opStart || op == opStop {
			return errf("IncorrectInstanceStatus", "The current status of the resource does not support this operation. The instance is locked (%s) and waits to be released.", reason)
		}
	}
	return nil
}

// lockCheck is the refusal of the first of the instance's locks that
// refuses op, or nil.
func (in *instance) lockCheck(op lockOp) *apiError {
	for _, l := range in.locks {
		if err := lockRefusal(l.LockReason, op); err != nil {
			return err
		}
	}
	return nil
}

// hasLock reports whether the instance carries a lock of the reason
// (recycling in either spelling).
func (in *instance) hasLock(reason string) bool {
	return slices.ContainsFunc(in.locks, func(l LockReason) bool { return sameLock(l.LockReason, reason) })
}

// sameLock compares lock reasons; the two spellings of recycling are one.
func sameLock(a, b string) bool {
	if strings.EqualFold(a, LockRecycling) && strings.EqualFold(b, LockRecycling) {
		return true
	}
	return a == b
}

// setLock adds (locked) or removes a lock; removing recycling removes
// either spelling.
func (in *instance) setLock(reason, msg string, locked bool) {
	kept := in.locks[:0:0]
	for _, l := range in.locks {
		if !sameLock(l.LockReason, reason) {
			kept = append(kept, l)
		}
	}
	if locked {
		kept = append(kept, LockReason{LockReason: reason, LockMsg: msg})
	}
	in.locks = kept
}

func errUnknownLock(reason string) error {
	return fmt.Errorf("lock reason %q is not one of %s", reason, strings.Join(LockReasons, ", "))
}
