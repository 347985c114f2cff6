package handler

import (
	"runtime/debug"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestTuneMemory(t *testing.T) {
	prev := debug.SetMemoryLimit(-1)
	t.Cleanup(func() { debug.SetMemoryLimit(prev) })
	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

	assert.Equal(t, int64(0), TuneMemory(env(nil)), "no function memory: no limit")
	assert.Equal(t, int64(0), TuneMemory(env(map[string]string{"FC_FUNCTION_MEMORY_SIZE": "128", "GOMEMLIMIT": "100MiB"})), "GOMEMLIMIT wins")
	assert.Equal(t, int64(0), TuneMemory(env(map[string]string{"FC_FUNCTION_MEMORY_SIZE": "lots"})))
	for _, huge := range []string{"9223372036854775807", "8796093022208", "32769"} {
		assert.Equal(t, int64(0), TuneMemory(env(map[string]string{"FC_FUNCTION_MEMORY_SIZE": huge})), "%s MB is not FC's: ignored, never shifted into an overflow", huge)
	}
	limit := TuneMemory(env(map[string]string{"FC_FUNCTION_MEMORY_SIZE": "128"}))
	share := memoryShare
	assert.Equal(t, int64(float64(128<<20)*share), limit)
	assert.InDelta(t, 37<<20, limit, 1<<20, "between a quarter and a third of 128 MB")
	assert.Equal(t, limit, debug.SetMemoryLimit(-1), "the runtime holds the limit")
}

func TestConcurrencyFollowsTheRateLimit(t *testing.T) {
	t.Parallel()
	assert.Equal(t, 2, concurrencyFor(5))
	assert.Equal(t, 5, concurrencyFor(50))
	assert.Equal(t, 64, concurrencyFor(2000))
	assert.Equal(t, 64, concurrencyFor(10000))
}
