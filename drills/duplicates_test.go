package drills_test

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/requests"
	sdkecs "github.com/aliyun/alibaba-cloud-sdk-go/services/ecs"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/fc-ecs-release/fc-ecs-release/internal/ecsemu"
	"github.com/fc-ecs-release/fc-ecs-release/internal/fclocal"
	"github.com/fc-ecs-release/fc-ecs-release/shared/handler"
)

// TestDuplicateDrill: at-least-once delivery and reordering. One
// job-completion CloudEvent delivered three times (one after another, and
// all at once) releases its instances once; a destination record that
// arrives after the instance was released (by hand, or by another event)
// answers not-found (skipped) and succeeds, so FC does not retry it.
func TestDuplicateDrill(t *testing.T) {
	t.Parallel()
	jobEvent := func(t *testing.T, id string, ids []string) string {
		return mustJSON(t, map[string]any{"specversion": "1.0", "id": id, "source": "batch.jobs", "type": "job:Completed",
			"subject": "jobs/render", "data": map[string]any{"instanceIds": ids, "status": "succeeded", "jobId": "render-7"}})
	}

	t.Run("same CloudEvent three times in a row", func(t *testing.T) {
		t.Parallel()
		w := newWorld(t, ecsemu.Options{StopDelay: 20 * time.Second}, nil)
		ids := w.Env.AddFleet(t, ecsemu.Instance{}, ecsemu.Instance{}, ecsemu.Instance{Status: ecsemu.StatusStopped})
		ev := jobEvent(t, "evt-dup-seq", ids)
		h := handler.NewRelease(w.Deps())
		var got []map[string]string
		var afterFirst int
		for i := range 3 {
			// Each delivery is a new FC invocation.
			r := w.Handle(h, ev, call{})
			require.NoError(t, r.Err, "delivery %d", i+1)
			got = append(got, outcomes(response(t, r.Out)))
			if i == 0 {
				afterFirst = len(w.Env.Emu.MutatingCalls())
			}
		}
		all := func(o string) map[string]string {
			m := map[string]string{}
			for _, id := range ids {
				m[id] = o
			}
			return m
		}
		assert.Equal(t, all("released"), got[0])
		// Later deliveries do not see the instances: not found, not a
		// release they could prove.
		assert.Equal(t, all("skipped"), got[1])
		assert.Equal(t, all("skipped"), got[2])
		counts := map[string]int{}
		for _, c := range w.Env.Emu.MutatingCalls() {
			counts[c.Action]++
		}
		// The first delivery stops the two running instances, releases the
		// stopped one on its read, then the two once they are Stopped.
		assert.Equal(t, map[string]int{"StopInstances": 1, "DeleteInstances": 2}, counts)
		assert.Len(t, w.Env.Emu.MutatingCalls(), afterFirst, "the duplicates made no mutating call")
		duplicateFigures(t, w, "duplicates/cloudevent x3 sequential", ids)
	})

	t.Run("same CloudEvent three times at once", func(t *testing.T) {
		t.Parallel()
		w := newWorld(t, ecsemu.Options{StopDelay: 20 * time.Second, Latency: time.Millisecond}, nil)
		ids := w.Env.AddFleet(t, ecsemu.Instance{}, ecsemu.Instance{}, ecsemu.Instance{Status: ecsemu.StatusStopped})
		ev := jobEvent(t, "evt-dup-conc", ids)
		h := handler.NewRelease(w.Deps())
		results := make([]result, 3)
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i := range results {
			wg.Go(func() {
				<-start
				results[i] = w.Handle(h, ev, call{})
			})
		}
		close(start)
		wg.Wait()
		for i, r := range results {
			require.NoError(t, r.Err, "delivery %d", i+1)
			for _, o := range response(t, r.Out).Instances {
				// The same event yields the same ClientToken: a delivery
				// that sends the same batch as another is answered from
				// its result (released, once); one that finds the
				// instance gone says already-released.
				assert.True(t, releasedOrNotSeen(o), "delivery %d, %s: %s %s %v", i+1, o.InstanceID, o.Outcome, o.Reason, o.Error)
			}
		}
		duplicateFigures(t, w, "duplicates/cloudevent x3 concurrent", ids)
	})

	t.Run("destination record after a release by hand", func(t *testing.T) {
		t.Parallel()
		w := newWorld(t, ecsemu.Options{StopDelay: 20 * time.Second}, nil)
		ids := w.Env.AddFleet(t, ecsemu.Instance{Tags: tags("pool", "late")}, ecsemu.Instance{Tags: tags("pool", "late")})
		stop := w.Handle(handler.NewStop(w.Deps()), timerEvent(t, "late", `{"selector":{"tags":{"pool":"late"}},"then":"release"}`), call{})
		require.NoError(t, stop.Err)
		stopAnswer := response(t, stop.Out)
		require.NotEmpty(t, stopAnswer.Next)
		require.ElementsMatch(t, ids, handedOver(stopAnswer))

		// FC delivers the destination record late; meanwhile an operator
		// released one instance with the SDK.
		w.Advance(time.Minute)
		del := sdkecs.CreateDeleteInstanceRequest()
		del.InstanceId = ids[0]
		del.Force = requests.NewBoolean(true)
		_, err := w.Env.Client.DeleteInstance(del)
		require.NoError(t, err)
		before := len(w.Env.Emu.MutatingCalls())

		rel := w.Handle(handler.NewRelease(w.Deps()), destinationRecord(t, stopAnswer, false), call{})
		require.NoError(t, rel.Err, "already released is success: FC must not retry")
		resp := response(t, rel.Out)
		assert.Equal(t, map[string]string{ids[0]: "skipped", ids[1]: "released"}, outcomes(resp))
		assert.Equal(t, handler.CodeNotFound, outcomeOf(resp, ids[0]).Code)
		for _, c := range w.Env.Emu.MutatingCalls()[before:] {
			assert.False(t, namesInstance(c, ids[0], nil), "no call for the instance released by hand: %s", c.Action)
		}
		duplicateFigures(t, w, "duplicates/destination after manual release", ids)
	})

	t.Run("destination record after the job event released it", func(t *testing.T) {
		t.Parallel()
		w := newWorld(t, ecsemu.Options{StopDelay: 20 * time.Second}, nil)
		ids := w.Env.AddFleet(t, ecsemu.Instance{Tags: tags("pool", "race")}, ecsemu.Instance{Tags: tags("pool", "race")})
		stop := w.Handle(handler.NewStop(w.Deps()), timerEvent(t, "race", `{"selector":{"tags":{"pool":"race"}},"then":"release"}`), call{})
		require.NoError(t, stop.Err)
		stopAnswer := response(t, stop.Out)
		require.NotEmpty(t, stopAnswer.Next)

		// Reordered: the job's completion event overtakes stop's hand-over.
		h := handler.NewRelease(w.Deps())
		job := w.Handle(h, jobEvent(t, "evt-overtake", ids), call{})
		require.NoError(t, job.Err)
		assert.Equal(t, map[string]string{ids[0]: "released", ids[1]: "released"}, outcomes(response(t, job.Out)))

		rec := destinationRecord(t, stopAnswer, true)
		for i := range 2 { // and the record itself arrives twice
			rel := w.Handle(h, rec, call{})
			require.NoError(t, rel.Err, "delivery %d", i+1)
			resp := response(t, rel.Out)
			assert.Equal(t, map[string]string{ids[0]: "skipped", ids[1]: "skipped"}, outcomes(resp))
			assert.Equal(t, handler.CodeNotFound, outcomeOf(resp, ids[1]).Code)
		}
		duplicateFigures(t, w, "duplicates/destination after job event", ids)
	})
}

// duplicateFigures checks that every instance was released exactly once and
// reports the drill's figures.
func duplicateFigures(t *testing.T, w *world, name string, ids []string) {
	t.Helper()
	deletes := deletesOf(w.Env.Emu.Calls())
	lost, twice, most := 0, 0, 0
	for _, id := range ids {
		_, exists := w.Env.Emu.Instance(id)
		assert.False(t, exists, "%s is gone", id)
		assert.Equal(t, 1, deletes[id], "%s released exactly once", id)
		if exists {
			lost++
		}
		if deletes[id] > 1 {
			twice++
		}
		most = max(most, deletes[id])
	}
	faults, stats := countFaults(w.Env.Emu.Calls()), w.retryStats()
	report(t, figures{
		Drill: name, Invocations: stats.Invocations, Instances: len(ids), Released: len(ids) - lost,
		ECSCalls: faults.Calls, Retries: stats.Retries, Lost: lost, DoubleActions: twice,
		Note: fmt.Sprintf("%s, at most %s per instance", fclocal.Plural(stats.Invocations, "delivery"), fclocal.Plural(most, "effective release")),
	})
}
