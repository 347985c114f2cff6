package handler

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"runtime"
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
	return waiter.Options{MinDelay: inv.cfg.WaitMinDelay, MaxDelay: inv.cfg.WaitMaxDelay, MaxWait: maxWait,
		Margin: 2 * inv.cfg.DeadlineMargin, Clock: inv.clock, Rand: inv.h.deps.ECS.Rand}
}

func prepareRelease(inv *invocation, p config.Plan, origin string) (*prepared, error) {
	return prepareCommon(inv, p, origin, guardAction(p.Request, guard.Release))
}

// saga is the release of a run's items, per item and idempotent at every
// step: stop (direct requests only) → wait for Stopped → snapshot and wait
// (if asked) → check at the moment of release → release → verify gone →
// receipt. Each item keeps its own request's options throughout.
type saga struct {
	*run
	toStop, toWait, ready []*item
	disks                 func() map[string][]ecs.Disk
	// released await their verification.
	released []*item
}

func executeRelease(r *run) {
	s := &saga{run: r}
	s.takeStreamed()
	s.keepFailedJobs()
	s.classify()
	s.disks = s.readDisks(append(append(append(append([]*item(nil), s.released...), s.toStop...), s.toWait...), s.ready...))
	s.stop()
	if len(s.toWait) > 0 && len(s.ready) > 0 {
		// What is Stopped already is released on the read in hand, before
		// the wait for the others makes that read stale.
		s.snapshot()
		s.release()
	}
	s.wait()
	s.snapshot()
	s.release()
	// Verified and listed in the run's order, wherever each was released.
	s.verify(inOrder(s.run, s.released), s.disks())
	// The disks were read for the receipts, which are written: what is
	// left of a large release (its answer, the notification) does not
	// need them held.
	for _, pr := range s.preps {
		pr.disks = nil
	}
}

// keepFailedJobs: a failed job's instance (keepOnFailure) is stopped and
// kept, never released.
func (s *saga) keepFailedJobs() {
	keep := s.live(func(it *item) bool { return it.pr.plan.Request.KeepAfterStop() })
	if len(keep) > 0 {
		s.stopAll(keep)
	}
}

// classify sorts the items by what they need first, on the planning read
// (or, for a direct request's instance that started under a minute ago,
// the read after its start minute passed). A hand-over's instance found
// running, or started since its stop, is skipped: a hand-over never stops
// an instance; only a direct request may. A dry run records what the real
// run would do and ends there.
func (s *saga) classify() {
	var direct []*item
	for _, it := range s.live(nil) {
		if !it.pr.plan.Request.IsHandOver() {
			direct = append(direct, it)
		}
	}
	s.settle(direct, "released")
	for _, it := range s.live(func(it *item) bool { return !it.deleted }) {
		req := it.pr.plan.Request
		running := it.in.Status == ecs.StatusRunning || it.in.Status == ecs.StatusStarting
		// A dry-run stop did not stop what it hands over: Running is what a
		// dry-run hand-over expects.
		dryHandOver := it.pr.plan.DryRun && it.in.Status == ecs.StatusRunning
		var next *[]*item
		switch {
		case req.IsHandOver() && (startedSince(*it.in, it.since) || (running && !dryHandOver)):
			s.finish(it, restartedSinceHandOver(it), "")
			continue
		case it.in.Status == ecs.StatusRunning && req.Force:
			next = &s.ready
		case it.in.Status == ecs.StatusRunning:
			next = &s.toStop
		case it.in.Status == ecs.StatusStopping:
			next = &s.toWait
		case it.in.Status == ecs.StatusStopped:
			next = &s.ready
		default:
			s.finish(it, skipped(it.id(), CodeWrongStatus, fmt.Sprintf("status %s: released only when Running, Stopping or Stopped", it.in.Status)), "")
			continue
		}
		if it.pr.plan.DryRun {
			s.finish(it, InstanceOutcome{InstanceID: it.id(), Outcome: OutcomeWouldRelease, Reason: wouldReleaseReason(it)}, "")
			continue
		}
		*next = append(*next, it)
	}
}

