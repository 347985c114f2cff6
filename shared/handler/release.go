package handler

import (
	"errors"
	"fmt"
	"time"

	"github.com/fc-ecs-release/fc-ecs-release/shared/config"
	"github.com/fc-ecs-release/fc-ecs-release/shared/ecs"
	"github.com/fc-ecs-release/fc-ecs-release/shared/guard"
	"github.com/fc-ecs-release/fc-ecs-release/shared/waiter"
)

// maxWait bounds any single wait; the invocation deadline usually cuts it
// shorter.
const maxWait = 6 * time.Hour

// waitOptions end a wait two margins before the deadline: one margin is
// left for the steps after the wait (release, verify), one for answering.
// So instances that reached Stopped are released even when another one is
// stuck until the deadline.
func (inv *invocation) waitOptions() waiter.Options {
	return waiter.Options{MinDelay: inv.cfg.WaitMinDelay, MaxDelay: inv.cfg.WaitMaxDelay, MaxWait: maxWait, Margin: 2 * inv.cfg.DeadlineMargin}
}

func prepareRelease(inv *invocation, p config.Plan, origin string) (*prepared, error) {
	return prepareCommon(inv, p, origin, guard.Release, func(id string) InstanceOutcome {
		return InstanceOutcome{InstanceID: id, Outcome: OutcomeAlreadyReleased, Reason: "instance not found: already released"}
	})
}

// executeRelease is the saga, per instance and idempotent at every step:
// (described and guarded in prepare) → stop if Running → wait Stopped →
// snapshot and wait if asked → release in batches → verify gone → receipt.
func executeRelease(inv *invocation, pr *prepared, resp *Response) {
	req := pr.plan.Request
	if req.KeepAfterStop() {
		note := fmt.Sprintf("job status %q: kept for debugging (keepOnFailure), not released", req.JobStatus)
		stopTargets(inv, pr, resp, note)
		return
	}
	byID := map[string]ecs.Instance{}
	var ready, toStop, toWait []string
	for _, in := range pr.targets {
		byID[in.ID] = in
		switch {
		case pr.plan.DryRun:
			inv.record(resp, InstanceOutcome{InstanceID: in.ID, Outcome: OutcomeWouldRelease, Reason: wouldReleaseReason(in, pr), Status: in.Status}, "")
		case in.Status == ecs.StatusRunning && req.Force:
			ready = append(ready, in.ID)
		case in.Status == ecs.StatusRunning:
			toStop = append(toStop, in.ID)
		case in.Status == ecs.StatusStopping:
			toWait = append(toWait, in.ID)
		case in.Status == ecs.StatusStopped:
			ready = append(ready, in.ID)
		default:
			inv.record(resp, InstanceOutcome{InstanceID: in.ID, Outcome: OutcomeSkipped, Reason: fmt.Sprintf("status %s: released only when Running, Stopping or Stopped", in.Status), Status: in.Status}, "")
		}
	}
	if pr.plan.DryRun {
		return
	}
	stopIDs := map[string]string{} // instance → ECS request id of its stop
	if len(toStop) > 0 {
		if !inv.timeLeft() {
			for _, id := range toStop {
				inv.record(resp, unfinished(id, "not stopped"), "")
			}
		} else {
			results, err := pr.client.Stop(inv.ctx, toStop, ecs.StopOptions{ForceStop: req.ForceStop, StoppedMode: pr.plan.StoppedMode})
			if err != nil {
				for _, id := range toStop {
					inv.record(resp, failure(id, err), "")
				}
			}
			for _, r := range results {
				switch {
				case r.Err == nil:
					stopIDs[r.InstanceID] = r.RequestID
					toWait = append(toWait, r.InstanceID)
				case errors.Is(r.Err, ecs.ErrNotFound):
					inv.record(resp, InstanceOutcome{InstanceID: r.InstanceID, Outcome: OutcomeAlreadyReleased, Reason: "gone before it could be stopped (released elsewhere)"}, r.RequestID)
				case errors.Is(r.Err, ecs.ErrIncorrectStatus):
					// Someone else stopped it since we read it (another
					// invocation, an operator): wait for Stopped like ours.
					toWait = append(toWait, r.InstanceID)
				default:
					inv.record(resp, failure(r.InstanceID, r.Err), r.RequestID)
				}
			}
		}
	}
	// The receipts need every disk; reading them takes a page per 100
	// disks, so it runs while the instances stop.
	disks := inv.readDisksAsync(pr, append(append([]string(nil), ready...), toWait...))
	if len(toWait) > 0 {
		// Every instance waited on was just read (Stopping) or just told
		// to stop: the first status read can wait MinDelay.
		wopts := inv.waitOptions()
		wopts.StatesKnown = true
		res, err := pr.client.WaitStopped(inv.ctx, toWait, wopts)
		for _, id := range res.Done {
			if res.Notes[id] == ecs.ReasonGone {
				inv.record(resp, InstanceOutcome{InstanceID: id, Outcome: OutcomeAlreadyReleased, Reason: "gone while waiting for Stopped (released elsewhere)"}, stopIDs[id])
				continue
			}
			ready = append(ready, id)
		}
		for _, id := range sortedKeys(res.Failed) {
			inv.record(resp, InstanceOutcome{InstanceID: id, Outcome: OutcomeFailed, Reason: res.Failed[id], Error: &ErrorInfo{Code: CodeRestarted, Message: res.Failed[id] + "; not released"}}, stopIDs[id])
		}
		for _, id := range res.Pending {
			o := unfinished(id, "still Stopping")
			if err != nil {
				o = failure(id, err)
			}
			inv.record(resp, o, stopIDs[id])
		}
		// Whatever the waiter did not account for is unfinished, never
		// silently dropped from the answer.
		accounted := make(map[string]bool, len(toWait))
		for _, id := range append(append([]string(nil), res.Done...), res.Pending...) {
			accounted[id] = true
		}
		for id := range res.Failed {
			accounted[id] = true
		}
		for _, id := range toWait {
			if !accounted[id] {
				inv.record(resp, unfinished(id, "not seen Stopped"), stopIDs[id])
			}
		}
	}
	snapshots := map[string][]string{}
	if req.Snapshot && len(ready) > 0 {
		ready = snapshotBeforeRelease(inv, pr, resp, ready, byID, snapshots)
	}
	if len(ready) == 0 {
		return
	}
	if !inv.timeLeft() {
		for _, id := range ready {
			inv.record(resp, unfinished(id, "not released"), "")
		}
		return
	}
	releaseAndVerify(inv, pr, resp, ready, byID, stopIDs, snapshots, disks)
}

