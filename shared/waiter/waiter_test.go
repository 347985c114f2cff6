package waiter_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/fc-ecs-release/fc-ecs-release/shared/clock"
	"github.com/fc-ecs-release/fc-ecs-release/shared/waiter"
)

func TestDelayGrowsExponentiallyWithinBounds(t *testing.T) {
	t.Parallel()
	min, max := 2*time.Second, 20*time.Second
	cases := []struct {
		attempt int
		r       float64
		want    time.Duration
	}{
		{1, 0.99, 2 * time.Second}, // first delay is MinDelay whatever the draw
		{2, 0, 2 * time.Second},
		{2, 1, 4 * time.Second},
		{3, 1, 8 * time.Second},
		{4, 0.5, 9 * time.Second}, // 2s + 0.5·(16s-2s)
		{10, 1, 20 * time.Second}, // capped
	}
	for _, tc := range cases {
		assert.Equal(t, tc.want, waiter.Delay(tc.attempt, min, max, tc.r), "attempt %d r %v", tc.attempt, tc.r)
	}
}

// script is a check whose items finish after a given number of rounds.
func script(rounds map[string]int, fail map[string]int) (waiter.CheckFunc, *int) {
	calls := 0
	return func(_ context.Context, ids []string) (map[string]waiter.Status, error) {
		calls++
		out := map[string]waiter.Status{}
		for _, id := range ids {
			switch {
			case fail[id] > 0 && calls >= fail[id]:
				out[id] = waiter.Status{State: waiter.Failed, Reason: "restarted"}
			case rounds[id] > 0 && calls >= rounds[id]:
				out[id] = waiter.Status{State: waiter.Done}
			}
		}
		return out, nil
	}, &calls
}

func TestWaitSortsItemsIntoDoneFailedPending(t *testing.T) {
	t.Parallel()
	fake := clock.NewFake(time.Now())
	check, calls := script(map[string]int{"a": 1, "b": 3}, map[string]int{"c": 2})
	res, err := waiter.Wait(context.Background(), []string{"a", "b", "c", "d"}, check, waiter.Options{
		MinDelay: time.Second, MaxDelay: 4 * time.Second, MaxWait: 30 * time.Second, Clock: fake, Rand: func() float64 { return 1 },
	})
	require.NoError(t, err)
	assert.Equal(t, []string{"a", "b"}, res.Done)
	assert.Equal(t, map[string]string{"c": "restarted"}, res.Failed)
	assert.Equal(t, []string{"d"}, res.Pending)
	slept, _ := fake.Slept()
	assert.Equal(t, 30*time.Second, slept, "waits exactly MaxWait, the last check at the end")
	assert.Equal(t, res.Checks, *calls)
}

func TestWaitIsClippedToContextDeadlineMinusMargin(t *testing.T) {
	t.Parallel()
	fake := clock.NewFake(time.Now())
	ctx, cancel := context.WithDeadline(context.Background(), fake.Now().Add(2*time.Minute))
	defer cancel()
	check, _ := script(nil, nil)
	res, err := waiter.Wait(ctx, []string{"x"}, check, waiter.Options{MinDelay: time.Second, MaxDelay: 10 * time.Second, MaxWait: time.Hour, Margin: 15 * time.Second, Clock: fake})
	require.NoError(t, err)
	assert.Equal(t, []string{"x"}, res.Pending)
	slept, _ := fake.Slept()
	assert.Equal(t, 2*time.Minute-15*time.Second, slept)
}

func TestWaitReturnsAtOnceWhenAllDone(t *testing.T) {
	t.Parallel()
	fake := clock.NewFake(time.Now())
	check, _ := script(map[string]int{"a": 1}, nil)
	res, err := waiter.Wait(context.Background(), []string{"a"}, check, waiter.Options{MaxWait: time.Minute, Clock: fake})
	require.NoError(t, err)
	assert.Equal(t, 1, res.Checks)
	slept, n := fake.Slept()
	assert.Zero(t, slept)
	assert.Zero(t, n)
}

func TestWaitRequiresMaxWait(t *testing.T) {
	t.Parallel()
	check, _ := script(nil, nil)
	res, err := waiter.Wait(context.Background(), []string{"a"}, check, waiter.Options{})
	assert.ErrorIs(t, err, waiter.ErrInvalidOptions)
	assert.Equal(t, []string{"a"}, res.Pending, "nothing checked is reported pending, never done")
	_, err = waiter.Wait(context.Background(), []string{"a"}, check, waiter.Options{MaxWait: time.Minute, MinDelay: 5 * time.Second, MaxDelay: time.Second})
	assert.ErrorIs(t, err, waiter.ErrInvalidOptions)
}

func TestWaitStopsOnCheckErrorAndCancellation(t *testing.T) {
	t.Parallel()
	boom := errors.New("boom")
	fake := clock.NewFake(time.Now())
	res, err := waiter.Wait(context.Background(), []string{"a"}, func(context.Context, []string) (map[string]waiter.Status, error) {
		return nil, boom
	}, waiter.Options{MaxWait: time.Minute, Clock: fake})
	assert.ErrorIs(t, err, boom)
	assert.Equal(t, []string{"a"}, res.Pending)

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	check, _ := script(nil, nil)
	res, err = waiter.Wait(ctx, []string{"a"}, check, waiter.Options{MaxWait: time.Minute, Clock: fake})
	assert.ErrorIs(t, err, context.Canceled)
	assert.Equal(t, []string{"a"}, res.Pending)
}
