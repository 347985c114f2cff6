package answer

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The summary is one JSON object: counts by name, sorted, beside the money
// figures; it reads back to what it was written from.
func TestSummaryWire(t *testing.T) {
	t.Parallel()
	s := Summary{Counts: map[string]int{"skipped": 1, "released": 3, FlagStoppedStillCharging: 1},
		EstimatedSavings: &Money{PerHour: 1.5, Currency: "CNY", Compute: 1, Disks: 0.5, Instances: 3},
		StillBilling:     &Money{Currency: "CNY"}}
	b, err := json.Marshal(s)
	require.NoError(t, err)
	assert.JSONEq(t, `{"released":3,"skipped":1,"stopped-still-charging":1,
		"estimatedSavings":{"perHour":1.5,"currency":"CNY","compute":1,"disks":0.5,"instances":3},
		"stillBilling":{"perHour":0,"currency":"CNY","compute":0,"disks":0,"instances":0}}`, string(b))
	assert.Regexp(t, `^\{"released":3,"skipped":1,"stopped-still-charging":1,"estimatedSavings"`, string(b), "counts sorted, money last")
	var back Summary
	require.NoError(t, json.Unmarshal(b, &back))
	assert.Equal(t, s, back)

	// No money: just the counts; an empty summary is {}.
	b, _ = json.Marshal(Summary{Counts: map[string]int{"released": 1}})
	assert.Equal(t, `{"released":1}`, string(b))
	b, _ = json.Marshal(Summary{})
	assert.Equal(t, `{}`, string(b))

	// A count that is not a number is an error naming it.
	err = json.Unmarshal([]byte(`{"released":"three"}`), &back)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "summary.released")
}

func TestActedAndPreview(t *testing.T) {
	t.Parallel()
	for _, o := range []string{OutcomeStopping, OutcomeReleased, OutcomeAutoReleaseSet, OutcomeAutoReleaseCancelled} {
		assert.True(t, Acted(o), o)
		assert.False(t, Preview(o), o)
	}
	for _, o := range []string{OutcomeWouldStop, OutcomeWouldRelease, OutcomeWouldSetAutoRelease, OutcomeWouldCancelAutoRelease} {
		assert.True(t, Preview(o), o)
		assert.False(t, Acted(o), o)
	}
	for _, o := range []string{OutcomeAlreadyStopped, OutcomeAlreadyReleased, OutcomeSkipped, OutcomeFailed, OutcomeStatus} {
		assert.False(t, Acted(o) || Preview(o), o)
	}
}
