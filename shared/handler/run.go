package handler

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync/atomic"
	"time"

	"github.com/fc-ecs-release/fc-ecs-release/shared/clock"
	"github.com/fc-ecs-release/fc-ecs-release/shared/ecs"
	"github.com/fc-ecs-release/fc-ecs-release/shared/guard"
	"github.com/fc-ecs-release/fc-ecs-release/shared/request"
)

// A run is the execution of one invocation: every instance of every
// request is an item that carries its request's own options through small
// steps (each function composes them: stop → wait → snapshot → re-check →
// release → verify → receipt for release). Three rules hold in every step:
//
//   - Check at the moment of action. Immediately before every mutating call
//     the instances it touches are read again — unless the read in hand is
//     fresh: taken with no sleep (wait, backoff, deferral) since and at most
//     maxReadAge ago — and every guard runs again on that read. Whatever
//     changed is skipped with its reason. A mutating call that fails in a
//     way worth retrying is retried only after a backoff, so always after a
//     new read.
//   - Minute-safe restarts. ECS shows StartTime to the minute. A run acts
//     on an instance only once its last start is more than a minute (plus
//     clock skew) in the past (younger ones are waited out), so any later
//     start shows as a later StartTime: startedSince is then exact.
//   - Nothing is dropped. Every item ends with an outcome: done, skipped or
//     failed with a code, or failed retryable (the deadline came first).

// maxReadAge bounds how old a read may be and still serve as the check of a
// mutating call.
const maxReadAge = 5 * time.Second

// clockSkew is how far the functions' clock and ECS's may differ.
const clockSkew = 5 * time.Second

// startedSince reports whether the instance may have started at or after t,
// as far as ECS's minute-precision StartTime tells.
func startedSince(in ecs.Instance, t time.Time) bool {
	return !in.StartTime.IsZero() && !in.StartTime.Before(t.Add(-clockSkew).Truncate(time.Minute))
}

// sleepCounter is the invocation's clock: it counts sleeps, which make
// earlier reads stale.
type sleepCounter struct {
	clock.Clock
	n atomic.Uint64
	// beforeSleep runs before each sleep (the invocation writes its
	// gathered log lines: see logBatcher).
	beforeSleep func()
}

// Sleep counts and sleeps.
func (s *sleepCounter) Sleep(ctx context.Context, d time.Duration) error {
	if d > 0 {
		s.n.Add(1)
		if s.beforeSleep != nil {
			s.beforeSleep()
		}
	}
	return s.Clock.Sleep(ctx, d)
}

func (s *sleepCounter) epoch() uint64 { return s.n.Load() }

// item is one instance of one request.
type item struct {
	pr *prepared
	// in is the latest read: at first the planning read's own element
	// (prepared.targets; an item does not copy it), then each newer read.
	in *ecs.Instance
	// readAt and epoch are when the read of in began.
	readAt time.Time
	epoch  uint64
	// since is the baseline: a time at which the instance was read (or
	// stopped, or handed over stopped) and its last start lay before it. A
	// start after since is a restart.
	since time.Time
	// stopRequestID is the ECS request that stopped it in this run.
	stopRequestID string
	snap          *ecs.SnapshotPlan
	created       []string // the snapshots this run created, per disk to create
	snapshotIDs   []string
	// deleteRequestID is the ECS request that released it.
	deleteRequestID string
	// fellBack: ECS refused to stop it in economical mode and the request's
	// stoppedModeFallback had it stopped in KeepCharging.
	fellBack bool
	// deleted: a DeleteInstances of it was accepted; it awaits verification.
	deleted bool
	done    bool
}

// stopMode is the StoppedMode a stop of the item asks for: its request's
// (or the deployment's), KeepCharging once it fell back.
func (it *item) stopMode() string {
	if it.fellBack {
		return ecs.KeepCharging
	}
	return it.pr.plan.StoppedMode
}

// guardAction is action with the consents of the item's request: acting on
// Auto Scaling members when it says "autoScaling": "include".
func guardAction(req request.Request, a guard.Action) guard.Action {
	if req.IncludesAutoScaling() {
		return a.IncludingAutoScaling()
	}
	return a
}

func (it *item) id() string { return it.in.ID }

// run executes one invocation's prepared requests.
type run struct {
	inv   *invocation
	resp  *Response
	preps []*prepared
	// multi: outcomes carry their request's number.
	multi bool
	items []*item
}

