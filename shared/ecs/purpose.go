package ecs

import "context"

// Purpose says why a call is made, for the counts an invocation reports
// (Stats.ByPurpose): the safety checks' cost is shown apart from the
// work itself.
type Purpose string

// Purposes.
const (
	// PurposeWork is every call the work needs: finding instances,
	// reading their state, the mutating calls, disks, prices.
	PurposeWork Purpose = "work"
	// PurposeRecheck is a read made only to check instances again at the
	// moment of action, because the read in hand had gone stale.
	PurposeRecheck Purpose = "recheck"
	// PurposeVerify is a read made after an action to verify its end state
	// (released instances are gone).
	PurposeVerify Purpose = "verify"
)

type purposeKey struct{}

// WithPurpose marks the calls made with ctx as made for p.
func WithPurpose(ctx context.Context, p Purpose) context.Context {
	return context.WithValue(ctx, purposeKey{}, p)
}

// purposeOf is the purpose ctx carries (PurposeWork by default).
func purposeOf(ctx context.Context) Purpose {
	if p, ok := ctx.Value(purposeKey{}).(Purpose); ok {
		return p
	}
	return PurposeWork
}
