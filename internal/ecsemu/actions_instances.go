package ecsemu

import (
	"cmp"
	"net/http"
	"slices"
	"time"
)

// describeInstances lists the instances of the region that pass every
// filter (see describeInstancesFilter), in creation order.
func (e *Emulator) describeInstances(c *rpc) (answer, *apiError) {
	if err := c.requireRegion(); err != nil {
		return nil, err
	}
	f, err := c.describeInstancesFilter()
	if err != nil {
		return nil, err
	}
	pg, err := c.paging(100, 10)
	if err != nil {
		return nil, err
	}
	if err := c.dryRunCheck(); err != nil {
		return nil, err
	}
	var list []*instance
	if f.ids != nil {
		// Look up by ID instead of scanning the whole store.
		for id := range f.ids {
			if in := e.st.instances[id]; in != nil && f.match(in) {
				list = append(list, in)
			}
		}
		slices.SortFunc(list, instanceSeqOrder)
	} else {
		// Paging through a query reads the same list for every page.
		list = remembered(e.st, c, func() []*instance { return e.st.sortedInstances(f.match) })
	}
	out := &describeInstancesAnswer{}
	page := pageOf(pg, list, func(in *instance) int64 { return in.seq }, &out.Page)
	out.Instances.Instance = make([]describedInstance, len(page))
	for i, in := range page {
		out.Instances.Instance[i] = in.described()
	}
	return out, nil
}

// instanceSeqOrder orders instances by creation.
func instanceSeqOrder(a, b *instance) int { return cmp.Compare(a.seq, b.seq) }

func (e *Emulator) describeInstanceStatus(c *rpc) (answer, *apiError) {
	if err := c.requireRegion(); err != nil {
		return nil, err
	}
	raw, err := c.indexedList("InstanceId")
	if err != nil {
		return nil, err
	}
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
	zone, hasZone := c.p["ZoneId"]
	list := e.st.sortedInstances(func(in *instance) bool {
		return in.region == c.region && (len(idSet) == 0 || idSet[in.id]) && (!hasZone || in.zone == zone)
	})
	var p Page
	page := pageOf(pg, list, func(in *instance) int64 { return in.seq }, &p)
	out := &describeInstanceStatusAnswer{TotalCount: p.TotalCount, PageNumber: p.PageNumber, PageSize: p.PageSize}
	out.InstanceStatuses.InstanceStatus = make([]instanceStatus, len(page))
	for i, in := range page {
		out.InstanceStatuses.InstanceStatus[i] = instanceStatus{InstanceId: in.id, Status: in.status}
	}
	return out, nil
}