func wouldReleaseReason(in ecs.Instance, pr *prepared) string {
	req := pr.plan.Request
	steps := ""
	switch {
	case in.Status == ecs.StatusRunning && req.Force:
		steps = "Running; would release with Force (power-off)"
	case in.Status == ecs.StatusRunning:
		steps = fmt.Sprintf("Running; would stop (%s), wait for Stopped, then release", pr.plan.StoppedMode)
	case in.Status == ecs.StatusStopping:
		steps = "Stopping; would wait for Stopped, then release"
	case in.Status == ecs.StatusStopped:
		steps = "Stopped; would release"
	default:
		steps = fmt.Sprintf("status %s; would skip", in.Status)
	}
	if req.Snapshot {
		steps += " after snapshotting every disk"
	}
	return steps
}

type diskResult struct {
	disks map[string][]ecs.Disk
	err   error
}

// readDisksAsync reads the instances' disks in the background; the result
// arrives on the channel.
func (inv *invocation) readDisksAsync(pr *prepared, ids []string) <-chan diskResult {
	out := make(chan diskResult, 1)
	go func() {
		disks, err := pr.client.Disks(inv.ctx, ids)
		out <- diskResult{disks, err}
	}()
	return out
}

// snapshotBeforeRelease snapshots every disk of the ready instances and
// returns those whose snapshots are all accomplished; the others get a
// failed outcome and are not released.
func snapshotBeforeRelease(inv *invocation, pr *prepared, resp *Response, ready []string, byID map[string]ecs.Instance, snapshots map[string][]string) []string {
	if !inv.timeLeft() {
		for _, id := range ready {
			inv.record(resp, unfinished(id, "not snapshotted"), "")
		}
		return nil
	}
	opts := ecsSnapshotOptions(pr)
	instances := make([]ecs.Instance, len(ready))
	for i, id := range ready {
		instances[i] = byID[id]
	}
	results := pr.client.SnapshotInstances(inv.ctx, instances, opts, inv.waitOptions())
	var ok []string
	for _, id := range ready {
		r := results[id]
		if r.Err != nil {
			o := failure(id, r.Err)
			o.SnapshotIDs = r.SnapshotIDs
			// SPEC §4 step 4: any snapshot failure leaves the instance
			// unreleased and retryable, so FC's retry takes it up again.
			// (E.g. IncorrectDiskStatus.CreatingSnapshot: an earlier,
			// interrupted attempt's snapshot of the disk is still
			// progressing.) Not retryable, the invocation would succeed and
			// the instance would be forgotten.
			o.Error.Retryable = true
			if errors.Is(r.Err, ecs.ErrSnapshotFailed) {
				o.Reason = "snapshot failed: the instance is not released without a completed snapshot"
			}
			inv.record(resp, o, "")
			continue
		}
		snapshots[id] = r.SnapshotIDs
		ok = append(ok, id)
	}
	return ok
}