// newRun makes an item of every allowed target of every request and
// records what preparing decided. An instance named by several requests is
// acted on once when their options agree (the first request acts; the
// others report it as a duplicate) and not at all when they differ.
func newRun(inv *invocation, resp *Response, preps []*prepared) *run {
	r := &run{inv: inv, resp: resp, preps: preps, multi: requestCount(preps) > 1}
	// An Auto Scaling member one request skips (it did not include them)
	// and another includes: their options differ, so neither acts.
	withheld := map[string]bool{}
	for _, pr := range preps {
		for _, o := range pr.early {
			r.report(pr, o, "")
			if o.Code == CodeAutoScaling {
				withheld[o.InstanceID] = true
			}
		}
	}
	byID := map[string][]*item{}
	var order []string
	for _, pr := range preps {
		for i := range pr.targets {
			in := &pr.targets[i]
			it := &item{pr: pr, in: in, readAt: pr.readAt, epoch: pr.readEpoch, since: pr.readAt}
			if t, ok := pr.plan.Request.StoppedAtTime(); ok {
				it.since = t
			}
			if byID[in.ID] == nil {
				order = append(order, in.ID)
			}
			byID[in.ID] = append(byID[in.ID], it)
		}
		// The items hold the reads from now on.
		pr.targets = nil
	}
	// Every instance gets one outcome: the answer's list is made once, at
	// its size (appends would double it, and copy it, at fleet scale).
	r.resp.Instances = slices.Grow(r.resp.Instances, len(order)+len(r.resp.Instances))
	for _, id := range order {
		its := byID[id]
		first := its[0]
		same := true
		for _, it := range its[1:] {
			same = same && actionKey(it.pr) == actionKey(first.pr)
		}
		switch {
		case withheld[id]:
			for _, it := range its {
				r.finish(it, skipped(id, CodeConflict, "an Auto Scaling member that another request of this invocation skips (autoScaling): not acted on"), "")
			}
		case len(its) == 1:
			r.items = append(r.items, first)
		case same:
			r.items = append(r.items, first)
			for _, it := range its[1:] {
				r.finish(it, skipped(id, CodeDuplicate, fmt.Sprintf("also named by request %d of this invocation, with the same options: acted on once, there", first.pr.index+1)), "")
			}
		default:
			for _, it := range its {
				r.finish(it, skipped(id, CodeConflict, fmt.Sprintf("named by %d requests of this invocation with different options (dry run, snapshot, force, keep, stop mode, hand-over or time): not acted on", len(its))), "")
			}
		}
	}
	return r
}

// actionKey is what must agree between two requests that name the same
// instance for one action to serve both.
func actionKey(pr *prepared) string {
	q := pr.plan.Request
	k := fmt.Sprintf("dry=%v snap=%v force=%v forceStop=%v mode=%s fallback=%s autoScaling=%v keep=%v stoppedAt=%s region=%s then=%s",
		pr.plan.DryRun, q.Snapshot, q.Force, q.ForceStop, pr.plan.StoppedMode, q.StoppedModeFallback, q.IncludesAutoScaling(), q.KeepAfterStop(), q.StoppedAt, pr.plan.Region, q.Then)
	if q.IsSpotInterruption() {
		k += " spot=" + q.SpotInterruption
	}
	if a := pr.autoRelease; a != nil {
		k += fmt.Sprintf(" autorelease=%s@%s", a.mode, formatTime(a.at))
	}
	return k
}

// report records an outcome of a request (not of an item).
func (r *run) report(pr *prepared, o InstanceOutcome, rid string) {
	r.inv.record(r.resp, r.numbered(pr, o), rid)
}

// numbered gives an outcome its request's number when the invocation
// carries more than one.
func (r *run) numbered(pr *prepared, o InstanceOutcome) InstanceOutcome {
	if r.multi {
		o.Request = pr.index + 1
	}
	return o
}

// finish records an item's outcome and ends it.
func (r *run) finish(it *item, o InstanceOutcome, rid string) {
	r.report(it.pr, r.end(it, o), rid)
}

// finishUnlogged ends an item like finish and adds its outcome to the
// answer, but leaves its log line to the caller (inv.logOutcome, with the
// outcome at the index it returns): a fleet's released instances are
// logged on every core, with their receipts.
func (r *run) finishUnlogged(it *item, o InstanceOutcome) int {
	return r.inv.addUnlogged(r.resp, r.numbered(it.pr, r.end(it, o)))
}

// end completes an item's outcome (status, charging, money) and ends it.
func (r *run) end(it *item, o InstanceOutcome) InstanceOutcome {
	if o.Status == "" && o.Outcome != OutcomeAlreadyReleased && o.Outcome != OutcomeReleased {
		o.Status = it.in.Status
	}
	r.noteCharging(it, &o)
	r.account(it, o)
	it.done = true
	return o
}