func (e *Emulator) describeInstanceAttribute(c *rpc) (answer, *apiError) {
	id := c.p.get("InstanceId")
	if id == "" {
		return nil, errMissing("InstanceId")
	}
	in, err := e.lookup(c, id)
	if err != nil {
		return nil, err
	}
	return in.attribute(), nil
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

// stopCheck is StopInstance(s)'s check: the instance's locks, Running,
// and for StopCharging, economical mode not refused.
func stopCheck(in *instance, mode string) *apiError {
	if err := in.lockCheck(opStop); err != nil {
		return err
	}
	if in.status != StatusRunning {
		return errf("IncorrectInstanceStatus", msgIncorrectStatus)
	}
	if mode == "StopCharging" && in.economicalMode() == EconomicalRefused {
		return errNoEconomicalMode(in)
	}
	return nil
}

// doStop moves a Running instance to Stopping, in the StoppedMode the
// requested mode gives this instance (stoppedModeFor). The instance leaves
// Running: its Auto Scaling group or ACK node pool reacts (platform.go).
func (e *Emulator) doStop(in *instance, force bool, mode string, now time.Time) {
	in.setStatus(StatusStopping, now)
	in.stopIssued = now
	in.stoppedMode = in.stoppedModeFor(mode)
	delay := e.opts.StopDelay
	if force {
		delay = e.opts.ForceStopDelay
	}
	e.st.schedule(in, step{at: now.Add(delay), to: StatusStopped})
	e.leftRunning(in, now)
}

// startCheck is StartInstance(s)'s check: the instance's locks, Stopped,
// and stock for an instance stopped in economical mode.
func startCheck(in *instance) *apiError {
	if err := in.lockCheck(opStart); err != nil {
		return err
	}
	if in.status != StatusStopped {
		return errf("IncorrectInstanceStatus", msgIncorrectStatus)
	}
	if in.noStock && in.stoppedMode == "StopCharging" {
		return errNoStock()
	}
	return nil
}

func (e *Emulator) doStart(in *instance, now time.Time) {
	in.setStatus(StatusStarting, now)
	in.startIssued = now
	in.stoppedMode = "Not-applicable"
	e.st.schedule(in, step{at: now.Add(e.opts.StartDelay), to: StatusRunning})
}

// stopParams reads ForceStop and StoppedMode.
func (c *rpc) stopParams() (force bool, mode string, err *apiError) {
	if force, err = c.boolParam("ForceStop"); err != nil {
		return false, "", err
	}
	mode, err = c.stoppedMode()
	return force, mode, err
}

func (e *Emulator) stopInstance(c *rpc) (answer, *apiError) {
	var force bool
	var mode string
	parse := func() (err *apiError) { force, mode, err = c.stopParams(); return err }
	return e.single(c, parse, func(in *instance) *apiError { return stopCheck(in, mode) }, func(in *instance) { e.doStop(in, force, mode, c.now) })
}

func (e *Emulator) startInstance(c *rpc) (answer, *apiError) {
	return e.single(c, nil, startCheck, func(in *instance) { e.doStart(in, c.now) })
}

// single runs a one-instance action: InstanceId, the action's own
// parameters (parse), DryRun, find (in any region unless a RegionId
// narrows it), check, act.
func (e *Emulator) single(c *rpc, parse func() *apiError, check func(*instance) *apiError, act func(*instance)) (answer, *apiError) {
	id := c.p.get("InstanceId")
	if id == "" {
		return nil, errMissing("InstanceId")
	}
	if parse != nil {
		if err := parse(); err != nil {
			return nil, err
		}
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
	act(in)
	return &Response{}, nil
}

// batch runs a StopInstances/StartInstances style action with
// BatchOptimization AllTogether (default: all pass or the first failure is
// the answer) or SuccessFirst (a result per instance, HTTP 200).
func (e *Emulator) batch(c *rpc, parse func() *apiError, check func(*instance) *apiError, act func(*instance)) (answer, *apiError) {
	if err := c.requireRegion(); err != nil {
		return nil, err
	}
	ids, err := c.instanceIDs()
	if err != nil {
		return nil, err
	}
	if parse != nil {
		if err := parse(); err != nil {
			return nil, err
		}
	}
	dry, err := c.dryRun()
	if err != nil {
		return nil, err
	}
	mode := c.p.get("BatchOptimization")
	if mode != "" && mode != "AllTogether" && mode != "SuccessFirst" {
		return nil, errf("InvalidParameter.BatchOptimization", "The specified parameter \"BatchOptimization\" is not valid.")
	}
	out := &batchAnswer{}
	results := make([]instanceResponse, 0, len(ids))
	if mode == "SuccessFirst" {
		for _, id := range ids {
			r := instanceResponse{InstanceId: id, Code: "200", Message: "success"}
			in, lerr := e.lookup(c, id)
			switch {
			case dry:
				// "only DRYRUN.SUCCESS is returned regardless of whether the check passes"
				r.Code, r.Message = "DRYRUN.SUCCESS", msgDryRun
				if in != nil {
					r.PreviousStatus, r.CurrentStatus = in.status, in.status
				}
			case lerr != nil:
				r.Code, r.Message = lerr.Code, lerr.Message
			default:
				r.PreviousStatus = in.status
				if cerr := check(in); cerr != nil {
					r.Code, r.Message = cerr.Code, cerr.Message
				} else {
					act(in)
				}
				r.CurrentStatus = in.status
			}
			results = append(results, r)
		}
		out.InstanceResponses.InstanceResponse = results
		return out, nil
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
		results = append(results, instanceResponse{InstanceId: in.id, Code: "200", Message: "success", PreviousStatus: prev, CurrentStatus: in.status})
	}
	out.InstanceResponses.InstanceResponse = results
	return out, nil
}

func (e *Emulator) stopInstances(c *rpc) (answer, *apiError) {
	var force bool
	var mode string
	parse := func() (err *apiError) { force, mode, err = c.stopParams(); return err }
	return e.batch(c, parse, func(in *instance) *apiError { return stopCheck(in, mode) }, func(in *instance) { e.doStop(in, force, mode, c.now) })
}

func (e *Emulator) startInstances(c *rpc) (answer, *apiError) {
	return e.batch(c, nil, startCheck, func(in *instance) { e.doStart(in, c.now) })
}

// --- delete --------------------------------------------------------------

func deleteCheck(in *instance, force, terminateSubscription bool, now time.Time) *apiError {
	if err := in.lockCheck(opDelete); err != nil {
		return err
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

// release releases an instance through the API (DeleteInstance(s)).
func (e *Emulator) release(in *instance) {
	e.st.release(in.id, causeAPI)
}

func (e *Emulator) deleteInstance(c *rpc) (answer, *apiError) {
	var force, term bool
	parse := func() (err *apiError) {
		if force, err = c.boolParam("Force"); err != nil {
			return err
		}
		term, err = c.boolParam("TerminateSubscription")
		return err
	}
	return e.single(c, parse, func(in *instance) *apiError { return deleteCheck(in, force, term, c.now) }, e.release)
}

// deleteInstances is all-or-nothing: one instance that cannot be released
// fails the whole call and nothing is released.
func (e *Emulator) deleteInstances(c *rpc) (answer, *apiError) {
	if err := c.requireRegion(); err != nil {
		return nil, err
	}
	ids, err := c.instanceIDs()
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
		if cached, ok, terr := e.checkToken(c, "DeleteInstances", token); terr != nil || ok {
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
		e.release(in)
	}
	out := &Response{}
	e.rememberToken(c, "DeleteInstances", token, out)
	return out, nil
}

// --- modify --------------------------------------------------------------

func (e *Emulator) modifyInstanceAutoReleaseTime(c *rpc) (answer, *apiError) {
	id := c.p.get("InstanceId")
	if id == "" {
		return nil, errf("MissingParameter", "InstanceId should not be null.")
	}
	// RegionId is optional in this action's API: without it the instance is
	// found in any region.
	in := e.st.instances[id]
	if in == nil || (c.region != "" && in.region != c.region) {
		return nil, &apiError{Status: http.StatusNotFound, Code: "NoSuchResource", Message: "The specified resource is not found."}
	}
	if err := in.lockCheck(opModify); err != nil {
		return nil, err
	}
	if in.chargeType == PrePaid {
		return nil, errf("ChargeTypeViolation", msgChargeType)
	}
	v := c.p.get("AutoReleaseTime")
	if v == "" { // omitting the time cancels automatic release
		in.autoRelease = time.Time{}
		return &Response{}, nil
	}
	t, err := checkAutoReleaseTime(v, c.now)
	if err != nil {
		return nil, err
	}
	in.autoRelease = t
	e.st.due(in, t)
	return &Response{}, nil
}

func (e *Emulator) modifyInstanceAttribute(c *rpc) (answer, *apiError) {
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
	if err := in.lockCheck(opModify); err != nil {
		return nil, err
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
	return &Response{}, nil
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
