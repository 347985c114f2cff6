package config

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestSpotSnapshot(t *testing.T) {
	t.Parallel()
	env := func(v string) func(string) string {
		return func(k string) string {
			if k == EnvSpotSnapshot {
				return v
			}
			return ""
		}
	}
	for v, want := range map[string]bool{"": false, "false": false, "true": true, " TRUE ": true, "1": true} {
		c, err := Load(env(v))
		require.NoError(t, err, v)
		assert.Equal(t, want, c.SpotSnapshot, v)
	}
	_, err := Load(env("yes"))
	var e *Error
	require.ErrorAs(t, err, &e)
	assert.Equal(t, EnvSpotSnapshot, e.Variable)
}
