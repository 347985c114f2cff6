package drills_test

import (
	"flag"
	"fmt"
	"math/rand"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fc-ecs-release/fc-ecs-release/internal/ecsemu"
	"github.com/fc-ecs-release/fc-ecs-release/internal/handlertest"
	"github.com/fc-ecs-release/fc-ecs-release/shared/handler"
)

// The hand-over released as its planning read arrives (see
// shared/handler/stream.go), under seeded worlds: a pool of 20 to 200
// instances stopped by stop and handed to release, read a few to 40 a
// call (so in many pages), while operators protect, lock, start, release
// and hold instances in Stopping at random moments, ECS throttles deletes
// and fails reads, and a page's read is refused so that release's first
// attempt fails after releasing other pages (FC then retries it). After
// every world, from the emulator's record with its witness:
//
//   - every DeleteInstances that succeeded found each of its instances
//     Stopped, without the protect tag, deletion protection or a lock, and
//     not started since the hand-over;
//   - no instance was deleted twice, and each deleted one has exactly one
//     receipt;
//   - the last attempt gave every handed-over instance one outcome;
//   - every instance no operator touched (or only held in Stopping a
//     while) and whose read was never refused is released in the end.
var streamN = flag.Int("stream.n", 40, "hand-over streaming simulation: how many seeded worlds")

func TestSimHandOverReleasedAsRead(t *testing.T) {
	t.Parallel()
	var failed []string
	for seed := int64(1); seed <= int64(*streamN); seed++ {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			if v := streamWorld(t, seed); len(v) > 0 {
				failed = append(failed, fmt.Sprintf("seed %d: %s", seed, strings.Join(v[:min(len(v), 5)], "; ")))
				t.Errorf("%d violations, the first: %s", len(v), strings.Join(v[:min(len(v), 5)], "; "))
			}
		})
	}
	if len(failed) > 0 {
		t.Logf("%d of %d worlds violate the invariants", len(failed), *streamN)
	}
}

