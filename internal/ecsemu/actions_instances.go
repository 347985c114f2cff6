package ecsemu

import (
	"encoding/json"
	"maps"
	"net/http"
	"time"
)

var validLockReasons = map[string]bool{"financial": true, "security": true, "recycling": true, "dedicatedhostfinancial": true, "refunded": true}

func (e *Emulator) describeInstances(c *rpc) (map[string]any, *apiError) {
	if err := c.requireRegion(); err != nil {
		return nil, err
	}
	ids, hasIDs, err := c.jsonIDs("InstanceIds", 100)
	if err != nil {
		return nil, err
	}
	status := c.p.get("Status")
	if status != "" && !validStatus[status] {
		return nil, errf("InvalidStatus.NotFound", "The specified Status is not found")
	}
	charge := c.p.get("InstanceChargeType")
	if charge != "" && charge != PostPaid && charge != PrePaid {
		return nil, errf("InvalidInstanceChargeType.NotFound", "The InstanceChargeType does not exist in our records")
	}
	lock := c.p.get("LockReason")
	if lock != "" && !validLockReasons[lock] {
		return nil, errf("InvalidLockReason.NotFound", "The specified LockReason is not found")
	}
	tags, hasValue, err := c.tagPairs(20)
	if err != nil {
		return nil, err
	}
	pg, err := c.paging(100, 10)
	if err != nil {
		return nil, err
	}
	if dry, err := c.dryRun(); err != nil || dry {
		if err != nil {
			return nil, err
		}
		return nil, errf("DryRunOperation", msgDryRun)
	}
	idSet := map[string]bool{}
	for _, id := range ids {
		idSet[id] = true
	}
	name, zone := c.p.get("InstanceName"), c.p.get("ZoneId")
	match := func(in *instance) bool {
		if in.region != c.region || (hasIDs && !idSet[in.id]) {
			return false
		}
		if (status != "" && in.status != status) || (charge != "" && in.chargeType != charge) || (zone != "" && in.zone != zone) {
			return false
		}
		if name != "" && !glob(name, in.name) {
			return false
		}
		if lock != "" {
			found := false
			for _, l := range in.locks {
				found = found || l.LockReason == lock
			}
			if !found {
				return false
			}
		}
		for i, t := range tags {
			v, ok := in.tagValue(t.TagKey)
			if !ok || (hasValue[i] && v != t.TagValue) {
				return false
			}
		}
		return true
	}
	var list []*instance
	if hasIDs {
		// Look up by ID instead of scanning the whole store.
		for id := range idSet {
			if in := e.st.instances[id]; in != nil && match(in) {
				list = append(list, in)
			}
		}
		sortBySeq(list)
	} else {
		list = e.st.sortedInstances(match)
	}
	out := map[string]any{}
	page := pageOfMap(pg, list, func(in *instance) int64 { return in.seq }, out)
	views := make([]Instance, len(page))
	for i, in := range page {
		views[i] = in.view()
	}
	out["Instances"] = map[string]any{"Instance": views}
	return out, nil
}

func sortBySeq(list []*instance) {
	for i := 1; i < len(list); i++ {
		for j := i; j > 0 && list[j].seq < list[j-1].seq; j-- {
			list[j], list[j-1] = list[j-1], list[j]
		}
	}
}

func (e *Emulator) describeInstanceStatus(c *rpc) (map[string]any, *apiError) {
	if err := c.requireRegion(); err != nil {
		return nil, err
	}
	raw := c.p.list("InstanceId")
	if len(raw) > 100 {
		return nil, errf("InvalidParameter.ToManyInstanceIds", msgTooManyIDs)
	}
	idSet := map[string]bool{}
	for _, id := range raw {
		idSet[id] = true
	}
	pg, err := c.paging(50, 10)
	if err != nil {
		return nil, err
	}
	pg.tokenMode = false // DescribeInstanceStatus pages by number only
	if pg.pageNumber == 0 {
		pg.pageNumber = 1
	}
	zone := c.p.get("ZoneId")
	list := e.st.sortedInstances(func(in *instance) bool {
		return in.region == c.region && (len(idSet) == 0 || idSet[in.id]) && (zone == "" || in.zone == zone)
	})
	out := map[string]any{}
	page := pageOfMap(pg, list, func(in *instance) int64 { return in.seq }, out)
	statuses := make([]map[string]string, len(page))
	for i, in := range page {
		statuses[i] = map[string]string{"InstanceId": in.id, "Status": in.status}
	}
	out["InstanceStatuses"] = map[string]any{"InstanceStatus": statuses}
	return out, nil
}

