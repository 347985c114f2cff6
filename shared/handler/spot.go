package handler

import (
	"fmt"
	"strings"
	"time"

	"github.com/fc-ecs-release/fc-ecs-release/shared/config"
	"github.com/fc-ecs-release/fc-ecs-release/shared/ecs"
	"github.com/fc-ecs-release/fc-ecs-release/shared/guard"
	"github.com/fc-ecs-release/fc-ecs-release/shared/request"
)

// Spot interruptions. ECS announces that it reclaims a spot instance
// (ecs:Instance:PreemptibleInstanceInterruption, EventBridge or
// CloudMonitor form; see request/spot_event.go) about five minutes before
// it does, with the Recycling lock already on the instance. The release
// function answers it — ECS is about to release the instance — but never
// stops, releases or changes the instance itself: ECS reclaims it. Its
// answer per instance is a receipt (outcome skipped, code
// spot-interruption): the instance, its disks (size, category,
// DeleteWithInstance), what the reclaim takes (disks deleted with it, its
// public IP), what survives and keeps billing (disks kept, an elastic IP)
// and, when asked, the snapshots of its data disks that the reclaim
// deletes, started before it.
//
// Snapshots are asked for by the request's snapshot (an HTTP or direct
// request) or the deployment's SPOT_SNAPSHOT=true (an ECS event carries no
// options). They are started, not waited for: the reclaim comes within
// minutes. Their ClientTokens are derived from the disk and the
// instance's StartTime under a fixed prefix (spotTokenOrigin), not from
// the invocation or the event, and a snapshot already taken for this
// interruption (tag ecs-release:spot-interruption, same StartTime) is
// adopted: FC's retries and repeated deliveries of the event, in either
// form, start no second snapshot.
//
// Guards: only the managed scope (out-of-scope: nothing read, nothing
// done). The release guards do not apply — the Recycling lock is expected,
// and the protection tag, Auto Scaling and ACK protect an instance from
// this tool's stop and release, which a snapshot is not. ECS refuses a
// snapshot of a security-locked instance, or of one neither Running nor
// Stopped: the receipt then says so. Every snapshot is checked at the
// moment of action on a fresh read: in scope, still under the Recycling
// lock.
//
// UNCONFIRMED: that ECS puts the Recycling lock on before it sends the
// event (its documentation says the instance "enters the locked state" and
// the user is notified); without the lock the answer is code
// not-interrupted, with the receipt of what a reclaim would take, and no
// snapshot. That CreateSnapshot is accepted under the Recycling lock (the
// emulator accepts it; ECS documents only the security lock's refusal),
// and that a snapshot started before the reclaim completes after its disk
// is released.

// Codes of a spot interruption's answer.
const (
	// CodeSpotInterruption: ECS is reclaiming the instance (Recycling
	// lock); the outcome carries the receipt, and the snapshots started.
	CodeSpotInterruption = "spot-interruption"
	// CodeNotInterrupted: an interruption was delivered for an instance
	// without the Recycling lock: nothing snapshotted; the receipt says
	// what a reclaim would take.
	CodeNotInterrupted = "not-interrupted"
)

// spotTokenOrigin is the ClientToken prefix of the spot snapshots: fixed,
// so that every delivery of one interruption gets the same snapshots.
const spotTokenOrigin = "ecs-release:spot-interruption"

// spotSnapshotName names the snapshots of a spot interruption.
const spotSnapshotName = "ecs-release-spot"

// prepareReleaseOrSpot is release's prepare: a spot interruption's request
// is resolved without the release guards (see prepareSpot).
func prepareReleaseOrSpot(inv *invocation, p config.Plan, origin string) (*prepared, error) {
	if p.Request.IsSpotInterruption() {
		return prepareSpot(inv, p, origin)
	}
	return prepareRelease(inv, p, origin)
}

// executeReleaseOrSpot answers the spot interruptions of the run, then
// runs the release saga on the rest.
func executeReleaseOrSpot(r *run) {
	executeSpot(r)
	executeRelease(r)
}

