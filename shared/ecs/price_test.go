package ecs_test

import (
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/fc-ecs-release/fc-ecs-release/internal/ecsemu"
	"github.com/fc-ecs-release/fc-ecs-release/shared/ecs"
)

func TestPricesComputeAndDiskAreCached(t *testing.T) {
	t.Parallel()
	f := newFixture(t, ecsemu.Options{})
	ctx := f.ctx(t, time.Minute)
	p := f.c.NewPrices()

	// ecs.g7.large: 2 vCPU × 0.10 + 8 GiB × 0.015 in the emulator's list.
	got, err := p.Compute(ctx, "ecs.g7.large")
	require.NoError(t, err)
	assert.Equal(t, ecs.Price{PerHour: 0.32, Currency: "CNY"}, got, "the instanceType detail, not the total with its system disk")
	again, err := p.Compute(ctx, "ecs.g7.large")
	require.NoError(t, err)
	assert.Equal(t, got, again)
	assert.Equal(t, 1, f.c.Stats().Calls["DescribePrice"], "the second read is cached")

	disk, err := p.Disk(ctx, "cloud_essd", 500, "PL2")
	require.NoError(t, err)
	assert.Equal(t, ecs.Price{PerHour: 1.4, Currency: "CNY"}, disk)
	eff, err := p.Disk(ctx, "cloud_efficiency", 40, "")
	require.NoError(t, err)
	assert.Equal(t, 0.02, eff.PerHour)
	_, err = p.Disk(ctx, "cloud_essd", 500, "PL2")
	require.NoError(t, err)
	assert.Equal(t, 3, f.c.Stats().Calls["DescribePrice"], "one call per distinct price")

	// What went over the wire.
	var sent []map[string]string
	for _, c := range f.env.Emu.Calls() {
		if c.Action == "DescribePrice" {
			sent = append(sent, c.Params)
		}
	}
	require.Len(t, sent, 3)
	assert.Equal(t, "instance", sent[0]["ResourceType"])
	assert.Equal(t, "Hour", sent[0]["PriceUnit"])
	assert.Equal(t, "ecs.g7.large", sent[0]["InstanceType"])
	assert.Equal(t, "disk", sent[1]["ResourceType"])
	assert.Equal(t, "Hour", sent[1]["PriceUnit"])
	assert.Equal(t, "cloud_essd", sent[1]["DataDisk.1.Category"])
	assert.Equal(t, "500", sent[1]["DataDisk.1.Size"])
	assert.Equal(t, "PL2", sent[1]["DataDisk.1.PerformanceLevel"])
	assert.NotContains(t, sent[2], "DataDisk.1.PerformanceLevel", "an empty level is not sent")

	// A new cache reads again: one per invocation.
	_, err = f.c.NewPrices().Compute(ctx, "ecs.g7.large")
	require.NoError(t, err)
	assert.Equal(t, 4, f.c.Stats().Calls["DescribePrice"])
}

func TestPricesConcurrentReadsShareOneCall(t *testing.T) {
	t.Parallel()
	f := newFixture(t, ecsemu.Options{Latency: 20 * time.Millisecond})
	ctx := f.ctx(t, time.Minute)
	p := f.c.NewPrices()
	var wg sync.WaitGroup
	results := make([]ecs.Price, 16)
	errs := make([]error, 16)
	for i := range results {
		wg.Go(func() { results[i], errs[i] = p.Compute(ctx, "ecs.c7.large") })
	}
	wg.Wait()
	for i := range results {
		require.NoError(t, errs[i])
		assert.Equal(t, 0.26, results[i].PerHour) // 2 vCPU × 0.10 + 4 GiB × 0.015
	}
	assert.Equal(t, 1, f.c.Stats().Calls["DescribePrice"])
}

func TestPricesFailedReadIsCached(t *testing.T) {
	t.Parallel()
	f := newFixture(t, ecsemu.Options{}, func(c *ecs.Config) { c.MaxAttempts = 3 })
	ctx := f.ctx(t, time.Minute)
	p := f.c.NewPrices()

	// An unknown type: ECS's error, not retried, cached.
	_, err := p.Compute(ctx, "ecs.example.test")
	require.Error(t, err)
	assert.Equal(t, "InvalidInstanceType.ValueNotSupported", ecs.Code(err))
	assert.False(t, ecs.Retryable(err))
	_, err2 := p.Compute(ctx, "ecs.example.test")
	assert.Equal(t, err, err2, "the cached failure")
	assert.Equal(t, 1, f.c.Stats().Calls["DescribePrice"])

	// A server error: retried by the client's policy (3 attempts), then
	// the failure is cached for the invocation even once ECS recovers.
	f.env.Emu.InjectError("DescribePrice", "InternalError", "price service down", 3)
	_, err = p.Disk(ctx, "cloud_ssd", 100, "")
	require.Error(t, err)
	assert.True(t, errors.Is(err, ecs.ErrServer), "%v", err)
	assert.Equal(t, 4, f.c.Stats().Calls["DescribePrice"], "1 + 3 attempts")
	assert.Equal(t, 2, f.c.Stats().Retries["DescribePrice"])
	_, err2 = p.Disk(ctx, "cloud_ssd", 100, "")
	assert.Equal(t, err, err2)
	assert.Equal(t, 4, f.c.Stats().Calls["DescribePrice"], "not read again")
	// Another cache reads it now that ECS answers.
	ok, err := f.c.NewPrices().Disk(ctx, "cloud_ssd", 100, "")
	require.NoError(t, err)
	assert.Equal(t, 0.14, ok.PerHour)

	// Bad arguments fail without a call.
	_, err = p.Compute(ctx, "")
	assert.ErrorIs(t, err, ecs.ErrInvalidParameter)
	_, err = p.Disk(ctx, "cloud_ssd", 0, "")
	assert.ErrorIs(t, err, ecs.ErrInvalidParameter)
	assert.Equal(t, 5, f.c.Stats().Calls["DescribePrice"])
}

func TestPricesCurrencyOutsideChina(t *testing.T) {
	t.Parallel()
	f := newFixture(t, ecsemu.Options{Prices: &ecsemu.PriceTable{InstanceTypes: map[string]float64{"ecs.g7.large": 0.123}}},
		func(c *ecs.Config) { c.Region = "eu-central-1" })
	got, err := f.c.NewPrices().Compute(f.ctx(t, time.Minute), "ecs.g7.large")
	require.NoError(t, err)
	assert.Equal(t, ecs.Price{PerHour: 0.123, Currency: "USD"}, got)
}