// noteCharging adds to the outcome of an instance that stop or release
// leaves stopped the StoppedMode ECS reports once it is Stopped, and flags
// it stopped-still-charging when the stop asked StopCharging and ECS
// applied KeepCharging or Not-applicable, or when the request's
// stoppedModeFallback stopped it in KeepCharging. Not flagged: released
// instances, those stop hands over to release (release's answer tells their
// end), and PrePaid ones (paid for their term whatever the mode).
func (r *run) noteCharging(it *item, o *InstanceOutcome) {
	if r.inv.h.fn == request.AutoRelease || o.Outcome == OutcomeReleased || o.Outcome == OutcomeAlreadyReleased {
		return
	}
	still := false
	if it.in.Status == ecs.StatusStopped && it.in.StoppedMode != "" {
		o.StoppedMode = it.in.StoppedMode
		still = it.pr.plan.StoppedMode == ecs.StopCharging && it.in.StoppedMode != ecs.StopCharging
	}
	if it.fellBack && o.Outcome == OutcomeStopping {
		still = true
	}
	if !still || handsOver(it) || it.in.ChargeType == ecs.PrePaid || slices.Contains(o.Flags, FlagStoppedStillCharging) {
		return
	}
	o.Flags = append(o.Flags, FlagStoppedStillCharging)
	if it.fellBack {
		o.Reason = joinReason(o.Reason, "stopped in KeepCharging (stoppedModeFallback): it still costs its vCPU and memory")
		return
	}
	o.Reason = joinReason(o.Reason, fmt.Sprintf("stopped in %s, not in economical mode (StopCharging was asked): it still costs its vCPU and memory", it.in.StoppedMode))
}

func joinReason(a, b string) string {
	if a == "" {
		return b
	}
	return a + "; " + b
}

// live returns the items not yet ended that pass keep, in order.
func (r *run) live(keep func(*item) bool) []*item {
	var out []*item
	for _, it := range r.items {
		if !it.done && (keep == nil || keep(it)) {
			out = append(out, it)
		}
	}
	return out
}

// fresh reports whether an item's read can serve as the check of a
// mutating call made now.
func (r *run) fresh(it *item) bool {
	return it.epoch == r.inv.clock.epoch() && r.inv.clock.Now().Sub(it.readAt) <= maxReadAge
}

// vanished ends an item that a read no longer found: it existed at an
// earlier read of this run, so it was released (by someone else).
func (r *run) vanished(it *item) {
	r.finish(it, InstanceOutcome{InstanceID: it.id(), Outcome: OutcomeAlreadyReleased,
		Reason: fmt.Sprintf("seen in %s at %s, gone since: released by someone else while this request ran", it.pr.plan.Region, it.readAt.UTC().Format(time.RFC3339))}, "")
}

// read reads items again (per client, 100 IDs a call, counted for
// purpose) and updates them. Items the read no longer finds are returned
// as gone; a failed read fails its items (retryable).
func (r *run) read(items []*item, purpose ecs.Purpose) (gone []*item) {
	for _, group := range byClient(items) {
		g, failed, err := r.describe(group[0].pr.client, group, purpose)
		gone = append(gone, g...)
		for _, it := range failed {
			r.finish(it, failure(it.id(), err), "")
		}
	}
	return gone
}

// describe reads items of one client and updates those it finds (their
// read time and sleep count are those of before the call). It returns the
// items it did not find: gone, or — when the read failed — failed, with
// the error.
//
// Each call's answer is taken as it comes, in the items' order, and
// written over the item's read in place (see item.update): a re-read of
// 50,000 instances holds no second copy of them. When a call fails, the
// items it and the calls after it were to read fail.
func (r *run) describe(c *ecs.Client, items []*item, purpose ecs.Purpose) (gone, failed []*item, err error) {
	at, epoch := r.inv.clock.Now(), r.inv.clock.epoch()
	next := 0
	err = c.DescribeInOrder(ecs.WithPurpose(r.inv.ctx, purpose), ids(items), func(chunk []string, found map[string]ecs.Instance) error {
		for range chunk {
			it := items[next]
			next++
			in, ok := found[it.id()]
			if !ok {
				gone = append(gone, it)
				continue
			}
			it.update(in, at, epoch)
			r.inv.remember(in)
		}
		return nil
	})
	if err != nil {
		failed = append(failed, items[next:]...)
	}
	return gone, failed, err
}