// prepareSpot resolves a spot interruption's instances; only the managed
// scope refuses one.
func prepareSpot(inv *invocation, p config.Plan, origin string) (*prepared, error) {
	client, err := inv.client(p.Region, spotTokenOrigin)
	if err != nil {
		return nil, err
	}
	pr := &prepared{plan: p, origin: origin, client: client, readAt: inv.clock.Now(), readEpoch: inv.clock.epoch()}
	found, gone, err := inv.resolve(p, client, nil, nil, nil)
	if err != nil {
		return nil, readError(err)
	}
	for _, id := range gone {
		pr.early = append(pr.early, notFound(id, p.Region))
	}
	for _, in := range found {
		if !inv.policy.InScope(in) {
			v := inv.policy.Check(guard.Release, in)
			pr.early = append(pr.early, skipped(in.ID, v.Code, v.Reason+"; its interruption is not answered"))
			continue
		}
		pr.targets = append(pr.targets, in)
	}
	return pr, nil
}

// spotRun answers the spot interruptions of a run.
type spotRun struct{ *run }

// executeSpot gives every spot interruption item its receipt (and
// snapshots), and ends it: none reaches the release saga.
func executeSpot(r *run) {
	items := r.live(func(it *item) bool { return it.pr.plan.Request.IsSpotInterruption() })
	if len(items) == 0 {
		return
	}
	s := spotRun{r}
	for _, group := range byClient(items) {
		disks, err := group[0].pr.client.Disks(r.inv.ctx, ids(group))
		for _, it := range group {
			if err != nil {
				s.end(it, failure(it.id(), err), nil, "")
				continue
			}
			s.answer(it, disks[it.id()])
		}
	}
	for _, it := range items {
		if !it.done { // never handed to the saga
			s.end(it, unfinished(it.id(), "spot interruption not answered"), nil, "")
		}
	}
}

// end records an item's outcome with its receipt (also logged).
func (s spotRun) end(it *item, o InstanceOutcome, rc *Receipt, rid string) {
	if rc != nil {
		rc.SnapshotIDs = o.SnapshotIDs
		o.Receipt = rc
		s.inv.log.Info("spot interruption receipt", "instanceId", it.id(), "receipt", *rc)
	}
	if o.Status == "" && o.Outcome != OutcomeAlreadyReleased {
		o.Status = it.in.Status
	}
	it.done = true
	s.report(it.pr, o, rid)
}

// wantsSnapshot: the request or the deployment asks for the data disks'
// snapshots.
func (s spotRun) wantsSnapshot(it *item) bool {
	return it.pr.plan.Request.Snapshot || s.inv.cfg.SpotSnapshot
}

// toSnapshot are the disks a reclaim deletes that hold data: data disks
// deleted with the instance (the system disk comes back from the image;
// disks kept survive the reclaim).
func toSnapshot(disks []ecs.Disk) []ecs.Disk {
	var out []ecs.Disk
	for _, d := range disks {
		if d.Type == "data" && d.DeleteWithInstance {
			out = append(out, d)
		}
	}
	return out
}

