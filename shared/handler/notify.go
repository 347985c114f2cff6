package handler

import (
	"fmt"
	"time"

	"github.com/fc-ecs-release/fc-ecs-release/shared/answer"
	"github.com/fc-ecs-release/fc-ecs-release/shared/clock"
	"github.com/fc-ecs-release/fc-ecs-release/shared/ecs"
	"github.com/fc-ecs-release/fc-ecs-release/shared/notify"
	"github.com/fc-ecs-release/fc-ecs-release/shared/request"
)

// ReleaseWarningMarker is the tag the sweep puts on an instance once its
// owner has been warned of its release, valued with the auto-release time
// warned of ("2006-01-02T15:04Z"): one warning per instance and time. A new
// time (moved, or set again) is warned of again.
const ReleaseWarningMarker = "ecs-release:warned"

// maxNotifyBudget bounds the time notifications may take at the end of an
// invocation; they use what is left of the margin kept before the
// deadline, never more.
const maxNotifyBudget = 8 * time.Second

// notify sends the answer to the configured chat channels, if NOTIFY_ON
// wants it. It reports whether at least one channel took it. It never
// fails the invocation, never delays it beyond its budget and never
// retries an action: a channel that is down is logged (by name) and
// skipped.
func (inv *invocation) notify(resp *Response) bool {
	cfg := inv.cfg.Notify
	if cfg == nil || !cfg.Enabled() {
		return false
	}
	view := inv.notificationView(resp)
	if !cfg.Wants(view) {
		return false
	}
	budget := maxNotifyBudget
	if rem, ok := clock.Remaining(inv.ctx, inv.clock); ok {
		// Leave a second to return the answer.
		budget = min(budget, rem-time.Second)
	}
	if budget <= 0 {
		inv.log.Warn("no time left to notify")
		return false
	}
	results := notify.New(cfg, notify.WithClock(inv.clock), notify.WithLogger(inv.log)).Send(inv.ctx, view, budget)
	for _, r := range results {
		if r.Delivered {
			inv.log.Info("notified", "channel", r.Channel, "attempts", r.Attempts)
		}
	}
	return notify.Delivered(results)
}

// notificationView is the answer as a notification tells it. When FC will
// run the invocation again (an async invocation that ends with retryable
// failures), those failures are left out: the next attempt, or the failure
// path after the last one, reports them.
func (inv *invocation) notificationView(resp *Response) *Response {
	if inv.trigger == "" || request.Source(inv.trigger).IsHTTP() || len(retryable(resp)) == 0 {
		return resp
	}
	view := *resp
	view.Instances = nil
	view.Summary.Counts = map[string]int{}
	for _, o := range resp.Instances {
		if o.Error != nil && o.Error.Retryable {
			continue
		}
		view.Add(o)
	}
	return &view
}

// warnReleaseSoon adds a release-soon warning for every instance the sweep
// gave an auto-release time, or found with one, that falls within
// WARN_BEFORE — unless its owner was already warned of that very time
// (ReleaseWarningMarker).
func (inv *invocation) warnReleaseSoon(resp *Response) {
	cfg := inv.cfg.Notify
	if cfg == nil || cfg.WarnBefore <= 0 {
		return
	}
	now := inv.clock.Now()
	for _, o := range resp.Instances {
		if o.AutoReleaseTime == "" || !inv.sweptBy(o) {
			continue
		}
		switch {
		case o.Outcome == OutcomeAutoReleaseSet, o.Outcome == OutcomeWouldSetAutoRelease:
		case o.Outcome == OutcomeSkipped && (o.Code == CodeHasAutoRelease || o.Code == CodeNotOurs):
		default:
			continue
		}
		at, err := time.Parse(time.RFC3339, o.AutoReleaseTime)
		if err != nil || at.Before(now) || at.Sub(now) > cfg.WarnBefore {
			continue
		}
		inv.mu.Lock()
		warned := inv.known[o.InstanceID].warned
		inv.mu.Unlock()
		if warned == ecs.FormatMinute(at) {
			continue // warned of this time already
		}
		keep := fmt.Sprintf(`to keep it, call ecs-autorelease's HTTP trigger now with {"instanceIds":["%s"],"cancel":true} (or "after":"24h" to postpone), then tag it %s so no sweep gives it a time again`,
			o.InstanceID, inv.cfg.ProtectTag)
		why := o.Reason
		if why == "" {
			why = "auto-release time set"
		}
		inv.warn(resp, Warning{Code: answer.WarningReleaseSoon, InstanceID: o.InstanceID, AutoReleaseTime: o.AutoReleaseTime,
			Message: fmt.Sprintf("will be released at %s, in %s (%s); %s", o.AutoReleaseTime, at.Sub(now).Round(time.Minute), why, keep)})
	}
}

// sweptBy reports whether an outcome belongs to a sweep request.
func (inv *invocation) sweptBy(o InstanceOutcome) bool {
	for _, pr := range inv.preps {
		if pr.autoRelease == nil || pr.autoRelease.mode != modeSweep {
			continue
		}
		if o.Request == 0 || o.Request == pr.index+1 {
			return true
		}
	}
	return false
}

// markWarned tags the instances warned of their release (after a channel
// took the warning), so the next sweep does not warn of the same time
// again. A dry run tags nothing. A failed tag write is logged: the worst
// case is one more warning.
func (inv *invocation) markWarned(resp *Response) {
	if resp.DryRun {
		return
	}
	type key struct {
		client *ecs.Client
		value  string
	}
	groups := map[key][]string{}
	var order []key
	for _, w := range resp.Warnings {
		if w.Code != answer.WarningReleaseSoon {
			continue
		}
		at, err := time.Parse(time.RFC3339, w.AutoReleaseTime)
		if err != nil {
			continue
		}
		c := inv.clientOf(w.InstanceID)
		if c == nil {
			continue
		}
		k := key{c, ecs.FormatMinute(at)}
		if groups[k] == nil {
			order = append(order, k)
		}
		groups[k] = append(groups[k], w.InstanceID)
	}
	for _, k := range order {
		for _, res := range k.client.Tag(inv.ctx, groups[k], map[string]string{ReleaseWarningMarker: k.value}) {
			if res.Err != nil {
				inv.log.Warn("warned of a release, but could not mark it: the next sweep may warn again", "instanceId", res.InstanceID, "error", inv.redact.String(res.Err.Error()))
			}
		}
	}
}

// clientOf is a client of the invocation in the region an instance was
// found in.
func (inv *invocation) clientOf(id string) *ecs.Client {
	inv.mu.Lock()
	region := inv.known[id].region
	inv.mu.Unlock()
	for _, pr := range inv.preps {
		if pr.client != nil && (region == "" || pr.client.Region() == region) {
			return pr.client
		}
	}
	return nil
}