// streamWorld runs one seeded world and returns the invariants it breaks.
func streamWorld(t *testing.T, seed int64) []string {
	rng := rand.New(rand.NewSource(seed))
	var refused atomic.Value // an instance whose page read ECS refuses ("" none)
	refused.Store("")
	front := handlertest.RefusingReadsOf(&refused)
	stopDelay := time.Duration(5+rng.Intn(55)) * time.Second
	w := &world{handlertest.NewWorldWith(t, handlertest.WorldOptions{
		Emulator: ecsemu.Options{StopDelay: stopDelay, Witness: true},
		Vars:     map[string]string{"MAX_INSTANCES": "1000"}, Front: front})}
	n := 20 + rng.Intn(181)
	old := w.Env.Emu.Now().Add(-48 * time.Hour).Format("2006-01-02T15:04Z")
	fleet := make([]ecsemu.Instance, n)
	for i := range fleet {
		fleet[i] = ecsemu.Instance{CreationTime: old, StartTime: old, Tags: tags("pool", "sim")}
	}
	w.Env.AddFleet(t, fleet...)
	deps := w.Deps()
	deps.ECS.IDsPerRead = 1 + rng.Intn(40)

	stop := w.Handle(handler.NewStop(deps), `{"selector":{"tags":{"pool":"sim"}},"then":"release"}`, call{Timeout: 15 * time.Minute})
	if stop.Err != nil {
		return []string{"stop failed: " + stop.Err.Error()}
	}
	stopAnswer := response(t, stop.Out)
	named := handedOver(stopAnswer)
	if len(named) != n || len(stopAnswer.Next) != 1 {
		return []string{fmt.Sprintf("stop handed over %d of %d in %d requests", len(named), n, len(stopAnswer.Next))}
	}
	since, err := time.Parse(time.RFC3339, stopAnswer.Next[0].StoppedAt)
	if err != nil {
		return []string{"stoppedAt: " + err.Error()}
	}
	event := destinationRecord(t, stopAnswer, false)

	// The world changes while release waits (at its sleeps).
	// touched: an operator changed it; slowed: it was only held in
	// Stopping a while (it is released once Stopped).
	touched, slowed := map[string]bool{}, map[string]bool{}
	for range rng.Intn(n/4 + 2) {
		id := named[rng.Intn(n)]
		at := time.Duration(rng.Int63n(int64(stopDelay + 100*time.Second)))
		emu := w.Env.Emu
		op := rng.Intn(8)
		if op == 5 {
			slowed[id] = true
		} else {
			touched[id] = true
		}
		switch op {
		case 0:
			w.After(at, func() { _ = emu.SetTag(id, protectKey, "true") })
		case 1:
			w.After(at, func() { _ = emu.SetDeletionProtection(id, true) })
		case 2:
			reason := ecsemu.LockReasons[rng.Intn(len(ecsemu.LockReasons))]
			w.After(at, func() { _ = emu.SetLock(id, reason, true) })
		case 3:
			w.After(at, func() { _ = emu.OperatorStart(id) })
		case 4:
			w.After(at, func() { _ = emu.OperatorRelease(id) })
		case 5:
			w.After(at, func() { _ = emu.SetStuck(true, id) })
			w.After(at+time.Duration(rng.Intn(90))*time.Second, func() { _ = emu.SetStuck(false, id) })
		case 6:
			// Started again and stopped again: Stopped, with a start
			// after the hand-over.
			force := rng.Intn(2) == 0
			w.After(at, func() { _ = emu.OperatorStart(id) })
			w.After(at+time.Duration(1+rng.Intn(60))*time.Second, func() { _ = emu.OperatorStop(id, force) })
		default:
			// Protected for a while, then not any more.
			w.After(at, func() { _ = emu.SetTag(id, protectKey, "true") })
			w.After(at+time.Duration(1+rng.Intn(30))*time.Second, func() { _ = emu.RemoveTag(id, protectKey) })
		}
	}
	if rng.Intn(2) == 0 {
		// The first instance handed over held in Stopping: release watches
		// the first page, so its planning read comes late, after the
		// world's changes.
		hold := stopDelay + time.Duration(30+rng.Intn(120))*time.Second
		slowed[named[0]] = true
		_ = w.Env.Emu.SetStuck(true, named[0])
		w.After(hold, func() { _ = w.Env.Emu.SetStuck(false, named[0]) })
	}
	if rng.Intn(3) == 0 {
		id := named[rng.Intn(n)]
		touched[id] = true
		refused.Store(id)
	}
	if rng.Intn(3) == 0 {
		w.Env.Emu.InjectError("DeleteInstances", "Throttling.User", "Request was denied due to user flow control.", 1+rng.Intn(3))
	}
	if rng.Intn(3) == 0 {
		w.Env.Emu.InjectError("DescribeInstances", "ServiceUnavailable", "The request has failed due to a temporary failure of the server.", 1+rng.Intn(3))
	}

	// Release, and FC's retries of it while it fails (the refusal lifted
	// after the first attempt).
	requestID := w.NewRequestID()
	var last result
	attempts := 0
	for attempts < 4 {
		last = w.Handle(handler.NewRelease(deps), event, call{RequestID: requestID, Retry: attempts, Timeout: 15 * time.Minute})
		attempts++
		refused.Store("")
		if last.Err == nil {
			break
		}
	}

	var v []string
	deleted := map[string]int{}
	for _, c := range w.Env.Emu.Calls() {
		if c.Action != "DeleteInstances" || !c.Mutating || c.Code != "" {
			continue
		}
		for _, b := range c.Before {
			deleted[b.InstanceId]++
			switch {
			case b.Status != ecsemu.StatusStopped:
				v = append(v, fmt.Sprintf("%s deleted while %s", b.InstanceId, b.Status))
			case b.Tags[protectKey] == "true":
				v = append(v, fmt.Sprintf("%s deleted while protected", b.InstanceId))
			case b.DeletionProtection:
				v = append(v, fmt.Sprintf("%s deleted under deletion protection", b.InstanceId))
			case len(b.Locks) > 0:
				v = append(v, fmt.Sprintf("%s deleted while locked %v", b.InstanceId, b.Locks))
			case !b.StartIssuedAt.IsZero() && !b.StartIssuedAt.Before(since):
				v = append(v, fmt.Sprintf("%s deleted though started at %s, after the hand-over (%s)", b.InstanceId, b.StartIssuedAt, since))
			}
		}
	}
	receipts := map[string]int{}
	for _, rec := range w.LogRecords("release receipt") {
		receipts[rec["instanceId"].(string)]++
	}
	// The last attempt's outcomes: the release's lines after its last
	// "invocation" line.
	var lastOutcomes map[string]int
	for _, rec := range w.LogRecords("") {
		if rec["function"] != "release" {
			continue
		}
		switch rec["msg"] {
		case "invocation":
			lastOutcomes = map[string]int{}
		case "instance":
			lastOutcomes[rec["instanceId"].(string)]++
		}
	}
	for _, id := range named {
		if deleted[id] > 1 {
			v = append(v, fmt.Sprintf("%s deleted %d times", id, deleted[id]))
		}
		if receipts[id] != deleted[id] {
			v = append(v, fmt.Sprintf("%s: %d receipts for %d deletes", id, receipts[id], deleted[id]))
		}
		if lastOutcomes[id] != 1 {
			v = append(v, fmt.Sprintf("%s: %d outcomes in the last attempt", id, lastOutcomes[id]))
		}
		if _, there := w.Env.Emu.Instance(id); there && !touched[id] && last.Err == nil {
			v = append(v, fmt.Sprintf("%s, never touched, is not released", id))
		}
	}
	if last.Err != nil {
		v = append(v, fmt.Sprintf("after %d attempts the release still fails: %v", attempts, last.Err))
	}
	return v
}
