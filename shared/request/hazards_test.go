package request

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestHazardFields(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, payload string
		fn            Function
		field         string // "" = valid
	}{
		{"autoScaling include on stop", `{"instanceIds":["i-a"],"autoScaling":"include"}`, Stop, ""},
		{"autoScaling skip on release", `{"instanceIds":["i-a"],"autoScaling":"skip"}`, Release, ""},
		{"autoScaling unknown value", `{"instanceIds":["i-a"],"autoScaling":"yes"}`, Stop, "autoScaling"},
		{"autoScaling as a boolean", `{"instanceIds":["i-a"],"autoScaling":true}`, Stop, "autoScaling"},
		{"autoScaling in another case", `{"instanceIds":["i-a"],"AutoScaling":"include"}`, Stop, "AutoScaling"},
		{"autoScaling on autorelease", `{"instanceIds":["i-a"],"after":"2h","autoScaling":"include"}`, AutoRelease, "autoScaling"},
		{"autoScaling skip on autorelease", `{"instanceIds":["i-a"],"after":"2h","autoScaling":"skip"}`, AutoRelease, "autoScaling"},
		{"fallback on stop", `{"instanceIds":["i-a"],"stoppedModeFallback":"KeepCharging"}`, Stop, ""},
		{"fallback on release", `{"instanceIds":["i-a"],"stoppedModeFallback":"KeepCharging"}`, Release, ""},
		{"fallback to StopCharging", `{"instanceIds":["i-a"],"stoppedModeFallback":"StopCharging"}`, Stop, "stoppedModeFallback"},
		{"fallback lower case", `{"instanceIds":["i-a"],"stoppedModeFallback":"keepcharging"}`, Release, "stoppedModeFallback"},
		{"fallback on autorelease", `{"instanceIds":["i-a"],"cancel":true,"stoppedModeFallback":"KeepCharging"}`, AutoRelease, "stoppedModeFallback"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			inv, err := Decode([]byte(tc.payload), WithFunction(tc.fn))
			if tc.field == "" {
				require.NoError(t, err)
				require.Len(t, inv.Requests, 1)
				return
			}
			requireCode(t, err, CodeInvalidRequest, tc.field)
		})
	}
}

func TestHazardAccessors(t *testing.T) {
	t.Parallel()
	assert.False(t, Request{}.IncludesAutoScaling(), "members are skipped by default")
	assert.False(t, Request{AutoScaling: AutoScalingSkip}.IncludesAutoScaling())
	assert.True(t, Request{AutoScaling: AutoScalingInclude}.IncludesAutoScaling())
	assert.False(t, Request{}.FallsBackToKeepCharging(), "no fallback by default")
	assert.True(t, Request{StoppedModeFallback: StoppedModeKeepCharging}.FallsBackToKeepCharging())
	// A hand-over carrying the consent decodes back for release.
	inv, err := Decode([]byte(`{"instanceIds":["i-a"],"stoppedAt":"2026-12-01T02:00:07Z","autoScaling":"include"}`), WithFunction(Release))
	require.NoError(t, err)
	assert.True(t, inv.Requests[0].IncludesAutoScaling())
}
