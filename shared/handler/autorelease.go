package handler

import (
	"fmt"
	"hash/fnv"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/fc-ecs-release/fc-ecs-release/shared/config"
	"github.com/fc-ecs-release/fc-ecs-release/shared/ecs"
	"github.com/fc-ecs-release/fc-ecs-release/shared/guard"
	"github.com/fc-ecs-release/fc-ecs-release/shared/request"
)

// Autorelease modes.
const (
	modeStatus = "status"
	modeSet    = "set"
	modeCancel = "cancel"
	modeSweep  = "sweep"
)

type autoReleasePlan struct {
	mode string
	at   time.Time // modeSet: the time to set (minute precision)
}

// sweepMinLead is where sweep puts instances already past their TTL: the
// ECS minimum of 30 minutes plus a minute of slack, plus the spread.
const sweepMinLead = 31 * time.Minute

func prepareAutoRelease(inv *invocation, p config.Plan, origin string) (*prepared, error) {
	req := p.Request
	now := inv.clock.Now()
	ap := &autoReleasePlan{}
	action := guard.SetAutoRelease
	switch {
	case req.Sweep:
		ap.mode = modeSweep
	case req.Cancel:
		ap.mode, action = modeCancel, guard.CancelAutoRelease
	case req.AutoReleaseTime != "":
		at, _ := req.AutoReleaseAt()
		set, err := ecs.ValidateAutoReleaseTime(now, at)
		if err != nil {
			return nil, &request.Error{Code: request.CodeInvalidRequest, Field: "autoReleaseTime", Message: windowMessage(err)}
		}
		ap.mode, ap.at = modeSet, set
	case req.After != "":
		at := ceilMinute(now.Add(req.AfterDuration()))
		set, err := ecs.ValidateAutoReleaseTime(now, at)
		if err != nil {
			return nil, &request.Error{Code: request.CodeInvalidRequest, Field: "after", Message: windowMessage(err)}
		}
		ap.mode, ap.at = modeSet, set
	default:
		ap.mode = modeStatus
	}
	client, err := inv.client(p.Region, origin)
	if err != nil {
		return nil, err
	}
	var extra func(*ecs.Selector)
	if ap.mode == modeSweep && (req.Selector != nil || len(req.InstanceIDs) == 0) {
		extra = func(s *ecs.Selector) {
			if s.Tags == nil {
				s.Tags = map[string]string{}
			}
			s.Tags[inv.cfg.TTLTag] = ecs.AnyValue
			if m := inv.cfg.ManagedTag; m != nil {
				s.Tags[m.Key] = m.Value
			}
			if s.ChargeType == "" {
				s.ChargeType = ecs.PostPaid
			}
		}
	}
	found, gone, err := inv.resolve(p, client, extra)
	if err != nil {
		return nil, readError(err)
	}
	pr := &prepared{plan: p, origin: origin, client: client, autoRelease: ap}
	for _, id := range gone {
		pr.early = append(pr.early, InstanceOutcome{InstanceID: id, Outcome: OutcomeAlreadyReleased, Reason: "instance not found: already released"})
	}
	if ap.mode == modeStatus {
		// Reading the setting is not an action, but the managed scope still
		// applies: an HTTP caller learns nothing of instances outside it.
		for _, in := range found {
			if v := inv.policy.Check(guard.CancelAutoRelease, in); v.Code == guard.CodeOutsideScope {
				pr.early = append(pr.early, InstanceOutcome{InstanceID: in.ID, Outcome: OutcomeSkipped, Reason: v.Reason})
				continue
			}
			pr.targets = append(pr.targets, in)
		}
		return pr, nil
	}
	allowed, skipped := inv.screen(action, found)
	pr.early = append(pr.early, skipped...)
	pr.targets = allowed
	return pr, nil
}

func windowMessage(err error) string {
	return strings.TrimPrefix(err.Error(), ecs.ErrInvalidParameter.Error()+": ")
}

