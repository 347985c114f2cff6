package ecsemu

import (
	"errors"
	"fmt"
	"time"
)

// ErrInstanceNotFound is wrapped by the errors of library calls naming an
// instance the emulator does not hold.
var ErrInstanceNotFound = errors.New("not found")

// The operator: changes made to instances by someone other than the API
// caller under test — a person in the console, another tool, the platform.
// They take effect at the emulator's current time, are not API calls (no
// signature, no call record, no faults) and follow ECS's rules for the same
// change where it has one (a start needs a Stopped, unlocked instance).
// Tests and the world simulation use them to change the world while a
// function runs.

// operate runs fn on instance id under the lock, after applying what is due.
func (e *Emulator) operate(id string, fn func(in *instance, now time.Time) error) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	now := e.now()
	e.st.tick(now)
	in := e.st.instances[id]
	if in == nil {
		return fmt.Errorf("ecsemu: instance %q %w", id, ErrInstanceNotFound)
	}
	return fn(in, now)
}

// OperatorStart starts a Stopped instance (as StartInstance would).
func (e *Emulator) OperatorStart(id string) error {
	return e.operate(id, func(in *instance, now time.Time) error {
		if err := startCheck(in); err != nil {
			return fmt.Errorf("ecsemu: start %s: %s", id, err.Code)
		}
		e.doStart(in, now)
		return nil
	})
}

// OperatorStop stops a Running instance in standard mode (KeepCharging),
// as someone in the console might.
func (e *Emulator) OperatorStop(id string, force bool) error {
	return e.operate(id, func(in *instance, now time.Time) error {
		if err := stopCheck(in, "KeepCharging"); err != nil {
			return fmt.Errorf("ecsemu: stop %s: %s", id, err.Code)
		}
		e.doStop(in, force, "KeepCharging", now)
		return nil
	})
}

// OperatorRelease releases an instance by hand, whatever its state and
// guards (as the console's forced release, or a platform release).
func (e *Emulator) OperatorRelease(id string) error {
	return e.operate(id, func(in *instance, now time.Time) error {
		e.st.release(id, causeOperator)
		return nil
	})
}

// SetTag adds a tag or replaces its value.
func (e *Emulator) SetTag(id, key, value string) error {
	return e.operate(id, func(in *instance, now time.Time) error {
		for i := range in.tags {
			if in.tags[i].TagKey == key {
				in.tags[i].TagValue = value
				return nil
			}
		}
		in.tags = append(in.tags, Tag{TagKey: key, TagValue: value})
		return nil
	})
}

// RemoveTag removes a tag (absent: nothing happens).
func (e *Emulator) RemoveTag(id, key string) error {
	return e.operate(id, func(in *instance, now time.Time) error {
		kept := in.tags[:0]
		for _, t := range in.tags {
			if t.TagKey != key {
				kept = append(kept, t)
			}
		}
		in.tags = kept
		return nil
	})
}

// SetDeletionProtection switches deletion protection on or off.
func (e *Emulator) SetDeletionProtection(id string, on bool) error {
	return e.operate(id, func(in *instance, now time.Time) error {
		in.deletionProtection = on
		return nil
	})
}

// SetLock adds or removes an operation lock of the given reason (one of
// LockReasons: security, financial, recycling or Recycling,
// dedicatedhostfinancial, refunded). Removing recycling removes either
// spelling. What each lock refuses: see lockRefusal (docs/emulator.md).
func (e *Emulator) SetLock(id, reason string, locked bool) error {
	if !validLockReason(reason) {
		return fmt.Errorf("ecsemu: %w", errUnknownLock(reason))
	}
	return e.operate(id, func(in *instance, now time.Time) error {
		in.setLock(reason, "", locked)
		return nil
	})
}

// SetAutoReleaseTime sets (zero: cancels) an instance's auto-release time
// without the API's window check, as another tool might have set it.
func (e *Emulator) SetAutoReleaseTime(id string, t time.Time) error {
	return e.operate(id, func(in *instance, now time.Time) error {
		in.autoRelease = t.UTC().Truncate(time.Minute)
		if !in.autoRelease.IsZero() {
			e.st.due(in, in.autoRelease)
		}
		return nil
	})
}
