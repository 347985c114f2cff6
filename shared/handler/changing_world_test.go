package handler_test

// Regression tests for the ways the safety promise broke when the world
// changed while the functions ran (issue: "Safety under a changing world").
// Each asserts on the emulator's state and call record, not on prose.

import (
	"fmt"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/fc-ecs-release/fc-ecs-release/internal/ecsemu"
	"github.com/fc-ecs-release/fc-ecs-release/internal/handlertest"
	"github.com/fc-ecs-release/fc-ecs-release/shared/handler"
)

// A CloudEvents batch to stop with then:"release": each element's options
// reach release on their own; nothing of one element is applied to another.
func TestBatchHandOverKeepsEachRequestsOptions(t *testing.T) {
	t.Parallel()
	w := newWorld(t, ecsemu.Options{StopDelay: 20 * time.Second, SnapshotDelay: time.Minute}, nil)
	o := old(w)
	ids := w.Env.AddFleet(t,
		ecsemu.Instance{CreationTime: o}, // plain
		ecsemu.Instance{CreationTime: o}, // dry run
		ecsemu.Instance{CreationTime: o}, // snapshot
		ecsemu.Instance{CreationTime: o}, // keep on failure
		ecsemu.Instance{CreationTime: o, RegionId: "cn-shanghai"},
	)
	plain, dry, snap, keep, other := ids[0], ids[1], ids[2], ids[3], ids[4]
	batch := "[" + strings.Join([]string{
		mustJSON(t, cloudEvent("e1", fmt.Sprintf(`{"instanceIds":[%q],"then":"release","reason":"first"}`, plain))),
		mustJSON(t, cloudEvent("e2", fmt.Sprintf(`{"instanceIds":[%q],"then":"release","dryRun":true}`, dry))),
		mustJSON(t, cloudEvent("e3", fmt.Sprintf(`{"instanceIds":[%q],"then":"release","snapshot":true,"reason":"keep a copy of etl-7"}`, snap))),
		mustJSON(t, cloudEvent("e4", fmt.Sprintf(`{"instanceIds":[%q],"then":"release","keepOnFailure":true,"jobStatus":"failed"}`, keep))),
		mustJSON(t, cloudEvent("e5", fmt.Sprintf(`{"instanceIds":[%q],"then":"release","region":"cn-shanghai","forceStop":true}`, other))),
	}, ",") + "]"
	stop, err := w.invoke(handler.NewStop(w.Deps()), batch)
	require.NoError(t, err)
	rel, err := w.invoke(handler.NewRelease(w.Deps()), destinationRecord(t, stop, false))
	require.NoError(t, err)

	assert.False(t, exists(w, plain), "the plain request's instance is released")
	assert.True(t, exists(w, dry), "a dry-run element is never acted on by release")
	assert.NotContains(t, mutatingOn(w, dry), "DeleteInstances")
	assert.NotContains(t, mutatingOn(w, dry), "StopInstances")
	assert.True(t, exists(w, keep), "a failed job's instance asked to be kept")
	assert.False(t, exists(w, other), "the other region's instance is released in its region")
	assert.NotEqual(t, "already-released", outcomeOf(rel, other).Outcome)
	assert.False(t, exists(w, snap))
	snaps := w.Env.Emu.Snapshots()
	require.Len(t, snaps, 1, "the snapshot asked for by one element, and only that one")
	assert.Equal(t, "accomplished", snaps[0].Status)
	assert.Contains(t, snaps[0].Description, "keep a copy of etl-7", "that element's reason")
}