// answer gives one item its receipt and, when asked, its snapshots.
func (s spotRun) answer(it *item, disks []ecs.Disk) {
	req := it.pr.plan.Request
	rc := newReceipt(*it.in, disks, req.SpotInterruption)
	rc.OriginRequestID, rc.Reason = it.pr.origin, req.Reason
	fate := "release"
	if req.SpotInterruption == request.SpotActionStop {
		fate = "stop"
	}
	if !it.in.Recycling() {
		locks := "none"
		if len(it.in.Locks) > 0 {
			locks = strings.Join(it.in.Locks, ", ")
		}
		s.end(it, skipped(it.id(), CodeNotInterrupted, fmt.Sprintf(
			"a spot interruption (ECS to %s it) was delivered, but the instance carries no %s lock (locks: %s): nothing snapshotted; the receipt says what a reclaim would take", fate, ecs.LockRecycling, locks)), &rc, "")
		return
	}
	reason := fmt.Sprintf("ECS is reclaiming this spot instance (%s lock) and will %s it: this function does not act on it", ecs.LockRecycling, fate)
	if req.SpotInterruption != request.SpotActionStop {
		// What survives the reclaim keeps billing: warned of, priced.
		s.inv.accountReclaim(it.pr.client, *it.in, disks)
	}
	want := toSnapshot(disks)
	switch {
	case !s.wantsSnapshot(it):
		reason += "; no snapshot asked (snapshot, or SPOT_SNAPSHOT=true)"
	case req.SpotInterruption == request.SpotActionStop:
		reason += "; stopped, not released: its disks stay, nothing to snapshot"
	case len(want) == 0:
		reason += "; no data disk is deleted with it: nothing to snapshot"
	case it.pr.plan.DryRun:
		for _, d := range want {
			rc.Snapshots = append(rc.Snapshots, ReceiptSnapshot{DiskID: d.ID, Status: StatusWouldSnapshot})
		}
		reason += fmt.Sprintf("; dry run: would snapshot %d data %s", len(want), plural(len(want), "disk", "disks"))
	default:
		s.snapshot(it, want, &rc, reason)
		return
	}
	s.end(it, skipped(it.id(), CodeSpotInterruption, reason), &rc, "")
}

// snapshot starts (or adopts) a snapshot of each disk in want, checked at
// the moment of action, and ends the item.
func (s spotRun) snapshot(it *item, want []ecs.Disk, rc *Receipt, reason string) {
	c := it.pr.client
	if !s.inv.timeLeft() {
		s.end(it, unfinished(it.id(), "not snapshotted"), rc, "")
		return
	}
	plan, err := c.PlanSpotSnapshots(s.inv.ctx, *it.in, want)
	if err != nil {
		s.end(it, snapshotFailure(it.id(), err, nil), rc, "")
		return
	}
	created := map[string]string{}
	todo := plan.ToCreate()
	for attempt := 1; len(todo) > 0; attempt++ {
		if !s.fresh(it) {
			gone, failed, err := s.describe(c, []*item{it}, ecs.PurposeRecheck)
			switch {
			case len(failed) > 0:
				s.end(it, snapshotFailure(it.id(), err, nil), rc, "")
				return
			case len(gone) > 0:
				s.end(it, InstanceOutcome{InstanceID: it.id(), Outcome: OutcomeAlreadyReleased, Reason: fmt.Sprintf(
					"seen in %s at %s under the %s lock, gone since: ECS reclaimed it before its snapshots were started", it.pr.plan.Region, it.readAt.UTC().Format(time.RFC3339), ecs.LockRecycling)}, rc, "")
				return
			}
		}
		if o := s.checkBeforeSnapshot(it, plan, reason); o != nil {
			s.end(it, *o, rc, "")
			return
		}
		for len(todo) > 0 {
			d := todo[0]
			var id string
			id, err = c.CreateSpotSnapshot(s.inv.ctx, plan, d, spotSnapshotOptions(it, d))
			if err != nil {
				break
			}
			created[d.ID] = id
			todo = todo[1:]
		}
		if err == nil {
			break
		}
		delay := c.Backoff(attempt)
		if !ecs.Retryable(err) || attempt >= c.MaxAttempts() || !s.inv.timeLeftAfter(delay) {
			s.end(it, snapshotFailure(it.id(), err, s.snapshotList(it, plan, created, rc)), rc, "")
			return
		}
		if err := s.inv.clock.Sleep(s.inv.ctx, delay); err != nil {
			s.end(it, unfinished(it.id(), "not snapshotted"), rc, "")
			return
		}
	}
	ids := s.snapshotList(it, plan, created, rc)
	adopted := len(plan.Adopt)
	reason += fmt.Sprintf("; snapshots of %d data %s started before the reclaim", len(ids), plural(len(ids), "disk", "disks"))
	if adopted > 0 {
		reason += fmt.Sprintf(" (%d taken by an earlier delivery of this interruption)", adopted)
	}
	o := skipped(it.id(), CodeSpotInterruption, reason)
	o.SnapshotIDs = ids
	s.end(it, o, rc, "")
}

