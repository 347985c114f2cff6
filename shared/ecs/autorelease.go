package ecs

import (
	"context"
	"fmt"
	"time"
)

// The window ECS accepts for AutoReleaseTime, measured after the time is
// truncated to the minute.
const (
	MinAutoReleaseLead = 30 * time.Minute
	MaxAutoReleaseLead = 3 * 365 * 24 * time.Hour // "3 years"; a year of 365 days keeps the check inside ECS's limit
	// AutoReleaseLayout is the format ECS takes.
	AutoReleaseLayout = "2006-01-02T15:04:05Z"
)

// ValidateAutoReleaseTime truncates t to the minute, as ECS does, and
// checks the result against the window ECS accepts relative to now. It
// returns the time that will be set.
func ValidateAutoReleaseTime(now, t time.Time) (time.Time, error) {
	set := t.UTC().Truncate(time.Minute)
	if lead := set.Sub(now); lead < MinAutoReleaseLead {
		return time.Time{}, fmt.Errorf("%w: auto-release time %s is %v from now (after truncation to the minute); ECS needs at least %v", ErrInvalidParameter, set.Format(time.RFC3339), lead.Round(time.Second), MinAutoReleaseLead)
	}
	if set.Sub(now) > MaxAutoReleaseLead {
		return time.Time{}, fmt.Errorf("%w: auto-release time %s is more than 3 years from now", ErrInvalidParameter, set.Format(time.RFC3339))
	}
	return set, nil
}

// SetAutoReleaseTime validates t against the client's clock and sets it on
// the instance. It returns the time set (truncated to the minute).
func (c *Client) SetAutoReleaseTime(ctx context.Context, id string, t time.Time) (time.Time, string, error) {
	set, err := ValidateAutoReleaseTime(c.cfg.Clock.Now(), t)
	if err != nil {
		return time.Time{}, "", err
	}
	req := newModifyAutoReleaseTimeRequest()
	req.InstanceId = id
	req.AutoReleaseTime = set.Format(AutoReleaseLayout)
	resp, err := mutate(ctx, c, "ModifyInstanceAutoReleaseTime", req, API.ModifyInstanceAutoReleaseTime)
	if err != nil {
		return time.Time{}, "", forInstance(err, id)
	}
	return set, resp.RequestId, nil
}

// CancelAutoReleaseTime removes the instance's auto-release time (the SDK
// leaves AutoReleaseTime out, which is how ECS cancels).
func (c *Client) CancelAutoReleaseTime(ctx context.Context, id string) (string, error) {
	req := newModifyAutoReleaseTimeRequest()
	req.InstanceId = id
	resp, err := mutate(ctx, c, "ModifyInstanceAutoReleaseTime", req, API.ModifyInstanceAutoReleaseTime)
	if err != nil {
		return "", forInstance(err, id)
	}
	return resp.RequestId, nil
}