// A protect tag added, the managed-scope tag removed, deletion protection
// or a lock switched on while release waits: the release does not happen.
func TestGuardsHoldAtTheMomentOfRelease(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name     string
		snapshot bool
		change   func(w *world, id string) error
	}{
		{"protect tag while waiting for Stopped", false, func(w *world, id string) error { return w.Env.Emu.SetTag(id, "ecs-release:protect", "true") }},
		{"scope tag removed while waiting for Stopped", false, func(w *world, id string) error { return w.Env.Emu.RemoveTag(id, "ecs-release:managed") }},
		{"deletion protection while waiting for Stopped", false, func(w *world, id string) error { return w.Env.Emu.SetDeletionProtection(id, true) }},
		{"financial lock while waiting for Stopped", false, func(w *world, id string) error { return w.Env.Emu.SetLock(id, "financial", true) }},
		{"protect tag while waiting for snapshots", true, func(w *world, id string) error { return w.Env.Emu.SetTag(id, "ecs-release:protect", "true") }},
		{"scope tag removed while waiting for snapshots", true, func(w *world, id string) error { return w.Env.Emu.RemoveTag(id, "ecs-release:managed") }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			w := newWorld(t, ecsemu.Options{StopDelay: time.Minute, SnapshotDelay: 3 * time.Minute}, map[string]string{"MANAGED_TAG": "ecs-release:managed=true"})
			ids := w.Env.AddFleet(t, ecsemu.Instance{CreationTime: old(w), Tags: tags("ecs-release:managed", "true")})
			at := 20 * time.Second
			if tc.snapshot {
				at = 90 * time.Second // stopped after 60 s; the snapshot takes 3 min
			}
			w.After(at, func() { require.NoError(t, tc.change(w, ids[0])) })
			_, _ = w.invoke(handler.NewRelease(w.Deps()), fmt.Sprintf(`{"instanceIds":[%q],"snapshot":%v}`, ids[0], tc.snapshot))
			assert.True(t, exists(w, ids[0]), "not released")
			assert.NotContains(t, mutatingOn(w, ids[0]), "DeleteInstances")
		})
	}
}

// A destination record delivered after someone started the instance again
// never stops it again, let alone releases it.
func TestHandOverNeverStopsARestartedInstance(t *testing.T) {
	t.Parallel()
	for _, restopped := range []bool{false, true} {
		t.Run(fmt.Sprintf("stopped again by hand: %v", restopped), func(t *testing.T) {
			t.Parallel()
			w := newWorld(t, ecsemu.Options{StopDelay: 20 * time.Second, StartDelay: 10 * time.Second}, nil)
			ids := w.Env.AddFleet(t, ecsemu.Instance{CreationTime: old(w), StartTime: old(w), Tags: tags("pool", "ci")})
			stop, err := w.invoke(handler.NewStop(w.Deps()), `{"selector":{"tags":{"pool":"ci"}},"then":"release"}`)
			require.NoError(t, err)
			w.Advance(2 * time.Minute)
			require.NoError(t, w.Env.Emu.OperatorStart(ids[0]))
			w.Advance(2 * time.Minute)
			if restopped {
				require.NoError(t, w.Env.Emu.OperatorStop(ids[0], false))
				w.Advance(time.Minute)
			}
			w.Env.Emu.ResetCalls()
			_, _ = w.invoke(handler.NewRelease(w.Deps()), destinationRecord(t, stop, false))
			assert.True(t, exists(w, ids[0]), "a restarted instance is not released by a stale hand-over")
			assert.Empty(t, mutatingOn(w, ids[0]), "nor stopped again")
		})
	}
}

// A snapshot taken before a restart is not "the snapshot before release":
// a retry after the instance ran again snapshots anew.
func TestSnapshotBeforeARestartDoesNotCount(t *testing.T) {
	t.Parallel()
	w := newWorld(t, ecsemu.Options{StopDelay: 20 * time.Second, StartDelay: 10 * time.Second, SnapshotDelay: 5 * time.Minute}, nil)
	ids := w.Env.AddFleet(t, ecsemu.Instance{CreationTime: old(w), StartTime: old(w), Status: ecsemu.StatusStopped})
	event := cloudEvent("evt-snap", fmt.Sprintf(`{"instanceIds":[%q],"snapshot":true}`, ids[0]))
	h := handler.NewRelease(w.Deps())
	call := handlertest.Call{RequestID: "req-snap", Timeout: 2 * time.Minute}
	first := w.Handle(h, event, call)
	require.Error(t, first.Err, "cut by the deadline while the snapshot progresses")
	require.True(t, exists(w, ids[0]))
	w.Advance(6 * time.Minute) // the first snapshot is accomplished
	require.NoError(t, w.Env.Emu.OperatorStart(ids[0]))
	w.Advance(time.Minute)
	require.NoError(t, w.Env.Emu.OperatorStop(ids[0], false))
	w.Advance(time.Minute)
	restopped, _ := w.Env.Emu.Instance(ids[0])
	require.Equal(t, "Stopped", restopped.Status)
	stoppedAt := w.Env.Emu.Now().Add(-time.Minute)

	call.Timeout = 30 * time.Minute
	_ = w.Handle(h, event, call) // FC's retry: same event, same request id
	if exists(w, ids[0]) {
		return // not released: safe
	}
	fresh := 0
	for _, s := range w.Env.Emu.Snapshots() {
		created, err := time.Parse("2006-01-02T15:04:05Z", s.CreationTime)
		require.NoError(t, err)
		if s.Status == "accomplished" && !created.Before(stoppedAt) {
			fresh++
		}
	}
	assert.Positive(t, fresh, "released only with a snapshot taken after the instance last stopped")
}