func ecsSnapshotOptions(pr *prepared) ecs.SnapshotOptions {
	desc := "ecs-release: before release"
	if r := pr.plan.Request.Reason; r != "" {
		desc += ": " + r
	}
	if len(desc) > 200 {
		desc = desc[:200]
	}
	return ecs.SnapshotOptions{
		Name:        "ecs-release-backup",
		Description: desc,
		Tags:        map[string]string{"ecs-release:origin": truncate(pr.origin, 128)},
	}
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

// releaseAndVerify reads the disks (for receipts), releases in batches,
// verifies each released instance is gone, and writes a receipt for each.
func releaseAndVerify(inv *invocation, pr *prepared, resp *Response, ready []string, byID map[string]ecs.Instance, stopIDs map[string]string, snapshots map[string][]string, diskRead <-chan diskResult) {
	dr := <-diskRead
	if dr.err != nil {
		inv.log.Warn("could not read disks for receipts; releasing anyway", "error", dr.err.Error())
	}
	disks := dr.disks
	force := pr.plan.Request.Force
	results := pr.client.Release(inv.ctx, ready, ecs.ReleaseOptions{Force: force})
	var released []ecs.Result
	for _, r := range results {
		switch {
		case r.Err == nil:
			released = append(released, r)
		case errors.Is(r.Err, ecs.ErrNotFound):
			inv.record(resp, InstanceOutcome{InstanceID: r.InstanceID, Outcome: OutcomeAlreadyReleased, Reason: "already gone when released"}, "")
		default:
			o := failure(r.InstanceID, r.Err)
			o.SnapshotIDs = snapshots[r.InstanceID]
			inv.record(resp, o, r.RequestID)
		}
	}
	if len(released) == 0 {
		return
	}
	ids := make([]string, len(released))
	for i, r := range released {
		ids[i] = r.InstanceID
	}
	still, verr := pr.client.Describe(inv.ctx, ids)
	for _, r := range released {
		id := r.InstanceID
		o := InstanceOutcome{InstanceID: id, Outcome: OutcomeReleased, SnapshotIDs: snapshots[id]}
		switch in, present := still[id]; {
		case verr != nil:
			o.Reason = "release accepted; verification read failed: " + verr.Error()
		case present:
			o = InstanceOutcome{InstanceID: id, Outcome: OutcomeFailed, SnapshotIDs: snapshots[id], Error: &ErrorInfo{
				Code: CodeNotVerified, Message: fmt.Sprintf("DeleteInstances succeeded but the instance still exists (status %s)", in.Status), Retryable: true}}
		default:
			o.Reason = "released and verified gone"
			if force {
				o.Reason = "released with Force and verified gone"
			}
		}
		inv.record(resp, o, r.RequestID)
		if o.Outcome == OutcomeReleased {
			inv.receipt(pr, byID[id], disks[id], snapshots[id], stopIDs[id], r.RequestID)
		}
	}
}
