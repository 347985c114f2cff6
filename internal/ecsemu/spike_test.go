package ecsemu_test

import (
	"sync"
	"testing"
	"time"

	"github.com/aliyun/alibaba-cloud-sdk-go/services/ecs"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/fc-ecs-release/fc-ecs-release/internal/ecsemu"
)

func TestLatencySpikes(t *testing.T) {
	t.Parallel()
	t.Run("every call spiked", func(t *testing.T) {
		t.Parallel()
		env := start(t, ecsemu.Options{Faults: ecsemu.Faults{SpikeRate: 1, Spike: 40 * time.Millisecond}})
		began := time.Now()
		_, err := env.Client.DescribeInstances(ecs.CreateDescribeInstancesRequest())
		require.NoError(t, err, "a spiked call is answered as usual")
		assert.GreaterOrEqual(t, time.Since(began), 40*time.Millisecond)
		calls := env.Emu.Calls()
		require.Len(t, calls, 1)
		assert.Equal(t, 40*time.Millisecond, calls[0].Spike)
		assert.False(t, calls[0].Injected, "a spike is not an error answer")
	})
	t.Run("spikes are slept outside the lock", func(t *testing.T) {
		t.Parallel()
		env := start(t, ecsemu.Options{Faults: ecsemu.Faults{SpikeRate: 1, Spike: 500 * time.Millisecond}})
		// An SDK client is not safe for concurrent use: one each.
		clients := []*ecs.Client{newClient(t, env, ""), newClient(t, env, "")}
		began := time.Now()
		var wg sync.WaitGroup
		for _, c := range clients {
			wg.Go(func() {
				_, err := c.DescribeInstances(ecs.CreateDescribeInstancesRequest())
				assert.NoError(t, err)
			})
		}
		wg.Wait()
		// Queued they would take 1 s; overlapping, about 0.5 s.
		assert.Less(t, time.Since(began), 900*time.Millisecond, "two spiked calls overlap instead of queueing")
	})
	t.Run("a fraction of calls", func(t *testing.T) {
		t.Parallel()
		env := start(t, ecsemu.Options{Seed: 3, Faults: ecsemu.Faults{SpikeRate: 0.5, Spike: time.Millisecond}})
		for range 40 {
			_, err := env.Client.DescribeInstances(ecs.CreateDescribeInstancesRequest())
			require.NoError(t, err)
		}
		spiked := 0
		for _, c := range env.Emu.Calls() {
			if c.Spike > 0 {
				spiked++
			}
		}
		assert.Greater(t, spiked, 5)
		assert.Less(t, spiked, 35)
	})
	t.Run("spikes do not change which calls other faults hit", func(t *testing.T) {
		t.Parallel()
		codes := func(f ecsemu.Faults) []string {
			env := start(t, ecsemu.Options{Seed: 5, Faults: f})
			var out []string
			for range 30 {
				_, _ = env.Client.DescribeInstances(ecs.CreateDescribeInstancesRequest())
			}
			for _, c := range env.Emu.Calls() {
				out = append(out, c.Code)
			}
			return out
		}
		plain := codes(ecsemu.Faults{ThrottleRate: 0.3, ErrorRate: 0.1})
		spiky := codes(ecsemu.Faults{ThrottleRate: 0.3, ErrorRate: 0.1, SpikeRate: 0.5, Spike: time.Millisecond})
		assert.Equal(t, plain, spiky)
	})
	t.Run("admin and validation", func(t *testing.T) {
		t.Parallel()
		env := start(t, ecsemu.Options{})
		code, m := admin(t, env, "POST", "faults?spikeRate=1&spike=25ms", "")
		require.Equal(t, 200, code, "%v", m)
		assert.Equal(t, 1.0, m["SpikeRate"])
		assert.Equal(t, float64(25*time.Millisecond), m["Spike"])
		_, err := env.Client.DescribeInstances(ecs.CreateDescribeInstancesRequest())
		require.NoError(t, err)
		calls := env.Emu.Calls()
		require.NotEmpty(t, calls)
		assert.Equal(t, 25*time.Millisecond, calls[len(calls)-1].Spike)

		for _, tc := range []struct{ query, want string }{
			{"faults?spike=soon", `spike="soon" is not a Go duration`},
			{"faults?spikeRate=1.5", "spike rate"},
			{"faults?spike=-1s", "negative"},
		} {
			code, m := admin(t, env, "POST", tc.query, "")
			assert.Equal(t, 400, code, tc.query)
			assert.Contains(t, m["error"], tc.want, tc.query)
		}
		for _, bad := range []ecsemu.Faults{{SpikeRate: -0.1}, {SpikeRate: 2}, {Spike: -time.Millisecond}} {
			assert.Error(t, env.Emu.SetFaults(bad), "%+v", bad)
			_, err := ecsemu.New(ecsemu.Options{Faults: bad})
			assert.Error(t, err, "%+v", bad)
		}
	})
}
