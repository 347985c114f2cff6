// Package waiter waits until every one of a set of items reaches a wanted
// state: exponential backoff with jitter between min and max delay, a
// required maximum wait clipped to the context deadline minus a safety
// margin, per-item terminal failures, and an injected clock and randomness.
// It knows nothing of ECS: the caller's CheckFunc reads the states (in
// batches) and says which items are done, failed or still pending.
package waiter

import (
	"context"
	"errors"
	"fmt"
	"math/rand"
	"time"

	"github.com/fc-ecs-release/fc-ecs-release/shared/clock"
)

// Defaults.
const (
	DefaultMinDelay = 2 * time.Second
	DefaultMaxDelay = 20 * time.Second
	DefaultMargin   = 10 * time.Second
)

// State of one item.
type State int

// States.
const (
	Pending State = iota
	Done
	Failed
)

// Status is what a check says of one item.
type Status struct {
	State  State
	Reason string // why it failed (or a note on a done item, e.g. "gone")
}

// CheckFunc reads the current state of ids. Items missing from the answer
// stay pending.
type CheckFunc func(ctx context.Context, ids []string) (map[string]Status, error)

// Options configure a wait.
type Options struct {
	MinDelay time.Duration // first delay (default DefaultMinDelay)
	MaxDelay time.Duration // delay cap (default DefaultMaxDelay)
	// MaxWait is required: the longest the wait may take.
	MaxWait time.Duration
	// Margin is kept free before the context deadline (default DefaultMargin).
	Margin time.Duration
	Clock  clock.Clock
	// Rand returns a number in [0,1) for jitter (default math/rand).
	Rand func() float64
	// StatesKnown says the caller has just read every item's state (all
	// pending), so the first check waits MinDelay instead of running at
	// once.
	StatesKnown bool
}

// Result says how each item ended.
type Result struct {
	Done    []string          // reached the wanted state
	Notes   map[string]string // reasons given with Done items
	Failed  map[string]string // terminal for the item, with the reason
	Pending []string          // still pending when the wait ended
	// Checks is the number of check rounds; Waited the time spent sleeping.
	Checks int
	Waited time.Duration
}

// ErrInvalidOptions is returned for unusable Options.
var ErrInvalidOptions = errors.New("waiter: invalid options")

func (o *Options) normalize() error {
	if o.MinDelay == 0 {
		o.MinDelay = DefaultMinDelay
	}
	if o.MaxDelay == 0 {
		o.MaxDelay = max(DefaultMaxDelay, o.MinDelay)
	}
	if o.Margin == 0 {
		o.Margin = DefaultMargin
	}
	if o.Clock == nil {
		o.Clock = clock.Real{}
	}
	if o.Rand == nil {
		o.Rand = rand.Float64
	}
	switch {
	case o.MaxWait <= 0:
		return fmt.Errorf("%w: MaxWait is required and must be positive", ErrInvalidOptions)
	case o.MinDelay < 0 || o.MaxDelay < o.MinDelay:
		return fmt.Errorf("%w: want 0 <= MinDelay (%v) <= MaxDelay (%v)", ErrInvalidOptions, o.MinDelay, o.MaxDelay)
	case o.Margin < 0:
		return fmt.Errorf("%w: Margin %v is negative", ErrInvalidOptions, o.Margin)
	}
	return nil
}

// Delay is the sleep before check attempt+1 (attempt counts from 1):
// a uniform draw in [MinDelay, min(MaxDelay, MinDelay·2^(attempt-1))].
func Delay(attempt int, minDelay, maxDelay time.Duration, r float64) time.Duration {
	hi := minDelay
	for i := 1; i < attempt && hi < maxDelay; i++ {
		hi *= 2
	}
	hi = min(hi, maxDelay)
	return minDelay + time.Duration(r*float64(hi-minDelay))
}

// Wait checks ids until none is pending or the budget is spent. The budget
// ends at start+MaxWait or at the context deadline minus Margin, whichever
// is first; the last check happens at that end. It returns an error only for
// invalid options, a failed check (the result then holds what was known) or
// a cancelled context.
func Wait(ctx context.Context, ids []string, check CheckFunc, opts Options) (Result, error) {
	if err := opts.normalize(); err != nil {
		// Nothing was checked: everything is still pending.
		return Result{Pending: append([]string(nil), ids...), Notes: map[string]string{}, Failed: map[string]string{}}, err
	}
	res := Result{Notes: map[string]string{}, Failed: map[string]string{}}
	start := opts.Clock.Now()
	deadline := start.Add(opts.MaxWait)
	if dl, ok := ctx.Deadline(); ok && dl.Add(-opts.Margin).Before(deadline) {
		deadline = dl.Add(-opts.Margin)
	}
	pending := append([]string(nil), ids...)
	if opts.StatesKnown && len(pending) > 0 {
		d := min(opts.MinDelay, max(deadline.Sub(opts.Clock.Now()), 0))
		if err := opts.Clock.Sleep(ctx, d); err != nil {
			res.Pending = pending
			return res, fmt.Errorf("waiter: %w", err)
		}
		res.Waited += d
	}
	for attempt := 1; len(pending) > 0; attempt++ {
		states, err := check(ctx, pending)
		res.Checks++
		if err != nil {
			res.Pending = pending
			return res, fmt.Errorf("waiter: check %d: %w", attempt, err)
		}
		still := pending[:0:0]
		for _, id := range pending {
			st := states[id]
			switch st.State {
			case Done:
				res.Done = append(res.Done, id)
				if st.Reason != "" {
					res.Notes[id] = st.Reason
				}
			case Failed:
				res.Failed[id] = st.Reason
			default:
				still = append(still, id)
			}
		}
		pending = still
		if len(pending) == 0 {
			break
		}
		left := deadline.Sub(opts.Clock.Now())
		if left <= 0 {
			break
		}
		d := min(Delay(attempt, opts.MinDelay, opts.MaxDelay, opts.Rand()), left)
		if err := opts.Clock.Sleep(ctx, d); err != nil {
			res.Pending = pending
			return res, fmt.Errorf("waiter: %w", err)
		}
		res.Waited += d
	}
	res.Pending = pending
	return res, nil
}