func (e *Emulator) describeInstanceAttribute(c *rpc) (map[string]any, *apiError) {
	id := c.p.get("InstanceId")
	if id == "" {
		return nil, errMissing("InstanceId")
	}
	in, err := e.lookup(c, id)
	if err != nil {
		return nil, err
	}
	raw, _ := json.Marshal(in.view())
	out := map[string]any{}
	_ = json.Unmarshal(raw, &out)
	// The DescribeInstanceAttribute answer has no tags, auto-release time or
	// deletion protection; DescribeInstances reports those.
	for _, k := range []string{"Tags", "AutoReleaseTime", "DeletionProtection", "Disks", "StartTime", "SpotStrategy"} {
		delete(out, k)
	}
	return out, nil
}

// --- stop / start --------------------------------------------------------

func (c *rpc) stoppedMode() (string, *apiError) {
	switch m := c.p.get("StoppedMode"); m {
	case "", "StopCharging", "KeepCharging":
		return m, nil
	default:
		return "", errf("InvalidParameter.StoppedMode", "The specified parameter \"StoppedMode\" is not valid.")
	}
}

func stopCheck(in *instance) *apiError {
	if in.locked() {
		return errf("InstanceLockedForSecurity", msgLocked)
	}
	if in.status != StatusRunning {
		return errf("IncorrectInstanceStatus", msgIncorrectStatus)
	}
	return nil
}

// doStop moves a Running instance to Stopping. A StoppedMode left out means
// KeepCharging (the console's economical-mode default cannot be known here);
// PrePaid instances do not support economical mode and are stopped in
// KeepCharging without error.
func (e *Emulator) doStop(in *instance, force bool, mode string, now time.Time) {
	in.status = StatusStopping
	in.stopIssued = now
	if mode == "" || in.chargeType == PrePaid {
		mode = "KeepCharging"
	}
	in.stoppedMode = mode
	delay := e.opts.StopDelay
	if force {
		delay = e.opts.ForceStopDelay
	}
	e.st.schedule(in, step{at: now.Add(delay), to: StatusStopped})
}

func startCheck(in *instance) *apiError {
	if in.locked() {
		return errf("InstanceLockedForSecurity", msgLocked)
	}
	if in.status != StatusStopped {
		return errf("IncorrectInstanceStatus", msgIncorrectStatus)
	}
	return nil
}

func (e *Emulator) doStart(in *instance, now time.Time) {
	in.status = StatusStarting
	in.startIssued = now
	in.stoppedMode = "Not-applicable"
	e.st.schedule(in, step{at: now.Add(e.opts.StartDelay), to: StatusRunning})
}

func (e *Emulator) stopInstance(c *rpc) (map[string]any, *apiError) {
	return e.single(c, func(in *instance) *apiError { return stopCheck(in) }, func(in *instance) error {
		force, _ := c.boolParam("ForceStop")
		mode, _ := c.stoppedMode()
		e.doStop(in, force, mode, c.now)
		return nil
	}, "ForceStop", "StoppedMode")
}

func (e *Emulator) startInstance(c *rpc) (map[string]any, *apiError) {
	return e.single(c, func(in *instance) *apiError { return startCheck(in) }, func(in *instance) error {
		e.doStart(in, c.now)
		return nil
	})
}

// single runs a one-instance action: validate parameters, find, check,
// DryRun, act.
func (e *Emulator) single(c *rpc, check func(*instance) *apiError, act func(*instance) error, boolParams ...string) (map[string]any, *apiError) {
	id := c.p.get("InstanceId")
	if id == "" {
		return nil, errMissing("InstanceId")
	}
	if err := e.validateCommon(c, boolParams...); err != nil {
		return nil, err
	}
	dry, err := c.dryRun()
	if err != nil {
		return nil, err
	}
	in, err := e.lookup(c, id)
	if err != nil {
		return nil, err
	}
	if err := check(in); err != nil {
		return nil, err
	}
	if dry {
		return nil, errf("DryRunOperation", msgDryRun)
	}
	_ = act(in)
	return map[string]any{}, nil
}

func (e *Emulator) validateCommon(c *rpc, boolParams ...string) *apiError {
	for _, b := range boolParams {
		if b == "StoppedMode" {
			if _, err := c.stoppedMode(); err != nil {
				return err
			}
			continue
		}
		if _, err := c.boolParam(b); err != nil {
			return err
		}
	}
	return nil
}

