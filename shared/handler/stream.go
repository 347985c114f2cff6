package handler

import (
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/fc-ecs-release/fc-ecs-release/shared/config"
	"github.com/fc-ecs-release/fc-ecs-release/shared/ecs"
	"github.com/fc-ecs-release/fc-ecs-release/shared/guard"
	"github.com/fc-ecs-release/fc-ecs-release/shared/request"
)

// Releasing as the planning read arrives.
//
// A hand-over names its instances, stopped by stop, and release's planning
// read of them is also the check at the moment of release: it reads them
// once they are Stopped (awaitHandOver). So each page of that read can be
// acted on as it arrives, while the next pages are still being read,
// instead of after the whole read: at 10,000 instances the read takes
// about a third of a second, and the deletes, which waited for its end,
// now overlap it.
//
// Only what the saga would release at once on the same read is released
// here, with the same checks: Stopped, not started since the hand-over's
// baseline, every guard of a release on that read (taken just now, with
// no sleep since). Anything else — Stopping, Running, refused by a guard,
// gone — is left to the saga as before, and so is every failure of a
// streamed DeleteInstances that is worth retrying (after a backoff and a
// new read, like any other retry).
//
// Acting before the planning read ends must not break what the rest of
// preparing promises, so it is done only where nothing the rest of the
// read could find would undo a release:
//
//   - the invocation is one hand-over request of release: not a dry run,
//     no snapshot (snapshots are taken first), no force, no keep, no spot
//     interruption, no selector (named instances only);
//   - its instance IDs are distinct (no duplicate or conflict to settle
//     across the read) and no more than the request's and the deployment's
//     caps: the cap, which refuses a request with nothing done, cannot be
//     passed by anything the read finds later;
//   - more than one ECS call at a time (with one at a time a run must be
//     deterministic: it keeps the saga's order).
//
// And a read that fails once something was released does not fail the
// invocation — that would lose the receipts of what was released. The
// instances it could not read end failed (retryable), and the run goes
// on for the rest: what was released is verified and gets its receipt.

// streamable reports whether an invocation of the function may release its
// hand-over as the planning read arrives (see above).
func (inv *invocation) streamable(plans []config.Plan) bool {
	if inv.h.fn != request.Release || len(plans) != 1 || inv.concurrency() <= 1 {
		return false
	}
	p := plans[0]
	req := p.Request
	if _, ok := req.StoppedAtTime(); !ok || p.DryRun || req.Selector != nil || req.Snapshot || req.Force ||
		req.KeepAfterStop() || req.IsSpotInterruption() {
		return false
	}
	if n := len(req.InstanceIDs); n == 0 || n > p.MaxInstances || n > inv.cfg.MaxInstances {
		return false
	}
	seen := make(map[string]bool, len(req.InstanceIDs))
	for _, ref := range req.InstanceIDs {
		id, _, ok := request.ParseInstanceRef(ref)
		if !ok {
			id = ref
		}
		if seen[id] {
			return false
		}
		seen[id] = true
	}
	return true
}

// releaseStream releases one prepared part's ready instances while its
// planning read goes on.
type releaseStream struct {
	inv    *invocation
	client *ecs.Client
	action guard.Action
	since  time.Time
	// disks is the part's read of its disks for the receipts: it must be in
	// hand before anything is released.
	disks func() map[string][]ecs.Disk
	sent  bool
	wg    sync.WaitGroup
	mu    sync.Mutex
	// results of the DeleteInstances sent, by instance ID.
	results map[string]ecs.Result
}

// newReleaseStream is the stream of a part of a streamable invocation (nil
// otherwise).
func (inv *invocation) newReleaseStream(pr *prepared, a guard.Action) *releaseStream {
	since, ok := pr.plan.Request.StoppedAtTime()
	if !inv.streaming || !ok || pr.disks == nil {
		return nil
	}
	return &releaseStream{inv: inv, client: pr.client, action: a, since: since, disks: pr.disks, results: map[string]ecs.Result{}}
}

// page takes instances the planning read just kept (in order; their read
// taken just now) and releases, in one DeleteInstances call in the
// background, those the saga would release on this read.
func (st *releaseStream) page(ins []ecs.Instance) {
	if st == nil || len(ins) == 0 || !st.inv.timeLeft() {
		return
	}
	var ids []string
	for i := range ins {
		in := &ins[i]
		if in.Status != ecs.StatusStopped || startedSince(*in, st.since) || !st.inv.policy.Check(st.action, *in).Allowed() {
			continue
		}
		ids = append(ids, in.ID)
	}
	if len(ids) == 0 {
		return
	}
	if !st.sent {
		// The receipts' disks are read before anything is released (they
		// were read while the instances stopped: this waits only when the
		// hand-over found them Stopped already).
		st.disks()
		st.sent, st.inv.streamed = true, true
	}
	st.wg.Go(func() {
		res := st.client.Release(st.inv.ctx, ids, ecs.ReleaseOptions{})
		st.mu.Lock()
		defer st.mu.Unlock()
		for _, r := range res {
			st.results[r.InstanceID] = r
		}
	})
}

// acted reports whether the stream sent a DeleteInstances.
func (st *releaseStream) acted() bool { return st != nil && st.sent }

// done waits for the stream's calls and returns their results.
func (st *releaseStream) done() map[string]ecs.Result {
	st.wg.Wait()
	return st.results
}

// unreadError is a planning read that failed after its stream released
// instances: the instances it had not read yet end failed, and the run goes
// on for the others.
type unreadError struct {
	ids []string
	err error
}

func (e *unreadError) Error() string { return e.err.Error() }
func (e *unreadError) Unwrap() error { return e.err }

// unreadOutcomes are the outcomes of the instances a planning read that
// failed after releasing some could not read.
func unreadOutcomes(err error) ([]InstanceOutcome, bool) {
	var u *unreadError
	if !errors.As(err, &u) {
		return nil, false
	}
	out := make([]InstanceOutcome, 0, len(u.ids))
	for _, id := range u.ids {
		out = append(out, retryableFailure(id, fmt.Errorf("not read (instances read before it were released already): %w", u.err)))
	}
	return out, true
}

// takeStreamed takes the results of the run's streamed releases: released
// items await their verification with the others; one gone was released by
// someone else; a refusal not worth retrying ends the item failed. An item
// whose call failed in a way worth retrying is left to the saga, after a
// backoff that makes its read stale (a mutating call is retried only after
// a backoff and a new read).
func (s *saga) takeStreamed() {
	var results []map[string]ecs.Result
	var backoff time.Duration
	for _, pr := range s.preps {
		if pr.stream != nil {
			results = append(results, pr.stream.done())
			pr.stream = nil
		}
	}
	if len(results) == 0 {
		return
	}
	for _, it := range s.live(nil) {
		var res ecs.Result
		found := false
		for _, m := range results {
			if res, found = m[it.id()]; found {
				break
			}
		}
		switch {
		case !found:
		case res.Err == nil:
			it.deleteRequestID = res.RequestID
			it.deleted = true
			s.released = append(s.released, it)
		case errors.Is(res.Err, ecs.ErrNotFound):
			s.vanished(it)
		case ecs.Retryable(res.Err):
			backoff = max(backoff, it.pr.client.Backoff(1))
			// Its read served the call that failed: the retry reads again.
			it.readAt = time.Time{}
		default:
			s.finish(it, failure(it.id(), res.Err), res.RequestID)
		}
	}
	if backoff > 0 && s.inv.timeLeftAfter(backoff) {
		_ = s.inv.clock.Sleep(s.inv.ctx, backoff)
	}
}
