package drills_test

// The invariants the world simulation checks after every step, judged from
// the emulator's own record (every call, with the witness's view of the
// instances it touched at that moment) and from the answers and logs —
// never from the functions' own bookkeeping:
//
//   I1 no DeleteInstances on an instance that was, at that call, protected,
//      out of scope, deletion-protected, PrePaid, locked, or Running without
//      an explicit force, or started again since the read the release
//      relies on (a hand-over: the stop's last read of it; a direct
//      request: the first read at which its last start lay more than a
//      minute (+5 s skew) back — ECS shows start times to the minute);
//   I2 no mutating call for a request that is dry run (the deployment, the
//      request or its batch element, or the stop that handed it over);
//   I3 snapshot:true ⇒ released only with an accomplished snapshot of every
//      disk, created after its last stop;
//   I4 every instance named to (or handed to) a function is in its answer
//      (or, for an attempt that failed to be retried, its log) with an
//      outcome, every skip and failure with a code; a refusal touches
//      nothing;
//   I5 after a sweep, no auto-release time this tool set remains on an
//      instance that was protected, deletion-protected, out of scope, an
//      ACK node or a scaling-group member before the sweep began (and is
//      still, and is not locked);
//   I6 no attempt acts on more instances than MAX_INSTANCES;
//   I7 no answer says released/already-released for an instance that exists;
//   I8 no secret or token, in any encoding, in a log line, answer or error;
//   I9 no stop, release, snapshot for a release or auto-release time set on
//      an instance that was, at that call, an ACK node; nor on a member of
//      an Auto Scaling group unless every request of the invocation that
//      reaches it said "autoScaling": "include" (a hand-over: the stop's
//      request), and never an auto-release time; nor on a locked instance
//      (any reason; a release: I1);
//   I10 a spot interruption's answer makes no mutating call but
//      CreateSnapshot, of a data disk deleted with the instance its event
//      names, with SPOT_SNAPSHOT=true, while that instance carries the
//      Recycling lock and is in scope; across every delivery of one
//      interruption (EventBridge, CloudMonitor, FC's retries) at most one
//      snapshot (not failed) per disk; it never says released or stopping;
//   I11 stopped-still-charging flags exactly the instances stop or release
//      leaves stopped while they still cost: ECS's answer to the function's
//      last read shows Stopped with StoppedMode KeepCharging or
//      Not-applicable (or the attempt stopped it in KeepCharging after ECS
//      refused economical mode), the request asked StopCharging, it is not
//      PrePaid, not released and not handed over by stop; a Stopped
//      instance's outcome reports the StoppedMode ECS answered;
//   I13 nothing left billing is silent: every disk of an instance an answer
//      says released that still exists (not deleted with it) is named by a
//      still-billing warning of that instance in the same answer (or the
//      warning says its disks could not be read); and a warning names only
//      such disks;
//   I12 a mutating call acts only on an instance in a region its request
//      looked in (a named instance: its ARN's region, the request's,
//      DEFAULT_REGION, the function's; a selector or sweep: its one
//      region); a not-found names every region searched; an instance named
//      where none of them has it is never said released.

import (
	"cmp"
	"encoding/json"
	"fmt"
	"github.com/fc-ecs-release/fc-ecs-release/shared/answer"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/fc-ecs-release/fc-ecs-release/internal/ecsemu"
	"github.com/fc-ecs-release/fc-ecs-release/internal/handlertest"
	"github.com/fc-ecs-release/fc-ecs-release/shared/ecs"
	"github.com/fc-ecs-release/fc-ecs-release/shared/guard"
	"github.com/fc-ecs-release/fc-ecs-release/shared/handler"
)

func (r *simRun) fail(where, inv, format string, args ...any) {
	r.violations = append(r.violations, fmt.Sprintf("%s: %s: %s", where, inv, fmt.Sprintf(format, args...)))
}

