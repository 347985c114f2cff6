// Package clock is the time source of the functions: real in production, a
// fake in tests so that waiting and backoff run without sleeping.
package clock

import (
	"context"
	"sync"
	"time"
)

// Clock tells time and sleeps.
type Clock interface {
	Now() time.Time
	// Sleep waits d or until ctx is done (then it returns ctx.Err()).
	Sleep(ctx context.Context, d time.Duration) error
}

// Real is the wall clock.
type Real struct{}

// Now returns time.Now().
func (Real) Now() time.Time { return time.Now() }

// Sleep waits d or until ctx is done.
func (Real) Sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// Fake is a clock that moves only when told to or when something sleeps on
// it: Sleep advances it by d at once. OnSleep, if set, runs after each
// advance (tests use it to move an emulator's clock along).
type Fake struct {
	mu      sync.Mutex
	now     time.Time
	slept   time.Duration
	sleeps  int
	OnSleep func(d time.Duration)
}

// NewFake returns a Fake standing at t.
func NewFake(t time.Time) *Fake { return &Fake{now: t} }

// Now returns the fake time.
func (f *Fake) Now() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.now
}

// Advance moves the fake time forward.
func (f *Fake) Advance(d time.Duration) {
	f.mu.Lock()
	f.now = f.now.Add(d)
	f.mu.Unlock()
}

// Sleep advances the clock by d (if ctx is not done) and calls OnSleep.
func (f *Fake) Sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if d <= 0 {
		return nil
	}
	f.mu.Lock()
	f.now = f.now.Add(d)
	f.slept += d
	f.sleeps++
	hook := f.OnSleep
	f.mu.Unlock()
	if hook != nil {
		hook(d)
	}
	return nil
}

// Slept returns the total time slept and the number of sleeps.
func (f *Fake) Slept() (time.Duration, int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.slept, f.sleeps
}

// Remaining is the time left before ctx's deadline as seen by c, and
// whether ctx has a deadline at all.
func Remaining(ctx context.Context, c Clock) (time.Duration, bool) {
	dl, ok := ctx.Deadline()
	if !ok {
		return 0, false
	}
	return dl.Sub(c.Now()), true
}
