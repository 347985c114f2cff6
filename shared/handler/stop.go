package handler

import (
	"errors"
	"fmt"

	"github.com/fc-ecs-release/fc-ecs-release/shared/config"
	"github.com/fc-ecs-release/fc-ecs-release/shared/ecs"
	"github.com/fc-ecs-release/fc-ecs-release/shared/guard"
	"github.com/fc-ecs-release/fc-ecs-release/shared/request"
)

func prepareStop(inv *invocation, p config.Plan, origin string) (*prepared, error) {
	// An instance that could never be released is not stopped on the way
	// to a release either.
	action := guard.Stop
	if p.Request.Then == request.ThenRelease {
		action = guard.Release
	}
	return prepareCommon(inv, p, origin, action, func(id string) InstanceOutcome {
		return InstanceOutcome{InstanceID: id, Outcome: OutcomeSkipped, Reason: "instance not found (already released?)"}
	})
}

func executeStop(inv *invocation, pr *prepared, resp *Response) {
	handOver := stopTargets(inv, pr, resp, "")
	if pr.plan.Request.Then != request.ThenRelease || len(handOver) == 0 {
		return
	}
	req := pr.plan.Request
	next := &request.Request{
		Region:          pr.plan.Region,
		InstanceIDs:     handOver,
		StoppedMode:     pr.plan.StoppedMode,
		ForceStop:       req.ForceStop,
		Snapshot:        req.Snapshot,
		KeepOnFailure:   req.KeepOnFailure,
		JobStatus:       req.JobStatus,
		Reason:          req.Reason,
		OriginRequestID: pr.origin,
	}
	if pr.plan.DryRun {
		dry := true
		next.DryRun = &dry
	}
	if resp.Next == nil {
		resp.Next = next
		return
	}
	// A batch of requests: hand over the union (their options agree on
	// release only if they are equal; otherwise the first wins and the
	// log says so).
	resp.Next.InstanceIDs = append(resp.Next.InstanceIDs, handOver...)
	if resp.Next.Snapshot != next.Snapshot || resp.Next.Reason != next.Reason {
		inv.log.Warn("batched requests differ in release options; the first request's options are handed over", "instanceIds", handOver)
	}
}

// stopTargets stops the prepared targets that are Running (in dry run:
// would-stop) and records an outcome for each; it returns the IDs that are
// stopping or stopped (dry run: would be), i.e. what can be handed over to
// release. note is appended to reasons (release's keep-on-failure path).
func stopTargets(inv *invocation, pr *prepared, resp *Response, note string) []string {
	var handOver, toStop []string
	with := func(reason string) string {
		if note == "" {
			return reason
		}
		if reason == "" {
			return note
		}
		return reason + "; " + note
	}
	for _, in := range pr.targets {
		switch in.Status {
		case ecs.StatusRunning:
			if pr.plan.DryRun {
				inv.record(resp, InstanceOutcome{InstanceID: in.ID, Outcome: OutcomeWouldStop, Reason: with(fmt.Sprintf("Running; would stop (%s)", pr.plan.StoppedMode)), Status: in.Status}, "")
				handOver = append(handOver, in.ID)
				continue
			}
			toStop = append(toStop, in.ID)
		case ecs.StatusStopped:
			inv.record(resp, InstanceOutcome{InstanceID: in.ID, Outcome: OutcomeAlreadyStopped, Reason: with("already Stopped"), Status: in.Status}, "")
			handOver = append(handOver, in.ID)
		case ecs.StatusStopping:
			inv.record(resp, InstanceOutcome{InstanceID: in.ID, Outcome: OutcomeStopping, Reason: with(defaultReasonAlreadyStopping), Status: in.Status}, "")
			handOver = append(handOver, in.ID)
		default:
			inv.record(resp, InstanceOutcome{InstanceID: in.ID, Outcome: OutcomeSkipped, Reason: with(fmt.Sprintf("status %s: only Running instances are stopped", in.Status)), Status: in.Status}, "")
		}
	}
	if len(toStop) == 0 {
		return handOver
	}
	if !inv.timeLeft() {
		for _, id := range toStop {
			inv.record(resp, unfinished(id, "not stopped"), "")
		}
		return handOver
	}
	results, err := pr.client.Stop(inv.ctx, toStop, ecs.StopOptions{ForceStop: pr.plan.Request.ForceStop, StoppedMode: pr.plan.StoppedMode})
	if err != nil {
		for _, id := range toStop {
			inv.record(resp, failure(id, err), "")
		}
		return handOver
	}
	var recheck []ecs.Result
	for _, r := range results {
		switch {
		case r.Err == nil:
			inv.record(resp, InstanceOutcome{InstanceID: r.InstanceID, Outcome: OutcomeStopping, Reason: with(fmt.Sprintf("stop requested (%s)", pr.plan.StoppedMode)), Status: r.CurrentStatus}, r.RequestID)
			handOver = append(handOver, r.InstanceID)
		case errors.Is(r.Err, ecs.ErrIncorrectStatus) || errors.Is(r.Err, ecs.ErrNotFound):
			recheck = append(recheck, r)
		default:
			inv.record(resp, failure(r.InstanceID, r.Err), r.RequestID)
		}
	}
	return append(handOver, inv.recheckStop(pr, resp, recheck, with)...)
}

// recheckStop reads instances whose stop was refused because their status
// changed since they were read (another invocation or an operator acted):
// stopping or stopped is the outcome wanted, gone is already released.
func (inv *invocation) recheckStop(pr *prepared, resp *Response, refused []ecs.Result, with func(string) string) []string {
	if len(refused) == 0 {
		return nil
	}
	ids := make([]string, len(refused))
	for i, r := range refused {
		ids[i] = r.InstanceID
	}
	now, err := pr.client.Describe(inv.ctx, ids)
	var handOver []string
	for _, r := range refused {
		in, ok := now[r.InstanceID]
		switch {
		case err != nil:
			inv.record(resp, failure(r.InstanceID, r.Err), r.RequestID)
		case !ok:
			inv.record(resp, InstanceOutcome{InstanceID: r.InstanceID, Outcome: OutcomeSkipped, Reason: with("gone before it could be stopped (already released?)")}, r.RequestID)
		case in.Status == ecs.StatusStopping:
			inv.record(resp, InstanceOutcome{InstanceID: r.InstanceID, Outcome: OutcomeStopping, Reason: with("stopped by someone else meanwhile"), Status: in.Status}, r.RequestID)
			handOver = append(handOver, r.InstanceID)
		case in.Status == ecs.StatusStopped:
			inv.record(resp, InstanceOutcome{InstanceID: r.InstanceID, Outcome: OutcomeAlreadyStopped, Reason: with("stopped by someone else meanwhile"), Status: in.Status}, r.RequestID)
			handOver = append(handOver, r.InstanceID)
		default:
			inv.record(resp, failure(r.InstanceID, r.Err), r.RequestID)
		}
	}
	return handOver
}