// update takes a newer read of the item's instance (begun at at, after
// epoch sleeps). It is written over the item's read in place: an item's
// read is its own (an element of its request's planning read, or of a
// request's undo list, that no other item points at), and nothing keeps
// the older read once a newer one is in.
func (it *item) update(in ecs.Instance, at time.Time, epoch uint64) {
	*it.in = in
	it.readAt, it.epoch = at, epoch
}

// byClient groups items by their request's client, keeping order.
func byClient(items []*item) [][]*item {
	var order []*ecs.Client
	groups := map[*ecs.Client][]*item{}
	for _, it := range items {
		c := it.pr.client
		if groups[c] == nil {
			order = append(order, c)
		}
		groups[c] = append(groups[c], it)
	}
	out := make([][]*item, len(order))
	for i, c := range order {
		out[i] = groups[c]
	}
	return out
}

// settle waits out the minute of items that started too recently to act
// on (see startedSince), then reads them again: their new read is their
// baseline. Items whose wait would overrun the deadline are unfinished.
// It returns the settled items (the others have ended).
func (r *run) settle(items []*item, what string) []*item {
	var young []*item
	var ready []*item
	wake := time.Time{}
	for _, it := range items {
		if !startedSince(*it.in, it.readAt) {
			ready = append(ready, it)
			continue
		}
		young = append(young, it)
		if at := it.in.StartTime.Add(time.Minute + clockSkew); at.After(wake) {
			wake = at
		}
	}
	if len(young) == 0 {
		return items
	}
	d := wake.Sub(r.inv.clock.Now())
	if rem, ok := clock.Remaining(r.inv.ctx, r.inv.clock); ok && rem-d < 2*r.inv.cfg.DeadlineMargin {
		for _, it := range young {
			r.finish(it, unfinished(it.id(), fmt.Sprintf("started under a minute ago (ECS shows start times to the minute); not %s", what)), "")
		}
		return ready
	}
	if err := r.inv.clock.Sleep(r.inv.ctx, d); err != nil {
		for _, it := range young {
			r.finish(it, unfinished(it.id(), "not "+what), "")
		}
		return ready
	}
	for _, it := range r.read(young, ecs.PurposeWork) {
		r.vanished(it)
	}
	for _, it := range young {
		if it.done {
			continue
		}
		if startedSince(*it.in, it.readAt) {
			r.finish(it, unfinished(it.id(), "started again while this request waited for its start minute to pass; not "+what), "")
			continue
		}
		it.since = it.readAt
		ready = append(ready, it)
	}
	// Keep the items' order.
	ok := make(map[*item]bool, len(ready))
	for _, it := range ready {
		ok[it] = true
	}
	var out []*item
	for _, it := range items {
		if !it.done && ok[it] {
			out = append(out, it)
		}
	}
	return out
}

// admission is a mutation's decision on an item, made on a fresh read.
type admission int

const (
	proceed admission = iota // make the call
	divert                   // not this call: hand the item back to the caller
	ended                    // the item ended (its outcome is recorded)
)

// mutation is one kind of mutating call made by act.
type mutation struct {
	verb   string                   // for reasons: "stopped", "released", ...
	action func(*item) guard.Action // the guards that run on the fresh read
	// admit decides on a fresh read, after the guards, whether the call is
	// still wanted; an ended item must get its outcome from admit.
	admit func(it *item) (admission, *InstanceOutcome)
	// key: items with equal keys (and client) share a call of up to size.
	key  func(it *item) string
	size int
	// call makes one call for a batch; one result per item, in order.
	call func(c *ecs.Client, batch []*item) []ecs.Result
	// ok handles a success.
	ok func(it *item, res ecs.Result)
	// refused may handle an error that is not worth retrying (returns
	// false to record the failure).
	refused func(it *item, res ecs.Result) bool
}

// decision is what happened to one item in one attempt of act.
type decision struct {
	it      *item
	outcome *InstanceOutcome
	res     ecs.Result
	kind    int // 0 outcome, 1 ok, 2 retry, 3 refused, 4 divert, 5 gone
}

