package handler

import (
	"errors"
	"fmt"
	"time"

	"github.com/fc-ecs-release/fc-ecs-release/shared/config"
	"github.com/fc-ecs-release/fc-ecs-release/shared/ecs"
	"github.com/fc-ecs-release/fc-ecs-release/shared/guard"
	"github.com/fc-ecs-release/fc-ecs-release/shared/request"
)

func prepareStop(inv *invocation, p config.Plan, origin string) (*prepared, error) {
	return prepareCommon(inv, p, origin, guardAction(p.Request, stopGuard(p.Request)))
}

// stopGuard: an instance that could never be released is not stopped on
// the way to a release either.
func stopGuard(req request.Request) guard.Action {
	if req.Then == request.ThenRelease {
		return guard.Release
	}
	return guard.Stop
}

func executeStop(r *run) {
	r.handOver(r.stopAll(r.live(nil)))
}

// handsOver reports whether an item's request hands what it stopped to
// release.
func handsOver(it *item) bool {
	req := it.pr.plan.Request
	return req.Then == request.ThenRelease && !req.KeepAfterStop()
}

// keepNote is the reason added for a failed job's instance that is kept.
func keepNote(req request.Request) string {
	if !req.KeepAfterStop() {
		return ""
	}
	return fmt.Sprintf("job status %q: kept for debugging (keepOnFailure), not released", req.JobStatus)
}

// stopped is an outcome of an item now stopping or stopped.
func stopped(it *item, outcome, reason string) InstanceOutcome {
	o := InstanceOutcome{InstanceID: it.id(), Outcome: outcome, Reason: reason}
	if note := keepNote(it.pr.plan.Request); note != "" {
		o.Reason += "; " + note
		o.Code = CodeKept
	}
	return o
}

// stopAll stops the items that are Running (StopInstances, checked at the
// moment of action) and returns those that are now stopping or stopped and
// whose request hands them over, each with its baseline (since). Items of
// requests that hand over are first settled: one started less than a
// minute ago is waited out, so that release can tell a later restart.
func (r *run) stopAll(items []*item) []*item {
	var handed, running, settleFirst []*item
	for _, it := range items {
		// A dry run too: waiting is not a mutating call, and release must
		// see the same hand-over a real run would make.
		if handsOver(it) {
			settleFirst = append(settleFirst, it)
		}
	}
	r.settle(settleFirst, "stopped") // those it cannot settle end unfinished
	for _, it := range items {
		if it.done {
			continue
		}
		switch it.in.Status {
		case ecs.StatusRunning:
			if it.pr.plan.DryRun {
				r.finish(it, stopped(it, OutcomeWouldStop, fmt.Sprintf("Running; would stop (%s)", it.stopMode())), "")
				if handsOver(it) {
					handed = append(handed, it)
				}
				continue
			}
			running = append(running, it)
		case ecs.StatusStopped, ecs.StatusStopping:
			r.finish(it, alreadyStopped(it, "already "+it.in.Status), "")
			if handsOver(it) {
				handed = append(handed, it)
			}
		default:
			o := skipped(it.id(), CodeWrongStatus, fmt.Sprintf("status %s: only Running instances are stopped", it.in.Status))
			r.finish(it, o, "")
		}
	}
	rest := r.stopInstances(running, func(it *item) guard.Action { return stopGuard(it.pr.plan.Request) },
		func(it *item) (admission, *InstanceOutcome) {
			switch it.in.Status {
			case ecs.StatusRunning:
				return proceed, nil
			case ecs.StatusStopped, ecs.StatusStopping:
				return divert, nil
			}
			o := skipped(it.id(), CodeWrongStatus, fmt.Sprintf("status %s since it was read: only Running instances are stopped", it.in.Status))
			return ended, &o
		},
		func(it *item, res ecs.Result) {
			r.finish(it, stopped(it, OutcomeStopping, stopRequested(it)), res.RequestID)
			if handsOver(it) {
				handed = append(handed, it)
			}
		})
	for _, it := range rest {
		if it.done {
			continue
		}
		switch it.in.Status {
		case ecs.StatusStopping, ecs.StatusStopped:
			r.finish(it, alreadyStopped(it, "stopped by someone else meanwhile"), "")
			if handsOver(it) {
				handed = append(handed, it)
			}
		default:
			o := skipped(it.id(), CodeWrongStatus, fmt.Sprintf("status %s since it was read: not stopped", it.in.Status))
			r.finish(it, o, "")
		}
	}
	return handed
}

