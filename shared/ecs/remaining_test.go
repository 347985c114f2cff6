package ecs_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/fc-ecs-release/fc-ecs-release/internal/ecsemu"
	"github.com/fc-ecs-release/fc-ecs-release/shared/ecs"
)

// Verifying a release: which of the released instances still exist. The
// tag-filtered shortcut must never call an instance gone that is still
// there with the tags it was released with, and must cost one call when
// the pool is empty.
func TestRemainingFindsWhatIsLeft(t *testing.T) {
	t.Parallel()
	pool := map[string]string{"pool": "a", "team": "ci"}
	cases := []struct {
		name      string
		n, keep   int // instances in the pool; how many of them are not released
		others    int // instances of the pool not among the IDs asked about
		tags      map[string]string
		wantCalls int
	}{
		{"pool emptied: one call", 250, 0, 0, pool, 1},
		{"a few left: one call, and they are found", 250, 7, 0, pool, 1},
		{"others of the pool left: still one page", 250, 0, 60, pool, 1},
		{"more than a page left: read by ID", 250, 0, 150, pool, 1 + 3},
		{"some left beyond the first page: read by ID", 250, 5, 150, pool, 1 + 3},
		{"no shared tags: read by ID", 250, 3, 0, nil, 3},
		{"one batch: read by ID", 100, 3, 0, pool, 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, ecsemu.Options{})
			// The others come first: a page cut short would hold them and
			// miss what is left of the released.
			f.env.AddRunning(t, tc.others, tag("pool", "a"), tag("team", "ci"))
			ids := f.env.AddRunning(t, tc.n, tag("pool", "a"), tag("team", "ci"))
			f.env.AddRunning(t, 30, tag("pool", "b"), tag("team", "ci"))
			for _, id := range ids[tc.keep:] {
				require.NoError(t, f.env.Emu.OperatorRelease(id))
			}
			before := f.c.Stats().Calls["DescribeInstances"]
			left, err := f.c.Remaining(f.ctx(t, time.Minute), ids, tc.tags)
			require.NoError(t, err)
			assert.ElementsMatch(t, ids[:tc.keep], keys(left), "still there")
			assert.Equal(t, tc.wantCalls, f.c.Stats().Calls["DescribeInstances"]-before, "calls")
		})
	}
}

func TestSharedTags(t *testing.T) {
	t.Parallel()
	type tags = map[string]string
	assert.Nil(t, ecs.SharedTags(nil))
	assert.Equal(t, tags{"a": "1"}, ecs.SharedTags([]tags{{"a": "1", "b": "2"}, {"a": "1", "b": "3"}}))
	assert.Nil(t, ecs.SharedTags([]tags{{"a": "1"}, {"a": "2"}}))
	assert.Nil(t, ecs.SharedTags([]tags{{"a": "1"}, nil}))
}

func keys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}