// checkBeforeSnapshot runs on a fresh read: the instance must still be in
// scope and under the Recycling lock, and a snapshot possible (not
// security-locked, Running or Stopped, not started since the plan). It
// returns the item's outcome when no snapshot is to be taken.
func (s spotRun) checkBeforeSnapshot(it *item, plan *ecs.SnapshotPlan, reason string) *InstanceOutcome {
	in := *it.in
	var o InstanceOutcome
	switch {
	case !s.inv.policy.InScope(in):
		v := s.inv.policy.Check(guard.Release, in)
		o = skipped(it.id(), v.Code, v.Reason+"; it changed while this request ran, so it was not snapshotted")
	case !in.Recycling():
		o = skipped(it.id(), CodeNotInterrupted, fmt.Sprintf("the %s lock is gone since it was read: ECS no longer reclaims it; not snapshotted", ecs.LockRecycling))
	case in.SecurityLocked():
		o = skipped(it.id(), CodeSpotInterruption, reason+"; also security-locked: ECS takes no snapshot of it")
	case in.Status != ecs.StatusRunning && in.Status != ecs.StatusStopped:
		o = skipped(it.id(), CodeSpotInterruption, reason+fmt.Sprintf("; status %s: ECS snapshots the disks of Running or Stopped instances only", in.Status))
	case ecs.FormatMinute(in.StartTime) != plan.Start:
		o = skipped(it.id(), CodeSpotInterruption, reason+fmt.Sprintf("; started again (StartTime %s) since it was read: not snapshotted", ecs.FormatMinute(in.StartTime)))
	default:
		return nil
	}
	return &o
}

// snapshotList fills the receipt's snapshots (adopted and created, in disk
// order, with their status as read now) and returns their IDs.
func (s spotRun) snapshotList(it *item, plan *ecs.SnapshotPlan, created map[string]string, rc *Receipt) []string {
	var ids []string
	for _, d := range plan.Disks {
		id, ok := plan.Adopt[d.ID]
		if !ok {
			id, ok = created[d.ID]
		}
		if ok {
			ids = append(ids, id)
		}
	}
	status, err := it.pr.client.SnapshotStatuses(s.inv.ctx, ids)
	if err != nil {
		s.inv.log.Warn("could not read the spot snapshots' status for the receipt", "instanceId", it.id(), "error", err.Error())
	}
	rc.Snapshots = nil
	for _, d := range plan.Disks {
		id, ok := plan.Adopt[d.ID]
		if !ok {
			id, ok = created[d.ID]
		}
		if !ok {
			continue
		}
		st := status[id]
		if st == "" {
			st = ecs.SnapshotProgressing
		}
		rc.Snapshots = append(rc.Snapshots, ReceiptSnapshot{DiskID: d.ID, SnapshotID: id, Status: st})
	}
	return ids
}

// spotSnapshotOptions name a spot snapshot from the instance and the disk
// only: the same for every delivery of the interruption (ClientToken).
func spotSnapshotOptions(it *item, d ecs.Disk) ecs.SnapshotOptions {
	return ecs.SnapshotOptions{Name: spotSnapshotName, Description: fmt.Sprintf(
		"ecs-release: spot interruption: disk %s (%s, %d GiB) of %s, before ECS reclaims it", d.ID, d.Category, d.SizeGiB, it.id())}
}

// snapshotFailure is a spot snapshot that could not be started: failed,
// code snapshot-failed, retryable when ECS's error is.
func snapshotFailure(id string, err error, started []string) InstanceOutcome {
	o := failure(id, err)
	o.Code = CodeSnapshotFailed
	o.SnapshotIDs = started
	return o
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