// act makes a mutating call for items, in batches, each batch checked at
// the moment of action (a fresh read, the guards, admit). Retryable
// failures are retried after a backoff — after a new read. It returns the
// items admit diverted.
func (r *run) act(items []*item, m mutation) (diverted []*item) {
	todo := items
	for attempt := 1; len(todo) > 0; attempt++ {
		if !r.inv.timeLeft() {
			for _, it := range todo {
				r.finish(it, unfinished(it.id(), "not "+m.verb), "")
			}
			return diverted
		}
		batches := r.batches(todo, m)
		decided := make([][]decision, len(batches))
		r.parallel(len(batches), func(i int) { decided[i] = r.attempt(batches[i], m) })
		var retry []*item
		var lastErr = map[*item]ecs.Result{}
		for _, ds := range decided {
			for _, d := range ds {
				switch d.kind {
				case 0:
					r.finish(d.it, *d.outcome, d.res.RequestID)
				case 1:
					m.ok(d.it, d.res)
				case 2:
					retry = append(retry, d.it)
					lastErr[d.it] = d.res
				case 3:
					if m.refused == nil || !m.refused(d.it, d.res) {
						r.finish(d.it, failure(d.it.id(), d.res.Err), d.res.RequestID)
					}
				case 4:
					diverted = append(diverted, d.it)
				case 5:
					r.vanished(d.it)
				}
			}
		}
		if len(retry) == 0 {
			break
		}
		c := retry[0].pr.client
		delay := c.Backoff(attempt)
		if attempt >= c.MaxAttempts() || !r.inv.timeLeftAfter(delay) {
			for _, it := range retry {
				r.finish(it, failure(it.id(), lastErr[it].Err), lastErr[it].RequestID)
			}
			break
		}
		if err := r.inv.clock.Sleep(r.inv.ctx, delay); err != nil {
			for _, it := range retry {
				r.finish(it, unfinished(it.id(), "not "+m.verb), "")
			}
			break
		}
		todo = retry
	}
	return diverted
}

// attempt checks one batch at the moment of action and makes its call.
func (r *run) attempt(batch []*item, m mutation) []decision {
	var out []decision
	var stale []*item
	for _, it := range batch {
		if !r.fresh(it) {
			stale = append(stale, it)
		}
	}
	goneSet := map[*item]bool{}
	if len(stale) > 0 {
		gone, failed, err := r.describe(batch[0].pr.client, stale, ecs.PurposeRecheck)
		for _, it := range failed {
			o := failure(it.id(), err)
			out = append(out, decision{it: it, outcome: &o})
			goneSet[it] = true
		}
		for _, it := range gone {
			out = append(out, decision{it: it, kind: 5})
			goneSet[it] = true
		}
	}
	var admitted []*item
	for _, it := range batch {
		if goneSet[it] {
			continue
		}
		if v := r.inv.policy.Check(guardAction(it.pr.plan.Request, m.action(it)), *it.in); !v.Allowed() {
			o := skipped(it.id(), v.Code, v.Reason+"; it changed while this request ran, so it was not "+m.verb)
			out = append(out, decision{it: it, outcome: &o})
			continue
		}
		switch a, o := m.admit(it); a {
		case proceed:
			admitted = append(admitted, it)
		case divert:
			out = append(out, decision{it: it, kind: 4})
		default:
			out = append(out, decision{it: it, outcome: o})
		}
	}
	if len(admitted) == 0 {
		return out
	}
	results := m.call(admitted[0].pr.client, admitted)
	for i, it := range admitted {
		res := ecs.Result{InstanceID: it.id(), Err: errors.New("no result")}
		if i < len(results) {
			res = results[i]
		}
		switch {
		case res.Err == nil:
			out = append(out, decision{it: it, kind: 1, res: res})
		case ecs.Retryable(res.Err):
			out = append(out, decision{it: it, kind: 2, res: res})
		default:
			out = append(out, decision{it: it, kind: 3, res: res})
		}
	}
	return out
}

// batches groups items by client and key (in order) and cuts the groups to
// size.
func (r *run) batches(items []*item, m mutation) [][]*item {
	type gk struct {
		c   *ecs.Client
		key string
	}
	var order []gk
	groups := map[gk][]*item{}
	for _, it := range items {
		k := gk{it.pr.client, m.key(it)}
		if groups[k] == nil {
			order = append(order, k)
		}
		groups[k] = append(groups[k], it)
	}
	var out [][]*item
	for _, k := range order {
		g := groups[k]
		for len(g) > m.size {
			out = append(out, g[:m.size])
			g = g[m.size:]
		}
		if len(g) > 0 {
			out = append(out, g)
		}
	}
	return out
}

// parallel runs fn(0..n-1) with the invocation's concurrency.
func (r *run) parallel(n int, fn func(i int)) { ecs.Parallel(n, r.inv.concurrency(), fn) }

// ids lists the items' instance IDs.
func ids(items []*item) []string {
	out := make([]string, len(items))
	for i, it := range items {
		out[i] = it.id()
	}
	return out
}
