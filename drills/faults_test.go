package drills_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/fc-ecs-release/fc-ecs-release/internal/ecsemu"
	"github.com/fc-ecs-release/fc-ecs-release/shared/handler"
)

// TestFaultDrill: a 500-instance scheduled cleanup (stop with
// then:"release", its answer handed to release as the onSuccess destination
// record) while ECS throttles 30% of calls, fails 10% with 5xx and spikes
// some calls' latency. Guarded instances sit among the targets.
//
// With a 10-minute deadline the cleanup finishes in one pass; with a
// 60-second one the release is cut while instances are still Stopping,
// fails naming them, and FC's retries of the same record finish the job.
func TestFaultDrill(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, short string
		timeout     time.Duration
		cut         bool // the first release must be cut by its deadline
	}{
		{"ten-minute deadline", "10m-deadline", 10 * time.Minute, false},
		{"tight deadline, finished by FC retries", "60s-deadline", time.Minute, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			faultDrill(t, "faults/"+tc.short, tc.timeout, tc.cut)
		})
	}
}

func faultDrill(t *testing.T, name string, timeout time.Duration, mustCut bool) {
	const (
		eligibleRunning = 450
		eligibleStopped = 50
		perGuard        = 4
		maxAttempts     = 6 // the first delivery and FC's async retries
		retryGap        = time.Minute
	)
	// Stopping takes 55 s: a 60 s release invocation stops waiting 20 s
	// before its deadline, so it is cut even when the stop before it spent
	// up to 15 s of fake time backing off from throttled calls (its price
	// reads included).
	w := newWorld(t, ecsemu.Options{
		StopDelay: 55 * time.Second,
		Seed:      20261126,
		Faults:    ecsemu.Faults{ThrottleRate: 0.30, ErrorRate: 0.10, SpikeRate: 0.03, Spike: 10 * time.Millisecond},
	}, map[string]string{"MANAGED_TAG": managedTag, "MAX_INSTANCES": "1000"})

	pool := []string{"pool", "nightly", managedKey, "true"}
	var fleet []ecsemu.Instance
	for i := range eligibleRunning + eligibleStopped {
		in := ecsemu.Instance{InstanceName: fmt.Sprintf("ci-%03d", i), Tags: tags(pool...)}
		if i >= eligibleRunning {
			in.Status = ecsemu.StatusStopped
		}
		fleet = append(fleet, in)
	}
	security := ecsemu.LockSet{LockReason: []ecsemu.LockReason{{LockReason: "security"}}}
	guarded := map[string]ecsemu.Instance{
		"protect tag":         {Tags: tags(append(pool, protectKey, "true")...)},
		"deletion protection": {Tags: tags(pool...), DeletionProtection: true},
		"prepaid":             {Tags: tags(pool...), InstanceChargeType: "PrePaid"},
		"security lock":       {Tags: tags(pool...), OperationLocks: security},
		"outside scope":       {Tags: tags("pool", "nightly")},
	}
	kinds := []string{"protect tag", "deletion protection", "prepaid", "security lock", "outside scope"}
	for _, kind := range kinds {
		for range perGuard {
			fleet = append(fleet, guarded[kind])
		}
	}
	ids := w.Env.AddFleet(t, fleet...)
	eligible := ids[:eligibleRunning+eligibleStopped]
	kept := ids[len(eligible):]
	keptKind := map[string]string{}
	for i, id := range kept {
		keptKind[id] = kinds[i/perGuard]
	}
	before := map[string]ecsemu.Instance{}
	for _, id := range kept {
		before[id], _ = w.Env.Emu.Instance(id)
	}
	// The selector reaches everything in scope (PostPaid); the PrePaid and
	// out-of-scope instances are also named explicitly, so that every guard
	// is tried on them.
	var named []string
	for _, id := range kept {
		if k := keptKind[id]; k == "prepaid" || k == "outside scope" {
			named = append(named, id)
		}
	}
	payload := mustJSON(t, map[string]any{
		"selector": map[string]any{"tags": map[string]string{"pool": "nightly"}}, "instanceIds": named,
		"then": "release", "reason": "nightly cleanup (fault drill)",
	})
	timer := timerEvent(t, "nightly-stop", payload)

	// checkInvocation: inside the deadline, and an error is retryable and
	// names what is unfinished (or is a failed read before anything was
	// done).
	checkInvocation := func(fn string, r result) {
		t.Helper()
		assert.LessOrEqual(t, r.Elapsed, r.Timeout, "%s finished inside its deadline", fn)
		if r.Err == nil {
			return
		}
		msg := r.Err.Error()
		if strings.Contains(msg, "unfinished, to be retried") {
			assert.Regexp(t, `i-[a-z0-9]+ \(`, msg, "the error names the unfinished instances")
			return
		}
		assert.Contains(t, msg, "resolving targets", "any other failure is a read before anything was done")
		assert.Regexp(t, `Throttling|InternalError`, msg)
	}

	stopH, releaseH := handler.NewStop(w.Deps()), handler.NewRelease(w.Deps())
	var stopAnswer *handler.Response
	for attempt := 0; attempt < maxAttempts && stopAnswer == nil; attempt++ {
		if attempt > 0 {
			w.Advance(retryGap)
		}
		// FC retries an async invocation under the same request id.
		r := w.Handle(stopH, timer, call{RequestID: "drill-nightly-stop", Retry: attempt, Timeout: timeout})
		checkInvocation("stop", r)
		if r.Err == nil {
			stopAnswer = response(t, r.Out)
		}
	}
	require.NotNil(t, stopAnswer, "stop succeeded within FC's retries")
	require.NotEmpty(t, stopAnswer.Next)
	assert.ElementsMatch(t, eligible, handedOver(stopAnswer), "stop hands over exactly the eligible instances")
	for _, id := range kept {
		assert.Equal(t, "skipped", outcomeOf(stopAnswer, id).Outcome, "%s (%s)", id, keptKind[id])
	}

	record := destinationRecord(t, stopAnswer, false)
	var final *handler.Response
	releaseAttempts, cut := 0, 0
	for attempt := 0; attempt < maxAttempts && final == nil; attempt++ {
		if attempt > 0 {
			w.Advance(retryGap)
		}
		releaseAttempts++
		r := w.Handle(releaseH, record, call{RequestID: "drill-nightly-release", Retry: attempt, Timeout: timeout})
		checkInvocation("release", r)
		if r.Err == nil {
			final = response(t, r.Out)
		} else {
			// Cut short: by the deadline (work left "unfinished, to be
			// retried"), or wholesale by an injected 5xx before any work
			// (which of the two depends on how the concurrent calls meet
			// the seeded faults). Either way FC's retries must finish it.
			cut++
			t.Logf("release attempt %d failed: %.200s", attempt, r.Err)
		}
	}
	require.NotNil(t, final, "the retries of the same destination record finish the cleanup")
	if mustCut {
		assert.Positive(t, cut, "a release invocation was cut short, and FC's retries finished the work")
	}
	for _, id := range eligible {
		assert.True(t, releasedOrNotSeen(outcomeOf(final, id)), "%s: %+v", id, outcomeOf(final, id))
	}

	calls := w.Env.Emu.Calls()
	deletes := deletesOf(calls)
	lost, twice := 0, 0
	for _, id := range eligible {
		_, exists := w.Env.Emu.Instance(id)
		if exists || deletes[id] == 0 {
			lost++
		}
		if deletes[id] > 1 {
			twice++
		}
		assert.False(t, exists, "%s is gone", id)
		assert.Equal(t, 1, deletes[id], "%s released exactly once", id)
	}
	owners := diskOwners(w.Env.Emu)
	touched := 0
	for _, id := range kept {
		for _, c := range calls {
			if c.Mutating && namesInstance(c, id, owners) {
				touched++
				t.Errorf("%s (%s) got a mutating call: %s %v", id, keptKind[id], c.Action, c.Params)
			}
		}
		after, exists := w.Env.Emu.Instance(id)
		require.True(t, exists, "%s (%s) still exists", id, keptKind[id])
		assert.Equal(t, before[id], after, "%s (%s) unchanged", id, keptKind[id])
	}

	faults, stats := countFaults(calls), w.retryStats()
	assert.Positive(t, faults.Throttles)
	assert.Positive(t, faults.ServerErrors)
	assert.Positive(t, faults.Spikes)
	assert.Positive(t, stats.Retries, "the faults were retried")
	report(t, figures{
		Drill: name, Invocations: stats.Invocations, Instances: len(eligible),
		Released: len(eligible) - lost, Kept: len(kept) - touched,
		Throttles: faults.Throttles, ServerErrors: faults.ServerErrors, Spikes: faults.Spikes, ECSCalls: faults.Calls,
		Retries: stats.Retries, ThrottledRetries: stats.Throttled, Lost: lost, DoubleActions: twice, MutatingRefused: touched,
		Note: fmt.Sprintf("500-instance stop→release, %v deadline; 30%% throttling, 10%% 5xx, 3%% spikes of 10ms; %d release invocations, %d cut by the deadline", timeout, releaseAttempts, cut),
	})
}
