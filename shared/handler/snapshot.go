package handler

import (
	"fmt"
	"maps"
	"slices"

	"github.com/fc-ecs-release/fc-ecs-release/shared/ecs"
	"github.com/fc-ecs-release/fc-ecs-release/shared/guard"
	"github.com/fc-ecs-release/fc-ecs-release/shared/waiter"
)

// Snapshot naming. The description names the request's reason and the
// disk; it is composed first and then cut to ECS's limit.
const (
	snapshotName      = "ecs-release-backup"
	snapshotOriginTag = "ecs-release:origin"
)

// snapshot snapshots every disk of the ready items whose request asks for
// it, and waits until each snapshot is accomplished. A snapshot counts
// only while the instance has not started since it was taken (see
// ecs.SnapshotStartTag): a retry adopts an earlier attempt's snapshot of a
// still-stopped instance, takes a new one after a restart, and retries a
// failed one with a new ClientToken. Any failure leaves the instance
// unreleased, with a retryable error, so FC's retry takes it up again.
func (s *saga) snapshot() {
	want := s.live(func(it *item) bool { return it.pr.plan.Request.Snapshot })
	want = inOrder(s.run, intersect(s.ready, want))
	if len(want) == 0 {
		return
	}
	if !s.inv.timeLeft() {
		for _, it := range want {
			s.finish(it, unfinished(it.id(), "not snapshotted"), "")
		}
		return
	}
	var create []*item
	// The disks read for the receipts (their pages are read once).
	known := s.disks()
	for _, group := range byClient(want) {
		views := make([]ecs.Instance, len(group))
		for i, it := range group {
			views[i] = *it.in
		}
		plans, errs := group[0].pr.client.PlanSnapshotsWith(s.inv.ctx, views, known)
		for _, it := range group {
			if err := errs[it.id()]; err != nil {
				s.finish(it, retryableFailure(it.id(), err), "")
				continue
			}
			it.snap = plans[it.id()]
			if len(it.snap.ToCreate()) > 0 {
				create = append(create, it)
			}
		}
	}
	s.act(create, mutation{
		verb:   "snapshotted",
		action: func(*item) guard.Action { return guard.Release },
		admit: func(it *item) (admission, *InstanceOutcome) {
			if startedSince(*it.in, it.since) || it.in.Status != ecs.StatusStopped || ecs.FormatMinute(it.in.StartTime) != it.snap.Start {
				o := restartedSince(it)
				if !startedSince(*it.in, it.since) && it.in.Status != ecs.StatusStopped {
					o = skipped(it.id(), CodeWrongStatus, fmt.Sprintf("status %s at the moment of snapshot: not released", it.in.Status))
				}
				return ended, &o
			}
			return proceed, nil
		},
		key:  func(it *item) string { return it.id() },
		size: 1,
		call: func(c *ecs.Client, batch []*item) []ecs.Result {
			it := batch[0]
			opts := ecs.SnapshotOptions{Name: snapshotName, Tags: map[string]string{snapshotOriginTag: it.pr.origin}}
			var got []string
			for _, d := range it.snap.ToCreate() {
				opts.Description = snapshotDescription(it, d)
				id, err := c.CreateSnapshot(s.inv.ctx, it.snap, d, opts)
				if err != nil {
					return []ecs.Result{{InstanceID: it.id(), Err: err}}
				}
				got = append(got, id)
			}
			// Each batch is one item, written by the one worker that
			// has it.
			it.created = got
			return []ecs.Result{{InstanceID: it.id()}}
		},
		ok: func(*item, ecs.Result) {},
	})
	// Wait for every adopted or created snapshot.
	owner := map[string]*item{}
	var all []string
	for _, it := range want {
		if it.done {
			continue
		}
		toCreate := it.snap.ToCreate()
		for _, d := range it.snap.Disks {
			id, adopted := it.snap.Adopt[d.ID]
			if !adopted {
				i := slices.IndexFunc(toCreate, func(x ecs.Disk) bool { return x.ID == d.ID })
				if i < 0 || i >= len(it.created) {
					// Never released with a disk unsnapshotted.
					s.finish(it, InstanceOutcome{InstanceID: it.id(), Outcome: OutcomeFailed, Code: CodeSnapshotFailed,
						Error: &ErrorInfo{Code: "SnapshotFailed", Message: "disk " + d.ID + " has no snapshot", Retryable: true}}, "")
					break
				}
				id = it.created[i]
			}
			it.snapshotIDs = append(it.snapshotIDs, id)
			owner[id] = it
			all = append(all, id)
		}
	}
	if len(all) == 0 {
		return
	}
	res := waiter.Result{Failed: map[string]string{}}
	var err error
	for _, group := range byClient(want) {
		var mine []string
		for _, it := range group {
			for _, id := range it.snapshotIDs {
				if owner[id] == it {
					mine = append(mine, id)
				}
			}
		}
		if len(mine) == 0 {
			continue
		}
		r, werr := waiter.Wait(s.inv.ctx, mine, ecs.ProbeCheck(group[0].pr.client.SnapshotCheck()), s.inv.waitOptions())
		res.Done = append(res.Done, r.Done...)
		maps.Copy(res.Failed, r.Failed)
		if werr != nil {
			err = werr
		}
	}
	done := map[string]bool{}
	for _, id := range res.Done {
		done[id] = true
	}
	// Every snapshot not seen accomplished leaves its instance unready,
	// whatever the reason: never success for a snapshot not seen done.
	for _, snap := range all {
		it := owner[snap]
		if it.done || done[snap] {
			continue
		}
		var o InstanceOutcome
		if reason, failed := res.Failed[snap]; failed {
			o = InstanceOutcome{InstanceID: it.id(), Outcome: OutcomeFailed, Code: CodeSnapshotFailed,
				Reason: "snapshot failed: the instance is not released without a completed snapshot; a retry takes a new one",
				Error:  &ErrorInfo{Code: "SnapshotFailed", Message: fmt.Sprintf("snapshot %s of instance %s: %s", snap, it.id(), reason), Retryable: true}}
		} else {
			o = unfinished(it.id(), fmt.Sprintf("snapshot %s not accomplished", snap))
			if err != nil {
				o = retryableFailure(it.id(), err)
			}
		}
		o.SnapshotIDs = it.snapshotIDs
		s.finish(it, o, "")
	}
}

