package handler

import (
	"fmt"
	"hash/fnv"
	"strconv"
	"strings"
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

// AutoReleaseMarker is the tag this tool puts on every instance it gives an
// auto-release time, valued with that time as ECS shows it
// ("2006-01-02T15:04Z"). It is set before the time, so a time this tool set
// always carries it. While the instance's AutoReleaseTime still equals the
// marker, the time is this tool's: the sweep takes it back when the
// instance becomes protected, deletion-protected or leaves the managed
// scope. A time someone else set (or changed) is reported, never changed.
const AutoReleaseMarker = "ecs-release:auto-release"

type autoReleasePlan struct {
	mode string
	at   time.Time // modeSet: the time to set (minute precision)
}

// sweepMinLead is where sweep puts instances already past their TTL: the
// ECS minimum of 30 minutes plus a minute of slack, plus the spread.
const sweepMinLead = 31 * time.Minute

// maxTTL bounds a TTL tag: far beyond ECS's 3-year window (a longer TTL is
// set at the window's end), but short enough that no arithmetic on it
// overflows.
const maxTTL = 100 * 365 * 24 * time.Hour

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
	pr := &prepared{plan: p, origin: origin, client: client, autoRelease: ap, readAt: now, readEpoch: inv.clock.epoch()}
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
	found, gone, err := inv.resolve(p, client, extra, nil, nil)
	if err != nil {
		return nil, readError(err)
	}
	for _, id := range gone {
		pr.early = append(pr.early, notFound(id, p.Region))
	}
	if ap.mode == modeSweep {
		if err := inv.findUndo(pr); err != nil {
			return nil, readError(err)
		}
	}
	undo := map[string]bool{}
	for _, in := range pr.undo {
		undo[in.ID] = true
	}
	if ap.mode == modeStatus {
		// Reading the setting is not an action, but the managed scope still
		// applies: an HTTP caller learns nothing of instances outside it.
		for _, in := range found {
			if !inv.policy.InScope(in) {
				v := inv.policy.Check(guard.CancelAutoRelease, in)
				pr.early = append(pr.early, skipped(in.ID, v.Code, v.Reason))
				continue
			}
			pr.targets = append(pr.targets, in)
		}
		return pr, nil
	}
	allowed, refused := inv.screen(action, found)
	for _, o := range refused {
		if !undo[o.InstanceID] { // the undo explains those
			pr.early = append(pr.early, o)
		}
	}
	pr.targets = allowed
	return pr, nil
}