// batch runs a StopInstances/StartInstances style action with
// BatchOptimization AllTogether (default: all pass or the first failure is
// the answer) or SuccessFirst (a result per instance, HTTP 200).
func (e *Emulator) batch(c *rpc, check func(*instance) *apiError, act func(*instance), after string, boolParams ...string) (map[string]any, *apiError) {
	if err := c.requireRegion(); err != nil {
		return nil, err
	}
	ids, err := c.idList("InstanceId", 100)
	if err != nil {
		return nil, err
	}
	if err := e.validateCommon(c, boolParams...); err != nil {
		return nil, err
	}
	dry, err := c.dryRun()
	if err != nil {
		return nil, err
	}
	mode := c.p.get("BatchOptimization")
	if mode != "" && mode != "AllTogether" && mode != "SuccessFirst" {
		return nil, errf("InvalidParameter.BatchOptimization", "The specified parameter \"BatchOptimization\" is not valid.")
	}
	results := make([]map[string]string, 0, len(ids))
	if mode == "SuccessFirst" {
		for _, id := range ids {
			r := map[string]string{"InstanceId": id, "Code": "200", "Message": "success", "PreviousStatus": "", "CurrentStatus": ""}
			in, lerr := e.lookup(c, id)
			switch {
			case dry:
				// "only DRYRUN.SUCCESS is returned regardless of whether the check passes"
				r["Code"], r["Message"] = "DRYRUN.SUCCESS", msgDryRun
				if in != nil {
					r["PreviousStatus"], r["CurrentStatus"] = in.status, in.status
				}
			case lerr != nil:
				r["Code"], r["Message"] = lerr.Code, lerr.Message
			default:
				r["PreviousStatus"] = in.status
				if cerr := check(in); cerr != nil {
					r["Code"], r["Message"], r["CurrentStatus"] = cerr.Code, cerr.Message, in.status
				} else {
					act(in)
					r["CurrentStatus"] = in.status
				}
			}
			results = append(results, r)
		}
		return map[string]any{"InstanceResponses": map[string]any{"InstanceResponse": results}}, nil
	}
	found := make([]*instance, 0, len(ids))
	for _, id := range ids {
		in, lerr := e.lookup(c, id)
		if lerr != nil {
			return nil, lerr
		}
		if cerr := check(in); cerr != nil {
			return nil, cerr
		}
		found = append(found, in)
	}
	if dry {
		return nil, errf("DryRunOperation", msgDryRun)
	}
	for _, in := range found {
		prev := in.status
		act(in)
		results = append(results, map[string]string{"InstanceId": in.id, "Code": "200", "Message": "success", "PreviousStatus": prev, "CurrentStatus": in.status})
	}
	_ = after
	return map[string]any{"InstanceResponses": map[string]any{"InstanceResponse": results}}, nil
}

func (e *Emulator) stopInstances(c *rpc) (map[string]any, *apiError) {
	force, _ := c.boolParam("ForceStop")
	mode, _ := c.stoppedMode()
	return e.batch(c, stopCheck, func(in *instance) { e.doStop(in, force, mode, c.now) }, StatusStopping, "ForceStop", "StoppedMode")
}

func (e *Emulator) startInstances(c *rpc) (map[string]any, *apiError) {
	return e.batch(c, startCheck, func(in *instance) { e.doStart(in, c.now) }, StatusStarting)
}

// --- delete --------------------------------------------------------------

func deleteCheck(in *instance, force, terminateSubscription bool, now time.Time) *apiError {
	if in.locked() {
		return errf("InstanceLockedForSecurity", msgLocked)
	}
	if in.deletionProtection {
		return errf("InvalidOperation.DeletionProtection", "The instance %s has deletion protection enabled; disable it before releasing the instance.", in.id)
	}
	if in.chargeType == PrePaid && !(terminateSubscription && !in.expired.After(now)) {
		return errf("ChargeTypeViolation", msgChargeType)
	}
	if in.status == StatusPending {
		if force {
			return errf("IncorrectInstanceStatus.Initializing", msgInitializing)
		}
		return errf("IncorrectInstanceStatus", msgIncorrectStatus)
	}
	if !force && in.status != StatusStopped {
		return errf("IncorrectInstanceStatus", "The current status of the resource does not support this operation. The instance %s is %s; release it when Stopped or with Force.", in.id, in.status)
	}
	return nil
}

func (e *Emulator) deleteInstance(c *rpc) (map[string]any, *apiError) {
	force, ferr := c.boolParam("Force")
	term, terr := c.boolParam("TerminateSubscription")
	if ferr != nil {
		return nil, ferr
	}
	if terr != nil {
		return nil, terr
	}
	return e.single(c, func(in *instance) *apiError { return deleteCheck(in, force, term, c.now) }, func(in *instance) error {
		e.st.release(in.id)
		e.st.releasedByAPI++
		return nil
	})
}