// A snapshot that failed once is retried with a new token: the retry does
// not get the failed snapshot back forever.
func TestFailedSnapshotIsRetriedAfresh(t *testing.T) {
	t.Parallel()
	w := newWorld(t, ecsemu.Options{SnapshotDelay: time.Minute}, nil)
	ids := w.Env.AddFleet(t, ecsemu.Instance{CreationTime: old(w), StartTime: old(w), Status: ecsemu.StatusStopped})
	w.Env.Emu.FailSnapshotsOf(ids[0], true)
	event := cloudEvent("evt-fail", fmt.Sprintf(`{"instanceIds":[%q],"snapshot":true}`, ids[0]))
	h := handler.NewRelease(w.Deps())
	call := handlertest.Call{RequestID: "req-fail", Timeout: 10 * time.Minute}
	require.Error(t, w.Handle(h, event, call).Err, "a failed snapshot is a retryable failure")
	assert.True(t, exists(w, ids[0]))
	w.Env.Emu.FailSnapshotsOf(ids[0], false)
	w.Advance(time.Minute)
	require.NoError(t, w.Handle(h, event, call).Err, "FC's retry snapshots again and releases")
	assert.False(t, exists(w, ids[0]))
}

// An auto-release time set by the sweep follows protection: the next sweep
// cancels it once the instance is protected, and an explicit cancel is
// never refused.
func TestAutoReleaseFollowsProtection(t *testing.T) {
	t.Parallel()
	w := newWorld(t, ecsemu.Options{}, map[string]string{"SWEEP_SPREAD": "0s"})
	ids := w.Env.AddFleet(t,
		ecsemu.Instance{CreationTime: old(w), Tags: tags("ecs-release:ttl", "72h")},
		ecsemu.Instance{CreationTime: old(w), Tags: tags("ecs-release:ttl", "72h")},
		ecsemu.Instance{CreationTime: old(w), Tags: tags("ecs-release:ttl", "72h")},
	)
	ar := handler.NewAutoRelease(w.Deps())
	_, err := w.invoke(ar, `{"sweep":true}`)
	require.NoError(t, err)
	for _, id := range ids {
		in, _ := w.Env.Emu.Instance(id)
		require.NotEmpty(t, in.AutoReleaseTime)
	}
	require.NoError(t, w.Env.Emu.SetTag(ids[0], "ecs-release:protect", "true"))
	require.NoError(t, w.Env.Emu.SetDeletionProtection(ids[1], true))
	_, _ = w.invoke(ar, `{"sweep":true}`)
	in0, _ := w.Env.Emu.Instance(ids[0])
	assert.Empty(t, in0.AutoReleaseTime, "the sweep cancels its time on a protected instance")
	in1, _ := w.Env.Emu.Instance(ids[1])
	assert.Empty(t, in1.AutoReleaseTime, "and on a deletion-protected one (native auto-release ignores deletion protection)")

	require.NoError(t, w.Env.Emu.SetTag(ids[2], "ecs-release:protect", "true"))
	_, _ = w.invoke(ar, fmt.Sprintf(`{"instanceIds":[%q],"cancel":true}`, ids[2]))
	in2, _ := w.Env.Emu.Instance(ids[2])
	assert.Empty(t, in2.AutoReleaseTime, "cancelling only narrows: the protect tag never refuses it")
}