// named lists the instances a call names in its parameters (and, through
// the witness, a disk's instance).
func named(c ecsemu.Call) []string {
	var out []string
	seen := map[string]bool{}
	add := func(id string) {
		if id != "" && !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	for k, v := range c.Params {
		if k == "InstanceId" || strings.HasPrefix(k, "InstanceId.") || (strings.HasPrefix(k, "ResourceId.") && c.Params["ResourceType"] == "instance") {
			add(v)
		}
	}
	for _, st := range c.Before {
		add(st.InstanceId)
	}
	return out
}

func (r *simRun) check(m *simMeta, a *simAttempt, before map[string]ecsemu.Instance, where string) {
	vars := r.s.Vars
	maxInstances := 0
	fmt.Sscanf(vars["MAX_INSTANCES"], "%d", &maxInstances)
	scoped := vars["MANAGED_TAG"] != ""
	firstSettled := map[string]simObs{}
	acted := map[string]bool{}
	for _, c := range a.calls {
		// Observations, in call order: the first settled one of each
		// instance is a direct release's baseline.
		for _, st := range append(append([]ecsemu.InstanceState(nil), c.Returned...), c.Before...) {
			if _, ok := firstSettled[st.InstanceId]; !ok {
				if o := obsOf(c.Time, st); o.settled {
					firstSettled[st.InstanceId] = o
				}
			}
		}
		if !c.Mutating {
			continue
		}
		ids := named(c)
		for _, id := range ids {
			acted[id] = true
		}
		// I12: acted on only where the request looked for it.
		for _, st := range c.Before {
			r.checkCallRegion(m, c, st, where)
		}
		// I2.
		r.fig.Checks++
		if m.dryAll {
			r.fail(where, m.fn, "I2: %s in a dry run", c.Action)
		}
		for _, id := range ids {
			if m.dryIDs[id] {
				r.fail(where, m.fn, "I2: %s on %s, which a dry-run request named", c.Action, id)
			}
		}
		// I9, or for a spot interruption I10.
		for _, st := range c.Before {
			if m.spot != "" {
				r.checkSpotCall(m, c, st, where)
			} else {
				r.checkOwnedOrLocked(m, c, st, where)
			}
		}
		if c.Action != "DeleteInstances" || c.Injected {
			continue
		}
		for _, st := range c.Before {
			r.checkRelease(m, c, st, firstSettled, scoped, where)
		}
		if c.Status == 200 {
			r.fig.Released += len(c.Before)
		}
	}
	// I6.
	r.fig.Checks++
	if len(acted) > maxInstances {
		r.fail(where, m.fn, "I6: acted on %d instances, more than MAX_INSTANCES=%d", len(acted), maxInstances)
	}
	// I8.
	r.fig.Checks++
	text := a.logs
	if a.answer != nil {
		raw, _ := json.Marshal(a.answer)
		text += string(raw)
	}
	if a.err != nil {
		text += a.err.Error()
	}
	if found := handlertest.FindSecrets(text, simSecret, simToken); len(found) > 0 {
		r.fail(where, m.fn, "I8: secrets in the output: %v", found)
	}
	r.trackAutoRelease(a)
	if m.spot != "" {
		r.checkSpotSnapshots(m, where)
	}
	if a.cut {
		return // FC's timeout: the answer is lost; the retry accounts for it
	}
	outcomes := a.outcomes()
	for _, o := range outcomes {
		if o.Code == handler.CodeRestarted {
			r.fig.RestartsSkipped++
		}
		if r.fig.Codes == nil {
			r.fig.Codes = map[string]int{}
		}
		if o.Code != "" {
			r.fig.Codes[o.Code]++
		}
		for _, f := range o.Flags {
			r.fig.Codes["flag "+f]++
		}
	}
	// I11, I12 and a spot interruption's outcomes (I10).
	r.checkCharging(m, a, outcomes, where)
	for _, o := range outcomes {
		r.checkOutcomeRegion(m, o, where)
		if m.spot != "" {
			r.fig.Checks++
			switch o.Outcome {
			case handler.OutcomeSkipped, handler.OutcomeFailed, handler.OutcomeAlreadyReleased:
			default:
				r.fail(where, m.fn, "I10: a spot interruption answered %s %s (%s)", o.InstanceID, o.Outcome, o.Reason)
			}
		}
	}
	// I4. A refusal (an error before anything was decided: a read that
	// failed, the cap, an invalid request; over HTTP a 4xx or 5xx) is its
	// own explanation, and must have touched nothing.
	refused := (a.err != nil || a.status >= 400) && len(outcomes) == 0
	r.fig.Checks++
	if refused && len(acted) > 0 {
		r.fail(where, m.fn, "I4: refused (%v) but acted on %d instances", a.err, len(acted))
	}
	if !refused {
		got := map[string]bool{}
		for _, o := range outcomes {
			got[o.InstanceID] = true
			if (o.Outcome == handler.OutcomeSkipped || o.Outcome == handler.OutcomeFailed) && o.Code == "" {
				r.fail(where, m.fn, "I4: %s %s without a code: %s", o.InstanceID, o.Outcome, o.Reason)
			}
		}
		for id := range m.explicit {
			if !got[id] {
				r.fail(where, m.fn, "I4: %s was named but is in no outcome", id)
			}
		}
	}
	// I7.
	for _, o := range outcomes {
		if o.Outcome == handler.OutcomeReleased || o.Outcome == handler.OutcomeAlreadyReleased {
			r.fig.Checks++
			if _, exists := r.w.Env.Emu.Instance(o.InstanceID); exists {
				r.fail(where, m.fn, "I7: %s reported %s but exists", o.InstanceID, o.Outcome)
			}
		}
	}
	// I13.
	if a.answer != nil {
		r.checkLeftovers(m, a.answer, where)
	}
	// I5.
	if m.sweep && a.err == nil && a.answer != nil && !a.answer.DryRun {
		r.checkSweep(before, scoped, where)
	}
}

// checkRelease judges one instance of a DeleteInstances call (I1, I3).
func (r *simRun) checkRelease(m *simMeta, c ecsemu.Call, st ecsemu.InstanceState, firstSettled map[string]simObs, scoped bool, where string) {
	id := st.InstanceId
	r.fig.Checks++
	switch {
	case st.Tags[simProtectKey] == "true":
		r.fail(where, m.fn, "I1: released %s while protected", id)
	case scoped && st.Tags[simManagedKey] != "true":
		r.fail(where, m.fn, "I1: released %s while out of scope", id)
	case st.DeletionProtection:
		r.fail(where, m.fn, "I1: released %s with deletion protection on", id)
	case st.InstanceChargeType == ecsemu.PrePaid:
		r.fail(where, m.fn, "I1: released PrePaid %s", id)
	case st.HasLock():
		r.fail(where, m.fn, "I1: released %s while locked (%v)", id, st.Locks)
	case st.Status != ecsemu.StatusStopped && (c.Params["Force"] != "true" || !m.forceIDs[id]):
		r.fail(where, m.fn, "I1: released %s in status %s (force %s, asked %v)", id, st.Status, c.Params["Force"], m.forceIDs[id])
	}
	var base simObs
	var ok bool
	if m.handOver != nil {
		base, ok = m.handOver.obs[id]
	} else {
		base, ok = firstSettled[id]
	}
	r.fig.Checks++
	switch {
	case !ok:
		r.fail(where, m.fn, "I1: released %s without a read to rely on", id)
	case !st.StartIssuedAt.Equal(base.startIssued):
		r.fail(where, m.fn, "I1: released %s, started again at %s since the read at %s it relied on", id, st.StartIssuedAt.Format(time.RFC3339), base.at.Format(time.RFC3339))
	}
	// I3.
	if m.snapAll || m.snapIDs[id] {
		r.fig.Checks++
		for _, d := range st.Disks {
			fresh := false
			for _, sn := range d.Snapshots {
				fresh = fresh || (sn.Status == ecsemu.SnapshotAccomplished && !sn.Created.Before(st.StopIssuedAt))
			}
			if !fresh {
				r.fail(where, m.fn, "I3: released %s without an accomplished snapshot of disk %s taken after its last stop (%s)", id, d.DiskId, st.StopIssuedAt.Format(time.RFC3339))
			}
		}
	}
}

// ackNode reports whether the instance is an ACK node (any ACK tag).
func ackNode(tags map[string]string) bool {
	for k := range tags {
		if k == ecs.TagACKCluster || strings.HasPrefix(k, ecs.TagACKPrefix) {
			return true
		}
	}
	return false
}

// checkOwnedOrLocked judges one instance of a stop, a release, a snapshot
// for a release or an auto-release time set (I9): never on an ACK node;
// never on an Auto Scaling member unless every request of the invocation
// that reaches it said "autoScaling": "include" (a hand-over: the stop's
// request) — never for an auto-release time; never on a locked instance.
// (Cancelling a time only narrows: not judged here. A release of a locked
// instance is I1's.)
func (r *simRun) checkOwnedOrLocked(m *simMeta, c ecsemu.Call, st ecsemu.InstanceState, where string) {
	setsTime := false
	switch {
	case c.Action == "StopInstances", c.Action == "CreateSnapshot", c.Action == "DeleteInstances":
	case c.Action == "ModifyInstanceAutoReleaseTime" && c.Params["AutoReleaseTime"] != "":
		setsTime = true
	default:
		return
	}
	group, member := st.Tags[ecs.TagScalingGroupID]
	included := member && !setsTime
	reached := false
	for _, q := range m.reqs {
		if q.reaches(st.InstanceId, st.Tags) {
			reached = true
			included = included && q.includes(st.InstanceId)
		}
	}
	r.fig.Checks++
	switch {
	case ackNode(st.Tags):
		r.fail(where, m.fn, "I9: %s on %s, an ACK node", c.Action, st.InstanceId)
	case member && !(included && reached):
		r.fail(where, m.fn, "I9: %s on %s, a member of Auto Scaling group %s, though no request included them", c.Action, st.InstanceId, group)
	case st.HasLock() && c.Action != "DeleteInstances":
		r.fail(where, m.fn, "I9: %s on %s while locked (%v)", c.Action, st.InstanceId, st.Locks)
	case member && c.Status == 200:
		r.fig.MemberActions++
	}
}

// checkSpotCall judges a mutating call of a spot interruption's answer
// (I10): only CreateSnapshot, of a data disk the reclaim deletes, of the
// instance the event names, with SPOT_SNAPSHOT=true, while the instance
// is under the Recycling lock (and in scope).
func (r *simRun) checkSpotCall(m *simMeta, c ecsemu.Call, st ecsemu.InstanceState, where string) {
	r.fig.Checks++
	if c.Action != "CreateSnapshot" {
		r.fail(where, m.fn, "I10: %s on %s in answer to a spot interruption", c.Action, st.InstanceId)
		return
	}
	d := r.disks[c.Params["DiskId"]]
	recycling := slices.ContainsFunc(st.Locks, func(l string) bool { return strings.EqualFold(l, ecsemu.LockRecycling) })
	switch {
	case st.InstanceId != m.spot:
		r.fail(where, m.fn, "I10: CreateSnapshot on %s, not the interrupted %s", st.InstanceId, m.spot)
	case r.s.Vars["SPOT_SNAPSHOT"] != "true":
		r.fail(where, m.fn, "I10: CreateSnapshot of %s's disk %s without SPOT_SNAPSHOT=true", st.InstanceId, c.Params["DiskId"])
	case d.DiskId == "" || d.Type != "data" || !d.DeleteWithInstance:
		r.fail(where, m.fn, "I10: CreateSnapshot of %s's disk %s (type %q, deleted with the instance %v): not a data disk the reclaim deletes", st.InstanceId, c.Params["DiskId"], d.Type, d.DeleteWithInstance)
	case !recycling:
		r.fail(where, m.fn, "I10: CreateSnapshot of %s's disk %s without the Recycling lock (locks %v)", st.InstanceId, c.Params["DiskId"], st.Locks)
	case r.s.Vars["MANAGED_TAG"] != "" && st.Tags[simManagedKey] != "true":
		r.fail(where, m.fn, "I10: CreateSnapshot of %s's disk %s, out of scope", st.InstanceId, c.Params["DiskId"])
	case c.Status == 200:
		r.fig.SpotSnapshots++
	}
}

// checkSpotSnapshots: across every delivery of an interruption, at most
// one snapshot (not failed) of each disk of the interrupted instance
// (I10).
func (r *simRun) checkSpotSnapshots(m *simMeta, where string) {
	type key struct{ disk, start string }
	count := map[key][]string{}
	for _, sn := range r.w.Env.Emu.Snapshots() {
		tags := map[string]string{}
		for _, t := range sn.Tags.Tag {
			tags[t.TagKey] = t.TagValue
		}
		if tags[ecs.SpotSnapshotTag] != "true" || sn.Status == ecsemu.SnapshotFailed {
			continue
		}
		k := key{sn.SourceDiskId, tags[ecs.SnapshotStartTag]}
		count[k] = append(count[k], sn.SnapshotId)
	}
	r.fig.Checks++
	keys := slices.SortedFunc(maps.Keys(count), func(a, b key) int { return cmp.Or(strings.Compare(a.disk, b.disk), strings.Compare(a.start, b.start)) })
	for _, k := range keys {
		if ids := count[k]; len(ids) > 1 && r.disks[k.disk].InstanceId == m.spot {
			r.fail(where, m.fn, "I10: %d spot snapshots of %s's disk %s for one interruption (start %s): %v", len(ids), m.spot, k.disk, k.start, ids)
		}
	}
}

// checkCallRegion: a mutating call acts on an instance in a region the
// request looked in — one of the chain of a request naming it (its ARN's
// region, the request's, DEFAULT_REGION, the function's), or the one
// region a selector or sweep lists (I12).
func (r *simRun) checkCallRegion(m *simMeta, c ecsemu.Call, st ecsemu.InstanceState, where string) {
	var allowed []string
	for _, q := range m.reqs {
		if _, ok := q.refs[st.InstanceId]; ok {
			allowed = append(allowed, r.chain(q, st.InstanceId)...)
		} else if q.reaches(st.InstanceId, st.Tags) {
			allowed = append(allowed, r.listRegion(q))
		}
	}
	r.fig.Checks++
	if !slices.Contains(allowed, st.RegionId) {
		r.fail(where, m.fn, "I12: %s on %s in %s, a region no request of the invocation looked in (%v)", c.Action, st.InstanceId, st.RegionId, allowed)
	}
}

// checkOutcomeRegion: a not-found names every region searched; an
// instance named where it is not (its region not in the chain) is never
// said released (I12).
func (r *simRun) checkOutcomeRegion(m *simMeta, o handler.InstanceOutcome, where string) {
	q := m.reqOf(o)
	if q == nil {
		return
	}
	if _, named := q.refs[o.InstanceID]; !named {
		return
	}
	chain := r.chain(q, o.InstanceID)
	if f, ok := r.fleetOf(o.InstanceID); ok && o.Code != handler.CodeNotFound {
		if i := slices.Index(chain, f.Region); i > 0 {
			r.fig.FoundFurther++
		}
	}
	if f, ok := r.fleetOf(o.InstanceID); ok && !slices.Contains(chain, f.Region) {
		r.fig.NamedElsewhere++
	}
	if o.Code == handler.CodeNotFound {
		r.fig.Checks++
		for _, region := range chain {
			if !strings.Contains(o.Reason, region) {
				r.fail(where, m.fn, "I12: %s not-found, but the reason does not name region %s of %v: %s", o.InstanceID, region, chain, o.Reason)
			}
		}
	}
	if o.Outcome == handler.OutcomeReleased || o.Outcome == handler.OutcomeAlreadyReleased {
		r.fig.Checks++
		if f, ok := r.fleetOf(o.InstanceID); ok && !slices.Contains(chain, f.Region) {
			r.fail(where, m.fn, "I12: %s (in %s) said %s, named where it is not (searched %v)", o.InstanceID, f.Region, o.Outcome, chain)
		}
	}
}

// fleetOf is the fleet instance of an ID.
func (r *simRun) fleetOf(id string) (simInstance, bool) {
	for _, f := range r.s.Fleet {
		if f.ID == id {
			return f, true
		}
	}
	return simInstance{}, false
}

// checkCharging: I11. Every instance stop or release leaves stopped while
// it still costs its vCPU and memory is flagged stopped-still-charging,
// and no other: judged from what ECS answered the function's own last
// read of it in the attempt (status, StoppedMode, charge type) and from
// the stops it made. Expected: not released (nor already), not PrePaid,
// its request (a hand-over: the stop's) asked StopCharging, not a stop
// that hands it over, and either the last read showed it Stopped in
// KeepCharging or Not-applicable, or it is stopping after a KeepCharging
// StopInstances this attempt made (ECS refused economical mode and the
// request's stoppedModeFallback stopped it anyway). Outcomes decided
// before any action (a guard at planning, a duplicate or conflict, not
// found) carry no flag: for those, only a flag set wrongly is a
// violation. A Stopped instance's outcome (but those) reports the
// StoppedMode ECS reported.
func (r *simRun) checkCharging(m *simMeta, a *simAttempt, outcomes []handler.InstanceOutcome, where string) {
	if m.spot != "" {
		return
	}
	last := map[string]simSeen{}
	keepStop := map[string]bool{}
	for _, c := range a.calls {
		switch {
		case c.Action == "DescribeInstances" && c.Status == 200:
			maps.Copy(last, r.gate.answered(c.RequestID))
		case c.Action == "StopInstances" && c.Status == 200 && c.Params["StoppedMode"] == "KeepCharging":
			for _, id := range named(c) {
				keepStop[id] = true
			}
		}
	}
	for _, o := range outcomes {
		flagged := slices.Contains(o.Flags, handler.FlagStoppedStillCharging)
		if m.fn == "autorelease" {
			if flagged || o.StoppedMode != "" {
				r.fail(where, m.fn, "I11: %s flagged %v, stoppedMode %q by autorelease", o.InstanceID, o.Flags, o.StoppedMode)
			}
			continue
		}
		q := m.reqOf(o)
		if q == nil {
			continue
		}
		seen, read := last[o.InstanceID]
		asked := q.modeFor(o.InstanceID) == "StopCharging"
		stopped := read && seen.Status == ecsemu.StatusStopped
		still := seen.StoppedMode == "KeepCharging" || seen.StoppedMode == "Not-applicable"
		fellBack := o.Outcome == handler.OutcomeStopping && keepStop[o.InstanceID]
		want := asked && seen.Charge != ecsemu.PrePaid && !(m.fn == "stop" && q.handsOver) &&
			o.Outcome != handler.OutcomeReleased && o.Outcome != handler.OutcomeAlreadyReleased &&
			((stopped && still) || fellBack)
		decidedEarly := guard.IsLockCode(o.Code)
		switch o.Code {
		case handler.CodeOutOfScope, handler.CodeProtected, handler.CodeKubernetesNode, handler.CodeAutoScaling, handler.CodePrePaid,
			handler.CodeDeletionProtection, handler.CodeConflict, handler.CodeDuplicate, handler.CodeNotFound:
			decidedEarly = true
		}
		r.fig.Checks++
		switch {
		case flagged && !want:
			r.fail(where, m.fn, "I11: %s (%s %s) flagged %s, but ECS answered status %q, StoppedMode %q, charge %q (asked %s, hands over %v, read %v): %s",
				o.InstanceID, o.Outcome, o.Code, handler.FlagStoppedStillCharging, seen.Status, seen.StoppedMode, seen.Charge, q.modeFor(o.InstanceID), q.handsOver, read, o.Reason)
		case !flagged && want && !decidedEarly:
			r.fail(where, m.fn, "I11: %s (%s %s) not flagged %s, though ECS answered status %q, StoppedMode %q (asked %s, fell back %v)",
				o.InstanceID, o.Outcome, o.Code, handler.FlagStoppedStillCharging, seen.Status, seen.StoppedMode, q.modeFor(o.InstanceID), fellBack)
		case stopped && !decidedEarly && o.Outcome != handler.OutcomeReleased && o.Outcome != handler.OutcomeAlreadyReleased && o.StoppedMode != seen.StoppedMode:
			r.fail(where, m.fn, "I11: %s (%s %s) reports stoppedMode %q, ECS answered %q", o.InstanceID, o.Outcome, o.Code, o.StoppedMode, seen.StoppedMode)
		}
	}
}

// trackAutoRelease notes the auto-release times this tool set (or
// cancelled) in an attempt.
func (r *simRun) trackAutoRelease(a *simAttempt) {
	for _, c := range a.calls {
		if c.Action != "ModifyInstanceAutoReleaseTime" || c.Status != 200 {
			continue
		}
		id := c.Params["InstanceId"]
		if v := c.Params["AutoReleaseTime"]; v != "" {
			t, err := time.Parse("2006-01-02T15:04:05Z", v)
			if err == nil {
				r.toolSet[id] = t.Truncate(time.Minute).Format("2006-01-02T15:04Z")
			}
		} else {
			delete(r.toolSet, id)
		}
	}
}

// checkSweep: I5.
func (r *simRun) checkSweep(before map[string]ecsemu.Instance, scoped bool, where string) {
	keepsNone := func(in ecsemu.Instance) bool {
		tags := map[string]string{}
		for _, t := range in.Tags.Tag {
			tags[t.TagKey] = t.TagValue
		}
		_, member := tags[ecsemu.TagScalingGroup]
		return tags[simProtectKey] == "true" || in.DeletionProtection || (scoped && tags[simManagedKey] != "true") || member || ackNode(tags)
	}
	for _, in := range r.w.Env.Emu.Instances() {
		was, ok := before[in.InstanceId]
		if !ok || in.RegionId != r.home || len(in.OperationLocks.LockReason) > 0 || !keepsNone(was) || !keepsNone(in) {
			continue
		}
		r.fig.Checks++
		if set := r.toolSet[in.InstanceId]; set != "" && in.AutoReleaseTime == set {
			r.fail(where, "autorelease", "I5: %s keeps the auto-release time %s this tool set, though protected, deletion-protected, out of scope, an ACK node or a scaling-group member", in.InstanceId, set)
		}
	}
}

// outcomes are an attempt's per-instance outcomes: its answer's, or, when
// it failed (FC retries it), those its log recorded.
func (a *simAttempt) outcomes() []handler.InstanceOutcome {
	if a.answer != nil {
		return a.answer.Instances
	}
	var out []handler.InstanceOutcome
	for line := range strings.SplitSeq(a.logs, "\n") {
		var rec struct {
			Msg         string   `json:"msg"`
			InstanceID  string   `json:"instanceId"`
			Outcome     string   `json:"outcome"`
			Code        string   `json:"code"`
			Reason      string   `json:"reason"`
			Request     int      `json:"request"`
			StoppedMode string   `json:"stoppedMode"`
			Flags       []string `json:"flags"`
		}
		if json.Unmarshal([]byte(line), &rec) != nil || rec.Msg != "instance" {
			continue
		}
		out = append(out, handler.InstanceOutcome{InstanceID: rec.InstanceID, Outcome: rec.Outcome, Code: rec.Code, Reason: rec.Reason,
			Request: rec.Request, StoppedMode: rec.StoppedMode, Flags: rec.Flags})
	}
	return out
}

// checkLeftovers is I13.
func (r *simRun) checkLeftovers(m *simMeta, resp *handler.Response, where string) {
	r.refreshDisks()
	now := map[string]bool{}
	for _, d := range r.w.Env.Emu.Disks() {
		now[d.DiskId] = true
	}
	warned := map[string][]string{}
	for _, w := range resp.Warnings {
		if w.Code == answer.WarningStillBilling {
			warned[w.InstanceID] = append(warned[w.InstanceID], w.Resources...)
		}
	}
	for _, o := range resp.Instances {
		if o.Outcome != handler.OutcomeReleased {
			continue
		}
		r.fig.Checks++
		res := warned[o.InstanceID]
		unknown := slices.Contains(res, handler.DisksUnknown)
		for id, d := range r.disks {
			if d.InstanceId == o.InstanceID && now[id] && !unknown && !slices.Contains(res, id) {
				r.fail(where, m.fn, "I13: %s released, its disk %s still exists, and no warning names it", o.InstanceID, id)
			}
		}
		for _, id := range res {
			if strings.HasPrefix(id, "d-") && (!now[id] || r.disks[id].InstanceId != o.InstanceID) {
				r.fail(where, m.fn, "I13: %s's warning names disk %s, which is not a disk it left behind", o.InstanceID, id)
			}
		}
	}
}