// deleteInstances is all-or-nothing: one instance that cannot be released
// fails the whole call and nothing is released.
func (e *Emulator) deleteInstances(c *rpc) (map[string]any, *apiError) {
	if err := c.requireRegion(); err != nil {
		return nil, err
	}
	ids, err := c.idList("InstanceId", 100)
	if err != nil {
		return nil, err
	}
	force, err := c.boolParam("Force")
	if err != nil {
		return nil, err
	}
	term, err := c.boolParam("TerminateSubscription")
	if err != nil {
		return nil, err
	}
	dry, err := c.dryRun()
	if err != nil {
		return nil, err
	}
	token := c.p.get("ClientToken")
	if len(token) > 64 {
		return nil, errInvalid("ClientToken")
	}
	if token != "" && !dry {
		if cached, ok, terr := e.checkTokenMap(c, "DeleteInstances", token); terr != nil || ok {
			return cached, terr
		}
	}
	found := make([]*instance, 0, len(ids))
	for _, id := range ids {
		in, lerr := e.lookup(c, id)
		if lerr != nil {
			return nil, lerr
		}
		if cerr := deleteCheck(in, force, term, c.now); cerr != nil {
			return nil, cerr
		}
		found = append(found, in)
	}
	if dry {
		return nil, errf("DryRunOperation", msgDryRun)
	}
	for _, in := range found {
		e.st.release(in.id)
		e.st.releasedByAPI++
	}
	out := map[string]any{}
	e.rememberTokenMap(c, "DeleteInstances", token, out)
	return out, nil
}

// --- modify --------------------------------------------------------------

func (e *Emulator) modifyInstanceAutoReleaseTime(c *rpc) (map[string]any, *apiError) {
	id := c.p.get("InstanceId")
	if id == "" {
		return nil, errf("MissingParameter", "InstanceId should not be null.")
	}
	in := e.st.instances[id]
	if in == nil || (c.region != "" && in.region != c.region) {
		return nil, &apiError{Status: http.StatusNotFound, Code: "NoSuchResource", Message: "The specified resource is not found."}
	}
	if in.locked() {
		return nil, errf("InstanceLockedForSecurity", msgLocked)
	}
	if in.chargeType == PrePaid {
		return nil, errf("ChargeTypeViolation", msgChargeType)
	}
	v := c.p.get("AutoReleaseTime")
	if v == "" { // omitting the time cancels automatic release
		in.autoRelease = time.Time{}
		return map[string]any{}, nil
	}
	t, err := checkAutoReleaseTime(v, c.now)
	if err != nil {
		return nil, err
	}
	in.autoRelease = t
	e.st.due(t)
	return map[string]any{}, nil
}

func (e *Emulator) modifyInstanceAttribute(c *rpc) (map[string]any, *apiError) {
	id := c.p.get("InstanceId")
	if id == "" {
		return nil, errMissing("InstanceId")
	}
	protect, err := c.boolParam("DeletionProtection")
	if err != nil {
		return nil, err
	}
	in, err := e.lookup(c, id)
	if err != nil {
		return nil, err
	}
	if in.locked() {
		return nil, errf("InstanceLockedForSecurity", msgLocked)
	}
	if c.p.get("DeletionProtection") != "" {
		if in.chargeType == PrePaid {
			return nil, errf("ChargeTypeViolation", msgChargeType)
		}
		in.deletionProtection = protect
	}
	if v := c.p.get("InstanceName"); v != "" {
		in.name = v
	}
	if v := c.p.get("Description"); v != "" {
		in.description = v
	}
	if v := c.p.get("HostName"); v != "" {
		in.hostName = v
	}
	return map[string]any{}, nil
}

// --- idempotency -----------------------------------------------------------

// fingerprint is the call's parameters minus the per-request ones.
func fingerprint(c *rpc) string {
	skip := map[string]bool{"SignatureNonce": true, "Timestamp": true, "ClientToken": true}
	keep := map[string]string{}
	for k, v := range c.p {
		if !skip[k] {
			keep[k] = v
		}
	}
	return StringToSign("", keep)
}

func (e *Emulator) checkTokenMap(c *rpc, action, token string) (map[string]any, bool, *apiError) {
	prev, ok := e.st.clientTokens[action+"/"+token]
	if !ok {
		return nil, false, nil
	}
	if prev.fingerprint != fingerprint(c) {
		return nil, true, errf("IdempotentParameterMismatch", "The request uses the same client token as a previous, but non-identical request.")
	}
	out := map[string]any{}
	maps.Copy(out, prev.response)
	return out, true, nil
}

func (e *Emulator) rememberTokenMap(c *rpc, action, token string, response map[string]any) {
	if token == "" {
		return
	}
	cp := map[string]any{}
	maps.Copy(cp, response)
	e.st.clientTokens[action+"/"+token] = tokenResult{fingerprint: fingerprint(c), response: cp}
}