// findUndo lists, for the sweep, the instances that carry the marker in the
// plan's region (inside the managed scope or not; only the named ones when
// the sweep names instances): those that must no longer carry an
// auto-release time of this tool's (protected, deletion-protected, out of
// scope) are to be undone while the time is still the marked one; if
// someone else changed it, that is reported.
func (inv *invocation) findUndo(pr *prepared) error {
	sel := ecs.Selector{Tags: map[string]string{AutoReleaseMarker: ecs.AnyValue}}
	if req := pr.plan.Request; req.Selector == nil && len(req.InstanceIDs) > 0 {
		sel.IDs = req.InstanceIDs
	}
	return pr.client.List(inv.ctx, sel, func(page []ecs.Instance) error {
		for _, in := range page {
			inv.remember(in)
			v := inv.policy.KeepsNoAutoRelease(in)
			switch {
			case v.Allowed() || in.AutoReleaseTime.IsZero():
			case ecs.FormatMinute(in.AutoReleaseTime) == in.Tags[AutoReleaseMarker]:
				pr.undo = append(pr.undo, in)
			case inv.policy.InScope(in):
				pr.early = append(pr.early, InstanceOutcome{InstanceID: in.ID, Outcome: OutcomeSkipped, Code: CodeNotOurs, AutoReleaseTime: formatTime(in.AutoReleaseTime),
					Reason: fmt.Sprintf("%s, but its auto-release time %s is not the one this tool set (%s): reported, not changed", v.Reason, formatTime(in.AutoReleaseTime), in.Tags[AutoReleaseMarker])})
			}
		}
		return nil
	})
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

func executeAutoRelease(r *run) {
	now := r.inv.clock.Now()
	var set, cancel []*item
	at := map[*item]time.Time{}
	reasons := map[*item]string{}
	for _, it := range r.live(nil) {
		in, ap := it.in, it.pr.autoRelease
		switch ap.mode {
		case modeStatus:
			o := InstanceOutcome{InstanceID: in.ID, Outcome: OutcomeStatus, AutoReleaseTime: formatTime(in.AutoReleaseTime), Reason: "no auto-release time set"}
			if !in.AutoReleaseTime.IsZero() {
				o.Reason = "auto-release time set"
				if in.Tags[AutoReleaseMarker] == ecs.FormatMinute(in.AutoReleaseTime) {
					o.Reason += " by this tool"
				}
			}
			r.finish(it, o, "")
			continue
		case modeSet:
			if in.AutoReleaseTime.Equal(ap.at) {
				r.finish(it, InstanceOutcome{InstanceID: in.ID, Outcome: OutcomeAutoReleaseSet, AutoReleaseTime: formatTime(ap.at), Reason: "already set to this time"}, "")
				continue
			}
			at[it], reasons[it] = ap.at, setReason(*in, ap.at)
		case modeCancel:
			if in.AutoReleaseTime.IsZero() {
				r.finish(it, InstanceOutcome{InstanceID: in.ID, Outcome: OutcomeAutoReleaseCancelled, Reason: "no auto-release time was set"}, "")
				continue
			}
			reasons[it] = "cancelled auto-release at " + formatTime(in.AutoReleaseTime)
		case modeSweep:
			t, reason, code := r.inv.sweepTarget(*in, now)
			if code != "" {
				o := skipped(in.ID, code, reason)
				o.AutoReleaseTime = formatTime(in.AutoReleaseTime)
				r.finish(it, o, "")
				continue
			}
			at[it], reasons[it] = t, reason
		}
		switch {
		case it.pr.plan.DryRun && ap.mode == modeCancel:
			r.finish(it, InstanceOutcome{InstanceID: in.ID, Outcome: OutcomeWouldCancelAutoRelease, Reason: "would cancel auto-release at " + formatTime(in.AutoReleaseTime)}, "")
		case it.pr.plan.DryRun:
			r.finish(it, InstanceOutcome{InstanceID: in.ID, Outcome: OutcomeWouldSetAutoRelease, AutoReleaseTime: formatTime(at[it]), Reason: "would " + reasons[it]}, "")
		case ap.mode == modeCancel:
			cancel = append(cancel, it)
		default:
			set = append(set, it)
		}
	}
	r.setAutoRelease(set, at, reasons)
	r.cancelAutoRelease(cancel, guard.CancelAutoRelease, reasons)
	var undo []*item
	for _, pr := range r.preps {
		for i := range pr.undo {
			in := &pr.undo[i]
			it := &item{pr: pr, in: in, readAt: pr.readAt, epoch: pr.readEpoch, since: pr.readAt}
			r.items = append(r.items, it)
			action := fmt.Sprintf("auto-release time this tool set (%s), since the instance is now %s", formatTime(in.AutoReleaseTime), r.inv.policy.KeepsNoAutoRelease(*in).Reason)
			if pr.plan.DryRun {
				r.finish(it, InstanceOutcome{InstanceID: in.ID, Outcome: OutcomeWouldCancelAutoRelease, Reason: "would take back the " + action}, "")
				continue
			}
			reasons[it] = "took back the " + action
			undo = append(undo, it)
		}
	}
	r.cancelAutoRelease(undo, guard.UndoAutoRelease, reasons)
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

// setAutoRelease marks and sets the items' times (ModifyInstanceAutoReleaseTime
// has no batch form; the marker is set 50 instances a call, per time),
// checked at the moment of action.
func (r *run) setAutoRelease(items []*item, at map[*item]time.Time, reasons map[*item]string) {
	r.act(items, mutation{
		verb:   "given an auto-release time",
		action: func(*item) guard.Action { return guard.SetAutoRelease },
		admit: func(it *item) (admission, *InstanceOutcome) {
			if it.pr.autoRelease.mode == modeSweep && !it.in.AutoReleaseTime.IsZero() {
				o := skipped(it.id(), CodeHasAutoRelease, "was given an auto-release time ("+formatTime(it.in.AutoReleaseTime)+") while this sweep ran; the sweep keeps existing times")
				return ended, &o
			}
			if _, err := ecs.ValidateAutoReleaseTime(r.inv.clock.Now(), at[it]); err != nil {
				o := unfinished(it.id(), "auto-release time "+formatTime(at[it])+" no longer 30 minutes ahead; not set")
				return ended, &o
			}
			return proceed, nil
		},
		key:  func(it *item) string { return formatTime(at[it]) },
		size: ecs.MaxTagResourceIDs,
		call: func(c *ecs.Client, batch []*item) []ecs.Result {
			t := at[batch[0]]
			// The marker first: a time of this tool's never lacks it.
			marked := c.Tag(r.inv.ctx, ids(batch), map[string]string{AutoReleaseMarker: ecs.FormatMinute(t)})
			out := make([]ecs.Result, len(batch))
			for i, it := range batch {
				if marked[i].Err != nil {
					out[i] = marked[i]
					continue
				}
				_, rid, err := c.SetAutoReleaseTime(r.inv.ctx, it.id(), t)
				out[i] = ecs.Result{InstanceID: it.id(), RequestID: rid, Err: err}
			}
			return out
		},
		ok: func(it *item, res ecs.Result) {
			r.finish(it, InstanceOutcome{InstanceID: it.id(), Outcome: OutcomeAutoReleaseSet, AutoReleaseTime: formatTime(at[it]), Reason: reasons[it]}, res.RequestID)
		},
	})
}

// cancelAutoRelease cancels the items' times and removes this tool's
// marker, checked at the moment of action: an explicit cancel
// (guard.CancelAutoRelease) or the sweep taking back its own time
// (guard.UndoAutoRelease, only while the time is still the marked one).
func (r *run) cancelAutoRelease(items []*item, action guard.Action, reasons map[*item]string) {
	r.act(items, mutation{
		verb:   "changed",
		action: func(*item) guard.Action { return action },
		admit: func(it *item) (admission, *InstanceOutcome) {
			marked := it.in.Tags[AutoReleaseMarker] == ecs.FormatMinute(it.in.AutoReleaseTime)
			switch {
			case it.in.AutoReleaseTime.IsZero():
				o := InstanceOutcome{InstanceID: it.id(), Outcome: OutcomeAutoReleaseCancelled, Reason: "no auto-release time any more (cancelled meanwhile)"}
				return ended, &o
			case action == guard.UndoAutoRelease && !marked:
				o := skipped(it.id(), CodeNotOurs, "its auto-release time changed while the sweep ran; not the one this tool set: not changed")
				return ended, &o
			case action == guard.UndoAutoRelease && r.inv.policy.KeepsNoAutoRelease(*it.in).Allowed():
				o := skipped(it.id(), CodeNotOurs, "no longer protected or out of scope: keeps its auto-release time")
				return ended, &o
			}
			return proceed, nil
		},
		key:  func(it *item) string { return it.id() },
		size: 1,
		call: func(c *ecs.Client, batch []*item) []ecs.Result {
			it := batch[0]
			rid, err := c.CancelAutoReleaseTime(r.inv.ctx, it.id())
			if err != nil {
				return []ecs.Result{{InstanceID: it.id(), RequestID: rid, Err: err}}
			}
			if _, ok := it.in.Tags[AutoReleaseMarker]; ok {
				if res := c.Untag(r.inv.ctx, []string{it.id()}, AutoReleaseMarker); res[0].Err != nil {
					// The time is cancelled; a marker left behind is
					// harmless (it no longer matches a time).
					r.inv.log.Warn("auto-release time cancelled but its marker tag stays", "instanceId", it.id(), "error", res[0].Err.Error())
				}
			}
			return []ecs.Result{{InstanceID: it.id(), RequestID: rid}}
		},
		ok: func(it *item, res ecs.Result) {
			r.finish(it, InstanceOutcome{InstanceID: it.id(), Outcome: OutcomeAutoReleaseCancelled, Reason: reasons[it]}, res.RequestID)
		},
	})
}

// sweepTarget computes CreationTime + TTL for an instance with the TTL
// tag, spread by a stable per-instance offset (up to SWEEP_SPREAD) so that
// instances created together are not released together, and clamped into
// the window ECS accepts. An instance that already has an auto-release time
// keeps it: the sweep never shortens (or lengthens) a time someone set. A
// non-empty code says why the instance is left alone.
func (inv *invocation) sweepTarget(in ecs.Instance, now time.Time) (time.Time, string, string) {
	raw, ok := in.Tags[inv.cfg.TTLTag]
	if !ok {
		return time.Time{}, fmt.Sprintf("no %s tag: nothing to sweep", inv.cfg.TTLTag), CodeNoTTL
	}
	ttl, err := ParseTTL(raw)
	if err != nil {
		return time.Time{}, fmt.Sprintf("tag %s=%q: %v", inv.cfg.TTLTag, raw, err), CodeInvalidTTL
	}
	if !in.AutoReleaseTime.IsZero() {
		return time.Time{}, "already has an auto-release time (" + formatTime(in.AutoReleaseTime) + "); the sweep keeps existing times", CodeHasAutoRelease
	}
	if in.CreationTime.IsZero() {
		return time.Time{}, "creation time unknown: cannot compute CreationTime + TTL", CodeNoCreationTime
	}
	spread := spreadFor(in.ID, inv.cfg.SweepSpread)
	at := ceilMinute(in.CreationTime.Add(ttl).Add(spread))
	// Reasons start with the action, so that a dry run can say "would …".
	reason := fmt.Sprintf("set auto-release at creation + TTL %s (+%v spread)", raw, spread)
	if min := now.Add(sweepMinLead); at.Before(min) {
		at = ceilMinute(min.Add(spread))
		reason = fmt.Sprintf("set auto-release at now + %v (+%v spread), since its TTL of %s has already passed", sweepMinLead, spread, raw)
	}
	if max := now.Add(ecs.MaxAutoReleaseLead); at.After(max) {
		at = max.Truncate(time.Minute)
		reason = fmt.Sprintf("set auto-release at the 3-year limit, since its TTL of %s reaches beyond it", raw)
	}
	return at, reason, ""
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
// days (2d), positive and at most 100 years (so that no arithmetic on it
// overflows: a larger value is refused, never wrapped around).
func ParseTTL(s string) (time.Duration, error) {
	bad := fmt.Errorf("not a TTL: want a duration such as 4h, 90m or 2d, at most %d days", int(maxTTL/(24*time.Hour)))
	s = strings.TrimSpace(s)
	if d, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.ParseInt(d, 10, 64)
		if err != nil || n <= 0 || n > int64(maxTTL/(24*time.Hour)) {
			return 0, bad
		}
		return time.Duration(n) * 24 * time.Hour, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d <= 0 || d > maxTTL {
		return 0, bad
	}
	return d, nil
}