func restartedSinceHandOver(it *item) InstanceOutcome {
	return skipped(it.id(), CodeRestarted, fmt.Sprintf("%s and started %s since stop handed it over (stopped at %s): a hand-over never stops an instance; not released",
		it.in.Status, ecs.FormatMinute(it.in.StartTime), it.since.UTC().Format(time.RFC3339)))
}

func restartedSince(it *item) InstanceOutcome {
	return skipped(it.id(), CodeRestarted, fmt.Sprintf("started again (StartTime %s, status %s) since this request read it at %s: not released",
		ecs.FormatMinute(it.in.StartTime), it.in.Status, it.since.UTC().Format(time.RFC3339)))
}

func wouldReleaseReason(it *item) string {
	req := it.pr.plan.Request
	steps := ""
	switch {
	case it.in.Status == ecs.StatusRunning && req.Force:
		steps = "Running; would release with Force (power-off)"
	case it.in.Status == ecs.StatusRunning && req.IsHandOver():
		steps = "Running, handed over by a dry-run stop (a real stop would have stopped it); would wait for Stopped, then release"
	case it.in.Status == ecs.StatusRunning:
		steps = fmt.Sprintf("Running; would stop (%s), wait for Stopped, then release", it.stopMode())
	case it.in.Status == ecs.StatusStopping:
		steps = "Stopping; would wait for Stopped, then release"
	default:
		steps = "Stopped; would release"
	}
	if req.Snapshot {
		steps += " after snapshotting every disk"
	}
	return steps
}

// stop stops the direct requests' Running instances.
func (s *saga) stop() {
	rest := s.stopInstances(s.toStop, func(*item) guard.Action { return guard.Release },
		func(it *item) (admission, *InstanceOutcome) {
			switch {
			case startedSince(*it.in, it.since):
				o := restartedSince(it)
				return ended, &o
			case it.in.Status == ecs.StatusRunning:
				return proceed, nil
			case it.in.Status == ecs.StatusStopping || it.in.Status == ecs.StatusStopped:
				return divert, nil
			}
			o := skipped(it.id(), CodeWrongStatus, fmt.Sprintf("status %s since it was read: not released", it.in.Status))
			return ended, &o
		},
		func(it *item, _ ecs.Result) { s.toWait = append(s.toWait, it) })
	for _, it := range rest {
		switch {
		case it.done:
		case it.in.Status == ecs.StatusStopping:
			s.toWait = append(s.toWait, it)
		case it.in.Status == ecs.StatusStopped:
			s.ready = append(s.ready, it)
		default:
			s.finish(it, skipped(it.id(), CodeWrongStatus, fmt.Sprintf("status %s since it was read: not released", it.in.Status)), "")
		}
	}
}

// wait waits until the items are Stopped. Every status read updates the
// items, so the read that ends the wait is the check of the release that
// follows (when no sleep comes between). Starting or Running again means
// someone restarted it: skipped. Gone means someone released it.
func (s *saga) wait() {
	for _, group := range byClient(s.toWait) {
		c := group[0].pr.client
		byID := make(map[string]*item, len(group))
		for _, it := range group {
			byID[it.id()] = it
		}
		check := ecs.ProbeCheck(func(ctx context.Context, ids []string) (map[string]waiter.Status, error) {
			// Each call's answer updates its items as it comes (in place:
			// item.update), so the whole read is never held twice.
			at, epoch := s.inv.clock.Now(), s.inv.clock.epoch()
			out := make(map[string]waiter.Status, len(ids))
			err := c.DescribeInOrder(ctx, ids, func(chunk []string, found map[string]ecs.Instance) error {
				for _, id := range chunk {
					in, ok := found[id]
					if ok {
						byID[id].update(in, at, epoch)
					}
					out[id] = ecs.StoppedState(in, ok)
				}
				return nil
			})
			if err != nil {
				return nil, err
			}
			return out, nil
		})
		opts := s.inv.waitOptions()
		opts.StatesKnown = true
		res, err := waiter.Wait(s.inv.ctx, ids(group), check, opts)
		for _, id := range res.Done {
			it := byID[id]
			if res.Notes[id] == ecs.ReasonGone {
				s.vanished(it)
				continue
			}
			s.ready = append(s.ready, it)
		}
		for _, id := range sortedKeys(res.Failed) {
			s.finish(byID[id], restartedSince(byID[id]), byID[id].stopRequestID)
		}
		for _, id := range res.Pending {
			o := unfinished(id, "still "+byID[id].in.Status)
			if err != nil {
				o = failure(id, err)
			}
			s.finish(byID[id], o, byID[id].stopRequestID)
		}
	}
	// Keep the planning order among the ready.
	s.ready = inOrder(s.run, s.ready)
}