// MAX_INSTANCES caps the invocation, over all requests of a batch.
func TestCapCountsTheWholeBatch(t *testing.T) {
	t.Parallel()
	w := newWorld(t, ecsemu.Options{}, map[string]string{"MAX_INSTANCES": "3"})
	ids := w.Env.AddRunning(t, 4)
	batch := "[" + mustJSON(t, cloudEvent("c1", fmt.Sprintf(`{"instanceIds":[%q,%q]}`, ids[0], ids[1]))) + "," +
		mustJSON(t, cloudEvent("c2", fmt.Sprintf(`{"instanceIds":[%q,%q]}`, ids[2], ids[3]))) + "]"
	_, err := w.invoke(handler.NewStop(w.Deps()), batch)
	require.Error(t, err, "4 instances in one invocation exceed the cap of 3")
	assert.Empty(t, w.Env.Emu.MutatingCalls(), "a refusal touches nothing")
}

// An instance not found in the region asked for is not "already released".
func TestNotFoundIsNotReleased(t *testing.T) {
	t.Parallel()
	w := newWorld(t, ecsemu.Options{}, nil)
	ids := w.Env.AddFleet(t, ecsemu.Instance{RegionId: "cn-shanghai", Status: ecsemu.StatusStopped})
	for _, fn := range []func(handler.Deps) *handler.Handler{handler.NewRelease, handler.NewStop} {
		resp, err := w.invoke(fn(w.Deps()), fmt.Sprintf(`{"instanceIds":[%q]}`, ids[0]))
		require.NoError(t, err)
		o := outcomeOf(resp, ids[0])
		assert.NotContains(t, []string{"released", "already-released"}, o.Outcome, "it exists, in another region")
		assert.Contains(t, o.Reason, "cn-hangzhou", "the region looked in is named")
	}
}

// A TTL so long that days × 24 h overflows a duration is not a TTL that
// has passed: no release time half an hour from now.
func TestTTLOverflowIsNotAPastTTL(t *testing.T) {
	t.Parallel()
	w := newWorld(t, ecsemu.Options{}, nil)
	ids := w.Env.AddFleet(t,
		ecsemu.Instance{CreationTime: old(w), Tags: tags("ecs-release:ttl", "106752d")},
		ecsemu.Instance{CreationTime: old(w), Tags: tags("ecs-release:ttl", "9223372036854775807d")},
		ecsemu.Instance{CreationTime: old(w), Tags: tags("ecs-release:ttl", "2562047h")},
	)
	_, _ = w.invoke(handler.NewAutoRelease(w.Deps()), `{"sweep":true}`)
	for _, id := range ids {
		in, _ := w.Env.Emu.Instance(id)
		if in.AutoReleaseTime == "" {
			continue
		}
		at, err := time.Parse("2006-01-02T15:04Z", in.AutoReleaseTime)
		require.NoError(t, err)
		assert.True(t, at.After(w.Env.Emu.Now().Add(365*24*time.Hour)), "a huge TTL never becomes a release in %v", at.Sub(w.Env.Emu.Now()))
	}
}

// What release sends to ECS fits ECS's limits after composition, cut on
// rune boundaries, whatever the reason and event id hold.
func TestStringsSentToECSFitItsLimits(t *testing.T) {
	t.Parallel()
	w := newWorld(t, ecsemu.Options{SnapshotDelay: time.Minute}, nil)
	ids := w.Env.AddFleet(t, ecsemu.Instance{CreationTime: old(w), StartTime: old(w), Status: ecsemu.StatusStopped})
	reason := strings.Repeat("快照", 300) // 600 runes, 1800 bytes
	event := cloudEvent("https://jobs.example.com/runs/"+strings.Repeat("x", 200), fmt.Sprintf(`{"instanceIds":[%q],"snapshot":true,"reason":%q}`, ids[0], reason))
	resp, err := w.invoke(handler.NewRelease(w.Deps()), event)
	require.NoError(t, err)
	assert.Equal(t, "released", outcomeOf(resp, ids[0]).Outcome)
	for _, c := range w.Env.Emu.Calls() {
		if c.Action != "CreateSnapshot" {
			continue
		}
		for k, v := range c.Params {
			assert.True(t, utf8.ValidString(v), "%s is valid UTF-8", k)
			if k == "Description" {
				assert.LessOrEqual(t, utf8.RuneCountInString(v), 256, "Description: at most 256 characters")
			}
			if strings.HasPrefix(k, "Tag.") && strings.HasSuffix(k, ".Value") {
				assert.LessOrEqual(t, utf8.RuneCountInString(v), 128, "%s: at most 128 characters", k)
				assert.NotContains(t, v, "http://")
				assert.NotContains(t, v, "https://")
			}
		}
	}
}

