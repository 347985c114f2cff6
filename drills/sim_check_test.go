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
//      instance that was protected, deletion-protected or out of scope
//      before the sweep began (and is still, and is not locked);
//   I6 no attempt acts on more instances than MAX_INSTANCES;
//   I7 no answer says released/already-released for an instance that exists;
//   I8 no secret or token, in any encoding, in a log line, answer or error;
//   I9 no stop, snapshot or auto-release time set on an instance that was,
//      at that call, an ACK node, a member of an Auto Scaling group (no
//      simulated request includes them) or locked (any reason).

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/fc-ecs-release/fc-ecs-release/internal/ecsemu"
	"github.com/fc-ecs-release/fc-ecs-release/internal/handlertest"
	"github.com/fc-ecs-release/fc-ecs-release/shared/ecs"
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
		// I9.
		for _, st := range c.Before {
			r.checkOwnedOrLocked(m, c, st, where)
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
	if a.cut {
		return // FC's timeout: the answer is lost; the retry accounts for it
	}
	outcomes := a.outcomes()
	for _, o := range outcomes {
		if o.Code == handler.CodeRestarted {
			r.fig.RestartsSkipped++
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

// checkOwnedOrLocked judges one instance of a stop, a snapshot or an
// auto-release time set (I9): never on an ACK node, an Auto Scaling member
// or a locked instance. (Cancelling a time only narrows: not judged here.
// A release of a locked instance is I1's.)
func (r *simRun) checkOwnedOrLocked(m *simMeta, c ecsemu.Call, st ecsemu.InstanceState, where string) {
	switch {
	case c.Action == "StopInstances", c.Action == "CreateSnapshot", c.Action == "DeleteInstances":
	case c.Action == "ModifyInstanceAutoReleaseTime" && c.Params["AutoReleaseTime"] != "":
	default:
		return
	}
	ack := false
	for k := range st.Tags {
		ack = ack || k == ecs.TagACKCluster || strings.HasPrefix(k, ecs.TagACKPrefix)
	}
	_, member := st.Tags[ecs.TagScalingGroupID]
	r.fig.Checks++
	switch {
	case ack:
		r.fail(where, m.fn, "I9: %s on %s, an ACK node", c.Action, st.InstanceId)
	case member:
		r.fail(where, m.fn, "I9: %s on %s, a member of Auto Scaling group %s", c.Action, st.InstanceId, st.Tags[ecs.TagScalingGroupID])
	case st.HasLock() && c.Action != "DeleteInstances":
		r.fail(where, m.fn, "I9: %s on %s while locked (%v)", c.Action, st.InstanceId, st.Locks)
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
		return tags[simProtectKey] == "true" || in.DeletionProtection || (scoped && tags[simManagedKey] != "true")
	}
	for _, in := range r.w.Env.Emu.Instances() {
		was, ok := before[in.InstanceId]
		if !ok || in.RegionId != simRegion || len(in.OperationLocks.LockReason) > 0 || !keepsNone(was) || !keepsNone(in) {
			continue
		}
		r.fig.Checks++
		if set := r.toolSet[in.InstanceId]; set != "" && in.AutoReleaseTime == set {
			r.fail(where, "autorelease", "I5: %s keeps the auto-release time %s this tool set, though protected, deletion-protected or out of scope", in.InstanceId, set)
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
			Msg        string `json:"msg"`
			InstanceID string `json:"instanceId"`
			Outcome    string `json:"outcome"`
			Code       string `json:"code"`
			Reason     string `json:"reason"`
		}
		if json.Unmarshal([]byte(line), &rec) != nil || rec.Msg != "instance" {
			continue
		}
		out = append(out, handler.InstanceOutcome{InstanceID: rec.InstanceID, Outcome: rec.Outcome, Code: rec.Code, Reason: rec.Reason})
	}
	return out
}