// inOrder returns the live items of list in the run's order.
func inOrder(r *run, list []*item) []*item {
	in := make(map[*item]bool, len(list))
	for _, it := range list {
		in[it] = true
	}
	return r.live(func(it *item) bool { return in[it] })
}

// readDisks reads the disks of the items for their receipts: in the
// background while the instances stop, or — with one ECS call at a time,
// where the run must be deterministic — when first asked for. Items whose
// request's disks were read from the start (a hand-over) use that read.
func (s *saga) readDisks(items []*item) func() map[string][]ecs.Disk {
	// One read per request whose disks were read from the start, and one
	// per client for the others. What a read needs is taken now: the items
	// themselves are updated (each status read replaces it.in) while a
	// background read runs.
	var reads []func() map[string][]ecs.Disk
	seen := map[*prepared]bool{}
	var rest []*item
	for _, it := range items {
		switch {
		case it.pr.disks == nil:
			rest = append(rest, it)
		case !seen[it.pr]:
			seen[it.pr] = true
			reads = append(reads, it.pr.disks)
		}
	}
	for _, g := range byClient(rest) {
		reads = append(reads, s.inv.prefetchDisks(g[0].pr.client, ids(g)))
	}
	if len(reads) == 1 {
		// One read (a hand-over's, or one region's): its map as it is.
		return reads[0]
	}
	var got map[string][]ecs.Disk
	return func() map[string][]ecs.Disk {
		if got == nil {
			got = map[string][]ecs.Disk{}
			for _, read := range reads {
				maps.Copy(got, read())
			}
		}
		return got
	}
}

// release releases the ready items, checked at the moment of action:
// Stopped (or, with force, Running), not started since their baseline,
// every guard on a fresh read; with snapshot, every disk snapshotted.
func (s *saga) release() {
	ready := inOrder(s.run, s.ready)
	if len(ready) == 0 {
		return
	}
	// Each ready item is now released (awaiting its verification) or has
	// ended: a later release of the run takes only what becomes ready after.
	s.ready = nil
	ready = s.checkSnapshotDisks(ready)
	// The receipts' disks must be read before a release deletes them (with
	// one ECS call at a time the read is made when first asked for).
	s.disks()
	s.act(ready, mutation{
		verb:   "released",
		action: func(*item) guard.Action { return guard.Release },
		admit: func(it *item) (admission, *InstanceOutcome) {
			force := it.pr.plan.Request.Force
			switch {
			case startedSince(*it.in, it.since) || (!force && (it.in.Status == ecs.StatusRunning || it.in.Status == ecs.StatusStarting)):
				o := restartedSince(it)
				return ended, &o
			case it.in.Status == ecs.StatusStopped, force && (it.in.Status == ecs.StatusRunning || it.in.Status == ecs.StatusStopping):
				return proceed, nil
			}
			o := skipped(it.id(), CodeWrongStatus, fmt.Sprintf("status %s at the moment of release: not released", it.in.Status))
			return ended, &o
		},
		key:  func(it *item) string { return fmt.Sprint(it.pr.plan.Request.Force) },
		size: ecs.BatchSize,
		call: func(c *ecs.Client, batch []*item) []ecs.Result {
			return c.Release(s.inv.ctx, ids(batch), ecs.ReleaseOptions{Force: batch[0].pr.plan.Request.Force})
		},
		ok: func(it *item, res ecs.Result) {
			it.deleteRequestID = res.RequestID
			s.released = append(s.released, it)
		},
		refused: func(it *item, res ecs.Result) bool {
			if errors.Is(res.Err, ecs.ErrNotFound) {
				s.vanished(it)
				return true
			}
			o := failure(it.id(), res.Err)
			o.SnapshotIDs = it.snapshotIDs
			s.finish(it, o, res.RequestID)
			return true
		},
	})
}