func ceilMinute(t time.Time) time.Time {
	if tr := t.Truncate(time.Minute); !tr.Equal(t) {
		return tr.Add(time.Minute)
	}
	return t
}

func formatTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

// arAction is one auto-release call to make.
type arAction struct {
	in     ecs.Instance
	at     time.Time // zero: cancel
	reason string
}

func executeAutoRelease(inv *invocation, pr *prepared, resp *Response) {
	ap := pr.autoRelease
	now := inv.clock.Now()
	var todo []arAction
	for _, in := range pr.targets {
		switch ap.mode {
		case modeStatus:
			o := InstanceOutcome{InstanceID: in.ID, Outcome: OutcomeStatus, Status: in.Status, AutoReleaseTime: formatTime(in.AutoReleaseTime), Reason: "no auto-release time set"}
			if !in.AutoReleaseTime.IsZero() {
				o.Reason = "auto-release time set"
			}
			inv.record(resp, o, "")
		case modeSet:
			if in.AutoReleaseTime.Equal(ap.at) {
				inv.record(resp, InstanceOutcome{InstanceID: in.ID, Outcome: OutcomeAutoReleaseSet, AutoReleaseTime: formatTime(ap.at), Reason: "already set to this time"}, "")
				continue
			}
			todo = append(todo, arAction{in: in, at: ap.at, reason: setReason(in, ap.at)})
		case modeCancel:
			if in.AutoReleaseTime.IsZero() {
				inv.record(resp, InstanceOutcome{InstanceID: in.ID, Outcome: OutcomeAutoReleaseCancelled, Reason: "no auto-release time was set"}, "")
				continue
			}
			todo = append(todo, arAction{in: in, reason: "cancelled auto-release at " + formatTime(in.AutoReleaseTime)})
		case modeSweep:
			a, skip := inv.sweepTarget(in, now)
			if skip != "" {
				inv.record(resp, InstanceOutcome{InstanceID: in.ID, Outcome: OutcomeSkipped, Reason: skip, AutoReleaseTime: formatTime(in.AutoReleaseTime)}, "")
				continue
			}
			todo = append(todo, a)
		}
	}
	if pr.plan.DryRun {
		for _, a := range todo {
			if a.at.IsZero() {
				inv.record(resp, InstanceOutcome{InstanceID: a.in.ID, Outcome: OutcomeWouldCancelAutoRelease, Reason: "would cancel auto-release at " + formatTime(a.in.AutoReleaseTime)}, "")
			} else {
				inv.record(resp, InstanceOutcome{InstanceID: a.in.ID, Outcome: OutcomeWouldSetAutoRelease, AutoReleaseTime: formatTime(a.at), Reason: "would " + a.reason}, "")
			}
		}
		return
	}
	inv.applyAutoRelease(pr, resp, todo)
}

func setReason(in ecs.Instance, at time.Time) string {
	switch {
	case in.AutoReleaseTime.IsZero():
		return "set auto-release at " + formatTime(at)
	case at.After(in.AutoReleaseTime):
		return "extended auto-release from " + formatTime(in.AutoReleaseTime) + " to " + formatTime(at)
	default:
		return "moved auto-release from " + formatTime(in.AutoReleaseTime) + " to " + formatTime(at)
	}
}