// snapshotDescription names the request's reason and the disk; it is cut
// to ECS's limit (on a rune boundary) by the ECS layer.
func snapshotDescription(it *item, d ecs.Disk) string {
	desc := fmt.Sprintf("ecs-release: before release: disk %s (%s) of %s", d.ID, d.Type, it.id())
	if r := it.pr.plan.Request.Reason; r != "" {
		desc += ": " + r
	}
	return desc
}

// checkSnapshotDisks reads again the disks of the items that were
// snapshotted: a disk attached since the snapshots were planned has none,
// so the instance is not released (retryable: the retry snapshots it).
func (s *saga) checkSnapshotDisks(ready []*item) []*item {
	var snapped []*item
	for _, it := range ready {
		if it.snap != nil {
			snapped = append(snapped, it)
		}
	}
	for _, group := range byClient(snapped) {
		disks, err := group[0].pr.client.Disks(ecs.WithPurpose(s.inv.ctx, ecs.PurposeRecheck), ids(group))
		for _, it := range group {
			if err != nil {
				o := failure(it.id(), err)
				o.SnapshotIDs = it.snapshotIDs
				s.finish(it, o, "")
				continue
			}
			for _, d := range disks[it.id()] {
				if !slices.ContainsFunc(it.snap.Disks, func(x ecs.Disk) bool { return x.ID == d.ID }) {
					s.finish(it, InstanceOutcome{InstanceID: it.id(), Outcome: OutcomeFailed, Code: CodeSnapshotFailed, SnapshotIDs: it.snapshotIDs,
						Reason: "a disk was attached after the snapshots were taken: not released; a retry snapshots it",
						Error:  &ErrorInfo{Code: "SnapshotFailed", Message: fmt.Sprintf("disk %s has no snapshot", d.ID), Retryable: true}}, "")
					break
				}
			}
			if !it.done {
				it.snap.Disks = disks[it.id()]
			}
		}
	}
	return inOrder(s.run, ready)
}

// intersect keeps the items of b that are also in a.
func intersect(a, b []*item) []*item {
	in := make(map[*item]bool, len(a))
	for _, it := range a {
		in[it] = true
	}
	var out []*item
	for _, it := range b {
		if in[it] {
			out = append(out, it)
		}
	}
	return out
}