// A fleet's release, handed over by stop or asked for directly (then it
// stops the instances itself and waits): each status read is written over
// the instance's earlier read, call by call, and the checks at the moment
// of release hold all the same. A protect tag or deletion protection added
// while it waits keeps an instance; one released by hand is not acted on
// (not found by a hand-over's planning read, which comes once they are
// stopped; gone from a direct release's wait); every other instance is
// released by exactly one DeleteInstances, and the released are listed in
// the order they were named.
func TestFleetReleaseHoldsTheGuardsAcrossItsReads(t *testing.T) {
	t.Parallel()
	for _, handOver := range []bool{true, false} {
		t.Run(fmt.Sprintf("hand-over %v", handOver), func(t *testing.T) {
			t.Parallel()
			w := newWorld(t, ecsemu.Options{StopDelay: 30 * time.Second}, map[string]string{"MAX_INSTANCES": "1000"})
			ids := addPool(w, 350, "batch", nil)
			event := fmt.Sprintf(`{"instanceIds":[%s],"reason":"batch done"}`, `"`+strings.Join(ids, `","`)+`"`)
			named := ids
			if handOver {
				stop, err := w.invoke(handler.NewStop(w.Deps()), `{"selector":{"tags":{"pool":"batch"}},"then":"release"}`)
				require.NoError(t, err)
				named = handlertest.HandedOver(stop)
				require.ElementsMatch(t, ids, named)
				event = destinationRecord(t, stop, false)
			}
			protected, locked, byHand := named[150], named[260], named[20]
			w.After(10*time.Second, func() {
				require.NoError(t, w.Env.Emu.SetTag(protected, "ecs-release:protect", "true"))
				require.NoError(t, w.Env.Emu.SetDeletionProtection(locked, true))
			})
			w.After(20*time.Second, func() { require.NoError(t, w.Env.Emu.OperatorRelease(byHand)) })
			w.Env.Emu.ResetCalls()
			rel, err := w.invoke(handler.NewRelease(w.Deps()), event)
			require.NoError(t, err)

			for _, id := range []string{protected, locked} {
				assert.True(t, exists(w, id), "%s is kept", id)
				assert.NotContains(t, mutatingOn(w, id), "DeleteInstances")
				assert.Equal(t, handler.OutcomeSkipped, outcomeOf(rel, id).Outcome)
			}
			gone := outcomeOf(rel, byHand)
			if handOver {
				assert.Equal(t, handler.CodeNotFound, gone.Code, "%+v", gone)
			} else {
				assert.Equal(t, handler.OutcomeAlreadyReleased, gone.Outcome, "%+v", gone)
			}
			assert.NotContains(t, mutatingOn(w, byHand), "DeleteInstances")
			var released, want []string
			for _, o := range rel.Instances {
				if o.Outcome == handler.OutcomeReleased {
					released = append(released, o.InstanceID)
				}
			}
			for _, id := range named {
				if id != protected && id != locked && id != byHand {
					want = append(want, id)
				}
			}
			assert.Equal(t, want, released, "the released, in the order named")
			for _, id := range want {
				require.False(t, exists(w, id), "%s released", id)
				deletes := 0
				for _, a := range mutatingOn(w, id) {
					if a == "DeleteInstances" {
						deletes++
					}
				}
				require.Equal(t, 1, deletes, "%s: one DeleteInstances", id)
			}
		})
	}
}