// applyAutoRelease makes the ModifyInstanceAutoReleaseTime calls (one per
// instance; ECS has no batch form) with a few in flight.
func (inv *invocation) applyAutoRelease(pr *prepared, resp *Response, todo []arAction) {
	type done struct {
		o   InstanceOutcome
		rid string
	}
	results := make([]done, len(todo))
	next := make(chan int)
	var wg sync.WaitGroup
	for range min(ecs.DefaultConcurrency, len(todo)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				a := todo[i]
				if !inv.timeLeft() {
					results[i] = done{o: unfinished(a.in.ID, "auto-release time not changed")}
					continue
				}
				if a.at.IsZero() {
					rid, err := pr.client.CancelAutoReleaseTime(inv.ctx, a.in.ID)
					if err != nil {
						results[i] = done{o: failure(a.in.ID, err)}
						continue
					}
					results[i] = done{InstanceOutcome{InstanceID: a.in.ID, Outcome: OutcomeAutoReleaseCancelled, Reason: a.reason}, rid}
					continue
				}
				set, rid, err := pr.client.SetAutoReleaseTime(inv.ctx, a.in.ID, a.at)
				if err != nil {
					results[i] = done{o: failure(a.in.ID, err)}
					continue
				}
				results[i] = done{InstanceOutcome{InstanceID: a.in.ID, Outcome: OutcomeAutoReleaseSet, AutoReleaseTime: formatTime(set), Reason: a.reason}, rid}
			}
		}()
	}
	for i := range todo {
		next <- i
	}
	close(next)
	wg.Wait()
	for _, d := range results {
		inv.record(resp, d.o, d.rid)
	}
}

// sweepTarget computes CreationTime + TTL for an instance with the TTL
// tag, spread by a stable per-instance offset (up to SWEEP_SPREAD) so that
// instances created together are not released together, and clamped into
// the window ECS accepts. An instance that already has an auto-release time
// keeps it: the sweep never shortens (or lengthens) a time someone set.
func (inv *invocation) sweepTarget(in ecs.Instance, now time.Time) (arAction, string) {
	raw, ok := in.Tags[inv.cfg.TTLTag]
	if !ok {
		return arAction{}, fmt.Sprintf("no %s tag: nothing to sweep", inv.cfg.TTLTag)
	}
	ttl, err := ParseTTL(raw)
	if err != nil {
		return arAction{}, fmt.Sprintf("tag %s=%q: %v", inv.cfg.TTLTag, raw, err)
	}
	if !in.AutoReleaseTime.IsZero() {
		return arAction{}, "already has an auto-release time (" + formatTime(in.AutoReleaseTime) + "); the sweep keeps existing times"
	}
	if in.CreationTime.IsZero() {
		return arAction{}, "creation time unknown: cannot compute CreationTime + TTL"
	}
	spread := spreadFor(in.ID, inv.cfg.SweepSpread)
	at := ceilMinute(in.CreationTime.Add(ttl).Add(spread))
	reason := fmt.Sprintf("set auto-release at creation + TTL %s (+%v spread)", raw, spread)
	if min := now.Add(sweepMinLead); at.Before(min) {
		at = ceilMinute(min.Add(spread))
		reason = fmt.Sprintf("TTL %s already passed: set auto-release at now + %v (+%v spread)", raw, sweepMinLead, spread)
	}
	if max := now.Add(ecs.MaxAutoReleaseLead); at.After(max) {
		at = max.Truncate(time.Minute)
		reason = fmt.Sprintf("TTL %s is beyond the 3-year limit: set auto-release at the limit", raw)
	}
	return arAction{in: in, at: at, reason: reason}, ""
}

// spreadFor is a stable offset in [0, spread) derived from the instance ID.
func spreadFor(id string, spread time.Duration) time.Duration {
	if spread < time.Minute {
		return 0
	}
	h := fnv.New32a()
	_, _ = h.Write([]byte(id))
	minutes := int64(spread / time.Minute)
	return time.Duration(int64(h.Sum32())%minutes) * time.Minute
}

// ParseTTL reads a TTL tag value: a Go duration (4h, 90m) or a number of
// days (2d).
func ParseTTL(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	if d, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.Atoi(d)
		if err != nil || n <= 0 {
			return 0, fmt.Errorf("not a TTL: want a duration such as 4h, 90m or 2d")
		}
		return time.Duration(n) * 24 * time.Hour, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d <= 0 {
		return 0, fmt.Errorf("not a TTL: want a duration such as 4h, 90m or 2d")
	}
	return d, nil
}