// verify reads the released items (once, after every release of the
// run): gone is released (and gets its receipt); still there, or not
// readable, is a retryable failure.
func (s *saga) verify(released []*item, disks map[string][]ecs.Disk) {
	var receipts []receiptOf
	for _, group := range byClient(released) {
		tags := make([]map[string]string, len(group))
		for i, it := range group {
			tags[i] = it.in.Tags
		}
		still, err := group[0].pr.client.Remaining(ecs.WithPurpose(s.inv.ctx, ecs.PurposeVerify), ids(group), ecs.SharedTags(tags))
		for _, it := range group {
			in, present := still[it.id()]
			switch {
			case err != nil:
				s.finish(it, InstanceOutcome{InstanceID: it.id(), Outcome: OutcomeFailed, Code: CodeNotVerified, SnapshotIDs: it.snapshotIDs, Error: &ErrorInfo{
					Code: "NotVerified", Message: "DeleteInstances was accepted but the read to verify it failed: " + err.Error(), Retryable: true}}, it.deleteRequestID)
			case present:
				s.finish(it, InstanceOutcome{InstanceID: it.id(), Outcome: OutcomeFailed, Code: CodeNotVerified, SnapshotIDs: it.snapshotIDs, Error: &ErrorInfo{
					Code: "NotVerified", Message: fmt.Sprintf("DeleteInstances succeeded but the instance still exists (status %s)", in.Status), Retryable: true}}, it.deleteRequestID)
			default:
				reason := "released and verified gone"
				if it.pr.plan.Request.Force {
					reason = "released with Force and verified gone"
				}
				at := s.finishUnlogged(it, InstanceOutcome{InstanceID: it.id(), Outcome: OutcomeReleased, Reason: reason, SnapshotIDs: it.snapshotIDs})
				d, known := disks[it.id()]
				if it.snap != nil {
					d, known = it.snap.Disks, true
				}
				receipts = append(receipts, receiptOf{it, d, at})
				s.inv.accountRelease(it.pr.client, *it.in, d, known, it.stopRequestID != "")
			}
		}
	}
	s.inv.prefetchPrices()
	// The outcome and receipt lines of the released are the largest part
	// of a fleet's log: they are written on every core, each with a logger
	// of its own (in order with one ECS call at a time).
	workers := 1
	if s.inv.concurrency() > 1 {
		workers = min(runtime.GOMAXPROCS(0), len(receipts))
	}
	ecs.Parallel(workers, workers, func(w int) {
		log := s.inv.log
		if workers > 1 {
			log = s.inv.newLogger()
		}
		for i := w; i < len(receipts); i += workers {
			r := receipts[i]
			s.inv.logOutcome(log, s.resp.Instances[r.outcome], r.it.deleteRequestID)
			receipt(log, r.it.pr, *r.it.in, r.disks, r.it.snapshotIDs, r.it.stopRequestID, r.it.deleteRequestID)
		}
	})
}

// receiptOf is a released item, its disks and where its outcome stands in
// the answer (nothing is added to it while the lines are written), for its
// log lines.
type receiptOf struct {
	it      *item
	disks   []ecs.Disk
	outcome int
}