// stopInstances makes the StopInstances calls for items, in batches by stop
// options, each checked at the moment of action (action's guards, then
// admit). ok follows a stop requested. An item whose stop was refused
// because its status changed between the read and the call is read again.
// A stop ECS refuses in economical mode (InvalidInstanceId.NotSupport) is
// made again in KeepCharging when the request allows it
// (stoppedModeFallback), checked again at that moment; otherwise the item
// fails with code economical-mode-unsupported. It returns the items admit
// diverted and those read again, for the caller to place by their status.
func (r *run) stopInstances(items []*item, action func(*item) guard.Action, admit func(*item) (admission, *InstanceOutcome), ok func(*item, ecs.Result)) []*item {
	var raced, fallback []*item
	m := mutation{
		verb:   "stopped",
		action: action,
		admit:  admit,
		key:    func(it *item) string { return fmt.Sprint(it.pr.plan.Request.ForceStop, it.stopMode()) },
		size:   ecs.BatchSize,
		call: func(c *ecs.Client, batch []*item) []ecs.Result {
			pr := batch[0].pr
			res, err := c.Stop(r.inv.ctx, ids(batch), ecs.StopOptions{ForceStop: pr.plan.Request.ForceStop, StoppedMode: batch[0].stopMode()})
			if err != nil {
				return errResults(batch, err)
			}
			return res
		},
		ok: func(it *item, res ecs.Result) {
			it.stopRequestID = res.RequestID
			ok(it, res)
		},
		refused: func(it *item, res ecs.Result) bool {
			switch {
			case errors.Is(res.Err, ecs.ErrIncorrectStatus) || errors.Is(res.Err, ecs.ErrNotFound):
				raced = append(raced, it)
				return true
			case ecs.EconomicalModeRefused(res.Err) && it.stopMode() == ecs.StopCharging:
				if it.pr.plan.Request.FallsBackToKeepCharging() {
					it.fellBack = true
					fallback = append(fallback, it)
					return true
				}
				r.finish(it, economicalModeUnsupported(it.id(), res.Err), res.RequestID)
				return true
			}
			return false
		},
	}
	diverted := r.act(items, m)
	if len(fallback) > 0 {
		again := fallback
		fallback = nil
		diverted = append(diverted, r.act(again, m)...)
	}
	for _, it := range r.read(raced, ecs.PurposeRecheck) {
		r.vanished(it)
	}
	return append(diverted, raced...)
}

// stopRequested is the reason of an item whose stop ECS accepted.
func stopRequested(it *item) string {
	if it.fellBack {
		return fmt.Sprintf("stop requested (KeepCharging): ECS refused economical mode (%s) and the request allows stoppedModeFallback", ecs.CodeEconomicalModeUnsupported)
	}
	return fmt.Sprintf("stop requested (%s)", it.stopMode())
}

// economicalModeUnsupported is the outcome of an instance ECS will not stop
// in economical mode, when the request allows no fallback: it is not
// stopped.
func economicalModeUnsupported(id string, err error) InstanceOutcome {
	o := failure(id, err)
	o.Code = CodeEconomicalModeUnsupported
	o.Error.Retryable = false
	o.Reason = "ECS will not stop this instance in economical mode (StopCharging): not stopped; to stop it anyway, in KeepCharging, send stoppedModeFallback: \"KeepCharging\" (or stoppedMode: \"KeepCharging\")"
	return o
}

// autoScalingHandedOver is the autoScaling a hand-over carries: "include"
// when the request said so, else nothing (release's default skips).
func autoScalingHandedOver(req request.Request) string {
	if req.IncludesAutoScaling() {
		return request.AutoScalingInclude
	}
	return ""
}

// alreadyStopped is the outcome of an item found stopping or stopped.
func alreadyStopped(it *item, reason string) InstanceOutcome {
	if it.in.Status == ecs.StatusStopping {
		return stopped(it, OutcomeStopping, reason)
	}
	return stopped(it, OutcomeAlreadyStopped, reason)
}

// errResults gives every item of a batch the same error.
func errResults(batch []*item, err error) []ecs.Result {
	out := make([]ecs.Result, len(batch))
	for i, it := range batch {
		out[i] = ecs.Result{InstanceID: it.id(), Err: err}
	}
	return out
}

// handOver builds stop's next: for each request that hands over, one
// release request per baseline, with that request's own options (region,
// snapshot, dry run, reason, origin) and stoppedAt.
func (r *run) handOver(handed []*item) {
	for _, pr := range r.preps {
		var order []time.Time
		groups := map[time.Time][]string{}
		for _, it := range handed {
			if it.pr != pr {
				continue
			}
			at := it.since.UTC().Truncate(time.Second)
			if groups[at] == nil {
				order = append(order, at)
			}
			groups[at] = append(groups[at], it.id())
		}
		req := pr.plan.Request
		for _, at := range order {
			next := request.Request{
				Region:          pr.plan.Region,
				InstanceIDs:     groups[at],
				Snapshot:        req.Snapshot,
				Reason:          req.Reason,
				OriginRequestID: pr.origin,
				StoppedAt:       at.Format(time.RFC3339),
				// The mode this stop asked: release judges by it whether an
				// instance it leaves stopped still charges.
				StoppedMode: pr.plan.StoppedMode,
				// Release keeps the request's consent to act on the Auto
				// Scaling members it stopped.
				AutoScaling: autoScalingHandedOver(req),
			}
			if pr.plan.DryRun {
				dry := true
				next.DryRun = &dry
			}
			r.resp.Next = append(r.resp.Next, next)
		}
	}
}
